"""the watch list: students at risk of dropping out, their history, school terms, prevention owners

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 22:00:00.000000

watch_students and watch_events hold the students a school screens as at risk (models/watch.py);
their names, national IDs, risk factors and notes are encrypted like a case's. school_terms holds the
term dates and holidays per area (none here: domain.school_calendar has the national defaults).
users.owns_prevention marks the area office's coordinator told when a student is raised. The
"risk_factor" list is seeded like the other lists, with the words teachers type for each.
class_list_uploads holds the class lists schools send in the chat until they are imported or cancelled
(the file encrypted, a work queue like case_photos).
"""
from alembic import op
import sqlalchemy as sa
import models.base

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

SEED = {
    "risk_factor": [
        ("absent_often", "ขาดเรียนบ่อย", None),
        ("poverty", "ยากจน/ทุนเสมอภาค", None),
        ("family", "ครอบครัวแตกแยก", None),
        ("migrant", "ครอบครัวย้ายถิ่น", None),
        ("health", "สุขภาพ/ความพิการ", None),
        ("behaviour", "พฤติกรรมเสี่ยง", None),
        ("pregnancy", "ตั้งครรภ์", None),
        ("working", "ทำงานช่วยครอบครัว", None),
        ("learning", "เรียนไม่ทัน", None),
        ("other", "อื่น ๆ", None),
    ],
}
RISK_SYNONYMS = {
    "absent_often": ["ขาดเรียน", "ขาดบ่อย", "มาสาย", "ไม่ค่อยมา", "มาบ้างไม่มาบ้าง", "หนีเรียน", "โดดเรียน"],
    "poverty": ["ยากจน", "จน", "ทุนเสมอภาค", "กสศ", "ยากจนพิเศษ", "ไม่มีเงิน", "ขาดแคลน", "รายได้น้อย"],
    "family": ["ครอบครัวแตกแยก", "พ่อแม่แยกทาง", "หย่าร้าง", "อยู่กับยาย", "อยู่กับตายาย", "ปัญหาครอบครัว",
               "กำพร้า", "ไม่มีผู้ดูแล"],
    "migrant": ["ย้ายถิ่น", "ย้ายบ่อย", "ย้ายตามพ่อแม่", "แรงงานข้ามชาติ", "ต่างด้าว", "ไม่มีสัญชาติ",
                "ครอบครัวย้าย"],
    "health": ["สุขภาพ", "ป่วย", "ป่วยบ่อย", "พิการ", "โรคประจำตัว", "สมาธิสั้น", "ออทิสติก", "บกพร่อง"],
    "behaviour": ["พฤติกรรม", "ติดเกม", "ยาเสพติด", "ติดยา", "เกเร", "ทะเลาะวิวาท", "มั่วสุม", "ติดเพื่อน"],
    "pregnancy": ["ตั้งครรภ์", "ตั้งท้อง", "ท้อง", "มีลูก", "ท้องไม่พร้อม"],
    "working": ["ทำงาน", "ช่วยพ่อแม่ทำงาน", "ทำงานหาเงิน", "รับจ้าง", "ช่วยทำนา", "ขายของ", "ดูแลน้อง"],
    "learning": ["เรียนไม่ทัน", "อ่านไม่ออก", "เขียนไม่ได้", "เรียนช้า", "ผลการเรียนต่ำ", "ติด ร", "ติด 0",
                 "ซ้ำชั้น"],
    "other": ["อื่นๆ"],
}


