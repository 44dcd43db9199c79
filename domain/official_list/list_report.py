"""What reading an official list found: the valid rows, every problem with its row, which column fed
which field, and the summary and error file shown to whoever sent the list."""
from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from domain.official_list.list_columns import COLUMN_ALIASES
from domain.thai import InvalidInput, fit_text, utf16_length

__all__ = [
    "MAX_CHAT_TEXT", "REASONS", "ColumnMapping", "ImportReport", "ListFileError", "ListRow", "RowError", "inert",
    "column_lines", "problems_csv", "reason_lines", "rejected_rows", "source_line", "with_problems",
]

# A report's summary fits one LINE text message (line.messages.MAX_TEXT, UTF-16 code units).
MAX_CHAT_TEXT = 5000

# RowError.reason -> how the summary names it.
REASONS = {
    "national_id": "เลขประจำตัวประชาชนไม่ถูกต้อง",
    "duplicate": "เลขประจำตัวประชาชนซ้ำกับแถวก่อนหน้า",
    "no_identity": "ไม่มีทั้งเลขประจำตัวประชาชนและชื่อ",
    "no_name": "มีเลขประจำตัวแต่ไม่มีชื่อ",
    "birth_date": "วันเกิดไม่ถูกต้อง",
    "sex": "เพศไม่ชัดเจน",
    "moo": "หมู่ที่ไม่ใช่ตัวเลข",
    "area": "ระบุพื้นที่ไม่ได้ครบ",
    "too_long": "ข้อความยาวเกินที่บันทึกได้",
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
class ReadReport:
    """Everything a reader found in a list file (the official list, a class list): the caller shows it and
    decides whether to import ``rows``."""

    filename: str
    file_format: str  # "xlsx" or "csv"
    encoding: str | None  # the CSV's text encoding as detected
    mapping: ColumnMapping
    rows: list  # valid rows (the kind of list's own), possibly with warnings
    errors: list[RowError]  # errors and warnings in row order
    rows_read: int  # non-empty data rows

    @property
    def rejected(self) -> int:
        return rejected_rows(self.errors)


@dataclass
class ImportReport(ReadReport):
    """What the official list's reader found; its rows are ListRows."""

    def as_text(self, max_errors: int = 20, max_length: int = MAX_CHAT_TEXT) -> str:
        """A Thai summary: counts, the reasons rows were rejected or warned about, the columns not
        used, and the first ``max_errors`` problems, within ``max_length`` UTF-16 units (LINE's limit)."""
        lines = [source_line(self.filename, self.mapping),
                 f"อ่านได้ {self.rows_read:,} แถว: นำเข้าได้ {len(self.rows):,} แถว, ไม่ผ่าน {self.rejected:,} แถว",
                 *reason_lines(self.errors, REASONS), *column_lines(self.mapping, COLUMN_ALIASES)]
        return with_problems(lines, self.errors, max_errors, max_length)

    def as_csv(self) -> bytes:
        """Every problem, one per line, as CSV in UTF-8 with a BOM so that Excel shows the Thai."""
        return problems_csv(self.errors, REASONS)


_MORE_LINE_ROOM = 60


def rejected_rows(errors: Sequence[RowError]) -> int:
    """How many rows the errors reject."""
    return len({e.row for e in errors if e.rejects})


def reason_lines(errors: Sequence[RowError], reasons: Mapping[str, str]) -> list[str]:
    """How many rows each reason rejected, then warned about, named by ``reasons``."""
    lines = []
    for level, heading in (("error", "สาเหตุที่ไม่ผ่าน"), ("warning", "คำเตือน (ยังนำเข้าได้)")):
        counts = Counter(reason for _, reason in {(e.row, e.reason) for e in errors if e.level == level})
        if counts:
            lines.append(f"{heading}:")
            lines += [f"- {reasons[reason]} {count:,} แถว" for reason, count in counts.most_common()]
    return lines


def with_problems(lines: list[str], errors: Sequence[RowError], max_errors: int, max_length: int) -> str:
    """A report's summary ``lines`` followed by the first ``max_errors`` problems, as many as fit in
    ``max_length`` UTF-16 units, and how many more there are."""
    lines = [*lines, "รายการปัญหา:"] if errors else list(lines)
    length = utf16_length("\n".join(lines))
    shown = 0
    for error in errors[:max_errors]:
        line = _error_line(error)
        # Room is kept for the "and N more" line.
        if length + 1 + utf16_length(line) + 1 + _MORE_LINE_ROOM > max_length:
            break
        lines.append(line)
        length += 1 + utf16_length(line)
        shown += 1
    if shown < len(errors):
        lines.append(f"…และอีก {len(errors) - shown:,} รายการ ดูทั้งหมดในไฟล์รายงาน")
    # Only absurd file or header names can still be too long here.
    return fit_text("\n".join(lines), max_length)


def problems_csv(errors: Sequence[RowError], reasons: Mapping[str, str]) -> bytes:
    """Every problem, one per line, as CSV in UTF-8 with a BOM so that Excel shows the Thai."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["แถว", "ระดับ", "สาเหตุ", "คอลัมน์", "รายละเอียด", "ค่าในไฟล์"])
    for e in errors:
        writer.writerow([e.row, "ไม่ผ่าน" if e.rejects else "คำเตือน", reasons[e.reason],
                         *(inert(text) for text in (e.column or "", e.message, e.value))])
    return out.getvalue().encode("utf-8-sig")


def source_line(filename: str, mapping: ColumnMapping) -> str:
    """Which file, sheet and header row a report is about."""
    where = [f"แผ่นงาน {mapping.sheet}"] if mapping.sheet else []
    where.append(f"หัวตารางแถวที่ {mapping.header_row}")
    return f"ไฟล์ {filename} ({', '.join(where)})"


def column_lines(mapping: ColumnMapping, aliases: Mapping[str, Sequence[str]]) -> list[str]:
    """The columns not used and the optional ones not there, named by the first of their ``aliases``."""
    lines = []
    if mapping.unknown:
        lines.append("คอลัมน์ที่ไม่รู้จัก (ไม่ได้นำเข้า): " + _some(mapping.unknown))
    if mapping.missing:
        lines.append("ไม่มีคอลัมน์: " + ", ".join(aliases[f][0] for f in mapping.missing))
    return lines


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
