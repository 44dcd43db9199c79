"""Tests for domain.official_list.reader (reading the ministry's list) and devtools.synthetic (generated lists)."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import replace
from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from devtools.synthetic import (
    SAMPLE_AREAS,
    STANDARD_HEADERS,
    VARIANT_HEADERS,
    broken_list,
    generate_list,
    list_table,
    to_csv,
    to_excel_xlsx,
    to_xlsx,
)
from domain.official_list.list_areas import AreaIndex, assign_areas
from domain.official_list.list_columns import COLUMN_ALIASES, header_key
from domain.official_list.list_report import REASONS, ListFileError, ListRow
from domain.official_list.list_rows import TITLES
from domain.official_list.reader import MAX_FILE_BYTES, read_official_list
from domain.thai_dates import BE_OFFSET
from domain.thai_ids import national_id_checksum_ok
from domain.thai_names import THAI_TITLES
from helpers import AREA_TREE

TODAY = date(2026, 11, 23)  # BE 2569
AREAS = AreaIndex(SAMPLE_AREAS)
THAI = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


def read(data: bytes, filename: str = "list.csv", **kwargs):
    return read_official_list(data, filename, today=TODAY, **kwargs)


def file_error(data: bytes, filename: str = "list.csv", **kwargs) -> str:
    with pytest.raises(ListFileError) as info:
        read(data, filename, **kwargs)
    return info.value.message


def unplaced(rows: list[ListRow]) -> list[ListRow]:
    return [replace(r, area_code=None) for r in rows]


def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return "\r\n".join(lines).encode(encoding)


HEADER = "เลขประจำตัวประชาชน,คำนำหน้า,ชื่อ,นามสกุล,วันเดือนปีเกิด,หมู่,ตำบล,อำเภอ,จังหวัด"
# Valid IDs (check digits computed by hand in tests/test_thai.py).
ID_A, ID_B, ID_C = "1103702071838", "1234567890121", "3100601234565"


def one_row(**cells: str) -> bytes:
    """A CSV with the standard header and one row, cells overridden by field name."""
    values = {"national_id": ID_A, "title": "ด.ช.", "first_name": "สมชาย", "last_name": "ใจดี",
              "birth_date": "15/03/2555", "moo": "1", "subdistrict": "ในเมือง", "district": "เมืองขอนแก่น",
              "province": "ขอนแก่น", **cells}
    return to_csv([[COLUMN_ALIASES[f][0] for f in values], list(values.values())])


# --------------------------------------------------------------------------
# Formats and encodings
# --------------------------------------------------------------------------

@pytest.mark.parametrize("encoding, detected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                                ("cp874", "cp874"), ("tis-620", "cp874")])
def test_csv_in_every_thai_encoding_reads_the_same(encoding, detected):
    rows = generate_list(200, seed=1, today=TODAY)
    report = read(to_csv(list_table(rows), encoding=encoding), areas=AREAS)
    assert report.file_format == "csv" and report.encoding == detected
    assert report.errors == [] and report.rows == rows
    assert report.rows[0].raw["ชื่อ"] == rows[0].first_name


def test_excel_unicode_text_export_utf16_tab_separated():
    rows = generate_list(20, seed=2, today=TODAY)
    text = "\r\n".join("\t".join(map(str, line)) for line in list_table(rows))
    report = read(text.encode("utf-16"), "list.txt")
    assert report.encoding == "utf-16" and report.rows == unplaced(rows)


def test_semicolon_separated_csv():
    rows = generate_list(10, seed=3, today=TODAY)
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(list_table(rows))
    assert read(out.getvalue().encode()).rows == unplaced(rows)


@pytest.mark.parametrize("write", [to_xlsx, to_excel_xlsx])
@pytest.mark.parametrize("dates", ["text", "date", "be_date"])
def test_xlsx_with_text_dates_date_cells_and_be_year_date_cells(write, dates):
    rows = generate_list(300, seed=4, today=TODAY)
    report = read(write(list_table(rows, dates=dates)), "list.xlsx", areas=AREAS)
    assert report.file_format == "xlsx" and report.encoding is None and report.mapping.sheet == "รายชื่อ"
    assert report.errors == [] and report.rows == rows


def test_be_year_date_cell_is_read_as_buddhist_era():
    table = [list(STANDARD_HEADERS.values())[:6] + ["ตำบล", "อำเภอ"],
             [ID_A, "ด.ช.", "สมชาย", "ใจดี", "ชาย", datetime(2555, 3, 15), "ในเมือง", "เมืองขอนแก่น"]]
    [row] = read(to_xlsx(table), "list.xlsx").rows
    assert row.birth_date == date(2012, 3, 15)


def xlsx_with(**cells) -> bytes:
    """An XLSX with a header and one row of real cell types (numbers, dates) by field name."""
    base = {"national_id": ID_A, "first_name": "สมชาย", "birth_date": "15/03/2555", "subdistrict": "ในเมือง",
            "district": "เมืองขอนแก่น", **cells}
    return to_xlsx([[COLUMN_ALIASES[f][0] for f in base], list(base.values())])


def test_xlsx_numbers_ids_and_excel_serial_dates():
    report = read(xlsx_with(national_id=int(ID_A), birth_date=40983, moo=5.0), "list.xlsx")
    [row] = report.rows
    assert (row.national_id, row.birth_date, row.moo) == (ID_A, date(2012, 3, 15), 5)


def test_xlsx_number_cell_id_that_lost_its_leading_zero_gets_it_back():
    zero_id = next(f"0{n}" for n in range(101234567890, 101234567900) if national_id_checksum_ok(f"0{n}"))
    [row] = read(xlsx_with(national_id=int(zero_id)), "list.xlsx").rows
    assert row.national_id == zero_id


def test_xlsx_future_date_cell_is_rejected():
    report = read(xlsx_with(birth_date=datetime(2027, 1, 1)), "list.xlsx")
    assert report.rows == [] and [e.reason for e in report.errors] == ["birth_date"]
    assert "ยังมาไม่ถึง" in report.errors[0].message


def test_xlsx_header_is_found_on_a_later_sheet():
    book = Workbook()
    book.active.title = "คำอธิบาย"
    book.active.append(["ไฟล์นี้มีรายชื่อในแผ่นงานถัดไป"])
    sheet = book.create_sheet("ข้อมูล")
    for line in list_table(generate_list(3, seed=5, today=TODAY)):
        sheet.append(line)
    out = io.BytesIO()
    book.save(out)
    report = read(out.getvalue(), "list.xlsx")
    assert report.mapping.sheet == "ข้อมูล" and len(report.rows) == 3


# --------------------------------------------------------------------------
# Headers
# --------------------------------------------------------------------------

def test_alias_table_gives_every_header_one_field():
    seen: dict[str, str] = {}
    for field, aliases in COLUMN_ALIASES.items():
        for alias in aliases:
            assert seen.setdefault(header_key(alias), field) == field, alias


def test_variant_headers_full_name_and_title_rows_read_the_same():
    rows = generate_list(100, seed=6, today=TODAY, first_row=4)
    table = list_table(rows, headers=VARIANT_HEADERS, title_rows=["รายชื่อเด็กตกหล่น", "ข้อมูล ณ 1 ม.ค. 2569"])
    report = read(to_csv(table), areas=AREAS)
    assert report.mapping.header_row == 3
    assert report.mapping.columns["full_name"] == "ชื่อ-สกุล" and report.mapping.columns["moo"] == "ม."
    assert report.errors == [] and report.rows == rows


@pytest.mark.parametrize("header, field", [
    ("เลขประจำตัว 13 หลัก", "national_id"), ("เลขบัตรประชาชน", "national_id"), ("วันเกิด", "birth_date"),
    ("ว/ด/ป เกิด", "birth_date"), ("วดป.เกิด", "birth_date"), ("ม.", "moo"), ("หมู่ที่", "moo"),
    ("ต.", "subdistrict"), ("อ.", "district"), ("จ.", "province"), ("กลุ่มเป้าหมาย", "group"),
    (" ชื่อ - สกุล ", "full_name"), ("Citizen ID", "national_id"), ("ตำบล*", "subdistrict"),
])
def test_header_aliases(header, field):
    assert COLUMN_ALIASES[field] and header_key(header) in {header_key(a) for a in COLUMN_ALIASES[field]}


def test_unknown_columns_and_missing_optional_ones_are_reported():
    data = csv_bytes("ลำดับ,เลขประจำตัวประชาชน,ชื่อ,นามสกุล,ตำบล,อำเภอ,ชื่อผู้ปกครอง,เบอร์โทร",
                     f"1,{ID_A},สมชาย,ใจดี,ในเมือง,เมืองขอนแก่น,นางมาลี,0812345678")
    report = read(data)
    assert report.mapping.unknown == ("ชื่อผู้ปกครอง", "เบอร์โทร")  # ลำดับ is known and not needed
    assert "birth_date" in report.mapping.missing and "full_name" not in report.mapping.missing
    [row] = report.rows
    assert row.raw["ชื่อผู้ปกครอง"] == "นางมาลี" and row.birth_date is None
    text = report.as_text()
    assert "คอลัมน์ที่ไม่รู้จัก (ไม่ได้นำเข้า): ชื่อผู้ปกครอง, เบอร์โทร" in text and "วันเดือนปีเกิด" in text


def test_wrong_headers_name_the_missing_required_columns():
    broken = broken_list(20, seed=7, today=TODAY, wrong_headers=True)
    message = file_error(to_csv(broken.table))
    assert "ไม่มีคอลัมน์ที่จำเป็น" in message
    assert "เลขประจำตัวประชาชน หรือ ชื่อ หรือ ชื่อ-สกุล" in message and "ตำบล" in message
    assert "รหัสผู้เรียน" in message  # the header as found, so the user sees what to rename


def test_no_header_row_at_all():
    message = file_error(csv_bytes("a,b,c", "1,2,3"))
    assert "ไม่พบแถวหัวตาราง" in message and "เลขประจำตัวประชาชน" in message


def test_repeated_and_unnamed_headers_keep_every_cell_in_raw():
    data = csv_bytes("เลขประจำตัวประชาชน,ชื่อ,ตำบล,อำเภอ,ชื่อ,", f"{ID_A},สมชาย,ในเมือง,เมือง,มาลี,x")
    report = read(data)
    assert report.mapping.unknown == ("ชื่อ",)
    [row] = report.rows
    assert row.first_name == "สมชาย"
    assert row.raw == {"เลขประจำตัวประชาชน": ID_A, "ชื่อ": "สมชาย", "ตำบล": "ในเมือง", "อำเภอ": "เมือง",
                       "คอลัมน์ 5 ชื่อ": "มาลี", "คอลัมน์ 6": "x"}


# --------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------

def test_broken_list_rejects_exactly_the_spoiled_rows():
    broken = broken_list(40, seed=8, today=TODAY)
    for data, name in ((to_csv(broken.table), "b.csv"), (to_xlsx(broken.table), "b.xlsx")):
        report = read(data, name)
        assert report.mapping.header_row == broken.header_row
        assert report.rows == broken.valid
        assert {e.row: e.reason for e in report.errors} == broken.rejected
        assert report.rows_read == 40 and report.rejected == len(broken.rejected)


def test_duplicate_id_keeps_the_first_row_and_names_it():
    data = csv_bytes(HEADER, f"{ID_A},ด.ช.,สมชาย,ใจดี,1/1/2555,1,ในเมือง,เมือง,ขอนแก่น",
                     f"{ID_A},ด.ช.,สมชัย,ใจดี,2/1/2555,1,ในเมือง,เมือง,ขอนแก่น")
    report = read(data)
    assert [r.first_name for r in report.rows] == ["สมชาย"]
    [error] = report.errors
    assert (error.row, error.reason, error.column) == (3, "duplicate", "เลขประจำตัวประชาชน")
    assert "แถวที่ 2" in error.message and ID_A not in error.value


def test_a_rejected_row_does_not_hide_a_later_valid_one_with_the_same_id():
    data = csv_bytes(HEADER, f"{ID_A},ด.ช.,สมชาย,ใจดี,31/2/2555,1,ในเมือง,เมือง,ขอนแก่น",
                     f"{ID_A},ด.ช.,สมชาย,ใจดี,1/2/2555,1,ในเมือง,เมือง,ขอนแก่น")
    report = read(data)
    assert [r.row for r in report.rows] == [3] and [e.reason for e in report.errors] == ["birth_date"]


@pytest.mark.parametrize("typed, fragment", [
    ("1103702071839", "ไม่ตรงกับเลขตรวจสอบ"),
    ("11037020718", "13 หลัก"),
    ("9103702071838", "ขึ้นต้นด้วย 9"),
    ("1.10370207183E+12", "E+"),
])
def test_bad_ids_are_rejected_and_never_shown_in_full(typed, fragment):
    report = read(one_row(national_id=typed))
    [error] = report.errors
    assert report.rows == [] and error.reason == "national_id" and fragment in error.message
    for shown in (error.message, error.value, report.as_text(), report.as_csv().decode("utf-8-sig")):
        assert not re.search(r"\d{5}", shown.replace("-", "")), shown


@pytest.mark.parametrize("typed, fragment", [
    ("1/1/2570", "ยังมาไม่ถึง"), ("31/02/2555", "ไม่มีวันที่ 31"), ("15/13/2555", "ไม่มีเดือนที่ 13"),
    ("เมื่อวาน", "ไม่เข้าใจวันที่"),
])
def test_bad_birth_dates_are_rejected(typed, fragment):
    report = read(one_row(birth_date=typed))
    [error] = report.errors
    assert report.rows == [] and error.reason == "birth_date" and fragment in error.message
    assert error.value == typed and error.column == "วันเดือนปีเกิด"


def test_thai_digits_and_ce_years_are_understood():
    [row] = read(one_row(national_id=ID_A.translate(THAI), birth_date="๑๕/๐๓/๒๕๕๕", moo="๓")).rows
    assert (row.national_id, row.birth_date, row.moo) == (ID_A, date(2012, 3, 15), 3)
    for typed in ("2012-03-15", "2012-03-15 00:00:00", "2555-03-15T00:00"):
        assert read(one_row(birth_date=typed)).rows[0].birth_date == date(2012, 3, 15)


@pytest.mark.parametrize("title, sex", [("ด.ช.", "male"), ("เด็กชาย", "male"), ("ดญ", "female"),
                                        ("นางสาว", "female"), ("น.ส.", "female"), ("นาย", "male")])
def test_sex_follows_the_title(title, sex):
    [row] = read(one_row(title=title)).rows
    assert row.sex == sex and row.title == TITLES[header_key(title)][0]


def test_sex_column_wins_over_a_contradicting_title_with_a_warning():
    report = read(one_row(title="ด.ช.", sex="หญิง"))
    [row] = report.rows
    [warning] = report.errors
    assert row.sex == "female" and warning.level == "warning" and warning.reason == "sex"
    report = read(one_row(title="ด.ช.", sex="ไม่ทราบ"))
    assert report.rows[0].sex == "male" and report.errors[0].reason == "sex"


def test_title_typed_into_the_name_is_split_off():
    data = csv_bytes("เลขประจำตัวประชาชน,ชื่อ,นามสกุล,ตำบล,อำเภอ", f"{ID_A},ด.ญ.สมหญิง,ใจดี,ในเมือง,เมือง",
                     f"{ID_B},เด็กชาย สมชาย,ใจดี,ในเมือง,เมือง")
    rows = read(data).rows
    assert [(r.title, r.first_name, r.last_name, r.sex) for r in rows] == [
        ("ด.ญ.", "สมหญิง", "ใจดี", "female"), ("ด.ช.", "สมชาย", "ใจดี", "male")]


def test_every_title_of_the_table_is_read_from_the_title_column_and_from_the_name():
    for title in THAI_TITLES:
        for written in {title.full, title.abbreviation}:
            [row] = read(one_row(title=written)).rows
            assert (row.title, row.sex) == (title.listed, title.sex), written
        data = csv_bytes("เลขประจำตัวประชาชน,ชื่อ,นามสกุล,ตำบล,อำเภอ", f"{ID_A},{title.abbreviation}สมชาย,ใจดี,ในเมือง,เมือง")
        [row] = read(data).rows
        assert (row.title, row.first_name, row.sex) == (title.listed, "สมชาย", title.sex)


def test_full_name_column_with_title_and_spaces():
    data = csv_bytes("ชื่อ - สกุล,ตำบล,อำเภอ", "ด.ช.  สมชาย   ใจดี,ในเมือง,เมือง", "นาย สมศักดิ์ ณ ขอนแก่น,สำราญ,เมือง")
    rows = read(data).rows
    assert [(r.title, r.first_name, r.last_name) for r in rows] == [
        ("ด.ช.", "สมชาย", "ใจดี"), ("นาย", "สมศักดิ์", "ณ ขอนแก่น")]
    assert all(r.national_id is None for r in rows)


@pytest.mark.parametrize("typed, moo", [("5", 5), ("หมู่ 5", 5), ("ม.5", 5), ("หมู่ที่ ๕", 5), ("05", 5),
                                        ("0", None), ("-", None), ("", None)])
def test_moo_as_an_integer(typed, moo):
    report = read(one_row(moo=typed))
    assert report.rows[0].moo == moo and report.errors == []


def test_moo_that_is_not_a_number_is_a_warning():
    report = read(one_row(moo="บ้านโนนทัน"))
    assert report.rows[0].moo is None and [(e.reason, e.level) for e in report.errors] == [("moo", "warning")]


def test_row_without_id_or_name_is_rejected_but_blank_and_repeated_header_rows_are_skipped():
    data = csv_bytes(HEADER, ",,,,,,,,", ",,,,1/1/2555,1,ในเมือง,เมือง,ขอนแก่น", HEADER, f"{ID_A},,,,,,ในเมือง,เมือง,",
                     ",ด.ช.,,,,บน,ในเมือง,เมือง,")
    report = read(data)
    assert report.rows_read == 3 and [r.row for r in report.rows] == [5]
    assert [(e.row, e.reason) for e in report.errors] == [(3, "no_identity"), (5, "no_name"), (6, "moo"),
                                                          (6, "no_identity")]


def test_a_row_with_an_id_but_no_name_is_imported_with_a_warning_naming_its_row():
    """Nobody can go and look for a child without a name: the row is kept (the ID says who it is), and
    whoever sent the list is told which row to complete."""
    data = csv_bytes(HEADER, f"{ID_A},ด.ช.,สมชาย,ใจดี,1/1/2555,1,ในเมือง,เมือง,ขอนแก่น",
                     f"{ID_B},,,,1/1/2556,2,ในเมือง,เมือง,ขอนแก่น")
    report = read(data)
    assert [r.national_id for r in report.rows] == [ID_A, ID_B] and report.rejected == 0
    [warning] = report.errors
    assert (warning.row, warning.column, warning.reason, warning.level) == (3, "ชื่อ", "no_name", "warning")
    summary = report.as_text()
    assert "คำเตือน (ยังนำเข้าได้):\n- มีเลขประจำตัวแต่ไม่มีชื่อ 1 แถว" in summary
    assert "แถว 3 ชื่อ: มีเลขประจำตัวแต่ไม่มีชื่อ" in summary
    assert "\n3,คำเตือน,มีเลขประจำตัวแต่ไม่มีชื่อ,ชื่อ," in report.as_csv().decode("utf-8-sig")


# --------------------------------------------------------------------------
# Whole-file failures
# --------------------------------------------------------------------------

def test_empty_file():
    assert "ว่างเปล่า" in file_error(b"")


def test_empty_sheet():
    book = Workbook()
    out = io.BytesIO()
    book.save(out)
    assert "ไม่พบแถวหัวตาราง" in file_error(out.getvalue(), "empty.xlsx")


def test_header_without_data_rows():
    assert "มีแต่หัวตาราง" in file_error(csv_bytes(HEADER, ",,,,,,,,", ""))


def test_oversized_file_is_refused_before_reading():
    assert MAX_FILE_BYTES == 50 * 1024 * 1024
    message = file_error(one_row() + b" " * 2000, max_bytes=1000)
    assert "เกินขนาดที่รับได้" in message and "แบ่งไฟล์" in message


def test_too_many_rows():
    assert "เกิน 5 แถว" in file_error(to_csv(list_table(generate_list(6, today=TODAY))), max_rows=5)


def zip_of(parts: dict[str, str], base: bytes | None = None) -> bytes:
    """A zip with ``parts``, over the parts of the workbook ``base``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        if base:
            with zipfile.ZipFile(io.BytesIO(base)) as original:
                for name in set(original.namelist()) - set(parts):
                    archive.writestr(name, original.read(name))
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()


