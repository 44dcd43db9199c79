"""The scheduler: its jobs, the lock that lets one process act, and two real scheduler processes."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func, select

from bench.common import venv_env
from bot.config import DEFAULTS
from domain.deadlines import create_deadline, today_in_bangkok
from domain.menu_labels import MENU_SET_DEADLINE
from domain.people import save_organisation
from helpers import SECRET, TOKEN, deliver_queued, wait_for
from line.pacing import QuietHours
from models import Area, Conversation, DeadlineReminder, OutboxMessage, SchedulerLease, utcnow
from models.base import BANGKOK
from scheduler.jobs import JOBS, run_job
from scheduler.leader import AdvisoryLock, LeaseLock
from scheduler.process import build_scheduler

REPO = Path(__file__).resolve().parents[1]


def test_jobs_are_declared_for_one_scheduler_in_bangkok_time(app):
    jobs = {j.id: j for j in build_scheduler(app).get_jobs()}
    assert set(jobs) == set(JOBS) >= {"deadline-reminders", "unfinished-form-nudges", "outbox-cleanup"}
    for job_id, job in jobs.items():
        assert job.func is run_job and job.args == (job_id, app)
        assert job.max_instances == 1 and job.coalesce is True and job.misfire_grace_time >= 60
        assert str(job.trigger.timezone) == "Asia/Bangkok"
        assert JOBS[job_id].func.__qualname__ == JOBS[job_id].func.__name__  # module-level


def test_no_job_that_plans_pushes_is_timed_inside_the_default_quiet_hours():
    # run_job skips such a job in the quiet hours: one timed there would never run at all.
    quiet = QuietHours.parse(DEFAULTS["QUIET_HOURS"])
    start = datetime(2026, 6, 1, tzinfo=BANGKOK)
    for job_id, spec in JOBS.items():
        trigger = spec.trigger(DEFAULTS)
        if spec.plans_pushes and isinstance(trigger, CronTrigger):
            fire = trigger.get_next_fire_time(None, start)
            assert quiet.release(fire) is None, f"{job_id} runs at {fire:%H:%M}, inside {DEFAULTS['QUIET_HOURS']}"


def test_a_lease_has_one_holder_until_it_expires(db):
    first, second = LeaseLock(db, 0.5), LeaseLock(db, 0.5)
    assert first.try_acquire() and not second.try_acquire()
    assert first.still_held() and not second.try_acquire()
    time.sleep(0.6)  # the first holder stopped renewing: it died
    assert second.try_acquire() and not first.still_held()
    second.release()
    assert first.try_acquire()


def test_an_advisory_lock_is_freed_when_its_connection_ends(db):
    if db.dialect != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's; SQLite uses the lease")
    first, second = AdvisoryLock(db), AdvisoryLock(db)
    try:
        assert first.try_acquire() and not second.try_acquire()
        assert first.still_held()
        first.connection.invalidate()  # the process died: its connection is gone
        first.connection = None
        # The server frees the lock once it has noticed; a standby keeps trying until then.
        wait_for(second.try_acquire, "the lock to be freed", timeout=10)
        assert not first.still_held()
    finally:
        first.release()
        second.release()


# ------------------------------------------------------------------ two real scheduler processes

# A scheduler process starts, and a standby takes over, within seconds; much longer on a busy machine.
PROCESS_SECONDS = 60.0


class SchedulerProcess:
    """`flask --app bot scheduler run` in a process of its own, with its log in a file."""

    def __init__(self, name: str, database_url: str, log_dir: Path):
        self.log_path = log_dir / f"{name}.log"
        env = venv_env(DATABASE_URL=database_url, LINE_CHANNEL_SECRET=SECRET, LINE_CHANNEL_ACCESS_TOKEN=TOKEN,
                       PYTHONUNBUFFERED="1", LOG_LEVEL="INFO", QUIET_HOURS="",
                       DEADLINE_CHECK_SECONDS="0.3", DEADLINE_REMINDER_TIME="00:00",
                       SCHEDULER_LEASE_SECONDS="1.5", SCHEDULER_STANDBY_SECONDS="0.2")
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "bot", "scheduler", "run"],
                                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def runs(self) -> int:
        return self.log.count("job deadline-reminders done")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def test_two_scheduler_processes_remind_once_and_the_standby_takes_over(app, db, line, registered, new_chat,
                                                                        database_url, tmp_path, make_case):
    people = [registered(new_chat(), "reporter", code) for code in ("400101", "400102", "40010201")]
    with db.transaction() as session:  # their local government, with a child on its list still to find
        save_organisation(session, "local_government", "เทศบาลนครขอนแก่น", "LG4001",
                          [session.scalar(select(Area).where(Area.code == code)) for code in ("400101", "400102")])
    make_case("40010101", status="to_find")
    today = today_in_bangkok(utcnow())

    def add_deadline(title: str) -> None:
        with db.transaction() as session:
            create_deadline(session, title=title, due_date=today, roles=["reporter"], remind_days=[0],
                            area=session.scalar(select(Area).where(Area.code == "4001")))

    def rounds() -> int:
        with db.transaction() as session:
            return session.scalar(select(func.count()).select_from(DeadlineReminder))

    add_deadline("รายงานรอบแรก")
    first = SchedulerProcess("first", database_url, tmp_path)
    second = None
    try:
        wait_for(lambda: "active scheduler" in first.log, "the first scheduler to become active", PROCESS_SECONDS)
        second = SchedulerProcess("second", database_url, tmp_path)
        wait_for(lambda: "standing by" in second.log, "the second scheduler to stand by", PROCESS_SECONDS)
        wait_for(lambda: first.runs() >= 5, "the active scheduler to run its job a few times", PROCESS_SECONDS)
        assert second.runs() == 0 and "active scheduler" not in second.log
        assert rounds() == 1

        first.process.send_signal(signal.SIGKILL)  # dies without releasing anything
        wait_for(lambda: "active scheduler" in second.log, "the standby to take over", PROCESS_SECONDS)
        add_deadline("รายงานรอบสอง")
        wait_for(lambda: rounds() == 2, "the new active scheduler to plan the second deadline", PROCESS_SECONDS)
        wait_for(lambda: second.runs() >= 3, "the new active scheduler to keep running", PROCESS_SECONDS)
        assert rounds() == 2

        second.process.send_signal(signal.SIGTERM)
        assert second.process.wait(15) == 0
    finally:
        first.stop()
        if second:
            second.stop()

    deliver_queued(app)
    for person in people:  # each reminder once (the two rounds may arrive in either order)
        titles = [m["altText"].split(":")[0] for m in line.messages_to(person.user_id)]
        assert sorted(titles) == ["รายงานรอบสอง", "รายงานรอบแรก"]
    if db.dialect == "sqlite":
        with db.transaction() as session:
            assert session.scalar(select(SchedulerLease.holder)) is None  # released on SIGTERM


# ------------------------------------------------------------------ the other jobs

def hours_pass(db, hours: float) -> None:
    """Move every conversation's times back instead of waiting."""
    back = timedelta(hours=hours)
    with db.transaction() as session:
        for convo in session.scalars(select(Conversation)):
            convo.started_at -= back
            convo.updated_at -= back
            convo.reminded_at = convo.reminded_at and convo.reminded_at - back


