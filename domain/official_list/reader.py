"""Reader of the ministry's official list of children to find (XLSX or CSV), without a database.

:func:`read_official_list` turns the uploaded bytes into an :class:`ImportReport`: the valid rows as
:class:`ListRow`, every problem as a :class:`RowError` with its row number and a Thai message, and which
column fed which field.  Nothing is stored here: the caller shows the report and imports the valid rows
once the user confirms.  A file that cannot be read at all raises :class:`ListFileError`.
The rows are read by domain.official_list.list_rows, placed in the area tree by
domain.official_list.list_areas, and reported as domain.official_list.list_report describes.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from contextlib import closing
from datetime import date
from itertools import chain, islice

from openpyxl import load_workbook

from domain.official_list.list_areas import AreaIndex, assign_areas
from domain.official_list.list_columns import COLUMN_ALIASES, IGNORED_COLUMNS, REQUIRED_COLUMNS, header_key
from domain.official_list.list_report import ColumnMapping, ImportReport, ListFileError
from domain.official_list.list_rows import read_rows, texts
from domain.thai_dates import now_bangkok

__all__ = ["MAX_FILE_BYTES", "MAX_ROWS", "read_official_list"]

MAX_FILE_BYTES = 50 * 1024 * 1024
# Bounds the time an upload can cost: an XLSX is compressed, so 50 MB may hold millions of rows.
MAX_ROWS = 500_000
# Ministry files put a title, a date or a logo row or two above the header.
HEADER_SEARCH_ROWS = 20


def read_official_list(data: bytes, filename: str, *, areas: AreaIndex | None = None,
                       today: date | None = None, max_bytes: int = MAX_FILE_BYTES,
                       max_rows: int = MAX_ROWS) -> ImportReport:
    """Read an official list (XLSX, or CSV in UTF-8, UTF-8 with BOM, UTF-16 or cp874/TIS-620).

    With ``areas`` each row also gets its ``area_code`` (see :func:`assign_areas`).  Birth dates
    after ``today`` (default: today in Bangkok) are rejected.
    """
    if not data:
        raise ListFileError(f"ไฟล์ {filename} ว่างเปล่า กรุณาตรวจสอบแล้วส่งใหม่")
    if len(data) > max_bytes:
        raise ListFileError(
            f"ไฟล์ {filename} มีขนาด {len(data) / 2**20:,.1f} MB เกินขนาดที่รับได้ {max_bytes / 2**20:,.0f} MB "
            "กรุณาแบ่งไฟล์เป็นหลายไฟล์ (เช่น แยกตามอำเภอ) แล้วส่งทีละไฟล์"
        )
    if data.startswith(b"PK\x03\x04"):
        file_format, encoding, tables = "xlsx", None, _xlsx_tables(data, filename)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ListFileError(
            f"ไฟล์ {filename} เป็นไฟล์ Excel รุ่นเก่า (.xls) หรือไฟล์ที่ตั้งรหัสผ่านไว้ ซึ่งระบบอ่านไม่ได้ "
            "กรุณาเปิดใน Excel แล้วบันทึกเป็น .xlsx หรือ CSV โดยไม่ตั้งรหัสผ่าน"
        )
    else:
        text, encoding = _decode(data, filename)
        file_format, tables = "csv", _csv_tables(text, filename)

    # The workbook stays open while its rows are read, and is closed even when reading fails.
    with closing(tables):
        for sheet, table in tables:
            if found := _find_header(table):
                break
        else:
            raise ListFileError(
                f"ไม่พบแถวหัวตารางในไฟล์ {filename} หรือไฟล์ไม่มีข้อมูล "
                "กรุณาตรวจสอบว่าแถวหัวตารางมีชื่อคอลัมน์ เช่น " + ", ".join(
                    COLUMN_ALIASES[f][0] for f in ("national_id", "title", "first_name", "last_name",
                                                   "birth_date", "subdistrict", "district", "province"))
            )
        header_row, headers, data_rows = found
        mapping = _map_columns(headers, sheet, header_row, filename)
        rows, errors, rows_read = read_rows(data_rows, headers, mapping, filename,
                                             today or now_bangkok().date(), max_rows)
    if areas is not None:
        rows, warnings = assign_areas(rows, areas)
        errors = sorted(errors + warnings, key=lambda e: e.row)
    return ImportReport(filename, file_format, encoding, mapping, rows, errors, rows_read)


_UNREADABLE_XLSX = ("อ่านไฟล์ Excel {} ไม่ได้ ไฟล์อาจเสียหรือไม่ใช่ไฟล์ .xlsx "
                    "กรุณาเปิดใน Excel แล้วบันทึกเป็น .xlsx ใหม่ หรือบันทึกเป็น CSV")
# openpyxl raises whatever the damage leads to (a broken zip, a missing part, bad XML, a style it cannot
# build); anything it raises on an upload means the file cannot be read.
_XLSX_FAULTS = Exception


def _xlsx_tables(data: bytes, filename: str) -> Iterator[tuple[str | None, Iterator[Sequence]]]:
    """Each worksheet's name and rows."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except _XLSX_FAULTS as exc:
        raise ListFileError(_UNREADABLE_XLSX.format(filename)) from exc
    try:
        for sheet in book.worksheets:
            # Read-only mode trusts the size the file declares; some programs write a wrong one.
            sheet.reset_dimensions()
            yield sheet.title, _guarded(sheet.iter_rows(values_only=True), filename)
    finally:
        book.close()