@pytest.mark.parametrize("data, name, fragment", [
    (b"\xff\xfe\x00" + bytes(range(256)) * 4, "x.csv", ""),
    (bytes(range(128, 256)) * 10, "x.csv", "TIS-620"),
    (b"PK\x03\x04 not really a zip", "x.xlsx", "อ่านไฟล์ Excel"),
    (zip_of({"hello.txt": "not a workbook"}), "x.xlsx", "อ่านไฟล์ Excel"),
    (zip_of({"xl/styles.xml": "<styleSheet/>"}, base=to_excel_xlsx([["ชื่อ", "ตำบล"]])), "x.xlsx", "อ่านไฟล์ Excel"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "x.xls", ".xls"),
])
def test_unreadable_files(data, name, fragment):
    assert fragment in file_error(data, name)


@settings(max_examples=60)
@given(st.binary(max_size=400), st.sampled_from([b"", b"PK\x03\x04", b"\xef\xbb\xbf"]))
def test_arbitrary_bytes_give_a_report_or_a_thai_file_error(data, prefix):
    try:
        read(prefix + data)
    except ListFileError as exc:
        assert re.search("[ก-๙]", exc.message)


# --------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------

def test_as_text_summarises_by_reason():
    broken = broken_list(40, seed=9, today=TODAY)
    text = read(to_csv(broken.table), "รายชื่อ.csv").as_text()
    assert text.startswith("ไฟล์ รายชื่อ.csv (หัวตารางแถวที่ 3)\nอ่านได้ 40 แถว: นำเข้าได้ 34 แถว, ไม่ผ่าน 6 แถว")
    assert f"- {REASONS['national_id']} 2 แถว" in text and f"- {REASONS['duplicate']} 1 แถว" in text
    assert re.search(r"^แถว \d+ วันเดือนปีเกิด: ", text, re.MULTILINE)


