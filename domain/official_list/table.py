"""Reading an uploaded list (XLSX, or CSV in UTF-8, UTF-8 with BOM, UTF-16 or cp874/TIS-620) as one
table: the header row found below any title rows, each header matched to a field, and the data rows as
text, within size and row limits.  A file that cannot be used raises ListFileError, in Thai.

Every kind of list describes itself with a :class:`TableSpec`: the official list of children to find
(domain.official_list.reader) and a school's class list (domain.official_list.class_list).
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from functools import cached_property
from itertools import chain, islice

from openpyxl import load_workbook

from domain.official_list.list_columns import SPACES, header_key
from domain.official_list.list_report import ColumnMapping, ListFileError
from domain.thai import strip_control, to_ascii_digits

__all__ = ["HEADER_SEARCH_ROWS", "Table", "TableSpec", "read_table", "size_refusal", "texts"]

# Files put a title, a date or a logo row or two above the header.
HEADER_SEARCH_ROWS = 20


@dataclass(frozen=True)
class TableSpec:
    """One kind of list: its columns, which of them it cannot do without, and how its messages name it."""

    # field -> the header names real files give it; the first is the one messages show.  Headers are
    # compared after header_key().
    aliases: Mapping[str, tuple[str, ...]]
    # The file must have at least one field of each group.
    required: tuple[tuple[str, ...], ...]
    # Fields that stand in for each other: when one is there, the others are not reported missing.
    alternatives: tuple[tuple[str, ...], ...]
    # Known headers that hold no data (running numbers): not reported as unknown.
    ignored: tuple[str, ...]
    # Fields whose headers are given as examples when no header row is found.
    examples: tuple[str, ...]
    # How to split a file that is too large ("แยกตามอำเภอ"), and who the rows are ("เด็ก").
    split_by: str
    who: str

    @cached_property
    def field_by_key(self) -> dict[str, str]:
        return {header_key(alias): f for f, aliases in self.aliases.items() for alias in aliases}

    @cached_property
    def ignored_keys(self) -> frozenset[str]:
        return frozenset(header_key(header) for header in self.ignored)


@dataclass
class Table:
    """A list file's table: where its header is, which column feeds which field, and its data rows."""

    filename: str
    file_format: str  # "xlsx" or "csv"
    encoding: str | None  # the CSV's text encoding as detected
    mapping: ColumnMapping
    headers: list[str]
    rows: Iterator[Sequence]  # the rows after the header, as the file stores them
    spec: TableSpec
    rows_read: int = 0  # non-empty data rows, counted by records()

    @cached_property
    def index(self) -> dict[str, int]:
        """field -> the column's position in a row."""
        return {f: self.headers.index(h) for f, h in self.mapping.columns.items()}

    @cached_property
    def data_columns(self) -> tuple[int, ...]:
        """The positions of the columns that hold data: all but the known running-number ones."""
        return tuple(i for i, header in enumerate(self.headers) if header_key(header) not in self.spec.ignored_keys)

    def records(self, max_rows: int) -> Iterator[tuple[int, Sequence, list[str]]]:
        """Each non-empty data row: its number as the user sees it, its cells as stored, and as text."""
        for number, values in enumerate(self.rows, start=self.mapping.header_row + 1):
            cells = texts(values)
            # Sheets laid out for printing repeat the header on every page, and templates number rows
            # nobody has filled in yet: neither is a row of data.
            if not any(cells) or cells == self.headers or not any(cells[i] for i in self.data_columns if i < len(cells)):
                continue
            self.rows_read += 1
            if self.rows_read > max_rows:
                raise ListFileError(f"ไฟล์ {self.filename} มีข้อมูลเกิน {max_rows:,} แถว "
                                    f"กรุณาแบ่งเป็นหลายไฟล์ (เช่น {self.spec.split_by})")
            yield number, values, cells
        if not self.rows_read:
            raise ListFileError(f"ไฟล์ {self.filename} มีแต่หัวตาราง (แถวที่ {self.mapping.header_row}) "
                                f"ไม่มีรายชื่อ{self.spec.who}")


