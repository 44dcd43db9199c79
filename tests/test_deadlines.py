"""Reporting deadlines: a coordinator sets one, reminders reach only those who have not reported."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from domain.deadlines import create_deadline, due_round, mark_reported, parse_days, today_in_bangkok
from domain.menu_labels import MENU_SET_DEADLINE
from domain.thai import InvalidInput
from domain.thai_dates import BANGKOK, format_thai_date, parse_date
from helpers import deliver_queued, quick_reply_labels
from models import Area, Deadline, DeadlineReminder, DeadlineReport, OutboxMessage, User, utcnow
from scheduler.jobs import run_job

DUE = date(2026, 3, 20)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BANGKOK)


def be(d: date) -> str:
    return f"{d.day}/{d.month}/{d.year + 543}"


def user_of(db, chat) -> User:
    with db.transaction() as session:
        return session.scalar(select(User).where(User.line_user_id == chat.user_id))


def deadlines(db) -> list[Deadline]:
    with db.transaction() as session:
        return list(session.scalars(select(Deadline)))


def add_deadline(db, area_code="4001", due=DUE, roles=("reporter",), days=(7, 3, 1, 0)) -> int:
    with db.transaction() as session:
        area = session.scalar(select(Area).where(Area.code == area_code)) if area_code else None
        return create_deadline(session, title="รายงานผลการติดตามเด็ก รอบที่ 1", due_date=due, area=area,
                               roles=list(roles), remind_days=list(days)).id


def reminder_cards(line, chat) -> list[dict]:
    return [m for m in line.messages_to(chat.user_id) if m["type"] == "flex"]


# ------------------------------------------------------------------ setting a deadline in chat

def test_a_coordinator_sets_a_deadline_in_chat(chat, registered, db, new_chat):
    registered(chat, "coordinator", "4001")
    for code in ("400101", "400102"):
        registered(new_chat(), "reporter", code)
    registered(new_chat(), "reporter", "400201")  # another district
    due = today_in_bangkok(utcnow()) + timedelta(days=10)

    assert "ชื่อเรื่อง" in chat.says(MENU_SET_DEADLINE)[0]["text"]
    [ask_date] = chat.says("รายงานผลการติดตามเด็ก รอบที่ 1")
    assert "เลือกวันที่" in quick_reply_labels(ask_date)
    [ask_roles] = chat.says(be(due))
    assert quick_reply_labels(ask_roles)[:3] == ["ผู้รายงาน", "ครู", "ผู้รายงานและครู"]
    [summary] = chat.says("ผู้รายงาน")
    assert format_thai_date(due, short_month=False) in summary["text"] and "เมืองขอนแก่น" in summary["text"]
    [saved] = chat.says("ยืนยัน")
    assert "บันทึกกำหนดส่งแล้ว" in saved["text"] and "2 คน" in saved["text"]

    [deadline] = deadlines(db)
    assert (deadline.title, deadline.due_date, deadline.roles) == ("รายงานผลการติดตามเด็ก รอบที่ 1", due, ["reporter"])
    assert deadline.remind_days == [7, 3, 1, 0] and deadline.created_by_id == user_of(db, chat).id


def test_the_date_picker_and_bad_dates(chat, registered, db):
    registered(chat, "coordinator", "40")
    today = today_in_bangkok(utcnow())
    chat.says(MENU_SET_DEADLINE)
    chat.says("สรุปผลการติดตาม")
    assert "ผ่านมาแล้ว" in chat.says(be(today - timedelta(days=1)))[0]["text"]
    assert "ไม่เข้าใจวันที่" in chat.says("เร็วๆ นี้")[0]["text"]
    picked = today + timedelta(days=3)
    [ask_roles] = chat.taps("action=deadline-date", {"date": picked.isoformat()})
    assert "ใครต้องรายงาน" in ask_roles["text"]
    chat.says("ผู้รายงานและครู")
    chat.says("ยืนยัน")
    [deadline] = deadlines(db)
    assert deadline.due_date == picked and deadline.roles == ["reporter", "teacher"]


def test_only_coordinators_set_deadlines(chat, registered, db):
    registered(chat, "reporter", "400101")
    assert "ไม่มีสิทธิ์" in chat.says(MENU_SET_DEADLINE)[0]["text"]
    assert deadlines(db) == []


def test_cancelling_keeps_nothing(chat, registered, db):
    registered(chat, "coordinator", "4001")
    chat.says(MENU_SET_DEADLINE)
    chat.says("ประชุม")
    assert "ยกเลิก" in chat.says("ยกเลิก")[0]["text"]
    assert deadlines(db) == []


# ------------------------------------------------------------------ reminder rounds

@pytest.fixture
def people(registered, new_chat):
    """Who is who for a deadline of district 4001's reporters."""
    return {
        "village_head": registered(new_chat(), "reporter", "40010101"),
        "officer": registered(new_chat(), "reporter", "400102"),
        "teacher": registered(new_chat(), "teacher", "400101"),  # not a role of the deadline
        "elsewhere": registered(new_chat(), "reporter", "400201"),  # another district
    }


