"""Webhook throughput and latency under gunicorn with the Procfile's settings, against PostgreSQL, side by
side with two peers measured in the same run.

    .venv/bin/python -m bench.webhook            # prints the tables, rewrites docs/performance.md

wrk (Debian package `wrk`) posts pre-signed webhook bodies, one event each with its own
webhookEventId, over loopback. The fake LINE platform (devtools.fakeline) runs in a process of its own
(bench.fakeline_process) and answers every call after 100 ms. Measured, in this order:

1. the floor: a bare line-bot-sdk app that only verifies and parses (bench/floor.py), flat out;
2. the peer: line-bot-sdk's README echo bot (bench/sdk_bot.py), flat out, counting the replies the
   fake accepted;
3. the bot, for each event mix (bench/mixes.py), after a short warm-up of its own, flat out:
   events/s counted until the last reply was accepted, so the rate includes delivering the replies;
4. the bot paced at 80 % of its own text capacity: the webhook's latency below saturation;
5. every mix again at half its capacity, with the fake validating every call against LINE's OpenAPI
   spec. The runs above skip validation, which costs the fake more CPU than the bot spends on a call;
   these show the same conversations' messages pass.

Every figure is also given as a ratio to the peer and to the floor. After each run of the bot every
reply must have been accepted with its reply token (no push fallback, no failed outbox row) within
LINE's one-minute reply-token window.
"""
from __future__ import annotations

import argparse
import contextlib
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from bench import common
from bench.fakeline_process import FakeLineProcess
from bench.mixes import MIXES, conversation_length, write_bodies
from bot.config import database_url
from devtools.fakeline import FakeLine
from devtools.fakeline.answers import Call
from helpers import fresh_postgres
from models import InboundEvent, OutboxMessage, utcnow
from models.crypto import FieldCipher
from models.database import Database

SECRET = "bench-channel-secret"
TOKEN = "bench-channel-access-token"
LINE_LATENCY = 0.1  # seconds per LINE API call, as LINE often answers from Thailand
REPLY_WINDOW = 60.0  # LINE's reply tokens expire about a minute after the webhook
PACED = 0.8  # the latency target's load: this share of the bot's own capacity for text steps
VALIDATED = 0.5  # the validated runs' load: this share of each mix's capacity
WARM_UP_SECONDS = 3.0  # each mix's own warm-up, which also estimates its rate
WARM_UP_USERS = 200
MAX_RATE = 3000  # events/s no run of the bot reaches here: bodies enough for a warm-up
REPLY = "/v2/bot/message/reply"
PUSH = "/v2/bot/message/push"
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

    @property
    def accepted_rate(self) -> float:
        """Webhook requests answered 2xx per second: events accepted (one event a request)."""
        return (self.requests - self.non_2xx) / self.seconds


