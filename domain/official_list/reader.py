"""Reader of the ministry's official list of children to find (XLSX or CSV), without a database.

:func:`read_official_list` turns the uploaded bytes into an :class:`ImportReport`: the valid rows as
:class:`ListRow`, every problem as a :class:`RowError` with its row number and a Thai message, and which
column fed which field.  Nothing is stored here: the caller shows the report and imports the valid rows
once the user confirms.  A file that cannot be read at all raises :class:`ListFileError`.
:func:`assign_areas` places each row in the area tree by its address, through an :class:`AreaIndex`.
"""
from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from itertools import chain, islice

from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel

from models import Case
from domain.thai import InvalidInput, fit_text, utf16_length, now_bangkok, parse_date, parse_national_id, strip_control, to_ascii_digits

__all__ = [
    "COLUMN_ALIASES",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "REASONS",
    "AreaIndex",
    "ColumnMapping",
    "ImportReport",
    "ListFileError",
    "ListRow",
    "RowError",
    "assign_areas",
    "read_official_list",
]

# Every field of ListRow that a column can feed, with the header names seen in ministry, area-office
# and provincial files.  The first name is the one we write and show.  Headers are compared after
# _header_key(): case, spaces, dots, dashes, slashes, brackets and asterisks do not matter, so
# "ว/ด/ป เกิด", "วดป.เกิด" and "ว ด ป เกิด" are one alias.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "national_id": (
        "เลขประจำตัวประชาชน", "เลขประจำตัวประชาชน 13 หลัก", "เลขประจำตัว 13 หลัก", "เลขประจำตัว",
        "เลขบัตรประชาชน", "เลขบัตรประจำตัวประชาชน", "เลขที่บัตรประชาชน", "บัตรประชาชน", "เลขประชาชน",
        "รหัสประจำตัวประชาชน", "citizen id", "national id", "id card", "pid", "cid",
    ),
    "title": ("คำนำหน้า", "คำนำหน้าชื่อ", "คำนำหน้านาม", "คำนำ", "prefix", "title"),
    "first_name": ("ชื่อ", "ชื่อจริง", "ชื่อเด็ก", "ชื่อนักเรียน", "first name", "firstname"),
    "last_name": ("นามสกุล", "สกุล", "last name", "lastname", "surname"),
    # One column holding "ด.ช. สมชาย ใจดี": split into title, first and last name.
    "full_name": ("ชื่อ-สกุล", "ชื่อ-นามสกุล", "ชื่อ-สกุลนักเรียน", "ชื่อ-สกุลเด็ก", "full name"),
    "sex": ("เพศ", "sex", "gender"),
    "birth_date": (
        "วันเดือนปีเกิด", "วันเดือนปีเกิด (พ.ศ.)", "วันเกิด", "วันเกิด (พ.ศ.)", "ว/ด/ป เกิด", "วันที่เกิด",
        "เกิดวันที่", "birth date", "date of birth", "dob",
    ),
    "grade": ("ชั้นล่าสุด", "ชั้น", "ระดับชั้น", "ระดับชั้นล่าสุด", "ชั้นเรียน", "ชั้นเรียนล่าสุด", "grade"),
    "previous_school": (
        "โรงเรียนเดิม", "โรงเรียน", "ชื่อโรงเรียน", "โรงเรียนล่าสุด", "สถานศึกษาเดิม", "สถานศึกษา",
        "ชื่อสถานศึกษา", "school",
    ),
    "house_no": ("บ้านเลขที่", "เลขที่", "เลขที่บ้าน", "ที่อยู่ เลขที่", "house no", "house number"),
    "moo": ("หมู่", "หมู่ที่", "ม.", "moo"),
    "subdistrict": ("ตำบล", "ต.", "ตำบล/แขวง", "แขวง", "subdistrict", "tambon"),
    "district": ("อำเภอ", "อ.", "อำเภอ/เขต", "เขต", "district", "amphoe"),
    "province": ("จังหวัด", "จ.", "province"),
    "affiliation": ("สังกัด", "สังกัดเดิม", "affiliation"),
    "group": (
        "กลุ่ม", "กลุ่มเป้าหมาย", "กลุ่มนักเรียน", "ประเภท", "ประเภทนักเรียน", "ทุนเสมอภาค",
        "กลุ่มทุนเสมอภาค", "กสศ.", "group",
    ),
}

