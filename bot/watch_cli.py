"""`flask --app bot watch|terms ...`: the watch list's owners of prevention and class-list imports, and
the school terms and holidays of each area (the days teachers are reminded on).

Each command runs in one transaction and leaves its own row in the audit log; what it says is Thai,
for the coordinators who run it.
"""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from bot.config import write_private_file
from bot.people_cli import existing_area, existing_user
from domain import access, audit, people, watch
from domain.official_list.class_list import read_class_list
from domain.official_list.list_report import ListFileError
from domain.school_calendar import school_year
from domain.school_terms import KINDS, NATIONAL, read_day, save_span, year_lines
from domain.thai import InvalidInput, parse_id, to_ascii_digits
from domain.thai_dates import BE_OFFSET, format_thai_date, now_bangkok
from domain.watch_import import import_students, unmatched_words
from models import Area, Organisation, SchoolTerm, User, utcnow
from models.database import get_db

watch_cli = AppGroup("watch", help="The watch list of students at risk: prevention owners, class-list imports.")
terms_cli = AppGroup("terms", help="School terms and holidays per area (teachers are reminded on school days only).")
COMMANDS = (watch_cli, terms_cli)

OWNER_ON = "เป็นผู้รับผิดชอบงานป้องกันแล้ว จะได้รับแจ้งเมื่อนักเรียนเฝ้าระวังในพื้นที่ถูกแจ้งเตือนหรือหยุดเรียน"
OWNER_OFF = "ไม่ได้เป็นผู้รับผิดชอบงานป้องกันแล้ว"


@watch_cli.command("owner")
@click.argument("who")
@click.option("--off", is_flag=True, help="No longer the owner.")
def set_prevention_owner(who: str, off: bool) -> None:
    """Make coordinator WHO (a LINE user id starting with U, or a phone number) the owner of prevention in
    their scope: told when a student there is raised or stops coming."""
    with get_db().transaction() as session:
        user = existing_user(session, who)
        if not off and not user.active:
            raise click.ClickException(f"ผู้ใช้ {user.id} ถูกระงับการใช้งาน จึงเป็นผู้รับผิดชอบงานป้องกันไม่ได้")
        if not off and access.refusal(user, access.COORDINATORS):
            role = people.ROLE_LABELS.get(user.role, "ผู้ที่ยังไม่ลงทะเบียน")
            raise click.ClickException(f"ผู้ใช้ {user.id} เป็น{role}: เฉพาะผู้ประสานงานเป็นผู้รับผิดชอบงานป้องกันได้")
        # A school's own coordinator is told of its students anyway, and an agency's (a สกร.) sees no list:
        # as owners they would be told nothing more, and the area office nothing at all.
        if not off and not access.watches_area(user):
            raise click.ClickException(f"ผู้ใช้ {user.id} เป็นผู้ประสานงานของ{user.organisation.name} ซึ่งไม่ได้ดูแลรายชื่อ"
                                       "เฝ้าระวังของพื้นที่: ผู้รับผิดชอบงานป้องกันเป็นผู้ประสานงานของพื้นที่หรือเขตพื้นที่")
        user.owns_prevention = not off
        audit.record_cli(session, "set_prevention_owner", "user", user.id, owns_prevention=not off)
        said = f"{user.real_name or user.line_user_id} ({access.scope_label(user)}): {OWNER_OFF if off else OWNER_ON}"
    click.echo(said)


