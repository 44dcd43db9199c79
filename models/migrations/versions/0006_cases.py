"""cases, case history, photos, choice lists (seeded)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 16:46:32.418978
"""
from alembic import op
import sqlalchemy as sa
import models.base

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# The lists reporters choose from: (code, label, the programme's official category it counts under,
# one of the 19 on its dashboard, where one fits). Coordinators change them in the table afterwards;
# these are only the first version.
SEED = {
    "situation": [
        ("at_home", "อยู่บ้าน ไม่ได้เรียน", None),
        ("working", "ทำงานหารายได้", None),
        ("caring", "ดูแลครอบครัว/ผู้ป่วย", None),
        ("illness", "พิการ/เจ็บป่วย", None),
        ("married", "สมรส/ตั้งครรภ์", None),
        ("moved_with_parents", "ย้ายตามผู้ปกครอง", None),
        ("other", "อื่น ๆ", None),
    ],
    "reason": [
        ("poverty", "ยากจน/ขาดค่าใช้จ่าย", "ผู้ปกครองมีรายได้น้อย ไม่พอเพียง"),
        ("distance", "บ้านไกล/เดินทางลำบาก", "การคมนาคมไม่สะดวก"),
        ("family", "ปัญหาครอบครัว", "สภาพของครอบครัว"),
        ("health", "สุขภาพ/ความพิการ", "สุขภาพอนามัย"),
        ("learning", "เรียนไม่ทัน/เรียนยาก", None),
        ("behaviour", "พฤติกรรม/ยาเสพติด", "การประพฤติ ปฏิบัติขัดกับระเบียบของสถานศึกษา"),
        ("migration", "ย้ายถิ่นที่อยู่", "ย้ายถิ่นที่อยู่"),
        ("no_documents", "ไม่มีเอกสาร/สัญชาติ", None),
        ("other", "อื่น ๆ", "ไม่ระบุ"),
    ],
    "wants": [
        ("formal_school", "กลับเข้าโรงเรียน", None),
        ("non_formal", "เรียน สกร./กศน.", None),
        ("vocational", "เรียนสายอาชีพ", None),
        ("skills_training", "ฝึกอาชีพระยะสั้น", None),
        ("not_now", "ยังไม่พร้อมเรียน", None),
    ],
}


def upgrade() -> None:
    choice_options = op.create_table('choice_options',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('list_name', sa.String(length=32), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('official_category', sa.String(length=100), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_choice_options')),
    sa.UniqueConstraint('list_name', 'code', name=op.f('uq_choice_options_list_name'))
    )
    op.bulk_insert(choice_options, [
        {"list_name": list_name, "code": code, "label": label, "official_category": official,
         "position": position, "active": True}
        for list_name, options in SEED.items()
        for position, (code, label, official) in enumerate(options)
    ])
    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=32), nullable=True),
    sa.Column('first_name', sa.String(length=100), nullable=False),
    sa.Column('last_name', sa.String(length=100), nullable=False),
    sa.Column('sex', sa.String(length=8), nullable=True),
    sa.Column('national_id', sa.String(length=13), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('age_years', sa.Integer(), nullable=True),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('address', sa.String(length=500), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('situation', sa.String(length=32), nullable=True),
    sa.Column('situation_note', sa.String(length=500), nullable=True),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('reason_note', sa.String(length=500), nullable=True),
    sa.Column('wants', sa.String(length=32), nullable=True),
    sa.Column('guardian_name', sa.String(length=200), nullable=True),
    sa.Column('guardian_phone', sa.String(length=20), nullable=True),
    sa.Column('reporter_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_cases_area_id_areas')),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_cases_reporter_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_reporter_id'), ['reporter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_status'), ['status'], unique=False)
        batch_op.create_index('uq_cases_name_birth_area', ['area_id', 'first_name', 'last_name', 'birth_date'], unique=True, postgresql_where=sa.text('national_id IS NULL AND birth_date IS NOT NULL'), sqlite_where=sa.text('national_id IS NULL AND birth_date IS NOT NULL'))
        batch_op.create_index('uq_cases_national_id', ['national_id'], unique=True, postgresql_where=sa.text('national_id IS NOT NULL'), sqlite_where=sa.text('national_id IS NOT NULL'))

    op.create_table('case_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('at', models.base.UTCDateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('from_status', sa.String(length=24), nullable=True),
    sa.Column('to_status', sa.String(length=24), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('details', models.base.JSONType, nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_case_events_actor_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_events_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_events'))
    )
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_events_case_id'), ['case_id'], unique=False)

    op.create_table('case_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('line_message_id', sa.String(length=32), nullable=False),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('content_type', sa.String(length=64), nullable=True),
    sa.Column('fetched_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('not_before', models.base.UTCDateTime(), nullable=False),
    sa.Column('claimed_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_photos_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sent_by_id'], ['users.id'], name=op.f('fk_case_photos_sent_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_photos'))
    )
    with op.batch_alter_table('case_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_photos_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_case_photos_due', ['status', 'not_before'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('case_photos', schema=None) as batch_op:
        batch_op.drop_index('ix_case_photos_due')
        batch_op.drop_index(batch_op.f('ix_case_photos_case_id'))

    op.drop_table('case_photos')
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_events_case_id'))

    op.drop_table('case_events')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('uq_cases_national_id', postgresql_where=sa.text('national_id IS NOT NULL'), sqlite_where=sa.text('national_id IS NOT NULL'))
        batch_op.drop_index('uq_cases_name_birth_area', postgresql_where=sa.text('national_id IS NULL AND birth_date IS NOT NULL'), sqlite_where=sa.text('national_id IS NULL AND birth_date IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_cases_status'))
        batch_op.drop_index(batch_op.f('ix_cases_reporter_id'))
        batch_op.drop_index(batch_op.f('ix_cases_area_id'))

    op.drop_table('cases')
    op.drop_table('choice_options')