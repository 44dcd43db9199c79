"""Declaring scheduled jobs, and running one.

A job is a module-level function that takes a JobContext, registered with @job under a fixed id:

    @job("deadline-reminders", trigger=every("DEADLINE_CHECK_SECONDS"), misfire_grace_time=600,
         plans_pushes=True, run_at_start=True)
    def send_deadline_reminders(ctx: JobContext) -> int:
        ...queue outbox rows in ctx.db.transaction(); return how many users they reach...

APScheduler calls run_job(job_id, app) with the scheduler process's app (bot/scheduler_cli.py passes
it down: this package never imports the app), which opens an app context and hands the job the
database, the time and the settings. Jobs must be safe to run
twice (a unique key or a "done at" column in the same transaction as the rows they queue): only
one scheduler process runs them, but a job may still overlap a takeover, and tests call them
with any `now`.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from domain.thai_dates import BANGKOK
from line.pacing import QuietHours
from models import utcnow
from models.database import Database

log = logging.getLogger(__name__)

Settings = Mapping[str, Any]


@dataclass(frozen=True)
class JobContext:
    db: Database
    now: datetime  # aware, UTC
    config: Settings


@dataclass(frozen=True)
class Job:
    id: str
    func: Callable[[JobContext], Any]
    trigger: Callable[[Settings], BaseTrigger]
    misfire_grace_time: int  # seconds late a run may still start; later than that, it waits for the next
    coalesce: bool  # several missed runs become one
    plans_pushes: bool  # not run in quiet hours, so what it plans is still true when it is sent
    run_at_start: bool  # also run when a scheduler becomes active (after a deploy or a takeover)


JOBS: dict[str, Job] = {}


def job(id: str, *, trigger: Callable[[Settings], BaseTrigger], misfire_grace_time: int, coalesce: bool = True,
        plans_pushes: bool = False, run_at_start: bool = False) -> Callable:
    def register(func: Callable[[JobContext], Any]) -> Callable[[JobContext], Any]:
        if id in JOBS:
            raise ValueError(f"two jobs with the id {id!r}")
        JOBS[id] = Job(id, func, trigger, misfire_grace_time, coalesce, plans_pushes, run_at_start)
        return func

    return register


def every(setting: str) -> Callable[[Settings], BaseTrigger]:
    """Every N seconds, N read from a setting (tests and the two-process test make it short)."""
    return lambda config: IntervalTrigger(seconds=float(config[setting]), timezone=BANGKOK)


def every_minutes(minutes: float) -> Callable[[Settings], BaseTrigger]:
    return lambda config: IntervalTrigger(minutes=minutes, timezone=BANGKOK)


def daily(hour: int, minute: int = 0) -> Callable[[Settings], BaseTrigger]:
    """Every day at hour:minute Bangkok time."""
    return lambda config: CronTrigger(hour=hour, minute=minute, timezone=BANGKOK)


def run_job(job_id: str, app: Flask, now: datetime | None = None) -> Any:
    """Run one job in an app context: the scheduler, the CLI and the tests pass their app."""
    spec = JOBS[job_id]
    now = now or utcnow()
    quiet = QuietHours.parse(app.config["QUIET_HOURS"])
    if spec.plans_pushes and quiet and quiet.release(now):
        log.debug("job %s: quiet hours, nothing planned", job_id)
        return None
    with app.app_context():
        started = time.monotonic()
        result = spec.func(JobContext(app.extensions["db"], now, app.config))
        log.info("job %s done in %.2fs: %s", job_id, time.monotonic() - started, result)
        return result
