"""cases from the ministry's list have one source spelling, "list" (as the importer writes it)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01 17:30:00.000000

Demo data and benchmarks wrote "import"; counts of the listed children (deadline progress, the
officer's numbers) look for "list" only.
"""
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE cases SET source = 'list' WHERE source = 'import'")


def downgrade() -> None:
    pass  # "import" and "list" meant the same: nothing to put back
