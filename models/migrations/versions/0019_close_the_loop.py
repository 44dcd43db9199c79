"""closing the loop: case owners, transfers, urgent reasons, per-status deadlines, notices and the push budget

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 16:00:00.000000

Cases get an owning organisation and owner, an urgent flag, the time they entered their status
(backfilled from their last change) and a late mark. The reason list gets the safeguarding reasons,
flagged urgent, before "อื่น ๆ". The per-status deadlines and the stay-in-school rounds are seeded.
"""
from alembic import op
import sqlalchemy as sa
import models.base

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

# (code, label, official category, position): after the reasons of 0006 (positions 0-8); "other"
# moves to the end (REPOSITION).
SEED = {
    "reason": [
        ("abuse", "ถูกทำร้าย/ความรุนแรง", "สภาพของครอบครัว", 9),
        ("child_labour", "ใช้แรงงานเด็ก", None, 10),
        ("exploited", "ถูกแสวงประโยชน์", None, 11),
        ("no_carer", "ไม่มีผู้ดูแล", "สภาพของครอบครัว", 12),
    ],
}
URGENT = [code for code, *_ in SEED["reason"]]
REPOSITION = {("reason", "other"): 20}

# (status, days, what has to happen): reported or listed -> checked, found -> placed or referred,
# referred -> accepted.
STEP_DEADLINES = [
    ("to_find", 7, "ออกติดตามและเช็กอินเด็ก"),
    ("not_found", 30, "ติดตามเด็กอีกครั้ง"),
    ("moved", 7, "ส่งต่อพื้นที่ใหม่หรือติดตามเด็ก"),
    ("found", 15, "ส่งต่อหรือพาเด็กกลับเข้าเรียน"),
    ("referred", 7, "หน่วยงานตอบรับการส่งต่อ"),
]
# Days after going back to school: the three checks, then four rounds of 60 days.
FOLLOW_UP_ROUNDS = [7, 30, 90, 150, 210, 270, 330]