def test_as_text_fits_line_with_thousands_of_errors():
    rows = generate_list(3000, seed=10, today=TODAY)
    table = list_table(rows)
    for line in table[1:]:
        line[5] = "31/02/2555"
    report = read(to_csv(table))
    text = report.as_text(max_errors=3000)
    assert len(text.encode("utf-16-le")) // 2 <= 5000
    assert text.endswith("รายการ ดูทั้งหมดในไฟล์รายงาน") and "…และอีก" in text
    assert len(read(to_csv(table)).as_text(max_errors=5).splitlines()) < 20
    long_name = replace(report, filename="ก" * 6000).as_text()
    assert len(long_name) == 5000 and long_name.endswith("…")


def test_as_csv_has_every_problem_with_a_bom_and_no_formulas():
    data = csv_bytes(HEADER, f"{ID_A},ด.ช.,สมชาย,ใจดี,=HYPERLINK(\"http://x\"),1,ในเมือง,เมือง,ขอนแก่น",
                     f"{ID_B},ด.ช.,สมชาย,ใจดี,+1/1/2555,1,ในเมือง,เมือง,ขอนแก่น",
                     f"{ID_C},ด.ช.,สมชาย,ใจดี,@SUM(A1),1,ในเมือง,เมือง,ขอนแก่น",
                     ",ด.ช.,สมชาย,ใจดี,-2+3,1,ในเมือง,เมือง,ขอนแก่น")
    report = read(data)
    out = report.as_csv()
    assert out.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(out.decode("utf-8-sig"))))
    assert lines[0] == ["แถว", "ระดับ", "สาเหตุ", "คอลัมน์", "รายละเอียด", "ค่าในไฟล์"]
    assert len(lines) == 1 + len(report.errors) == 5
    assert [line[5] for line in lines[1:]] == ["'=HYPERLINK(\"http://x\")", "'+1/1/2555", "'@SUM(A1)", "'-2+3"]
    assert all(cell[:1] not in {"=", "+", "-", "@"} for line in lines for cell in line)


