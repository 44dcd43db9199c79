"""Reader of a school's class list (XLSX or CSV, read as the official list is): each student's name,
class and screening group (ปกติ / กลุ่มเสี่ยง / กลุ่มมีปัญหา), with the risk factors as the school wrote
them.  Nothing is stored here: the caller shows the :class:`ClassListReport`, matches ``risk_text`` to
the coordinators' risk factors and puts the valid rows on the watch list.  A file that cannot be read
raises ListFileError.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from domain.official_list.list_columns import COLUMN_ALIASES, IGNORED_COLUMNS, header_key
from domain.official_list.list_report import (
    MAX_CHAT_TEXT,
    REASONS,
    ReadReport,
    RowError,
    column_lines,
    problems_csv,
    reason_lines,
    source_line,
    with_problems,
)
from domain.official_list.list_rows import RowParser
from domain.official_list.table import Table, TableSpec, read_table, size_refusal
from domain.school_classes import add_room, class_sort_key, parse_class, parse_group
from domain.thai import InvalidInput
from models import GROUPS, WatchStudent

__all__ = ["CLASS_COLUMNS", "CLASS_REASONS", "FILE_SUFFIXES", "MAX_FILE_BYTES", "MAX_ROWS", "ClassListReport",
           "ClassRow", "file_refusal", "read_class_list"]

# A large school has a few thousand students; a file far beyond that is not one school's list.
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
# The names of the files read_class_list reads, compared in lower case.
FILE_SUFFIXES = (".xlsx", ".csv")
OLD_EXCEL = ("ไฟล์ {} เป็นไฟล์ Excel รุ่นเก่า (.xls) ซึ่งระบบอ่านไม่ได้ "
             "กรุณาเปิดใน Excel แล้วบันทึกเป็น .xlsx หรือ CSV แล้วส่งใหม่")
NOT_A_LIST = ("ไฟล์ {} ไม่ใช่ไฟล์ Excel (.xlsx) หรือ CSV: รายชื่อนักเรียนรับเฉพาะไฟล์ .xlsx หรือ .csv "
              "กรุณาบันทึกรายชื่อจาก Excel เป็น .xlsx หรือ \"CSV UTF-8\" แล้วส่งใหม่")

# Every field of ClassRow a column can feed (see list_columns.COLUMN_ALIASES for how headers compare).
CLASS_COLUMNS: dict[str, tuple[str, ...]] = {
    # Not "เลขประจำตัว": in a school's list that is the student number, not the national ID.
    "national_id": tuple(a for a in COLUMN_ALIASES["national_id"] if a != "เลขประจำตัว"),
    **{f: COLUMN_ALIASES[f] for f in ("title", "first_name", "last_name", "full_name", "sex")},
    "class_name": ("ชั้น", "ระดับชั้น", "ชั้น/ห้อง", "ชั้นเรียน", "ห้องเรียน", "class", "grade"),
    # A room of its own, joined to the ชั้น column; without one, it holds the whole class.
    "room": ("ห้อง", "ห้องที่", "room"),
    "group": ("กลุ่ม", "ผลการคัดกรอง", "การคัดกรอง", "ผลคัดกรอง", "กลุ่มนักเรียน", "กลุ่มคัดกรอง",
              "กลุ่มจากการคัดกรอง", "สถานะ", "screening", "group"),
    "risk_text": ("ปัจจัยเสี่ยง", "ความเสี่ยง", "ด้านที่เสี่ยง", "หมายเหตุ/ปัจจัยเสี่ยง", "ปัจจัยความเสี่ยง",
                  "สาเหตุความเสี่ยง", "risk factors", "risk"),
    "note": ("หมายเหตุ", "note"),
}

CLASS_LIST = TableSpec(
    aliases=CLASS_COLUMNS,
    required=(("first_name", "full_name"), ("class_name", "room"), ("group",)),
    alternatives=(("first_name", "last_name", "full_name"), ("class_name", "room")),
    # เลขที่: the student's number in the class register.
    ignored=(*IGNORED_COLUMNS, "เลขที่"),
    examples=("title", "first_name", "last_name", "class_name", "group", "risk_text"),
    split_by="แยกตามชั้น",
    who="นักเรียน",
)

# RowError.reason -> how the summary names it.
CLASS_REASONS = {
    "no_name": "ไม่มีชื่อนักเรียน",
    "class_name": "ชั้นไม่ถูกต้องหรือไม่ได้ระบุ",
    "group": "กลุ่มจากการคัดกรองไม่ถูกต้องหรือไม่ได้ระบุ",
    "duplicate_id": "เลขประจำตัวประชาชนซ้ำกับแถวก่อนหน้า",
    "duplicate_name": "ชื่อซ้ำกับแถวก่อนหน้าในชั้นเดียวกัน",
    **{reason: REASONS[reason] for reason in ("national_id", "sex", "too_long")},
}

# The longest text of each field: the watch list's column it is saved in. A longer cell rejects its row.
# The note has no column of its own; it is kept within the risk note's length so that it fits there too.
_MAX_LENGTH = {"title": WatchStudent.title.type.length, "first_name": WatchStudent.first_name.type.length,
               "last_name": WatchStudent.last_name.type.length, "risk_text": WatchStudent.risk_note.type.length,
               "note": WatchStudent.risk_note.type.length}


@dataclass(frozen=True, slots=True)
class ClassRow:
    """One student of the list, as read: empty cells are None, digits ASCII.  Only rows without
    errors are in a report, so name, class and group are always there."""

    row: int  # the row number the user sees in Excel (or the record number in a CSV)
    title: str | None
    first_name: str
    last_name: str | None
    sex: str | None  # "male" or "female"
    national_id: str | None
    class_name: str  # as domain.school_classes.parse_class writes it: "ป.5/1"
    group: str  # a key of models.GROUPS
    risk_text: str | None  # the risk factors as written, for the caller to match to its list
    note: str | None


@dataclass
class ClassListReport(ReadReport):
    """What the class list's reader found; its rows are ClassRows."""

    def by_class(self) -> dict[str, Counter]:
        """Each class, in school order, with how many of its valid rows are in each group."""
        counts: dict[str, Counter] = {}
        for row in self.rows:
            counts.setdefault(row.class_name, Counter())[row.group] += 1
        return {name: counts[name] for name in sorted(counts, key=class_sort_key)}

    def as_text(self, max_errors: int = 20, max_length: int = MAX_CHAT_TEXT) -> str:
        """A Thai summary: counts, each class's students by group, the reasons rows were rejected or
        warned about, the columns not used, and the first ``max_errors`` problems, within ``max_length``
        UTF-16 units (LINE's limit)."""
        lines = [source_line(self.filename, self.mapping),
                 f"อ่านได้ {self.rows_read:,} แถว: นำเข้าได้ {len(self.rows):,} คน, ไม่ผ่าน {self.rejected:,} แถว"]
        if self.rows:
            lines.append("รวม: " + _groups(Counter(row.group for row in self.rows)))
            lines += [f"- {name} {sum(counts.values()):,} คน: {_groups(counts)}"
                      for name, counts in self.by_class().items()]
        lines += [*reason_lines(self.errors, CLASS_REASONS), *column_lines(self.mapping, CLASS_COLUMNS)]
        return with_problems(lines, self.errors, max_errors, max_length)

    def as_csv(self) -> bytes:
        """Every problem, one per line, as CSV in UTF-8 with a BOM so that Excel shows the Thai."""
        return problems_csv(self.errors, CLASS_REASONS)