def _guarded(rows: Iterator[Sequence], filename: str) -> Iterator[Sequence]:
    try:
        yield from rows
    except _XLSX_FAULTS as exc:
        raise ListFileError(_UNREADABLE_XLSX.format(filename)) from exc


def _decode(data: bytes, filename: str) -> tuple[str, str]:
    """The text of a CSV and the encoding it was in.

    Strict UTF-8 almost never decodes Thai text written in another encoding, so trying it first and
    falling back to cp874 (the Windows superset of TIS-620) tells the two apart reliably.  Excel's
    "Unicode text" export is UTF-16 with a BOM.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ("utf-16",)
    else:
        candidates = ("utf-8-sig", "cp874")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8-sig" and not data.startswith(b"\xef\xbb\xbf"):
            encoding = "utf-8"
        return text, encoding
    raise ListFileError(
        f"อ่านไฟล์ {filename} ไม่ได้: ไม่ใช่ไฟล์ Excel (.xlsx) และไม่ใช่ CSV ที่เข้ารหัสแบบ UTF-8 หรือ TIS-620 "
        "กรุณาบันทึกจาก Excel เป็น .xlsx หรือ \"CSV UTF-8\""
    )


def _csv_tables(text: str, filename: str) -> Iterator[tuple[str | None, Iterator[Sequence]]]:
    """The CSV as the one table it holds."""
    # Thai Excel exports use commas; some systems use tabs or semicolons.
    delimiter = max(",\t;|", key=text[:10_000].count)
    yield None, _csv_rows(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), filename)


def _csv_rows(reader: Iterator[list[str]], filename: str) -> Iterator[list[str]]:
    try:
        yield from reader
    except csv.Error as exc:
        raise ListFileError(f"อ่านไฟล์ CSV {filename} ไม่ได้ ({exc}) กรุณาบันทึกจาก Excel ใหม่") from exc


_FIELD_BY_KEY = {header_key(alias): f for f, aliases in COLUMN_ALIASES.items() for alias in aliases}
_IGNORED_KEYS = {header_key(c) for c in IGNORED_COLUMNS}


def _find_header(rows: Iterator[Sequence]) -> tuple[int, list[str], Iterator[Sequence]] | None:
    """The header row's number, its cells and the rows after it; None if no row looks like a header."""
    head = list(islice(rows, HEADER_SEARCH_ROWS))
    cells = [texts(row) for row in head]
    scores = [len({_FIELD_BY_KEY.get(header_key(cell)) for cell in row} - {None}) for row in cells]
    best = max(scores, default=0)
    # A title cell could match one alias by chance; a header matches several.
    if best < 2:
        return None
    index = scores.index(best)
    return index + 1, cells[index], chain(head[index + 1:], rows)


def _map_columns(headers: list[str], sheet: str | None, header_row: int, filename: str) -> ColumnMapping:
    columns: dict[str, str] = {}
    unknown = []
    for header in filter(None, headers):
        key = header_key(header)
        found = _FIELD_BY_KEY.get(key)
        if found and found not in columns:
            columns[found] = header
        elif key not in _IGNORED_KEYS:
            unknown.append(header)
    lacking = [group for group in REQUIRED_COLUMNS if not any(f in columns for f in group)]
    if lacking:
        need = "; ".join(" หรือ ".join(COLUMN_ALIASES[f][0] for f in group) for group in lacking)
        raise ListFileError(
            f"ไฟล์ {filename} ไม่มีคอลัมน์ที่จำเป็น: {need} "
            f"(หัวตารางแถวที่ {header_row}: {', '.join(filter(None, headers))}) "
            "กรุณาตั้งชื่อหัวคอลัมน์ให้ตรง แล้วส่งใหม่"
        )
    names = ("first_name", "last_name", "full_name")
    has_name = any(f in columns for f in names)
    missing = tuple(f for f in COLUMN_ALIASES if f not in columns and not (has_name and f in names))
    return ColumnMapping(sheet, header_row, columns, tuple(unknown), missing)
