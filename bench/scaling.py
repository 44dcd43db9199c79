"""Scaling curves: time one piece of work at input ×1 and ×10 and show how it grows.

A benchmark module declares its curves and hands them to `main`, which prints the table and
rewrites its own section of docs/performance.md:

    # bench/list_import.py — run with: .venv/bin/python -m bench.list_import
    from bench.scaling import Curve, main

    @contextmanager
    def official_list(rows):             # untimed: build the input (and clean up after)
        with fresh_postgres(common.POSTGRES_ADMIN_URL, "bench") as url:
            yield url, write_synthetic_list(rows)

    def import_list(given):              # timed
        url, path = given
        ...

    CURVES = [Curve("list import", "rows", official_list, import_list, base=25_000, target_seconds=60)]
    if __name__ == "__main__":
        main("list-import", "List import", CURVES)

`--smoke` runs every curve once at a tiny size and prints it without writing (tests/test_bench_commands.py).

"Linear or better" means the ×10 input takes at most 10 × (1 + TOLERANCE) times as long.
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import math
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from typing import Any

from bench import common

TOLERANCE = 0.3  # timing noise on a shared 2-core machine; more than this is called superlinear
SMOKE_DIVISOR = 1000  # --smoke: each curve at a thousandth of its ×1 size, enough to run every step


@dataclass(frozen=True)
class Curve:
    name: str
    unit: str  # what the size counts: "rows", "cases", "users"
    # Builds the input of a given size, untimed; a context manager so it can clean up after.
    prepare: Callable[[int], AbstractContextManager[Any]]
    # The work being measured, given what prepare yielded.
    run: Callable[[Any], Any]
    base: int  # the ×1 size: the size the target is stated for
    target_seconds: float | None = None  # at the ×1 size
    repeat: int | None = None  # timings to take the best of; None: the command line's --repeat


@dataclass(frozen=True)
class Point:
    size: int
    seconds: float


def measure(curve: Curve, factors: Sequence[int] = (1, 10), repeat: int = 1) -> list[Point]:
    """The best of `repeat` timings of `curve.run` at each size."""
    points = []
    for factor in factors:
        size = curve.base * factor
        best = math.inf
        for _ in range(curve.repeat or repeat):
            with curve.prepare(size) as given:
                gc.collect()
                start = time.perf_counter()
                curve.run(given)
                best = min(best, time.perf_counter() - start)
        points.append(Point(size, best))
    return points


def growth(points: Sequence[Point]) -> float:
    """The exponent k in time ∝ size^k between the smallest and the largest input (1.0 = linear)."""
    first, last = points[0], points[-1]
    if first.seconds <= 0 or last.size == first.size:
        return 0.0
    return math.log(last.seconds / first.seconds) / math.log(last.size / first.size)


def verdict(points: Sequence[Point]) -> str:
    first, last = points[0], points[-1]
    allowed = (last.size / first.size) * (1 + TOLERANCE)
    return "linear or better" if last.seconds <= first.seconds * allowed else "SUPERLINEAR"


def rows(curve: Curve, points: Sequence[Point]) -> list[list[str]]:
    out = []
    for point in points:
        factor = point.size // curve.base
        target = ""
        if curve.target_seconds is not None and factor == 1:
            target = f"≤ {curve.target_seconds:g} s: " + ("met" if point.seconds <= curve.target_seconds else "MISSED")
        per_item = point.seconds / point.size * 1e6
        # Four decimals for the quick ones: a summary in milliseconds would read 0.00.
        seconds = f"{point.seconds:.2f}" if point.seconds >= 1 else f"{point.seconds:.4f}"
        out.append([curve.name, f"×{factor}", f"{point.size:,} {curve.unit}", seconds,
                    f"{per_item:,.1f}", target])
    out.append([curve.name, "growth", "", f"time ∝ size^{growth(points):.2f}", "", verdict(points)])
    return out


HEADERS = ["work", "input", "size", "seconds", "µs per item", "target"]


def main(section: str, title: str, curves: Sequence[Curve], argv: list[str] | None = None, repeat: int = 1,
         notes: Callable[[], str] | None = None) -> list[list[Point]]:
    """Command line of a scaling benchmark: measure, print the table, rewrite its docs section.

    `notes`, called after measuring, gives Markdown to add below the table (what was timed, plans).
    """
    parser = argparse.ArgumentParser(description=f"{title}: time at input ×1 and ×10.")
    parser.add_argument("--factors", default="1,10", help="input multiples to time (default 1,10)")
    parser.add_argument("--repeat", type=int, default=repeat, help=f"take the best of this many timings ({repeat})")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/performance.md")
    parser.add_argument("--smoke", action="store_true",
                        help=f"check it still runs: each curve once at 1/{SMOKE_DIVISOR:,} of its size; print only")
    args = parser.parse_args(argv)
    factors = [int(f) for f in args.factors.split(",")]
    if args.smoke:
        # Figures this small say nothing about the machine: never written to docs/performance.md.
        factors, args.repeat, args.no_write = [1], 1, True
        curves = [replace(c, base=max(1, c.base // SMOKE_DIVISOR), repeat=1) for c in curves]
    results, table_rows = [], []
    for curve in curves:
        points = measure(curve, factors, args.repeat)
        results.append(points)
        table_rows += rows(curve, points)
    text = "\n".join([f"## {title}", "", f"Measured {common.today()} on {common.machine()}.", "",
                      common.table(HEADERS, table_rows), *(["", notes()] if notes else [])])
    print(text)
    if not args.no_write:
        common.write_section(section, text)
    return results


given = contextlib.nullcontext  # prepare= for inputs that need no cleaning up: given(build(size))
