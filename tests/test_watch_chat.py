"""The watch list in chat, as teachers and coordinators use it: adding a student in one flow (the name with its
title, the class in Thai digits, the group, several risk factors tapped and typed, cancel, back, a bad class),
the list and the student's card, changing the group and taking a student off the list; and everyone the
list is not for: a teacher of another school (also with forged buttons), a village head, a teacher without
a school. Every reply is checked against LINE's limits (helpers.checked)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from chat.flow import CARRY_ON, CONFIRM_CANCEL
from domain import access, watch
from domain.menu_labels import MENU_ADD_STUDENT, MENU_WATCH_LIST
from domain.thai_dates import format_thai_date
from helpers import all_text, bubbles, buttons_of, card_rows, checked, in_organisation, quick_reply_labels
from models import AuditEntry, Organisation, User, WatchStudent, utcnow

DONE = "เสร็จแล้ว"


pytestmark = pytest.mark.usefixtures("no_handler_failed")


@pytest.fixture
def teacher(new_chat, registered, db, organisations):
    """A teacher of โรงเรียนบ้านโนนทัน (ตำบลในเมือง)."""
    return in_organisation(db, registered(new_chat(), "teacher", "400101", real_name="ครูสมใจ ใจดี"),
                           organisations["1040010101"])


@pytest.fixture
def other_teacher(new_chat, registered, db, schools):
    """A teacher of โรงเรียนบ้านสำราญ, the next subdistrict of the same district."""
    return in_organisation(db, registered(new_chat(), "teacher", None), schools["samran"])


@pytest.fixture
def coordinator(new_chat, registered):
    """A coordinator of อำเภอเมืองขอนแก่น (both schools' district), with no school of their own."""
    return registered(new_chat(), "coordinator", "4001")


def say(chat, *texts: str) -> list[dict]:
    reply: list[dict] = []
    for said in texts:
        reply = checked(chat.says(said))
    return reply


def tap(chat, data: str) -> list[dict]:
    return checked(chat.taps(data))


def shown(reply: list[dict]) -> str:
    return "\n".join(all_text(message) for message in reply)


def students(db) -> list[WatchStudent]:
    with db.transaction() as session:
        found = list(session.scalars(select(WatchStudent).order_by(WatchStudent.id)))
        for student in found:  # read while the session is open: the columns are decrypted on load
            _ = (student.first_name, student.risk_factors, student.risk_note)
        return found


def put_on_list(db, school_id: int, first: str, class_name: str, group: str, factors=("poverty",)) -> int:
    """A student added through the domain, as an import or another teacher would have."""
    with db.transaction() as session:
        school = session.get(Organisation, school_id)
        student, _ = watch.add_student(session, school, {
            "title": "เด็กชาย", "first_name": first, "last_name": "ทดสอบ", "sex": "male", "class_name": class_name,
            "group": group, "risk_factors": list(factors)}, None, now=utcnow(), rules=watch.Rules())
        session.flush()
        return student.id


def audited(db, action: str) -> list[AuditEntry]:
    with db.transaction() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.subject_type == "watch_student",
                                                            AuditEntry.action == action).order_by(AuditEntry.id)))


# ------------------------------------------------------------------ adding a student

