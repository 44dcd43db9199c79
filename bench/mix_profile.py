"""Where a mix's CPU goes, in-process: the SDK's parser and the dispatcher, as the webhook runs them.

Each mix of bench/mixes.py runs on a fresh migrated database (PostgreSQL by default), its users taking
turns as in the webhook benchmark, LINE never called: the webhook thread's work alone, which is what
`server CPU ms/event` of bench.webhook is mostly made of. Printed for each mix:
- CPU per event of this thread (time.thread_time: the app's own threads sleep) and wall time per event;
- statements per event this thread sent (BEGIN and COMMIT not counted);
- a second pass under cProfile (on the same CPU clock): the project's own functions that take the most of
  the dispatcher's time, each as a share of it, and every function's own time summed by where it lives
  (as bench.pages sums it), so a change can be aimed and its effect compared.

cProfile slows what it watches two to three times; compare the shares, and CPU per event from the
first pass. Print only: nothing is written to docs/performance.md.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import threading
import time

from sqlalchemy import event as sa_event

from bench import common, mixes
from devtools.fakeline import FakeLine

SECRET = "bench-channel-secret"
ROOT_CALL = "handle"  # chat/dispatcher.py Dispatcher.handle: every event's work is under it


def signed(fake: FakeLine, mix: mixes.Mix, users: list[str], count: int) -> list[tuple[str, str]]:
    bodies = []
    for event in mixes.events(fake, mix, users, count):
        body, headers = fake.webhook_request([event])
        bodies.append((body.decode(), headers["X-Line-Signature"]))
    return bodies


def run(app, bodies: list[tuple[str, str]], profiler: cProfile.Profile | None = None) -> tuple[float, float]:
    """Handle every body on this thread; (CPU seconds, wall seconds)."""
    parser, dispatcher = app.extensions["webhook_parser"], app.extensions["dispatcher"]
    cpu, wall = time.thread_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for body, signature in bodies:
        for parsed in parser.parse(body, signature):
            dispatcher.handle(parsed)
    if profiler:
        profiler.disable()
    return time.thread_time() - cpu, time.perf_counter() - wall


def own_parts(stats: pstats.Stats, top: int) -> list[tuple[str, float]]:
    """The project's functions with the most cumulative time, as shares of Dispatcher.handle's."""
    rows = {f"{_short(path)}:{line} {name}": cum
            for (path, line, name), (_, _, _, cum, _) in stats.stats.items()
            if _own(path)}
    total = max((cum for (path, _, name), (_, _, _, cum, _) in stats.stats.items()
                 if name == ROOT_CALL and path.endswith("chat/dispatcher.py")), default=0.0)
    # Left out: what wraps every event whole (handle, its retry, the transaction's block): always ~100 %.
    ranked = [(where, cum / total) for where, cum in sorted(rows.items(), key=lambda item: -item[1])
              if total and cum / total < 0.95]
    return ranked[:top]


def _own(path: str) -> bool:
    """Whether a profiled file is the project's: under its root, not an installed package's (the SDK
    has a models/ too)."""
    return (path.startswith(str(common.ROOT)) and "site-packages" not in path
            and any(part in path for part in common.PROJECT_PACKAGES))


def _short(path: str) -> str:
    for part in common.PROJECT_PACKAGES:
        if part in path:
            return part.strip("/") + "/" + path.rsplit(part, 1)[1]
    return path


def measure(mix_name: str, backend: str, users: int, events: int, top: int) -> str:
    mix = mixes.MIXES[mix_name]
    fake = FakeLine(SECRET, "bench-token")
    names = [f"U{n:032x}" for n in range(users)]
    with common.migrated_app(backend, LINE_CHANNEL_SECRET=SECRET, LOG_LEVEL="WARNING") as app:
        db = app.extensions["db"]
        if mix.prepare:
            mix.prepare(db, names)
        common.dictionary_loaded()
        this, statements = threading.get_ident(), [0]

        def count(*_):
            if threading.get_ident() == this:
                statements[0] += 1

        sa_event.listen(db.engine, "before_cursor_execute", count)
        # Each user's first steps warm the caches and the pool, untimed; then the timed pass, then the
        # profiled one, both further along the same conversations.
        bodies = signed(fake, mix, names, users * 2 + events * 2)
        run(app, bodies[:users * 2])
        statements[0] = 0
        cpu, wall = run(app, bodies[users * 2:users * 2 + events])
        per_event = statements[0] / events
        profiler = cProfile.Profile(time.thread_time)
        run(app, bodies[users * 2 + events:], profiler)
    stats = pstats.Stats(profiler)
    lines = [f"## {mix_name} ({backend}, {events:,} events from {users} users)", "",
             f"CPU {cpu / events * 1000:.2f} ms an event, wall {wall / events * 1000:.2f} ms, "
             f"{per_event:.2f} statements an event (besides BEGIN and COMMIT)", "",
             common.table(["the project's function (cumulative)", "share of Dispatcher.handle"],
                          [(where, f"{share:.0%}") for where, share in own_parts(stats, top)]), "",
             common.table(["own time in", "share of the pass"],
                          [(part, f"{share:.0%}") for part, share in common.profile_parts(stats)])]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mix", default=",".join(mixes.MIXES), help="mixes, comma-separated (default: all)")
    parser.add_argument("--backend", default="postgresql", choices=("postgresql", "sqlite"))
    parser.add_argument("--users", type=int, default=50, help="users taking turns (50)")
    parser.add_argument("--events", type=int, default=600, help="events timed, and as many profiled (600)")
    parser.add_argument("--top", type=int, default=15, help="functions listed for each mix (15)")
    args = parser.parse_args(argv)
    print(f"Measured {common.today()} on {common.machine()}, load average {os.getloadavg()[0]:.1f}\n")
    for mix_name in args.mix.split(","):
        print(measure(mix_name, args.backend, args.users, args.events, args.top), end="\n\n")


if __name__ == "__main__":
    main()