# --------------------------------------------------------------------------
# Areas
# --------------------------------------------------------------------------

def test_sample_areas_are_the_test_fixture_tree():
    assert SAMPLE_AREAS == {code: name for code, _, name, _ in AREA_TREE}


@pytest.mark.parametrize("address, code", [
    (("ขอนแก่น", "เมืองขอนแก่น", "ในเมือง", 1), "40010101"),
    (("จ.ขอนแก่น", "อ.เมืองขอนแก่น", "ต.ในเมือง", 1), "40010101"),
    (("จังหวัด ขอนแก่น", "อำเภอเมือง", "ตำบลสำราญ", 2), "40010202"),
    (("ขอนแก่น", "เมือง", "สำราญ", None), "400102"),
    ((None, None, "สำราญ", 1), "40010201"),  # no province column: the name is unique
    (("ขอนแก่น", "บ้านฝาง", "บ้านฝาง", 1), "40020101"),
])
def test_addresses_resolve_with_prefixes_and_spacing(address, code):
    assert AREAS.resolve(*address) == (code, None)


@pytest.mark.parametrize("address, code, fragment", [
    (("ขอนแก่น", "เมืองขอนแก่น", "ศิลา", 1), "4001", "ไม่พบตำบล “ศิลา” ในอำเภอเมืองขอนแก่น จึงจัดไว้ที่อำเภอเมืองขอนแก่น"),
    (("ขอนแก่น", "เมืองขอนแก่น", "สำราญ", 7), "400102", "ไม่พบหมู่ที่ 7"),
    (("ขอนแก่น", "ชุมแพ", "ชุมแพ", 1), "40", "ไม่พบอำเภอ “ชุมแพ” ในจังหวัดขอนแก่น"),
    (("อุดรธานี", "เมืองอุดรธานี", "หมากแข้ง", 1), None, "ยังไม่ได้จัดเข้าพื้นที่ใด"),
    (("ขอนแก่น", "บ้านฝาง", None, 1), "4002", "ไม่ครบถึงตำบล"),
    ((None, None, None, None), None, "ไม่ครบถึงตำบล"),
])
def test_unresolved_addresses_fall_back_to_the_nearest_area(address, code, fragment):
    found, problem = AREAS.resolve(*address)
    assert found == code and fragment in problem


