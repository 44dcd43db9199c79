"""the free-text personal fields encrypted at rest: addresses, guardians' names, notes, school names,
history and referral notes, users' names (random nonce) and users' phones (deterministic)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 10:40:00.000000
"""
from alembic import op
import sqlalchemy as sa
from models.base import JSONType
from models.crypto import EncryptedText, SealedText

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# (table, column, its length before, the type that now keeps it encrypted). A length of None: it was
# TEXT already; the others become TEXT on PostgreSQL (SQLite does not enforce VARCHAR lengths), except
# the phone, which is looked up by == and so stays a VARCHAR, as wide as 0008 made the case's.
COLUMNS = [
    ("cases", "address", 500, SealedText("address")),
    ("cases", "situation_note", 500, SealedText("situation_note")),
    ("cases", "reason_note", 500, SealedText("reason_note")),
    ("cases", "school_name", 200, SealedText("school_name")),
    ("cases", "guardian_name", 200, SealedText("guardian_name")),
    ("case_events", "note", None, SealedText("case_event_note")),
    ("referrals", "note", None, SealedText("referral_note")),
    ("referrals", "reason_note", None, SealedText("referral_reason_note")),
    ("users", "real_name", 200, SealedText("user_name")),
    ("users", "phone", 20, EncryptedText("user_phone")),
]
# A repeated report kept the new report's fields in its history line ("reported_again", "listed_again"),
# and a newer list the old and new values it changed ("list_updated"): the encrypted ones leave the history.
HISTORY_KINDS = ("reported_again", "listed_again", "list_updated")
ENCRYPTED_CASE_FIELDS = ("national_id", "guardian_phone", "address", "situation_note", "reason_note", "school_name",
                         "guardian_name")
BATCH = 1000


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table, column, length, type_ in COLUMNS:
            if length is not None:
                op.alter_column(table, column, existing_type=sa.String(length=length), type_=type_.impl_instance)
    _convert(bind, "seal")
    _scrub_history(bind)


def downgrade() -> None:
    # The values taken out of the history's details are not brought back: they were copies.
    bind = op.get_bind()
    _convert(bind, "open")
    if bind.dialect.name == "postgresql":
        for table, column, length, type_ in COLUMNS:
            if length is not None:
                op.alter_column(table, column, existing_type=type_.impl_instance, type_=sa.String(length=length))


def _convert(bind, way: str) -> None:
    """Encrypt ("seal") or decrypt ("open") the values already stored, with the app's key, as the
    columns' own types do."""
    for table, column, _, type_ in COLUMNS:
        change = type_.process_bind_param if way == "seal" else type_.process_result_value
        rows = bind.execute(sa.text(f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL")).all()
        update = sa.text(f"UPDATE {table} SET {column} = :value WHERE id = :id")
        for start in range(0, len(rows), BATCH):
            bind.execute(update, [{"value": change(value, bind.dialect), "id": row_id}
                                  for row_id, value in rows[start:start + BATCH]])


def _scrub_history(bind) -> None:
    query = (sa.text("SELECT id, kind, details FROM case_events WHERE details IS NOT NULL AND kind IN :kinds")
             .bindparams(sa.bindparam("kinds", HISTORY_KINDS, expanding=True))
             .columns(id=sa.Integer, kind=sa.String, details=JSONType))
    update = sa.text("UPDATE case_events SET details = :details WHERE id = :id").bindparams(
        sa.bindparam("details", type_=JSONType))
    changed = []
    for row_id, kind, details in bind.execute(query):
        if kind == "list_updated":
            fields = details.get("changed") or {}
            kept = {**details, "changed": {k: None if k in ENCRYPTED_CASE_FIELDS else v for k, v in fields.items()}}
        else:
            kept = {k: v for k, v in details.items() if k not in ENCRYPTED_CASE_FIELDS}
        if kept != details:
            changed.append({"details": kept, "id": row_id})
    for start in range(0, len(changed), BATCH):
        bind.execute(update, changed[start:start + BATCH])
