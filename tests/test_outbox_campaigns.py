"""Sending to many: multicast batches, blocked users, quiet hours, long outages, several senders, pace."""
from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import threading
from collections import Counter
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from linebot.v3.messaging import TextMessage
from sqlalchemy import func, select, update

from bench.common import venv_env
from domain.thai_dates import BANGKOK
from helpers import SECRET, TOKEN, MovableClock, deliver_queued, next_evening, wait_for
from line.outbox import queue_messages, queue_multicast
from line.pacing import QuietHours, TokenBucket
from models import OutboxMessage, User, utcnow

HELLO = [TextMessage(text="แจ้งเตือน: กรุณารายงานภายในวันศุกร์")]


def users(prefix: str, count: int) -> list[str]:
    return [f"U{prefix}{i:05d}" for i in range(count)]


def queue_for(app, recipients, messages=HELLO) -> list[int]:
    with app.extensions["db"].transaction() as session:
        # Mostly users the database does not know, and no child named: not personal.
        return [row.id for row in queue_multicast(session, recipients, messages, personal=False)]


def add_users(db, line_user_ids, following=True):
    with db.transaction() as session:
        session.add_all(User(line_user_id=u, following=following) for u in line_user_ids)


def statuses(db) -> Counter:
    with db.transaction() as session:
        return Counter(session.scalars(select(OutboxMessage.status)))


def test_1200_recipients_go_as_three_multicasts(app, db, line):
    recipients = users("many", 1200)
    assert len(queue_for(app, recipients + recipients[:10])) == 3  # duplicates count once
    deliver_queued(app)
    assert sorted(len(call.json["to"]) for call in line.multicasts()) == [200, 500, 500]
    assert all(line.texts_to(u) == [HELLO[0].text] for u in recipients)
    assert statuses(db) == {"sent": 3}


def test_one_recipient_is_an_ordinary_push(app, line):
    queue_for(app, ["Usolo"])
    deliver_queued(app)
    assert len(line.pushes()) == 1 and line.multicasts() == []


def test_blocked_users_are_skipped(app, db, line):
    following, blocked = users("fol", 3), users("blk", 2)
    add_users(db, following)
    add_users(db, blocked, following=False)
    queue_for(app, following + blocked)
    with db.transaction() as session:
        queue_messages(session, blocked[0], HELLO)
    deliver_queued(app)
    [multicast] = line.multicasts()
    assert multicast.json["to"] == following
    assert line.pushes() == [] and all(line.messages_to(u) == [] for u in blocked)
    assert statuses(db) == {"sent": 1, "skipped": 1}


def test_a_user_who_blocks_after_the_reminder_was_queued_is_skipped(app, db, line):
    add_users(db, ["Ulate"])
    queue_for(app, ["Ulate"])
    with db.transaction() as session:
        session.execute(update(User).where(User.line_user_id == "Ulate").values(following=False))
    deliver_queued(app)
    assert line.pushes() == [] and statuses(db) == {"skipped": 1}


def bangkok(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=BANGKOK)


@pytest.mark.parametrize("at, release", [
    (bangkok(10, 21, 30), bangkok(11, 7)),
    (bangkok(10, 20, 0), bangkok(11, 7)),
    (bangkok(11, 3, 15), bangkok(11, 7)),
    (bangkok(11, 6, 59), bangkok(11, 7)),
    (bangkok(11, 7, 0), None),
    (bangkok(11, 12, 0), None),
    (bangkok(11, 19, 59), None),
])
def test_quiet_hours_release_in_the_bangkok_morning(at, release):
    quiet = QuietHours.parse("20:00-07:00")
    assert quiet.release(at.astimezone(timezone.utc)) == release


def test_quiet_hours_can_be_a_window_within_one_day_or_off():
    quiet = QuietHours.parse("12:00-13:00")
    assert quiet.release(bangkok(11, 12, 30)) == bangkok(11, 13)
    assert quiet.release(bangkok(11, 13, 0)) is None
    assert QuietHours.parse("") is None


def test_pushes_wait_for_the_morning_but_replies_go_at_once(app, db, line, chat):
    sender = app.extensions["sender"]
    sender.quiet_hours = QuietHours.parse("20:00-07:00")
    sender.clock = clock = MovableClock()
    evening = next_evening()
    next_day = evening.date() + timedelta(days=1)
    clock.move_to(evening)

    [outbox_id] = queue_for(app, ["Ucoordinator"])
    deliver_queued(app)
    assert line.messages_to("Ucoordinator") == []
    with db.transaction() as session:
        held = session.get(OutboxMessage, outbox_id)
    assert held.status == "pending" and held.attempts == 0
    assert held.not_before == datetime.combine(next_day, time(7), tzinfo=BANGKOK)

    assert "ยินดีต้อนรับ" in chat.says("สวัสดี")[0]["text"]  # the user's own message is answered at 21:30

    clock.move_to(datetime.combine(next_day, time(6, 59), tzinfo=BANGKOK))
    deliver_queued(app)
    assert line.messages_to("Ucoordinator") == []
    clock.move_to(datetime.combine(next_day, time(7, 1), tzinfo=BANGKOK))
    deliver_queued(app)
    assert line.texts_to("Ucoordinator") == [HELLO[0].text]


