"""Synthetic official lists for tests, demos and benchmarks: real-looking children with valid national
IDs, Thai names and addresses from an area tree, written as CSV or XLSX like the ministry's files,
and deliberately broken lists whose every defect is known in advance.

The same seed and ``today`` always give the same list.
"""
from __future__ import annotations

import csv
import io
import random
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel

from domain.official_list.list_columns import COLUMN_ALIASES
from domain.official_list.list_report import ListRow
from domain.thai_dates import BE_OFFSET, age_on, now_bangkok
from domain.thai_ids import national_id_checksum_ok
from domain.thai_names import CHILD_TITLE_AGE, THAI_TITLES
from models import SEXES

__all__ = [
    "SAMPLE_AREAS",
    "STANDARD_HEADERS",
    "VARIANT_HEADERS",
    "BrokenList",
    "broken_list",
    "generate_list",
    "list_table",
    "to_csv",
    "to_excel_xlsx",
    "to_xlsx",
]

# A small piece of the real area tree, Khon Kaen, as {DOPA code: name}; the same codes and names as
# the test fixture's AREA_TREE.  A village's last two code digits are its หมู่ number.
SAMPLE_AREAS: dict[str, str] = {
    "40": "ขอนแก่น",
    "4001": "เมืองขอนแก่น",
    "4002": "บ้านฝาง",
    "400101": "ในเมือง",
    "400102": "สำราญ",
    "400201": "บ้านฝาง",
    "40010101": "บ้านโนนทัน หมู่ที่ 1",
    "40010201": "บ้านสำราญ หมู่ที่ 1",
    "40010202": "บ้านโคกสี หมู่ที่ 2",
    "40020101": "บ้านฝาง หมู่ที่ 1",
}

BOYS = (
    "สมชาย", "ธนากร", "ณัฐวุฒิ", "กิตติพงษ์", "อนุชา", "วีรยุทธ", "ภานุวัฒน์", "ศุภชัย", "พีรพัฒน์", "ธีรภัทร",
    "จิรายุ", "ปกรณ์", "อภิสิทธิ์", "ชยพล", "ณัฐพล", "ธนวัฒน์", "กฤษดา", "สุรเชษฐ์", "วรวุฒิ", "ปิยะพงษ์",
    "อดิศักดิ์", "ภูมิพัฒน์", "ศักดิ์ดา", "ทินกร", "เอกชัย", "ธนพล", "พงศกร", "รัฐภูมิ", "ชนาธิป", "ก้องภพ",
)
GIRLS = (
    "สมหญิง", "ปิยะนุช", "ศิริพร", "ณัฐธิดา", "กมลชนก", "พิมพ์ชนก", "สุภาวดี", "อรอุมา", "ธิดารัตน์", "วรรณิภา",
    "จิราพร", "ชนิดา", "พรทิพย์", "กัญญาณัฐ", "ปวีณา", "ณิชาภัทร", "อัญชลี", "ศศิธร", "รัตนาภรณ์", "มณีรัตน์",
    "ขวัญใจ", "นภัสสร", "ธนพร", "ปาริชาติ", "เบญจมาศ", "สุนิสา", "วิภาวรรณ", "อารีรัตน์", "พัชราภา", "ลลิตา",
)
SURNAMES = (
    "ใจดี", "ศรีสุข", "บุญมา", "แก้วมณี", "สุขสวัสดิ์", "ทองดี", "พันธ์ศรี", "วงศ์สวัสดิ์", "ศรีวงศ์", "จันทร์แก้ว",
    "บุญเรือง", "แสนสุข", "ภูมิสุข", "คำแพง", "ศรีบุญเรือง", "พลพิทักษ์", "สีดา", "ไชยวงศ์", "บุตรดี", "คำมูล",
    "ชัยมงคล", "อินทร์แปลง", "ทองสุข", "มูลสาร", "ประทุมวัน", "โพธิ์ศรี", "สิงห์ทอง", "หาญชนะ", "ดวงดี", "ผิวขำ",
    "ภูสมศรี", "นามวงศ์", "ศรีภูมิ", "อุดมศักดิ์", "แสงอรุณ", "พรมมา", "บัวแก้ว", "ขันทอง", "สายบุญ", "ปัญญาดี",
)
SCHOOLS = (
    "โรงเรียนบ้านโนนทัน", "โรงเรียนบ้านสำราญ", "โรงเรียนบ้านโคกสี", "โรงเรียนชุมชนบ้านฝาง",
    "โรงเรียนบ้านฝางวิทยายน", "โรงเรียนอนุบาลขอนแก่น", "โรงเรียนเทศบาลวัดกลาง", "โรงเรียนขอนแก่นวิทยายน",
    "โรงเรียนสำราญวิทยาคม", "โรงเรียนบ้านหนองแวง",
)
# Last grade attended by age: kindergarten from 3, primary from 6, secondary from 12.
GRADES = ("อ.1", "อ.2", "อ.3", "ป.1", "ป.2", "ป.3", "ป.4", "ป.5", "ป.6",
          "ม.1", "ม.2", "ม.3", "ม.4", "ม.5", "ม.6")
