"""Notices: the reporter hears back (first name only, once a day, then the 18:00 digest), the settings
card, urgent news, the monthly push budget (counted by the sender, kept by housekeeping, shown by
`flask line quota` and the admin's summary), and forgetting the notice lines of a case."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select, update

from domain.menu_labels import MENU_AREA_SUMMARY, MENU_NOTICE_SETTINGS
from domain.thai_dates import BANGKOK
from helpers import ID, all_text, buttons_of, deliver_queued, flex_texts, quick_reply_labels
from line.notices import month_of, pushes_this_month
from models import NOTICE_KINDS, Case, Notice, OutboxMessage, PushUsage, User, utcnow
from scheduler.jobs import run_job


def user_id(db, chat) -> int:
    with db.transaction() as session:
        return session.scalar(select(User.id).where(User.line_user_id == chat.user_id))


def evening() -> datetime:
    """The next 18:00 in Bangkok: when the digest goes."""
    now = utcnow().astimezone(BANGKOK)
    moment = datetime.combine(now.date(), time(18, 0), tzinfo=BANGKOK)
    return moment if moment > now else moment + timedelta(days=1)


def number_of(db, case_id: int) -> str:
    with db.transaction() as session:
        return session.get(Case, case_id).number


def notices_of(db, case_id: int) -> list[Notice]:
    with db.transaction() as session:
        return list(session.scalars(select(Notice).where(Notice.case_id == case_id).order_by(Notice.id)))


def close(coordinator, case_id: int) -> None:
    coordinator.taps(f"action=close&case={case_id}")
    coordinator.says("รายชื่อซ้ำ")


def people(registered, new_chat):
    return (registered(new_chat(), "reporter", "400101"), registered(new_chat(), "teacher", "400101"),
            registered(new_chat(), "coordinator", "4001"))


def reported_case(db, make_case, reporter, **fields) -> int:
    fields = {"first_name": "สมชาย", "last_name": "ใจงาม", "national_id": ID, "guardian_name": "นางสมศรี ใจงาม",
              **fields}
    return make_case("40010101", status="back_in_school", reporter_id=user_id(db, reporter), **fields)


# ------------------------------------------------------------------ the reporter hears back

def test_the_reporter_hears_once_by_first_name_and_a_second_change_waits_for_the_evening_digest(
        app, db, line, registered, new_chat, make_case):
    reporter, teacher, coordinator = people(registered, new_chat)
    case = reported_case(db, make_case, reporter)
    number = number_of(db, case)

    teacher.taps(f"action=staying&case={case}")
    deliver_queued(app)
    [news] = line.messages_to(reporter.user_id)
    assert news["text"] == f"📣 เรื่อง {number} (น้องสมชาย): ติดตามผลแล้ว ยังเรียนอยู่"
    assert quick_reply_labels(news) == ["ดูเรื่อง"]
    for secret in ("ใจงาม", ID, "สมศรี"):  # no surname, no ID, nothing of the guardian
        assert secret not in str(news)
    assert line.messages_to(teacher.user_id) and all("📣" not in t for t in line.texts_to(teacher.user_id))

    # The same day, closed: no second push; the line waits for 18:00.
    close(coordinator, case)
    deliver_queued(app)
    assert len(line.messages_to(reporter.user_id)) == 1
    assert [(n.kind, n.sent_at is None) for n in notices_of(db, case)] == [("case_update", False),
                                                                            ("case_update", True)]

    assert run_job("evening-digest", app, now=evening()) == 1
    assert run_job("evening-digest", app, now=evening() + timedelta(minutes=5)) == 0  # run twice: sent once
    deliver_queued(app)
    digest = line.texts_to(reporter.user_id)[1]
    assert "สรุปการแจ้งเตือน" in digest and f"📣 เรื่อง {number} (น้องสมชาย): ปิดเรื่องแล้ว" in digest
    assert "ใจงาม" not in digest and ID not in digest
    assert len(line.messages_to(reporter.user_id)) == 2
    assert all(n.sent_at is not None for n in notices_of(db, case))
    assert line.texts_to(coordinator.user_id) and not any("สรุปการแจ้งเตือน" in t
                                                          for t in line.texts_to(coordinator.user_id))


def test_no_news_of_my_own_action_nor_of_a_case_i_may_no_longer_see(app, db, line, registered, new_chat, make_case,
                                                                     areas):
    reporter, teacher, _ = people(registered, new_chat)
    mine = reported_case(db, make_case, teacher)  # the teacher reported it and acts on it
    teacher.taps(f"action=staying&case={mine}")
    other = reported_case(db, make_case, reporter, first_name="สมปอง", national_id=None)
    with db.transaction() as session:  # the reporter's area changed: this case is not theirs to see any more
        session.execute(update(User).where(User.line_user_id == reporter.user_id).values(area_id=areas["400201"]))
    teacher.taps(f"action=staying&case={other}")
    deliver_queued(app)
    assert line.messages_to(reporter.user_id) == []
    assert not any("📣" in t for t in line.texts_to(teacher.user_id))
    assert notices_of(db, mine) == [] and notices_of(db, other) == []


def test_a_referral_accepted_and_the_child_back_in_school_reach_the_reporter(
        app, db, line, registered, new_chat, make_case, schools):
    reporter, teacher, _ = people(registered, new_chat)
    case = reported_case(db, make_case, reporter)
    with db.transaction() as session:
        session.execute(update(Case).where(Case.id == case).values(status="found"))
    # "กลับเข้าเรียนแล้ว" from the card: the enrol flow's school and start date.
    teacher.taps(f"action=enrol&case={case}")
    teacher.says("โรงเรียนบ้านโนนทัน")
    teacher.says("วันนี้")
    deliver_queued(app)
    [news] = line.texts_to(reporter.user_id)
    assert news.endswith("(น้องสมชาย): กลับเข้าเรียนแล้ว")


# ------------------------------------------------------------------ the settings card

def test_the_settings_card_shows_the_kinds_of_my_role_and_one_tap_changes_a_mode(
        app, db, line, registered, new_chat, make_case):
    reporter, teacher, coordinator = people(registered, new_chat)
    [card] = reporter.says(MENU_NOTICE_SETTINGS)
    shown = flex_texts(card)
    assert NOTICE_KINDS["case_update"] in shown and NOTICE_KINDS["work"] in shown
    assert NOTICE_KINDS["new_case"] not in shown and NOTICE_KINDS["late"] not in shown
    assert "ตอนนี้: แจ้งทันที" in shown
    assert MENU_NOTICE_SETTINGS in quick_reply_labels(card)
    assert all(k in flex_texts(coordinator.says(MENU_NOTICE_SETTINGS)[0]) for k in NOTICE_KINDS.values())

    # Off: nothing at all, not even in the digest.
    saved, card = reporter.taps("action=notice&kind=case_update&mode=off")
    assert saved["text"] == f"บันทึกแล้วค่ะ: {NOTICE_KINDS['case_update']} → ปิด"
    assert "ตอนนี้: ปิด" in flex_texts(card)
    case = reported_case(db, make_case, reporter)
    before = len(line.messages_to(reporter.user_id))
    teacher.taps(f"action=staying&case={case}")
    deliver_queued(app)
    assert len(line.messages_to(reporter.user_id)) == before and notices_of(db, case) == []

    # Digest: kept for 18:00, not pushed, even the first of the day.
    reporter.taps("action=notice&kind=case_update&mode=digest")
    before = len(line.messages_to(reporter.user_id))
    close(coordinator, case)
    deliver_queued(app)
    assert len(line.messages_to(reporter.user_id)) == before
    assert run_job("evening-digest", app, now=evening()) == 1
    deliver_queued(app)
    assert "ปิดเรื่องแล้ว" in line.texts_to(reporter.user_id)[-1]

    # Forged taps: a kind not offered to a reporter, a mode that does not exist.
    for data in ("action=notice&kind=late&mode=off", "action=notice&kind=case_update&mode=loud", "action=notice"):
        [refused] = reporter.taps(data)
        assert "ไม่พบการตั้งค่านี้" in refused["text"]


def test_urgent_news_is_pushed_whatever_the_setting_and_however_often(app, db, line, registered, new_chat, make_case):
    reporter, teacher, coordinator = people(registered, new_chat)
    reporter.taps("action=notice&kind=case_update&mode=digest")
    case = reported_case(db, make_case, reporter, urgent=True)
    before = len(line.messages_to(reporter.user_id))
    teacher.taps(f"action=staying&case={case}")
    close(coordinator, case)
    deliver_queued(app)
    news = [m["text"] for m in line.messages_to(reporter.user_id)[before:]]
    assert [t.rsplit(": ", 1)[1] for t in news] == ["ติดตามผลแล้ว ยังเรียนอยู่", "ปิดเรื่องแล้ว"]
    assert run_job("evening-digest", app, now=evening()) == 0


# ------------------------------------------------------------------ the push budget

def sent_row(db, pushes: int, sent_at: datetime, created_at: datetime | None = None) -> None:
    with db.transaction() as session:
        session.add(OutboxMessage(line_user_id="Uelsewhere", messages=[], status="sent", pushes=pushes,
                                  sent_at=sent_at, created_at=created_at or sent_at, chunks_sent=1))


def test_past_80_percent_of_the_allowance_notices_go_to_the_digest_and_the_admin_sees_the_numbers(
        app, db, line, registered, new_chat, make_case):
    app.config["LINE_MONTHLY_PUSH_ALLOWANCE"] = 10
    reporter, teacher, coordinator = people(registered, new_chat)
    second_reporter = registered(new_chat(), "reporter", "400101")
    admin = registered(new_chat(), "admin", None)
    sent_row(db, 7, utcnow())

    first = reported_case(db, make_case, reporter)
    teacher.taps(f"action=staying&case={first}")  # 7 of 10: pushed
    deliver_queued(app)
    assert len(line.messages_to(reporter.user_id)) == 1
    with db.transaction() as session:
        # The sender counted the push (one recipient), and the teacher's reply as nothing.
        assert pushes_this_month(session, utcnow()) == 8
        assert session.scalar(select(OutboxMessage.pushes).where(OutboxMessage.line_user_id == teacher.user_id)) == 0

    second = reported_case(db, make_case, second_reporter, first_name="สมปอง", national_id=None)
    teacher.taps(f"action=staying&case={second}")  # 8 of 10: the digest
    deliver_queued(app)
    assert line.messages_to(second_reporter.user_id) == []
    [waiting] = notices_of(db, second)
    assert waiting.sent_at is None

    # The admin's summary card has one line with the same numbers; a coordinator's has none.
    [card] = admin.says(MENU_AREA_SUMMARY)
    assert "ข้อความ push เดือนนี้ 8 / 10 (80%) ส่งแบบสรุปรายวันแทนแล้ว" in flex_texts(card)
    assert not any("ข้อความ push" in t for t in flex_texts(coordinator.says(MENU_AREA_SUMMARY)[0]))

    # flask line quota: ours, then LINE's own count (the fake counts the one push it delivered).
    line.message_quota = 500
    result = app.test_cli_runner().invoke(args=["line", "quota"])
    assert result.exit_code == 0, result.output
    assert f"Pushes sent in {month_of(utcnow())} (Bangkok): 8" in result.output
    assert "Allowance: 10 (80.0% used" in result.output and "past it" in result.output
    assert "LINE: 1 messages sent this month of 500 (0.2%)" in result.output


def test_quota_without_an_allowance_and_without_an_answer_from_line(app, line):
    result = app.test_cli_runner().invoke(args=["line", "quota"])
    assert result.exit_code == 0, result.output
    assert "Allowance: none set" in result.output and "no target limit set on LINE" in result.output
    line.fail_next(1, 500, paths="/v2/bot/message/quota")
    result = app.test_cli_runner().invoke(args=["line", "quota"])
    assert result.exit_code == 0 and "LINE: no answer (LINE 500" in result.output


def test_housekeeping_keeps_the_months_count_when_it_deletes_the_rows(app, db):
    app.config["OUTBOX_RETENTION_DAYS"] = 0
    now = utcnow()
    last_month = now - timedelta(days=40)
    sent_row(db, 5, now - timedelta(seconds=30))
    sent_row(db, 2, now - timedelta(seconds=20))
    sent_row(db, 3, last_month)
    with db.transaction() as session:
        session.add(PushUsage(month=month_of(now), pushes=4))  # carried by an earlier run
        before = pushes_this_month(session, now)
    assert before == 11
    assert run_job("outbox-cleanup", app, now=now) == 3
    with db.transaction() as session:
        assert session.scalar(select(OutboxMessage.id)) is None
        assert pushes_this_month(session, now) == before
        assert session.get(PushUsage, month_of(last_month)).pushes == 3


# ------------------------------------------------------------------ the digest itself

def test_the_digest_caps_its_lines_and_skips_people_who_left(app, db, line, registered, new_chat):
    busy, gone = registered(new_chat(), "coordinator", "4001"), registered(new_chat(), "reporter", "400101")
    with db.transaction() as session:
        for chat, count in ((busy, 25), (gone, 2)):
            uid = session.scalar(select(User.id).where(User.line_user_id == chat.user_id))
            session.add_all(Notice(user_id=uid, kind="new_case", text=f"เรื่องใหม่ {i}", created_at=utcnow())
                            for i in range(count))
        session.execute(update(User).where(User.line_user_id == gone.user_id).values(active=False))
    assert run_job("evening-digest", app, now=evening()) == 1
    deliver_queued(app)
    [digest] = line.texts_to(busy.user_id)
    assert "(25 เรื่อง)" in digest and "เรื่องใหม่ 19" in digest and "เรื่องใหม่ 20" not in digest
    assert "และอีก 5 เรื่อง" in digest and len(digest) < 5000
    assert line.messages_to(gone.user_id) == []
    with db.transaction() as session:  # what waited for the deactivated user is gone, not kept for later
        assert session.scalar(select(Notice.id).where(Notice.sent_at.is_(None))) is None


# ------------------------------------------------------------------ forgetting

def test_pdpa_forget_deletes_the_cases_notice_lines(app, db, line, registered, new_chat, make_case):
    reporter, teacher, coordinator = people(registered, new_chat)
    case = reported_case(db, make_case, reporter)
    teacher.taps(f"action=staying&case={case}")
    close(coordinator, case)  # one pushed, one waiting for the digest
    assert len(notices_of(db, case)) == 2
    result = app.test_cli_runner().invoke(args=["pdpa", "forget", number_of(db, case), "--yes"])
    assert result.exit_code == 0, result.output
    assert "2 notices" in result.output
    assert notices_of(db, case) == []
    assert run_job("evening-digest", app, now=evening()) == 0


def test_my_reports_card_opens_the_case(app, db, registered, new_chat, make_case):
    reporter, teacher, _ = people(registered, new_chat)
    case = reported_case(db, make_case, reporter)
    teacher.taps(f"action=staying&case={case}")
    [mine] = reporter.says("เรื่องที่ฉันแจ้ง")
    [bubble] = mine["contents"]["contents"]
    assert "ติดตามผล: ยังเรียนอยู่" in all_text(mine)
    assert buttons_of(bubble) == {"ดูเรื่อง": f"action=case&case={case}"}