def upgrade() -> None:
    # Plain ALTER TABLE, not batch mode: SQLite's batch mode would rebuild the cases table without the
    # trigger that fills cases.area_code (see 0017). So status_since stays nullable (SQLite cannot add a
    # NOT NULL column without a constant default); the backfill and record_event always set it.
    for column, table in (('owner_org_id', 'organisations'), ('owner_id', 'users')):
        constraint = f'fk_cases_{column}_{table}'
        if op.get_bind().dialect.name == "sqlite":  # SQLite adds a column with its REFERENCES, not a constraint
            op.execute(f"ALTER TABLE cases ADD COLUMN {column} INTEGER CONSTRAINT {constraint} REFERENCES {table} (id)")
        else:
            op.add_column('cases', sa.Column(column, sa.Integer(), nullable=True))
            op.create_foreign_key(constraint, 'cases', table, [column], ['id'])
    op.add_column('cases', sa.Column('urgent', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('cases', sa.Column('status_since', models.base.UTCDateTime(), nullable=True))
    op.add_column('cases', sa.Column('late_since', models.base.UTCDateTime(), nullable=True))
    op.create_index('ix_cases_owner_org_id', 'cases', ['owner_org_id'])
    op.create_index('ix_cases_owner_id', 'cases', ['owner_id'])
    op.execute("UPDATE cases SET status_since = updated_at")

    with op.batch_alter_table('choice_options', schema=None) as batch_op:
        batch_op.add_column(sa.Column('urgent', sa.Boolean(), server_default=sa.false(), nullable=False))
    choice_options = sa.table('choice_options', sa.column('list_name'), sa.column('code'), sa.column('label'),
                              sa.column('official_category'), sa.column('position'), sa.column('active'),
                              sa.column('urgent'))
    op.bulk_insert(choice_options, [
        {"list_name": list_name, "code": code, "label": label, "official_category": official,
         "position": position, "active": True, "urgent": True}
        for list_name, options in SEED.items() for code, label, official, position in options])
    for (list_name, code), position in REPOSITION.items():
        op.execute(choice_options.update().where(choice_options.c.list_name == list_name,
                                                 choice_options.c.code == code).values(position=position))

    with op.batch_alter_table('case_photos', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consented_at', models.base.UTCDateTime(), nullable=True))
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pushes', sa.Integer(), server_default='0', nullable=False))

    op.create_table('case_transfers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('to_user_id', sa.Integer(), nullable=True),
    sa.Column('to_org_id', sa.Integer(), nullable=True),
    sa.Column('to_area_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('reason_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_transfers_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_user_id'], ['users.id'], name=op.f('fk_case_transfers_to_user_id_users')),
    sa.ForeignKeyConstraint(['to_org_id'], ['organisations.id'], name=op.f('fk_case_transfers_to_org_id_organisations')),
    sa.ForeignKeyConstraint(['to_area_id'], ['areas.id'], name=op.f('fk_case_transfers_to_area_id_areas')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_case_transfers_requested_by_id_users')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_case_transfers_decided_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_transfers'))
    )
    op.create_index('ix_case_transfers_case_id', 'case_transfers', ['case_id'])
    op.create_index('ix_case_transfers_to_user_id', 'case_transfers', ['to_user_id'])
    op.create_index('ix_case_transfers_to_org_id', 'case_transfers', ['to_org_id'])
    op.create_index('uq_case_transfers_pending_case', 'case_transfers', ['case_id'], unique=True,
                    postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))

    op.create_table('notice_settings',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notice_settings_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'kind', name=op.f('pk_notice_settings'))
    )
    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('sent_at', models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notices_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_notices_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices'))
    )
    op.create_index('ix_notices_case_id', 'notices', ['case_id'])
    op.create_index('ix_notices_due', 'notices', ['sent_at', 'user_id'])
    op.create_table('push_usage',
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('pushes', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', name=op.f('pk_push_usage'))
    )

    step_deadlines = op.create_table('step_deadlines',
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=100), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('status', name=op.f('pk_step_deadlines'))
    )
    op.bulk_insert(step_deadlines, [{"status": status, "days": days, "action": action, "active": True}
                                    for status, days, action in STEP_DEADLINES])
    follow_up_rounds = op.create_table('follow_up_rounds',
    sa.Column('day', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_follow_up_rounds'))
    )
    op.bulk_insert(follow_up_rounds, [{"day": day, "active": True} for day in FOLLOW_UP_ROUNDS])


def downgrade() -> None:
    op.drop_table('follow_up_rounds')
    op.drop_table('step_deadlines')
    op.drop_table('push_usage')
    op.drop_index('ix_notices_due', table_name='notices')
    op.drop_index('ix_notices_case_id', table_name='notices')
    op.drop_table('notices')
    op.drop_table('notice_settings')
    op.drop_index('uq_case_transfers_pending_case', table_name='case_transfers',
                  postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))
    op.drop_index('ix_case_transfers_to_org_id', table_name='case_transfers')
    op.drop_index('ix_case_transfers_to_user_id', table_name='case_transfers')
    op.drop_index('ix_case_transfers_case_id', table_name='case_transfers')
    op.drop_table('case_transfers')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('pushes')
    with op.batch_alter_table('case_photos', schema=None) as batch_op:
        batch_op.drop_column('consented_at')
    op.execute("UPDATE choice_options SET position = 8 WHERE list_name = 'reason' AND code = 'other'")
    op.execute("DELETE FROM choice_options WHERE list_name = 'reason' AND code IN "
               "('abuse', 'child_labour', 'exploited', 'no_carer')")
    with op.batch_alter_table('choice_options', schema=None) as batch_op:
        batch_op.drop_column('urgent')
    op.drop_index('ix_cases_owner_id', table_name='cases')
    op.drop_index('ix_cases_owner_org_id', table_name='cases')
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint('fk_cases_owner_id_users', 'cases', type_='foreignkey')
        op.drop_constraint('fk_cases_owner_org_id_organisations', 'cases', type_='foreignkey')
    for column in ('late_since', 'status_since', 'urgent', 'owner_id', 'owner_org_id'):
        op.drop_column('cases', column)
