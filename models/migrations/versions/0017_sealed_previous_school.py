"""the child's previous school (from the ministry's list) encrypted at rest, like the other school names

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 12:05:00.000000
"""
from alembic import op
import sqlalchemy as sa
from models.crypto import SealedText

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

SCHOOL = SealedText("previous_school", 200)


def upgrade() -> None:
    # PostgreSQL only, as 0014: SQLite keeps any length in a VARCHAR, and its batch mode would rebuild
    # the cases table without the trigger that fills cases.area_code.
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("cases", "previous_school", existing_type=sa.String(200), type_=SCHOOL.impl_instance)
    _convert(SCHOOL.process_bind_param)


def downgrade() -> None:
    _convert(SCHOOL.process_result_value)
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("cases", "previous_school", existing_type=SCHOOL.impl_instance, type_=sa.String(200))


def _convert(change) -> None:
    """Encrypt or decrypt every stored value with the app's key, as the column type does."""
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, previous_school FROM cases WHERE previous_school IS NOT NULL")).all()
    update = sa.text("UPDATE cases SET previous_school = :value WHERE id = :id")
    for start in range(0, len(rows), 1000):
        bind.execute(update, [{"value": change(value, bind.dialect), "id": row_id}
                              for row_id, value in rows[start:start + 1000]])
