"""`flask --app devtools demo-data`: a realistic province in an empty database, to try every feature in the
simulator within a minute.

Khon Kaen's districts and subdistricts (data/areas/40-khon-kaen.csv) with villages in a few
subdistricts; the organisations that take part (อบต./เทศบาล, schools, สพป., สกร., a vocational
college); a few hundred children in every state, each with a plausible history (those back in school
months or days ago, so stay-in-school checks fall due); a reporting deadline a few days ahead; two classes
on โรงเรียนบ้านสำราญ's watch list (students screened, some weeks of attendance, a home visit due, one
student raised), whose weekly check reaches the teacher who registers with the school's invite; and one
invite code per role, printed. It refuses a database
that already has cases: it is for a fresh development database, never for real data.
"""
from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from devtools.synthetic import generate_list
from domain import access, audit, people, watch
from domain.deadlines import create_deadline
from domain.thai_dates import BANGKOK, format_thai_date
from domain.thai_names import parse_title
from models import (
    LISTED,
    REPORTED,
    STATUSES,
    Area,
    Case,
    Deadline,
    User,
    choice_list,
    open_case,
    record_event,
    utcnow,
)
from models.database import get_db

AREAS_FILE = Path(__file__).resolve().parent.parent / "data" / "areas" / "40-khon-kaen.csv"
SEED = 2569
DEADLINE_IN_DAYS = 3

# Subdistricts that get villages (the reporters' buttons and the summary's deepest level).
VILLAGES = {
    "400101": ("บ้านโนนทัน", "บ้านหนองใหญ่", "บ้านศรีฐาน", "บ้านโนนชัย", "บ้านสามเหลี่ยม"),
    "400102": ("บ้านสำราญ", "บ้านโคกสี", "บ้านหนองไผ่", "บ้านดอนบม", "บ้านหนองแวง", "บ้านโนนม่วง"),
    "400104": ("บ้านท่าพระ", "บ้านหนองกุง", "บ้านคำไฮ", "บ้านโนนสะอาด"),
    "400201": ("บ้านฝาง", "บ้านหนองบัว", "บ้านโคกงาม", "บ้านป่าหวายนั่ง"),
}
ORGANISATIONS = [
    # (kind, name, code, areas)
    ("local_government", "เทศบาลนครขอนแก่น", "DEMO-LG-400101", ["400101"]),
    ("local_government", "องค์การบริหารส่วนตำบลสำราญ", "DEMO-LG-400102", ["400102"]),
    ("school", "โรงเรียนบ้านโนนทัน", "1040010101", ["400101"]),
    ("school", "โรงเรียนบ้านสำราญ", "1040010201", ["400102"]),
    ("primary_service_area", "สพป.ขอนแก่น เขต 1", "SPP40-1", ["4001", "4002"]),
    ("learning_promotion", "สกร.อำเภอเมืองขอนแก่น", "DEMO-SKR-4001", ["4001"]),
    ("vocational_college", "วิทยาลัยเทคนิคขอนแก่น", "DEMO-VC-40", ["40"]),
]
# Where each child's story ends, and how often.
ENDINGS = {"to_find": 24, "found": 18, "not_found": 10, "referred": 12, "back_in_school": 16, "staying": 8,
           "moved": 6, "closed": 6}
