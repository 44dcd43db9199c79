"""download links are built from PUBLIC_BASE_URL alone: export_jobs.base_url goes

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 10:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # It held the address the request came to, which the request's sender chooses (its Host header).
    with op.batch_alter_table('export_jobs', schema=None) as batch_op:
        batch_op.drop_column('base_url')


def downgrade() -> None:
    with op.batch_alter_table('export_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('base_url', sa.String(length=300), nullable=False, server_default=''))