def test_a_half_filled_form_gets_one_nudge_per_idle_spell(app, db, chat, registered, line):
    registered(chat, "coordinator", "4001")
    chat.says(MENU_SET_DEADLINE)
    chat.says("รายงานผลการติดตาม")
    asked = line.texts_to(chat.user_id)[-1]

    hours_pass(db, 0.5)
    assert run_job("unfinished-form-nudges", app) == 0  # may still be typing
    hours_pass(db, 2)
    assert run_job("unfinished-form-nudges", app) == 1
    hours_pass(db, 1)
    assert run_job("unfinished-form-nudges", app) == 0  # one nudge is enough
    deliver_queued(app)
    nudge, question = line.texts_to(chat.user_id)[-2:]
    assert "ยังกรอกข้อมูล" in nudge and question == asked

    chat.says("ไม่ใช่วันที่")  # any answer starts a new spell
    hours_pass(db, 3)
    assert run_job("unfinished-form-nudges", app) == 1
    hours_pass(db, 24)
    assert run_job("unfinished-form-nudges", app) == 1  # expired: ended, with a notice
    deliver_queued(app)
    assert "หมดเวลา" in line.texts_to(chat.user_id)[-1]
    with db.transaction() as session:
        assert session.scalars(select(Conversation)).all() == []


def test_finished_outbox_rows_are_deleted_after_the_retention(app, db):
    now = utcnow()
    with db.transaction() as session:
        for status, age in (("sent", 40), ("failed", 31), ("skipped", 45), ("sent", 10), ("pending", 40)):
            session.add(OutboxMessage(line_user_id="Uold", messages=[], status=status,
                                      created_at=now - timedelta(days=age)))
    assert run_job("outbox-cleanup", app, now=now) == 3
    with db.transaction() as session:
        assert sorted(session.scalars(select(OutboxMessage.status))) == ["pending", "sent"]