def test_a_teacher_adds_a_student_tapping_and_typing_several_risk_factors(teacher, db, organisations):
    intro, asked = say(teacher, MENU_ADD_STUDENT)
    assert "โรงเรียนบ้านโนนทัน" in intro["text"] and "ชื่อและนามสกุลของนักเรียน" in asked["text"]
    # The title tells the sex: neither is asked.
    [asked] = say(teacher, "ด.ญ.มาลี ดีใจ")
    assert "ชั้นใด" in asked["text"]
    [asked] = say(teacher, "ป.๕/๑")
    assert quick_reply_labels(asked)[:3] == ["ปกติ", "กลุ่มเสี่ยง", "กลุ่มมีปัญหา"]
    [asked] = say(teacher, "กลุ่มมีปัญหา")
    assert "ปัจจัยเสี่ยง" in asked["text"] and DONE not in quick_reply_labels(asked)
    assert "ยากจน/ทุนเสมอภาค" in quick_reply_labels(asked) and len(quick_reply_labels(asked)) == 12
    [asked] = say(teacher, "ยากจน/ทุนเสมอภาค")  # a tap
    assert "เลือกแล้ว: ยากจน/ทุนเสมอภาค" in asked["text"]
    assert quick_reply_labels(asked)[:2] == [DONE, "ขาดเรียนบ่อย"] and "✓ ยากจน/ทุนเสมอภาค" in quick_reply_labels(asked)
    [asked] = say(teacher, "ขาดเรียนบ่อย พ่อแม่แยกทาง")  # typed: a label and a synonym
    assert "เลือกแล้ว: ยากจน/ทุนเสมอภาค, ขาดเรียนบ่อย, ครอบครัวแตกแยก" in asked["text"]
    [asked] = say(teacher, "✓ ครอบครัวแตกแยก")  # tapped again: taken off
    assert "เลือกแล้ว: ยากจน/ทุนเสมอภาค, ขาดเรียนบ่อย\n" in asked["text"]
    [asked] = say(teacher, "อื่น ๆ", DONE)
    assert "อื่น ๆ คืออะไร" in asked["text"]
    [asked] = say(teacher, "ต้องดูแลน้องเล็กตอนเช้า")
    assert "บันทึกเพิ่มเติม" in asked["text"]
    [confirm] = say(teacher, "ข้าม")
    rows = card_rows(confirm)
    assert rows["ชื่อ"] == "เด็กหญิง มาลี ดีใจ" and rows["เพศ"] == "หญิง" and rows["ชั้น"] == "ป.5/1"
    assert rows["กลุ่ม"] == "กลุ่มมีปัญหา"
    assert rows["ปัจจัยเสี่ยง"] == "ยากจน/ทุนเสมอภาค, ขาดเรียนบ่อย, อื่น ๆ (ต้องดูแลน้องเล็กตอนเช้า)"
    done, student_card = say(teacher, "ยืนยัน")
    assert done["text"] == "✅ เพิ่ม เด็กหญิง มาลี ดีใจ (ป.5/1) ในรายชื่อเฝ้าระวังของโรงเรียนบ้านโนนทันแล้วค่ะ"
    assert "เยี่ยมบ้านภายใน" in card_rows(student_card) and "บันทึกเยี่ยมบ้าน" in buttons_of(bubbles(student_card)[0])
    [student] = students(db)
    with db.transaction() as session:
        teacher_id = session.scalar(select(User.id).where(User.line_user_id == teacher.user_id))
    assert (student.title, student.first_name, student.last_name, student.sex) == ("เด็กหญิง", "มาลี", "ดีใจ", "female")
    assert (student.class_name, student.group, student.status) == ("ป.5/1", "problem", "watching")
    assert student.risk_factors == ["poverty", "absent_often", "other"]
    assert student.risk_note == "ต้องดูแลน้องเล็กตอนเช้า" and student.visit_due is not None
    assert student.school_id == organisations["1040010101"] and student.teacher_id == teacher_id
    assert [entry.detail["via"] for entry in audited(db, "create")] == ["watch_add"]


