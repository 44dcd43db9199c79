"""The soak: text steps at 80 % of the bot's measured capacity for ten minutes, the memory of every
process sampled as it goes, and every event and reply counted at the end.

    .venv/bin/python -m bench.soak                                # 10 minutes, then rewrites its section
    .venv/bin/python -m bench.soak --soak-seconds 120 --no-write  # a shorter one, printed only

The bot runs as in bench.webhook (gunicorn as in the Procfile, PostgreSQL, the fake LINE in a process
of its own answering after 100 ms, not validating). A flat-out run of text steps measures its
capacity first; then wrk paces the load at 80 % of it for --soak-seconds, in segments of 20 s: LINE's
reply tokens last a minute, so the fake LINE builds each segment's bodies while the one before is
sent, and collects its recorded calls as it goes. Every few seconds the resident memory of every
process is read from /proc: gunicorn's master, each worker, the fake LINE. Growth counts from the end
of the warm-up to the end of the load.

At the end: every event wrk sent recorded once (by webhookEventId); every reply token used by exactly
one reply call, which LINE accepted, within its minute; no push, no failed outbox row.
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from bench import common
from bench.mixes import write_bodies
from bench.webhook import (
    PUSH,
    REPLY,
    REPLY_WINDOW,
    Bench,
    Load,
    Meter,
    Run,
    arguments,
    finish_wrk,
    need_wrk,
    percentile,
    start_wrk,
    wait_sent,
)
from devtools.fakeline import FakeLine
from devtools.fakeline.answers import Call
from models import InboundEvent, OutboxMessage, utcnow

# Each segment's bodies are built while the one before is sent, so a reply token reaches the bot
# 20–40 s after the fake issued it: inside its minute, with room for the reply.
SEGMENT_SECONDS = 20.0
MEMORY_GROWTH = 0.05  # the target: at most this growth of any process after the warm-up


def rss_kib(pid: int) -> int | None:
    """The process's resident memory (VmRSS), or None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


class MemorySampler:
    """The resident memory of named processes every `every` seconds, from start() to stop(), in a thread."""

    def __init__(self, processes: dict[str, int], every: float):
        self.processes, self.every = processes, every
        self.samples: list[tuple[float, dict[str, int | None]]] = []  # (seconds since start, KiB by name)
        self._started = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss", daemon=True)

    def start(self) -> None:
        self._started = time.monotonic()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def _sample(self) -> None:
        self.samples.append((time.monotonic() - self._started,
                             {name: rss_kib(pid) for name, pid in self.processes.items()}))

    def _run(self) -> None:
        self._sample()
        while not self._stop.wait(self.every):
            self._sample()

    def growth(self, warm_up: float) -> list[tuple[str, list[int | None], float | None]]:
        """For each process: RSS (KiB) at the start, after the warm-up, at the end and its peak after
        the warm-up; and the growth from the warm-up to the end (None for a process gone)."""
        after = [s for t, s in self.samples if t >= warm_up] or [self.samples[-1][1]]
        result = []
        for name in self.processes:
            start, warm, end = self.samples[0][1][name], after[0][name], after[-1][name]
            peak = max((s[name] for s in after if s[name] is not None), default=None)
            result.append((name, [start, warm, end, peak], (end - warm) / warm if warm and end else None))
        return result


@dataclass
class Tally:
    """The message calls of a long run, collected segment by segment: by reply token, how many calls
    used it and when LINE accepted it."""

    attempts: Counter = field(default_factory=Counter)
    accepted: dict[str, float] = field(default_factory=dict)
    pushes: int = 0
    refused: list[Call] = field(default_factory=list)

    def add(self, calls: list[Call]) -> None:
        for call in calls:
            if call.status >= 400:
                self.refused.append(call)
            if call.path == REPLY:
                token = call.json["replyToken"]
                self.attempts[token] += 1
                if call.status < 300:
                    self.accepted.setdefault(token, call.at)
            elif call.path == PUSH and call.status < 300:
                self.pushes += 1


@dataclass
class Soak:
    capacity: Run
    rate: float  # events/s offered
    users: int
    seconds: float
    warm_up: float
    loads: list[Load]
    sent: list[tuple[str, str]]  # (webhookEventId, replyToken) of every event wrk sent
    unsent: int  # bodies not answered before their segment ended (in flight then, or never sent)
    tally: Tally
    recorded: Counter  # webhookEventId -> rows
    outbox: dict[str, int]
    to_reply_s: list[float]
    cpu: tuple[float, float, float, float]
    memory: MemorySampler
    load_average: tuple[float, float]


