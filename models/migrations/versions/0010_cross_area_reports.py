"""reports about a child whose case lies outside the reporter's scope, kept for that case's coordinators

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 10:45:00.000000
"""
from alembic import op
import sqlalchemy as sa
import models.base

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('outside_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=True),
    sa.Column('at', models.base.UTCDateTime(), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=True),
    # What was reported, encrypted by models.crypto (random nonce).
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_outside_reports_case_id_cases'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_outside_reports_reporter_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outside_reports'))
    )
    op.create_index(op.f('ix_outside_reports_case_id'), 'outside_reports', ['case_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_outside_reports_case_id'), table_name='outside_reports')
    op.drop_table('outside_reports')