def test_cancel_asks_once_back_goes_to_the_question_before_and_a_bad_class_is_explained(teacher, db):
    # Nothing answered yet: cancelled at once.
    say(teacher, MENU_ADD_STUDENT)
    [cancelled] = say(teacher, "ยกเลิก")
    assert "ยังไม่ได้เพิ่มนักเรียน" in cancelled["text"] and MENU_WATCH_LIST in quick_reply_labels(cancelled)
    say(teacher, MENU_ADD_STUDENT, "มาลี ดีใจ")
    [asked] = say(teacher, "ยกเลิก")
    assert "ยกเลิกการเพิ่ม มาลี ดีใจ ในรายชื่อเฝ้าระวัง ใช่ไหม" in asked["text"]
    assert quick_reply_labels(asked) == [CONFIRM_CANCEL, CARRY_ON]
    [asked] = say(teacher, CARRY_ON)
    assert "คำนำหน้า" in asked["text"]  # no title typed: asked, then the sex when it is skipped
    [asked] = say(teacher, "ไม่ระบุ")
    assert "เพศ" in asked["text"]
    say(teacher, "หญิง")
    for bad, why in (("ห้องสีฟ้า", "ไม่เข้าใจชั้น"), ("ป.9/1", "ป.1 ถึง ป.6")):
        [again] = say(teacher, bad)
        assert why in again["text"] and "ป.5/1" in again["text"] and "ชั้นใด" in again["text"]
    say(teacher, "ป.2/1")
    [asked] = say(teacher, "ย้อนกลับ")
    assert "ชั้นใด" in asked["text"]
    say(teacher, "ม.๓/๒", "กลุ่มเสี่ยง", "ขาดเรียนบ่อย", "ยากจน")
    [asked] = say(teacher, "ย้อนกลับ")  # from the factors (two taps) straight to the group
    assert "อยู่กลุ่มใด" in asked["text"]
    [asked] = say(teacher, "ปกติ")  # no factors for ปกติ
    assert "บันทึกเพิ่มเติม" in asked["text"]
    [confirm] = say(teacher, "ข้าม")
    assert card_rows(confirm)["ปัจจัยเสี่ยง"] == "-" and card_rows(confirm)["ชั้น"] == "ม.3/2"
    say(teacher, "ยืนยัน")
    [student] = students(db)
    assert (student.group, student.risk_factors, student.sex, student.title) == ("normal", [], "female", None)
    # The same student again: the one on the list is updated.
    say(teacher, MENU_ADD_STUDENT, "มาลี ดีใจ", "ไม่ระบุ", "หญิง", "ม.3/2", "กลุ่มเสี่ยง", "ยากจน", DONE, "ข้าม")
    done, _ = say(teacher, "ยืนยัน")
    assert "อยู่ในรายชื่อเฝ้าระวังของโรงเรียนบ้านโนนทันอยู่แล้ว ปรับข้อมูล" in done["text"]
    [student] = students(db)
    assert (student.group, student.risk_factors) == ("at_risk", ["poverty"])


def test_a_typed_factor_not_on_the_list_is_said_and_done_needs_one(teacher, db):
    say(teacher, MENU_ADD_STUDENT, "ด.ช.สมชาย ใจดี", "ป.4/2", "กลุ่มเสี่ยง")
    [again] = say(teacher, DONE)
    assert "อย่างน้อย 1 ข้อ" in again["text"]
    [again] = say(teacher, "ชอบดูการ์ตูน")
    assert "ไม่พบ" in again["text"] and "อื่น ๆ" in again["text"]
    [asked] = say(teacher, "ท้อง ชอบวาดรูป")  # one factor named, and the words naming none said
    assert "เลือกแล้ว: ตั้งครรภ์\n" in asked["text"] and "ไม่พบ “ชอบวาดรูป”" in asked["text"]
    [asked] = say(teacher, "ยากจน ขาดเรียน ชอบวาดรูป")  # several: each word, and the one naming none is said
    assert "เลือกแล้ว: ตั้งครรภ์, ยากจน/ทุนเสมอภาค, ขาดเรียนบ่อย" in asked["text"]
    assert "ไม่พบ “ชอบวาดรูป”" in asked["text"]
    [asked] = say(teacher, DONE)
    assert "บันทึกเพิ่มเติม" in asked["text"]
    # Edited from the card: the factors are asked again with those chosen.
    say(teacher, "ข้าม", "แก้ไข")
    [asked] = say(teacher, "ปัจจัยเสี่ยง")
    assert "เลือกแล้ว: ตั้งครรภ์" in asked["text"] and "ไม่พบ" not in asked["text"]
    [confirm] = say(teacher, "ทำงานช่วยครอบครัว", DONE)
    assert card_rows(confirm)["ปัจจัยเสี่ยง"] == "ตั้งครรภ์, ยากจน/ทุนเสมอภาค, ขาดเรียนบ่อย, ทำงานช่วยครอบครัว"
    say(teacher, "ยืนยัน")
    assert students(db)[0].risk_factors == ["pregnancy", "poverty", "absent_often", "working"]


def test_a_teacher_without_a_school_is_told_to_ask_their_coordinator(new_chat, registered):
    teacher = registered(new_chat(), "teacher", "400101")
    [told] = say(teacher, MENU_ADD_STUDENT)
    assert "ยังไม่ได้สังกัดโรงเรียน" in told["text"] and "ผู้ประสานงาน" in told["text"]


