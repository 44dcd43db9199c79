"""deadlines and their reminders, multicast outbox rows, the scheduler lease

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 16:44:27.903346
"""
from alembic import op
import sqlalchemy as sa
import models.base

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('scheduler_leases',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('holder', sa.String(length=200), nullable=True),
    sa.Column('expires_at', models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_leases'))
    )
    op.create_table('deadlines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('roles', models.base.JSONType, nullable=False),
    sa.Column('remind_days', models.base.JSONType, nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_deadlines_area_id_areas')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_deadlines_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadlines'))
    )
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadlines_area_id'), ['area_id'], unique=False)

    op.create_table('deadline_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deadline_id', sa.Integer(), nullable=False),
    sa.Column('days_before', sa.Integer(), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('planned_at', models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['deadline_id'], ['deadlines.id'], name=op.f('fk_deadline_reminders_deadline_id_deadlines'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadline_reminders')),
    sa.UniqueConstraint('deadline_id', 'days_before', name=op.f('uq_deadline_reminders_deadline_id'))
    )
    op.create_table('deadline_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deadline_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('reported_at', models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['deadline_id'], ['deadlines.id'], name=op.f('fk_deadline_reports_deadline_id_deadlines'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_deadline_reports_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadline_reports')),
    sa.UniqueConstraint('deadline_id', 'user_id', name=op.f('uq_deadline_reports_deadline_id'))
    )
    with op.batch_alter_table('deadline_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadline_reports_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recipients', models.base.JSONType, nullable=True))
        batch_op.alter_column('line_user_id',
               existing_type=sa.VARCHAR(length=64),
               nullable=True)



def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.alter_column('line_user_id',
               existing_type=sa.VARCHAR(length=64),
               nullable=False)
        batch_op.drop_column('recipients')

    with op.batch_alter_table('deadline_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deadline_reports_user_id'))

    op.drop_table('deadline_reports')
    op.drop_table('deadline_reminders')
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deadlines_area_id'))

    op.drop_table('deadlines')
    op.drop_table('scheduler_leases')