def start_wrk(url: str, bodies: Path, seconds: float, connections: int, rate: float = 0) -> subprocess.Popen:
    # One wrk thread: wrk shares the two cores with the server, so it gets at most one of them.
    command = ["wrk", "-t1", f"-c{connections}", f"-d{math.ceil(seconds)}s", "--timeout", "10s",
               "-s", str(HERE / "webhook.lua"), url, "--", str(bodies), str(rate), "1"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish_wrk(process: subprocess.Popen) -> Load:
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


def run_wrk(url: str, bodies: Path, seconds: float, connections: int, rate: float = 0) -> Load:
    return finish_wrk(start_wrk(url, bodies, seconds, connections, rate))


class Meter:
    """CPU seconds used by the server's processes, PostgreSQL's and the fake LINE's from now to `used()`."""

    def __init__(self, server_pids: list[int], fake_pid: int):
        self.server_pids, self.fake_pid = server_pids, fake_pid
        self.start = self._now()

    def _now(self) -> tuple[float, dict[int, float], float]:
        postgres = {pid: common.cpu_seconds([pid]) for pid in common.postgres_pids()}
        return common.cpu_seconds(self.server_pids), postgres, common.cpu_seconds([self.fake_pid])

    def used(self, wrk_cpu: float) -> tuple[float, float, float, float]:
        """(server, wrk, PostgreSQL, fake LINE) CPU seconds; wrk's own comes from its rusage. PostgreSQL's
        backends come and go: each counts from its first sample (0 if it started in the run), and one
        that ended before the last sample is not counted at all."""
        server, postgres, fake = self._now()
        return (server - self.start[0], wrk_cpu, sum(cpu - self.start[1].get(pid, 0) for pid, cpu in postgres.items()),
                fake - self.start[2])


@dataclass
class Delivery:
    """What reached the fake LINE platform for the events of one run."""

    events: int  # events the bot recorded
    outbox: dict[str, int]  # outbox rows by status
    calls: int  # calls the fake answered
    replies: list[Call]  # reply calls LINE accepted
    pushes: int  # push calls accepted (a reply that fell back to push, or a long answer)
    refused: list[Call]  # calls the fake refused (invalid message, expired token...)
    first_at: float  # when the first event was recorded
    last_at: float  # when the last message was accepted
    to_reply_s: list[float]  # webhook recorded -> reply call answered, per reply


def wait_sent(db: Database, since, timeout: float = 120) -> None:
    """Wait until the outbox rows queued since `since` are all sent or failed (or `timeout` passes)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.transaction() as session:
            statuses = set(session.scalars(select(OutboxMessage.status).where(OutboxMessage.created_at >= since)
                                           .distinct()))
        if statuses <= {"sent", "failed"}:
            return
        time.sleep(0.5)


def delivery(db: Database, since, calls: list[Call]) -> Delivery:
    """The run's figures from the database and the calls the fake recorded since `since`."""
    with db.transaction() as session:
        statuses = dict(session.execute(
            select(OutboxMessage.status, func.count()).where(OutboxMessage.created_at >= since)
            .group_by(OutboxMessage.status)).all())
        events_seen = session.scalar(select(func.count()).select_from(InboundEvent)
                                     .where(InboundEvent.received_at >= since))
        first_at = session.scalar(select(func.min(InboundEvent.received_at)).where(InboundEvent.received_at >= since))
        queued = dict(session.execute(
            select(OutboxMessage.reply_token, OutboxMessage.created_at)
            .where(OutboxMessage.created_at >= since, OutboxMessage.reply_token.is_not(None))).all())
    replies = [c for c in calls if c.path == REPLY and 200 <= c.status < 300]
    to_reply = sorted(c.at - queued[c.json["replyToken"]].timestamp()
                      for c in replies if c.json["replyToken"] in queued)
    return Delivery(events_seen, statuses, len(calls), replies,
                    sum(1 for c in calls if c.path == PUSH and 200 <= c.status < 300),
                    [c for c in calls if c.status >= 400], first_at.timestamp() if first_at else 0,
                    max((c.at for c in calls if "/v2/bot/message/" in c.path), default=0), to_reply)


def percentile(values: list[float], p: int) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


@dataclass
class Run:
    """One measured load and what it achieved."""

    label: str
    mix: str
    load: Load
    handled: int  # the bot: events recorded, replies delivered; the SDK bot: replies accepted; the floor: 2xx answers
    span: float  # seconds from the first event to the last reply accepted (at least wrk's run)
    cpu: tuple[float, float, float, float]  # CPU seconds: server, wrk, PostgreSQL, fake LINE
    to_reply_s: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.handled / self.span

    @property
    def cpu_ms(self) -> float:
        """The server's CPU per event handled (gunicorn's master and workers, every thread)."""
        return self.cpu[0] / self.handled * 1000 if self.handled else float("nan")


class Bench:
    def __init__(self, args):
        self.args = args
        self.started = time.monotonic()
        self.load_average = os.getloadavg()[0]
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-webhook-"))
        self.fake = FakeLineProcess(SECRET, TOKEN)
        # For every run, the peers' too; validation only in the runs that say so (Bench.bot).
        self.fake.run(FakeLine.set_latency, LINE_LATENCY)
        self.fake.run(FakeLine.set_validation, False)
        self.steps = {name: self.fake.run(conversation_length, name) for name in MIXES}
        # Users of their own for each mix: one mix's prepared users must not meet another's.
        self.users = {name: ["U" + uuid.uuid4().hex for _ in range(args.users)] for name in MIXES}
        self._next_user = dict.fromkeys(MIXES, 0)
        self.env = common.venv_env(LINE_CHANNEL_SECRET=SECRET, LINE_CHANNEL_ACCESS_TOKEN=TOKEN,
                                   LINE_API_BASE_URL=self.fake.url)
        self.runs: list[Run] = []
        self.checks: list[str] = []
        self.floor: Run | None = None
        self.sdk: Run | None = None
        self.capacity: dict[str, Run] = {}
        self.paced: Run | None = None
        self.validated: dict[str, list[Call]] = {}  # refused calls of each mix's validated run
        self.slowest_reply = 0.0
        self.all_by_reply = True

    def close(self) -> None:
        self.fake.shutdown()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def take_users(self, mix: str, n: int) -> list[str]:
        """`n` of the mix's users, those after the previous run's (round the pool again when it runs out):
        each run starts its users' conversations at their first step."""
        pool = self.users[mix]
        n = max(1, min(round(n), len(pool)))
        start = self._next_user[mix]
        self._next_user[mix] = (start + n) % len(pool)
        return (pool + pool)[start:start + n]

    def users_for(self, mix: str, rate: float, seconds: float) -> list[str]:
        """Users enough for each to walk its conversation about twice in a run of `seconds` at `rate`:
        every step is in the figures, and a user sends no faster than a person tapping through a flow
        (one user's replies go out one after another, 100 ms each)."""
        return self.take_users(mix, rate * seconds / (2 * self.steps[mix]))

    def bodies(self, mix: str, users: list[str], count: int) -> tuple[Path, list[tuple[str, str]]]:
        """`count` signed bodies of the mix, built by the fake (which issues their reply tokens), and each
        event's (webhookEventId, replyToken)."""
        path = self.tmp / f"{mix}.tsv"
        return path, self.fake.run(write_bodies, mix, users, max(count, 1), str(path))

    def peers(self) -> None:
        """The floor and the SDK's README bot, flat out on text steps."""
        seconds, connections = self.args.seconds, self.args.connections
        with common.Gunicorn(self.env, app="bench.floor:app", log_path=self.tmp / "floor.log") as web:
            run_wrk(web.url, self.bodies("text", self.take_users("text", WARM_UP_USERS), 2000)[0], 2, connections)
            # More than the floor answers in the run here; were they used up, wrk would stop early.
            bodies, _ = self.bodies("text", self.take_users("text", WARM_UP_USERS), int(seconds * 5000))
            meter = Meter([web.process.pid, *web.worker_pids()], self.fake.pid)
            load = run_wrk(web.url, bodies, seconds, connections)
            self.floor = Run("floor: bare SDK verify+parse", "text", load, load.requests - load.non_2xx,
                             load.seconds, meter.used(load.cpu_seconds))
        self.runs.append(self.floor)
        with common.Gunicorn(self.env, app="bench.sdk_bot:app", log_path=self.tmp / "sdk_bot.log") as web:
            run_wrk(web.url, self.bodies("text", self.take_users("text", WARM_UP_USERS), 300)[0], 2, connections)
            # 8 threads, each waiting 100 ms for LINE: at most ~80 requests/s, far below 500.
            bodies, _ = self.bodies("text", self.take_users("text", WARM_UP_USERS), int(seconds * 500))
            self.fake.run(FakeLine.reset)
            meter = Meter([web.process.pid, *web.worker_pids()], self.fake.pid)
            load = run_wrk(web.url, bodies, seconds, connections)
            # On the fake's clock: replies to requests still under way when wrk stopped do not count.
            ended = time.time()
            cpu = meter.used(load.cpu_seconds)
            calls = self.fake.run(FakeLine.take_calls)
            replies = sum(1 for c in calls if c.path == REPLY and 200 <= c.status < 300 and c.at <= ended)
            self.sdk = Run("SDK README echo bot", "text", load, replies, load.seconds, cpu)
        self.runs.append(self.sdk)
        self.checks.append(f"- SDK README echo bot: {load.requests:,} webhook requests, {load.non_2xx:,} non-2xx, "
                           f"{load.socket_errors} socket errors; {replies:,} replies accepted, "
                           f"{sum(1 for c in calls if c.status >= 400):,} calls refused")

    @contextlib.contextmanager
    def bot_server(self, mixes: list[str]) -> Iterator[tuple[Database, common.Gunicorn]]:
        """The bot as the Procfile runs it, on a fresh PostgreSQL database with the mixes' data prepared."""
        with fresh_postgres(common.POSTGRES_ADMIN_URL, "bench") as url:
            env = {**self.env, "DATABASE_URL": url}
            common.run_release(env)
            # The same key as the server (common.venv_env): a mix may prepare encrypted rows.
            db = Database(database_url(url, ""), cipher=FieldCipher.from_text(env["DATA_ENCRYPTION_KEY"]))
            try:
                for name in mixes:
                    if MIXES[name].prepare:
                        MIXES[name].prepare(db, self.users[name])
                with common.Gunicorn(env, log_path=self.tmp / "bot.log") as web:
                    yield db, web
            finally:
                db.dispose()

    def flat_out(self, db: Database, web: common.Gunicorn, mix: str) -> Run:
        """The mix's own warm-up, which estimates its rate and so how many users the run needs, then the
        mix as fast as the bot takes it."""
        warm = min(WARM_UP_SECONDS, self.args.seconds)
        estimate = self.run(db, web, mix, self.take_users(mix, WARM_UP_USERS), int(MAX_RATE * warm), warm).rate
        seconds = self.args.seconds
        return self.run(db, web, mix, self.users_for(mix, estimate, seconds), max(1000, int(3 * estimate * seconds)),
                        seconds, "bot, flat out")

    def bot(self) -> None:
        seconds = self.args.seconds
        with self.bot_server(self.args.mix) as (db, web):
            for name in self.args.mix:
                self.capacity[name] = self.flat_out(db, web, name)
            if "text" in self.capacity:
                rate = PACED * self.capacity["text"].rate
                self.paced = self.run(db, web, "text", self.users_for("text", rate, seconds), int(rate * seconds),
                                      seconds, f"bot, paced, {rate:,.0f} events/s ({PACED * 100:.0f} % of capacity)",
                                      rate=rate)
            self.fake.run(FakeLine.set_validation, True)
            for name in self.args.mix:
                rate = VALIDATED * self.capacity[name].rate
                self.run(db, web, name, self.users_for(name, rate, seconds), int(rate * seconds), seconds,
                         f"bot, paced, {rate:,.0f} events/s, every call validated", rate=rate, validated=True)
            self.fake.run(FakeLine.set_validation, False)

    def run(self, db: Database, web: common.Gunicorn, mix: str, users: list[str], count: int, seconds: float,
            label: str | None = None, *, rate: float = 0, validated: bool = False) -> Run:
        """One load of the bot, its replies delivered; recorded in the report when it has a label."""
        bodies, _ = self.bodies(mix, users, count)
        self.fake.run(FakeLine.reset)
        since = utcnow()
        meter = Meter([web.process.pid, *web.worker_pids()], self.fake.pid)
        load = run_wrk(web.url, bodies, seconds, self.args.connections, rate)
        wait_sent(db, since)
        cpu = meter.used(load.cpu_seconds)
        got = delivery(db, since, self.fake.run(FakeLine.take_calls))
        run = Run(label or "warm-up", mix, load, got.events, max(got.last_at - got.first_at, load.seconds), cpu,
                  got.to_reply_s)
        if label is not None:
            self.runs.append(run)
            self.check(run, got, len(users), validated)
        return run

    def check(self, run: Run, got: Delivery, users: int, validated: bool) -> None:
        load = run.load
        self.slowest_reply = max(self.slowest_reply, max(got.to_reply_s, default=0))
        self.all_by_reply = self.all_by_reply and not got.pushes and set(got.outbox) <= {"sent"}
        problems = []
        if load.non_2xx or load.socket_errors:
            problems.append(f"{load.non_2xx} non-2xx answers, {load.socket_errors} socket errors")
        if got.pushes or got.refused or set(got.outbox) - {"sent"}:
            problems.append(f"{got.pushes} pushes, {len(got.refused)} refused calls, outbox {got.outbox}")
        if got.to_reply_s and max(got.to_reply_s) > REPLY_WINDOW:
            problems.append(f"slowest reply {max(got.to_reply_s):.0f} s after its webhook")
        replies_expected = sum(got.outbox.values())
        if len(got.replies) != replies_expected:
            problems.append(f"{len(got.replies)} replies for {replies_expected} outbox rows")
        if validated:
            self.validated[run.mix] = got.refused
            problems += [f"refused {c.status}: {c.response_json}" for c in got.refused[:3]]
        line = (f"- {run.label}, {run.mix}: {got.events:,} events from {users:,} users "
                f"({got.events / users / self.steps[run.mix]:.1f} walks each), {len(got.replies):,} replies accepted "
                f"with their reply token")
        if validated:
            line += f"; {got.calls:,} calls validated against LINE's OpenAPI spec"
        self.checks.append(line + ": " + ("; ".join(problems) or "all delivered, none by push, none refused, "
                                                                 "none failed"))


def _ratio(value: float, to: float) -> str:
    return f"{value / to:.2f}" if to else "–"


def _ms(load: Load) -> str:
    return f"{load.p50_ms:.1f} / {load.p95_ms:.1f} / {load.p99_ms:.1f}"


def row(bench: Bench, run: Run) -> list[str]:
    floor, sdk = bench.floor, bench.sdk
    is_floor = run is floor
    span = run.span
    return [
        run.label, run.mix, f"{run.load.accepted_rate:,.0f}",
        f"{run.rate:,.0f}" + (" (no reply)" if is_floor else ""),
        _ratio(run.rate, sdk.rate), _ratio(run.rate, floor.rate),
        "–" if is_floor else f"{run.rate / run.load.accepted_rate:.2f}",
        _ms(run.load),
        "–" if not run.to_reply_s else " / ".join(f"{v:.1f}" for v in (
            percentile(run.to_reply_s, 50), percentile(run.to_reply_s, 99), max(run.to_reply_s))),
        f"{run.cpu_ms:.2f} ({_ratio(run.cpu_ms, sdk.cpu_ms)} / {_ratio(run.cpu_ms, floor.cpu_ms)})",
        " / ".join(f"{c / span:.2f}" for c in run.cpu),
    ]


def targets(bench: Bench) -> list[list[str]]:
    """The issue's targets, each as (target, measured, met)."""
    rows = []

    def target(name: str, measured: str, met: bool) -> None:
        rows.append([name, measured, "yes" if met else "**no**"])

    capacity, sdk = bench.capacity, bench.sdk
    for mix, times in (("text", 10), ("report", 8)):
        if mix in capacity:
            ratio = capacity[mix].rate / sdk.rate
            target(f"{mix}: events/s with replies delivered ≥ {times}× the SDK README bot",
                   f"{ratio:.1f}× ({capacity[mix].rate:,.0f} vs {sdk.rate:,.0f})", ratio >= times)
    if "checkin" in capacity and "text" in capacity:
        ratio = capacity["checkin"].rate / capacity["text"].rate
        target("checkin ≥ 0.7× text", f"{ratio:.2f}× ({capacity['checkin'].rate:,.0f} vs "
                                      f"{capacity['text'].rate:,.0f})", ratio >= 0.7)
    if capacity:
        worst = min(capacity.values(), key=lambda r: r.rate / r.load.accepted_rate)
        ratio = worst.rate / worst.load.accepted_rate
        target("at saturation, events/s with replies delivered ≥ 0.95 × webhook 2xx/s (every mix)",
               f"lowest {ratio:.2f} ({worst.mix}: {worst.rate:,.0f} of {worst.load.accepted_rate:,.0f})",
               ratio >= 0.95)
    target("every reply by its reply token, within the one-minute window",
           f"slowest {bench.slowest_reply:.1f} s after its webhook, "
           + ("none by push, none failed" if bench.all_by_reply else "SOME BY PUSH OR FAILED"),
           bench.slowest_reply < REPLY_WINDOW and bench.all_by_reply)
    if bench.paced:
        load = bench.paced.load
        target(f"webhook p99 < 50 ms at {PACED * 100:.0f} % of the bot's own capacity",
               f"{load.p99_ms:.0f} ms at {load.accepted_rate:,.0f} requests/s", load.p99_ms < 50)
    if bench.validated:
        refused = {mix: len(calls) for mix, calls in bench.validated.items() if calls}
        target("every mix's validated run: every call passes LINE's spec",
               ", ".join(f"{mix}: {n} refused" for mix, n in refused.items()) or
               f"all passed ({', '.join(bench.validated)})", not refused)
    return rows


def report(bench: Bench) -> str:
    headers = ["run", "mix", "webhook 2xx/s", "events/s, replies delivered", "× SDK bot", "× floor",
               "÷ webhook 2xx/s", "webhook p50 / p95 / p99 ms", "webhook → reply p50 / p99 / max s",
               "server CPU ms/event (× SDK bot / × floor)", "CPU cores: server / wrk / PostgreSQL / fake LINE"]
    a = bench.args
    minutes = (time.monotonic() - bench.started) / 60
    return "\n".join([
        "## Webhook throughput and latency",
        "",
        f"Measured {common.today()} on {common.machine()} with `python -m bench.webhook` ({minutes:.0f} min).",
        f"gunicorn as in the Procfile (`{common.procfile('web')}`) for the bot and both peers, PostgreSQL, wrk "
        f"with 1 thread and {a.connections} connections over loopback, runs of {a.seconds:.0f} s, the fake LINE in "
        f"a process of its own answering every call after {LINE_LATENCY * 1000:.0f} ms (validating calls only in "
        f"the runs that say so). Each run's users, from {a.users:,} per mix, walk their conversation about twice. "
        f"Load average {bench.load_average:.1f} at the start, {os.getloadavg()[0]:.1f} at the end (other work "
        f"on the machine shares the same 2 cores).",
        "",
        common.table(headers, [row(bench, run) for run in bench.runs]),
        "",
        common.table(["target", "measured", "met"], targets(bench)),
        "",
        "Delivery checks (from the fake LINE platform's recorded calls and the outbox):",
        "",
        *bench.checks,
    ])


def arguments(parser: argparse.ArgumentParser) -> None:
    """The options bench.webhook and bench.soak share."""
    parser.add_argument("--seconds", type=float, default=15, help="length of each measured run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--users", type=int, default=2000, help="users of each mix (each run takes some of them)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/performance.md")


def need_wrk(module: str) -> None:
    if shutil.which("wrk") is None:  # before starting anything: every run is wrk's load
        sys.exit(f"{module} needs wrk to send the load, and it is not on PATH (Debian: apt-get install wrk)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mix", action="append", choices=sorted(MIXES),
                        help="event mix to run (repeatable; default: every mix)")
    arguments(parser)
    args = parser.parse_args(argv)
    need_wrk("bench.webhook")
    args.mix = args.mix or list(MIXES)
    bench = Bench(args)
    try:
        bench.peers()
        bench.bot()
    finally:
        bench.close()
    common.publish("webhook", report(bench), write=not args.no_write)


if __name__ == "__main__":
    main()
