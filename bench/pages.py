"""The checking-in mix's pages, timed in-process: the CPU this process spends handling each event, from
the signed webhook body to the outbox row, on SQLite and PostgreSQL at 2,000 and 20,000 children listed.

    .venv/bin/python -m bench.pages                   # writes its section of docs/performance.md
    .venv/bin/python -m bench.pages --children 2000 --backends postgresql --no-write
    .venv/bin/python -m bench.pages --profile 20      # also where the CPU goes, and the 20 costliest functions
    .venv/bin/python -m bench.pages --dump FILE       # every message queued, as JSON: compare two versions
    .venv/bin/python -m bench.pages --smoke           # 30 children, a few events: does it still run?

The database is prepared as the webhook benchmark's `checkin` mix prepares it (bench.mixes.listed_children:
the sample province, a list of children imported, every user a village head for all of it), and the
events are that mix's first four (the list, its next page, the search "ค้นหา สมชาย", the check-in tap)
after a text step for scale ("ช่วยเหลือ", answered with one text), each user sending them once, in
order, one user after another. An event goes the webhook's way: the SDK's
parser verifies the signed body, the dispatcher handles it in its transaction and queues the reply in
the outbox; nothing is sent. Every reply is checked against LINE's OpenAPI spec, untimed.

CPU is time.thread_time of this thread (the app's own threads sleep), so PostgreSQL's work on the
queries is not in it: wall time is shown beside it.
"""
from __future__ import annotations

import argparse
import contextlib
import cProfile
import itertools
import json
import os
import pstats
import statistics
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from bench import common, mixes
from devtools.fakeline import FakeLine
from domain.menu_labels import MENU_HELP
from models import OutboxMessage

SIZES = (2_000, 20_000)
BACKENDS = ("sqlite", "postgresql")
EVENTS = ("list", "next page", "search", "check-in tap")
# For scale, in the same run: a text step every user gets, answered with one text (bench.mixes.text_steps).
REFERENCE = f"for scale: a text step ({MENU_HELP})"
TIMED = ("list", "next page", "search")  # the pages the 5 ms target is for
TARGET_MS = 5.0  # issue 17, on PostgreSQL at 2,000 children
SECRET = "bench-channel-secret"


@dataclass
class Run:
    backend: str
    children: int
    cpu_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    wall_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    profile: pstats.Stats | None = None


@contextlib.contextmanager
def prepared(backend: str, children: int, users: list[str]) -> Iterator:
    """A migrated database holding the mix's children and users, and its app (LINE never called)."""
    with common.migrated_app(backend, LINE_CHANNEL_SECRET=SECRET, LOG_LEVEL="WARNING") as app:
        mixes.listed_children(app.extensions["db"], users, children)
        common.dictionary_loaded()
        yield app


def conversation(fake: FakeLine, user: str) -> list[tuple[str, dict]]:
    """The text step for scale, then the mix's first four events."""
    steps = list(itertools.islice(mixes.checking_in(fake, user), len(EVENTS)))
    return [(REFERENCE, fake.text_event(user, MENU_HELP)), *zip(EVENTS, steps)]


def measure(backend: str, children: int, users: int, profile: bool, dump: dict | None) -> Run:
    fake = FakeLine(SECRET, "bench-token")
    names = [f"U{n:032x}" for n in range(users + 1)]  # the first warms up, untimed
    run = Run(backend, children)
    profiler = cProfile.Profile(time.thread_time) if profile else None
    with prepared(backend, children, names) as app:
        parser, dispatcher, db = (app.extensions[k] for k in ("webhook_parser", "dispatcher", "db"))
        for n, user in enumerate(names):
            for label, event in conversation(fake, user):
                body, headers = fake.webhook_request([event])
                body, signature = body.decode(), headers["X-Line-Signature"]
                if profiler and n:
                    profiler.enable()
                cpu, wall = time.thread_time(), time.perf_counter()
                rows = [row.id for parsed in parser.parse(body, signature) for row in dispatcher.handle(parsed)]
                cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
                if profiler:
                    profiler.disable()
                if n:
                    run.cpu_ms[label].append(cpu * 1000)
                    run.wall_ms[label].append(wall * 1000)
                check_replies(db, fake, rows, label, dump if n == 1 else None)
    if profiler:
        run.profile = pstats.Stats(profiler)
    return run


