"""Reader of the ministry's official list of children to find (XLSX or CSV), without a database.

:func:`read_official_list` turns the uploaded bytes into an :class:`ImportReport`: the valid rows as
:class:`ListRow`, every problem as a :class:`RowError` with its row number and a Thai message, and which
column fed which field.  Nothing is stored here: the caller shows the report and imports the valid rows
once the user confirms.  A file that cannot be read at all raises :class:`ListFileError`.
The file is read as a table by domain.official_list.table, its rows by domain.official_list.list_rows,
placed in the area tree by domain.official_list.list_areas, and reported as
domain.official_list.list_report describes.
"""
from __future__ import annotations

from datetime import date

from domain.official_list.list_areas import AreaIndex, assign_areas
from domain.official_list.list_columns import COLUMN_ALIASES, IGNORED_COLUMNS, REQUIRED_COLUMNS
from domain.official_list.list_report import ImportReport
from domain.official_list.list_rows import read_rows
from domain.official_list.table import TableSpec, read_table
from domain.thai_dates import now_bangkok

__all__ = ["MAX_FILE_BYTES", "MAX_ROWS", "OFFICIAL_LIST", "read_official_list"]

MAX_FILE_BYTES = 50 * 1024 * 1024
# Bounds the time an upload can cost: an XLSX is compressed, so 50 MB may hold millions of rows.
MAX_ROWS = 500_000

OFFICIAL_LIST = TableSpec(
    aliases=COLUMN_ALIASES,
    required=REQUIRED_COLUMNS,
    alternatives=(("first_name", "last_name", "full_name"),),
    ignored=IGNORED_COLUMNS,
    examples=("national_id", "title", "first_name", "last_name", "birth_date", "subdistrict", "district",
              "province"),
    split_by="แยกตามอำเภอ",
    who="เด็ก",
)


def read_official_list(data: bytes, filename: str, *, areas: AreaIndex | None = None,
                       today: date | None = None, max_bytes: int = MAX_FILE_BYTES,
                       max_rows: int = MAX_ROWS) -> ImportReport:
    """Read an official list (XLSX, or CSV in UTF-8, UTF-8 with BOM, UTF-16 or cp874/TIS-620).

    With ``areas`` each row also gets its ``area_code`` (see :func:`assign_areas`).  Birth dates
    after ``today`` (default: today in Bangkok) are rejected.
    """
    with read_table(data, filename, OFFICIAL_LIST, max_bytes=max_bytes) as table:
        rows, errors = read_rows(table, today or now_bangkok().date(), max_rows)
    if areas is not None:
        rows, warnings = assign_areas(rows, areas)
        errors = sorted(errors + warnings, key=lambda e: e.row)
    return ImportReport(filename, table.file_format, table.encoding, table.mapping, rows, errors, table.rows_read)
