"""The watch list through a term (issue 19): one class of โรงเรียนบ้านโนนทัน, screened by its teacher in the
chat, followed from October to Christmas with a moved clock. The teacher gets the home-visit reminders and the weekly attendance checks
only on school days, answers them with the buttons they came with, records home visits, and marks a
student "ไม่มาเลย" three weeks in a row: after the second the school's coordinator and the area office's
owner of prevention are told, after the third the student is a dropout case with the school's history.
Then the refusals: forged postbacks, weeks not begun, answers that are not one, students not followed;
and "หยุดเรียนแล้ว" from the student's card.

The jobs run at the `now` they are given and the webhook's handlers at the dispatcher's clock, both set
to the moments of the story (Bangkok times).
"""
from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select, update

from domain import watch
from domain.menu_labels import MENU_ADD_STUDENT
from helpers import bubbles, checked, deliver_queued, flex_texts, in_organisation, quick_reply_labels
from models import Case, CaseEvent, Organisation, User, WatchEvent, WatchStudent, utcnow
from models.base import BANGKOK
from scheduler.jobs import run_job

SCREENED = date(2026, 10, 5)  # a Monday, the last week of term 1
LAST_DAY = date(2026, 12, 25)
VISITS, WEEKLY = "watch-home-visits", "watch-weekly-attendance"
CLASS = [("เด็กหญิง", "มาลี", "ดีใจ", "female", "at_risk"), ("เด็กชาย", "สมชาย", "ใจดี", "male", "problem"),
         ("เด็กหญิง", "สุดา", "รักเรียน", "female", "normal")]


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BANGKOK)


@pytest.fixture
def school_people(db, registered, new_chat, organisations, schools):
    """The class teacher, the school's coordinator, the area office's owner of prevention, a district
    coordinator, a village head and another school's teacher."""
    nontan = organisations["1040010101"]
    people = {
        "teacher": in_organisation(db, registered(new_chat(), "teacher", "400101", real_name="ครูวิไล ใจงาม"), nontan),
        "coordinator": in_organisation(db, registered(new_chat(), "coordinator", None, real_name="ครูสมศรี"), nontan),
        "owner": in_organisation(db, registered(new_chat(), "coordinator", None, real_name="ศน.ประยุทธ"),
                                 organisations["SPP40-1"]),
        "district": registered(new_chat(), "coordinator", "4001", real_name="ผอ.อำเภอ"),
        "village_head": registered(new_chat(), "reporter", "400101", real_name="ผู้ใหญ่บ้าน"),
        "other_teacher": in_organisation(db, registered(new_chat(), "teacher", "400102"), schools["samran"]),
    }
    with db.transaction() as session:
        session.execute(update(User).where(User.line_user_id == people["owner"].user_id).values(owns_prevention=True))
    return people


def screen(db, chat, school_id: int, students=CLASS, when: datetime | None = None) -> dict[str, int]:
    """The class on the list, ids by first name, set up through the domain for the tests after the first
    (which screens it in the chat, screen_in_chat)."""
    ids = {}
    with db.transaction() as session:
        school = session.get(Organisation, school_id)
        teacher = session.scalar(select(User).where(User.line_user_id == chat.user_id))
        for title, first, last, sex, group in students:
            student, _ = watch.add_student(session, school, {
                "title": title, "first_name": first, "last_name": last, "sex": sex, "class_name": "ป.5/1",
                "group": group, "teacher_id": teacher.id}, teacher, now=when or utcnow(), rules=watch.Rules())
            session.flush()
            ids[first] = student.id
    return ids


# How the teacher answers "เพิ่มนักเรียนเสี่ยง" for each of CLASS: the name with its title, the class in Thai
# digits, the group and, for those at risk, the factors typed (ปกติ asks none), no note, then confirms.
TYPED = {"มาลี": ("ด.ญ.มาลี ดีใจ", "ป.๕/๑", "กลุ่มเสี่ยง", "ยากจน ขาดเรียนบ่อย", "เสร็จแล้ว"),
         "สมชาย": ("ด.ช. สมชาย ใจดี", "ป.5/1", "กลุ่มมีปัญหา", "ครอบครัวแตกแยก", "เสร็จแล้ว"),
         "สุดา": ("เด็กหญิงสุดา รักเรียน", "ป 5/1", "ปกติ")}