def test_reminders_go_once_per_round_to_those_who_have_not_reported(app, db, line, people):
    deadline_id = add_deadline(db)
    assert run_job("deadline-reminders", app, now=at(DUE - timedelta(days=7), 7, 59)) == 0  # not yet
    assert run_job("deadline-reminders", app, now=at(DUE - timedelta(days=7), 8, 5)) == 2
    assert run_job("deadline-reminders", app, now=at(DUE - timedelta(days=7), 9, 0)) == 0  # once
    deliver_queued(app)

    [card] = reminder_cards(line, people["village_head"])
    assert card["altText"].startswith("เตือนกำหนดส่ง: รายงานผลการติดตามเด็ก รอบที่ 1")
    assert "20 มีนาคม 2569 (อีก 7 วัน)" in card["altText"]
    assert len(reminder_cards(line, people["officer"])) == 1
    assert reminder_cards(line, people["teacher"]) == reminder_cards(line, people["elsewhere"]) == []
    [multicast] = line.multicasts()
    assert sorted(multicast.json["to"]) == sorted([people["village_head"].user_id, people["officer"].user_id])

    [thanks] = people["village_head"].taps(f"action=deadline-reported&deadline={deadline_id}")
    assert "บันทึกแล้วว่าท่านรายงาน" in thanks["text"]
    assert "บันทึกไว้แล้ว" in people["village_head"].taps(f"action=deadline-reported&deadline={deadline_id}")[0]["text"]

    assert run_job("deadline-reminders", app, now=at(DUE - timedelta(days=3), 8, 0)) == 1
    deliver_queued(app)
    assert len(reminder_cards(line, people["village_head"])) == 1
    [_, second] = reminder_cards(line, people["officer"])
    assert "(อีก 3 วัน)" in second["altText"]

    assert run_job("deadline-reminders", app, now=at(DUE, 8, 0)) == 1
    deliver_queued(app)
    assert "(วันนี้)" in reminder_cards(line, people["officer"])[-1]["altText"]
    assert run_job("deadline-reminders", app, now=at(DUE + timedelta(days=1), 8, 0)) == 0  # past


def test_the_reminder_button_is_for_those_responsible(app, db, people):
    deadline_id = add_deadline(db)
    [reply] = people["teacher"].taps(f"action=deadline-reported&deadline={deadline_id}")
    assert "ไม่ได้อยู่ในความรับผิดชอบ" in reply["text"]
    for unknown in ("999999", "abc"):
        reply = people["teacher"].taps(f"action=deadline-reported&deadline={unknown}")
        assert "ไม่พบกำหนดส่งนี้" in reply[0]["text"]


def test_blocked_and_deactivated_users_get_no_reminder(app, db, line, people):
    people["officer"].unfollows()
    with db.transaction() as session:
        session.scalar(select(User).where(User.line_user_id == people["village_head"].user_id)).active = False
    add_deadline(db)
    assert run_job("deadline-reminders", app, now=at(DUE, 8, 0)) == 0
    with db.transaction() as session:
        assert session.scalar(select(DeadlineReminder.recipients)) == 0


def test_mark_reported_stops_every_open_deadline_of_the_user(app, db, people):
    first, second = add_deadline(db), add_deadline(db, area_code="40", roles=("reporter", "teacher"))
    add_deadline(db, due=DUE - timedelta(days=30))  # already past
    with db.transaction() as session:
        user = session.scalar(select(User).where(User.line_user_id == people["officer"].user_id))
        marked = mark_reported(session, user, at=at(DUE - timedelta(days=5), 10))
        assert sorted(d.id for d in marked) == [first, second]
        assert mark_reported(session, user, at=at(DUE - timedelta(days=5), 11)) == []
    # the village head for both; the teacher and the reporter elsewhere in the province for the second
    assert run_job("deadline-reminders", app, now=at(DUE, 8, 0)) == 4