def test_name_shared_by_two_districts_needs_the_parent():
    areas = AreaIndex({**SAMPLE_AREAS, "4003": "หนองเรือ", "400301": "ในเมือง"})
    code, problem = areas.resolve(None, None, "ในเมือง", None)
    assert code is None and "ซ้ำกันหลายแห่ง" in problem
    assert areas.resolve(None, "หนองเรือ", "ในเมือง", None) == ("400301", None)


def test_assign_areas_warns_but_keeps_rows():
    rows = read(csv_bytes(HEADER, f"{ID_A},ด.ช.,สมชาย,ใจดี,1/1/2555,9,สำราญ,เมือง,ขอนแก่น",
                          f"{ID_B},ด.ช.,สมชาย,ใจดี,1/1/2555,2,สำราญ,เมือง,ขอนแก่น")).rows
    placed, warnings = assign_areas(rows, AREAS)
    assert [r.area_code for r in placed] == ["400102", "40010202"]
    [warning] = warnings
    assert (warning.row, warning.level, warning.reason) == (2, "warning", "area")
    assert warning.value == "หมู่ 9 ต.สำราญ อ.เมือง จ.ขอนแก่น"
    report = read(csv_bytes(HEADER, f"{ID_A},ด.ช.,สมชาย,ใจดี,1/1/2555,9,สำราญ,เมือง,ขอนแก่น"), areas=AREAS)
    assert len(report.rows) == 1 and report.rejected == 0 and report.errors == [warning]
    assert "คำเตือน (ยังนำเข้าได้):" in report.as_text()


