"""Acceptance of issue 19 (the watch list), as its users and its attackers use it, through the webhook: teachers
typing messy Thai (Thai digits, spaces, typos, emoji, English, very long text), stale and forged buttons
(another school's students, ids that do not exist, weeks that are none or not begun, SQL-ish text), double
taps and redelivered events, a form interrupted by another, a teacher deactivated or moved mid-flow, the
coordinators of another district, a village head and a สกร. coordinator, the jobs run twice or on days
off, a class list with bad rows, `pdpa forget-student`, the summary card and the export of two districts,
and a returned child's school typed in odd ways.

Every reply is checked against LINE's limits and for the handler's apology (helpers.checked), and no
handler may fail (the log is watched)."""
from __future__ import annotations

import io
import json
import re
from datetime import date, datetime, time, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from domain import access, watch
from domain.export import WATCH_SHEET
from domain.menu_labels import MENU_ADD_STUDENT, MENU_AREA_SUMMARY, MENU_WATCH_LIST
from helpers import (
    PUBLIC_BASE_URL,
    all_text,
    bubbles,
    card_rows,
    checked,
    deliver_queued,
    flex_texts,
    in_organisation,
    quick_reply_labels,
    raw,
    stored_text,
)
from models import Base, Case, Conversation, Organisation, User, WatchEvent, WatchStudent, utcnow
from models.base import BANGKOK
from scheduler.jobs import run_job

WEEKLY, VISITS = "watch-weekly-attendance", "watch-home-visits"
THAI = re.compile(r"[\u0e00-\u0e7f]")


pytestmark = pytest.mark.usefixtures("no_handler_failed")


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BANGKOK)


@pytest.fixture
def people(db, registered, new_chat, schools, organisations):
    """Who uses (and tries to use) the watch list."""
    made = {
        "teacher": in_organisation(db, registered(new_chat(), "teacher", "400101", real_name="ครูวิไล ใจงาม"),
                                   schools["nontan"]),
        "school_coordinator": in_organisation(db, registered(new_chat(), "coordinator", None, real_name="ครูสมศรี"),
                                              schools["nontan"]),
        "samran_teacher": in_organisation(db, registered(new_chat(), "teacher", None), schools["samran"]),
        "faang_teacher": in_organisation(db, registered(new_chat(), "teacher", None), schools["faang"]),
        "district": registered(new_chat(), "coordinator", "4001", real_name="ผอ.เมือง"),
        "other_district": registered(new_chat(), "coordinator", "4002", real_name="ผอ.บ้านฝาง"),
        "village_head": registered(new_chat(), "reporter", "400101", real_name="ผู้ใหญ่บ้าน"),
        "skr": in_organisation(db, registered(new_chat(), "coordinator", None, real_name="ครู กศน."), schools["skr"]),
    }
    return made


def user_id(db, chat) -> int:
    with db.transaction() as session:
        return session.scalar(select(User.id).where(User.line_user_id == chat.user_id))


def put_on_list(db, school_id: int, first: str, last: str = "ทดสอบ", class_name: str = "ป.5/1",
                group: str = "at_risk", teacher=None, national_id: str | None = None, when=None) -> int:
    with db.transaction() as session:
        student, _ = watch.add_student(session, session.get(Organisation, school_id), {
            "title": "เด็กหญิง", "first_name": first, "last_name": last, "sex": "female", "class_name": class_name,
            "group": group, "risk_factors": ["poverty"], "risk_note": f"บันทึกลับของ{first}",
            "national_id": national_id,
            "teacher_id": user_id(db, teacher) if teacher else None}, None, now=when or utcnow(), rules=watch.Rules())
        session.flush()
        return student.id


def say(chat, *texts: str) -> list[dict]:
    reply: list[dict] = []
    for said in texts:
        reply = checked(chat.says(said))
        thai(reply)
    return reply


def tap(chat, data: str) -> list[dict]:
    reply = checked(chat.taps(data))
    thai(reply)
    return reply


def thai(reply: list[dict]) -> None:
    for message in reply:
        assert THAI.search(all_text(message)), message


def shown(reply: list[dict]) -> str:
    return "\n".join(all_text(message) for message in reply)


def students(db) -> list[WatchStudent]:
    with db.transaction() as session:
        found = list(session.scalars(select(WatchStudent).order_by(WatchStudent.id)))
        for student in found:
            _ = (student.first_name, student.last_name, student.risk_factors, student.risk_note)
        return found


def events(db, kind: str) -> list[WatchEvent]:
    with db.transaction() as session:
        return list(session.scalars(select(WatchEvent).where(WatchEvent.kind == kind).order_by(WatchEvent.id)))


def week_now(clock=None) -> str:
    return watch.week_of(watch.today(clock() if clock else utcnow()))


# ------------------------------------------------------------------ messy Thai in the add flow

def test_a_teacher_types_messy_thai_english_emoji_and_very_long_answers(people, db, schools):
    teacher = people["teacher"]
    say(teacher, "  " + MENU_ADD_STUDENT + " ")
    # A very long name: refused with the reason, the question again.
    [again] = say(teacher, "ด.ญ. " + "มาลี" * 80 + " ดีใจ")
    assert "ชื่อ" in again["text"]
    # Extra spaces and an emoji around a name with its title.
    # An emoji is no part of a name: said so, and asked again.
    [again] = say(teacher, "ด.ญ. มาลี ดีใจ 😊")
    assert "ตัวอักษรภาษาไทยหรือภาษาอังกฤษ" in again["text"] and "ชื่อและนามสกุลของนักเรียน" in again["text"]
    [asked] = say(teacher, "  ด.ญ.   มาลี    ดีใจ ")
    assert "ชั้นใด" in asked["text"]
    for bad in ("ป.๙/๑", "ห้อง ๕", "ปวช.1", "ม.ต้น", "😀", "ป." + "๕" * 70, "'; DROP TABLE watch_students;--"):
        [again] = say(teacher, bad)
        assert "ชั้นใด" in again["text"], bad
    [asked] = say(teacher, "ประถมศึกษาปีที่ ๕ ห้อง ๑")
    # A typo of the group is explained; "๓" is the third group.
    [again] = say(teacher, "เสียง")
    assert "กลุ่ม" in again["text"]
    [asked] = say(teacher, "๓")
    assert "ปัจจัยเสี่ยง" in asked["text"]
    # Very long text of factors: one known word in it, the rest said once, within LINE's limits.
    [again] = say(teacher, "ยากจน " + " ".join(f"คำที่{n}" for n in range(120)))
    assert "ยาวเกินไป" in again["text"] and "ปัจจัยเสี่ยง" in again["text"]
    [asked] = say(teacher, "ยากจน " + " ".join(f"คำที่{n}" for n in range(60)))
    assert "เลือกแล้ว: ยากจน/ทุนเสมอภาค" in asked["text"] and "คำที่59" in asked["text"]
    [asked] = say(teacher, "poverty 💸")
    [asked] = say(teacher, "เสร็จแล้ว")
    assert "บันทึกเพิ่มเติม" in asked["text"]
    [again] = say(teacher, "ก" * 600)
    assert "บันทึกเพิ่มเติม" in again["text"]
    [confirm] = say(teacher, "แม่ไปทำงานกรุงเทพฯ 🙏 อยู่กับยาย")
    rows = card_rows(confirm)
    assert rows["ชั้น"] == "ป.5/1" and rows["กลุ่ม"] == "กลุ่มมีปัญหา" and rows["ชื่อ"] == "เด็กหญิง มาลี ดีใจ"
    done, card = say(teacher, "ยืนยัน")
    [student] = students(db)
    assert (student.first_name, student.class_name, student.group) == ("มาลี", "ป.5/1", "problem")
    assert student.risk_note == "แม่ไปทำงานกรุงเทพฯ 🙏 อยู่กับยาย"


