"""`flask --app devtools demo-data`: a province to try everything in the simulator, once per database."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

import devtools
from domain.menu_labels import MENU_AREA_SUMMARY
from domain.thai_dates import BANGKOK, format_thai_date, format_thai_date_digits
from helpers import deliver_queued, flex_texts, register
from models import STATUSES, Area, Case, CaseEvent, Deadline, Organisation, WatchStudent, utcnow
from scheduler.followups import FOLLOW_UP_QUESTION


def test_demo_data_fills_a_fresh_database_once(database_url, make_app, db, new_chat):
    demo = make_app(database_url, factory=devtools.create_app)
    result = demo.test_cli_runner().invoke(args=["demo-data", "--children", "200"])
    assert result.exit_code == 0, result.output
    codes = dict(re.findall(r"^\s+(\w+)\s+([A-Z0-9]{4}-[A-Z0-9]{4})\s+(?:.*จังหวัด.*)$", result.output, re.M))
    assert len(re.findall(r"[A-Z0-9]{4}-[A-Z0-9]{4}", result.output)) == 7
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 200
        assert set(session.scalars(select(Case.status).distinct())) == set(STATUSES)
        assert session.scalar(select(func.count()).select_from(Area).where(Area.level == "village")) == 19
        assert session.scalar(select(func.count()).select_from(Organisation)) == 7
        assert session.scalar(select(func.count()).select_from(CaseEvent)) > 300  # histories, not just states
        assert session.scalar(select(func.count()).select_from(Case).where(Case.area_code.is_(None))) == 0
        # Two screened classes at one school, one student raised after two weeks away.
        assert session.scalar(select(func.count()).select_from(WatchStudent)) == 24
        assert session.scalar(select(func.count()).select_from(WatchStudent).where(WatchStudent.status == "raised")) >= 1

    province = new_chat()
    register(province, codes["coordinator"])
    card = flex_texts(province.says(MENU_AREA_SUMMARY)[0])
    assert "ทั้งหมด 200 คน" in card and "แยกตามอำเภอ" in card and "อำเภอเมืองขอนแก่น" in card

    again = demo.test_cli_runner().invoke(args=["demo-data"])
    assert again.exit_code != 0 and "already has cases" in again.output


def invite_codes(output: str) -> dict[str, str]:
    """Who each printed invite is for -> its code."""
    return {who: code for code, who in re.findall(r"^\s+\w+\s+([A-Z0-9]{4}-[A-Z0-9]{4})\s+(.+)$", output, re.M)}


def test_a_day_on_the_demo_clock_brings_reminders_the_summary_and_follow_ups(database_url, make_app, app, line,
                                                                                new_chat):
    demo = make_app(database_url, factory=devtools.create_app, QUIET_HOURS="")
    result = demo.test_cli_runner().invoke(args=["demo-data", "--children", "200"])
    assert result.exit_code == 0, result.output
    with demo.extensions["db"].transaction() as session:
        deadline = session.scalars(select(Deadline)).one()
        due = deadline.due_date
        assert due == utcnow().astimezone(BANGKOK).date() + timedelta(days=3)
        assert deadline.remind_days == [3, 2, 1, 0]
    assert f"due {format_thai_date(due)}" in result.output and str(due.year + 543) in result.output
    codes = invite_codes(result.output)
    officer, district = new_chat(), new_chat()
    register(officer, codes["ผู้ใหญ่บ้าน/อบต. ตำบลสำราญ"])
    register(district, codes["ผู้ประสานงานอำเภอเมืองขอนแก่น"])
    deliver_queued(app)
    before = {chat.user_id: len(line.messages_to(chat.user_id)) for chat in (officer, district)}

    client = demo.test_client()
    assert client.get("/simulator/api/clock").get_json()["days_ahead"] == 0
    moved = client.post("/simulator/api/advance", json={"days": 1})
    assert moved.status_code == 200, moved.get_data(as_text=True)
    body = moved.get_json()
    assert body["days_ahead"] == 1
    ran = {run["job"] for run in body["runs"]}
    assert {"deadline-reminders", "coordinator-daily-summary", "stay-in-school-follow-ups", "late-cases",
            "evening-digest"} <= ran
    assert abs(demo.extensions["dispatcher"].clock() - utcnow() - timedelta(days=1)) < timedelta(minutes=1)
    assert app.extensions["dispatcher"].clock() - utcnow() < timedelta(minutes=1), "the bot's own app keeps real time"
    deliver_queued(app)

    heard = line.messages_to(officer.user_id)[before[officer.user_id]:]
    assert any("ยังไม่ได้ติดตาม" in m.get("altText", "") and format_thai_date_digits(due) in m["altText"]
               for m in heard), heard
    got = line.messages_to(district.user_id)[before[district.user_id]:]
    assert any("สรุปพื้นที่" in flex_texts(m) for m in got if m["type"] == "flex"), got
    assert any(FOLLOW_UP_QUESTION in m.get("text", "") for m in got), [m.get("text") for m in got]
    assert any("เกินกำหนด" in m.get("text", "") for m in got), "the late cases reached the district"


def test_the_demo_clock_only_moves_forward_a_sensible_step(simulator):
    client = simulator[0].test_client()
    for days in (0, -1, 32, "1", None, 1.5, True):
        response = client.post("/simulator/api/advance", json={"days": days})
        assert response.status_code == 400, days
    assert client.get("/simulator/api/clock").get_json()["days_ahead"] == 0