def test_a_coordinator_of_several_schools_picks_the_school(coordinator, db, schools):
    intro, asked = say(coordinator, MENU_ADD_STUDENT)
    assert "โรงเรียนใด" in asked["text"]
    assert {"โรงเรียนบ้านโนนทัน", "โรงเรียนบ้านสำราญ"} <= set(quick_reply_labels(asked))
    assert "โรงเรียนบ้านฝาง" not in quick_reply_labels(asked)  # another district's
    [again] = say(coordinator, "บ้านฝาง")
    assert "ไม่พบโรงเรียน" in again["text"]
    [asked] = say(coordinator, "สำราญ")
    assert "ชื่อและนามสกุล" in asked["text"]
    say(coordinator, "ด.ช.ก้อง ดีมาก", "ป.1/1", "ปกติ")
    [confirm] = say(coordinator, "ข้าม")
    assert card_rows(confirm)["โรงเรียน"] == "โรงเรียนบ้านสำราญ"
    say(coordinator, "ยืนยัน")
    [student] = students(db)
    assert student.school_id == schools["samran"] and student.teacher_id is None


# ------------------------------------------------------------------ the list and the card

def test_the_list_groups_by_class_problem_and_raised_first_and_the_card_has_the_weeks_buttons(teacher, db,
                                                                                              organisations):
    school = organisations["1040010101"]
    normal = put_on_list(db, school, "ปกติ", "ป.5/1", "normal", ())
    at_risk = put_on_list(db, school, "เสี่ยง", "ป.5/1", "at_risk")
    problem = put_on_list(db, school, "ปัญหา", "ป.5/1", "problem", ("poverty", "absent_often"))
    older = put_on_list(db, school, "พี่", "ป.6/1", "at_risk")
    with db.transaction() as session:
        session.get(WatchStudent, at_risk).status = "raised"
    heading, carousel = say(teacher, MENU_WATCH_LIST)
    assert "นักเรียนเฝ้าระวัง โรงเรียนบ้านโนนทัน 4 คน" in heading["text"]
    assert "• ป.5/1: 3 คน (มีปัญหา 1 · เสี่ยง 1 · ปกติ 1 · แจ้งเตือนแล้ว 1)" in heading["text"]
    cards = bubbles(carousel)
    assert [buttons_of(b)["ดูข้อมูล"] for b in cards] == [f"action=student&student={i}"
                                                          for i in (at_risk, problem, normal, older)]
    assert cards[0]["header"]["contents"][0]["text"] == "🔔 เด็กชาย เสี่ยง ทดสอบ"
    assert MENU_ADD_STUDENT in quick_reply_labels(carousel) and "ป.6/1" in quick_reply_labels(carousel)
    assert len(audited(db, "view")) == 4
    # One class.
    [class_button] = [item["action"] for item in carousel["quickReply"]["items"] if item["action"]["label"] == "ป.6/1"]
    heading, carousel = tap(teacher, class_button["data"])
    assert "ชั้น ป.6/1 1 คน" in heading["text"] and len(bubbles(carousel)) == 1
    assert "ทุกชั้น" in quick_reply_labels(carousel)
    # The card.
    [card] = tap(teacher, f"action=student&student={problem}")
    rows, buttons = card_rows(card), buttons_of(bubbles(card)[0])
    assert rows["ปัจจัยเสี่ยง"] == "ยากจน/ทุนเสมอภาค, ขาดเรียนบ่อย" and rows["โรงเรียน"] == "โรงเรียนบ้านโนนทัน"
    due = next(s for s in students(db) if s.id == problem).visit_due
    assert rows["มาเรียนล่าสุด"] == "ยังไม่ได้เช็ก" and rows["เยี่ยมบ้านภายใน"] == format_thai_date(due)
    assert "เพิ่มในรายชื่อเฝ้าระวัง: กลุ่มมีปัญหา" in rows["ความเป็นมา"]
    week = watch.week_of(watch.today(utcnow()))
    assert buttons["มาเรียนครบ"] == f"action=attend&student={problem}&week={week}&answer=full"
    assert buttons["ไม่มาเลย"].endswith("&answer=none") and buttons["ขาดบ้าง"].endswith("&answer=some")
    assert buttons["บันทึกเยี่ยมบ้าน"] == f"action=visit&student={problem}"
    assert buttons["หยุดเรียนแล้ว"] == f"action=watch_left&student={problem}"
    assert {"เปลี่ยนกลุ่ม", "เลิกเฝ้าระวัง"} <= buttons.keys()
    assert [entry.detail["via"] for entry in audited(db, "view")][-1] == "card"


