"""`flask --app bot deadline ...`: reporting deadlines set from the command line, and their progress."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from domain.deadlines import DEFAULT_KINDS, create_deadline, open_deadlines, parse_days, progress, today_in_bangkok
from domain.thai import InvalidInput
from domain.thai_dates import format_thai_date, parse_date
from models import DEADLINE_RULES, ORGANISATION_KINDS, ROLES, Area, utcnow
from models.database import get_db

deadline_cli = AppGroup("deadline", help="Reporting deadlines and their reminders.")


@deadline_cli.command("create")
@click.option("--title", required=True, help="what must be reported")
@click.option("--date", "due", required=True, help="the deadline: YYYY-MM-DD, or Buddhist-era dd/mm/yyyy")
@click.option("--area", "area_code", help="area code (2, 4, 6 or 8 digits): everyone in that area")
@click.option("--national", is_flag=True, help="everyone in the country instead of one area")
@click.option("--roles", default="reporter", show_default=True, help="who must report, comma-separated")
@click.option("--remind", help="days before the date to remind, e.g. 7,3,1,0 (default DEADLINE_REMINDER_DAYS)")
@click.option("--kinds", default=",".join(DEFAULT_KINDS), show_default=True,
              help=f"organisation kinds that must report, comma-separated: {', '.join(ORGANISATION_KINDS)}")
@click.option("--rule", type=click.Choice(list(DEADLINE_RULES)), default="all_checked", show_default=True,
              help="reported when every listed child is checked, or also by a zero report")
@click.option("--form-url", help="the ministry's Google Form, for the pre-filled link")
@click.option("--form-field", "form_fields", multiple=True, metavar="ENTRY=COUNT",
              help="a form entry id and the count it is filled with, e.g. entry.123=unchecked (repeat)")
def create_deadline_command(title: str, due: str, area_code: str | None, national: bool, roles: str,
                            remind: str | None, kinds: str, rule: str, form_url: str | None,
                            form_fields: tuple[str, ...]) -> None:
    """Set a reporting deadline; reminders then go to the organisations that have not reported."""
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
    fields = dict(field.partition("=")[::2] for field in form_fields)
    with get_db().transaction() as session:
        area = session.scalar(select(Area).where(Area.code == area_code)) if area_code else None
        if area_code and area is None:
            raise click.BadParameter(f"no area with code {area_code}", param_hint="--area")
        try:
            deadline = create_deadline(session, title=title, due_date=due_date, area=area, roles=role_list,
                                       remind_days=days, org_kinds=[k.strip() for k in kinds.split(",") if k.strip()],
                                       rule=rule, form_url=form_url, form_fields=fields or None)
        except InvalidInput as exc:
            raise click.UsageError(exc.message) from None
        count = len(progress(session, deadline).organisations)
        click.echo(f"deadline {deadline.id}: {title!r} due {due_date} ({format_thai_date(due_date)}), "
                   f"{area.code + ' ' + area.name if area else 'whole country'}, {count} organisations must report "
                   f"({rule}), reminders {', '.join(map(str, deadline.remind_days))} days before")


@deadline_cli.command("list")
def list_deadlines() -> None:
    """Deadlines from today on, with how many organisations have reported."""
    with get_db().transaction() as session:
        for deadline in open_deadlines(session, utcnow()):
            result = progress(session, deadline)
            click.echo(f"{deadline.id}\t{deadline.due_date}\t{deadline.area.code if deadline.area else 'all'}\t"
                       f"{len(result.reported)}/{len(result.organisations)} reported\t{deadline.title}")


def init_app(app: Flask) -> None:
    app.cli.add_command(deadline_cli)