def test_an_english_name_and_a_class_in_english(people, db):
    teacher = people["teacher"]
    say(teacher, MENU_ADD_STUDENT, "John Smith")
    [asked] = say(teacher, "ไม่ระบุ")
    assert "เพศ" in asked["text"]
    say(teacher, "ชาย")
    [asked] = say(teacher, "P5/1")
    assert "กลุ่ม" in asked["text"]
    say(teacher, "at risk", "ขาดเรียนบ่อย", "เสร็จแล้ว", "ข้าม")
    say(teacher, "ยืนยัน")
    [student] = students(db)
    assert (student.first_name, student.last_name, student.class_name, student.group) == (
        "John", "Smith", "ป.5/1", "at_risk")


# ------------------------------------------------------------------ forged and stale buttons

FORGED_IDS = ("-1", "0", "99999999999999999999", "1 OR 1=1", "1;DROP TABLE watch_students", "๑", "abc", "",
              "1e3", "%27", "1.0")


def test_forged_ids_weeks_and_answers_are_refused_without_a_word_about_anyone(people, db, schools, clock):
    ours = put_on_list(db, schools["nontan"], "มาลี", teacher=people["teacher"])
    theirs = put_on_list(db, schools["faang"], "ไกลบ้าน")
    week = week_now()
    teacher = people["teacher"]
    for forged in FORGED_IDS + (str(theirs),):
        for action in (f"action=student&student={forged}", f"action=watch_group&student={forged}&group=normal",
                       f"action=watch_end&student={forged}", f"action=visit&student={forged}",
                       f"action=watch_left&student={forged}",
                       f"action=attend&student={forged}&week={week}&answer=none"):
            [refused] = tap(teacher, action)
            assert refused["text"] == access.OUT_OF_SCOPE, (action, refused["text"])
    for bad_week in ("2026-W60", "2026-W00", "2026-W53", "0000-W01", "2026-w49", "2026W49", "๒๕๖๙-W01", "",
                     "2026-W49' OR '1'='1", "9999-W52"):
        [said] = tap(teacher, f"action=attend&student={ours}&week={bad_week}&answer=none")
        assert "สัปดาห์" in said["text"] or "ยังมาไม่ถึง" in said["text"], bad_week
    for bad_answer in ("NONE", "", "none;", "-1", "maybe"):
        [said] = tap(teacher, f"action=attend&student={ours}&week={week}&answer={bad_answer}")
        assert "ไม่เข้าใจคำตอบ" in said["text"], bad_answer
    for bad_group in ("NORMAL", "ended", "'", ""):
        reply = tap(teacher, f"action=watch_group&student={ours}&group={bad_group}")
        assert "เป็นกลุ่มใด" in reply[0]["text"]
    # The list's buttons: forged pages, classes and schools.
    for data in ("action=watchlist&page=-3", "action=watchlist&page=abc", "action=watchlist&page=99999999999999999999",
                 "action=watchlist&class=' OR 1=1 --", f"action=watchlist&school={schools['faang']}",
                 "action=watchlist&school=x", "action=watchlist&class=" + "ป" * 400, "action=watchlist&school="):
        reply = tap(teacher, data)
        assert "ไกลบ้าน" not in shown(reply)
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(WatchEvent).where(WatchEvent.kind == "attendance")) == 0
        assert session.get(WatchStudent, ours).group == "at_risk"
        assert session.get(WatchStudent, theirs).status == "watching"


def test_other_districts_village_heads_and_skr_see_nothing(people, db, schools):
    ours = put_on_list(db, schools["nontan"], "มาลี")
    week = week_now()
    for who in ("other_district", "faang_teacher", "samran_teacher", "skr"):
        chat = people[who]
        for data in (f"action=student&student={ours}", f"action=attend&student={ours}&week={week}&answer=none",
                     f"action=visit&student={ours}", f"action=watch_left&student={ours}",
                     f"action=watch_end&student={ours}", f"action=watch_group&student={ours}&group=normal"):
            [refused] = tap(chat, data)
            assert refused["text"] == access.OUT_OF_SCOPE and "มาลี" not in shown([refused]), (who, data)
        reply = say(chat, MENU_WATCH_LIST)
        assert "มาลี" not in shown(reply) and "ยังไม่มีนักเรียน" in reply[0]["text"], who
    for data in (f"action=student&student={ours}", f"action=attend&student={ours}&week={week}&answer=none"):
        [refused] = tap(people["village_head"], data)
        assert refused["text"] == access.NOT_ALLOWED
    with db.transaction() as session:
        assert session.get(WatchStudent, ours).status == "watching"


