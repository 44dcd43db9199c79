"""`flask --app bot export|audit|pdpa|cases ...`: the ministry report, a case's audit trail, data-subject
requests (a case, a student on a watch list), the per-status deadlines and the stay-in-school rounds.

Each command runs in one transaction and leaves its own row in the audit log.
"""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import write_private_file
from bot.people_cli import existing_area
from domain import access, audit, pdpa
from domain.export import FORMATS, export_file, record_export
from domain.thai import parse_id, to_ascii_digits
from domain.thai_dates import BANGKOK
from models import (
    STATUSES,
    Case,
    FollowUpRound,
    StepDeadline,
    User,
    WatchStudent,
    case_by_number,
    follow_up_days,
    utcnow,
)
from models.database import get_db
from scheduler.late_cases import LATE_STATUSES

audit_cli = AppGroup("audit", help="The audit trail: who saw or changed what.")
pdpa_cli = AppGroup("pdpa", help="Data-subject requests (PDPA).")
cases_cli = AppGroup("cases", help="How long a case may stay in each status, and the stay-in-school rounds.")

MAX_DAYS = 365  # a deadline: longer is a typo, and a case would never be late
MAX_ROUND_DAY = 3650  # a stay-in-school round: ten years after going back to school
MAX_ACTION = 100  # StepDeadline.action


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
    """Remove the personal data of case NUMBER at the child's or guardian's request; keep its statistics.
    The child's entries on schools' watch lists go too."""
    with get_db().transaction() as session:
        case = _case(session, number)
        if case.forgotten_at is not None:
            raise click.ClickException(f"case {case.number}: personal data already removed on "
                                       f"{case.forgotten_at.astimezone(BANGKOK):%Y-%m-%d %H:%M}")
        if not yes:
            click.confirm(f"Remove the names, national ID, birth date, guardian, address, location, schools, "
                          f"photos, notes, drafts and messages of case {case.number}, its child's entries on "
                          "watch lists, and every export file waiting for download? This cannot be undone",
                          abort=True)
        done = pdpa.forget_child(session, utcnow(), case=case)
    get_db().flush_to_file()
    _echo_forgotten(done)


@pdpa_cli.command("forget-student")
@click.argument("student_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def forget_student(student_id: str, yes: bool) -> None:
    """Remove the personal data of student STUDENT_ID on a school's watch list at the child's or guardian's
    request; keep the numbers. The child's case, if they have one, goes too."""
    with get_db().transaction() as session:
        number = parse_id(to_ascii_digits(student_id.strip()))
        student = session.get(WatchStudent, number) if number is not None else None
        if student is None:
            raise click.ClickException(f"no student {student_id!r} on any watch list")
        if student.forgotten_at is not None:
            raise click.ClickException(f"student {student.id}: personal data already removed on "
                                       f"{student.forgotten_at.astimezone(BANGKOK):%Y-%m-%d %H:%M}")
        if not yes:
            also = f", and case {student.case.number}" if student.case and student.case.forgotten_at is None else ""
            click.confirm(f"Remove the names, national ID, risk factors, notes, drafts and messages of student "
                          f"{student.id}{also}? This cannot be undone", abort=True)
        done = pdpa.forget_child(session, utcnow(), student=student)
    get_db().flush_to_file()
    _echo_forgotten(done)


def _echo_forgotten(done) -> None:
    for record, removed, counts in done:
        if isinstance(record, Case):
            fields = ", ".join(removed) or "nothing (no personal fields were set)"
            click.echo(f"case {record.number}: removed {fields}; status, area, dates, sex, age, reason and wants kept")
        else:
            click.echo(f"watch-list student {record.id}: removed {', '.join(removed) or 'nothing'}; school, class, "
                       "sex, group, status, dates and home visits' outcomes kept")
        click.echo("also removed: " + ", ".join(f"{count} {what.replace('_', ' ')}" for what, count in counts.items()))


@cases_cli.command("deadlines")
def show_step_deadlines() -> None:
    """Each status that can be late: its deadline in days and what has to happen; then the rounds."""
    with get_db().transaction() as session:
        rows = {row.status: row for row in session.scalars(select(StepDeadline))}
        for status in LATE_STATUSES:
            row = rows.get(status)
            kept = f"{row.days} days\t{row.action}" if row is not None and row.active else "no deadline"
            click.echo(f"{status}\t{STATUSES[status]}\t{kept}")
        click.echo("stay-in-school rounds (days after going back): " +
                   (",".join(map(str, follow_up_days(session))) or "none"))


@cases_cli.command("set-deadline")
@click.argument("status")
@click.argument("days")
@click.option("--action", help="what has to happen, in Thai, for the reminders (needed for a status without one)")
def set_step_deadline(status: str, days: str, action: str | None) -> None:
    """A case may stay DAYS days (1-365) in STATUS before it is late; DAYS "off" removes the deadline."""
    if status not in LATE_STATUSES:
        raise click.BadParameter(f"one of {', '.join(LATE_STATUSES)}", param_hint="STATUS")
    off = days.strip().lower() == "off"
    number = None if off else _whole_number(days, 1, MAX_DAYS, "DAYS")
    if action is not None and not 0 < len(action.strip()) <= MAX_ACTION:
        raise click.BadParameter(f"1 to {MAX_ACTION} characters", param_hint="--action")
    with get_db().transaction() as session:
        row = session.get(StepDeadline, status)
        if off:
            if row is not None:
                row.active = False
            audit.record_cli(session, "set_step_deadline", "step_deadline", status, days=None)
            click.echo(f"{status}: no deadline (its cases are not late any more after the next late-cases run)")
            return
        if row is None:
            if action is None:
                raise click.BadParameter(f"{status} has no deadline yet: say what has to happen",
                                         param_hint="--action")
            row = StepDeadline(status=status, days=number, action=action.strip())
            session.add(row)
        row.days, row.active = number, True
        if action is not None:
            row.action = action.strip()
        audit.record_cli(session, "set_step_deadline", "step_deadline", status, days=number, what=row.action)
        click.echo(f"{status}: {number} days, {row.action}")


@cases_cli.command("rounds")
@click.argument("days")
def set_follow_up_rounds(days: str) -> None:
    """The stay-in-school checks, in days after a child went back to school: e.g. 7,30,90,150."""
    wanted = sorted({_whole_number(day, 1, MAX_ROUND_DAY, "DAYS") for day in days.split(",") if day.strip()})
    if not wanted:
        raise click.BadParameter("at least one day, e.g. 7,30,90", param_hint="DAYS")
    with get_db().transaction() as session:
        rows = {row.day: row for row in session.scalars(select(FollowUpRound))}
        for day, row in rows.items():
            row.active = day in wanted
        session.add_all(FollowUpRound(day=day, active=True) for day in wanted if day not in rows)
        audit.record_cli(session, "set_follow_up_rounds", "follow_up_rounds", None, days=wanted)
    click.echo("stay-in-school rounds: " + ",".join(map(str, wanted)))


COMMANDS = (export_report, audit_cli, pdpa_cli, cases_cli)


def _whole_number(raw: str, low: int, high: int, hint: str) -> int:
    digits = to_ascii_digits(raw.strip())
    if not (digits.isascii() and digits.isdigit()) or not low <= int(digits) <= high:
        raise click.BadParameter(f"{raw.strip()!r}: a whole number from {low} to {high}", param_hint=hint)
    return int(digits)


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
