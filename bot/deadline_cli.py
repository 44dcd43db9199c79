"""`flask --app bot deadline ...`: reporting deadlines set from the command line, and their progress."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from domain.deadlines import create_deadline, must_report, parse_days, today_in_bangkok
from domain.thai import InvalidInput
from domain.thai_dates import format_thai_date, parse_date
from models import ROLES, Area, Deadline, DeadlineReport, User, utcnow
from models.database import get_db

deadline_cli = AppGroup("deadline", help="Reporting deadlines and their reminders.")


@deadline_cli.command("create")
@click.option("--title", required=True, help="what must be reported")
@click.option("--date", "due", required=True, help="the deadline: YYYY-MM-DD, or Buddhist-era dd/mm/yyyy")
@click.option("--area", "area_code", help="area code (2, 4, 6 or 8 digits): everyone in that area")
@click.option("--national", is_flag=True, help="everyone in the country instead of one area")
@click.option("--roles", default="reporter", show_default=True, help="who must report, comma-separated")
@click.option("--remind", help="days before the date to remind, e.g. 7,3,1,0 (default DEADLINE_REMINDER_DAYS)")
def create_deadline_command(title: str, due: str, area_code: str | None, national: bool, roles: str,
                            remind: str | None) -> None:
    """Set a reporting deadline; reminders then go to whoever has not reported."""
    if bool(area_code) == national:
        raise click.UsageError("give either --area CODE or --national")
    if not title.strip() or len(title) > 200:
        raise click.BadParameter("1 to 200 characters", param_hint="--title")
    today = today_in_bangkok(utcnow())
    try:
        due_date = parse_date(due, today=today, future=True)
    except InvalidInput as exc:
        raise click.BadParameter(exc.message, param_hint="--date") from None
    if due_date < today:
        raise click.BadParameter(f"{due_date} is in the past", param_hint="--date")
    role_list = [r.strip() for r in roles.split(",") if r.strip()]
    if not role_list or set(role_list) - set(ROLES):
        raise click.BadParameter(f"roles are some of {', '.join(ROLES)}", param_hint="--roles")
    days = parse_days(remind or current_app.config["DEADLINE_REMINDER_DAYS"])
    with get_db().transaction() as session:
        area = session.scalar(select(Area).where(Area.code == area_code)) if area_code else None
        if area_code and area is None:
            raise click.BadParameter(f"no area with code {area_code}", param_hint="--area")
        deadline = create_deadline(session, title=title, due_date=due_date, area=area, roles=role_list,
                                   remind_days=days)
        count = session.scalar(select(func.count()).select_from(must_report(deadline).subquery()))
        click.echo(f"deadline {deadline.id}: {title!r} due {due_date} ({format_thai_date(due_date)}), "
                   f"{area.code + ' ' + area.name if area else 'whole country'}, {count} users must report, "
                   f"reminders {', '.join(map(str, days))} days before")


@deadline_cli.command("list")
def list_deadlines() -> None:
    """Deadlines from today on, with how many have reported."""
    with get_db().transaction() as session:
        for deadline in session.scalars(select(Deadline).where(Deadline.due_date >= today_in_bangkok(utcnow()))
                                        .order_by(Deadline.due_date)):
            total = session.scalar(select(func.count()).select_from(must_report(deadline).subquery()))
            reported = session.scalar(select(func.count()).select_from(
                must_report(deadline).join(DeadlineReport, DeadlineReport.user_id == User.id)
                .where(DeadlineReport.deadline_id == deadline.id).subquery()))
            click.echo(f"{deadline.id}\t{deadline.due_date}\t{deadline.area.code if deadline.area else 'all'}\t"
                       f"{reported}/{total} reported\t{deadline.title}")


def init_app(app: Flask) -> None:
    app.cli.add_command(deadline_cli)