def test_a_skr_coordinator_cannot_put_students_on_a_schools_list(people, db, schools):
    """The agencies a child is referred to see cases, not the students still in class (access.WATCH_OFFICES):
    a สกร. coordinator, whose scope holds the district's schools, neither sees nor adds to their lists; typing
    the name and class of a student already there must not show that student's card."""
    put_on_list(db, schools["nontan"], "มาลี", "ดีใจ")
    skr = people["skr"]
    [told] = say(skr, MENU_ADD_STUDENT)
    assert "ไม่พบโรงเรียน" in told["text"]
    # Nor is the watch list on their menu, as it is on a district coordinator's.
    assert MENU_WATCH_LIST not in quick_reply_labels(told) and len(quick_reply_labels(told)) == 11
    assert MENU_WATCH_LIST in quick_reply_labels(say(people["district"], "ช่วยเหลือ")[-1])
    # A school's button of another user's draft, forged: refused at the school question too.
    district = people["district"]
    say(district, MENU_ADD_STUDENT)
    with db.transaction() as session:
        draft = session.scalar(select(Conversation).where(Conversation.user_id == user_id(db, district)))
        draft.user_id = user_id(db, skr)
    [again] = checked(skr.taps(f"value={schools['nontan']}"))
    assert "ไม่พบโรงเรียน" in again["text"]
    [student] = students(db)
    assert student.group == "at_risk"  # unchanged


# ------------------------------------------------------------------ double taps, redeliveries, restarts

def test_double_taps_and_redelivered_taps_record_once_and_tell_once(app, people, db, schools, line, clock):
    teacher, coordinator = people["teacher"], people["school_coordinator"]
    monday = date(2026, 11, 30)
    ours = put_on_list(db, schools["nontan"], "มาลี", teacher=teacher, when=at(monday - timedelta(days=21), 9))
    weeks = [watch.week_of(monday - timedelta(days=7 * n)) for n in (2, 1, 0)]
    clock.move_to(at(monday + timedelta(days=4), 15))
    tap(teacher, f"action=attend&student={ours}&week={weeks[0]}&answer=none")
    # The second week: tapped, the same event redelivered by LINE, then tapped again.
    event = line.postback_event(teacher.user_id, f"action=attend&student={ours}&week={weeks[1]}&answer=none")
    [raised] = checked(teacher.send(event))
    assert "แจ้งครูผู้ประสานงาน" in raised["text"]
    assert teacher.send(line.redelivered(event)) == []
    [again] = tap(teacher, f"action=attend&student={ours}&week={weeks[1]}&answer=none")
    assert "แทนคำตอบเดิม" in again["text"] and "แจ้งครูผู้ประสานงาน" not in again["text"]
    deliver_queued(app)
    [notice] = line.messages_to(coordinator.user_id)
    assert "มาลี" not in notice["altText"]  # the phone's notification names no child
    # The third: the case, once, however often it is tapped.
    event = line.postback_event(teacher.user_id, f"action=attend&student={ours}&week={weeks[2]}&answer=none")
    [opened] = checked(teacher.send(event))
    assert "เปิดเรื่อง" in opened["text"]
    assert teacher.send(line.redelivered(event)) == []
    [told] = tap(teacher, f"action=attend&student={ours}&week={weeks[2]}&answer=none")
    assert "ไม่ได้อยู่ในรายชื่อเฝ้าระวังแล้ว" in told["text"] and "ดูเรื่อง" in quick_reply_labels(told)
    [left] = tap(teacher, f"action=watch_left&student={ours}")
    assert "ไม่ได้อยู่ในรายชื่อเฝ้าระวังแล้ว" in left["text"]
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1
        kinds = [e.kind for e in session.get(WatchStudent, ours).events]
    assert kinds.count("raised") == 1 and kinds.count("left") == 1 and kinds.count("attendance") == 4
    deliver_queued(app)
    assert len(line.messages_to(coordinator.user_id)) == 2  # raised, then left


def test_a_tap_in_the_middle_of_adding_a_student_keeps_the_draft_and_some_days_says_it_replaces_it(
        people, db, schools):
    teacher = people["teacher"]
    ours = put_on_list(db, schools["nontan"], "มาลี", teacher=teacher)
    week = week_now()
    say(teacher, MENU_ADD_STUDENT, "ด.ช.ก้อง ดีมาก")
    [saved] = tap(teacher, f"action=attend&student={ours}&week={week}&answer=full")
    assert "บันทึกแล้วค่ะ" in saved["text"]
    [asked] = say(teacher, "ป.๔/๒")  # the draft carries on
    assert "กลุ่ม" in asked["text"]
    # "ขาดบ้าง" asks a question of its own: the draft is said to be replaced, not dropped unseen.
    reply = tap(teacher, f"action=attend&student={ours}&week={week}&answer=some")
    assert "ยกเลิกการเพิ่ม เด็กชาย ก้อง ดีมาก" in shown(reply) and "ขาดเรียนกี่วัน" in shown(reply)
    [again] = say(teacher, "สองวัน")
    assert "1 ถึง 4" in again["text"]
    [saved] = say(teacher, " ๒ วัน ")
    assert "ขาด 2 วัน" in saved["text"] and "แทนคำตอบเดิม" in saved["text"]
    # And the other way: a visit's flow left half-way by starting to add a student.
    tap(teacher, f"action=visit&student={ours}")
    reply = say(teacher, "ไปแล้วไม่พบครอบครัว", MENU_ADD_STUDENT)
    assert "ยกเลิกการบันทึกเยี่ยมบ้าน" in shown(reply)
    assert [e.details["absent_days"] for e in events(db, "attendance")] == [0, 2]
    assert events(db, "visit") == []


def test_a_teacher_deactivated_or_moved_mid_flow_records_nothing_and_hears_of_nobody(app, people, db, schools):
    teacher = people["teacher"]
    ours = put_on_list(db, schools["nontan"], "มาลี", group="problem", teacher=teacher)
    [asked] = tap(teacher, f"action=visit&student={ours}")
    assert "มาลี" in asked["text"]
    say(teacher, "เยี่ยมบ้านแล้ว")
    result = app.test_cli_runner().invoke(args=["users", "deactivate", teacher.user_id])
    assert result.exit_code == 0, result.output
    deliver_queued(app)  # the notice of it, before the answers below
    [refused] = say(teacher, "พบแม่ที่บ้าน")
    assert refused["text"] == access.DEACTIVATED
    with db.transaction() as session:
        session.execute(update(User).where(User.line_user_id == teacher.user_id).values(active=True))
    # Moved to another school with a draft open: the draft stops, naming no one.
    tap(teacher, f"action=visit&student={ours}")
    say(teacher, "เยี่ยมบ้านแล้ว")
    in_organisation(db, teacher, schools["samran"])
    [stopped] = say(teacher, "พบแม่ที่บ้าน")
    assert "มาลี" not in all_text(stopped)
    tap_after_move = tap(teacher, f"action=attend&student={ours}&week={week_now()}&answer=none")
    assert tap_after_move[0]["text"] == access.OUT_OF_SCOPE
    # The "ขาดบ้าง" question left open, then moved: the days answered record nothing.
    in_organisation(db, teacher, schools["nontan"])
    tap(teacher, f"action=attend&student={ours}&week={week_now()}&answer=some")
    in_organisation(db, teacher, schools["faang"])
    [stopped] = say(teacher, "2")
    assert "มาลี" not in all_text(stopped)
    assert events(db, "visit") == [] and events(db, "attendance") == []


