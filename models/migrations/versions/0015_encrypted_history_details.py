"""case history details encrypted: what a report or a newer list said about the child

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 11:40:00.000000

case_events.details becomes text holding models.crypto's EncryptedJSON (a random nonce, bound to the
column's purpose); the rows already stored are encrypted here with the app's key, as 0012 did for drafts.
"""
import json

from alembic import op
import sqlalchemy as sa
import models.base

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

PURPOSE = "case_event_details"
BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table("case_events") as batch_op:
        batch_op.alter_column("details", existing_type=models.base.JSONType, type_=sa.Text(),
                              existing_nullable=True, postgresql_using="details::text")
    _rewrite(lambda cipher, stored: cipher.seal_json(PURPOSE, json.loads(stored)))


def downgrade() -> None:
    _rewrite(lambda cipher, stored: json.dumps(cipher.open_json(PURPOSE, stored), ensure_ascii=False))
    with op.batch_alter_table("case_events") as batch_op:
        batch_op.alter_column("details", existing_type=sa.Text(), type_=models.base.JSONType,
                              existing_nullable=True, postgresql_using="details::jsonb")


def _rewrite(change) -> None:
    """Replace every stored details value by change(cipher, value), with the app's key, in batches."""
    bind = op.get_bind()
    cipher = bind.dialect.field_cipher
    rows = bind.execute(sa.text("SELECT id, details FROM case_events WHERE details IS NOT NULL")).all()
    update = sa.text("UPDATE case_events SET details = :value WHERE id = :id")
    for start in range(0, len(rows), BATCH):
        bind.execute(update, [{"value": change(cipher, value), "id": row_id} for row_id, value in rows[start:start + BATCH]])
