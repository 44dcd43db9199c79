"""A child back in school joins the school's watch list (issue 19): recorded back at a school the bot
knows, typed as the teacher writes it ("โรงเรียนบ้านโนนทัน", "รร. บ้านโนนทัน"), the child is on that
school's list, the teacher's weekly check asks about them instead of the 7/30/90-day pushes, and four
full weeks make the case "เรียนต่อเนื่อง". A school the bot does not know keeps the fixed follow-ups."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from handlers.refer_child import school_key
from helpers import bubbles, deliver_queued, flex_texts, in_organisation
from models import Case, WatchStudent
from models.base import BANGKOK
from scheduler.jobs import run_job

BACK = datetime(2026, 11, 30, 10, 0, tzinfo=BANGKOK)  # a Monday in term 2
FRIDAYS = [date(2026, 12, 4), date(2026, 12, 11), date(2026, 12, 18), date(2026, 12, 25)]


def back_in_school(chat, case_id: int, school: str) -> str:
    """"กลับเข้าเรียนแล้ว" on the card: the school typed, started today; the reply."""
    chat.taps(f"action=enrol&case={case_id}")
    chat.says(school)
    [done] = chat.says("วันนี้")
    return done["text"]


def test_a_child_back_in_a_known_school_is_checked_weekly_instead_of_the_fixed_follow_ups(
        app, db, line, registered, new_chat, organisations, make_case, clock):
    nontan = organisations["1040010101"]
    teacher = in_organisation(db, registered(new_chat(), "teacher", "400101", real_name="ครูวิไล ใจงาม"), nontan)
    district = registered(new_chat(), "coordinator", "4001")
    children = {name: make_case(status="found", first_name=name, last_name="กลับมา", grade="ป.4")
                for name in ("ดวงใจ", "แก้วตา", "ชูใจ")}

    clock.move_to(BACK)
    # The teacher's own school, written in full; the district's coordinator types the short form.
    for chat, name, school in ((teacher, "ดวงใจ", "โรงเรียนบ้านโนนทัน"), (district, "แก้วตา", "รร. บ้านโนนทัน")):
        said = back_in_school(chat, children[name], school)
        assert "กลับเข้าเรียนแล้ว" in said and "รายชื่อเฝ้าระวังของโรงเรียนบ้านโนนทัน" in said, said
        assert "ทุกสัปดาห์" in said
    assert {school_key(typed) for typed in ("รร.บ้านโนนทัน", "ร.ร.บ้านโนนทัน", "โรงเรียน บ้านโนนทัน")} == {"บ้านโนนทัน"}
    # A school the bot does not know: the fixed follow-ups, as before.
    said = back_in_school(teacher, children["ชูใจ"], "โรงเรียนบ้านหนองไผ่")
    assert "รายชื่อเฝ้าระวัง" not in said and "7, 30, 90 วัน" in said
    with db.transaction() as session:
        listed = {s.first_name: s for s in session.scalars(select(WatchStudent))}
        assert set(listed) == {"ดวงใจ", "แก้วตา"}
        joined = listed["ดวงใจ"]
        assert (joined.school_id, joined.group, joined.class_name, joined.case_id) == (nontan, "at_risk", "ป.4",
                                                                                       children["ดวงใจ"])
        assert joined.teacher.line_user_id == teacher.user_id and listed["แก้วตา"].teacher_id is None

    # The stay-in-school pushes go for the child the bot could not place, only.
    for days in (8, 31, 91):
        assert run_job("stay-in-school-follow-ups", app, now=BACK + timedelta(days=days)) == 1
    deliver_queued(app)
    asked = line.texts_to(teacher.user_id)[-3:]
    assert all("ยังมาเรียนอยู่ไหม" in question and "ชูใจ" in question for question in asked)
    assert not any("ดวงใจ" in t or "แก้วตา" in t for t in line.texts_to(teacher.user_id)
                   if "ยังมาเรียนอยู่ไหม" in t)

    # Instead, the weekly check each Friday: four weeks of "มาเรียนครบ", and the case is staying.
    for week, friday in enumerate(FRIDAYS, 1):
        before = len(line.messages_to(teacher.user_id))
        assert run_job("watch-weekly-attendance", app, now=datetime.combine(friday, time(14), tzinfo=BANGKOK)) == 2
        deliver_queued(app)
        [check] = line.messages_to(teacher.user_id)[before:]
        [mine] = [b for b in bubbles(check) if any("ดวงใจ" in t for t in flex_texts({"contents": b}))]
        [full] = [b["action"]["data"] for b in mine["footer"]["contents"] if b["action"]["label"] == "มาเรียนครบ"]
        clock.move_to(datetime.combine(friday, time(15), tzinfo=BANGKOK))
        [reply] = teacher.taps(full)
        with db.transaction() as session:
            status = session.get(Case, children["ดวงใจ"]).status
        assert status == ("staying" if week == 4 else "back_in_school"), week
    assert "เรียนต่อเนื่อง" in reply["text"]
    with db.transaction() as session:
        assert session.get(Case, children["แก้วตา"]).status == "back_in_school"  # her weeks are not answered