def test_a_restart_in_the_middle_of_a_visit_keeps_the_answers(app, people, db, schools, make_app, database_url, client):
    from helpers import Chat
    teacher = people["teacher"]
    ours = put_on_list(db, schools["nontan"], "มาลี", group="problem", teacher=teacher)
    tap(teacher, f"action=visit&student={ours}")
    say(teacher, "ไปแล้วไม่พบครอบครัว")
    restarted = make_app(database_url)
    again = Chat(restarted, restarted.test_client(), teacher.line, teacher.user_id)
    [saved] = checked(again.says("ไม่มี"))
    assert "ไปแล้วไม่พบครอบครัว" in saved["text"] and "เยี่ยมบ้านครั้งต่อไปภายใน" in saved["text"]
    [visit] = events(db, "visit")
    assert visit.details == {"outcome": "not_met"}


# ------------------------------------------------------------------ pdpa forget-student

SECRETS = ("บุษบา", "ศรีสุขสันต์", "ครอบครัวมีหนี้นอกระบบ", "ยายป่วยติดเตียง", "1101700230708")


def test_forget_student_after_a_term_in_chat_leaves_nothing_readable_and_the_numbers_count(
        app, people, db, schools, line, clock):
    teacher, coordinator, district = people["teacher"], people["school_coordinator"], people["district"]
    monday = date(2026, 11, 16)
    clock.move_to(at(monday, 9))
    say(teacher, MENU_ADD_STUDENT, "ด.ญ. บุษบา ศรีสุขสันต์", "ป.๖/๒", "กลุ่มมีปัญหา", "ตั้งครรภ์", "เสร็จแล้ว",
        "ครอบครัวมีหนี้นอกระบบ", "ยืนยัน")
    [student] = students(db)
    with db.transaction() as session:  # as an import would have given it
        session.get(WatchStudent, student.id).national_id = "1101700230708"
    tap(teacher, f"action=visit&student={student.id}")
    say(teacher, "เยี่ยมบ้านแล้ว", "ยายป่วยติดเตียง")
    for n in range(3):
        clock.move_to(at(monday + timedelta(days=7 * n + 4), 15))
        tap(teacher, f"action=attend&student={student.id}&week={week_now(clock)}&answer=none")
    deliver_queued(app)
    say(district, MENU_WATCH_LIST)
    # A draft naming her left open, and the weekly check of the next week queued, not yet sent.
    put_on_list(db, schools["nontan"], "อีกคน", teacher=teacher)
    say(teacher, MENU_ADD_STUDENT, "ด.ญ. บุษบา ศรีสุขสันต์")
    with db.transaction() as session:
        case_number = session.scalar(select(Case)).number
    stored = stored_text(db)
    assert all(any(secret in v for values in stored.values() for v in values) for secret in SECRETS)
    before = counts(db)

    result = app.test_cli_runner().invoke(args=["pdpa", "forget-student", str(student.id), "--yes"])
    assert result.exit_code == 0, result.output
    assert f"case {case_number}: removed" in result.output
    for (table, column), values in stored_text(db).items():
        for secret in SECRETS:
            assert not any(secret in v for v in values), f"{table}.{column} still holds {secret!r}"
    assert counts(db) == before
    # What a copy of the database shows, through no column type: nothing in plain text either.
    for table in Base.metadata.sorted_tables:
        dumped = json.dumps(raw(db, f"SELECT * FROM {table.name}"), ensure_ascii=False, default=str)
        assert not any(secret in dumped for secret in SECRETS), table.name
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Conversation)) == 0
    # The buttons she was named on still answer, in Thai, naming nobody and within LINE's limits.
    for chat, data in ((coordinator, f"action=student&student={student.id}"),
                       (teacher, f"action=attend&student={student.id}&week={week_now(clock)}&answer=full"),
                       (teacher, f"action=visit&student={student.id}"),
                       (coordinator, f"action=case&case={case_number.split('-')[-1].lstrip('0')}")):
        reply = tap(chat, data)
        assert not any(secret in json.dumps(reply, ensure_ascii=False) for secret in SECRETS)
        for message in reply:
            for text in flex_texts(message) if message["type"] == "flex" else []:
                assert text.strip(), message  # LINE refuses an empty text in a Flex message


def counts(db) -> dict[str, int]:
    from domain.watch_numbers import watch_numbers
    with db.transaction() as session:
        return {name: count for name, _, count in watch_numbers(session, ("",)).lines()}


# ------------------------------------------------------------------ a returned child's school, typed oddly

def back_in_school(chat, case_id: int, school: str) -> str:
    tap(chat, f"action=enrol&case={case_id}")
    say(chat, school)
    [done] = say(chat, "วันนี้")
    return done["text"]


@pytest.mark.parametrize("typed", ["  รร.บ้านโนนทัน  ", "ร.ร. บ้าน โนนทัน", "บ้านโนนทัน", "โรงเรียน\u200bบ้านโนนทัน",
                                   "โรงเรียนบ้านโนนทัน\u200b", "\ufeffรร บ้านโนนทัน"])
def test_a_returned_childs_school_typed_oddly_is_still_the_school(people, db, schools, make_case, typed):
    case_id = make_case(status="found", first_name="ดวงใจ", last_name="กลับมา", grade="ป.4")
    said = back_in_school(people["district"], case_id, typed)
    assert "รายชื่อเฝ้าระวังของโรงเรียนบ้านโนนทัน" in said, (typed, said)
    [student] = students(db)
    assert (student.school_id, student.case_id) == (schools["nontan"], case_id)


