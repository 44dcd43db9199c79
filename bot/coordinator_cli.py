"""`flask --app bot export|audit|pdpa ...`: the ministry report, a case's audit trail, data-subject requests.

Each command runs in one transaction and leaves its own row in the audit log.
"""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.orm import Session

from bot.config import write_private_file
from bot.people_cli import existing_area
from domain import access, audit, pdpa
from domain.export import FORMATS, export_file, record_export
from domain.thai import to_ascii_digits
from domain.thai_dates import BANGKOK
from models import Case, User, case_by_number, utcnow
from models.database import get_db

audit_cli = AppGroup("audit", help="The audit trail: who saw or changed what.")
pdpa_cli = AppGroup("pdpa", help="Data-subject requests (PDPA).")


@click.command("export")
@with_appcontext
@click.option("--area", "area_code", help="DOPA code of the area; default: the whole country.")
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="xlsx", show_default=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="File to write.")
@click.option("--national-ids/--masked-ids", default=False, show_default=True,
              help="National IDs in full (the province's report to the ministry) or masked.")
def export_report(area_code: str | None, fmt: str, out: Path, national_ids: bool) -> None:
    """Write the ministry report (one row per child) of AREA to OUT."""
    with get_db().transaction() as session:
        roots = (existing_area(session, area_code).code,) if area_code else access.WHOLE_COUNTRY
        file = export_file(session, roots, fmt, national_ids, utcnow())
        write_private_file(out, file.content)
        record_export(session, roots, file, national_ids, actor_label=audit.cli_actor(), source="cli")
    click.echo(f"wrote {file.rows} rows to {out}")


@audit_cli.command("case")
@click.argument("number")
def case_audit(number: str) -> None:
    """Everyone who saw or changed case NUMBER (e.g. 2569-000123), oldest first."""
    with get_db().transaction() as session:
        case = _case(session, number)
        entries = audit.case_trail(session, case.id, case.area_code, case.created_at)
        audit.record_cli(session, "view_history", "case", case.id, area_code=case.area_code)
        click.echo(f"case {case.number} (area {case.area_code or '-'}): {len(entries)} entries")
        for entry in entries:
            who = _who(session, entry)
            click.echo("\t".join([entry.at.astimezone(BANGKOK).isoformat(timespec="seconds"), who, entry.action,
                                  entry.source or "-", json.dumps(entry.detail, ensure_ascii=False)]))


@pdpa_cli.command("forget")
@click.argument("number")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def forget(number: str, yes: bool) -> None:
    """Remove the personal data of case NUMBER at the child's or guardian's request; keep its statistics."""
    with get_db().transaction() as session:
        case = _case(session, number)
        if case.forgotten_at is not None:
            raise click.ClickException(f"case {case.number}: personal data already removed on "
                                       f"{case.forgotten_at.astimezone(BANGKOK):%Y-%m-%d %H:%M}")
        if not yes:
            click.confirm(f"Remove the names, national ID, birth date, guardian, address, location, schools, "
                          f"photos, notes, drafts and messages of case {case.number}, and every export file "
                          "waiting for download? This cannot be undone", abort=True)
        removed, counts = pdpa.forget_case(session, case, utcnow())
    get_db().flush_to_file()
    click.echo(f"case {case.number}: removed {', '.join(removed) or 'nothing (no personal fields were set)'}; "
               "status, area, dates, sex, age, reason and wants kept")
    click.echo("also removed: " + ", ".join(f"{count} {what.replace('_', ' ')}" for what, count in counts.items()))


COMMANDS = (export_report, audit_cli, pdpa_cli)


def _case(session: Session, number: str) -> Case:
    case = case_by_number(session, to_ascii_digits(number))
    if case is None:
        raise click.ClickException(f"no case {number!r} (numbers look like 2569-000123)")
    return case


def _who(session: Session, entry) -> str:
    if entry.actor_id is None:
        return entry.actor_label or "system"
    user = session.get(User, entry.actor_id)
    return f"user {user.id} {user.real_name or '-'} ({user.role or '-'})"


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
