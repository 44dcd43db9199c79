"""deadline day: a deadline's organisation kinds, rule and Google Form; zero reports by organisation

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 17:00:00.000000

Existing deadlines are for local governments, all children checked. The old "รายงานแล้ว" taps stay as
rows of kind "tapped", which progress no longer counts (it counts the work, domain/deadlines.py).
"""
from alembic import op
import sqlalchemy as sa
import models.base

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('org_kinds', models.base.JSONType, nullable=True))
        batch_op.add_column(sa.Column('rule', sa.String(length=16), server_default='all_checked', nullable=False))
        batch_op.add_column(sa.Column('form_url', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('form_fields', models.base.JSONType, nullable=True))
    deadlines = sa.table('deadlines', sa.column('org_kinds', models.base.JSONType))
    op.execute(deadlines.update().values(org_kinds=["local_government"]))
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.alter_column('org_kinds', existing_type=models.base.JSONType, nullable=False)

    with op.batch_alter_table('deadline_reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), server_default='zero', nullable=False))
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_deadline_reports_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_deadline_reports_organisation_id_organisations'), 'organisations',
                                    ['organisation_id'], ['id'], ondelete='CASCADE')
    op.execute("UPDATE deadline_reports SET kind = 'tapped'")


def downgrade() -> None:
    with op.batch_alter_table('deadline_reports', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_deadline_reports_organisation_id_organisations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_deadline_reports_organisation_id'))
        batch_op.drop_column('organisation_id')
        batch_op.drop_column('kind')
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_column('form_fields')
        batch_op.drop_column('form_url')
        batch_op.drop_column('rule')
        batch_op.drop_column('org_kinds')