def test_a_returned_childs_grade_as_the_ministrys_list_wrote_it_is_the_class_schools_write(people, db, schools,
                                                                                          make_case):
    """The list's grade is free text (up to 16 characters); the watch list's classes are as
    domain.school_classes writes them, so that the teacher adding the child again finds them."""
    teacher = people["teacher"]
    typed = {"ชั้น ป.๔": "ป.4", "ประถม 4/2": "ป.4/2", "ม.๑": "ม.1", "4": "4", None: watch.UNKNOWN_CLASS}
    ids = {grade: make_case(status="found", first_name=name, last_name="กลับมา", grade=grade)
           for name, grade in zip(("ก้อย", "แก้ว", "ขวัญ", "ข้าว", "ครีม"), typed)}
    for grade, case_id in ids.items():
        back_in_school(teacher, case_id, "โรงเรียนบ้านโนนทัน")
    with db.transaction() as session:
        joined = {s.case_id: s.class_name for s in session.scalars(select(WatchStudent))}
    assert {grade: joined[case_id] for grade, case_id in ids.items()} == typed
    # Added again in chat by the class schools write: the same student, updated.
    say(teacher, MENU_ADD_STUDENT, "ด.ญ.ก้อย กลับมา", "ป.๔", "กลุ่มมีปัญหา", "ยากจน", "เสร็จแล้ว", "ข้าม")
    [done, _] = say(teacher, "ยืนยัน")
    assert "อยู่แล้ว" in done["text"]
    reply = say(teacher, MENU_WATCH_LIST)
    checked(reply)


# ------------------------------------------------------------------ the summary card and the export, two districts

def watch_rows(message: dict) -> dict[str, str]:
    from domain.watch_numbers import LABELS
    from handlers.area_summary import WATCH_HEADING
    texts = flex_texts(message)
    if WATCH_HEADING not in texts:
        return {}
    start = texts.index(WATCH_HEADING) + 1
    return {label: texts[texts.index(label, start) + 1] for label in LABELS.values()}


def xlsx_of(chat, line, client, run_exports) -> dict[str, list[list]]:
    ask = checked(chat.taps("action=export"))
    [xlsx] = [i["action"]["data"] for i in ask[0]["quickReply"]["items"] if "xlsx" in i["action"]["data"]]
    before = len(line.messages_to(chat.user_id))
    checked(chat.taps(xlsx))
    run_exports()
    [url] = [re.search(r"https?://\S+/download/\S+", m["text"]).group()
             for m in line.messages_to(chat.user_id)[before:] if "/download/" in m.get("text", "")]
    response = client.post(url.removeprefix(PUBLIC_BASE_URL))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}


def test_the_summary_and_the_export_of_two_districts_keep_to_each_users_scope(people, db, schools, line, client,
                                                                               run_exports):
    for school, names in (("nontan", ("หนึ่ง", "สอง")), ("samran", ("สาม",)), ("faang", ("สี่", "ห้า", "หก"))):
        for name in names:
            put_on_list(db, schools[school], name, group="problem" if name in ("สอง", "ห้า") else "at_risk")
    expected = {"district": "3", "other_district": "3", "school_coordinator": "2"}
    for who, screened in expected.items():
        [card] = say(people[who], MENU_AREA_SUMMARY)
        assert watch_rows(card)["คัดกรองแล้ว"] == screened, who
    assert watch_rows(say(people["skr"], MENU_AREA_SUMMARY)[0]) == {}  # a สกร. sees cases, not the lists
    # Drilled into the other district, by a forged button: refused.
    for data in ("action=summary&area=4002", "action=summary&area=400201", "action=summary&area=4002' OR '1'='1",
                 "action=summary&area=" + "4" * 500):
        [refused] = tap(people["district"], data)
        assert refused["text"] == access.OUT_OF_SCOPE, data
    sheets = xlsx_of(people["district"], line, client, run_exports)
    schools_shown = [row[2] for row in sheets[WATCH_SHEET][1:] if row[0] == "โรงเรียน"]
    assert schools_shown == ["โรงเรียนบ้านโนนทัน", "โรงเรียนบ้านสำราญ"]
    assert "บ้านฝาง" not in json.dumps(sheets[WATCH_SHEET], ensure_ascii=False, default=str)
    everything = json.dumps(sheets, ensure_ascii=False, default=str)
    assert not any(name in everything for name in ("หนึ่ง", "บันทึกลับ"))
    sheets = xlsx_of(people["other_district"], line, client, run_exports)
    assert [row[2] for row in sheets[WATCH_SHEET][1:] if row[0] == "โรงเรียน"] == ["โรงเรียนบ้านฝาง"]
    sheets = xlsx_of(people["school_coordinator"], line, client, run_exports)
    assert [row[2] for row in sheets[WATCH_SHEET][1:] if row[0] == "โรงเรียน"] == ["โรงเรียนบ้านโนนทัน"]
    assert WATCH_SHEET not in xlsx_of(people["skr"], line, client, run_exports)


# ------------------------------------------------------------------ the jobs: days off, twice, nobody to ask

def run(app, job: str, moment: datetime) -> int:
    asked = run_job(job, app, now=moment)
    deliver_queued(app)
    return asked


def test_the_jobs_keep_each_areas_school_days_run_twice_once_and_wait_for_someone_to_ask(
        app, people, db, schools, line, registered, new_chat):
    teacher, faang_teacher, coordinator = people["teacher"], people["faang_teacher"], people["school_coordinator"]
    result = app.test_cli_runner().invoke(args=["terms", "holiday", "--area", "4002", "--name", "งานประจำปีอำเภอ",
                                                "--on", "๔/๑๒/๒๕๖๙"])
    assert result.exit_code == 0, result.output
    screened = at(date(2026, 11, 23), 9)
    ours = put_on_list(db, schools["nontan"], "มาลี", teacher=teacher, when=screened)
    problem = put_on_list(db, schools["nontan"], "ปัญหา", group="problem", teacher=teacher, when=screened)
    theirs = put_on_list(db, schools["faang"], "ไกลบ้าน", when=screened)
    # Between the terms, on a weekend and on a holiday: nothing.
    for day in (date(2026, 10, 16), date(2026, 10, 20), date(2026, 12, 5), date(2026, 12, 6), date(2026, 12, 10)):
        assert run(app, WEEKLY, at(day, 14)) == 0 and run(app, VISITS, at(day, 8, 30)) == 0, day
    # Thursday: ฝาง's Friday is its district's holiday, so its week ends today; โนนทัน's does not.
    assert run(app, WEEKLY, at(date(2026, 12, 3), 14)) == 1
    assert run(app, WEEKLY, at(date(2026, 12, 3), 14, 5)) == 0
    [asked] = line.messages_to(faang_teacher.user_id)
    assert "ไกลบ้าน" in json.dumps(asked, ensure_ascii=False)
    assert run(app, WEEKLY, at(date(2026, 12, 4), 14)) == 2 and run(app, WEEKLY, at(date(2026, 12, 4), 16)) == 0
    pushed = json.dumps(line.messages_to(teacher.user_id), ensure_ascii=False)
    assert "มาลี" in pushed and "ปัญหา" in pushed and "ไกลบ้าน" not in pushed
    # The teacher deactivated: the school's coordinator is asked. ฝาง's only teacher deactivated too:
    # nobody there, so the student waits (no marker) until a teacher registers.
    for chat in (teacher, faang_teacher):
        assert app.test_cli_runner().invoke(args=["users", "deactivate", chat.user_id]).exit_code == 0
    deliver_queued(app)  # their notices of it
    before = {chat.user_id: len(line.messages_to(chat.user_id)) for chat in (teacher, faang_teacher, coordinator)}
    assert run(app, WEEKLY, at(date(2026, 12, 11), 14)) == 2
    assert len(line.messages_to(teacher.user_id)) == before[teacher.user_id]
    assert len(line.messages_to(faang_teacher.user_id)) == before[faang_teacher.user_id]
    [check] = line.messages_to(coordinator.user_id)[before[coordinator.user_id]:]
    assert "มาลี" in json.dumps(check, ensure_ascii=False)
    newcomer = in_organisation(db, registered(new_chat(), "teacher", None), schools["faang"])
    assert run(app, WEEKLY, at(date(2026, 12, 11), 15)) == 1
    [check] = line.messages_to(newcomer.user_id)
    assert "ไกลบ้าน" in json.dumps(check, ensure_ascii=False)
    with db.transaction() as session:
        markers = session.scalars(select(WatchEvent.student_id).where(WatchEvent.kind == "attendance_asked")).all()
    assert sorted(markers) == sorted([theirs, ours, problem, ours, problem, theirs])