# Equity-grant (EEF) students on the list were in the transition grades.
TRANSITION_GRADES = ("อ.3", "ป.6", "ม.3")
EQUITY_GROUP = "นักเรียนทุนเสมอภาค (กสศ.)"
AFFILIATIONS = ("สพฐ.",) * 17 + ("อปท.", "อปท.", "สช.")
# First digit of the ID: 1 for Thais born since 1984 with a birth certificate; others are rarer.
ID_FIRST_DIGITS = "1" * 30 + "2345678"
MIN_AGE, MAX_AGE = 3, 18

# The fields a list has, in the ministry's column order.
LIST_FIELDS = ("national_id", "title", "first_name", "last_name", "sex", "birth_date", "grade",
               "previous_school", "house_no", "moo", "subdistrict", "district", "province", "affiliation",
               "group")
STANDARD_HEADERS: dict[str, str] = {f: COLUMN_ALIASES[f][0] for f in LIST_FIELDS}
# Other spellings seen in real files, with the name in one ชื่อ-สกุล column holding the title too.
VARIANT_HEADERS: dict[str, str] = {
    "national_id": "เลขบัตรประชาชน", "full_name": "ชื่อ-สกุล", "sex": "เพศ", "birth_date": "ว/ด/ป เกิด",
    "grade": "ระดับชั้น", "previous_school": "สถานศึกษาเดิม", "house_no": "เลขที่", "moo": "ม.",
    "subdistrict": "ต.", "district": "อ.", "province": "จ.", "affiliation": "สังกัด", "group": "กลุ่มเป้าหมาย",
}
_THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


def generate_list(n: int, *, seed: int = 0, areas: Mapping[str, str] = SAMPLE_AREAS, today: date | None = None,
                  equity_share: float = 0.6, first_row: int = 2) -> list[ListRow]:
    """``n`` children aged 3 to 18 on ``today``, living in the villages (or village-less subdistricts)
    of ``areas``; ``area_code`` is where each one lives, ``row`` counts from ``first_row``."""
    rng = random.Random(seed)
    today = today or now_bangkok().date()
    with_villages = {code[:6] for code in areas if len(code) == 8}
    places = [code for code in areas if len(code) == 8 or (len(code) == 6 and code not in with_villages)]
    if not places:
        raise ValueError("areas needs at least one subdistrict or village")
    ids: set[str] = set()
    rows = []
    for number in range(first_row, first_row + n):
        sex = rng.choice(("male", "female"))
        birth = _birth_date(rng, today)
        age = age_on(birth, today)
        equity = rng.random() < equity_share
        place = rng.choice(places)
        rows.append(ListRow(
            row=number,
            national_id=_new_id(rng, ids),
            title=_title(sex, age),
            first_name=rng.choice(BOYS if sex == "male" else GIRLS),
            last_name=rng.choice(SURNAMES),
            sex=sex,
            birth_date=birth,
            grade=_grade(rng, age, equity),
            # Some children never went to school at all.
            previous_school=rng.choice(SCHOOLS) if rng.random() < 0.9 else None,
            house_no=str(rng.randint(1, 250)) + (f"/{rng.randint(1, 9)}" if rng.random() < 0.2 else ""),
            moo=int(place[6:]) if len(place) == 8 else None,
            subdistrict=areas[place[:6]],
            district=areas[place[:4]],
            province=areas[place[:2]],
            affiliation=rng.choice(AFFILIATIONS),
            group=EQUITY_GROUP if equity else None,
            area_code=place,
        ))
    return rows


def _new_id(rng: random.Random, taken: set[str]) -> str:
    while True:
        first12 = rng.choice(ID_FIRST_DIGITS) + "".join(rng.choices("0123456789", k=11))
        national_id = next(first12 + d for d in "0123456789" if national_id_checksum_ok(first12 + d))
        if national_id not in taken:
            taken.add(national_id)
            return national_id


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _birth_date(rng: random.Random, today: date) -> date:
    earliest = _years_before(today, MAX_AGE + 1).toordinal() + 1
    latest = _years_before(today, MIN_AGE).toordinal()
    return date.fromordinal(rng.randint(earliest, latest))