def upgrade() -> None:
    op.create_table('watch_students',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('class_name', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=32), nullable=True),
    sa.Column('first_name', sa.Text(), nullable=False),
    sa.Column('last_name', sa.Text(), nullable=False),
    sa.Column('sex', sa.String(length=8), nullable=True),
    sa.Column('national_id', sa.String(length=80), nullable=True),
    sa.Column('group', sa.String(length=16), nullable=False),
    sa.Column('risk_factors', sa.Text(), nullable=True),
    sa.Column('risk_note', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('teacher_id', sa.Integer(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('visit_due', sa.Date(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('raised_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('left_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('forgotten_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('forgotten_key', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['school_id'], ['organisations.id'], name=op.f('fk_watch_students_school_id_organisations')),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_watch_students_area_id_areas')),
    sa.ForeignKeyConstraint(['teacher_id'], ['users.id'], name=op.f('fk_watch_students_teacher_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_watch_students_case_id_cases'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_watch_students'))
    )
    op.create_index('ix_watch_students_school_status', 'watch_students', ['school_id', 'status'])
    op.create_index('ix_watch_students_area_id', 'watch_students', ['area_id'])
    op.create_index('ix_watch_students_national_id', 'watch_students', ['national_id'])
    op.create_index('ix_watch_students_teacher_id', 'watch_students', ['teacher_id'])
    op.create_index('ix_watch_students_case_id', 'watch_students', ['case_id'])
    op.create_index('ix_watch_students_forgotten_key', 'watch_students', ['forgotten_key'])
    op.create_table('watch_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('at', models.base.UTCDateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('details', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['student_id'], ['watch_students.id'], name=op.f('fk_watch_events_student_id_watch_students'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_watch_events_actor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_watch_events'))
    )
    op.create_index('ix_watch_events_student_kind', 'watch_events', ['student_id', 'kind'])
    op.create_table('school_terms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_school_terms_area_id_areas'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school_terms'))
    )
    op.create_index('ix_school_terms_area_id', 'school_terms', ['area_id'])
    op.create_table('class_list_uploads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('line_message_id', sa.String(length=32), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('report', sa.Text(), nullable=True),
    sa.Column('rows', sa.Integer(), nullable=True),
    sa.Column('fetched_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('decided_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('decision', sa.String(length=16), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('not_before', models.base.UTCDateTime(), nullable=False),
    sa.Column('claimed_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_class_list_uploads_user_id_users')),
    sa.ForeignKeyConstraint(['school_id'], ['organisations.id'], name=op.f('fk_class_list_uploads_school_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_class_list_uploads'))
    )
    op.create_index('ix_class_list_uploads_user_id', 'class_list_uploads', ['user_id'])
    op.create_index('ix_class_list_uploads_due', 'class_list_uploads', ['status', 'not_before'])
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owns_prevention', sa.Boolean(), nullable=False, server_default=sa.false()))
    choice_options = sa.table('choice_options', sa.column('list_name'), sa.column('code'), sa.column('label'),
                              sa.column('official_category'), sa.column('position'), sa.column('active'),
                              sa.column('urgent'), sa.column('synonyms', models.base.JSONType))
    op.bulk_insert(choice_options, [
        {"list_name": list_name, "code": code, "label": label, "official_category": official, "position": position,
         "active": True, "urgent": False, "synonyms": RISK_SYNONYMS.get(code, [])}
        for list_name, options in SEED.items() for position, (code, label, official) in enumerate(options)])


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM choice_options WHERE list_name = 'risk_factor'"))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('owns_prevention')
    op.drop_index('ix_class_list_uploads_due', table_name='class_list_uploads')
    op.drop_index('ix_class_list_uploads_user_id', table_name='class_list_uploads')
    op.drop_table('class_list_uploads')
    op.drop_index('ix_school_terms_area_id', table_name='school_terms')
    op.drop_table('school_terms')
    op.drop_index('ix_watch_events_student_kind', table_name='watch_events')
    op.drop_table('watch_events')
    for index in ('ix_watch_students_forgotten_key', 'ix_watch_students_case_id', 'ix_watch_students_teacher_id', 'ix_watch_students_national_id',
                  'ix_watch_students_area_id', 'ix_watch_students_school_status'):
        op.drop_index(index, table_name='watch_students')
    op.drop_table('watch_students')