# ------------------------------------------------------------------ a class list with bad rows

CLASS_HEADER = ["เลขที่", "เลขประจำตัวประชาชน", "คำนำหน้า", "ชื่อ", "นามสกุล", "ชั้น", "ห้อง", "ผลการคัดกรอง", "ปัจจัยเสี่ยง",
                "หมายเหตุ"]
GOOD_ID, OTHER_ID = "1101700230708", "3100500123458"


def import_rows(app, tmp_path, rows, *args, name="ห้อง5.xlsx"):
    from devtools.synthetic import to_csv, to_xlsx
    path = tmp_path / name
    table = [CLASS_HEADER, *rows]
    path.write_bytes(to_xlsx(table) if name.endswith(".xlsx") else to_csv(table))
    return app.test_cli_runner().invoke(args=["watch", "import", str(path), "--school", "๑๐๔๐๐๑๐๑๐๑", *args])


def test_a_class_list_with_bad_rows_imports_the_good_ones_and_says_why_in_thai(app, people, db, tmp_path):
    rows = [
        ["1", "1-1017-00230-70-8", "ด.ญ.", "บุษบา", "ศรีสุข", "ป.๕", "๑", "กลุ่มเสี่ยง", "ยากจน; ติดเกม 🎮", ""],
        ["2", "1101700230709", "ด.ช.", "ผิดเลข", "บัตร", "ป.5", "1", "เสี่ยง", "", ""],  # a wrong check digit
        ["3", "", "ด.ช.", "ไม่มีกลุ่ม", "ทดสอบ", "ป.5", "1", "", "", ""],
        ["4", "", "ด.ช.", "ผิดชั้น", "ทดสอบ", "ปวช.1", "1", "ปกติ", "", ""],
        ["5", "", "ด.ช.", "=HYPERLINK(\"http://evil\",\"x\")", "-2+3", "ป.5", "1", "2", "", ""],
        ["6", GOOD_ID, "ด.ญ.", "ซ้ำ", "เลขบัตร", "ป.5", "1", "3", "", ""],  # the same ID as row 1
        ["7", "", "", "", "", "", "", "", "", ""],
        ["8", "", "ด.ช.", "ยาวมาก", "ทดสอบ", "ป.5", "1", "กลุ่มมีปัญหา", "ก" * 600, ""],
        ["9", OTHER_ID, "นาย", "John", "Smith", "Grade 7", "2", "problem", "poverty, health", "'; DROP TABLE x;--"],
    ]
    rows.append(["10", "", "ด.ญ.", "ขวัญใจ", "ตั้งใจ", "ป.5", "1", "กลุ่มเสี่ยง", "1. ยากจน 2. ขาดเรียน และ ติดเกม", ""])
    rows.append(["11", "", "ด.ช.", "ก้อง", "ดีมาก", "ป.5", "1", "กลุ่มเสี่ยง", "ยากจน - ขาดเรียนบ่อย (ทุนเสมอภาค)", ""])
    result = import_rows(app, tmp_path, rows, "--yes")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and THAI.search(result.output)
    assert "นำเข้าได้ 4 คน" in result.output, result.output
    assert "ติดเกม" not in result.output  # a synonym: matched, not listed for synonyms
    found = {s.first_name: s for s in students(db)}
    assert set(found) == {"บุษบา", "John", "ขวัญใจ", "ก้อง"}
    assert (found["บุษบา"].class_name, found["บุษบา"].national_id) == ("ป.5/1", GOOD_ID)
    assert (found["บุษบา"].risk_factors, found["บุษบา"].risk_note) == (["poverty", "behaviour"], None)  # no 🎮
    assert (found["John"].class_name, found["John"].group) == ("ม.1/2", "problem")
    # Numbered, joined and bracketed factors are the factors, with no "อื่น ๆ" nobody wrote.
    assert (found["ขวัญใจ"].risk_factors, found["ขวัญใจ"].risk_note) == (["poverty", "absent_often", "behaviour"], None)
    assert (found["ก้อง"].risk_factors, found["ก้อง"].risk_note) == (["poverty", "absent_often"], None)
    # The imported students show in chat within LINE's limits, the injected text as text.
    teacher = people["teacher"]
    reply = say(teacher, MENU_WATCH_LIST)
    for student in found.values():
        tap(teacher, f"action=student&student={student.id}")
    # Again: nothing changes; a file that is no class list, or of no school, is refused in Thai.
    again = import_rows(app, tmp_path, rows, "--yes")
    assert "เพิ่ม 0 คน, ปรับข้อมูล 0 คน, ไม่เปลี่ยนแปลง 4 คน" in again.output, again.output
    # As CSV, the cell starting with "=" is text (in the XLSX, openpyxl wrote it as a formula with no value):
    # a student of that name, shown as text.
    csv_again = import_rows(app, tmp_path, rows, "--yes", name="ห้อง5.csv")
    assert "เพิ่ม 1 คน, ปรับข้อมูล 0 คน, ไม่เปลี่ยนแปลง 4 คน" in csv_again.output, csv_again.output
    [formula] = [s for s in students(db) if s.first_name.startswith("=")]
    [card] = tap(teacher, f"action=student&student={formula.id}")
    assert "=HYPERLINK" in card["altText"]
    wrong = import_rows(app, tmp_path, [["1", "x"]], "--yes")
    assert wrong.exit_code != 0 and "Traceback" not in wrong.output and THAI.search(wrong.output)
    other_school = app.test_cli_runner().invoke(args=["watch", "import", str(tmp_path / "ห้อง5.xlsx"),
                                                      "--school", "SKR4001", "--yes"])
    assert other_school.exit_code != 0 and "ไม่มีโรงเรียนรหัส" in other_school.output
    assert len(students(db)) == 5 and reply