def check_replies(db, fake: FakeLine, row_ids: list[int], label: str, dump: dict | None) -> None:
    """Each event got one reply, valid by LINE's spec; `dump` collects the messages of the first user."""
    assert len(row_ids) == 1, f"{label}: {len(row_ids)} outbox rows"
    with db.transaction() as session:
        messages = session.get(OutboxMessage, row_ids[0]).messages
    errors = fake.spec.errors("ReplyMessageRequest", {"replyToken": "0" * 32, "messages": messages})
    assert not errors, f"{label}: LINE would refuse the reply: {errors[:3]}"
    if dump is not None:
        dump[label] = messages


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def report(runs: list[Run], users: int, profiled: int, load: float) -> str:
    headers = ["event"] + [f"{'SQLite' if r.backend == 'sqlite' else 'PostgreSQL'}, {r.children:,} children"
                           for r in runs]
    labels = (*EVENTS, REFERENCE)
    rows = [[label] + [f"{median(r.cpu_ms[label]):.2f} / {min(r.cpu_ms[label]):.2f} ({median(r.wall_ms[label]):.1f})"
                       for r in runs] for label in labels]
    # Other work on the same cores moves every figure of a run together: the ratios hold better.
    ratios = [[label] + [f"{median(r.cpu_ms[label]) / median(r.cpu_ms[REFERENCE]):.1f}×" for r in runs]
              for label in EVENTS]
    targets = [r for r in runs if r.backend == "postgresql" and r.children == SIZES[0]]
    lines = [
        "## The list of children to find: CPU per event",
        "",
        f"Measured {common.today()} on {common.machine()}, with `python -m bench.pages`; load average "
        f"{load:.1f} at the start (other work shares the 2 cores).",
        "",
        f"CPU ms of this process per event, median / fastest (wall ms, median), over {users} users each "
        "sending the five events once, the text step first:",
        "",
        common.table(headers, rows),
        "",
        "The same medians as multiples of the text step's, in the same run:",
        "",
        common.table(headers, ratios),
    ]
    for run in targets:
        worst = max(median(run.cpu_ms[label]) for label in TIMED)
        lines += ["", f"Target: the list, its next page and the search ≤ {TARGET_MS:g} ms of CPU each on PostgreSQL "
                      f"at {SIZES[0]:,} children: slowest {worst:.2f} ms, " + ("met." if worst <= TARGET_MS else
                                                                                 "**not met**.")]
    for run in runs:
        if run.profile is not None:
            lines += ["", f"Where the CPU goes ({run.backend}, {run.children:,} children, all five events, "
                          "cProfile on the thread's CPU clock, each function's own time):", "",
                      common.table(["part", "share"],
                                   [[name, f"{share:.0%}"] for name, share in common.profile_parts(run.profile)])]
    if profiled:
        for run in runs:
            if run.profile is not None:
                print(f"\n{run.backend}, {run.children:,} children: the {profiled} costliest functions")
                run.profile.sort_stats("cumulative").print_stats(profiled)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", default=",".join(map(str, SIZES)), help="children listed (default 2000,20000)")
    parser.add_argument("--backends", default=",".join(BACKENDS), help="sqlite, postgresql or both (default)")
    parser.add_argument("--users", type=int, default=40, help="users timed, each sending the five events (40)")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="print the N costliest functions of each run (where the CPU goes is always shown)")
    parser.add_argument("--dump", metavar="FILE", help="write the messages each event queued, as JSON")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/performance.md")
    parser.add_argument("--smoke", action="store_true", help="30 children, 2 users, print only: does it still run?")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    if args.smoke:
        args.children, args.users, args.no_write = "30", 2, True
    sizes = [int(n) for n in args.children.split(",")]
    backends = args.backends.split(",")
    dumps: dict = {}
    runs = []
    for backend in backends:
        for children in sizes:
            dump = dumps.setdefault(f"{backend}, {children}", {})
            # Profiled at the first size only: cProfile doubles the time it watches.
            runs.append(measure(backend, children, args.users, False, dump))
            if children == sizes[0]:
                runs[-1].profile = measure(backend, children, args.users, True, None).profile
    text = report(runs, args.users, args.profile, load)
    print(text)
    if args.dump:
        with open(args.dump, "w") as out:
            json.dump(dumps, out, ensure_ascii=False, indent=1)
    if not args.no_write:
        common.write_section("pages", text)


if __name__ == "__main__":
    main()