def test_the_list_pages_ten_at_a_time(teacher, db, organisations):
    for n in range(12):
        put_on_list(db, organisations["1040010101"], f"คนที่{n}", "ป.3/1", "at_risk")
    heading, carousel = say(teacher, MENU_WATCH_LIST)
    assert "(หน้า 1/2)" in heading["text"] and len(bubbles(carousel)) == 10
    [next_page] = [item["action"] for item in carousel["quickReply"]["items"] if item["action"]["label"] == "ถัดไป"]
    heading, carousel = tap(teacher, next_page["data"])
    assert "(หน้า 2/2)" in heading["text"] and len(bubbles(carousel)) == 2


def test_a_teacher_of_another_school_sees_none_and_forged_buttons_are_refused(teacher, other_teacher, db,
                                                                              organisations):
    student = put_on_list(db, organisations["1040010101"], "มาลี", "ป.5/1", "at_risk")
    for nothing in (say(other_teacher, MENU_WATCH_LIST), tap(other_teacher, "action=watchlist")):
        assert "ยังไม่มีนักเรียนในรายชื่อเฝ้าระวัง" in nothing[0]["text"]
    for forged in (f"action=student&student={student}", f"action=watch_group&student={student}&group=normal",
                   f"action=watch_end&student={student}", f"action=watchlist&school={organisations['1040010101']}",
                   "action=student&student=999999", "action=student&student=x"):
        [refused] = tap(other_teacher, forged)
        assert "มาลี" not in shown([refused])
        if "watchlist" not in forged:
            assert refused["text"] == access.OUT_OF_SCOPE, forged
    [student_now] = students(db)
    assert (student_now.group, student_now.status) == ("at_risk", "watching")
    assert len(audited(db, "denied")) == 5 and not audited(db, "view")


def test_a_village_head_is_refused_everything(new_chat, registered, db, organisations):
    student = put_on_list(db, organisations["1040010101"], "มาลี", "ป.5/1", "at_risk")
    head = registered(new_chat(), "reporter", "400101")
    for reply in (say(head, MENU_WATCH_LIST), say(head, MENU_ADD_STUDENT),
                  tap(head, f"action=student&student={student}"), tap(head, f"action=watch_end&student={student}")):
        assert reply[0]["text"] == access.NOT_ALLOWED
    [menu] = say(head, "สวัสดี")
    assert MENU_WATCH_LIST not in quick_reply_labels(menu)


def test_a_district_coordinator_sees_each_schools_counts_then_its_students(teacher, coordinator, db, schools):
    nontan = put_on_list(db, schools["nontan"], "มาลี", "ป.5/1", "problem")
    put_on_list(db, schools["samran"], "ก้อง", "ป.2/1", "at_risk")
    put_on_list(db, schools["faang"], "ไกล", "ป.2/1", "at_risk")  # another district
    heading, carousel = say(coordinator, MENU_WATCH_LIST)
    assert "นักเรียนเฝ้าระวัง 2 คน ใน 2 โรงเรียน" in heading["text"]
    cards = {b["header"]["contents"][0]["text"]: b for b in bubbles(carousel)}
    assert set(cards) == {"โรงเรียนบ้านโนนทัน", "โรงเรียนบ้านสำราญ"}
    heading, carousel = tap(coordinator, buttons_of(cards["โรงเรียนบ้านโนนทัน"])["ดูรายชื่อ"])
    assert "โรงเรียนบ้านโนนทัน 1 คน" in heading["text"]
    assert [b["header"]["contents"][0]["text"] for b in bubbles(carousel)] == ["เด็กชาย มาลี ทดสอบ"]
    [card] = tap(coordinator, f"action=student&student={nontan}")
    assert card_rows(card)["กลุ่ม"] == "กลุ่มมีปัญหา"
    [menu] = say(coordinator, "สวัสดี")
    assert MENU_WATCH_LIST in quick_reply_labels(menu) and len(quick_reply_labels(menu)) <= 13
    # The school's teacher sees only their school's.
    heading, carousel = say(teacher, MENU_WATCH_LIST)
    assert len(bubbles(carousel)) == 1 and "มาลี" in shown([carousel])