def test_importing_the_class_list_again_leaves_a_forgotten_student_forgotten(app, people, db, tmp_path):
    rows = [["1", GOOD_ID, "ด.ญ.", "บุษบา", "ศรีสุข", "ป.5", "1", "กลุ่มเสี่ยง", "ยากจน", ""]]
    assert import_rows(app, tmp_path, rows, "--yes").exit_code == 0
    [student] = students(db)
    assert app.test_cli_runner().invoke(args=["pdpa", "forget-student", str(student.id), "--yes"]).exit_code == 0
    again = import_rows(app, tmp_path, rows, "--yes")
    assert [s.first_name for s in students(db)] == [""]
    assert "ไม่นำเข้า 1 คนที่ลบข้อมูลส่วนบุคคลตามคำขอแล้ว" in again.output


def test_drafts_left_open_are_reminded_only_to_who_may_still_see_the_student_and_groups_get_nothing(
        app, people, db, schools, line, clock):
    teacher, district = people["teacher"], people["district"]
    ours = put_on_list(db, schools["nontan"], "มาลี", group="problem", teacher=teacher)
    tap(teacher, f"action=visit&student={ours}")
    tap(district, f"action=attend&student={ours}&week={week_now()}&answer=some")
    in_organisation(db, teacher, schools["samran"])  # moved, the draft open
    before = {chat.user_id: len(line.messages_to(chat.user_id)) for chat in (teacher, district)}
    run_job("unfinished-form-nudges", app, now=utcnow() + timedelta(hours=2))
    deliver_queued(app)
    assert "มาลี" not in json.dumps(line.messages_to(teacher.user_id)[before[teacher.user_id]:], ensure_ascii=False)
    reminded = line.messages_to(district.user_id)[before[district.user_id]:]
    assert reminded and "มาลี" in json.dumps(reminded, ensure_ascii=False)  # still theirs to answer
    # Adding a student, moved to another school before confirming: refused, nothing added to either school.
    in_organisation(db, teacher, schools["nontan"])
    say(teacher, MENU_ADD_STUDENT, "ด.ช.ก้อง ดีมาก", "ป.1/1", "ปกติ", "ข้าม")
    in_organisation(db, teacher, schools["samran"])
    [refused] = say(teacher, "ยืนยัน")
    assert refused["text"] == access.OUT_OF_SCOPE
    assert [s.first_name for s in students(db)] == ["มาลี"]
    # The list asked for in a LINE group the teacher is in: the group hears nothing.
    body, headers = line.webhook_request([line.group_text_event("Cteachers", teacher.user_id, MENU_WATCH_LIST)])
    assert teacher.client.post("/callback", data=body, headers=headers).status_code == 200
    deliver_queued(app)
    assert line.messages_to("Cteachers") == []


def test_a_week_without_school_days_is_no_week_of_attendance(people, db, schools, clock):
    teacher = people["teacher"]
    ours = put_on_list(db, schools["nontan"], "มาลี", teacher=teacher, when=at(date(2026, 10, 12), 9))
    for friday in (date(2026, 10, 16), date(2026, 10, 23), date(2026, 10, 30)):  # between the terms
        clock.move_to(at(friday, 15))
        [told] = tap(teacher, f"action=attend&student={ours}&week={week_now(clock)}&answer=none")
        assert "ไม่มีวันเรียน" in told["text"]
    # Nor does the card offer the week's buttons then.
    card = tap(teacher, f"action=student&student={ours}")[-1]
    assert "ไม่มีวันเรียน" in all_text(card) and "action=attend" not in json.dumps(card)
    with db.transaction() as session:
        assert session.get(WatchStudent, ours).status == "watching"


def test_a_coordinator_picks_a_school_by_code_in_thai_digits_and_never_one_of_another_district(people, db, schools):
    district = people["district"]
    say(district, MENU_ADD_STUDENT)
    for typed, told in (("๑๐๔๐๐๒๐๑๐๑", "ไม่พบโรงเรียน"), ("บ้านฝาง", "ไม่พบโรงเรียน"), ("%", "ไม่พบโรงเรียน"),
                        ("' OR 1=1 --", "ไม่พบโรงเรียน"), ("โรงเรียน", "มีหลายโรงเรียน")):
        [again] = say(district, typed)
        assert told in again["text"], typed
    [asked] = say(district, "๑๐๔๐๐๑๐๒๐๑")
    assert "ชื่อและนามสกุล" in asked["text"]
    say(district, "ด.ช.ก้อง ดีมาก", "ป.1/1", "ปกติ", "ข้าม", "ยืนยัน")
    [student] = students(db)
    assert student.school_id == schools["samran"]


