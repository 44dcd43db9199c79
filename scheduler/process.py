"""The scheduler process: wait to be the one active scheduler, then run every job until told to stop.

Started by `flask --app bot scheduler run` (Procfile: scheduler), never inside a web worker: each
gunicorn worker would otherwise run its own copy of every job (APScheduler's FAQ).
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from domain.thai_dates import BANGKOK
from scheduler.jobs import JOBS, run_job
from scheduler.leader import AdvisoryLock, LeaseLock, leader_lock

log = logging.getLogger(__name__)

LOCK_JOB = "scheduler-lock"


def build_scheduler(app: Flask) -> BlockingScheduler:
    config = app.config
    scheduler = BlockingScheduler(
        timezone=BANGKOK,
        # The lock check has a thread of its own, so long jobs never delay noticing a lost lock.
        executors={"default": ThreadPoolExecutor(4), "lock": ThreadPoolExecutor(1)},
    )
    now = datetime.now(BANGKOK)
    for spec in JOBS.values():
        extra = {"next_run_time": now} if spec.run_at_start else {}
        scheduler.add_job(run_job, trigger=spec.trigger(config), args=[spec.id, app], id=spec.id, name=spec.id,
                          replace_existing=True, coalesce=spec.coalesce, max_instances=1,
                          misfire_grace_time=spec.misfire_grace_time, **extra)
    return scheduler


def run_scheduler(app: Flask, stop: threading.Event | None = None) -> None:
    """Stand by until this process holds the lock, run the jobs while it does; repeat until `stop`."""
    stop = stop or threading.Event()
    config = app.config
    lock = leader_lock(app.extensions["db"], config["SCHEDULER_LEASE_SECONDS"])
    try:
        while not stop.is_set():
            if not lock.try_acquire():
                log.info("another scheduler is active: standing by")
                while not stop.wait(config["SCHEDULER_STANDBY_SECONDS"]) and not lock.try_acquire():
                    pass
                if stop.is_set():
                    return
            log.info("this process is the active scheduler (%s)", type(lock).__name__)
            _lead(lock, app, stop)
    finally:
        lock.release()


def _lead(lock: AdvisoryLock | LeaseLock, app: Flask, stop: threading.Event) -> None:
    config = app.config
    scheduler = build_scheduler(app)

    def keep_lock() -> None:
        if stop.is_set() or not lock.still_held():
            if not stop.is_set():
                log.warning("lost the scheduler lock: stopping the jobs and standing by")
            scheduler.shutdown(wait=False)

    scheduler.add_job(keep_lock, IntervalTrigger(seconds=config["SCHEDULER_LEASE_SECONDS"] / 3, timezone=BANGKOK),
                      id=LOCK_JOB, name=LOCK_JOB, executor="lock", replace_existing=True, coalesce=True, max_instances=1,
                      misfire_grace_time=None)
    try:
        scheduler.start()  # blocks until keep_lock shuts it down, or a signal interrupts it
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)
