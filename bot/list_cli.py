"""`flask --app bot list import FILE`: check the ministry's list and import it into cases."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from bot.config import write_private_file
from domain.official_list.importer import area_index, file_digest, import_rows
from domain.official_list.list_report import ListFileError
from domain.official_list.reader import read_official_list
from models.database import get_db

list_cli = AppGroup("list", help="The ministry's official list of children to find.")


@list_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and write the error report; import nothing.")
@click.option("--yes", is_flag=True, help="Import the valid rows without asking when some rows are rejected.")
@click.option("--errors", "errors_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the error report (CSV); default: FILE's name + .errors.csv beside it.")
def import_list(file: Path, dry_run: bool, yes: bool, errors_path: Path | None) -> None:
    """Read FILE (XLSX or CSV), print what was found and rejected, and import the valid rows.

    Importing the same file again changes nothing; a newer list updates the children already known
    and adds the new ones, never deleting anything. Nothing is imported if anything fails.
    """
    data = file.read_bytes()
    db = get_db()
    with db.transaction() as session:
        areas = area_index(session)
    try:
        report = read_official_list(data, file.name, areas=areas)
    except ListFileError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(report.as_text())
    if report.errors:
        # The whole name, extension too: list.csv and list.xlsx side by side must not share one report.
        errors_path = errors_path or file.with_name(file.name + ".errors.csv")
        write_private_file(errors_path, report.as_csv())
        click.echo(f"รายงานปัญหาทุกแถว: {errors_path}")
    if dry_run:
        click.echo("ตรวจสอบอย่างเดียว (--dry-run): ยังไม่ได้นำเข้า")
        return
    if not report.rows:
        raise click.ClickException("ไม่มีแถวที่นำเข้าได้: ไม่ได้นำเข้าอะไรเลย")
    if report.rejected and not yes:
        click.confirm(f"มี {report.rejected:,} แถวที่ไม่ผ่าน นำเข้าเฉพาะ {len(report.rows):,} แถวที่ถูกต้องหรือไม่",
                      abort=True)
    with db.transaction() as session:
        result = import_rows(session, report.rows, filename=file.name, digest=file_digest(data), source="cli",
                             actor_label="cli")
    click.echo(result.as_text())


def init_app(app: Flask) -> None:
    app.cli.add_command(list_cli)
