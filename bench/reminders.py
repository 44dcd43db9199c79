"""Benchmark: plan one deadline reminder for 100,000 users, deliver it, and check the sender's pace.

Runs against a throwaway PostgreSQL database (BENCH_POSTGRES_URL or TEST_POSTGRES_URL, default the local test server;
--sqlite for an SQLite file) and the fake LINE platform, served from a process of its own so it
does not share the sender's interpreter. Prints the figures recorded in docs/performance.md.
Not a test: nothing here asserts a time.

    .venv/bin/python -m bench.reminders [--users 100000] [--sqlite]
"""
from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import platform
import tempfile
import time
from collections.abc import Iterator
from datetime import date, datetime
from datetime import time as clock_time
from pathlib import Path

from linebot.v3.messaging import TextMessage
from sqlalchemy import func, insert, select

from bench import common
from bot import create_app
from bot.db_cli import upgrade_database
from devtools.fakeline import FakeLine
from domain.deadlines import create_deadline
from domain.people import save_organisation
from domain.thai_dates import BANGKOK
from helpers import SECRET, TOKEN, app_config, fresh_postgres, wait_for
from line.outbox import queue_multicast
from models import LISTED, Area, OutboxMessage, User, open_case, utcnow
from scheduler.jobs import run_job

DUE = date(2026, 3, 20)


@contextlib.contextmanager
def throwaway_database(use_sqlite: bool) -> Iterator[str]:
    if not use_sqlite:
        with fresh_postgres(common.POSTGRES_ADMIN_URL, "bench_reminders") as url:
            yield url
        return
    with tempfile.TemporaryDirectory() as directory:
        yield f"sqlite:///{Path(directory) / 'bench.sqlite3'}"


def seed(db, users: int) -> None:
    """A province of 10 districts, 100 subdistricts and 1,000 villages, and `users` registered reporters."""
    now = utcnow()
    with db.transaction() as session:
        session.add(Area(code="40", level="province", name="ขอนแก่น"))
        codes = [f"40{d:02d}{s:02d}{v:02d}" for d in range(1, 11) for s in range(1, 11) for v in range(1, 11)]
        for code in sorted({c[:4] for c in codes}) + sorted({c[:6] for c in codes}) + codes:
            session.add(Area(code=code, level={4: "district", 6: "subdistrict", 8: "village"}[len(code)],
                             name=f"พื้นที่ {code}"))
        session.flush()
        villages = list(session.scalars(select(Area.id).where(func.length(Area.code) == 8)))
    rows = [{"line_user_id": f"U{i:032x}", "following": True, "created_at": now, "role": "reporter",
             "area_id": villages[i % len(villages)], "registered_at": now, "active": True} for i in range(users)]
    for start in range(0, users, 10_000):
        with db.transaction() as session:
            session.execute(insert(User), rows[start:start + 10_000])


def bench_planning(app, users: int) -> dict:
    db = app.extensions["db"]
    with db.transaction() as session:
        province = session.scalar(select(Area).where(Area.code == "40"))
        # Reminders go to the gap: one local government for the whole province, a child on its list to find,
        # so every reporter (none of them in an organisation) counts for it.
        save_organisation(session, "local_government", "อปท. ทดสอบ", "BENCH-LG", [province])
        open_case(session, {"first_name": "เด็ก", "last_name": "ทดสอบ", "source": LISTED, "area_id": province.id},
                  None, status="to_find", kind="listed")
        create_deadline(session, title="รายงานผลการติดตามเด็ก รอบที่ 1", due_date=DUE, roles=["reporter"],
                        remind_days=[0], area=province)
    started = time.perf_counter()
    reached = run_job("deadline-reminders", app, now=datetime.combine(DUE, clock_time(8), tzinfo=BANGKOK))
    seconds = time.perf_counter() - started
    with db.transaction() as session:
        rows = session.scalar(select(func.count()).select_from(OutboxMessage))
    return {"users": users, "reached": reached, "seconds": seconds, "multicast_rows": rows}


class RemoteFakeLine:
    """The fake LINE platform in a child process; what it answered is fetched when asked for."""

    def __init__(self, latency: float):
        self.conn, child = multiprocessing.Pipe()
        self.process = multiprocessing.get_context("spawn").Process(target=_serve_fake, args=(child, latency))
        self.process.start()
        self.base_url = self.conn.recv()

    def ask(self, command: str):
        self.conn.send(command)
        return self.conn.recv()

    def stop(self) -> None:
        self.ask("stop")
        self.process.join()