# --------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------

def test_generated_list_is_realistic_and_deterministic():
    rows = generate_list(2000, seed=11, today=TODAY)
    assert rows == generate_list(2000, seed=11, today=TODAY) != generate_list(2000, seed=12, today=TODAY)
    ids = [r.national_id for r in rows]
    assert len(set(ids)) == len(ids) and all(national_id_checksum_ok(i) and i[0] in "12345678" for i in ids)
    assert sum(i[0] == "1" for i in ids) > len(ids) * 0.7
    for r in rows:
        age = TODAY.year - r.birth_date.year - ((TODAY.month, TODAY.day) < (r.birth_date.month, r.birth_date.day))
        assert 3 <= age <= 18
        assert TITLES[header_key(r.title)][1] == r.sex and (r.title in ("ด.ช.", "ด.ญ.")) == (age < 15)
        assert r.area_code in SAMPLE_AREAS and r.moo == int(r.area_code[6:])
    assert 0.55 < sum(r.group is not None for r in rows) / len(rows) < 0.65
    assert len({(r.first_name, r.last_name) for r in rows}) > 300


def test_25k_round_trip_every_row_valid_and_placed():
    rows = generate_list(25_000, seed=13, today=TODAY)
    report = read(to_csv(list_table(rows)), areas=AREAS)
    assert report.rows_read == 25_000 and report.errors == []
    assert report.rows == rows


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------

