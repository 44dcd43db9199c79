"""forgotten cases keep a keyed one-way tag of the national ID, so a re-imported list leaves them forgotten

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 12:30:00.000000

Cases forgotten before this revision have no national ID left to tag: they stay as they are.
"""
from alembic import op
import sqlalchemy as sa

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("forgotten_key", sa.String(length=64), nullable=True))
    op.create_index("ix_cases_forgotten_key", "cases", ["forgotten_key"])


def downgrade() -> None:
    op.drop_index("ix_cases_forgotten_key", table_name="cases")
    op.drop_column("cases", "forgotten_key")
