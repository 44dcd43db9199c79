"""Reporting deadlines: a coordinator sets one; progress counts the organisations' work (every listed child
checked in, or a zero report where allowed); reminders reach only the organisations with a gap."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from domain import people as directory
from domain.deadlines import create_deadline, due_round, parse_days, today_in_bangkok
from domain.export import SOURCES, export_file
from domain.menu_labels import MENU_AREA_SUMMARY, MENU_MY_AREA_NUMBERS, MENU_NO_MORE_CHILDREN, MENU_SET_DEADLINE
from domain.summary import deadline_progress
from domain.thai import InvalidInput
from domain.thai_dates import BANGKOK, format_thai_date, format_thai_date_digits, parse_date
from helpers import buttons_of, deliver_queued, flex_texts, quick_reply_labels
from models import (
    LISTED,
    REPORTED,
    STATUSES,
    Area,
    AuditEntry,
    Case,
    Deadline,
    DeadlineReminder,
    DeadlineReport,
    OutboxMessage,
    User,
    utcnow,
)
from scheduler.jobs import run_job

DUE = date(2026, 3, 20)
# Deadlines people act on in chat must still be open by the real clock the webhook reads.
SOON = today_in_bangkok(utcnow()) + timedelta(days=10)


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


def add_deadline(db, area_code="4001", due=DUE, roles=("reporter",), days=(7, 3, 1, 0), rule="all_checked",
                 kinds=("local_government",)) -> int:
    with db.transaction() as session:
        area = session.scalar(select(Area).where(Area.code == area_code)) if area_code else None
        return create_deadline(session, title="รายงานผลการติดตามเด็ก รอบที่ 1", due_date=due, area=area,
                               roles=list(roles), remind_days=list(days), rule=rule, org_kinds=kinds).id


def add_org(db, name, code, area_codes, kind="local_government") -> int:
    with db.transaction() as session:
        return directory.save_organisation(session, kind, name, code,
                                           [directory.find_area(session, c) for c in area_codes]).id


def join(db, chat, org_id):
    with db.transaction() as session:
        session.scalar(select(User).where(User.line_user_id == chat.user_id)).organisation_id = org_id
    return chat


def reminder_cards(line, chat) -> list[dict]:
    return [m for m in line.messages_to(chat.user_id) if m["type"] == "flex"]


# ------------------------------------------------------------------ setting a deadline in chat

def test_a_coordinator_sets_a_deadline_in_chat(chat, registered, db, new_chat, make_case):
    registered(chat, "coordinator", "4001")
    city, samran = add_org(db, "เทศบาลนครขอนแก่น", "LG1", ["400101"]), add_org(db, "อบต.สำราญ", "LG2", ["400102"])
    add_org(db, "อบต.บ้านฝาง", "LG3", ["400201"])  # another district: not in the audience
    add_org(db, "โรงเรียนบ้านโนนทัน", "SC1", ["400101"], kind="school")  # another kind
    make_case("40010201", status="to_find")
    due = today_in_bangkok(utcnow()) + timedelta(days=10)

    assert "ชื่อเรื่อง" in chat.says(MENU_SET_DEADLINE)[0]["text"]
    [ask_date] = chat.says("รายงานผลการติดตามเด็ก รอบที่ 1")
    assert "เลือกวันที่" in quick_reply_labels(ask_date)
    [ask_kinds] = chat.says(be(due).translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")))  # Thai digits
    assert quick_reply_labels(ask_kinds)[:3] == ["อปท.", "โรงเรียน", "อปท. และโรงเรียน"]
    [ask_roles] = chat.says("อปท.")
    assert quick_reply_labels(ask_roles)[:3] == ["ผู้รายงาน", "ครู", "ผู้รายงานและครู"]
    [ask_rule] = chat.says("ผู้รายงาน")
    assert quick_reply_labels(ask_rule)[:2] == ["ติดตามครบทุกคน", "แจ้งไม่พบเด็กได้"]
    [ask_form] = chat.says("แจ้งไม่พบเด็กได้")  # the district's own coordinator is not asked the area
    assert "ไม่มี" in quick_reply_labels(ask_form)
    assert "Google Form" in chat.says("http://example.com/form")[0]["text"]
    [summary] = chat.says("https://docs.google.com/forms/d/e/1FAIpQL/viewform")
    assert format_thai_date(due, short_month=False) in summary["text"] and "เมืองขอนแก่น" in summary["text"]
    assert "แจ้งว่าไม่พบเด็กเพิ่มเติม" in summary["text"]
    saved, progress_card = chat.says("ยืนยัน")
    assert "บันทึกกำหนดส่งแล้ว" in saved["text"] and "2 แห่ง" in saved["text"]
    lines = flex_texts(progress_card)
    assert "รายงานแล้ว 0 จาก 2 แห่ง" in lines
    assert "ยังไม่รายงาน: อบต.สำราญ (ยังไม่ได้ติดตาม 1 คน), เทศบาลนครขอนแก่น (ยังไม่แจ้งผล)" in lines
    [deadline] = deadlines(db)
    assert buttons_of(progress_card["contents"]) == {
        "เตือน อบต.สำราญ": f"action=deadline-nudge&deadline={deadline.id}&org={samran}",
        "เตือน เทศบาลนครขอนแก่น"[:20]: f"action=deadline-nudge&deadline={deadline.id}&org={city}"}

    assert (deadline.title, deadline.due_date, deadline.roles) == ("รายงานผลการติดตามเด็ก รอบที่ 1", due, ["reporter"])
    assert (deadline.org_kinds, deadline.rule) == (["local_government"], "zero_allowed")
    assert deadline.form_url == "https://docs.google.com/forms/d/e/1FAIpQL/viewform"
    assert deadline.remind_days == [7, 3, 1, 0] and deadline.created_by_id == user_of(db, chat).id


def test_the_date_picker_and_bad_dates(chat, registered, db):
    registered(chat, "coordinator", "40")
    today = today_in_bangkok(utcnow())
    chat.says(MENU_SET_DEADLINE)
    chat.says("สรุปผลการติดตาม")
    assert "ผ่านมาแล้ว" in chat.says(be(today - timedelta(days=1)))[0]["text"]
    assert "ไม่เข้าใจวันที่" in chat.says("เร็วๆ นี้")[0]["text"]
    picked = today + timedelta(days=3)
    [ask_kinds] = chat.taps("action=deadline-date", {"date": picked.isoformat()})
    assert "หน่วยงานใด" in ask_kinds["text"]
    assert "เลือกจากปุ่ม" in chat.says("อบจ.")[0]["text"]
    chat.says("อปท. และโรงเรียน")
    chat.says("ผู้รายงานและครู")
    chat.says("ติดตามครบทุกคน")
    chat.says("ไม่มี")
    chat.says("ยืนยัน")
    [deadline] = deadlines(db)
    assert deadline.due_date == picked and deadline.roles == ["reporter", "teacher"]
    assert (deadline.org_kinds, deadline.rule, deadline.form_url) == (["local_government", "school"], "all_checked", None)


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


# ------------------------------------------------------------------ deadline day: a district, three local governments

@pytest.fixture
def district(db, registered, new_chat, make_case):
    """District 4001 with three local governments and the list: เทศบาล (ในเมือง) has two children, อบต.สำราญ
    (หมู่ 1) one, อบต.โคกสี (หมู่ 2) two; a local government in the other district has one."""
    orgs = {"city": add_org(db, "เทศบาลนครขอนแก่น", "LG1", ["400101"]),
            "samran": add_org(db, "อบต.สำราญ", "LG2", ["40010201"]),
            "koksi": add_org(db, "อบต.โคกสี", "LG3", ["40010202"]),
            "faang": add_org(db, "อบต.บ้านฝาง", "LG4", ["400201"])}
    children = {"city": [make_case("40010101", status="to_find"), make_case("40010101", status="to_find")],
                "samran": [make_case("40010201", status="to_find")],
                "koksi": [make_case("40010202", status="to_find"), make_case("40010202", status="to_find")],
                "faang": [make_case("40020101", status="to_find")]}
    make_case("40010202", status="to_find", source="report")  # a report, not on the list
    chats = {
        "city_officer": join(db, registered(new_chat(), "reporter", "400101"), orgs["city"]),
        "village_head": registered(new_chat(), "reporter", "40010101"),  # no organisation: counts for the เทศบาล
        "samran_officer": join(db, registered(new_chat(), "reporter", "40010201"), orgs["samran"]),
        "koksi_officer": join(db, registered(new_chat(), "reporter", "40010202"), orgs["koksi"]),
        "koksi_teacher": join(db, registered(new_chat(), "teacher", "40010202"), orgs["koksi"]),  # not a role
        "faang_officer": join(db, registered(new_chat(), "reporter", "400201"), orgs["faang"]),
        "coordinator": registered(new_chat(), "coordinator", "4001"),
        "other_coordinator": registered(new_chat(), "coordinator", "4002"),
    }
    return orgs, children, chats


def check_in_not_found(chat, case_id):
    chat.taps(f"action=checkin&case={case_id}")
    chat.says("ไม่พบตัว")
    chat.says("บ้านปิด")
    chat.shares_location(16.44, 102.81)
    chat.sends_image()
    assert "ไม่พบตัว" in chat.says("ยินยอม")[0]["text"]


def progress_lines_of(db, roots=("4001",)) -> list[str]:
    with db.transaction() as session:
        return deadline_progress(session, roots, at(SOON - timedelta(days=1), 9))


def test_deadline_day_in_a_district(app, db, line, district):
    orgs, children, chats = district
    add_deadline(db, due=SOON, rule="zero_allowed")
    # The เทศบาล checks in every child: one by its village head (no organisation of his own), one by its officer.
    check_in_not_found(chats["village_head"], children["city"][0])
    check_in_not_found(chats["city_officer"], children["city"][1])
    # อบต.สำราญ files a zero report from the menu word; อบต.โคกสี does nothing.
    [filed] = chats["samran_officer"].says(MENU_NO_MORE_CHILDREN)
    assert "บันทึกแล้วว่า อบต.สำราญ ไม่พบเด็กเพิ่มเติม" in filed["text"]
    assert "บันทึกไว้แล้ว" in chats["samran_officer"].says(MENU_NO_MORE_CHILDREN)[0]["text"]

    with db.transaction() as session:
        unchecked = {name: session.scalar(select(func.count()).select_from(Case).where(
            Case.id.in_(ids), Case.status == "to_find")) for name, ids in children.items()}
        [zero] = session.scalars(select(DeadlineReport)).all()
        assert (zero.kind, zero.organisation_id) == ("zero", orgs["samran"])
        assert session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "zero_report")) == 1
    assert unchecked == {"city": 0, "samran": 1, "koksi": 2, "faang": 1}
    assert progress_lines_of(db) == [f"กำหนดส่ง: รายงานผลการติดตามเด็ก รอบที่ 1 (ภายใน {format_thai_date(SOON)})",
                                     "รายงานแล้ว 2 จาก 3 แห่ง", "ยังไม่รายงาน: อบต.โคกสี (ยังไม่ได้ติดตาม 2 คน)"]

    # Reminders: only อบต.โคกสี's reporters, with its count and the date in Thai digits.
    assert run_job("deadline-reminders", app, now=at(SOON - timedelta(days=3), 8, 0)) == 1
    deliver_queued(app)
    [reminder] = reminder_cards(line, chats["koksi_officer"])
    assert reminder["altText"] == f"รายงานผลการติดตามเด็ก รอบที่ 1: ยังไม่ได้ติดตาม 2 คน ครบกำหนด {format_thai_date_digits(SOON)}"
    assert "ไม่พบเด็กเพิ่มเติม" in buttons_of(reminder["contents"])
    for quiet in ("city_officer", "village_head", "samran_officer", "koksi_teacher", "faang_officer"):
        assert reminder_cards(line, chats[quiet]) == [], quiet
    # The due day's morning reminds again; a check-in closes the gap.
    check_in_not_found(chats["koksi_officer"], children["koksi"][0])
    assert run_job("deadline-reminders", app, now=at(SOON, 8, 0)) == 1
    deliver_queued(app)
    assert "ยังไม่ได้ติดตาม 1 คน" in reminder_cards(line, chats["koksi_officer"])[-1]["altText"]
    assert any("(วันนี้)" in line_ for line_ in flex_texts(reminder_cards(line, chats["koksi_officer"])[-1]))


def test_the_coordinator_nudges_a_laggard_once_a_day(app, db, line, district):
    orgs, children, chats = district
    deadline_id = add_deadline(db, due=SOON)
    coordinator = chats["coordinator"]
    [summary] = coordinator.says(MENU_AREA_SUMMARY)
    assert buttons_of(summary["contents"])["ดูการรายงาน/เตือน"] == "action=deadline-card"
    [card] = coordinator.taps("action=deadline-card")
    assert card == coordinator.taps(f"action=deadline-card&deadline={deadline_id}")[0]
    assert "รายงานแล้ว 0 จาก 3 แห่ง" in flex_texts(card)
    nudges = buttons_of(card["contents"])
    # the most unchecked first, then by name (in code-point order)
    assert list(nudges) == ["เตือน อบต.โคกสี", "เตือน เทศบาลนครขอนแก่น"[:20], "เตือน อบต.สำราญ"]
    [sent] = coordinator.taps(nudges["เตือน อบต.โคกสี"])
    assert "ส่งคำเตือนถึง อบต.โคกสี แล้ว 1 คน" in sent["text"]
    assert "วันนี้เตือน อบต.โคกสี ไปแล้ว" in coordinator.taps(nudges["เตือน อบต.โคกสี"])[0]["text"]
    deliver_queued(app)
    assert "ยังไม่ได้ติดตาม 2 คน" in reminder_cards(line, chats["koksi_officer"])[0]["altText"]
    assert reminder_cards(line, chats["samran_officer"]) == []
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "deadline_nudge")) == 1

    # Outside the scope, forged, or by someone who is not a coordinator: the refusal of a missing deadline.
    refusal = coordinator.taps(f"action=deadline-nudge&deadline=999999&org={orgs['koksi']}")[0]["text"]
    assert "ไม่พบกำหนดส่งนี้" in refusal
    for data in (f"action=deadline-nudge&deadline={deadline_id}&org={orgs['faang']}",
                 f"action=deadline-nudge&deadline={deadline_id}&org=abc"):
        assert coordinator.taps(data)[0]["text"] == refusal
    for data in (f"action=deadline-nudge&deadline={deadline_id}&org={orgs['koksi']}",
                 f"action=deadline-card&deadline={deadline_id}"):
        assert chats["other_coordinator"].taps(data)[0]["text"] == refusal
    assert "ไม่มีสิทธิ์" in chats["koksi_officer"].taps(nudges["เตือน อบต.โคกสี"])[0]["text"]
    assert "ไม่มีกำหนดส่ง" in chats["other_coordinator"].taps("action=deadline-card")[0]["text"]


def test_zero_reports_only_where_the_rule_allows_and_only_for_the_audience(app, db, district):
    orgs, children, chats = district
    all_checked = add_deadline(db, due=SOON)
    [reply] = chats["koksi_officer"].taps(f"action=deadline-zero&deadline={all_checked}")
    assert "ติดตามเด็กในรายชื่อครบทุกคน" in reply["text"]
    assert "ไม่มีกำหนดส่ง" in chats["koksi_officer"].says(MENU_NO_MORE_CHILDREN)[0]["text"]
    zero_allowed = add_deadline(db, due=SOON, rule="zero_allowed")
    for outsider in ("faang_officer", "koksi_teacher"):
        [refused] = chats[outsider].taps(f"action=deadline-zero&deadline={zero_allowed}")
        assert "ไม่พบกำหนดส่งนี้" in refused["text"], outsider
    assert "ไม่พบกำหนดส่งนี้" in chats["koksi_officer"].taps("action=deadline-zero&deadline=abc")[0]["text"]
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(DeadlineReport)) == 0
    [thanks] = chats["koksi_officer"].taps(f"action=deadline-zero&deadline={zero_allowed}")
    assert "อบต.โคกสี ไม่พบเด็กเพิ่มเติม" in thanks["text"]


def test_blocked_and_deactivated_members_get_no_reminder(app, db, line, district):
    orgs, children, chats = district
    chats["koksi_officer"].unfollows()
    with db.transaction() as session:
        session.scalar(select(User).where(User.line_user_id == chats["samran_officer"].user_id)).active = False
    add_deadline(db, due=SOON)
    # the เทศบาล's officer and village head only
    assert run_job("deadline-reminders", app, now=at(SOON, 8, 0)) == 2
    with db.transaction() as session:
        assert session.scalar(select(DeadlineReminder.recipients)) == 2


def test_reminders_go_once_per_round(app, db, line, district):
    orgs, children, chats = district
    add_deadline(db, due=SOON)
    assert run_job("deadline-reminders", app, now=at(SOON - timedelta(days=7), 7, 59)) == 0  # not yet
    assert run_job("deadline-reminders", app, now=at(SOON - timedelta(days=7), 8, 5)) == 4
    assert run_job("deadline-reminders", app, now=at(SOON - timedelta(days=7), 9, 0)) == 0  # once
    deliver_queued(app)
    [card] = reminder_cards(line, chats["village_head"])
    assert card["altText"] == f"รายงานผลการติดตามเด็ก รอบที่ 1: ยังไม่ได้ติดตาม 2 คน ครบกำหนด {format_thai_date_digits(SOON)}"
    assert "ไม่พบเด็กเพิ่มเติม" not in buttons_of(card["contents"])  # all checked: no zero report
    [multicast] = [m for m in line.multicasts() if chats["village_head"].user_id in m.json["to"]]
    assert sorted(multicast.json["to"]) == sorted([chats["village_head"].user_id, chats["city_officer"].user_id])
    assert run_job("deadline-reminders", app, now=at(SOON + timedelta(days=1), 8, 0)) == 0  # past


def test_the_due_day_always_has_its_morning_round(db, areas):
    add_deadline(db, due=SOON, days=(3,))
    [deadline] = deadlines(db)
    assert deadline.remind_days == [3, 0]


def test_a_round_reaches_a_national_audience_by_role(app, db, line, district):
    orgs, children, chats = district
    add_deadline(db, due=SOON, area_code=None, roles=("teacher",), days=(0,))
    assert run_job("deadline-reminders", app, now=at(SOON, 8, 0)) == 1
    deliver_queued(app)
    assert len(reminder_cards(line, chats["koksi_teacher"])) == 1


@pytest.mark.parametrize("created, expected", [
    (at(SOON - timedelta(days=2), 10), 3),  # set two days ahead: the 3-day round at once announces it
    (at(SOON - timedelta(days=1), 21), None),  # late 1-day round, next round 11 h away: wait for it
    (at(SOON, 7, 30), None),
    (at(SOON, 8, 0), 0),
    (at(SOON - timedelta(days=9), 8, 0), None),
])
def test_which_round_is_due(created, expected):
    deadline = Deadline(due_date=SOON, remind_days=[7, 3, 1, 0])
    assert due_round(deadline, created, time(8)) == expected


def test_due_dates_in_thai_digits():
    assert format_thai_date_digits(date(2022, 7, 18)) == "๑๘ ก.ค. ๒๕๖๕"


def test_deadline_dates_may_be_in_the_future_when_asked():
    today = date(2026, 3, 1)
    assert parse_date("15/3/2569", today=today, future=True) == date(2026, 3, 15)
    with pytest.raises(InvalidInput):
        parse_date("15/3/2569", today=today)


def test_reminder_days_setting():
    assert parse_days("0, 1,7,3,3") == [7, 3, 1, 0]
    with pytest.raises(ValueError):
        parse_days("7,-1")


def test_nothing_is_planned_in_quiet_hours(app, db, line, district, make_app, database_url):
    orgs, children, chats = district
    quiet = make_app(database_url, QUIET_HOURS="20:00-07:00")
    add_deadline(db, days=(1,))
    assert run_job("deadline-reminders", quiet, now=at(DUE - timedelta(days=1), 21)) is None
    assert run_job("deadline-reminders", quiet, now=at(DUE, 6, 59)) is None
    assert run_job("deadline-reminders", quiet, now=at(DUE, 7, 0)) == 0  # the late round gives way to the morning's
    assert run_job("deadline-reminders", quiet, now=at(DUE, 8, 0)) == 4
    deliver_queued(app)  # quiet is about planning here; the sender's own hold is tested with the outbox
    assert any("(วันนี้)" in t for t in flex_texts(reminder_cards(line, chats["koksi_officer"])[0]))


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


def test_cli_sets_the_audience_the_rule_and_the_form(app, db, areas, make_case):
    add_org(db, "เทศบาลนครขอนแก่น", "LG1", ["400101"])
    add_org(db, "โรงเรียนบ้านโนนทัน", "SC1", ["400101"], kind="school")
    make_case("40010101", status="to_find")
    form = "https://docs.google.com/forms/d/e/1FAIpQL/viewform"
    result = app.test_cli_runner().invoke(args=[
        "deadline", "create", "--title", "ส่งผล", "--date", "2099-01-01", "--area", "4001", "--rule", "zero_allowed",
        "--kinds", "local_government,school", "--form-url", form,
        "--form-field", "entry.111=on_list", "--form-field", "entry.222=unchecked"])
    assert result.exit_code == 0, result.output
    assert "2 organisations must report (zero_allowed)" in result.output
    [deadline] = deadlines(db)
    assert (deadline.org_kinds, deadline.rule, deadline.form_url) == (["local_government", "school"], "zero_allowed", form)
    assert deadline.form_fields == {"entry.111": "on_list", "entry.222": "unchecked"}
    listing = app.test_cli_runner().invoke(args=["deadline", "list"])
    assert "0/2 reported" in listing.output  # both cover ตำบลในเมือง, whose child is still to find


@pytest.mark.parametrize("args, complaint", [
    (["--date", "2020-01-01", "--area", "4001"], "past"),
    (["--date", "31/02/2580", "--area", "4001"], "ไม่มีวันที่ 31"),
    (["--date", "2099-01-01", "--area", "9999"], "no area"),
    (["--date", "2099-01-01"], "--national"),
    (["--date", "2099-01-01", "--national", "--roles", "mayor"], "roles"),
    (["--date", "2099-01-01", "--national", "--title", "ก" * 201], "200 characters"),
    (["--date", "2099-01-01", "--national", "--kinds", "local_government,mayor"], "ประเภทหน่วยงาน"),
    (["--date", "2099-01-01", "--national", "--rule", "whenever"], "--rule"),
    (["--date", "2099-01-01", "--national", "--form-url", "https://evil.example/forms"], "Google Form"),
    (["--date", "2099-01-01", "--national", "--form-field", "entry.1=unchecked"], "ลิงก์แบบฟอร์ม"),
    (["--date", "2099-01-01", "--national", "--form-url", "https://docs.google.com/forms/d/e/x/viewform",
      "--form-field", "name=unchecked"], "entry."),
])
def test_cli_refuses_what_it_cannot_use(app, db, areas, args, complaint):
    result = app.test_cli_runner().invoke(args=["deadline", "create", "--title", "x", *args])
    assert result.exit_code != 0 and complaint in result.output
    assert deadlines(db) == []


def test_reminder_rows_are_multicast_batches(app, db, areas, make_case):
    add_org(db, "เทศบาลนครขอนแก่น", "LG1", ["400101"])
    make_case("40010101", status="to_find")
    with db.transaction() as session:
        session.add_all(User(line_user_id=f"Ubatch{i:04d}", role="reporter", area_id=areas["400101"],
                             registered_at=utcnow()) for i in range(1200))
    add_deadline(db, days=(0,))
    assert run_job("deadline-reminders", app, now=at(DUE, 8, 0)) == 1200
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 3
        assert session.scalar(select(func.count()).select_from(DeadlineReport)) == 0


def numbers_said(chat) -> dict[str, int]:
    """The officer's "ตัวเลขพื้นที่ของฉัน" as the text they paste into the form: {Thai label: count}."""
    [reply] = chat.taps("action=numbers&as=text")
    return {label: int(count) for label, count in re.findall(r"^(.+): (\d+) คน$", reply["text"], re.M)}