# No whitespace (the reader collapses it), no Thai digits (it reads them as ASCII), no dash (empty cell)
# and no า/เ, so that no name starts like a title.
WORD = st.text(alphabet="กขคงจฉชซญดตถทนบปผพฟมยรลวศสหอฮะิีึืุู่้๊๋์", min_size=1, max_size=10)
TEXT = st.lists(st.text(alphabet="กขคงจดตนบปมยรลวสอะิีุู่้0123456789./", min_size=1, max_size=8),
                min_size=1, max_size=3).map(" ".join).filter(lambda t: t not in ("-",))
OPTIONAL = st.none() | TEXT
GRADE = st.none() | TEXT.filter(lambda t: len(t) <= 16)  # Case.grade; longer cells are refused


@st.composite
def national_ids(draw):
    first12 = draw(st.sampled_from("012345678")) + draw(st.text(alphabet="0123456789", min_size=11, max_size=11))
    return next(first12 + d for d in "0123456789" if national_id_checksum_ok(first12 + d))


@st.composite
def list_rows(draw, number: int):
    title = draw(st.sampled_from([None, "ด.ช.", "ด.ญ.", "นาย", "นางสาว", "นาง"]))
    sex = TITLES[header_key(title)][1] if title else draw(st.sampled_from([None, "male", "female"]))
    return ListRow(
        row=number, national_id=draw(st.none() | national_ids()), title=title,
        first_name=draw(WORD), last_name=draw(st.none() | WORD), sex=sex,
        birth_date=draw(st.none() | st.dates(date(1950, 1, 1), TODAY)),
        grade=draw(GRADE), previous_school=draw(OPTIONAL), house_no=draw(OPTIONAL),
        moo=draw(st.none() | st.integers(1, 99)), subdistrict=draw(OPTIONAL), district=draw(OPTIONAL),
        province=draw(OPTIONAL), affiliation=draw(OPTIONAL), group=draw(OPTIONAL),
    )


