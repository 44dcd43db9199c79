"""Webhook throughput and latency under gunicorn with the Procfile's settings, against PostgreSQL.

    .venv/bin/python -m bench.webhook            # prints the table, rewrites docs/performance.md

wrk (Debian package `wrk`) posts pre-signed webhook bodies, one event each with its own
webhookEventId, over loopback. The fake LINE platform (devtools.fakeline) serves the Messaging API
from this process with a 100 ms delay per call. Three measurements:

1. the floor: a bare line-bot-sdk app that only verifies and parses (bench/floor.py), flat out;
2. the bot, flat out, for each event mix (bench/mixes.py): events/s counted until the last
   reply was accepted by the fake, so the rate includes delivering the replies;
3. the bot at half the floor's rate, and at half its own flat-out rate: webhook answer latency
   p50/p95/p99.

After each run every reply must have been accepted with its reply token (no push fallback, no
failed outbox row) within LINE's one-minute reply-token window.
"""
from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from bench import common
from bench.mixes import MIXES, Mix, events
from bot.config import database_url
from devtools.fakeline import FakeLine
from helpers import fresh_postgres
from models import InboundEvent, OutboxMessage, utcnow
from models.crypto import FieldCipher
from models.database import Database

SECRET = "bench-channel-secret"
TOKEN = "bench-channel-access-token"
LINE_LATENCY = 0.1  # seconds per LINE API call, as LINE often answers from Thailand
REPLY_WINDOW = 60.0  # LINE's reply tokens expire about a minute after the webhook
HERE = Path(__file__).resolve().parent


@dataclass
class Load:
    """What wrk measured."""

    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    non_2xx: int
    socket_errors: int
    cpu_seconds: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def write_bodies(fake: FakeLine, mix: Mix, users: list[str], count: int, path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        for event in events(fake, mix, users, count):
            body, headers = fake.webhook_request([event])
            out.write(f"{headers['X-Line-Signature']}\t{body.decode('utf-8')}\n")


def run_wrk(url: str, bodies: Path, seconds: float, connections: int, rate: float = 0) -> Load:
    # One wrk thread: wrk shares the two cores with the server, so it gets at most one of them.
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:.0f}s", "--timeout", "10s",
               "-s", str(HERE / "webhook.lua"), url, "--", str(bodies), str(rate), "1"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    match = re.search(r"^BENCH (.*)$", output, re.M)
    if process.returncode or not match:
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{output}")
    f = {k: int(v) for k, v in (kv.split("=") for kv in match.group(1).split())}
    return Load(f["requests"], f["duration_us"] / 1e6, f["p50_us"] / 1e3, f["p95_us"] / 1e3,
                f["p99_us"] / 1e3, f["max_us"] / 1e3, f["errors_status"], f["errors_other"],
                usage.ru_utime + usage.ru_stime)


@dataclass
class Delivery:
    """What reached the fake LINE platform for the events of one run."""

    events: int  # events the bot recorded
    outbox: dict[str, int]  # outbox rows by status
    replies: int  # reply calls LINE accepted
    pushes: int  # push calls (a reply that fell back to push, or a long answer)
    refused: int  # calls the fake refused (invalid message, expired token...)
    first_at: float
    last_at: float  # when the last message was accepted
    to_reply_ms: list[float]  # webhook recorded -> reply call answered, per reply


def wait_delivered(db: Database, fake: FakeLine, since, timeout: float = 120) -> Delivery:
    """Wait until the outbox rows of this run are all sent or failed, then collect the figures."""
    deadline = time.monotonic() + timeout
    while True:
        with db.transaction() as session:
            statuses = dict(session.execute(
                select(OutboxMessage.status, func.count()).where(OutboxMessage.created_at >= since)
                .group_by(OutboxMessage.status)).all())
            if set(statuses) <= {"sent", "failed"} or time.monotonic() > deadline:
                events_seen = session.scalar(select(func.count()).select_from(InboundEvent)
                                             .where(InboundEvent.received_at >= since))
                first_at = session.scalar(select(func.min(InboundEvent.received_at))
                                          .where(InboundEvent.received_at >= since))
                queued = dict(session.execute(
                    select(OutboxMessage.reply_token, OutboxMessage.created_at)
                    .where(OutboxMessage.created_at >= since, OutboxMessage.reply_token.is_not(None))).all())
                break
        time.sleep(0.5)
    replies = fake.replies()
    calls = [c for c in fake.calls if "/v2/bot/message/" in c.path]
    to_reply = sorted((c.at - queued[c.json["replyToken"]].timestamp()) * 1000
                      for c in replies if c.json["replyToken"] in queued)
    return Delivery(events_seen, statuses, len(replies), len(fake.pushes()),
                    sum(1 for c in calls if c.status >= 400), first_at.timestamp() if first_at else 0,
                    max((c.at for c in calls), default=0), to_reply)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


