"""`flask watch` and `flask terms`: a coordinator made the owner of prevention, and the school terms and
holidays of an area set, checked, shown and removed (bot/watch_cli.py)."""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from devtools.synthetic import to_csv
from domain import watch
from domain.school_calendar import calendar_for
from helpers import in_organisation
from models import Area, AuditEntry, Organisation, SchoolTerm, User, WatchStudent


def invoke(app, *args: str, ok: bool = True) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert (result.exit_code == 0) == ok, result.output
    return result.output


def audit_of(db, action: str) -> list[AuditEntry]:
    with db.transaction() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


# ----------------------------------------------------------------------------- the owner of prevention

def test_a_coordinator_made_owner_of_prevention_is_told_when_a_student_is_raised(app, db, registered, new_chat,
                                                                                   schools):
    province = registered(new_chat(), "coordinator", "40", real_name="นางอรุณี ป้องกัน", phone="0861111111")
    registered(new_chat(), "coordinator", "4001", phone="0862222222")  # nearer, but not an owner
    said = invoke(app, "watch", "owner", "086-111-1111")
    assert "นางอรุณี ป้องกัน (จังหวัดขอนแก่น): เป็นผู้รับผิดชอบงานป้องกันแล้ว" in said
    now = datetime(2026, 12, 1, 3, tzinfo=timezone.utc)
    with db.transaction() as session:
        owner = session.scalar(select(User).where(User.line_user_id == province.user_id))
        assert owner.owns_prevention
        student, _ = watch.add_student(session, session.get(Organisation, schools["nontan"]), {
            "first_name": "ทดลอง", "last_name": "ยกระดับ", "class_name": "ป.4/1"}, None, now=now, rules=watch.Rules())
        session.flush()
        assert watch.raise_student(session, student, None, now=now, reason="ขาดเรียน").tell == [owner]
    assert "ไม่ได้เป็นผู้รับผิดชอบงานป้องกันแล้ว" in invoke(app, "watch", "owner", province.user_id, "--off")
    assert [e.detail["owns_prevention"] for e in audit_of(db, "set_prevention_owner")] == [True, False]
    with db.transaction() as session:
        assert not session.scalar(select(User.owns_prevention).where(User.line_user_id == province.user_id))


def test_only_an_active_coordinator_can_own_prevention(app, db, registered, new_chat, schools):
    teacher = in_organisation(db, registered(new_chat(), "teacher", "400101", phone="0863333333"), schools["nontan"])
    assert "เป็นครู: เฉพาะผู้ประสานงานเป็นผู้รับผิดชอบงานป้องกันได้" in invoke(app, "watch", "owner", teacher.user_id,
                                                                               ok=False)
    registered(new_chat(), "coordinator", "4001", phone="0864444444")
    invoke(app, "users", "deactivate", "0864444444")
    assert "ถูกระงับการใช้งาน" in invoke(app, "watch", "owner", "0864444444", ok=False)
    assert "no user" in invoke(app, "watch", "owner", "Unobody", ok=False)
    assert audit_of(db, "set_prevention_owner") == []


# ----------------------------------------------------------------------------- terms and holidays

