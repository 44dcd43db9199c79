"""Time importing the ministry's list into the database, from the file's bytes to the commit.

    .venv/bin/python -m bench.list_import_db                 # 25,000 and 250,000 rows; writes docs/performance.md
    .venv/bin/python -m bench.list_import_db --factors 1 --no-write
    .venv/bin/python -m bench.list_import_db --smoke         # 25 rows: does it still run?

Each run gets a fresh, migrated database (a SQLite file, or a new PostgreSQL database on the server of
BENCH_POSTGRES_URL) holding the areas of a whole province (data/areas/40-khon-kaen.csv), and a
generated list of children living across it. What is timed is what `flask --app bot list import`
does after reading the file: read and check every row, place it in the area tree, look up the
children already known and write the cases and their history in one transaction.

- first import: every child new;
- same file again: every child known and unchanged (nothing written);
- newer list: every child known, each with a changed grade (an UPDATE and a history line each).
"""
from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import date

from bench import common
from bench.scaling import Curve, main
from devtools.synthetic import generate_list, list_table, to_csv, to_excel_xlsx
from domain import people
from domain.official_list.importer import area_index, file_digest, import_rows
from domain.official_list.reader import read_official_list

TODAY = date(2026, 11, 23)
AREAS = common.ROOT / "data" / "areas" / "40-khon-kaen.csv"


@contextlib.contextmanager
def database(backend: str):
    """A migrated database with the province's areas (no LINE channel needed)."""
    with common.migrated_app(backend, LOG_LEVEL="WARNING") as app:
        db = app.extensions["db"]
        with db.transaction() as session:
            people.load_areas(session, people.read_area_csv(AREAS.read_bytes()))
        yield db


def province() -> dict[str, str]:
    return {code: name for _, code, name in people.read_area_csv(AREAS.read_bytes())}


def import_file(db, data: bytes, filename: str) -> None:
    with db.transaction() as session:
        areas = area_index(session)
    report = read_official_list(data, filename, areas=areas, today=TODAY, max_bytes=len(data), max_rows=len(data))
    assert not report.errors, "the generated list must be valid"
    with db.transaction() as session:
        import_rows(session, report.rows, filename=filename, digest=file_digest(data), source="bench")


def curve(backend: str, label: str, writer=to_csv, filename: str = "list.csv", before: str | None = None) -> Curve:
    """`before`: None for a first import, "same" to import the same file first, "older" a list
    that differs from the timed one in every child's grade."""

    @contextlib.contextmanager
    def prepare(size: int):
        rows = generate_list(size, seed=size, areas=province(), today=TODAY)
        data = writer(list_table(rows))
        with database(backend) as db:
            if before == "same":
                import_file(db, data, filename)
            elif before == "older":
                import_file(db, writer(list_table([replace(r, grade=None) for r in rows])), filename)
            yield db, data

    return Curve(f"{label}, {'SQLite' if backend == 'sqlite' else 'PostgreSQL'}", "rows", prepare,
                 lambda given: import_file(given[0], given[1], filename), base=25_000, target_seconds=10)


CURVES = [
    curve(backend, label, before=before)
    for backend in ("sqlite", "postgresql")
    for label, before in (("CSV, first import", None), ("CSV, same file again", "same"),
                          ("CSV, newer list (every row changed)", "older"))
] + [curve("postgresql", "Excel file, first import", to_excel_xlsx, "list.xlsx")]

if __name__ == "__main__":
    main("list-import-db", "List import into the database: figures", CURVES)