class Bench:
    def __init__(self, args):
        self.args = args
        self.fake = FakeLine(SECRET, TOKEN)
        self.fake_url = self.fake.serve()
        # Users of their own for each mix: one mix's prepared users must not meet another's.
        self.users = {name: ["U" + uuid.uuid4().hex for _ in range(args.users)] for name in MIXES}
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-webhook-"))
        self.env = common.venv_env(LINE_CHANNEL_SECRET=SECRET, LINE_CHANNEL_ACCESS_TOKEN=TOKEN,
                                   LINE_API_BASE_URL=self.fake_url)
        self.rows: list[list] = []
        self.checks: list[str] = []
        self.targets: dict[str, tuple[str, bool]] = {}
        self.load_average = os.getloadavg()[0]
        self.slowest_reply = 0.0
        self.all_by_reply = True

    def bodies(self, mix: Mix, count: int) -> Path:
        path = self.tmp / f"{mix.name}-{count}.tsv"
        write_bodies(self.fake, mix, self.users[mix.name], count, path)
        return path

    def floor(self) -> Load:
        with common.Gunicorn(self.env, app="bench.floor:app", log_path=self.tmp / "floor.log") as web:
            run_wrk(web.url, self.bodies(MIXES["text"], 2000), 2, self.args.connections)  # warm-up
            bodies = self.bodies(MIXES["text"], int(self.args.seconds * 6000))
            cpu = common.cpu_seconds([web.process.pid, *web.worker_pids()])
            load = run_wrk(web.url, bodies, self.args.seconds, self.args.connections)
            server_cpu = common.cpu_seconds([web.process.pid, *web.worker_pids()]) - cpu
        self.rows.append(["floor: bare SDK verify+parse", "text", f"{load.rate:,.0f}", "–",
                          _ms(load), "–", f"{server_cpu / load.seconds:.2f} / {load.cpu_seconds / load.seconds:.2f} / – / –"])
        return load

    def bot(self, floor: Load) -> None:
        with fresh_postgres(common.POSTGRES_ADMIN_URL, "bench") as url:
            env = {**self.env, "DATABASE_URL": url}
            common.run_release(env)
            # The same key as the server (common.venv_env): a mix may prepare encrypted rows.
            db = Database(database_url(url, ""), cipher=FieldCipher.from_text(env["DATA_ENCRYPTION_KEY"]))
            for name in self.args.mix:
                if MIXES[name].prepare:
                    MIXES[name].prepare(db, self.users[name])
            self.fake.set_latency(LINE_LATENCY)
            with common.Gunicorn(env, log_path=self.tmp / "bot.log") as web:
                self.run(db, web, MIXES["text"], 1000, "warm-up", record=False)
                capacity = {name: self.run(db, web, MIXES[name], int(self.args.seconds * 3000), "flat out",
                                           floor=floor) for name in self.args.mix}
                half = floor.rate / 2
                self.run(db, web, MIXES["text"], int(half * self.args.seconds), f"{half:,.0f} req/s (floor / 2)",
                         rate=half)
                if "text" in capacity:  # below saturation: the latency of a webhook that keeps up
                    own = capacity["text"] / 2
                    self.run(db, web, MIXES["text"], int(own * self.args.seconds),
                             f"{own:,.0f} req/s (own capacity / 2)", rate=own)
            self.fake.set_latency(0)
            db.dispose()

    def run(self, db: Database, web: common.Gunicorn, mix: Mix, count: int, label: str, *,
            rate: float = 0, floor: Load | None = None, record: bool = True) -> float:
        """Run one load; return the events/s handled with their replies delivered."""
        bodies = self.bodies(mix, count)
        self.fake.reset()
        since = utcnow()
        pids = [web.process.pid, *web.worker_pids()]
        before = (common.cpu_seconds(pids), common.cpu_seconds(common.postgres_pids()), _self_cpu())
        seconds = self.args.seconds if rate or record else 30
        load = run_wrk(web.url, bodies, seconds, self.args.connections, rate)
        delivery = wait_delivered(db, self.fake, since)
        span = max(delivery.last_at - delivery.first_at, load.seconds)
        server, postgres, fake = (common.cpu_seconds(pids) - before[0],
                                  common.cpu_seconds(common.postgres_pids()) - before[1], _self_cpu() - before[2])
        delivered_rate = delivery.events / span
        if not record:
            return delivered_rate
        ratio = f"{delivered_rate / floor.rate:.2f}" if floor else "–"
        self.rows.append([
            f"bot, {label}", mix.name, f"{load.rate:,.0f}", f"{delivered_rate:,.0f} ({ratio})", _ms(load),
            f"{percentile(delivery.to_reply_ms, 50) / 1000:.1f} / {percentile(delivery.to_reply_ms, 99) / 1000:.1f}"
            f" / {max(delivery.to_reply_ms, default=0) / 1000:.1f}",
            f"{server / span:.2f} / {load.cpu_seconds / span:.2f} / {postgres / span:.2f} / {fake / span:.2f}",
        ])
        if floor and mix.name == "text":
            self.targets["≥ 0.5 of the floor for text steps, replies delivered"] = (
                f"{delivered_rate / floor.rate:.2f}", delivered_rate / floor.rate >= 0.5)
        if rate and "floor" in label:
            self.targets["webhook p99 < 50 ms at half the floor's load"] = (
                f"{load.p99_ms:.0f} ms at {load.rate:,.0f} req/s offered {rate:,.0f}", load.p99_ms < 50)
        self.slowest_reply = max(self.slowest_reply, max(delivery.to_reply_ms, default=0) / 1000)
        self.all_by_reply = self.all_by_reply and not delivery.pushes and set(delivery.outbox) <= {"sent"}
        self.targets["every reply within the one-minute reply-token window"] = (
            f"slowest {self.slowest_reply:.1f} s, " + ("none by push" if self.all_by_reply else "SOME BY PUSH"),
            self.slowest_reply < REPLY_WINDOW and self.all_by_reply)
        problems = []
        if load.non_2xx or load.socket_errors:
            problems.append(f"{load.non_2xx} non-2xx answers, {load.socket_errors} socket errors")
        if delivery.pushes or delivery.refused or set(delivery.outbox) - {"sent"}:
            problems.append(f"{delivery.pushes} pushes, {delivery.refused} refused calls, outbox {delivery.outbox}")
        if delivery.to_reply_ms and max(delivery.to_reply_ms) > REPLY_WINDOW * 1000:
            problems.append(f"slowest reply {max(delivery.to_reply_ms) / 1000:.0f} s after its webhook")
        replies_expected = sum(delivery.outbox.values())
        if delivery.replies != replies_expected:
            problems.append(f"{delivery.replies} replies for {replies_expected} outbox rows")
        self.checks.append(f"- bot, {label}, {mix.name}: {delivery.events:,} events, {delivery.replies:,} replies"
                           f" accepted with their reply token: " + ("; ".join(problems) or "all delivered, none"
                                                                   " by push, none refused, none failed"))
        return delivered_rate


