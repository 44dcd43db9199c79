"""`flask --app bot scheduler ...`: run the scheduler process, list its jobs, run one job now."""
from __future__ import annotations

import signal

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from scheduler.jobs import JOBS, run_job
from scheduler.process import run_scheduler

scheduler_cli = AppGroup("scheduler", help="Scheduled jobs: reminders, nudges, housekeeping.")


def _exit_on_sigterm(signum, frame) -> None:
    # Unwinds the main thread like Ctrl-C does, so the lock is released on the way out.
    raise SystemExit(0)


@scheduler_cli.command("run")
def run() -> None:
    """Run the jobs. With another scheduler active, stand by and take over if it dies."""
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        run_scheduler(current_app._get_current_object())
    except KeyboardInterrupt:
        pass


@scheduler_cli.command("jobs")
def list_jobs() -> None:
    """List the jobs with their triggers."""
    for spec in JOBS.values():
        click.echo(f"{spec.id}: {spec.trigger(current_app.config)}, misfire grace {spec.misfire_grace_time}s, "
                   f"coalesce={spec.coalesce}")


@scheduler_cli.command("run-job")
@click.argument("job_id", type=click.Choice(sorted(JOBS)))
def run_one(job_id: str) -> None:
    """Run one job now, in this process (its work is idempotent, so this is safe beside the scheduler)."""
    click.echo(f"{job_id}: {run_job(job_id, current_app._get_current_object())}")


def init_app(app: Flask) -> None:
    app.cli.add_command(scheduler_cli)