def _groups(counts: Counter) -> str:
    return ", ".join(f"{label} {counts[code]:,}" for code, label in GROUPS.items() if counts[code])


def file_refusal(filename: str, size: int) -> str | None:
    """Why a file of this name and size cannot be read as a class list, in Thai, before its content is
    fetched (a chat knows a file's name and size first); None when it may be one."""
    name = filename.lower()
    if name.endswith(".xls"):
        return OLD_EXCEL.format(filename)
    if not name.endswith(FILE_SUFFIXES):
        return NOT_A_LIST.format(filename)
    return size_refusal(filename, size, CLASS_LIST, MAX_FILE_BYTES)


def read_class_list(data: bytes, filename: str, *, max_bytes: int = MAX_FILE_BYTES,
                    max_rows: int = MAX_ROWS) -> ClassListReport:
    """Read a class list (XLSX, or CSV in UTF-8, UTF-8 with BOM, UTF-16 or cp874/TIS-620)."""
    with read_table(data, filename, CLASS_LIST, max_bytes=max_bytes) as table:
        rows, errors = _read_rows(table, max_rows)
    return ClassListReport(filename, table.file_format, table.encoding, table.mapping, rows, errors,
                           table.rows_read)


def _read_rows(table: Table, max_rows: int) -> tuple[list[ClassRow], list[RowError]]:
    valid: list[ClassRow] = []
    errors: list[RowError] = []
    # The first valid row of a student is kept; a rejected row does not hide a later good one.
    row_of_id: dict[str, int] = {}
    row_of_name: dict[tuple[str, str, str], ClassRow] = {}
    for number, values, cells in table.records(max_rows):
        parser = _ClassRowParser(table, number, values, cells)
        row = parser.class_row()
        name = (row.class_name, header_key(row.first_name or ""), header_key(row.last_name or ""))
        if (first := row_of_id.get(row.national_id)) is not None:
            parser.problem("national_id", f"เลขประจำตัวประชาชนซ้ำกับแถวที่ {first} (ใช้ข้อมูลแถวที่ {first})",
                           "duplicate_id", mask=True)
        elif (earlier := row_of_name.get(name)) and not (earlier.national_id and row.national_id):
            # Two students of one class may share a name; their different IDs then tell them apart.
            parser.problem(parser.name_field, f"ชื่อซ้ำกับแถวที่ {earlier.row} ในชั้น {row.class_name} "
                           f"(ใช้ข้อมูลแถวที่ {earlier.row})", "duplicate_name")
        errors += parser.problems
        if not parser.rejected:
            valid.append(row)
            row_of_name.setdefault(name, row)
            if row.national_id:
                row_of_id[row.national_id] = number
    return valid, errors