@watch_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--school", "school_code", required=True, help="The school's code (or its id in `org list`).")
@click.option("--dry-run", is_flag=True, help="Check the file and print what it holds; import nothing.")
@click.option("--yes", is_flag=True, help="Import without asking.")
@click.option("--teacher", "teacher_key", help="LINE user id (or phone) of the school's teacher who follows them.")
def import_class_list(file: Path, school_code: str, dry_run: bool, yes: bool, teacher_key: str | None) -> None:
    """Read FILE, a class list (XLSX or CSV: name, class, screening group, risk factors ...), print what it
    holds and put its students on SCHOOL's watch list, in one transaction. Importing the same file again
    changes nothing."""
    db = get_db()
    with db.transaction() as session:
        school = _school(session, school_code)
        teacher = _teacher(session, teacher_key, school) if teacher_key else None
        school_id, school_name, teacher_id = school.id, school.name, teacher.id if teacher else None
    data = file.read_bytes()
    try:
        report = read_class_list(data, file.name)
    except ListFileError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(report.as_text())
    if report.errors:
        # The whole name, extension too: list.csv and list.xlsx side by side must not share one report.
        errors_path = file.with_name(file.name + ".errors.csv")
        write_private_file(errors_path, report.as_csv())
        click.echo(f"รายงานปัญหาทุกแถว: {errors_path}")
    with db.transaction() as session:
        unmatched = unmatched_words(session, report.rows)
    if unmatched:
        click.echo("ปัจจัยเสี่ยงที่ไม่ตรงกับรายการ บันทึกเป็น \"อื่น ๆ\" (เพิ่มคำพ้องได้ด้วย flask lists synonyms "
                   "risk_factor): " + ", ".join(f"{word} ({count:,} คน)" for word, count in unmatched.most_common(20)))
    if dry_run:
        click.echo("ตรวจสอบอย่างเดียว (--dry-run): ยังไม่ได้นำเข้า")
        return
    if not report.rows:
        raise click.ClickException("ไม่มีแถวที่นำเข้าได้: ไม่ได้นำเข้าอะไรเลย")
    if not yes:
        refused = f" (ไม่ผ่าน {report.rejected:,} แถว ไม่นำเข้า)" if report.rejected else ""
        click.confirm(f"นำเข้านักเรียน {len(report.rows):,} คนในรายชื่อเฝ้าระวังของ{school_name}{refused} หรือไม่",
                      abort=True)
    with db.transaction() as session:
        school = session.get(Organisation, school_id)
        result = import_students(session, school, report.rows, now=utcnow(),
                                 rules=watch.Rules.from_config(current_app.config),
                                 teacher=session.get(User, teacher_id) if teacher_id else None)
        audit.record_cli(session, "import", "watch_list", school.id, area_code=watch.school_area(school).code,
                         file=file.name, added=result.added, updated=result.updated, unchanged=result.unchanged,
                         rejected=report.rejected)
    click.echo(result.as_text())


def _school(session, key: str) -> Organisation:
    school = people.find_organisation(session, to_ascii_digits(key.strip()))
    if school is None or school.kind != "school":
        raise click.ClickException(f"ไม่มีโรงเรียนรหัส {key!r} (ดูได้จาก flask org list)")
    if watch.school_area(school) is None:
        raise click.ClickException(f"{school.name} ยังไม่ได้กำหนดพื้นที่ "
                                   f"(flask org create --code {school.code} --area ...)")
    return school


def _teacher(session, key: str, school: Organisation) -> User:
    """The teacher who follows the students: one of the school's own, active teachers."""
    teacher = existing_user(session, key)
    if teacher.role != "teacher" or teacher.organisation_id != school.id or access.refusal(teacher, access.WATCHERS):
        raise click.ClickException(f"ผู้ใช้ {teacher.id} ไม่ใช่ครูของ{school.name}ที่ใช้งานได้อยู่")
    return teacher


# ----------------------------------------------------------------------------- school terms and holidays

AREA_HELP = "DOPA code of the area (its calendar covers the areas under it)."
NATIONAL_HELP = "The national calendar (every area without its own)."


def _place(session, area_code: str | None, national: bool) -> Area | None:
    """The area asked for, or None for the national calendar; exactly one of the two must be given."""
    if bool(area_code) == national:
        raise click.UsageError("ระบุ --area รหัสพื้นที่ หรือ --national อย่างใดอย่างหนึ่ง")
    return existing_area(session, area_code) if area_code else None