# Running numbers many files start with: known, not data, and not worth reporting as unknown.
IGNORED_COLUMNS = ("ลำดับ", "ลำดับที่", "ที่", "no")

# The file must have at least one field of each group, or no row could be found or placed.
REQUIRED_COLUMNS = (("national_id", "first_name", "full_name"), ("subdistrict",), ("district", "province"))

MAX_FILE_BYTES = 50 * 1024 * 1024
# A report's summary fits one LINE text message (line.messages.MAX_TEXT, UTF-16 code units).
MAX_CHAT_TEXT = 5000
# Bounds the time an upload can cost: an XLSX is compressed, so 50 MB may hold millions of rows.
MAX_ROWS = 500_000
# Ministry files put a title, a date or a logo row or two above the header.
HEADER_SEARCH_ROWS = 20

# RowError.reason -> how the summary names it.
REASONS = {
    "national_id": "เลขประจำตัวประชาชนไม่ถูกต้อง",
    "duplicate": "เลขประจำตัวประชาชนซ้ำกับแถวก่อนหน้า",
    "no_identity": "ไม่มีทั้งเลขประจำตัวประชาชนและชื่อ",
    "birth_date": "วันเกิดไม่ถูกต้อง",
    "sex": "เพศไม่ชัดเจน",
    "moo": "หมู่ที่ไม่ใช่ตัวเลข",
    "area": "ระบุพื้นที่ไม่ได้ครบ",
    "too_long": "ข้อความยาวเกินที่บันทึกได้",
}

# Titles as written (after dots and spaces are removed) -> the form we keep, and the sex it implies.
TITLES = {
    "ดช": ("ด.ช.", "male"), "เด็กชาย": ("ด.ช.", "male"),
    "ดญ": ("ด.ญ.", "female"), "เด็กหญิง": ("ด.ญ.", "female"),
    "นาย": ("นาย", "male"), "นางสาว": ("นางสาว", "female"), "นส": ("นางสาว", "female"),
    "นาง": ("นาง", "female"), "สามเณร": ("สามเณร", "male"), "ณร": ("สามเณร", "male"),
}
# Values of the เพศ column; 1 and 2 are the registration codes.
SEXES = {
    "ชาย": "male", "ช": "male", "male": "male", "m": "male", "1": "male",
    "หญิง": "female", "ญ": "female", "female": "female", "f": "female", "2": "female",
}


class ListFileError(InvalidInput):
    """The whole file cannot be used; ``message`` is Thai and says what to do."""