def _serve_fake(conn, latency: float) -> None:
    fake = FakeLine(SECRET, TOKEN, latency=latency)
    conn.send(fake.serve())
    while (command := conn.recv()) != "stop":
        if command == "reset":
            fake.reset()
            conn.send(None)
        else:  # the successful calls to one endpoint: when, and to whom
            calls = {"multicast": fake.multicasts, "push": fake.pushes}[command]()
            conn.send([(c.at, c.json["to"] if command == "multicast" else [c.json["to"]]) for c in calls])
    fake.shutdown()
    conn.send(None)


def wait_until_sent(db, timeout: float = 600) -> None:
    def drained() -> bool:
        with db.transaction() as session:
            return not session.scalar(select(func.count()).where(OutboxMessage.status.in_(("pending", "sending"))))

    wait_for(drained, "the outbox to be drained", timeout)


def busiest_second(times: list[float]) -> int:
    times = sorted(times)
    most, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


def drain(database_url: str, fake: RemoteFakeLine, endpoint: str, **settings) -> dict:
    """Start one sending process's sender on what is queued; time it until the outbox is empty."""
    app = create_app(app_config(database_url, fake.base_url, TESTING=False, SENDER_THREADS=16,
                                SENDER_POLL_SECONDS=0.05, LOG_LEVEL="WARNING", **settings))
    fake.ask("reset")
    departures = record_departures(app.extensions["sender"], endpoint)
    started = time.perf_counter()
    app.extensions["sender"].ensure_started()
    wait_until_sent(app.extensions["db"])
    seconds = time.perf_counter() - started
    app.extensions["sender"].stop()
    app.extensions["db"].dispose()
    calls = fake.ask(endpoint)
    return {"calls": len(calls), "recipients": len({to for _, tos in calls for to in tos}),
            "seconds": round(seconds, 2), "calls_per_second": round(len(calls) / seconds, 1),
            # What the rate limit governs: when calls leave this process. Arrivals at the fake
            # bunch up behind its own pauses, as they would behind network jitter.
            "busiest_second_sent": busiest_second(departures),
            "busiest_second_arrived": busiest_second([at for at, _ in calls]), **settings}


def record_departures(sender, endpoint: str) -> list[float]:
    """Note when the sender's rate limit lets each call to `endpoint` go: when it leaves this process."""
    departures: list[float] = []
    take = sender.rate_limits.take

    async def timed(name: str) -> None:
        await take(name)
        if name == endpoint:
            departures.append(time.time())

    sender.rate_limits.take = timed
    return departures


def queue_pushes(database_url: str, count: int, tag: str) -> None:
    app = create_app(app_config(database_url, "", TESTING=False, LOG_LEVEL="WARNING"))
    with app.extensions["db"].transaction() as session:
        for i in range(count):  # one user each: a push
            # Users the database does not know, and no child named: not personal.
            queue_multicast(session, [f"U{tag}{i:06d}"], [TextMessage(text="ทดสอบความเร็ว")], personal=False)
    app.extensions["db"].dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--sqlite", action="store_true", help="SQLite file instead of PostgreSQL")
    parser.add_argument("--multicast-rate", type=float, default=20.0, help="LINE_MULTICAST_RATE_LIMIT")
    parser.add_argument("--push-rate", type=float, default=100.0, help="LINE_RATE_LIMIT (then unlimited)")
    parser.add_argument("--pushes", type=int, default=2000)
    args = parser.parse_args()

    with contextlib.ExitStack() as stack:
        database_url = stack.enter_context(throwaway_database(args.sqlite))
        fake = RemoteFakeLine(latency=0.02)  # every LINE call takes 20 ms
        stack.callback(fake.stop)
        app = create_app(app_config(database_url, fake.base_url, TESTING=False, LOG_LEVEL="WARNING"))
        with app.app_context():
            upgrade_database()
        seed(app.extensions["db"], args.users)
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
              f"{app.extensions['db'].dialect}, {datetime.now():%Y-%m-%d}")
        print("planning:", bench_planning(app, args.users))
        app.extensions["db"].dispose()
        print("multicast delivery:", drain(database_url, fake, "multicast",
                                           LINE_MULTICAST_RATE_LIMIT=args.multicast_rate))
        for rate in (args.push_rate, 0.0):
            queue_pushes(database_url, args.pushes, f"pace{rate:g}x")
            print("push pace:", drain(database_url, fake, "push", LINE_RATE_LIMIT=rate))


if __name__ == "__main__":
    main()
