"""national scope only by an explicit grant: users.national_scope and invites.national_scope

Until now a coordinator with neither an area nor an organisation saw the whole country, and so did one
whose organisation had no areas (or whose area row was gone): missing data widened the scope. Now the
whole country comes only from the admin role or this explicit grant; missing data gives nothing.

The grant goes to the coordinators, and the unused coordinator invites, that had neither an area nor
an organisation: they were national coordinators by the old rule, on purpose. A coordinator of an
organisation without areas was national only by accident and gets no grant: they see nothing until
the organisation's areas are set (`flask org create --code X --area ...`) or they are granted it
(`flask users set-role WHO coordinator --national`).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 10:50:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

TABLES = ("users", "invites")


def upgrade() -> None:
    # Plain ALTERs, not a batch: SQLite adds columns in place (see 0008).
    for table in TABLES:
        op.add_column(table, sa.Column('national_scope', sa.Boolean(), nullable=False, server_default=sa.false()))
        op.execute(sa.text(f"UPDATE {table} SET national_scope = :granted WHERE role = 'coordinator' "
                           "AND area_id IS NULL AND organisation_id IS NULL").bindparams(granted=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('national_scope')