def test_an_areas_terms_and_holidays_are_set_shown_and_removed(app, db, areas):
    # Thai digits and the Buddhist era; the Christian era too.
    said = invoke(app, "terms", "set", "--area", "40", "--name", "ภาคเรียนที่ 1/2569", "--from", "๑๘/๕/๒๕๖๙",
                  "--to", "2569-10-09")
    assert "บันทึกภาคเรียน [" in said and "18 พ.ค. 2569 ถึง 9 ต.ค. 2569 (จังหวัดขอนแก่น)" in said
    invoke(app, "terms", "set", "--area", "40", "--name", "ภาคเรียนที่ 2/2569", "--from", "2026-11-09",
           "--to", "31 มี.ค. 2570")
    invoke(app, "terms", "set", "--national", "--name", "ภาคเรียนที่ 2/2569", "--from", "2569-11-01",
           "--to", "2570-03-31")
    invoke(app, "terms", "holiday", "--area", "4001", "--name", "วันมาฆบูชา", "--on", "2570-02-22")
    invoke(app, "terms", "holiday", "--area", "4001", "--name", "งานบุญบั้งไฟ", "--on", "2569-12-02",
           "--to", "2569-12-03")
    with db.transaction() as session:
        village = session.scalar(select(Area).where(Area.code == "40010101"))
        local = calendar_for(session, village)
        assert not local.is_school_day(date(2026, 11, 3)) and local.is_school_day(date(2026, 11, 10))
        assert not local.is_school_day(date(2027, 2, 22)) and local.is_school_day(date(2027, 2, 23))
        assert not local.is_school_day(date(2026, 12, 2))
        assert calendar_for(session, None).is_school_day(date(2026, 11, 3))
        ids = {row.name: row.id for row in session.scalars(select(SchoolTerm).where(SchoolTerm.area_id.is_not(None)))}
    shown = invoke(app, "terms", "show", "--area", "400101", "--year", "๒๕๖๙").splitlines()
    assert shown[0] == "ปฏิทินปีการศึกษา 2569 ของ ตำบลในเมือง อำเภอเมืองขอนแก่น จังหวัดขอนแก่น"
    terms = shown[shown.index("ภาคเรียน:") + 1:shown.index("วันหยุด:")]
    assert terms == [
        f"  [{ids['ภาคเรียนที่ 1/2569']}] ภาคเรียนที่ 1/2569: 18 พ.ค. 2569 ถึง 9 ต.ค. 2569 (จังหวัดขอนแก่น)",
        f"  [{ids['ภาคเรียนที่ 2/2569']}] ภาคเรียนที่ 2/2569: 9 พ.ย. 2569 ถึง 31 มี.ค. 2570 (จังหวัดขอนแก่น)",
        f"  [{ids['ภาคเรียนที่ 2/2569'] + 1}] ภาคเรียนที่ 2/2569: 1 พ.ย. 2569 ถึง 31 มี.ค. 2570 (ระดับประเทศ) "
        "(ไม่ใช้: มีภาคเรียนของพื้นที่ที่ใกล้กว่า)"]
    holidays = shown[shown.index("วันหยุด:") + 1:]
    assert f"  [{ids['งานบุญบั้งไฟ']}] งานบุญบั้งไฟ: 2 ธ.ค. 2569 ถึง 3 ธ.ค. 2569 (อำเภอเมืองขอนแก่น จังหวัดขอนแก่น)" \
        in holidays
    assert "  - วันพ่อแห่งชาติ: 5 ธ.ค. 2569 (ค่าเริ่มต้นระดับประเทศ)" in holidays
    assert holidays.index("  - วันพ่อแห่งชาติ: 5 ธ.ค. 2569 (ค่าเริ่มต้นระดับประเทศ)") < holidays.index(
        f"  [{ids['วันมาฆบูชา']}] วันมาฆบูชา: 22 ก.พ. 2570 (อำเภอเมืองขอนแก่น จังหวัดขอนแก่น)")
    # Elsewhere in the country, without rows of its own year: the national defaults.
    other_year = invoke(app, "terms", "show", "--year", "2571").splitlines()
    assert other_year[1:3] == ["ภาคเรียน:",
                               "  - ภาคเรียนที่ 1/2571: 16 พ.ค. 2571 ถึง 10 ต.ค. 2571 (ค่าเริ่มต้นระดับประเทศ)"]
    # Setting a term of the same name again changes its dates.
    said = invoke(app, "terms", "set", "--area", "40", "--name", "ภาคเรียนที่ 1/2569", "--from", "2569-05-16",
                  "--to", "2569-10-09")
    assert said.startswith(f"แก้วันที่ภาคเรียน [{ids['ภาคเรียนที่ 1/2569']}]")
    assert "ลบวันหยุด" in invoke(app, "terms", "remove", str(ids["งานบุญบั้งไฟ"]))
    assert "ไม่มีภาคเรียนหรือวันหยุดหมายเลข" in invoke(app, "terms", "remove", str(ids["งานบุญบั้งไฟ"]), ok=False)
    assert [e.action for e in audit_of(db, "set_term")] == ["set_term"] * 6
    assert len(audit_of(db, "remove_term")) == 1
    with db.transaction() as session:
        assert calendar_for(session, session.get(Area, areas["40010101"])).is_school_day(date(2026, 12, 2))