def _title(sex: str, age: int) -> str:
    """As lists write it: ด.ช./ด.ญ. until 15, then the first adult title of the table (นาย/นางสาว)."""
    child = age < CHILD_TITLE_AGE
    return next(title.listed for title in THAI_TITLES if title.sex == sex and title.child == child)


def _grade(rng: random.Random, age: int, equity: bool) -> str:
    # The grade a child of this age would be in; dropouts left one or two years earlier.
    expected = min(age - MIN_AGE, len(GRADES) - 1)
    if equity:
        reached = [g for g in TRANSITION_GRADES if GRADES.index(g) <= expected]
        return rng.choice(reached) if reached else GRADES[0]
    return GRADES[max(0, expected - rng.choice((0, 0, 1, 2)))]


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------

def list_table(rows: Iterable[ListRow], *, headers: Mapping[str, str] = STANDARD_HEADERS, dates: str = "text",
               thai_digits: bool = False, title_rows: Sequence[str] = ()) -> list[list]:
    """The rows as a spreadsheet: title rows, the header row, then one row per child.

    ``headers`` maps fields to header names, in column order; "full_name" writes the title, first and
    last name in one column.  ``dates``: "text" (dd/mm/BE year), "date" (a date cell) or "be_date" (a
    date cell holding the BE year, as when a BE date is typed into Excel).
    """
    table: list[list] = [[title] for title in title_rows]
    table.append(list(headers.values()))
    for row in rows:
        cells = [_cell(row, name, dates) for name in headers]
        if thai_digits:
            cells = [c.translate(_THAI_DIGITS) if isinstance(c, str) else c for c in cells]
        table.append(cells)
    return table


def _cell(row: ListRow, name: str, dates: str) -> object:
    if name == "full_name":
        return f"{row.title or ''}{row.first_name or ''} {row.last_name or ''}".strip()
    value = getattr(row, name)
    if value is None:
        return ""
    if name == "sex":
        return SEXES[value]
    if name == "moo":
        return str(value)
    if name == "birth_date":
        if dates == "date":
            return datetime(value.year, value.month, value.day)
        # 543 is not a multiple of 4, so a BE year never has a 29 February: Excel keeps that as text.
        if dates == "be_date" and (value.month, value.day) != (2, 29):
            return datetime(value.year + BE_OFFSET, value.month, value.day)
        return f"{value.day:02d}/{value.month:02d}/{value.year + BE_OFFSET}"
    return value


def to_csv(table: Iterable[Sequence], encoding: str = "utf-8-sig") -> bytes:
    """CSV bytes as Excel writes them ("utf-8-sig" is Excel's "CSV UTF-8"; "cp874" its Thai ANSI CSV)."""
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(table)
    return out.getvalue().encode(encoding)


