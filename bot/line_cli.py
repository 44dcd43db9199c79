"""`flask --app bot line quota`: the pushes sent this month against the monthly allowance, and LINE's own count."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from line.client import LineError
from line.notices import BUDGET_SHARE, budget, month_of
from models import utcnow

line_cli = AppGroup("line", help="The LINE channel: the month's push budget.")


@line_cli.command("quota")
def show_quota() -> None:
    """Pushes sent this Bangkok month (outbox rows, and what housekeeping carried over) against
    LINE_MONTHLY_PUSH_ALLOWANCE, then LINE's own numbers when its API answers."""
    now = utcnow()
    with current_app.extensions["db"].transaction() as session:
        used = budget(session, now)
    click.echo(f"Pushes sent in {month_of(now)} (Bangkok): {used.used:,}")
    if used.share is None:
        click.echo("Allowance: none set (LINE_MONTHLY_PUSH_ALLOWANCE); notices are never held back for the budget")
    else:
        held = " - past it: non-urgent notices wait for the evening digest" if used.share >= BUDGET_SHARE else ""
        click.echo(f"Allowance: {used.allowance:,} ({used.share:.1%} used; digests from {BUDGET_SHARE:.0%}){held}")
    client = current_app.extensions["line"]
    try:
        limit, consumed = client.message_quota(), client.message_quota_consumption()
    except LineError as exc:
        click.echo(f"LINE: no answer ({exc})")
        return
    of = f" of {limit:,} ({consumed / limit:.1%})" if limit else " (no target limit set on LINE)"
    click.echo(f"LINE: {consumed:,} messages sent this month{of}")


def init_app(app: Flask) -> None:
    app.cli.add_command(line_cli)