def screen_in_chat(db, chat, clock, when: datetime) -> dict[str, int]:
    """The teacher screens CLASS in the chat, one student at a time; ids by first name."""
    clock.move_to(when)
    for answers in TYPED.values():
        for said in (MENU_ADD_STUDENT, *answers, "ข้าม"):
            checked(chat.says(said))
        [saved] = [m for m in checked(chat.says("ยืนยัน")) if m["type"] == "text"][:1]
        assert "บันทึก" in saved["text"] or "เพิ่ม" in saved["text"], saved
    with db.transaction() as session:
        return {student.first_name: student.id for student in session.scalars(select(WatchStudent))}


def about(messages: list[dict], name: str) -> dict:
    """The one bubble among `messages` that names the student."""
    [found] = [bubble for m in messages if m["type"] == "flex" for bubble in bubbles(m)
               if any(name in words for words in flex_texts({"contents": bubble}))]
    return found


def button(bubble: dict, label: str) -> str:
    [data] = [b["action"]["data"] for b in bubble["footer"]["contents"] if b["action"]["label"] == label]
    return data


def words(message: dict) -> str:
    return message.get("text") or " ".join([message.get("altText", ""), *flex_texts(message)])


def test_a_class_followed_through_a_term(app, db, line, organisations, school_people, clock):
    teacher, coordinator, owner = (school_people[who] for who in ("teacher", "coordinator", "owner"))
    ids = screen_in_chat(db, teacher, clock, at(SCREENED, 9))
    screened = len(line.messages_to(teacher.user_id))  # the chat's replies; what follows is pushed
    with db.transaction() as session:
        students = {first: session.get(WatchStudent, ids[first]) for first in ids}
        assert {first: (s.class_name, s.group, s.teacher_id is not None) for first, s in students.items()} == {
            "มาลี": ("ป.5/1", "at_risk", True), "สมชาย": ("ป.5/1", "problem", True), "สุดา": ("ป.5/1", "normal", True)}
        assert students["มาลี"].risk_factors == ["poverty", "absent_often"]
        assert students["สมชาย"].visit_due == date(2026, 11, 9)  # ten school days on

    def answer(day: date, pushed: list[dict]) -> list[dict]:
        """What the teacher does that day, after the jobs: taps on what they were sent."""
        clock.move_to(at(day, 15))
        week = {date(2026, 10, 9): "full", date(2026, 11, 6): "full", date(2026, 11, 13): "full",
                date(2026, 12, 4): "none", date(2026, 12, 11): "none", date(2026, 12, 18): "none"}
        if day in week:
            [reply] = teacher.taps(button(about(pushed, "มาลี"), watch.ATTENDANCE[week[day]]))
            return [reply]
        if day == date(2026, 11, 20):  # "ขาดบ้าง": one day
            [days] = teacher.taps(button(about(pushed, "มาลี"), "ขาดบ้าง"))
            assert quick_reply_labels(days)[:5] == ["1", "2", "3", "4", "ไม่แน่ใจ"]
            return teacher.says("๑")
        if day == date(2026, 11, 27):  # a wrong tap, put right: the second answer replaces the first
            bubble = about(pushed, "มาลี")
            teacher.taps(button(bubble, "ไม่มาเลย"))
            return teacher.taps(button(bubble, "มาเรียนครบ"))
        if day in (date(2026, 11, 10), date(2026, 11, 25)):  # the overdue reminder: the visit
            [outcome] = teacher.taps(button(about(pushed, "สมชาย"), "บันทึกเยี่ยมบ้าน"))
            assert quick_reply_labels(outcome)[:3] == list(watch.VISIT_OUTCOMES.values())
            teacher.says("เยี่ยมบ้านแล้ว")
            return teacher.says("พบแม่ น้องต้องช่วยงานที่บ้านบางวัน" if day == date(2026, 11, 10) else "ไม่มี")
        return []

    sent: dict[date, list[str]] = {}
    replies: dict[date, list[dict]] = {}
    day = SCREENED
    while day <= LAST_DAY:
        pushed = []
        for job, moment in ((VISITS, at(day, 8, 30)), (WEEKLY, at(day, 14))):
            before = len(line.messages_to(teacher.user_id))
            if run_job(job, app, now=moment):
                sent.setdefault(day, []).append(job)
            assert run_job(job, app, now=moment + timedelta(minutes=10)) == 0  # run twice: sent once
            deliver_queued(app)
            pushed += line.messages_to(teacher.user_id)[before:]
        replies[day] = answer(day, pushed)
        if day == date(2026, 12, 11):  # the second week in a row of ไม่มาเลย: the student is raised
            deliver_queued(app)
            for person in (coordinator, owner):
                [notice] = line.messages_to(person.user_id)
                assert "ด.ญ.มาลี ดีใจ" in words(notice) and "ไม่มาเรียนเลย 2 สัปดาห์ติดต่อกัน" in words(notice)
                assert "ป.5/1" in words(notice) and "โรงเรียนบ้านโนนทัน" in words(notice)
                assert button(bubbles(notice)[0], "ดูข้อมูลนักเรียน") == f"action=student&student={ids['มาลี']}"
        day += timedelta(days=1)

    # Reminders came on school days only: none on a weekend, between the terms (10-31 October) or on
    # วันรัฐธรรมนูญ (Thursday 10 December), whose overdue visit waited for the Friday.
    assert sent == {
        date(2026, 10, 9): [WEEKLY], date(2026, 11, 5): [VISITS], date(2026, 11, 6): [WEEKLY],
        date(2026, 11, 10): [VISITS], date(2026, 11, 13): [WEEKLY], date(2026, 11, 20): [VISITS, WEEKLY],
        date(2026, 11, 25): [VISITS], date(2026, 11, 27): [WEEKLY], date(2026, 12, 4): [WEEKLY],
        date(2026, 12, 7): [VISITS], date(2026, 12, 11): [VISITS, WEEKLY], date(2026, 12, 18): [WEEKLY],
        date(2026, 12, 25): [WEEKLY]}
    assert all(day.weekday() < 5 for day in sent)
    got = [words(m) for m in line.messages_to(teacher.user_id)[screened:] if m.get("altText")]
    assert "สัปดาห์นี้ ด.ญ.มาลี ดีใจ (ป.5/1) มาเรียนเป็นอย่างไรคะ" in got[0] and "ด.ช.สมชาย ใจดี" in got[0]
    assert "สุดา" not in " ".join(got)  # ปกติ: neither checked nor visited
    assert "9 พ.ย. 2569" in got[1] and "เลยกำหนด" not in got[1] and "เลยกำหนด" in got[3]
    assert "สมชาย" in got[-1] and "มาลี" not in got[-1]  # after she left, only he is checked

    # The visits: the next one due ten school days on, in พ.ศ.
    assert "เยี่ยมบ้านครั้งต่อไปภายใน 24 พ.ย. 2569" in replies[date(2026, 11, 10)][0]["text"]
    assert "เยี่ยมบ้านครั้งต่อไปภายใน 9 ธ.ค. 2569" in replies[date(2026, 11, 25)][0]["text"]
    assert "ขาด 1 วัน" in replies[date(2026, 11, 20)][0]["text"]
    assert "แทนคำตอบเดิมของสัปดาห์นี้ (“ไม่มาเลย”)" in replies[date(2026, 11, 27)][0]["text"]
    assert "แจ้งครูผู้ประสานงานของโรงเรียนและเขตพื้นที่แล้ว" in replies[date(2026, 12, 11)][0]["text"]

    # The third week: a dropout case owned by the school, "found", with the watch list's history.
    with db.transaction() as session:
        student = session.get(WatchStudent, ids["มาลี"])
        case = student.case
        assert student.status == "left"
        assert (case.source, case.status, case.owner_org_id) == ("watch", "found", organisations["1040010101"])
        assert (case.first_name, case.last_name, case.grade) == ("มาลี", "ดีใจ", "ป.5/1")
        number, case_id = case.number, case.id
        [record] = session.scalars(select(CaseEvent.details).where(CaseEvent.case_id == case.id,
                                                                    CaseEvent.kind == "watch_history")).all()
        visits = session.scalar(select(func.count()).select_from(WatchEvent).where(
            WatchEvent.student_id == ids["สมชาย"], WatchEvent.kind == "visit"))
    assert [(w["week"], w["answer"]) for w in record["attendance"]] == [
        ("2026-W41", "มาเรียนครบ"), ("2026-W45", "มาเรียนครบ"), ("2026-W46", "มาเรียนครบ"), ("2026-W47", "ขาดบ้าง"),
        ("2026-W48", "มาเรียนครบ"), ("2026-W49", "ไม่มาเลย"), ("2026-W50", "ไม่มาเลย"), ("2026-W51", "ไม่มาเลย")]
    assert record["raised"][0]["reason"] == "ไม่มาเรียนเลย 2 สัปดาห์ติดต่อกัน" and visits == 2
    assert f"เปิดเรื่อง {number}" in replies[date(2026, 12, 18)][0]["text"]
    for person in (coordinator, owner):
        raised, left = line.messages_to(person.user_id)
        assert number in words(left) and "หยุดเรียนแล้ว" in words(left)
        assert button(bubbles(left)[0], "ดูเรื่อง") == f"action=case&case={case_id}"
    # The coordinator opens the case from the notice: the school's case, in the existing workflow.
    [card] = [m for m in coordinator.taps(f"action=case&case={case_id}") if m["type"] == "flex"]
    assert number in card["altText"]
    for who in ("district", "village_head", "other_teacher"):
        assert line.messages_to(school_people[who].user_id) == [], who