# The steps that lead there after "to_find" (a child reported from the field starts at "found").
PATHS = {
    "to_find": [], "found": ["found"], "not_found": ["not_found"], "referred": ["found", "referred"],
    "back_in_school": ["found", "referred", "back_in_school"], "staying": ["found", "back_in_school", "staying"],
    "moved": ["found", "moved"], "closed": ["not_found", "closed"],
}
NOTES = {
    "found": ["พบตัวที่บ้าน ผู้ปกครองให้ข้อมูลครบ", "พบตัวที่ไร่อ้อย กำลังช่วยผู้ปกครองทำงาน", "พบที่บ้านญาติ"],
    "not_found": ["ไปที่บ้าน 2 ครั้ง ไม่พบตัว เพื่อนบ้านแจ้งว่าไปทำงานต่างจังหวัด", "บ้านปิด ไม่มีผู้อาศัย"],
    "referred": ["ส่งต่อ สกร.อำเภอเมืองขอนแก่น", "ส่งต่อวิทยาลัยเทคนิคขอนแก่น", "ส่งต่อโรงเรียนบ้านสำราญ"],
    "back_in_school": ["กลับเข้าเรียนแล้ว ชั้น ม.1", "ลงทะเบียนเรียน สกร. ภาคเรียนนี้", "กลับเข้าเรียนแล้ว ชั้น ป.5"],
    "staying": ["ติดตามครบ 60 วัน ยังมาเรียนสม่ำเสมอ"],
    "moved": ["ย้ายตามผู้ปกครองไปจังหวัดชลบุรี", "ย้ายไปอยู่กับญาติที่กรุงเทพมหานคร"],
    "closed": ["ปิดเรื่อง: ไปทำงานต่างประเทศกับครอบครัว"],
}
# Who records each step: the village head, the teacher or the district coordinator (demo staff).
ACTED_BY = {"found": "reporter", "not_found": "reporter", "referred": "coordinator", "back_in_school": "teacher",
            "staying": "teacher", "moved": "coordinator", "closed": "coordinator"}
STAFF = {
    "reporter": ("สมบัติ ผู้ใหญ่บ้าน", "400102", None),
    "teacher": ("วิไลวรรณ ครูดี", None, "1040010201"),
    "coordinator": ("ประเสริฐ ประสานงาน", "4001", None),
}
INVITES = [
    # (role, area, organisation code, who it is for)
    ("reporter", "400102", "DEMO-LG-400102", "ผู้ใหญ่บ้าน/อบต. ตำบลสำราญ"),
    ("teacher", None, "1040010201", "ครู โรงเรียนบ้านสำราญ"),
    ("coordinator", None, "1040010201", "ผู้ประสานงานโรงเรียนบ้านสำราญ (รายชื่อเฝ้าระวังของโรงเรียน)"),
    ("coordinator", "4001", None, "ผู้ประสานงานอำเภอเมืองขอนแก่น"),
    ("coordinator", None, "SPP40-1", "ผู้ประสานงาน สพป.ขอนแก่น เขต 1"),
    ("coordinator", "40", None, "ผู้ประสานงานจังหวัดขอนแก่น (เห็นเลขประจำตัวเต็มในไฟล์ส่งออก)"),
    ("admin", None, None, "ผู้ดูแลระบบ (ทั้งประเทศ)"),
]


@click.command("demo-data")
@with_appcontext
@click.option("--children", default=400, show_default=True, type=click.IntRange(10, 20_000))
def demo_data(children: int) -> None:
    """Fill an empty database with a realistic province and print one invite code per role."""
    with get_db().transaction() as session:
        if session.scalar(select(Case.id).limit(1)) is not None:
            raise click.ClickException("this database already has cases: demo-data only fills a fresh database "
                                       "(for the simulator: delete instance/bot.sqlite3, then run it again)")
        statuses, deadline = fill(session, children, utcnow())
        click.echo(f"demo data: Khon Kaen, {sum(statuses.values())} children ("
                   + ", ".join(f"{STATUSES[status]} {n}" for status, n in statuses.most_common()) + ")")
        click.echo(f"deadline: {deadline.title}, due {format_thai_date(deadline.due_date)} "
                   "(a reminder every morning until then; the simulator's เลื่อนเวลา +1 วัน moves a day on)")
        click.echo("invite codes, 30 uses each (simulator: ลงทะเบียน, ยอมรับ, then the code):")
        for role, who, code in invites(session):
            click.echo(f"  {role:<12} {code}  {who}")