def test_a_wrong_term_is_refused_in_thai_and_nothing_is_saved(app, db, areas):
    invoke(app, "terms", "set", "--area", "4001", "--name", "ภาคเรียนที่ 2/2569", "--from", "2569-11-01",
           "--to", "2570-03-31")
    wrong = {
        ("--from", "2570-03-31", "--to", "2569-11-01"): "วันสิ้นสุด (1 พ.ย. 2569) อยู่ก่อนวันเริ่ม (31 มี.ค. 2570)",
        ("--from", "2569-05-16", "--to", "2570-03-31"): "ภาคเรียนยาวเกิน 7 เดือน",
        ("--from", "2570-04-20", "--to", "2570-06-30"): "ภาคเรียนต้องจบก่อนปีการศึกษาใหม่เริ่ม (16 พ.ค. 2570)",
        ("--from", "2569-10-15", "--to", "2569-11-15"): "ช่วงวันที่ซ้อนกับ",
        ("--from", "31/2/2570", "--to", "2570-03-31"): "วันเริ่ม: ไม่มีวันที่ 31 ก.พ. 2570",
        ("--from", "2569-05-16", "--to", "เมื่อวาน"): "วันสิ้นสุด: ไม่เข้าใจวันที่",
    }
    for dates, message in wrong.items():
        said = invoke(app, "terms", "set", "--area", "4001", "--name", "ภาคเรียนใหม่", *dates, ok=False)
        assert message in said, said
    # The same dates for another area, or as a holiday, do not overlap a term of this one.
    invoke(app, "terms", "set", "--area", "4002", "--name", "ภาคเรียนที่ 2/2569", "--from", "2569-10-15",
           "--to", "2570-03-15")
    invoke(app, "terms", "holiday", "--area", "4001", "--name", "ปิดภาคเรียนกลาง", "--on", "2569-10-15",
           "--to", "2569-11-15")
    assert "อย่างใดอย่างหนึ่ง" in invoke(app, "terms", "set", "--name", "x", "--from", "2569-11-01", "--to",
                                         "2569-12-01", ok=False)
    assert "อย่างใดอย่างหนึ่ง" in invoke(app, "terms", "holiday", "--national", "--area", "40", "--name", "x",
                                         "--on", "2569-11-01", ok=False)
    assert "no area with code" in invoke(app, "terms", "set", "--area", "99", "--name", "x", "--from",
                                         "2569-11-01", "--to", "2569-12-01", ok=False)
    assert "ชื่อภาคเรียนต้องมี 1 ถึง 100 ตัวอักษร" in invoke(app, "terms", "set", "--area", "40", "--name", "ก" * 101,
                                                          "--from", "2569-11-01", "--to", "2569-12-01", ok=False)
    assert "ปีการศึกษาเป็น พ.ศ." in invoke(app, "terms", "show", "--year", "2026", ok=False)
    with db.transaction() as session:
        assert len(session.scalars(select(SchoolTerm)).all()) == 3


# ----------------------------------------------------------------------------- importing a class list

ID = "1103702071838"
HEADER = ["ที่", "เลขประจำตัวประชาชน", "คำนำหน้า", "ชื่อ", "นามสกุล", "ชั้น", "ห้อง", "ผลการคัดกรอง", "ปัจจัยเสี่ยง",
          "หมายเหตุ"]
LINES = [
    ["1", ID, "ด.ช.", "สมชาย", "ใจดี", "ป.5", "1", "กลุ่มเสี่ยง", "ขาดเรียนบ่อย, ยากจน ชอบเล่นว่าวกลางทุ่ง", ""],
    ["2", "", "ด.ญ.", "สมหญิง", "รักเรียน", "ป.5", "1", "ปกติ", "", ""],
    ["3", "", "เด็กชาย", "มานะ", "อดทน", "ป.5", "2", "กลุ่มมีปัญหา", "พ่อแม่แยกทาง/ติดเกม", "อยู่กับยาย"],
    ["4", "", "", "", "", "ป.5", "2", "กลุ่มเสี่ยง", "", ""],  # no name: refused
]


def class_list(tmp_path, lines=LINES, name: str = "ป5.csv"):
    path = tmp_path / name
    path.write_bytes(to_csv([["รายชื่อนักเรียนจากการคัดกรอง ปีการศึกษา 2569"], HEADER, *lines]))
    return path


def students(db) -> dict[str, WatchStudent]:
    with db.transaction() as session:
        found = session.scalars(select(WatchStudent).options(selectinload(WatchStudent.events))).all()
        session.expunge_all()
        return {student.first_name: student for student in found}