def test_a_round_reaches_a_national_audience_by_role(app, db, line, people, registered, new_chat):
    national_teacher = registered(new_chat(), "teacher", None)
    add_deadline(db, area_code=None, roles=("teacher",), days=(0,))
    assert run_job("deadline-reminders", app, now=at(DUE, 8, 0)) == 2
    deliver_queued(app)
    assert len(reminder_cards(line, people["teacher"])) == len(reminder_cards(line, national_teacher)) == 1


@pytest.mark.parametrize("created, expected", [
    (at(DUE - timedelta(days=2), 10), 3),  # set two days ahead: the 3-day round at once announces it
    (at(DUE - timedelta(days=1), 21), None),  # late 1-day round, next round 11 h away: wait for it
    (at(DUE, 7, 30), None),
    (at(DUE, 8, 0), 0),
    (at(DUE - timedelta(days=9), 8, 0), None),
])
def test_which_round_is_due(created, expected):
    deadline = Deadline(due_date=DUE, remind_days=[7, 3, 1, 0])
    assert due_round(deadline, created, time(8)) == expected


def test_deadline_dates_may_be_in_the_future_when_asked():
    today = date(2026, 3, 1)
    assert parse_date("15/3/2569", today=today, future=True) == date(2026, 3, 15)
    with pytest.raises(InvalidInput):
        parse_date("15/3/2569", today=today)


def test_reminder_days_setting():
    assert parse_days("0, 1,7,3,3") == [7, 3, 1, 0]
    with pytest.raises(ValueError):
        parse_days("7,-1")


def test_nothing_is_planned_in_quiet_hours(app, db, line, people, make_app, database_url):
    quiet = make_app(database_url, QUIET_HOURS="20:00-07:00")
    add_deadline(db, days=(1,))
    assert run_job("deadline-reminders", quiet, now=at(DUE - timedelta(days=1), 21)) is None
    assert run_job("deadline-reminders", quiet, now=at(DUE, 6, 59)) is None
    assert run_job("deadline-reminders", quiet, now=at(DUE, 7, 0)) == 2
    deliver_queued(app)  # quiet is about planning here; the sender's own hold is tested with the outbox
    assert "(วันนี้)" in reminder_cards(line, people["officer"])[0]["altText"]


# ------------------------------------------------------------------ the CLI

def test_cli_creates_a_deadline_from_a_buddhist_era_date(app, db, areas):
    due = today_in_bangkok(utcnow()) + timedelta(days=14)
    result = app.test_cli_runner().invoke(args=[
        "deadline", "create", "--title", "ส่งรายงาน อปท.", "--date", f"{due.day:02d}/{due.month:02d}/{due.year + 543}",
        "--area", "4001", "--roles", "reporter,teacher", "--remind", "3,0"])
    assert result.exit_code == 0, result.output
    [deadline] = deadlines(db)
    assert (deadline.due_date, deadline.roles, deadline.remind_days) == (due, ["reporter", "teacher"], [3, 0])
    listing = app.test_cli_runner().invoke(args=["deadline", "list"])
    assert "0/0 reported" in listing.output and "ส่งรายงาน อปท." in listing.output


@pytest.mark.parametrize("args, complaint", [
    (["--date", "2020-01-01", "--area", "4001"], "past"),
    (["--date", "31/02/2580", "--area", "4001"], "ไม่มีวันที่ 31"),
    (["--date", "2099-01-01", "--area", "9999"], "no area"),
    (["--date", "2099-01-01"], "--national"),
    (["--date", "2099-01-01", "--national", "--roles", "mayor"], "roles"),
    (["--date", "2099-01-01", "--national", "--title", "ก" * 201], "200 characters"),
])
def test_cli_refuses_what_it_cannot_use(app, db, areas, args, complaint):
    result = app.test_cli_runner().invoke(args=["deadline", "create", "--title", "x", *args])
    assert result.exit_code != 0 and complaint in result.output
    assert deadlines(db) == []


def test_reminder_rows_are_multicast_batches(app, db, areas):
    with db.transaction() as session:
        session.add_all(User(line_user_id=f"Ubatch{i:04d}", role="reporter", area_id=areas["400101"],
                             registered_at=utcnow()) for i in range(1200))
    add_deadline(db, days=(0,))
    assert run_job("deadline-reminders", app, now=at(DUE, 8, 0)) == 1200
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 3
        assert session.scalar(select(func.count()).select_from(DeadlineReport)) == 0