@terms_cli.command("show")
@click.option("--area", "area_code", help="DOPA code of the area; default: the national calendar.")
@click.option("--year", help="School year in พ.ศ. (2569); default: the current one.")
def show_terms(area_code: str | None, year: str | None) -> None:
    """The terms and holidays of AREA's school year, with where each comes from and its id."""
    today = now_bangkok().date()
    with get_db().transaction() as session:
        area = existing_area(session, area_code) if area_code else None
        wanted = school_year(today) if year is None else _be_year(year) - BE_OFFSET
        lines = year_lines(session, area, wanted)
        place = access.area_label(area) if area else NATIONAL
    click.echo(f"ปฏิทินปีการศึกษา {wanted + BE_OFFSET} ของ {place}")
    for kind, label in KINDS.items():
        click.echo(f"{label}:")
        for line in (line for line in lines if line.kind == kind):
            click.echo(f"  {line.thai()}")


@terms_cli.command("set")
@click.option("--area", "area_code", help=AREA_HELP)
@click.option("--national", is_flag=True, help=NATIONAL_HELP)
@click.option("--name", required=True, help="ภาคเรียนที่ 2/2569")
@click.option("--from", "starts", required=True, help="First day (พ.ศ. or ค.ศ., e.g. 2569-11-01).")
@click.option("--to", "ends", required=True, help="Last day.")
def set_term(area_code: str | None, national: bool, name: str, starts: str, ends: str) -> None:
    """Add a term of an area (or the national calendar), or change the dates of the one of that name."""
    _save("term", area_code, national, name, starts, ends)


@terms_cli.command("holiday")
@click.option("--area", "area_code", help=AREA_HELP)
@click.option("--national", is_flag=True, help=NATIONAL_HELP)
@click.option("--name", required=True, help="วันมาฆบูชา")
@click.option("--on", "starts", required=True, help="The day (พ.ศ. or ค.ศ., e.g. 2570-02-20).")
@click.option("--to", "ends", help="The last day of a holiday of several days.")
def set_holiday(area_code: str | None, national: bool, name: str, starts: str, ends: str | None) -> None:
    """Add a holiday (a day or days without school inside a term) of an area or the national calendar."""
    _save("holiday", area_code, national, name, starts, ends or starts)


def _save(kind: str, area_code: str | None, national: bool, name: str, starts: str, ends: str) -> None:
    today = now_bangkok().date()
    with get_db().transaction() as session:
        area = _place(session, area_code, national)
        try:
            row, created = save_span(session, area, kind, name, read_day(starts, "วันเริ่ม", today),
                                     read_day(ends, "วันสิ้นสุด", today))
        except InvalidInput as exc:
            raise click.ClickException(exc.message) from None
        audit.record_cli(session, "set_term", "school_term", row.id, area_code=area.code if area else None,
                         kind=kind, name=row.name, starts_on=row.starts_on.isoformat(),
                         ends_on=row.ends_on.isoformat())
        said = (f"{'บันทึก' if created else 'แก้วันที่'}{KINDS[kind]} [{row.id}] {row.name}: "
                f"{format_thai_date(row.starts_on)} ถึง {format_thai_date(row.ends_on)} "
                f"({access.area_label(area) if area else NATIONAL})")
    click.echo(said)


@terms_cli.command("remove")
@click.argument("term_id")
def remove_term(term_id: str) -> None:
    """Remove term or holiday TERM_ID (the number in brackets in `terms show`)."""
    with get_db().transaction() as session:
        number = parse_id(to_ascii_digits(term_id.strip()))
        row = session.get(SchoolTerm, number) if number is not None else None
        if row is None:
            raise click.ClickException(f"ไม่มีภาคเรียนหรือวันหยุดหมายเลข {term_id!r} "
                                       "(ดูหมายเลขได้จาก flask terms show)")
        place = access.area_label(row.area) if row.area else NATIONAL
        audit.record_cli(session, "remove_term", "school_term", row.id, area_code=row.area.code if row.area else None,
                         kind=row.kind, name=row.name)
        said = f"ลบ{KINDS[row.kind]} [{row.id}] {row.name} ({place}) แล้ว"
        session.delete(row)
    click.echo(said)


def _be_year(raw: str) -> int:
    digits = to_ascii_digits(raw.strip())
    if not (digits.isascii() and digits.isdigit() and 2500 <= int(digits) <= 2700):
        raise click.BadParameter(f"{raw.strip()!r}: ปีการศึกษาเป็น พ.ศ. 4 หลัก เช่น 2569", param_hint="--year")
    return int(digits)


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