def test_deadline_day_the_officers_numbers_and_the_deadline_card_match_an_export(app, db, line, district):
    """Issue 15's done-when: three local governments, one checks in every child, one files a zero report,
    one does nothing; each officer's numbers and the deadline card agree with the district's export,
    counted here from its rows alone."""
    orgs, children, chats = district
    add_deadline(db, due=SOON, rule="zero_allowed")
    check_in_not_found(chats["village_head"], children["city"][0])
    check_in_not_found(chats["city_officer"], children["city"][1])
    chats["samran_officer"].says(MENU_NO_MORE_CHILDREN)

    with db.transaction() as session:
        file = export_file(session, ("4001",), "csv", True, utcnow())
    rows = list(csv.DictReader(io.StringIO(file.content.decode("utf-8-sig"))))
    officers = {"city_officer": "400101", "samran_officer": "40010201", "koksi_officer": "40010202"}
    for officer, prefix in officers.items():
        mine = [row for row in rows if row["รหัสหมู่บ้าน"].startswith(prefix)]
        unchecked = sum(row["สถานะ"] == STATUSES["to_find"] for row in mine)
        expected = {"เด็กตามรายชื่อ": sum(row["ที่มา"] == SOURCES[LISTED] for row in mine),
                    "แจ้งพบเพิ่มเติม (ไม่อยู่ในรายชื่อ)": sum(row["ที่มา"] == SOURCES[REPORTED] for row in mine),
                    "ติดตามแล้ว": len(mine) - unchecked, "ยังไม่ได้ติดตาม": unchecked,
                    "ไม่พบตัว": sum(row["สถานะ"] == STATUSES["not_found"] for row in mine)}
        said = numbers_said(chats[officer])
        assert {label: said[label] for label in expected} == expected, officer
    # The city's children are all checked, the อบต.สำราญ filed its zero report: only อบต.โคกสี lags, with
    # as many unchecked children on the list as its rows of the export say.
    koksi_unchecked = sum(row["รหัสหมู่บ้าน"].startswith("40010202") and row["ที่มา"] == SOURCES[LISTED]
                          and row["สถานะ"] == STATUSES["to_find"] for row in rows)
    assert progress_lines_of(db)[1:] == ["รายงานแล้ว 2 จาก 3 แห่ง",
                                         f"ยังไม่รายงาน: อบต.โคกสี (ยังไม่ได้ติดตาม {koksi_unchecked} คน)"]
    assert run_job("deadline-reminders", app, now=at(SOON - timedelta(days=3), 8, 0)) == 1
    deliver_queued(app)
    [reminder] = reminder_cards(line, chats["koksi_officer"])
    assert f"ยังไม่ได้ติดตาม {koksi_unchecked} คน" in reminder["altText"]
    assert [officer for officer in chats if reminder_cards(line, chats[officer])] == ["koksi_officer"]


def test_the_officers_card_opens_the_deadlines_form_prefilled_with_their_numbers(app, db, district):
    orgs, children, chats = district
    with db.transaction() as session:
        area = session.scalar(select(Area).where(Area.code == "4001"))
        create_deadline(session, title="รายงานผลการติดตามเด็ก", due_date=SOON, area=area, roles=["reporter"],
                        remind_days=[1], form_url="https://docs.google.com/forms/d/e/1FAIpQLSe_x-1/viewform",
                        form_fields={"entry.1001": "on_list", "entry.1002": "unchecked"})
    [card] = chats["koksi_officer"].says(MENU_MY_AREA_NUMBERS)
    [uri] = [b["action"]["uri"] for b in card["contents"]["footer"]["contents"]]
    assert uri == "https://docs.google.com/forms/d/e/1FAIpQLSe_x-1/viewform?usp=pp_url&entry.1001=2&entry.1002=3"
    # A member of an organisation outside the deadline's audience gets the card without the form.
    [card] = chats["faang_officer"].says(MENU_MY_AREA_NUMBERS)
    assert card["contents"].get("footer") is None