def size_refusal(filename: str, size: int, spec: TableSpec, max_bytes: int) -> str | None:
    """Why a file of `size` bytes is too large to read, in Thai; None when it is not (a chat knows a
    file's size before it fetches it)."""
    if size <= max_bytes:
        return None
    return (f"ไฟล์ {filename} มีขนาด {size / 2**20:,.1f} MB เกินขนาดที่รับได้ {max_bytes / 2**20:,.0f} MB "
            f"กรุณาแบ่งไฟล์เป็นหลายไฟล์ (เช่น {spec.split_by}) แล้วส่งทีละไฟล์")


@contextmanager
def read_table(data: bytes, filename: str, spec: TableSpec, *, max_bytes: int) -> Iterator[Table]:
    """The file's table, open while the caller reads its rows (a workbook is closed on leaving)."""
    if not data:
        raise ListFileError(f"ไฟล์ {filename} ว่างเปล่า กรุณาตรวจสอบแล้วส่งใหม่")
    if too_big := size_refusal(filename, len(data), spec, max_bytes):
        raise ListFileError(too_big)
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
        for sheet, rows in tables:
            if found := _find_header(rows, spec):
                break
        else:
            raise ListFileError(
                f"ไม่พบแถวหัวตารางในไฟล์ {filename} หรือไฟล์ไม่มีข้อมูล "
                "กรุณาตรวจสอบว่าแถวหัวตารางมีชื่อคอลัมน์ เช่น " + ", ".join(spec.aliases[f][0] for f in spec.examples)
            )
        header_row, headers, data_rows = found
        mapping = _map_columns(headers, sheet, header_row, filename, spec)
        yield Table(filename, file_format, encoding, mapping, headers, data_rows, spec)


# Thai spreadsheets mark an empty cell with a dash.
_EMPTY_MARKS = {"", "-", "–", "—"}
# Joins a row's cells so that it is cleaned in one pass: per-cell calls would cost more than the work.
# A private-use character: never in real data, and not whitespace.
_CELL_BREAK = "\ue000"


def texts(values: Sequence) -> list[str]:
    """A row's cells as text: ASCII digits, single spaces, no control characters, "" for empty."""
    parts = [v if isinstance(v, str) else _scalar_text(v) for v in values]
    joined = _CELL_BREAK.join(parts)
    if joined.count(_CELL_BREAK) >= len(parts):  # a cell held the character itself
        joined = _CELL_BREAK.join(p.replace(_CELL_BREAK, "") for p in parts)
    return ["" if c in _EMPTY_MARKS else c
            for c in (c.strip() for c in SPACES.sub(" ", strip_control(to_ascii_digits(joined))).split(_CELL_BREAK))]


def _scalar_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


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


def _find_header(rows: Iterator[Sequence], spec: TableSpec) -> tuple[int, list[str], Iterator[Sequence]] | None:
    """The header row's number, its cells and the rows after it; None if no row looks like a header."""
    head = list(islice(rows, HEADER_SEARCH_ROWS))
    cells = [texts(row) for row in head]
    scores = [len({spec.field_by_key.get(header_key(cell)) for cell in row} - {None}) for row in cells]
    best = max(scores, default=0)
    # A title cell could match one alias by chance; a header matches several.
    if best < 2:
        return None
    index = scores.index(best)
    return index + 1, cells[index], chain(head[index + 1:], rows)


def _map_columns(headers: list[str], sheet: str | None, header_row: int, filename: str,
                 spec: TableSpec) -> ColumnMapping:
    columns: dict[str, str] = {}
    unknown = []
    for header in filter(None, headers):
        key = header_key(header)
        found = spec.field_by_key.get(key)
        if found and found not in columns:
            columns[found] = header
        elif key not in spec.ignored_keys:
            unknown.append(header)
    lacking = [group for group in spec.required if not any(f in columns for f in group)]
    if lacking:
        need = "; ".join(" หรือ ".join(spec.aliases[f][0] for f in group) for group in lacking)
        raise ListFileError(
            f"ไฟล์ {filename} ไม่มีคอลัมน์ที่จำเป็น: {need} "
            f"(หัวตารางแถวที่ {header_row}: {', '.join(filter(None, headers))}) "
            "กรุณาตั้งชื่อหัวคอลัมน์ให้ตรง แล้วส่งใหม่"
        )
    stood_in = {f for group in spec.alternatives if any(g in columns for g in group) for f in group}
    missing = tuple(f for f in spec.aliases if f not in columns and f not in stood_in)
    return ColumnMapping(sheet, header_row, columns, tuple(unknown), missing)