def test_only_a_coordinator_who_sees_the_lists_can_own_prevention(app, people, db, schools, organisations,
                                                                    registered, new_chat, line, clock):
    """The owner of prevention is told of students raised in their scope, instead of the area's nearest
    coordinators (domain.watch.raise_recipients): a สกร. coordinator, who sees no list, would be told nothing,
    and so would the area office."""
    for who in ("skr", "school_coordinator"):
        result = app.test_cli_runner().invoke(args=["watch", "owner", people[who].user_id])
        assert result.exit_code != 0 and "ไม่ได้ดูแลรายชื่อเฝ้าระวังของพื้นที่" in result.output, result.output
    office = in_organisation(db, registered(new_chat(), "coordinator", None, real_name="ศน.ป้องกัน"),
                             organisations["SPP40-1"])
    near = registered(new_chat(), "coordinator", "400101", real_name="ผอ.ใกล้")  # the subdistrict: nearer
    for chat in (office, near):
        result = app.test_cli_runner().invoke(args=["watch", "owner", chat.user_id])
        assert result.exit_code == 0, result.output
    # The nearer owner moved to the สกร. since: the office's owner is told instead.
    in_organisation(db, near, schools["skr"])
    teacher = people["teacher"]
    ours = put_on_list(db, schools["nontan"], "มาลี", teacher=teacher, when=at(date(2026, 11, 23), 9))
    for friday in (date(2026, 11, 27), date(2026, 12, 4)):
        clock.move_to(at(friday, 15))
        tap(teacher, f"action=attend&student={ours}&week={week_now(clock)}&answer=none")
    deliver_queued(app)
    [notice] = line.messages_to(office.user_id)
    assert "มาลี" in json.dumps(notice, ensure_ascii=False)
    assert "มาลี" not in json.dumps(line.messages_to(near.user_id), ensure_ascii=False)


def test_the_commands_take_thai_digits_and_refuse_nonsense_in_thai_without_a_traceback(app, people, db):
    runner = app.test_cli_runner()
    cases = [
        (["terms", "holiday", "--area", "๔๐๐๒", "--name", "งานบุญ", "--on", "๔/๑๒/๒๕๖๙"], True),
        (["terms", "show", "--area", "๔๐๐๒"], True),
        (["terms", "show", "--area", "99"], False),
        (["terms", "remove", "๙๙๙"], False),
        (["terms", "remove", "-1"], False),
        (["terms", "remove", "' OR 1=1"], False),
        (["terms", "holiday", "--area", "4002", "--name", "x", "--on", "๓๑/๒/๒๕๗๐"], False),
        (["terms", "set", "--area", "4002", "--name", "ภาค", "--from", "2569-13-01", "--to", "2569-12-01"], False),
        (["watch", "owner", "๐๘๑๒๓๔๕๖๗๘"], None),  # several users share the fixture's phone: refused or done
        (["watch", "owner", "Unobody"], False),
        (["watch", "import", "/nonexistent.csv", "--school", "1040010101"], False),
        (["pdpa", "forget-student", "๙๙๙", "--yes"], False),
        (["pdpa", "forget-student", "-5", "--yes"], False),
    ]
    for args, ok in cases:
        result = runner.invoke(args=args)
        assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.output)
        assert "Traceback" not in result.output, (args, result.output)
        if ok is not None:
            assert (result.exit_code == 0) == ok, (args, result.output)


def test_a_province_coordinator_pages_through_many_schools_and_classes_within_lines_limits(
        db, registered, new_chat, areas, schools):
    from domain import people as directory
    from models import Area
    with db.transaction() as session:
        area = session.scalar(select(Area).where(Area.code == "400201"))
        made = [directory.save_organisation(session, "school", f"โรงเรียนบ้านหนองไผ่ที่{n}" + "ยาวมาก" * 10,
                                            f"10400209{n:02d}", [area]).id for n in range(23)]
    for n, school_id in enumerate(made):
        put_on_list(db, school_id, "นักเรียน", f"ที่{n}", class_name=f"ป.{n % 6 + 1}/{n % 3 + 1}")
    for n in range(9):  # one school with nine classes
        put_on_list(db, schools["nontan"], "เด็ก", f"ห้อง{n}", class_name=f"ม.{n % 6 + 1}/{n // 6 + 1}", group="problem")
    province = registered(new_chat(), "coordinator", "40")
    heading, carousel = say(province, MENU_WATCH_LIST)
    assert "ใน 24 โรงเรียน (หน้า 1/3)" in heading["text"] and len(bubbles(carousel)) == 10
    pages = 1
    while "ถัดไป" in quick_reply_labels(carousel):
        [data] = [i["action"]["data"] for i in carousel["quickReply"]["items"] if i["action"]["label"] == "ถัดไป"]
        heading, carousel = tap(province, data)
        pages += 1
    assert pages == 3 and len(bubbles(carousel)) == 4
    heading, carousel = tap(province, f"action=watchlist&school={schools['nontan']}")
    assert "โรงเรียนบ้านโนนทัน 9 คน" in heading["text"]
    labels = quick_reply_labels(carousel)
    assert "ม.1/1" in labels and len(labels) <= 13


def test_without_an_owner_a_raised_student_reaches_the_area_beyond_the_schools_own_coordinator(
        app, people, db, schools, line, clock, registered, new_chat):
    """raise_recipients: the school's own coordinators, and the owner of prevention or, without one, the area's
    nearest coordinators: those are the area's, not the school's own coordinator again (who, with the school's
    subdistrict for a scope, is the nearest of all), nor a สกร. coordinator who sees no list."""
    teacher, school_coordinator, district = people["teacher"], people["school_coordinator"], people["district"]
    ours = put_on_list(db, schools["nontan"], "มาลี", teacher=teacher, when=at(date(2026, 11, 23), 9))
    for friday in (date(2026, 11, 27), date(2026, 12, 4)):
        clock.move_to(at(friday, 15))
        [said] = tap(teacher, f"action=attend&student={ours}&week={week_now(clock)}&answer=none")
    assert "แจ้งครูผู้ประสานงานของโรงเรียนและเขตพื้นที่แล้ว" in said["text"]
    deliver_queued(app)
    for chat in (school_coordinator, district):
        assert "มาลี" in json.dumps(line.messages_to(chat.user_id), ensure_ascii=False), chat
    for chat in (people["skr"], people["other_district"], people["village_head"], people["samran_teacher"]):
        assert line.messages_to(chat.user_id) == []
    # The district's coordinator made the owner, then deactivated: the next level (the province), not nobody.
    with db.transaction() as session:
        session.execute(update(User).where(User.line_user_id == district.user_id).values(owns_prevention=True,
                                                                                          active=False))
    province = registered(new_chat(), "coordinator", "40", real_name="ศึกษาธิการจังหวัด")
    second = put_on_list(db, schools["samran"], "สมใจ", when=at(date(2026, 11, 23), 9))
    for friday in (date(2026, 11, 27), date(2026, 12, 4)):
        clock.move_to(at(friday, 16))
        [said] = tap(people["samran_teacher"], f"action=attend&student={second}&week={week_now(clock)}&answer=none")
    assert "แจ้งครูผู้ประสานงานของโรงเรียนและเขตพื้นที่แล้ว" in said["text"]
    deliver_queued(app)
    assert "สมใจ" in json.dumps(line.messages_to(province.user_id), ensure_ascii=False)
