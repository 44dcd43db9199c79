"""Reading the data rows of an official list: each row's cells turned into a ListRow (titles, sex, IDs,
birth dates, village numbers as the ministry's files write them) and the problems found on the way.

:class:`RowParser` is the part every list reads the same way (national IDs, titles and names, sex); the
class list (domain.official_list.class_list) builds its rows on it too.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime

from openpyxl.utils.datetime import from_excel

from domain.official_list.list_columns import header_key
from domain.official_list.list_report import ListRow, RowError
from domain.official_list.table import Table
from domain.thai import InvalidInput
from domain.thai_dates import parse_date
from domain.thai_ids import parse_national_id
from domain.thai_names import THAI_TITLES, title_pattern
from models import Case

__all__ = ["SEXES", "TITLES", "RowParser", "read_rows"]

# Titles as written (after header_key) -> the form we keep, and the sex it says.
TITLES = {header_key(spelling): (title.listed, title.sex)
          for title in THAI_TITLES for spelling in (title.full, title.abbreviation)}
# Values of the เพศ column; 1 and 2 are the registration codes.
SEXES = {
    "ชาย": "male", "ช": "male", "male": "male", "m": "male", "1": "male",
    "หญิง": "female", "ญ": "female", "female": "female", "f": "female", "2": "female",
}


def read_rows(table: Table, today: date, max_rows: int) -> tuple[list[ListRow], list[RowError]]:
    """The valid rows and every problem (table.rows_read counts the rows read)."""
    raw_keys = _raw_keys(table.headers)
    valid: list[ListRow] = []
    errors: list[RowError] = []
    first_row_of: dict[str, int] = {}
    for number, values, cells in table.records(max_rows):
        parser = _ListRowParser(table, number, values, cells)
        row = parser.list_row(today, raw_keys)
        # The first valid row with an ID is kept; a rejected row does not hide a later good one.
        if (first := first_row_of.get(row.national_id)) is not None:
            parser.problem("national_id", f"เลขประจำตัวประชาชนซ้ำกับแถวที่ {first} (ใช้ข้อมูลแถวที่ {first})",
                           "duplicate", mask=True)
        errors += parser.problems
        if not parser.rejected:
            valid.append(row)
            if row.national_id:
                first_row_of[row.national_id] = number
    return valid, errors


# "1.10370207183E+12": Excel showed a long number in scientific notation and the CSV kept only that.
_SCIENTIFIC = re.compile(r"\d(?:\.\d+)?e\+?\d+", re.IGNORECASE)
_LONG_NUMBER = re.compile(r"\d[\d\- ]{3,}\d")
# A title written into the name column, usually attached as Thai writes it ("นายสมชาย", "ด.ช.สมชาย"); not
# an abbreviation without dots, which a name cell may hold as the start of a name or on its own.
_TITLE_IN_NAME = re.compile(f"({title_pattern(bare=False)})\\s*")
# Database and pandas exports write date cells as "2012-03-15 00:00:00".
_DATE_WITH_TIME = re.compile(r"(\d{4}-\d{1,2}-\d{1,2})[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?")
_MOO = re.compile(r"(?:หมู่\s*(?:ที่)?|ม\s*\.?)?\s*(\d{1,3})")


# The longest text of each field: the length of the cases column it is saved in (the house number leaves
# room for " หมู่ 999" in Case.address, domain/official_list/importer.py). A longer cell rejects its row.
_MAX_LENGTH = {"title": Case.title.type.length, "first_name": Case.first_name.type.length,
               "last_name": Case.last_name.type.length, "grade": Case.grade.type.length,
               "previous_school": Case.previous_school.type.length, "affiliation": Case.affiliation.type.length,
               "group": Case.list_group.type.length, "house_no": Case.address.type.length - len(" หมู่ 999")}


def _mask_numbers(text: str) -> str:
    """Long numbers (IDs) with every digit but the first and the last replaced by X."""
    return _LONG_NUMBER.sub(lambda m: m[0][0] + re.sub(r"\d", "X", m[0][1:-1]) + m[0][-1], text)


class RowParser:
    """One data row of a list: its non-empty cells by field, what every list reads the same way (the
    national ID, the title and names, the sex), and the problems found on the way."""

    def __init__(self, table: Table, number: int, values: Sequence, cells: list[str]):
        self.columns, self.index = table.mapping.columns, table.index
        self.number, self.values, self.cells = number, values, cells
        width = len(cells)
        # field -> its non-empty cell text
        self.text = {f: cells[i] for f, i in self.index.items() if i < width and cells[i]}
        self.problems: list[RowError] = []

    @property
    def rejected(self) -> bool:
        return any(p.rejects for p in self.problems)

    def problem(self, name: str, message: str, reason: str, *, level: str = "error", mask: bool = False):
        value = self.text.get(name, "")
        self.problems.append(RowError(self.number, self.columns.get(name), message,
                                      _mask_numbers(value) if mask else value, reason, level))

    def check_lengths(self, row: object, limits: dict[str, int]) -> None:
        """Rejects the row when a field of ``row`` is longer than the column it is saved in."""
        for name, limit in limits.items():
            if len(value := getattr(row, name) or "") > limit:
                self.problem(name, f"ข้อความยาว {len(value):,} ตัวอักษร เกินที่บันทึกได้ {limit:,} ตัวอักษร",
                             "too_long")

    def value(self, name: str) -> object:
        """The cell as the file stores it: XLSX cells may be numbers or dates."""
        i = self.index[name]
        return self.values[i] if i < len(self.values) else None

    def national_id(self) -> str | None:
        text = self.text.get("national_id")
        if text is None:
            return None
        # A 0-prefixed ID (people without registration status) typed into a number cell loses its 0.
        if len(text) == 12 and isinstance(self.value("national_id"), (int, float)):
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

    def names(self) -> tuple[str | None, str | None, str | None]:
        """Title, first name and last name, from their columns or split from a full name."""
        title, first, last = (self.text.get(f) for f in ("title", "first_name", "last_name"))
        if "first_name" not in self.index and (full := self.text.get("full_name")):
            first, last = _split_name(full)
        if title is None and first and (m := _TITLE_IN_NAME.match(first)):
            # "ด.ช.สมชาย" or "ด.ช. สมชาย ใจดี": the title typed into the name.
            title, first = m[1], first[m.end():]
            if not first and last:
                first, last = _split_name(last)
        if title:
            title = TITLES.get(header_key(title), (title, None))[0]
        return title, first or None, last

    def sex(self, title: str | None) -> str | None:
        """The sex column's, or else the title's; a disagreement is a warning."""
        from_title = TITLES.get(header_key(title), (None, None))[1] if title else None
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


class _ListRowParser(RowParser):
    """One row of the official list turned into a ListRow."""

    def list_row(self, today: date, raw_keys: list[str]) -> ListRow:
        title, first_name, last_name = self.names()
        cell = self.text.get
        row = ListRow(
            row=self.number,
            national_id=self.national_id(),
            title=title,
            first_name=first_name,
            last_name=last_name,
            sex=self.sex(title),
            birth_date=self._birth_date(today),
            grade=cell("grade"),
            previous_school=cell("previous_school"),
            house_no=cell("house_no"),
            moo=self._moo(),
            subdistrict=cell("subdistrict"),
            district=cell("district"),
            province=cell("province"),
            affiliation=cell("affiliation"),
            group=cell("group"),
            raw=dict(zip(raw_keys, self.cells)),
        )
        self.check_lengths(row, _MAX_LENGTH)
        # An ID that was there but wrong has its own error already.
        if not row.first_name and "national_id" not in self.text:
            self.problem("national_id", "ไม่มีทั้งเลขประจำตัวประชาชนและชื่อ จึงไม่รู้ว่าเป็นเด็กคนใด", "no_identity")
        elif not row.first_name and row.national_id:
            # Imported (the ID says who the child is), but nobody can go and look for a child without a name.
            self.problem("first_name" if "first_name" in self.columns else "full_name",
                         "มีเลขประจำตัวแต่ไม่มีชื่อ นำเข้าแล้วแต่ผู้ติดตามจะค้นหาเด็กไม่ได้ "
                         "กรุณาเพิ่มชื่อในไฟล์แล้วนำเข้าใหม่", "no_name", level="warning")
        return row

    def _birth_date(self, today: date) -> date | None:
        text = self.text.get("birth_date")
        if text is None:
            return None
        value = self.value("birth_date")
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
            return parse_date(text, today=today)
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


def _raw_keys(headers: list[str]) -> list[str]:
    """Headers made unique and non-empty, to key ListRow.raw by."""
    keys: list[str] = []
    for number, header in enumerate(headers, start=1):
        keys.append(header if header and header not in keys else f"คอลัมน์ {number} {header}".strip())
    return keys