def test_forged_taps_weeks_not_begun_bad_answers_and_students_no_longer_followed_are_refused(
        app, db, line, organisations, schools, school_people):
    teacher, village_head = school_people["teacher"], school_people["village_head"]
    ours = screen(db, teacher, organisations["1040010101"])
    theirs = screen(db, school_people["other_teacher"], schools["samran"], [CLASS[0]])
    week = watch.week_of(watch.today(utcnow()))

    # Another school's student, or one that does not exist: the same refusal, nothing said about them.
    [forged] = teacher.taps(f"action=attend&student={theirs['มาลี']}&week={week}&answer=none")
    [missing] = teacher.taps(f"action=attend&student=999999&week={week}&answer=none")
    assert "นอกพื้นที่" in forged["text"] and forged["text"] == missing["text"] and "มาลี" not in forged["text"]
    [visit] = teacher.taps(f"action=visit&student={theirs['มาลี']}")
    [left] = teacher.taps(f"action=watch_left&student={theirs['มาลี']}")
    assert visit["text"] == left["text"] == forged["text"]
    [head] = village_head.taps(f"action=attend&student={ours['มาลี']}&week={week}&answer=none")
    assert "ไม่มีสิทธิ์" in head["text"]

    # A week not begun, a week that is no week, an answer that is no answer.
    ahead = watch.week_of(watch.today(utcnow()) + timedelta(days=7))
    [future] = teacher.taps(f"action=attend&student={ours['มาลี']}&week={ahead}&answer=full")
    [no_week] = teacher.taps(f"action=attend&student={ours['มาลี']}&week=2026-W60&answer=full")
    [no_answer] = teacher.taps(f"action=attend&student={ours['มาลี']}&week={week}&answer=maybe")
    assert "ยังมาไม่ถึง" in future["text"] and "ไม่เข้าใจสัปดาห์" in no_week["text"]
    assert "ไม่เข้าใจคำตอบ" in no_answer["text"]
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(WatchEvent).where(WatchEvent.kind == "attendance")) == 0
        lines = session.scalar(select(func.count()).select_from(WatchEvent))
    assert lines == 4  # only the screening lines

    # "ขาดบ้าง": a number that is not 1-4 is asked again; "ไม่แน่ใจ" counts the default days.
    teacher.taps(f"action=attend&student={ours['มาลี']}&week={week}&answer=some")
    [again] = teacher.says("9")
    assert "1 ถึง 4" in again["text"]
    [saved] = teacher.says("ไม่แน่ใจ")
    assert f"ขาด {watch.ABSENT_DAYS['some']} วัน" in saved["text"]

    # Taken off the list: a tap on an old check says so, and records nothing.
    with db.transaction() as session:
        student = session.get(WatchStudent, ours["สมชาย"])
        watch.end_watch(session, student, None, now=utcnow(), note="ย้ายโรงเรียน", source=None)
    [ended] = teacher.taps(f"action=attend&student={ours['สมชาย']}&week={week}&answer=none")
    assert "ไม่ได้อยู่ในรายชื่อเฝ้าระวังแล้ว" in ended["text"] and "เลิกเฝ้าระวัง" in ended["text"]
    with db.transaction() as session:
        assert [e.details["answer"] for e in session.scalars(select(WatchEvent).where(
            WatchEvent.kind == "attendance"))] == ["some"]


