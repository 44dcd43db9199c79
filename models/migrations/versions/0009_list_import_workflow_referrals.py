"""list fields on cases, the chat message behind each case event, referrals, close and decline reasons

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 17:27:12.611096
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# Two more of the coordinators' lists (choice_options), as (code, label, official category): why a
# case was closed, and why an organisation declined a referral. Labels fit a LINE button (20 characters).
SEED = {
    "close_reason": [
        ("staying_in_school", "เรียนต่อเนื่องแล้ว", None),
        ("other_affiliation", "เรียนในสังกัดอื่น", "เข้าเรียนในสถานศึกษาสังกัดอื่น"),
        ("abroad", "ไปเรียนต่างประเทศ", "ไปเรียนต่อต่างประเทศ"),
        ("finished_compulsory", "จบภาคบังคับแล้ว", "จบการศึกษาภาคบังคับและไม่ประสงค์จะเข้าเรียนต่อ"),
        ("over_age", "อายุพ้นเกณฑ์", "อายุพ้นเกณฑ์และไม่ประสงค์จะเรียนต่อ"),
        ("deceased", "เสียชีวิต", "เสียชีวิต"),
        ("moved_away", "ย้ายไป ติดตามไม่ได้", "ย้ายถิ่นที่อยู่"),
        ("duplicate", "รายชื่อซ้ำ", None),
        ("wrong_entry", "ข้อมูลผิดพลาด", None),
        ("other", "อื่น ๆ", "ไม่ระบุ"),
    ],
    "decline_reason": [
        ("no_place", "ไม่มีที่เรียนว่าง", None),
        ("not_suitable", "ไม่ตรงกับความต้องการ", None),
        ("out_of_area", "อยู่นอกพื้นที่บริการ", None),
        ("no_contact", "ติดต่อครอบครัวไม่ได้", None),
        ("other", "อื่น ๆ", None),
    ],
}


def upgrade() -> None:
    op.create_table('referrals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('referred_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('reason_note', sa.Text(), nullable=True),
    sa.Column('enrolled_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_referrals_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_referrals_decided_by_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_referrals_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['referred_by_id'], ['users.id'], name=op.f('fk_referrals_referred_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals'))
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referrals_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('uq_referrals_open_case', ['case_id'], unique=True, postgresql_where=sa.text("status IN ('pending', 'accepted')"), sqlite_where=sa.text("status IN ('pending', 'accepted')"))

    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=64), nullable=True))

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('grade', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('previous_school', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('affiliation', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('list_group', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('school_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('enrolled_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('closed_reason', sa.String(length=32), nullable=True))

    choice_options = sa.table('choice_options', sa.column('list_name'), sa.column('code'), sa.column('label'),
                              sa.column('official_category'), sa.column('position'), sa.column('active'))
    op.bulk_insert(choice_options, [
        {"list_name": list_name, "code": code, "label": label, "official_category": official,
         "position": position, "active": True}
        for list_name, options in SEED.items()
        for position, (code, label, official) in enumerate(options)
    ])


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM choice_options WHERE list_name IN ('close_reason', 'decline_reason')"))
    # Plain ALTERs, not a batch: on SQLite a batch drop rebuilds the cases table without the triggers
    # 0008 made (cases.area_code), and 0008's downgrade, next, drops them.
    for column in ('closed_reason', 'enrolled_on', 'school_name', 'list_group', 'affiliation', 'previous_school',
                   'grade'):
        op.drop_column('cases', column)

    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_column('source')

    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index('uq_referrals_open_case', postgresql_where=sa.text("status IN ('pending', 'accepted')"), sqlite_where=sa.text("status IN ('pending', 'accepted')"))
        batch_op.drop_index(batch_op.f('ix_referrals_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_referrals_case_id'))

    op.drop_table('referrals')