def test_line_down_for_an_hour_then_everything_arrives_once(app, db, line):
    """Hours of 500s and timeouts, simulated by making every retry due at once instead of sleeping."""
    singles, crowd = users("one", 20), users("crowd", 700)
    for user in singles:
        queue_for(app, [user], [TextMessage(text=f"ถึง {user}")])
    queue_for(app, crowd)
    rows = len(singles) + 2
    line.fail_next(rows * 6, status=500)
    line.fail_next(rows * 2, status=429, retry_after=3600)
    # LINE takes these, but the answer never comes back in time: the retry must not deliver twice.
    line.hang_next(3, 2.5, paths="/push|/multicast")

    for hour in range(20):
        with db.transaction() as session:  # time passes: every retry is due now
            session.execute(update(OutboxMessage).where(OutboxMessage.status == "pending")
                            .values(not_before=OutboxMessage.created_at))
        deliver_queued(app)
        if statuses(db) == {"sent": rows}:
            break
    assert statuses(db) == {"sent": rows}, statuses(db)
    assert all(line.texts_to(u) == [f"ถึง {u}"] for u in singles)
    assert all(line.texts_to(u) == [HELLO[0].text] for u in crowd)
    with db.transaction() as session:
        assert session.scalar(select(func.min(OutboxMessage.attempts))) > 1


def test_backoff_grows_and_respects_retry_after(app, db, line):
    [outbox_id] = queue_for(app, ["Uwait"])
    waits = []
    for status in (500, 500, 500, 429):
        line.fail_next(1, status=status, retry_after=600 if status == 429 else None)
        with db.transaction() as session:
            session.execute(update(OutboxMessage).values(not_before=OutboxMessage.created_at))
        deliver_queued(app)
        with db.transaction() as session:
            row = session.get(OutboxMessage, outbox_id)
        waits.append((row.not_before - utcnow()).total_seconds())
    assert waits[0] < waits[2] and 590 < waits[3] <= 600


def test_several_sender_processes_claim_each_row_once(app, db, line, make_app, database_url):
    other = make_app(database_url)
    queue_for(app, users("split", 40 * 500))
    for i in range(40):
        queue_for(app, [f"Uone{i}"])
    claimed: dict[str, list[int]] = {}
    start = threading.Barrier(2)

    def claim(name, sender):
        start.wait()
        claimed[name] = [row.id for row in sender.claim_due(60)]

    threads = [threading.Thread(target=claim, args=(name, a.extensions["sender"]))
               for name, a in (("a", app), ("b", other))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not set(claimed["a"]) & set(claimed["b"])
    assert len(claimed["a"]) + len(claimed["b"]) == 80


def test_two_senders_running_together_deliver_each_message_once(app, db, line, make_app, database_url):
    other = make_app(database_url)
    singles = users("pair", 60)
    for user in singles:
        queue_for(app, [user])
    queue_for(app, users("pairs-crowd", 1500))
    for sender in (app.extensions["sender"], other.extensions["sender"]):
        sender.ensure_started()  # both pollers now race for the same rows
    deadline = utcnow() + timedelta(seconds=30)
    while statuses(db) != {"sent": 63} and utcnow() < deadline:
        threading.Event().wait(0.1)
    assert statuses(db) == {"sent": 63}
    assert all(len(line.messages_to(u)) == 1 for u in singles + users("pairs-crowd", 1500))


def test_token_bucket_spaces_calls_at_the_rate():
    now = [0.0]
    slept = []

    async def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    async def eleven_calls():
        bucket = TokenBucket(5, clock=lambda: now[0], sleep=sleep)
        for _ in range(11):
            await bucket.take()

    asyncio.run(eleven_calls())
    assert now[0] == pytest.approx(2.0)  # the first call at once, then one every 0.2 s


def test_the_sender_keeps_to_its_rate_limit(app, database_url, make_app, line):
    paced = make_app(database_url, LINE_RATE_LIMIT=20.0, SENDER_THREADS=8)
    for i in range(40):
        queue_for(paced, [f"Upaced{i}"])
    deliver_queued(paced, rounds=3)
    times = sorted(call.at for call in line.pushes())
    assert len(times) == 40
    busiest = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
    # The rate, plus the one call a full bucket lets through at once, plus one: the limiter paces calls
    # as they leave, and on a loaded machine two may reach LINE a few milliseconds closer together.
    assert busiest <= 22


def test_a_sender_process_delivers_what_others_queued(app, db, line, line_server, database_url, tmp_path):
    """`flask --app bot sender run`: the process type that scales sending out."""
    for i in range(5):
        queue_for(app, [f"Uproc{i}"])
    queue_for(app, users("proc-crowd", 700))
    env = venv_env(DATABASE_URL=database_url, LINE_API_BASE_URL=line_server[1],
                   LINE_CHANNEL_ACCESS_TOKEN=TOKEN, LINE_CHANNEL_SECRET=SECRET, QUIET_HOURS="",
                   SENDER_POLL_SECONDS="0.1")
    with open(tmp_path / "sender.log", "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "bot", "sender", "run"],
                                   cwd=Path(__file__).resolve().parents[1], env=env, stdout=log, stderr=log)
    try:
        wait_for(lambda: statuses(db) == {"sent": 7},
                 lambda: "the sender process to send all seven; its log:\n" + (tmp_path / "sender.log").read_text(),
                 timeout=60)
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert all(len(line.messages_to(u)) == 1 for u in [f"Uproc{i}" for i in range(5)] + users("proc-crowd", 700))