def test_a_teacher_reports_a_student_who_stopped_coming(app, db, line, organisations, school_people):
    teacher, coordinator, owner = (school_people[who] for who in ("teacher", "coordinator", "owner"))
    ids = screen(db, teacher, organisations["1040010101"])
    [confirm] = teacher.taps(f"action=watch_left&student={ids['มาลี']}")
    assert "ด.ญ.มาลี ดีใจ (ป.5/1) หยุดเรียนแล้ว ใช่ไหม" in confirm["text"]
    assert quick_reply_labels(confirm) == ["ยืนยัน", "ย้อนกลับ", "ยกเลิก"]
    [cancelled] = teacher.says("ยกเลิก")
    assert "ยังอยู่ในรายชื่อเฝ้าระวัง" in cancelled["text"]
    teacher.taps(f"action=watch_left&student={ids['มาลี']}")
    [done] = teacher.says("ยืนยัน")
    deliver_queued(app)
    with db.transaction() as session:
        case = session.scalar(select(Case))
        assert (case.source, case.status, case.owner_org_id) == ("watch", "found", organisations["1040010101"])
        number = case.number
        assert session.get(WatchStudent, ids["มาลี"]).status == "left"
    assert f"เปิดเรื่อง {number}" in done["text"] and "ครูแจ้งว่าหยุดเรียนแล้ว" in done["text"]
    for person in (coordinator, owner):
        [notice] = line.messages_to(person.user_id)
        assert number in words(notice) and "ครูแจ้งว่าหยุดเรียนแล้ว" in words(notice)
    # Not followed any more: the button again says so, with the case.
    [again] = teacher.taps(f"action=watch_left&student={ids['มาลี']}")
    assert "ไม่ได้อยู่ในรายชื่อเฝ้าระวังแล้ว" in again["text"] and "ดูเรื่อง" in quick_reply_labels(again)


