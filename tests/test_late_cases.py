"""The late-cases job with a moved clock: who is reminded when (owner, the owning organisation's
coordinator, one level up), never someone who cannot act, once per level; and the `flask cases`
commands that change the deadlines and the stay-in-school rounds."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from helpers import deliver_queued, in_organisation, quick_reply_labels
from models import (
    AuditEntry,
    Case,
    CaseEvent,
    Notice,
    NoticeSetting,
    Referral,
    StepDeadline,
    User,
    record_event,
)
from scheduler.jobs import run_job

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=timezone.utc)  # 09:00 in Bangkok: outside quiet hours


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


def late_run(app, n: int) -> int:
    return run_job("late-cases", app, now=day(n))


def user_id(db, chat) -> int:
    with db.transaction() as session:
        return session.scalar(select(User.id).where(User.line_user_id == chat.user_id))


def entered_at_t0(db, case_id: int, at: datetime = T0, **columns) -> None:
    """The case entered its status at T0 (or `at`), with these columns (owner_id, owner_org_id, ...)."""
    with db.transaction() as session:
        session.execute(update(Case).where(Case.id == case_id).values(status_since=at, updated_at=at, **columns))


def case_row(db, case_id: int) -> Case:
    with db.transaction() as session:
        return session.get(Case, case_id)


def kinds_of(db, case_id: int) -> list[str]:
    with db.transaction() as session:
        return list(session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)))


def test_a_late_case_reminds_its_owner_then_the_organisations_coordinator_then_the_province_once_each(
        app, db, line, registered, new_chat, make_case, organisations):
    owner = registered(new_chat(), "reporter", "400101")
    district = in_organisation(db, registered(new_chat(), "coordinator", "4001"), organisations["SPP40-1"])
    subdistrict = registered(new_chat(), "coordinator", "400101")  # nearer, but not the owning organisation's
    province = registered(new_chat(), "coordinator", "40")
    admin = registered(new_chat(), "admin", None)
    child = make_case("40010101", status="to_find")
    entered_at_t0(db, child, owner_id=user_id(db, owner), owner_org_id=organisations["SPP40-1"])
    number = case_row(db, child).number

    assert late_run(app, 7) == 0  # to_find has 7 days: the 7th day is still in time
    assert case_row(db, child).late_since is None
    assert late_run(app, 8) == 1
    assert late_run(app, 8) == 0  # run twice: sent once
    deliver_queued(app)
    [reminder] = line.messages_to(owner.user_id)
    assert number in reminder["text"] and "รอติดตาม" in reminder["text"]
    assert "ออกติดตามและเช็กอินเด็ก" in reminder["text"] and "เกินกำหนด 1 วัน" in reminder["text"]
    assert "เด็ก1" not in reminder["text"]  # no child's name
    assert quick_reply_labels(reminder) == [number]
    assert case_row(db, child).late_since == day(8)

    assert late_run(app, 10) == 0
    assert late_run(app, 11) == 1
    assert late_run(app, 12) == 0
    deliver_queued(app)
    [escalated] = line.texts_to(district.user_id)
    assert number in escalated and "เกินกำหนด 4 วัน" in escalated

    assert late_run(app, 14) == 1
    assert late_run(app, 15) == 0 and late_run(app, 40) == 0  # every level had its turn
    deliver_queued(app)
    [up] = line.texts_to(province.user_id)
    assert number in up and "เกินกำหนด 7 วัน" in up
    assert line.messages_to(subdistrict.user_id) == [] and line.messages_to(admin.user_id) == []
    assert len(line.messages_to(owner.user_id)) == 1 and len(line.messages_to(district.user_id)) == 1
    assert kinds_of(db, child).count("late") == 1 and kinds_of(db, child).count("late_reminded") == 3
    assert case_row(db, child).updated_at == T0  # the markers are not an action on the case

    # Found at last: the mark goes, and the new status has its own deadline (15 days) and spell.
    with db.transaction() as session:
        record_event(session, session.get(Case, child), "checked_in", None, now=day(41), to_status="found")
    assert case_row(db, child).late_since is None
    assert late_run(app, 56) == 0
    assert late_run(app, 57) == 1  # the village head cannot refer: straight to the organisation's coordinator
    deliver_queued(app)
    assert len(line.messages_to(owner.user_id)) == 1 and len(line.messages_to(district.user_id)) == 2


def test_a_found_case_never_reminds_the_village_head_who_cannot_act_on_it(
        app, db, line, registered, new_chat, make_case):
    village_head = registered(new_chat(), "reporter", "400101")
    teacher = registered(new_chat(), "teacher", "400101")
    district = registered(new_chat(), "coordinator", "4001")
    province = registered(new_chat(), "coordinator", "40")
    theirs = make_case("40010101", status="found")
    taught = make_case("40010101", status="found")
    entered_at_t0(db, theirs, owner_id=user_id(db, village_head))  # no owning organisation
    entered_at_t0(db, taught, owner_id=user_id(db, teacher))

    assert late_run(app, 16) == 2  # the teacher for theirs; the area's nearest coordinator for the other
    deliver_queued(app)
    assert line.messages_to(village_head.user_id) == []
    [to_teacher] = line.texts_to(teacher.user_id)
    [to_district] = line.texts_to(district.user_id)
    assert case_row(db, taught).number in to_teacher and case_row(db, theirs).number not in to_teacher
    assert case_row(db, theirs).number in to_district and "ส่งต่อหรือพาเด็กกลับเข้าเรียน" in to_district
    assert late_run(app, 19) == 1  # the teacher's case escalates to the district; theirs has been there
    deliver_queued(app)
    [both] = line.texts_to(district.user_id)[1:]
    assert case_row(db, taught).number in both and case_row(db, theirs).number not in both
    assert late_run(app, 22) == 1  # both one level up: the province, in one message
    assert late_run(app, 25) == 0
    deliver_queued(app)
    [up] = line.texts_to(province.user_id)
    assert case_row(db, taught).number in up and case_row(db, theirs).number in up and "(2 เรื่อง)" not in up
    assert "2 เรื่อง" in up and line.messages_to(village_head.user_id) == []


def test_a_late_referral_reminds_the_receiving_organisation(
        app, db, line, registered, new_chat, make_case, organisations):
    referrer = registered(new_chat(), "teacher", "400101")
    receiver = in_organisation(db, registered(new_chat(), "teacher", "400101"), organisations["1040010101"])
    child = make_case("40010101", status="found")
    with db.transaction() as session:
        case = session.get(Case, child)
        record_event(session, case, "referred", session.get(User, user_id(db, referrer)), now=T0, to_status="referred")
        case.owner_id = user_id(db, referrer)
        session.add(Referral(case_id=child, organisation_id=organisations["1040010101"],
                             referred_by_id=case.owner_id, created_at=T0))
    assert late_run(app, 7) == 0
    assert late_run(app, 8) == 1
    deliver_queued(app)
    [reminder] = line.texts_to(receiver.user_id)
    assert case_row(db, child).number in reminder and "หน่วยงานตอบรับการส่งต่อ" in reminder
    assert line.messages_to(referrer.user_id) == []


def test_an_urgent_case_is_pushed_even_to_whom_late_notices_are_digests_and_listed_first(
        app, db, line, registered, new_chat, make_case):
    owner = registered(new_chat(), "reporter", "400101")
    with db.transaction() as session:
        session.add(NoticeSetting(user_id=user_id(db, owner), kind="late", mode="digest"))
    ordinary = make_case("40010101", status="to_find")
    entered_at_t0(db, ordinary, owner_id=user_id(db, owner))
    assert late_run(app, 8) == 1
    deliver_queued(app)
    assert line.messages_to(owner.user_id) == []  # waits for the evening digest
    with db.transaction() as session:
        [held] = session.scalars(select(Notice).where(Notice.sent_at.is_(None))).all()
        assert case_row(db, ordinary).number in held.text

    another = make_case("40010101", status="to_find")
    urgent = make_case("40010101", status="to_find", urgent=True)
    for case in (another, urgent):
        entered_at_t0(db, case, at=day(1), owner_id=user_id(db, owner))
    assert late_run(app, 9) == 1
    deliver_queued(app)
    [pushed] = line.texts_to(owner.user_id)  # one message, the urgent case first
    assert "🚨 " + case_row(db, urgent).number in pushed
    assert pushed.index(case_row(db, urgent).number) < pushed.index(case_row(db, another).number)
    assert case_row(db, ordinary).number not in pushed


def test_a_lengthened_deadline_takes_the_late_mark_off(app, db, registered, new_chat, make_case, reference_rows):
    owner = registered(new_chat(), "reporter", "400101")
    child = make_case("40010101", status="to_find")
    entered_at_t0(db, child, owner_id=user_id(db, owner))
    assert late_run(app, 8) == 1 and case_row(db, child).late_since is not None
    result = app.test_cli_runner().invoke(args=["cases", "set-deadline", "to_find", "30"])
    assert result.exit_code == 0, result.output
    assert late_run(app, 9) == 0 and case_row(db, child).late_since is None
    assert app.test_cli_runner().invoke(args=["cases", "set-deadline", "to_find", "off"]).exit_code == 0
    assert late_run(app, 60) == 0 and case_row(db, child).late_since is None


def test_the_cases_commands_list_and_change_the_deadlines_and_the_rounds(app, db, reference_rows):
    cli = app.test_cli_runner()
    listed = cli.invoke(args=["cases", "deadlines"])
    assert listed.exit_code == 0, listed.output
    assert "to_find\tรอติดตาม\t7 days\tออกติดตามและเช็กอินเด็ก" in listed.output
    assert "referred\tส่งต่อหน่วยงานแล้ว\t7 days" in listed.output
    assert "rounds (days after going back): 7,30,90,150,210,270,330" in listed.output

    for args, complaint in [
        (["set-deadline", "closed", "7"], "one of to_find"),
        (["set-deadline", "found", "0"], "from 1 to 365"),
        (["set-deadline", "found", "ten"], "from 1 to 365"),
        (["set-deadline", "found", "7", "--action", " "], "1 to 100"),
        (["rounds", "7,x"], "from 1 to 3650"),
        (["rounds", ","], "at least one day"),
    ]:
        result = cli.invoke(args=["cases", *args])
        assert result.exit_code != 0 and complaint in result.output, (args, result.output)

    assert cli.invoke(args=["cases", "set-deadline", "found", "๒๐", "--action", "หาที่เรียนให้น้อง"]).exit_code == 0
    assert cli.invoke(args=["cases", "set-deadline", "moved", "off"]).exit_code == 0
    assert cli.invoke(args=["cases", "rounds", "90, 7,30,60,7"]).exit_code == 0
    listed = cli.invoke(args=["cases", "deadlines"]).output
    assert "found\tติดตามพบแล้ว\t20 days\tหาที่เรียนให้น้อง" in listed
    assert "moved\tย้ายออกนอกพื้นที่\tno deadline" in listed
    assert "rounds (days after going back): 7,30,60,90" in listed
    # A status that had no row needs what has to happen; then it has a deadline.
    with db.transaction() as session:
        session.execute(StepDeadline.__table__.delete().where(StepDeadline.status == "moved"))
    assert "--action" in cli.invoke(args=["cases", "set-deadline", "moved", "5"]).output
    assert cli.invoke(args=["cases", "set-deadline", "moved", "5", "--action", "ติดตามเด็ก"]).exit_code == 0
    with db.transaction() as session:
        actions = [e.action for e in session.scalars(select(AuditEntry).where(AuditEntry.source == "cli"))]
    assert actions.count("set_step_deadline") == 3 and actions.count("set_follow_up_rounds") == 1