def test_a_class_list_is_imported_once_and_imported_again_changes_nothing(app, db, schools, registered, new_chat,
                                                                           tmp_path):
    teacher = in_organisation(db, registered(new_chat(), "teacher", "400101", real_name="ครูวันดี"),
                              schools["nontan"])
    path = class_list(tmp_path)
    checked = invoke(app, "watch", "import", str(path), "--school", "1040010101", "--dry-run")
    assert "นำเข้าได้ 3 คน, ไม่ผ่าน 1 แถว" in checked and "ตรวจสอบอย่างเดียว (--dry-run)" in checked
    assert "ชอบเล่นว่าวกลางทุ่ง (1 คน)" in checked  # kept as อื่น ๆ: a coordinator may add it as a synonym
    assert (tmp_path / "ป5.csv.errors.csv").exists() and students(db) == {}

    said = invoke(app, "watch", "import", str(path), "--school", "1040010101", "--yes", "--teacher", teacher.user_id)
    assert "เพิ่ม 3 คน, ปรับข้อมูล 0 คน, ไม่เปลี่ยนแปลง 0 คน" in said
    found = students(db)
    somchai, somying, mana = found["สมชาย"], found["สมหญิง"], found["มานะ"]
    assert (somchai.national_id, somchai.title, somchai.sex, somchai.class_name, somchai.group) == (
        ID, "ด.ช.", "male", "ป.5/1", "at_risk")
    assert somchai.risk_factors == ["absent_often", "poverty", "other"] and somchai.risk_note == "ชอบเล่นว่าวกลางทุ่ง"
    assert (somying.group, somying.risk_factors, somying.risk_note) == ("normal", None, None)
    assert (mana.class_name, mana.group, mana.risk_factors, mana.risk_note) == (
        "ป.5/2", "problem", ["family", "behaviour"], "อยู่กับยาย")
    assert mana.visit_due is not None  # กลุ่มมีปัญหา: a home visit due
    assert {s.teacher_id for s in found.values()} == {user_id(db, teacher)}
    assert all([e.kind for e in s.events] == ["imported"] and s.events[0].source == "cli" for s in found.values())
    [entry] = audit_of(db, "import")
    assert (entry.subject_type, entry.area_code, entry.detail["added"], entry.detail["rejected"]) == (
        "watch_list", "400101", 3, 1)

    again = invoke(app, "watch", "import", str(path), "--school", "1040010101", "--yes")
    assert "เพิ่ม 0 คน, ปรับข้อมูล 0 คน, ไม่เปลี่ยนแปลง 3 คน" in again
    assert [len(s.events) for s in students(db).values()] == [1, 1, 1]

    # A newer list: สมหญิง screened กลุ่มเสี่ยง now, and a student added in chat meanwhile is found by name.
    with db.transaction() as session:
        watch.add_student(session, session.get(Organisation, schools["nontan"]), {
            "first_name": "ชูใจ", "last_name": "เลิศล้ำ", "class_name": "ป.5/2", "group": "at_risk"}, None,
            now=datetime.now(timezone.utc), rules=watch.Rules())
    newer = [LINES[0], [*LINES[1][:7], "กลุ่มเสี่ยง", "เรียนไม่ทัน", ""], LINES[2],
             ["5", "", "ด.ญ.", "ชูใจ", "เลิศล้ำ", "ป.5", "2", "กลุ่มมีปัญหา", "", ""]]
    said = invoke(app, "watch", "import", str(class_list(tmp_path, newer)), "--school", "1040010101", "--yes")
    assert "เพิ่ม 0 คน, ปรับข้อมูล 2 คน, ไม่เปลี่ยนแปลง 2 คน" in said
    found = students(db)
    assert (found["สมหญิง"].group, found["สมหญิง"].risk_factors) == ("at_risk", ["learning"])
    assert found["ชูใจ"].group == "problem" and len(found) == 4


def user_id(db, chat) -> int:
    with db.transaction() as session:
        return session.scalar(select(User.id).where(User.line_user_id == chat.user_id))


def test_an_import_asks_first_and_refuses_a_wrong_school_teacher_or_file(app, db, schools, registered, new_chat,
                                                                        tmp_path):
    path = class_list(tmp_path)
    result = app.test_cli_runner().invoke(args=["watch", "import", str(path), "--school", "1040010101"], input="n\n")
    assert result.exit_code != 0 and "นำเข้านักเรียน 3 คนในรายชื่อเฝ้าระวังของโรงเรียนบ้านโนนทัน (ไม่ผ่าน 1 แถว" \
        in result.output
    other = in_organisation(db, registered(new_chat(), "teacher", "400102"), schools["samran"])
    for args, message in (
            (("--school", "9999999999"), "ไม่มีโรงเรียนรหัส"),
            (("--school", "SPP40-1"), "ไม่มีโรงเรียนรหัส"),  # a service area office, not a school
            (("--school", "1040010101", "--teacher", other.user_id), "ไม่ใช่ครูของโรงเรียนบ้านโนนทัน")):
        assert message in invoke(app, "watch", "import", str(path), *args, "--yes", ok=False)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a spreadsheet")
    said = invoke(app, "watch", "import", str(broken), "--school", "1040010101", "--yes", ok=False)
    assert said.startswith("Error: ") and "Traceback" not in said, said  # the reader's Thai reason
    nobody = class_list(tmp_path, [LINES[3]], "empty.csv")
    assert "ไม่มีแถวที่นำเข้าได้" in invoke(app, "watch", "import", str(nobody), "--school", "1040010101", "--yes",
                                            ok=False)
    assert students(db) == {} and audit_of(db, "import") == []