def run_soak(bench: Bench, db, web: common.Gunicorn, capacity: Run, share: float, seconds: float, warm_up: float,
             every: float) -> Soak:
    """Text steps paced at `share` of `capacity` for `seconds`, and what came of it."""
    rate = share * capacity.rate
    load_average = os.getloadavg()[0]
    users = bench.take_users("text", len(bench.users["text"]))  # all of them: each sends as rarely as can be
    lengths = [min(SEGMENT_SECONDS, seconds - i * SEGMENT_SECONDS) for i in range(math.ceil(seconds / SEGMENT_SECONDS))]

    def build(i: int) -> Path:
        path = bench.tmp / f"soak-{i % 2}.tsv"  # one file sent while the next is written
        bench.fake.send(write_bodies, "text", users, max(1, round(rate * lengths[i])), str(path))
        return path

    fake = bench.fake
    fake.run(FakeLine.reset)
    memory = MemorySampler({"gunicorn master": web.process.pid,
                            **{f"gunicorn worker {n}": pid for n, pid in enumerate(web.worker_pids(), 1)},
                            "fake LINE": fake.pid}, every)
    tally, loads, sent, unsent = Tally(), [], [], 0
    since = utcnow()
    meter = Meter([web.process.pid, *web.worker_pids()], fake.pid)
    path = build(0)
    bodies = fake.receive()
    memory.start()
    wrk = start_wrk(web.url, path, lengths[0], bench.args.connections, rate)
    for i in range(len(lengths)):
        last = i + 1 == len(lengths)
        if not last:
            path = build(i + 1)
        load = finish_wrk(wrk)
        loads.append(load)
        sent += bodies[:load.requests]
        unsent += max(len(bodies) - load.requests, 0)
        if not last:
            bodies = fake.receive()
            wrk = start_wrk(web.url, path, lengths[i + 1], bench.args.connections, rate)
        tally.add(fake.run(FakeLine.take_calls))
        fake.run(FakeLine.forget_expired_reply_tokens)
    memory.stop()
    wait_sent(db, since)
    cpu = meter.used(sum(load.cpu_seconds for load in loads))
    tally.add(fake.run(FakeLine.take_calls))
    with db.transaction() as session:
        recorded = Counter(dict(session.execute(
            select(InboundEvent.webhook_event_id, func.count()).where(InboundEvent.received_at >= since)
            .group_by(InboundEvent.webhook_event_id)).all()))
        outbox = dict(session.execute(select(OutboxMessage.status, func.count())
                                      .where(OutboxMessage.created_at >= since).group_by(OutboxMessage.status)).all())
        queued = dict(session.execute(select(OutboxMessage.reply_token, OutboxMessage.created_at)
                                      .where(OutboxMessage.created_at >= since,
                                             OutboxMessage.reply_token.is_not(None))).all())
    to_reply = sorted(at - queued[token].timestamp() for token, at in tally.accepted.items() if token in queued)
    return Soak(capacity, rate, len(users), seconds, warm_up, loads, sent, unsent, tally, recorded, outbox, to_reply,
                cpu, memory, (load_average, os.getloadavg()[0]))


def _mib(kib: int | None) -> str:
    return "gone" if kib is None else f"{kib / 1024:,.1f}"