# ------------------------------------------------------------------ changing the group, ending

def test_changing_the_group_and_taking_the_student_off_the_list(teacher, db, organisations):
    student = put_on_list(db, organisations["1040010101"], "มาลี", "ป.5/1", "at_risk")
    [asked] = tap(teacher, f"action=watch_group&student={student}")
    assert "ตอนนี้: กลุ่มเสี่ยง" in asked["text"]
    groups = {item["action"]["label"]: item["action"]["data"] for item in asked["quickReply"]["items"][:3]}
    assert list(groups) == ["ปกติ", "✓ กลุ่มเสี่ยง", "กลุ่มมีปัญหา"]
    said, card = tap(teacher, groups["กลุ่มมีปัญหา"])
    assert said["text"] == "เปลี่ยน เด็กชาย มาลี ทดสอบ เป็นกลุ่มมีปัญหาแล้วค่ะ"
    assert card_rows(card)["กลุ่ม"] == "กลุ่มมีปัญหา" and "เยี่ยมบ้านภายใน" in card_rows(card)
    assert "กลุ่มเสี่ยง → กลุ่มมีปัญหา" in card_rows(card)["ความเป็นมา"]
    [changed] = students(db)
    assert changed.group == "problem" and changed.visit_due is not None
    # Off the list, with a reason typed.
    [asked] = tap(teacher, f"action=watch_end&student={student}")
    assert "เพราะอะไร" in asked["text"] and "เด็กชาย มาลี ทดสอบ (ป.5/1)" in asked["text"]
    assert quick_reply_labels(asked)[:3] == ["ย้ายโรงเรียน", "จบการศึกษา", "ไม่เสี่ยงแล้ว"]
    said, card = say(teacher, "ย้ายไปอยู่กับยายที่เชียงใหม่")
    assert "ออกจากรายชื่อเฝ้าระวังแล้ว" in said["text"] and card_rows(card)["สถานะ"] == "เลิกเฝ้าระวัง"
    assert not buttons_of(bubbles(card)[0])
    [ended] = students(db)
    assert (ended.status, ended.visit_due) == ("ended", None)
    [nothing] = say(teacher, MENU_WATCH_LIST)
    assert "ยังไม่มีนักเรียน" in nothing["text"]
    # A button of the old card.
    [told] = tap(teacher, f"action=watch_group&student={student}&group=normal")
    assert "ไม่ได้อยู่ในรายชื่อเฝ้าระวังแล้ว" in told["text"]
    assert [entry.detail["via"] for entry in audited(db, "change")] == ["watch_group", "watch_end"]


def test_help_mentions_the_watch_list_for_teachers_only(teacher, new_chat, registered):
    assert MENU_WATCH_LIST in say(teacher, "ช่วยเหลือ")[0]["text"]
    assert MENU_WATCH_LIST in quick_reply_labels(say(teacher, "สวัสดี")[0])
    head = registered(new_chat(), "reporter", "400101")
    assert MENU_WATCH_LIST not in say(head, "ช่วยเหลือ")[0]["text"]


def test_a_draft_about_a_student_stops_when_the_teacher_moves_to_another_school(teacher, db, organisations, schools):
    student = put_on_list(db, organisations["1040010101"], "มาลี", "ป.5/1", "at_risk")
    [asked] = tap(teacher, f"action=watch_end&student={student}")
    assert "มาลี" in asked["text"]
    in_organisation(db, teacher, schools["samran"])
    [told] = say(teacher, "ย้ายโรงเรียน")
    assert "ไม่อยู่ในรายชื่อที่ท่านดูแลแล้ว" in told["text"] and "มาลี" not in all_text(told)
    [kept] = students(db)
    assert kept.status == "watching"