def to_xlsx(table: Iterable[Sequence], sheet: str = "รายชื่อ") -> bytes:
    """An XLSX written by openpyxl (fast to write, slow to read: see :func:`to_excel_xlsx`)."""
    book = Workbook(write_only=True)
    worksheet = book.create_sheet(sheet)
    for row in table:
        worksheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'),
    "_rels/.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="xl/workbook.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
        '</Relationships>'),
    "xl/_rels/workbook.xml.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
        '<Relationship Id="rId2" Target="sharedStrings.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
        '<Relationship Id="rId3" Target="styles.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"/></Relationships>'),
    # Style 1 is Excel's built-in date format 14 (d/m/yyyy in a Thai locale).
    "xl/styles.xml": (
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<fonts count="1"><font/></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders>'
        '<cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="2"><xf/>'
        '<xf numFmtId="14" applyNumberFormat="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'),
}
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def to_excel_xlsx(table: Sequence[Sequence], sheet: str = "รายชื่อ") -> bytes:
    """An XLSX laid out as Excel saves one: text in the shared-string table and the sheet's size
    declared up front.  openpyxl writes neither, and its reader takes about three times as long on
    such files, so this is the one to measure what people's files cost."""
    strings: dict[str, int] = {}
    rows = []
    for r, line in enumerate(table, start=1):
        cells = []
        for c, value in enumerate(line, start=1):
            ref = f"{get_column_letter(c)}{r}"
            if isinstance(value, str) and value:
                cells.append(f'<c r="{ref}" t="s"><v>{strings.setdefault(value, len(strings))}</v></c>')
            elif isinstance(value, datetime):
                cells.append(f'<c r="{ref}" s="1"><v>{to_excel(value)}</v></c>')
            elif isinstance(value, (int, float)):
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
        rows.append(f'<row r="{r}">{"".join(cells)}</row>')
    width = max((len(line) for line in table), default=1)
    parts = {
        **_XLSX_PARTS,
        "xl/workbook.xml": (f'<workbook xmlns="{_MAIN_NS}" xmlns:r="http://schemas.openxmlformats.org/'
                            f'officeDocument/2006/relationships"><sheets><sheet name="{escape(sheet)}" '
                            'sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/worksheets/sheet1.xml": (f'<worksheet xmlns="{_MAIN_NS}"><dimension ref="A1:{get_column_letter(width)}'
                                     f'{len(rows)}"/><sheetData>{"".join(rows)}</sheetData></worksheet>'),
        "xl/sharedStrings.xml": (f'<sst xmlns="{_MAIN_NS}" count="{len(strings)}" uniqueCount="{len(strings)}">'
                                 + "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in strings)
                                 + "</sst>"),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in parts.items():
            archive.writestr(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + xml)
    return out.getvalue()


# --------------------------------------------------------------------------
# Broken lists
# --------------------------------------------------------------------------

TITLE_ROWS = ("รายชื่อเด็กนอกระบบการศึกษา (ข้อมูลสำหรับติดตาม)", "จังหวัดขอนแก่น ข้อมูล ณ วันที่ 10 ม.ค. 2569")

# Headers people invent that no alias matches.
WRONG_HEADERS = {"national_id": "รหัสผู้เรียน", "first_name": "ชื่อตัว", "last_name": "นามสกุลผู้เรียน",
                 "subdistrict": "ที่อยู่ตามทะเบียนบ้าน"}


@dataclass
class BrokenList:
    """A list with known defects: ``table`` to write, the ``valid`` rows a reader must keep (with
    their file row numbers), and for every defective row the reason it must be rejected."""

    table: list[list]
    valid: list[ListRow]
    rejected: dict[int, str]  # file row number -> RowError.reason
    header_row: int


def broken_list(n: int = 40, *, seed: int = 0, today: date | None = None,
                wrong_headers: bool = False) -> BrokenList:
    """``n`` (at least 10) children under two title rows, with one row each of: a bad check digit, a short
    ID, a future birth date, an impossible date (31 Feb), no ID and no name, a duplicate ID; and one
    valid row typed with Thai digits.  The rest are valid.  With ``wrong_headers`` the ID, name and
    subdistrict columns have headers no reader knows, so the file cannot be used at all."""
    if n < 10:
        raise ValueError("a broken list needs at least 10 rows")
    today = today or now_bangkok().date()
    header_row = len(TITLE_ROWS) + 1
    rows = generate_list(n, seed=seed, today=today, first_row=header_row + 1)
    headers = {**STANDARD_HEADERS, **(WRONG_HEADERS if wrong_headers else {})}
    table = list_table(rows, headers=headers, title_rows=TITLE_ROWS)
    columns = list(headers)
    rng = random.Random(seed)
    # Row 0 stays intact: it is the original the duplicate copies.
    picked = rng.sample(range(1, n), 7)
    rejected: dict[int, str] = {}

    def spoil(i: int, reason: str, **cells: str) -> None:
        line = table[header_row + i]
        for name, value in cells.items():
            line[columns.index(name)] = value
        rejected[rows[i].row] = reason

    national_id = rows[picked[0]].national_id
    spoil(picked[0], "national_id", national_id=national_id[:12] + str((int(national_id[12]) + 1) % 10))
    spoil(picked[1], "national_id", national_id=national_id[:11])
    spoil(picked[2], "birth_date", birth_date=f"01/01/{today.year + BE_OFFSET + 1}")
    spoil(picked[3], "birth_date", birth_date="31/02/2555")
    spoil(picked[4], "no_identity", national_id="", first_name="", last_name="")
    spoil(picked[5], "duplicate", national_id=rows[0].national_id)
    thai_row = table[header_row + picked[6]]
    thai_row[:] = [c.translate(_THAI_DIGITS) for c in thai_row]
    valid = [r for r in rows if r.row not in rejected]
    return BrokenList(table, [replace(r, area_code=None) for r in valid], rejected, header_row)