def fill(session: Session, children: int, now: datetime) -> tuple[Counter, Deadline]:
    """Areas, organisations, staff, `children` children with their histories and the deadline; returns the
    statuses and the deadline."""
    rng = random.Random(SEED)
    people.load_areas(session, people.read_area_csv(AREAS_FILE.read_bytes()))
    people.load_areas(session, [(0, f"{subdistrict}{moo:02d}", f"{name} หมู่ที่ {moo}")
                                for subdistrict, names in VILLAGES.items() for moo, name in enumerate(names, 1)])
    for kind, name, code, area_codes in ORGANISATIONS:
        people.save_organisation(session, kind, name, code, [people.find_area(session, c) for c in area_codes])
    staff = {role: _staff_member(session, i, role, *details, now) for i, (role, details) in enumerate(STAFF.items())}
    lists = {name: [code for code, _ in choice_list(session, name)] for name in ("situation", "reason", "wants")}
    statuses = Counter(_child(session, rng, row, staff, lists, now)
                       for row in _children(session, rng, children, now))
    deadline = _deadline(session, now, staff["coordinator"])
    _watch_list(session, rng, staff["teacher"], now)
    audit.record_cli(session, "demo_data", "database", None, children=sum(statuses.values()))
    return statuses, deadline


def _children(session: Session, rng: random.Random, count: int, now: datetime):
    """Children living mostly in อำเภอเมืองขอนแก่น's villages, the rest anywhere in the province."""
    names = dict(session.execute(select(Area.code, Area.name).where(Area.code.startswith("40"))).all())
    near = {code: name for code, name in names.items() if len(code) < 6 or code[:6] in VILLAGES}
    today = now.astimezone(BANGKOK).date()
    return (generate_list(count * 2 // 3, seed=rng.randint(0, 10**6), areas=near, today=today)
            + generate_list(count - count * 2 // 3, seed=rng.randint(0, 10**6), areas=names, today=today))


def _child(session: Session, rng: random.Random, row, staff: dict[str, User], lists: dict[str, list[str]],
           now: datetime) -> str:
    ending = rng.choices(list(ENDINGS), weights=list(ENDINGS.values()))[0]
    steps = list(PATHS[ending])
    reported = bool(steps and steps[0] == "found" and rng.random() < 0.4)  # found in the field, not listed
    at = now - timedelta(days=rng.uniform(15, 150))
    fields = {
        "source": REPORTED if reported else LISTED, "title": parse_title(row.title), "first_name": row.first_name,
        "last_name": row.last_name, "sex": row.sex, "national_id": row.national_id if rng.random() < 0.85 else None,
        "birth_date": row.birth_date, "area_id": session.scalar(select(Area.id).where(Area.code == row.area_code)),
        "address": f"{row.house_no} หมู่ {row.moo}" if row.moo else row.house_no,
    }
    if reported:
        fields.update(reporter_id=staff["reporter"].id, latitude=16.43 + rng.uniform(-0.05, 0.05),
                      longitude=102.83 + rng.uniform(-0.05, 0.05),
                      guardian_name=f"นาง{rng.choice(['สมศรี', 'บุญมี', 'คำปุน', 'ทองใบ'])} {row.last_name}",
                      guardian_phone=f"08{rng.randint(10_000_000, 99_999_999)}",
                      **{name: rng.choice(codes) for name, codes in lists.items()})
        steps = steps[1:]
    case, _ = open_case(session, fields, staff["reporter"] if reported else None, now=at,
                        status="found" if reported else "to_find", kind="reported" if reported else "listed")
    for step in steps:
        at = min(at + timedelta(days=rng.uniform(2, 25)), now - timedelta(hours=rng.uniform(1, 48)))
        if step == "found" and case.reason is None:  # what the family said when the child was found
            for name, codes in lists.items():
                setattr(case, name, rng.choice(codes))
        # "enrolled" is the line the stay-in-school checks count their rounds from.
        record_event(session, case, "enrolled" if step == "back_in_school" else "status", staff[ACTED_BY[step]],
                     now=at, to_status=step, note=rng.choice(NOTES[step]))
    return case.status


# The watch list's two classes at โรงเรียนบ้านสำราญ: (class, students), and how often each group is screened.
WATCH_CLASSES = (("ป.5/1", 14), ("ม.1/2", 10))
WATCH_GROUPS = {"normal": 6, "at_risk": 3, "problem": 1}
WATCH_ANSWERS = {"full": 7, "some": 2, "none": 1}


def _watch_list(session: Session, rng: random.Random, teacher: User, now: datetime) -> None:
    """Screened classes with a few weeks of attendance behind the students at risk (whoever registers as
    the school's teacher gets their weekly check: no student has a teacher of their own), and one
    student raised after two weeks away."""
    school = people.find_organisation(session, "1040010201")
    rules = watch.Rules()
    factors = [code for code, _ in choice_list(session, "risk_factor") if code != "other"]
    rows = generate_list(sum(n for _, n in WATCH_CLASSES), seed=rng.randint(0, 10**6),
                         today=now.astimezone(BANGKOK).date())
    for class_name, count in WATCH_CLASSES:
        for row in rows[:count]:
            group = rng.choices(list(WATCH_GROUPS), weights=list(WATCH_GROUPS.values()))[0]
            student, _ = watch.add_student(session, school, {
                "title": parse_title(row.title), "first_name": row.first_name, "last_name": row.last_name,
                "sex": row.sex, "national_id": row.national_id, "class_name": class_name, "group": group,
                "risk_factors": rng.sample(factors, rng.randint(1, 2)) if group != "normal" else None},
                teacher, now=now - timedelta(weeks=4), rules=rules, kind="imported")
            if group == "normal":
                continue
            for weeks_ago in (3, 2, 1):
                day = (now - timedelta(weeks=weeks_ago)).astimezone(BANGKOK).date()
                answer = rng.choices(list(WATCH_ANSWERS), weights=list(WATCH_ANSWERS.values()))[0]
                watch.record_attendance(session, student, watch.week_of(day), answer, teacher,
                                        now=now - timedelta(weeks=weeks_ago), rules=rules)
        rows = rows[count:]
    at_risk = next(student for student in watch.students_of(session, school)
                   if student.group == "at_risk" and student.status == "watching")
    for weeks_ago in (2, 1):  # two weeks away: raised, one more and the case opens
        watch.record_attendance(session, at_risk, watch.week_of((now - timedelta(weeks=weeks_ago)).date()), "none",
                                teacher, now=now - timedelta(weeks=weeks_ago, hours=-1), rules=rules)


def _staff_member(session: Session, i: int, role: str, name: str, area_code: str | None, org_code: str | None,
                  now: datetime) -> User:
    """A registered user who records the demo children's history. Not following: never sent anything."""
    user = User(line_user_id=f"Udemo{i:027d}", following=False, role=role, real_name=name,
                phone=f"080000000{i}", area=people.find_area(session, area_code) if area_code else None,
                organisation=people.find_organisation(session, org_code) if org_code else None,
                pdpa_accepted_at=now, registered_at=now, created_at=now)
    session.add(user)
    session.flush()
    return user


def _deadline(session: Session, now: datetime, coordinator: User) -> Deadline:
    """A reporting deadline for the province a few days ahead, reminding every day until it, so each day the
    simulator's clock moves (devtools/demo_clock.py) brings a reminder and the morning summary counts it."""
    due: date = now.astimezone(BANGKOK).date() + timedelta(days=DEADLINE_IN_DAYS)
    return create_deadline(session, title="รายงานผลการติดตามเด็กนอกระบบ รอบที่ 1", due_date=due,
                           area=people.find_area(session, "40"), roles=["reporter", "teacher"],
                           remind_days=list(range(DEADLINE_IN_DAYS, -1, -1)), created_by=coordinator)


def invites(session: Session) -> list[tuple[str, str, str]]:
    """(role, who it is for, code) of one invite per role, for 30 people over 30 days each."""
    made = []
    for role, area_code, org_code, who in INVITES:
        area = people.find_area(session, area_code) if area_code else None
        organisation = people.find_organisation(session, org_code) if org_code else None
        invite = people.create_invite(session, role, organisation, area, now=utcnow(), days=30, max_uses=30)
        audit.record_cli(session, "create", "invite", invite.id, area_code=area_code, role=role,
                         scope=list(access.roots(role, area, organisation)))
        made.append((role, who, people.format_invite_code(invite.code)))
    return made