def report(bench: Bench, soak: Soak) -> str:
    sent_ids = [event_id for event_id, _ in soak.sent]
    tokens = [token for _, token in soak.sent if token]
    lost_events = sum(1 for event_id in set(sent_ids) if event_id not in soak.recorded)
    events_twice = sum(1 for n in soak.recorded.values() if n > 1)
    lost_replies = sum(1 for token in set(tokens) if token not in soak.tally.accepted)
    replies_twice = sum(1 for n in soak.tally.attempts.values() if n > 1)
    # Events recorded that wrk did not count as answered: those in flight when their segment ended.
    unexpected = len(set(soak.recorded) - set(sent_ids))
    memory = soak.memory.growth(soak.warm_up)
    worst = max((m for m in memory if m[2] is not None), key=lambda m: m[2])
    gone = [name for name, _, g in memory if g is None]
    slowest = max(soak.to_reply_s, default=0)
    by_reply = not soak.tally.pushes and set(soak.outbox) <= {"sent"} and not soak.tally.refused
    wrk_seconds = sum(load.seconds for load in soak.loads)
    accepted = sum(load.requests - load.non_2xx for load in soak.loads)
    errors = sum(load.non_2xx + load.socket_errors for load in soak.loads)
    p99s = [load.p99_ms for load in soak.loads]
    server, wrk, postgres, fake = (c / wrk_seconds for c in soak.cpu)
    capacity = soak.capacity

    def met(ok: bool) -> str:
        return "yes" if ok else "**no**"

    targets = [
        [f"memory of every process flat after the warm-up (growth < {MEMORY_GROWTH * 100:.0f} %)",
         f"largest {worst[2]:+.1%} ({worst[0]})" + (f"; gone: {', '.join(gone)}" if gone else ""),
         met(worst[2] < MEMORY_GROWTH and not gone)],
        ["nothing lost: every event sent is recorded, every reply token's reply accepted",
         f"{lost_events:,} of {len(set(sent_ids)):,} events, {lost_replies:,} of {len(set(tokens)):,} replies missing",
         met(not lost_events and not lost_replies)],
        ["nothing twice: every event recorded once, every reply token used by one call",
         f"{events_twice:,} events recorded twice, {replies_twice:,} reply tokens used twice",
         met(not events_twice and not replies_twice)],
        ["every reply by its reply token, within the one-minute window",
         f"slowest {slowest:.1f} s after its webhook; {soak.tally.pushes} pushes, {len(soak.tally.refused)} refused "
         f"calls, outbox {soak.outbox}", met(by_reply and slowest < REPLY_WINDOW)],
    ]
    a = bench.args
    minutes = (time.monotonic() - bench.started) / 60
    return "\n".join([
        "## Soak",
        "",
        f"Measured {common.today()} on {common.machine()} with `python -m bench.soak` ({minutes:.0f} min). The bot "
        f"as in the webhook benchmark (gunicorn as in the Procfile, PostgreSQL, the fake LINE in a process of its "
        f"own answering after 100 ms, not validating). Text steps flat out first: {capacity.rate:,.0f} events/s with "
        f"replies delivered ({capacity.load.accepted_rate:,.0f} webhook 2xx/s). Then {soak.seconds:,.0f} s paced at "
        f"{a.share * 100:.0f} % of it, {soak.rate:,.0f} events/s from {soak.users:,} users, in {len(soak.loads)} "
        f"segments of up to {SEGMENT_SECONDS:.0f} s. Memory sampled every {a.sample_seconds:g} s; the warm-up is the "
        f"first {soak.warm_up:.0f} s. Load average {soak.load_average[0]:.1f} at the start, {soak.load_average[1]:.1f} "
        f"at the end (other work on the machine shares the same 2 cores).",
        "",
        f"Load: {accepted:,} events accepted, {accepted / wrk_seconds:,.0f}/s, {errors} non-2xx answers or socket "
        f"errors; {soak.unsent:,} bodies not answered before their segment ended, {unexpected:,} events recorded "
        f"beyond those answered (in flight then); webhook p99 per segment: median {statistics.median(p99s):.0f} ms, worst "
        f"{max(p99s):.0f} ms; webhook → reply call p50 {percentile(soak.to_reply_s, 50):.2f} s, p99 "
        f"{percentile(soak.to_reply_s, 99):.2f} s. Server CPU {soak.cpu[0] / max(accepted, 1) * 1000:.2f} ms per "
        f"event; CPU cores: server {server:.2f}, wrk {wrk:.2f}, PostgreSQL {postgres:.2f}, fake LINE {fake:.2f}.",
        "",
        common.table(["process", "RSS MiB at the start", "after the warm-up", "at the end", "peak after the warm-up",
                      "growth after the warm-up"],
                     [[name, *map(_mib, values), "–" if g is None else f"{g:+.1%}"] for name, values, g in memory]),
        "",
        common.table(["target", "measured", "met"], targets),
    ])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--soak-seconds", type=float, default=600, help="how long the paced load lasts")
    parser.add_argument("--share", type=float, default=0.8, help="the load, as a share of the measured capacity")
    parser.add_argument("--warm-up-seconds", type=float,
                        help="memory growth counts from this time into the soak (default: a fifth of it)")
    parser.add_argument("--sample-seconds", type=float, default=5, help="how often memory is sampled")
    arguments(parser)
    args = parser.parse_args(argv)
    need_wrk("bench.soak")
    warm_up = args.soak_seconds / 5 if args.warm_up_seconds is None else args.warm_up_seconds
    bench = Bench(args)
    try:
        with bench.bot_server(["text"]) as (db, web):
            soak = run_soak(bench, db, web, bench.flat_out(db, web, "text"), args.share, args.soak_seconds, warm_up,
                            args.sample_seconds)
    finally:
        bench.close()
    common.publish("soak", report(bench, soak), write=not args.no_write)


if __name__ == "__main__":
    main()