@dataclass(frozen=True, slots=True)
class ListRow:
    """One child of the list, as read: empty cells are None, digits ASCII."""

    row: int  # the row number the user sees in Excel (or the record number in a CSV)
    national_id: str | None
    title: str | None
    first_name: str | None
    last_name: str | None
    sex: str | None  # "male" or "female"
    birth_date: date | None
    grade: str | None
    previous_school: str | None
    house_no: str | None
    moo: int | None
    subdistrict: str | None
    district: str | None
    province: str | None
    affiliation: str | None
    group: str | None
    area_code: str | None = None  # set by assign_areas()
    # Every cell of the row by its header, as text: the source, not part of the value.
    raw: dict[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class RowError:
    """A problem in one row.  Errors reject the row; warnings leave it importable."""

    row: int
    column: str | None  # the header as written in the file
    message: str  # Thai, for the person who sent the file
    value: str  # the offending cell, with long numbers masked
    reason: str  # a key of REASONS
    level: str = "error"  # or "warning"

    @property
    def rejects(self) -> bool:
        return self.level == "error"


@dataclass(frozen=True)
class ColumnMapping:
    """Where the header was found, which column feeds which field, and what could not be used."""

    sheet: str | None  # None for CSV
    header_row: int
    columns: dict[str, str]  # field -> header as written in the file
    unknown: tuple[str, ...]  # headers no alias matched; their cells are only in ListRow.raw
    missing: tuple[str, ...]  # optional fields the file does not have


@dataclass
class ImportReport:
    """Everything the reader found: the caller shows it and decides whether to import ``rows``."""

    filename: str
    file_format: str  # "xlsx" or "csv"
    encoding: str | None  # the CSV's text encoding as detected
    mapping: ColumnMapping
    rows: list[ListRow]  # valid rows, possibly with warnings
    errors: list[RowError]  # errors and warnings in row order
    rows_read: int  # non-empty data rows

    @property
    def rejected(self) -> int:
        return len({e.row for e in self.errors if e.rejects})

    def as_text(self, max_errors: int = 20, max_length: int = MAX_CHAT_TEXT) -> str:
        """A Thai summary: counts, the reasons rows were rejected or warned about, the columns not
        used, and the first ``max_errors`` problems, within ``max_length`` UTF-16 units (LINE's limit)."""
        lines = [self._source_line(),
                 f"อ่านได้ {self.rows_read:,} แถว: นำเข้าได้ {len(self.rows):,} แถว, ไม่ผ่าน {self.rejected:,} แถว"]
        for level, heading in (("error", "สาเหตุที่ไม่ผ่าน"), ("warning", "คำเตือน (ยังนำเข้าได้)")):
            counts = Counter(reason for _, reason in {(e.row, e.reason) for e in self.errors if e.level == level})
            if counts:
                lines.append(f"{heading}:")
                lines += [f"- {REASONS[reason]} {count:,} แถว" for reason, count in counts.most_common()]
        if self.mapping.unknown:
            lines.append("คอลัมน์ที่ไม่รู้จัก (ไม่ได้นำเข้า): " + _some(self.mapping.unknown))
        if self.mapping.missing:
            lines.append("ไม่มีคอลัมน์: " + ", ".join(COLUMN_ALIASES[f][0] for f in self.mapping.missing))
        if self.errors:
            lines.append("รายการปัญหา:")
        length = utf16_length("\n".join(lines))
        shown = 0
        for error in self.errors[:max_errors]:
            line = _error_line(error)
            # Room is kept for the "and N more" line.
            if length + 1 + utf16_length(line) + 1 + _MORE_LINE_ROOM > max_length:
                break
            lines.append(line)
            length += 1 + utf16_length(line)
            shown += 1
        if shown < len(self.errors):
            lines.append(f"…และอีก {len(self.errors) - shown:,} รายการ ดูทั้งหมดในไฟล์รายงาน")
        # Only absurd file or header names can still be too long here.
        return fit_text("\n".join(lines), max_length)

    def as_csv(self) -> bytes:
        """Every problem, one per line, as CSV in UTF-8 with a BOM so that Excel shows the Thai."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["แถว", "ระดับ", "สาเหตุ", "คอลัมน์", "รายละเอียด", "ค่าในไฟล์"])
        for e in self.errors:
            writer.writerow([e.row, "ไม่ผ่าน" if e.rejects else "คำเตือน", REASONS[e.reason],
                             *(inert(text) for text in (e.column or "", e.message, e.value))])
        return out.getvalue().encode("utf-8-sig")

    def _source_line(self) -> str:
        where = [f"แผ่นงาน {self.mapping.sheet}"] if self.mapping.sheet else []
        where.append(f"หัวตารางแถวที่ {self.mapping.header_row}")
        return f"ไฟล์ {self.filename} ({', '.join(where)})"


_MORE_LINE_ROOM = 60


def _some(names: Sequence[str], limit: int = 20) -> str:
    more = f" และอีก {len(names) - limit} คอลัมน์" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _error_line(error: RowError) -> str:
    column = f" {error.column}" if error.column else ""
    value = f" [{error.value}]" if error.value else ""
    return f"แถว {error.row}{column}: {error.message}{value}"


def inert(text: str) -> str:
    """Text a spreadsheet will not run as a formula (CSV injection): such cells get a leading quote."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# --------------------------------------------------------------------------
# Reading the file
# --------------------------------------------------------------------------

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
        rows, errors, rows_read = _read_rows(data_rows, headers, mapping, filename,
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


_HEADER_NOISE = re.compile(r"[\s\u200b\ufeff.\-_/\\()\[\]{}*:'\"]+")


def _same_spelling(text: str) -> str:
    """ASCII digits, and sara am as one character: Thai text sometimes spells it as nikhahit + sara aa,
    which looks the same."""
    return to_ascii_digits(text).replace("\u0e4d\u0e32", "\u0e33")


def _header_key(header: str) -> str:
    return _HEADER_NOISE.sub("", _same_spelling(header).casefold())


_FIELD_BY_KEY = {_header_key(alias): f for f, aliases in COLUMN_ALIASES.items() for alias in aliases}
_IGNORED_KEYS = {_header_key(c) for c in IGNORED_COLUMNS}


def _find_header(rows: Iterator[Sequence]) -> tuple[int, list[str], Iterator[Sequence]] | None:
    """The header row's number, its cells and the rows after it; None if no row looks like a header."""
    head = list(islice(rows, HEADER_SEARCH_ROWS))
    texts = [_texts(row) for row in head]
    scores = [len({_FIELD_BY_KEY.get(_header_key(cell)) for cell in row} - {None}) for row in texts]
    best = max(scores, default=0)
    # A title cell could match one alias by chance; a header matches several.
    if best < 2:
        return None
    index = scores.index(best)
    return index + 1, texts[index], chain(head[index + 1:], rows)


def _map_columns(headers: list[str], sheet: str | None, header_row: int, filename: str) -> ColumnMapping:
    columns: dict[str, str] = {}
    unknown = []
    for header in filter(None, headers):
        key = _header_key(header)
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


def _raw_keys(headers: list[str]) -> list[str]:
    """Headers made unique and non-empty, to key ListRow.raw by."""
    keys: list[str] = []
    for number, header in enumerate(headers, start=1):
        keys.append(header if header and header not in keys else f"คอลัมน์ {number} {header}".strip())
    return keys


# --------------------------------------------------------------------------
# Reading one row
# --------------------------------------------------------------------------

_SPACES = re.compile(r"[\s\u200b\ufeff]+")
# Thai spreadsheets mark an empty cell with a dash.
_EMPTY_MARKS = {"", "-", "–", "—"}
# Joins a row's cells so that it is cleaned in one pass: per-cell calls would cost more than the work.
# A private-use character: never in real data, and not whitespace.
_CELL_BREAK = "\ue000"


def _texts(values: Sequence) -> list[str]:
    """A row's cells as text: ASCII digits, single spaces, no control characters, "" for empty."""
    parts = [v if isinstance(v, str) else _scalar_text(v) for v in values]
    joined = _CELL_BREAK.join(parts)
    if joined.count(_CELL_BREAK) >= len(parts):  # a cell held the character itself
        joined = _CELL_BREAK.join(p.replace(_CELL_BREAK, "") for p in parts)
    return ["" if c in _EMPTY_MARKS else c
            for c in (c.strip() for c in _SPACES.sub(" ", strip_control(to_ascii_digits(joined))).split(_CELL_BREAK))]


def _scalar_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_rows(rows: Iterable[Sequence], headers: list[str], mapping: ColumnMapping, filename: str,
               today: date, max_rows: int) -> tuple[list[ListRow], list[RowError], int]:
    """The valid rows, every problem, and how many non-empty rows there were."""
    layout = _Layout({f: headers.index(h) for f, h in mapping.columns.items()}, mapping.columns,
                     _raw_keys(headers), today)
    valid: list[ListRow] = []
    errors: list[RowError] = []
    first_row_of: dict[str, int] = {}
    rows_read = 0
    for number, values in enumerate(rows, start=mapping.header_row + 1):
        cells = _texts(values)
        # Sheets laid out for printing repeat the header on every page.
        if not any(cells) or cells == headers:
            continue
        rows_read += 1
        if rows_read > max_rows:
            raise ListFileError(
                f"ไฟล์ {filename} มีข้อมูลเกิน {max_rows:,} แถว กรุณาแบ่งเป็นหลายไฟล์ (เช่น แยกตามอำเภอ)"
            )
        parser = _RowParser(layout, number, values, cells)
        row = parser.list_row()
        # The first valid row with an ID is kept; a rejected row does not hide a later good one.
        if (first := first_row_of.get(row.national_id)) is not None:
            parser.problem("national_id", f"เลขประจำตัวประชาชนซ้ำกับแถวที่ {first} (ใช้ข้อมูลแถวที่ {first})",
                           "duplicate", mask=True)
        errors += parser.problems
        if not any(p.rejects for p in parser.problems):
            valid.append(row)
            if row.national_id:
                first_row_of[row.national_id] = number
    if not rows_read:
        raise ListFileError(f"ไฟล์ {filename} มีแต่หัวตาราง (แถวที่ {mapping.header_row}) ไม่มีรายชื่อเด็ก")
    return valid, errors, rows_read


@dataclass(frozen=True)
class _Layout:
    """What every row of one file shares: where each field is, and the date that is today."""

    index: dict[str, int]  # field -> column position
    columns: dict[str, str]  # field -> header
    raw_keys: list[str]
    today: date


# "1.10370207183E+12": Excel showed a long number in scientific notation and the CSV kept only that.
_SCIENTIFIC = re.compile(r"\d(?:\.\d+)?e\+?\d+", re.IGNORECASE)
_LONG_NUMBER = re.compile(r"\d[\d\- ]{3,}\d")
# A title written into the name column, usually attached as Thai writes it ("นายสมชาย", "ด.ช.สมชาย").
# Longer titles first, so that นางสาว is not read as นาง.
_TITLE_IN_NAME = re.compile(r"(เด็กชาย|เด็กหญิง|นางสาว|นาย|นาง|สามเณร|ด\s*\.\s*[ชญ]\s*\.?|น\s*\.\s*ส\s*\.?)\s*")
# Database and pandas exports write date cells as "2012-03-15 00:00:00".
_DATE_WITH_TIME = re.compile(r"(\d{4}-\d{1,2}-\d{1,2})[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?")
_MOO = re.compile(r"(?:หมู่\s*(?:ที่)?|ม\s*\.?)?\s*(\d{1,3})")


# The longest text of each field: the length of the cases column it is saved in (the house number leaves
# room for " หมู่ 999" in Case.address, bot/list_import.py). A longer cell rejects its row.
_MAX_LENGTH = {"title": Case.title.type.length, "first_name": Case.first_name.type.length,
               "last_name": Case.last_name.type.length, "grade": Case.grade.type.length,
               "previous_school": Case.previous_school.type.length, "affiliation": Case.affiliation.type.length,
               "group": Case.list_group.type.length, "house_no": Case.address.type.length - len(" หมู่ 999")}


def _mask_numbers(text: str) -> str:
    """Long numbers (IDs) with every digit but the first and the last replaced by X."""
    return _LONG_NUMBER.sub(lambda m: m[0][0] + re.sub(r"\d", "X", m[0][1:-1]) + m[0][-1], text)


class _RowParser:
    """One data row: its cells turned into a ListRow, and the problems found on the way."""

    def __init__(self, layout: _Layout, number: int, values: Sequence, cells: list[str]):
        self.layout, self.number, self.values, self.cells = layout, number, values, cells
        width = len(cells)
        # field -> its non-empty cell text
        self.text = {f: cells[i] for f, i in layout.index.items() if i < width and cells[i]}
        self.problems: list[RowError] = []

    def list_row(self) -> ListRow:
        title, first_name, last_name = self._names()
        cell = self.text.get
        row = ListRow(
            row=self.number,
            national_id=self._national_id(),
            title=title,
            first_name=first_name,
            last_name=last_name,
            sex=self._sex(title),
            birth_date=self._birth_date(),
            grade=cell("grade"),
            previous_school=cell("previous_school"),
            house_no=cell("house_no"),
            moo=self._moo(),
            subdistrict=cell("subdistrict"),
            district=cell("district"),
            province=cell("province"),
            affiliation=cell("affiliation"),
            group=cell("group"),
            raw=dict(zip(self.layout.raw_keys, self.cells)),
        )
        for name, limit in _MAX_LENGTH.items():
            if len(value := getattr(row, name) or "") > limit:
                self.problem(name, f"ข้อความยาว {len(value):,} ตัวอักษร เกินที่บันทึกได้ {limit:,} ตัวอักษร",
                             "too_long")
        # An ID that was there but wrong has its own error already.
        if not row.first_name and "national_id" not in self.text:
            self.problem("national_id", "ไม่มีทั้งเลขประจำตัวประชาชนและชื่อ จึงไม่รู้ว่าเป็นเด็กคนใด", "no_identity")
        return row

    def problem(self, name: str, message: str, reason: str, *, level: str = "error", mask: bool = False):
        value = self.text.get(name, "")
        self.problems.append(RowError(self.number, self.layout.columns.get(name), message,
                                      _mask_numbers(value) if mask else value, reason, level))

    def _value(self, name: str) -> object:
        """The cell as the file stores it: XLSX cells may be numbers or dates."""
        i = self.layout.index[name]
        return self.values[i] if i < len(self.values) else None

    def _national_id(self) -> str | None:
        text = self.text.get("national_id")
        if text is None:
            return None
        # A 0-prefixed ID (people without registration status) typed into a number cell loses its 0.
        if len(text) == 12 and isinstance(self._value("national_id"), (int, float)):
            text = "0" + text
        if _SCIENTIFIC.fullmatch(text):
            self.problem("national_id", "Excel แสดงเลขนี้เป็นตัวเลขแบบย่อ (E+) ทำให้เลขบางหลักหายไป "
                         "กรุณาจัดรูปแบบคอลัมน์เป็นข้อความแล้วใส่เลขใหม่", "national_id", mask=True)
            return None
        try:
            return parse_national_id(text)
        except InvalidInput as exc:
            # The ID is masked in the message too: reports get forwarded in LINE groups.
            self.problem("national_id", _mask_numbers(exc.message), "national_id", mask=True)
            return None

    def _names(self) -> tuple[str | None, str | None, str | None]:
        title, first, last = (self.text.get(f) for f in ("title", "first_name", "last_name"))
        if "first_name" not in self.layout.index and (full := self.text.get("full_name")):
            first, last = _split_name(full)
        if title is None and first and (m := _TITLE_IN_NAME.match(first)):
            # "ด.ช.สมชาย" or "ด.ช. สมชาย ใจดี": the title typed into the name.
            title, first = m[1], first[m.end():]
            if not first and last:
                first, last = _split_name(last)
        if title:
            title = TITLES.get(_header_key(title), (title, None))[0]
        return title, first or None, last

    def _sex(self, title: str | None) -> str | None:
        from_title = TITLES.get(_header_key(title), (None, None))[1] if title else None
        text = self.text.get("sex")
        if text is None:
            return from_title
        sex = SEXES.get(text.casefold())
        if sex is None:
            self.problem("sex", "ไม่รู้จักค่าเพศนี้ (ใช้ ชาย หรือ หญิง)", "sex", level="warning")
            return from_title
        if from_title and from_title != sex:
            self.problem("sex", f"เพศไม่ตรงกับคำนำหน้า “{title}” (ใช้ตามคอลัมน์เพศ)", "sex", level="warning")
        return sex

    def _birth_date(self) -> date | None:
        text = self.text.get("birth_date")
        if text is None:
            return None
        value = self._value("birth_date")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            try:  # a date cell formatted as a plain number: Excel's day count
                value = from_excel(value)
            except (OverflowError, ValueError):
                pass
        if isinstance(value, (datetime, date)):
            # Written out again so parse_date applies its checks; a year above 2400 is a BE year
            # typed into a date cell, which Excel stores as that far-future Christian year.
            text = f"{value.day}/{value.month}/{value.year}"
        elif m := _DATE_WITH_TIME.fullmatch(text):
            text = m[1]
        try:
            return parse_date(text, today=self.layout.today)
        except InvalidInput as exc:
            self.problem("birth_date", exc.message, "birth_date")
            return None

    def _moo(self) -> int | None:
        text = self.text.get("moo")
        if text is None:
            return None
        if m := _MOO.fullmatch(text):
            # หมู่ 0 marks a house in a municipality, outside any village.
            return int(m[1]) or None
        self.problem("moo", "หมู่ที่ต้องเป็นตัวเลข เช่น 5", "moo", level="warning")
        return None


def _split_name(full: str) -> tuple[str, str | None]:
    first, _, last = full.partition(" ")
    return first, last or None


# --------------------------------------------------------------------------
# Placing rows in the area tree
# --------------------------------------------------------------------------

# Written before area names in lists and in the area tree; "กิ่งอำเภอ" is the old minor district.
_AREA_PREFIX = re.compile(r"^(?:จังหวัด|จ\s*\.|กิ่งอำเภอ|อำเภอ|อ\s*\.|เขต|ตำบล|ต\s*\.|แขวง)\s*")
_LEVEL_NAMES = {2: "จังหวัด", 4: "อำเภอ", 6: "ตำบล"}  # by code length


def _area_key(name: str) -> str:
    return _SPACES.sub("", _AREA_PREFIX.sub("", _same_spelling(name).strip()))


class AreaIndex:
    """Area names to area codes, built from ``{code: name}`` of the area tree.

    Codes follow the Ministry of Interior: province 2 digits, district 4, subdistrict 6, village 8,
    each starting with its parent's, and a village's last two digits are its หมู่ number.
    """

    def __init__(self, names: Mapping[str, str]):
        self.names = dict(names)
        self._codes: dict[tuple[int, str], list[str]] = defaultdict(list)
        for code, name in self.names.items():
            if len(code) < 8:
                self._codes[len(code), _area_key(name)].append(code)
        for code, name in self.names.items():
            # Every province's central district is "เมือง" + the province; lists often write "อ.เมือง".
            if len(code) == 4 and _area_key(name) == "เมือง" + _area_key(self.names.get(code[:2], "")):
                self._codes[4, "เมือง"].append(code)
        self._with_villages = {code[:6] for code in self.names if len(code) == 8}

    def resolve(self, province: str | None, district: str | None, subdistrict: str | None,
                moo: int | None) -> tuple[str | None, str | None]:
        """The most precise area code the address reaches, and a Thai note when it is not a village
        or subdistrict found exactly (None when all is well)."""
        code = ""
        for (length, label), name in zip(_LEVEL_NAMES.items(), (province, district, subdistrict)):
            if not name:
                continue
            matches = [c for c in self._codes.get((length, _area_key(name)), ()) if c.startswith(code)]
            if len(matches) != 1:
                where = f" ใน{self._label(code)}" if code else ""
                problem = (f"ไม่พบ{label} “{name}”{where}" if not matches
                           else f"ชื่อ{label} “{name}” ซ้ำกันหลายแห่ง กรุณาระบุอำเภอและจังหวัด")
                return code or None, problem + self._fallback(code)
            code = matches[0]
        if len(code) < 6:
            return code or None, "ที่อยู่ไม่ครบถึงตำบล" + self._fallback(code)
        if moo:
            village = f"{code}{moo:02d}"
            if village in self.names:
                return village, None
            if code in self._with_villages:
                return code, f"ไม่พบหมู่ที่ {moo} ใน{self._label(code)}" + self._fallback(code)
        return code, None

    def _label(self, code: str) -> str:
        return f"{_LEVEL_NAMES[len(code)]}{_AREA_PREFIX.sub('', self.names[code])}"

    def _fallback(self, code: str) -> str:
        return f" จึงจัดไว้ที่{self._label(code)}" if code else " จึงยังไม่ได้จัดเข้าพื้นที่ใด"


def assign_areas(rows: Iterable[ListRow], areas: AreaIndex) -> tuple[list[ListRow], list[RowError]]:
    """The rows with ``area_code`` set from their address, and a warning for each row that could
    not be placed exactly (it stays importable, at the nearest area that was found)."""
    placed: list[ListRow] = []
    warnings: list[RowError] = []
    resolved: dict[tuple, tuple[str | None, str | None]] = {}  # lists repeat the same addresses
    for row in rows:
        address = (row.province, row.district, row.subdistrict, row.moo)
        if address not in resolved:
            resolved[address] = areas.resolve(*address)
        code, problem = resolved[address]
        placed.append(replace(row, area_code=code))
        if problem:
            written = " ".join(f"{prefix}{part}" for prefix, part in
                               zip(("หมู่ ", "ต.", "อ.", "จ."), (row.moo, row.subdistrict, row.district, row.province))
                               if part)
            warnings.append(RowError(row.row, "ที่อยู่", problem, written, "area", "warning"))
    return placed, warnings