class _ClassRowParser(RowParser):
    """One row of a class list turned into a ClassRow."""

    @property
    def name_field(self) -> str:
        return "first_name" if "first_name" in self.columns else "full_name"

    def class_row(self) -> ClassRow:
        title, first_name, last_name = self.names()
        row = ClassRow(
            row=self.number,
            title=title,
            first_name=first_name,
            last_name=last_name,
            sex=self.sex(title),
            national_id=self.national_id(),
            class_name=self._class_name(),
            group=self._group(),
            risk_text=self.text.get("risk_text"),
            note=self.text.get("note"),
        )
        self.check_lengths(row, _MAX_LENGTH)
        if not first_name:
            self.problem(self.name_field, "ไม่มีชื่อนักเรียน กรุณาใส่ชื่อ (และนามสกุล)", "no_name")
        return row

    def _class_name(self) -> str | None:
        # Without a ชั้น column, the ห้อง column holds the whole class.
        field = "class_name" if "class_name" in self.columns else "room"
        try:
            name = parse_class(self.text.get(field, ""))
        except InvalidInput as exc:
            self.problem(field, exc.message, "class_name")
            return None
        if field == "room" or (room := self.text.get("room")) is None:
            return name
        try:
            return add_room(name, room)
        except InvalidInput as exc:
            self.problem("room", exc.message, "class_name")
            return None

    def _group(self) -> str | None:
        try:
            return parse_group(self.text.get("group", ""))
        except InvalidInput as exc:
            self.problem("group", exc.message, "group")
            return None
