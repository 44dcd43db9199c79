"""The simulator's demo clock: move the bot's time forward to watch a day's reminders arrive.

Only devtools.create_app installs it, so the shipped app (bot:create_app) has no way to move time.
The clock is real time plus an offset that only grows. It replaces the dispatcher's clock, so what users
do in the simulator happens at the moved time; moving it runs, in this process, every scheduled job
that would have fired in the skipped span, at its own fire time (run_job takes `now`), oldest first.
Jobs every few minutes run once an hour of the span and at its end: they act on what is due at their
`now`, so a finer tick would only repeat them. The senders keep real time: what the jobs queue is due
at once and goes to the simulator as any push does. The scheduler process (scripts/run-local) keeps
running the jobs on real time beside this; jobs are safe to run twice, so neither repeats the other's
sends.
"""
from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from domain.thai_dates import BANGKOK
from models import utcnow
from scheduler.jobs import JOBS, run_job

# What the simulator page may ask for in one step: a day at a time is the demo's pace.
MAX_STEP = timedelta(days=31)
FREQUENT_JOB_TICK = timedelta(hours=1)


class DemoClock:
    def __init__(self) -> None:
        self.offset = timedelta(0)
        # One move at a time: two clicks must not run the same span's jobs twice over.
        self.lock = threading.Lock()

    def __call__(self) -> datetime:
        return utcnow() + self.offset


def install(app: Flask) -> DemoClock:
    clock = app.extensions["demo_clock"] = DemoClock()
    app.extensions["dispatcher"].clock = clock
    return clock


def fire_times(job_id: str, config: Any, start: datetime, end: datetime) -> list[datetime]:
    """When the job would have run in (start, end]."""
    trigger = JOBS[job_id].trigger(config)
    if isinstance(trigger, IntervalTrigger):
        first = start.astimezone(BANGKOK).replace(minute=0, second=0, microsecond=0) + FREQUENT_JOB_TICK
        ticks = []
        while first < end:
            ticks.append(first)
            first += FREQUENT_JOB_TICK
        return ticks + [end]
    times = []
    at = trigger.get_next_fire_time(None, start + timedelta(microseconds=1))
    while at is not None and at <= end:
        times.append(at)
        at = trigger.get_next_fire_time(at, at + timedelta(microseconds=1))
    return times


def advance(app: Flask, step: timedelta) -> list[tuple[datetime, str, Any]]:
    """Move the demo clock forward by `step` and run the jobs of the span; returns (when, job, result)."""
    if not timedelta(0) < step <= MAX_STEP:
        raise ValueError(f"a step must be more than nothing and at most {MAX_STEP.days} days")
    clock: DemoClock = app.extensions["demo_clock"]
    with clock.lock:
        start = clock()
        clock.offset += step
        end = start + step
        runs = sorted((at, job_id) for job_id in JOBS for at in fire_times(job_id, app.config, start, end))
        return [(at, job_id, run_job(job_id, app, now=at.astimezone(start.tzinfo))) for at, job_id in runs]