def test_the_weekly_check_keeps_to_line_limits_and_finds_someone_to_ask(app, db, line, registered, new_chat,
                                                                          organisations, schools, school_people):
    nontan, samran = organisations["1040010101"], schools["samran"]
    second = in_organisation(db, registered(new_chat(), "teacher", "400101"), nontan)
    samran_coordinator = in_organisation(db, registered(new_chat(), "coordinator", None), samran)
    # 61 students and no teacher named for them: the school's teachers are asked, each in two pushes
    # (five carousels of 12, then one of 1).
    ids = screen(db, school_people["teacher"], nontan, [("เด็กชาย", f"นักเรียน{n}", "ทดสอบ", "male", "at_risk")
                                                        for n in range(61)])
    with db.transaction() as session:
        session.execute(update(WatchStudent).where(WatchStudent.id.in_(ids.values())).values(teacher_id=None))
    # Another school with no teacher on the bot: its coordinator is asked. A teacher who moved to another
    # school is asked about the new school's students, not their old ones any more.
    [moved] = screen(db, school_people["other_teacher"], samran, [CLASS[1]]).values()
    in_organisation(db, school_people["other_teacher"], nontan)
    friday = at(date(2026, 12, 4), 14)
    assert run_job(WEEKLY, app, now=friday) == 62
    deliver_queued(app)
    for teacher in (school_people["teacher"], second, school_people["other_teacher"]):
        pushes = [call.json["messages"] for call in line.pushes() if call.json["to"] == teacher.user_id]
        assert [[len(bubbles(m)) for m in messages] for messages in pushes] == [[12] * 5, [1]]
    [asked] = line.messages_to(samran_coordinator.user_id)
    assert [b["body"]["contents"][0]["text"] for b in bubbles(asked)] == [
        "สัปดาห์นี้ ด.ช.สมชาย ใจดี (ป.5/1) มาเรียนเป็นอย่างไรคะ"]
    assert "สมชาย" not in json.dumps(line.messages_to(school_people["other_teacher"].user_id), ensure_ascii=False)
    with db.transaction() as session:
        [marker] = session.scalars(select(WatchEvent.details).where(WatchEvent.student_id == moved,
                                                                    WatchEvent.kind == "attendance_asked")).all()
        assert marker["week"] == "2026-W49"