def _ms(load: Load) -> str:
    return f"{load.p50_ms:.1f} / {load.p95_ms:.1f} / {load.p99_ms:.1f}"


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def report(bench: Bench, floor: Load) -> str:
    headers = ["run", "mix", "webhook req/s", "events/s with replies delivered (× floor)",
               "webhook p50 / p95 / p99 ms", "webhook → reply call p50 / p99 / max s",
               "CPU cores: server / wrk / PostgreSQL / fake LINE"]
    a = bench.args
    return "\n".join([
        "## Webhook throughput and latency",
        "",
        f"Measured {common.today()} on {common.machine()} with `python -m bench.webhook`.",
        f"gunicorn as in the Procfile (`{common.procfile('web')}`), PostgreSQL, wrk with 1 thread and "
        f"{a.connections} connections over loopback, {a.users:,} users, runs of {a.seconds:.0f} s, fake LINE "
        f"answering every call after {LINE_LATENCY * 1000:.0f} ms. Load average when it started: "
        f"{bench.load_average:.1f} (other work on the machine shares the same 2 cores).",
        "",
        common.table(headers, bench.rows),
        "",
        common.table(["target", "measured", "met"],
                     [[k, v, "yes" if ok else "**no**"] for k, (v, ok) in bench.targets.items()]),
        "",
        "Delivery checks (from the fake LINE platform's recorded calls and the outbox):",
        "",
        *bench.checks,
    ])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mix", action="append", choices=sorted(MIXES),
                        help="event mix to run flat out (repeatable; default: every mix)")
    parser.add_argument("--seconds", type=float, default=15, help="length of each measured run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/performance.md")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:  # before starting anything: every run is wrk's load
        sys.exit("bench.webhook needs wrk to send the load, and it is not on PATH (Debian: apt-get install wrk)")
    args.mix = args.mix or list(MIXES)
    bench = Bench(args)
    try:
        floor = bench.floor()
        bench.bot(floor)
    finally:
        bench.fake.shutdown()
    text = report(bench, floor)
    print(text)
    if not args.no_write:
        common.write_section("webhook", text)
        print(f"\nwritten to {common.DOC.relative_to(common.ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