@st.composite
def lists(draw):
    rows = [draw(list_rows(number)) for number in range(2, 2 + draw(st.integers(1, 6)))]
    ids = [r.national_id for r in rows if r.national_id]
    return rows if len(ids) == len(set(ids)) else rows[:1]


WRITERS = {
    "csv utf-8-sig": lambda t: (to_csv(t), "l.csv"),
    "csv cp874": lambda t: (to_csv(t, "cp874"), "l.csv"),
    "xlsx": lambda t: (to_xlsx(t), "l.xlsx"),
    "xlsx as Excel saves it": lambda t: (to_excel_xlsx(t), "l.xlsx"),
}


@settings(max_examples=80)
@given(lists(), st.sampled_from(sorted(WRITERS)), st.sampled_from(["text", "date", "be_date"]))
def test_any_rows_written_and_read_back_are_equal(rows, writer, dates):
    report = read(*WRITERS[writer](list_table(rows, dates=dates)))
    assert report.errors == [] and report.rows == rows


@settings(max_examples=40)
@given(lists(), st.sampled_from(sorted(WRITERS)))
def test_thai_digits_read_the_same_as_ascii(rows, writer):
    ascii_report = read(*WRITERS[writer](list_table(rows)))
    thai_report = read(*WRITERS[writer](list_table(rows, thai_digits=True)))
    assert thai_report.rows == ascii_report.rows == rows and thai_report.errors == []


@settings(max_examples=30)
@given(st.integers(0, 10_000), st.sampled_from(["text", "be_date"]))
def test_generated_lists_read_back_equal(seed, dates):
    rows = generate_list(30, seed=seed, today=TODAY)
    assert read(to_xlsx(list_table(rows, dates=dates)), "l.xlsx", areas=AREAS).rows == rows


def test_birth_date_writer_covers_29_february():
    leap = replace(generate_list(1, today=TODAY)[0], birth_date=date(2012, 2, 29))
    assert list_table([leap], dates="be_date")[1][5] == f"29/02/{2012 + BE_OFFSET}"
    assert read(to_xlsx(list_table([leap], dates="be_date")), "l.xlsx").rows == [replace(leap, area_code=None)]
