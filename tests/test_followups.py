"""Follow-up jobs: stay-in-school checks (and their answers through the webhook, a child leaving
school again asked why), the coordinators' morning summary. Each is run twice to show it sends once."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from helpers import deliver_queued, quick_reply_labels
from models import Case, CaseEvent, OutboxMessage, User, record_event
from scheduler.jobs import run_job

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=timezone.utc)  # 09:00 in Bangkok


def user_of(db, chat) -> User:
    with db.transaction() as session:
        return session.scalar(select(User).where(User.line_user_id == chat.user_id))


def enrol(db, case_id: int, actor_chat, at: datetime) -> None:
    with db.transaction() as session:
        case = session.get(Case, case_id)
        actor = session.scalar(select(User).where(User.line_user_id == actor_chat.user_id))
        record_event(session, case, "enrolled", actor, now=at, to_status="back_in_school")
        case.school_name = "โรงเรียนบ้านสำราญ"


def status_of(db, case_id: int) -> str:
    with db.transaction() as session:
        return session.get(Case, case_id).status


def test_stay_in_school_checks_at_7_30_90_days_once_each_and_a_drop_out_reopens(
        app, db, line, registered, new_chat, make_case):
    teacher = registered(new_chat(), "teacher", "400101")
    coordinator = registered(new_chat(), "coordinator", "4001")
    stranger = registered(new_chat(), "teacher", "400201")
    child = make_case(status="found")
    enrol(db, child, teacher, T0)

    assert run_job("stay-in-school-follow-ups", app, now=T0 + timedelta(days=6)) == 0
    assert run_job("stay-in-school-follow-ups", app, now=T0 + timedelta(days=7)) == 1
    assert run_job("stay-in-school-follow-ups", app, now=T0 + timedelta(days=7, hours=1)) == 0  # run twice
    deliver_queued(app)
    [asked] = line.messages_to(teacher.user_id)
    assert "ยังมาเรียนอยู่ไหม?" in asked["text"] and "7 วัน" in asked["text"]
    assert quick_reply_labels(asked) == ["ยังมาเรียน", "มาบ้างไม่มาบ้าง", "หยุดเรียนอีกแล้ว"]
    assert line.messages_to(coordinator.user_id) == []

    # "มาบ้างไม่มาบ้าง": a line in the history, the case is still followed.
    teacher.taps(f"action=followup&case={child}&answer=some")
    assert status_of(db, child) == "back_in_school"

    assert run_job("stay-in-school-follow-ups", app, now=T0 + timedelta(days=30)) == 1
    assert run_job("stay-in-school-follow-ups", app, now=T0 + timedelta(days=30)) == 0
    # "ยังมาเรียน": staying, still asked at 90 days.
    teacher.taps(f"action=followup&case={child}&answer=yes")
    assert status_of(db, child) == "staying"

    # Someone outside the area cannot answer (a forged postback).
    [refused] = stranger.taps(f"action=followup&case={child}&answer=no")
    assert "นอกพื้นที่" in refused["text"] and status_of(db, child) == "staying"

    assert run_job("stay-in-school-follow-ups", app, now=T0 + timedelta(days=90)) == 1
    assert run_job("stay-in-school-follow-ups", app, now=T0 + timedelta(days=91)) == 0
    deliver_queued(app)  # the 90-day question, before the answer's reply
    [why] = teacher.taps(f"action=followup&case={child}&answer=no")
    assert "หยุดเรียนเพราะอะไร" in why["text"] and status_of(db, child) == "staying"
    teacher.says("ยากจน/ขาดค่าใช้จ่าย")
    assert status_of(db, child) == "found"
    deliver_queued(app)
    assert any("หยุดเรียนอีกแล้ว" in t and "ยากจน" in t for t in line.texts_to(coordinator.user_id))
    with db.transaction() as session:
        kinds = [e.kind for e in session.scalars(select(CaseEvent).where(CaseEvent.case_id == child)
                                                 .order_by(CaseEvent.id))]
    assert kinds.count("follow_up_asked") == 3 and kinds[-1] == "dropped_out"
    assert "follow_up_irregular" in kinds and "follow_up" in kinds
    # Back to "found": no more stay-in-school checks; a second tap is refused by status.
    assert run_job("stay-in-school-follow-ups", app, now=T0 + timedelta(days=200)) == 0
    [again] = teacher.taps(f"action=followup&case={child}&answer=no")
    assert "ติดตามพบแล้ว" in again["text"]


def test_a_case_enrolled_long_ago_is_asked_only_the_latest_check(app, db, line, registered, new_chat, make_case):
    teacher = registered(new_chat(), "teacher", "400101")
    child = make_case(status="found")
    enrol(db, child, teacher, T0)
    assert run_job("stay-in-school-follow-ups", app, now=T0 + timedelta(days=95)) == 1
    assert run_job("stay-in-school-follow-ups", app, now=T0 + timedelta(days=96)) == 0
    deliver_queued(app)
    [asked] = line.messages_to(teacher.user_id)
    assert "90 วัน" in asked["text"]


def test_observation_goes_on_past_90_days_in_the_rounds_the_coordinators_set(app, db, line, registered, new_chat,
                                                                            make_case, reference_rows):
    teacher = registered(new_chat(), "teacher", "400101")
    child = make_case(status="found")
    enrol(db, child, teacher, T0)
    asked = [day for day in range(0, 400) if run_job("stay-in-school-follow-ups", app, now=T0 + timedelta(days=day))]
    assert asked == [7, 30, 90, 150, 210, 270, 330]
    deliver_queued(app)
    assert "330 วัน" in line.texts_to(teacher.user_id)[-1]

    result = app.test_cli_runner().invoke(args=["cases", "rounds", "14,45"])
    assert result.exit_code == 0, result.output
    again = make_case(status="found")
    enrol(db, again, teacher, T0)
    asked = [day for day in range(0, 100) if run_job("stay-in-school-follow-ups", app, now=T0 + timedelta(days=day))]
    assert asked == [14, 45]


def test_a_child_who_leaves_again_is_asked_why_and_an_urgent_reason_makes_the_case_urgent(
        app, db, line, registered, new_chat, make_case):
    teacher = registered(new_chat(), "teacher", "400101")
    district = registered(new_chat(), "coordinator", "4001")
    province = registered(new_chat(), "coordinator", "40")
    child = make_case(status="found")
    enrol(db, child, teacher, T0)
    [why] = teacher.taps(f"action=dropped&case={child}")
    assert "ใช้แรงงานเด็ก" in quick_reply_labels(why)
    note, card = teacher.says("ใช้แรงงานเด็ก")
    assert "ติดตามพบแล้ว" in note["text"]
    with db.transaction() as session:
        case = session.get(Case, child)
        assert (case.status, case.reason, case.urgent, case.enrolled_on) == ("found", "child_labour", True, None)
        [line_] = session.scalars(select(CaseEvent).where(CaseEvent.case_id == child,
                                                          CaseEvent.kind == "dropped_out")).all()
        assert line_.details == {"reason": "child_labour"}
    deliver_queued(app)
    [alert] = line.texts_to(district.user_id)  # the nearest coordinators only
    assert "หยุดเรียนอีกแล้ว" in alert and "ใช้แรงงานเด็ก" in alert
    assert line.messages_to(province.user_id) == []

    # "อื่น ๆ" (typed: the list is longer than the buttons) asks for the teacher's words.
    enrol(db, child, teacher, T0 + timedelta(days=1))
    teacher.taps(f"action=followup&case={child}&answer=no")
    [ask] = teacher.says("อื่น ๆ")
    assert "รายละเอียด" in ask["text"]
    teacher.says("ไปช่วยพ่อแม่ทำนา")
    with db.transaction() as session:
        case = session.get(Case, child)
        assert (case.reason, case.reason_note, case.urgent) == ("other", "ไปช่วยพ่อแม่ทำนา", True)

    # Cancelled: nothing recorded, the child is still in school.
    enrol(db, child, teacher, T0 + timedelta(days=2))
    teacher.taps(f"action=dropped&case={child}")
    [cancelled] = teacher.says("ยกเลิก")
    assert "ยังไม่ได้บันทึก" in cancelled["text"] and status_of(db, child) == "back_in_school"


def test_coordinators_get_their_area_summary_at_0730_once_a_day(app, db, line, registered, new_chat, make_case):
    district = registered(new_chat(), "coordinator", "4001")
    national = registered(new_chat(), "admin", None)
    reporter = registered(new_chat(), "reporter", "400101")
    no_area_yet = registered(new_chat(), "coordinator", None)  # no area, no organisation, no grant: no scope
    make_case(status="found")
    morning = datetime(2026, 6, 2, 0, 30, tzinfo=timezone.utc)  # 07:30 in Bangkok
    assert run_job("coordinator-daily-summary", app, now=morning) == 2
    assert run_job("coordinator-daily-summary", app, now=morning + timedelta(minutes=5)) == 0
    deliver_queued(app)
    [card] = line.messages_to(district.user_id)
    assert card["type"] == "flex" and len(line.messages_to(national.user_id)) == 1
    assert line.messages_to(reporter.user_id) == [] and line.messages_to(no_area_yet.user_id) == []
    assert run_job("coordinator-daily-summary", app, now=morning + timedelta(days=1)) == 2
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 4
