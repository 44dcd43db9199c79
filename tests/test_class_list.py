"""Tests for domain.official_list.class_list: a school's class list with each student's screening group,
read by the same table reader as the official list."""
from __future__ import annotations

import csv
import io
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from devtools.synthetic import to_csv, to_excel_xlsx
from domain.official_list.class_list import CLASS_COLUMNS, CLASS_REASONS, ClassRow, read_class_list
from domain.official_list.list_columns import header_key
from domain.official_list.list_report import ListFileError
from domain.thai_ids import national_id_checksum_ok

# Valid IDs (check digits computed by hand in tests/test_thai.py).
ID_A, ID_B, ID_C = "1103702071838", "1234567890121", "3100601234565"
THAI = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")

HEADER = ["ที่", "เลขประจำตัวประชาชน", "คำนำหน้า", "ชื่อ", "นามสกุล", "ชั้น", "ห้อง", "ผลการคัดกรอง",
          "ปัจจัยเสี่ยง", "หมายเหตุ"]
LINES = [
    [1, ID_A, "ด.ช.", "สมชาย", "ใจดี", "ป.5", 1, "กลุ่มเสี่ยง", "ขาดเรียนบ่อย, ครอบครัวยากจน", ""],
    [2, ID_B, "ด.ญ.", "สมหญิง", "รักเรียน", "ป.5", 1, "ปกติ", "", ""],
    [3, "", "เด็กชาย", "มานะ", "อดทน", "ป.5", 2, "กลุ่มมีปัญหา", "ย้ายตามผู้ปกครอง", "ผู้ปกครองไปทำงานต่างจังหวัด"],
    [4, ID_C, "นางสาว", "ชูใจ", "เลิศล้ำ", "ม.2", 3, "2", "ตั้งครรภ์", ""],
]
ROWS = [
    ClassRow(3, "ด.ช.", "สมชาย", "ใจดี", "male", ID_A, "ป.5/1", "at_risk", "ขาดเรียนบ่อย, ครอบครัวยากจน", None),
    ClassRow(4, "ด.ญ.", "สมหญิง", "รักเรียน", "female", ID_B, "ป.5/1", "normal", None, None),
    ClassRow(5, "ด.ช.", "มานะ", "อดทน", "male", None, "ป.5/2", "problem", "ย้ายตามผู้ปกครอง",
             "ผู้ปกครองไปทำงานต่างจังหวัด"),
    ClassRow(6, "นางสาว", "ชูใจ", "เลิศล้ำ", "female", ID_C, "ม.2/3", "at_risk", "ตั้งครรภ์", None),
]
TITLE = ["รายชื่อนักเรียนจากการคัดกรอง ระบบการดูแลช่วยเหลือนักเรียน ปีการศึกษา 2569"]


def table(*lines: list, header: list[str] = HEADER) -> list[list]:
    """A sheet as schools send it: a title row, then the header, then the students."""
    return [TITLE, header, *lines]


def as_csv(lines: list[list], encoding: str = "utf-8") -> bytes:
    return to_csv([[str(cell) for cell in line] for line in lines], encoding=encoding)


def file_error(data: bytes, filename: str = "ห้องเรียน.csv", **kwargs) -> str:
    with pytest.raises(ListFileError) as info:
        read_class_list(data, filename, **kwargs)
    return info.value.message


def one_row(**cells) -> list:
    """The first student's cells, overridden by header.  Python reads a keyword in NFKC, which spells
    sara am (ำ) as two characters, so the headers are compared that way."""
    values = {unicodedata.normalize("NFKC", header): cell for header, cell in zip(HEADER, LINES[0])}
    assert set(cells) <= set(values)
    values.update(cells)
    return list(values.values())


def problems(*lines: list, header: list[str] = HEADER) -> list[tuple[int, str | None, str]]:
    report = read_class_list(as_csv(table(*lines, header=header)), "x.csv")
    return [(e.row, e.column, e.reason) for e in report.errors]


# --------------------------------------------------------------------------
# Formats and encodings
# --------------------------------------------------------------------------

@pytest.mark.parametrize("encoding, detected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                                ("cp874", "cp874"), ("utf-16", "utf-16")])
def test_csv_in_every_thai_encoding_reads_the_same(encoding, detected):
    report = read_class_list(as_csv(table(*LINES), encoding), "ป5.csv")
    assert (report.file_format, report.encoding) == ("csv", detected)
    assert report.errors == [] and report.rows == ROWS and report.rows_read == 4
    assert report.mapping.header_row == 2 and report.mapping.sheet is None


def test_xlsx_built_with_openpyxl_with_number_cells_and_a_title_row():
    book = Workbook()
    sheet = book.active
    sheet.title = "ป.5"
    sheet.append(TITLE)
    sheet.append([])
    sheet.append(HEADER)
    for line in LINES:
        # IDs and rooms typed into number cells, as Excel keeps them.
        sheet.append([int(c) if i in (1, 6) and c else c for i, c in enumerate(line)])
    out = io.BytesIO()
    book.save(out)
    report = read_class_list(out.getvalue(), "ห้องเรียน.xlsx")
    assert (report.file_format, report.encoding, report.mapping.sheet, report.mapping.header_row) == (
        "xlsx", None, "ป.5", 3)
    assert report.errors == []
    assert report.rows == [ClassRow(**{**vars_of(r), "row": r.row + 1}) for r in ROWS]


def vars_of(row: ClassRow) -> dict:
    return {name: getattr(row, name) for name in ClassRow.__slots__}


def test_xlsx_as_excel_saves_it_and_an_id_that_lost_its_leading_zero():
    zero_id = next(f"0{n}" for n in range(101234567890, 101234567900) if national_id_checksum_ok(f"0{n}"))
    report = read_class_list(to_excel_xlsx(table(one_row(เลขประจำตัวประชาชน=int(zero_id)))), "x.xlsx")
    assert [row.national_id for row in report.rows] == [zero_id]


def test_old_excel_files_are_refused():
    assert ".xls" in file_error(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "ห้องเรียน.xls")


def test_thai_digits_everywhere_read_as_ascii():
    lines = [[str(cell).translate(THAI) for cell in line] for line in LINES]
    assert read_class_list(as_csv(table(*lines)), "x.csv").rows == ROWS


# --------------------------------------------------------------------------
# Columns
# --------------------------------------------------------------------------

def test_alias_table_gives_every_header_one_field():
    seen: dict[str, str] = {}
    for field, aliases in CLASS_COLUMNS.items():
        for alias in aliases:
            assert seen.setdefault(header_key(alias), field) == field, alias
    assert "เลขประจำตัว" not in CLASS_COLUMNS["national_id"]


@pytest.mark.parametrize("header, field", [
    ("ชั้น/ห้อง", "class_name"), ("ระดับชั้น", "class_name"), ("ชั้นเรียน", "class_name"), ("ห้อง", "room"),
    ("กลุ่ม", "group"), ("การคัดกรอง", "group"), ("กลุ่มนักเรียน", "group"), ("สถานะ", "group"),
    ("ความเสี่ยง", "risk_text"), ("ด้านที่เสี่ยง", "risk_text"), ("หมายเหตุ/ปัจจัยเสี่ยง", "risk_text"),
    ("หมายเหตุ", "note"), ("ชื่อ - นามสกุล", "full_name"), ("ชื่อ-สกุล", "full_name"),
    ("เลขบัตรประชาชน", "national_id"),
])
def test_header_aliases(header, field):
    headers = {"first_name": "ชื่อ", "class_name": "ชั้น", "group": "กลุ่ม", field: header}
    report = read_class_list(as_csv([list(headers.values()), ["สมชาย", "ป.5/1", "ปกติ", "2"][:len(headers)]]), "x.csv")
    assert report.mapping.columns[field] == header


def test_one_class_column_with_room_and_a_full_name_column():
    lines = [["ลำดับ", "ชื่อ-สกุล", "ชั้น/ห้อง", "กลุ่ม", "เลขที่", "เลขประจำตัว"],
             ["1", "ด.ญ. สมหญิง รักเรียน", "ประถมศึกษาปีที่ 5/1", "กลุ่มเสี่ยง", "12", "4521"],
             ["2", "ด.ช.มานะ อดทน", "ป 5/2", "มีปัญหา", "3", "4522"]]
    report = read_class_list(as_csv(lines), "x.csv")
    assert [(r.title, r.first_name, r.last_name, r.sex, r.class_name, r.group) for r in report.rows] == [
        ("ด.ญ.", "สมหญิง", "รักเรียน", "female", "ป.5/1", "at_risk"),
        ("ด.ช.", "มานะ", "อดทน", "male", "ป.5/2", "problem")]
    # The student number is not taken for the national ID, and the running numbers are not reported.
    assert report.mapping.unknown == ("เลขประจำตัว",) and report.errors == []


def test_a_room_column_alone_holds_the_whole_class():
    lines = [["ชื่อ", "นามสกุล", "ห้อง", "กลุ่ม"], ["สมชาย", "ใจดี", "ม.1/4", "ปกติ"], ["มานะ", "อดทน", "4", "ปกติ"]]
    report = read_class_list(as_csv(lines), "x.csv")
    assert [r.class_name for r in report.rows] == ["ม.1/4"]
    assert [(e.row, e.column, e.reason) for e in report.errors] == [(3, "ห้อง", "class_name")]
    assert "ไม่ได้บอกระดับ" in report.errors[0].message


def test_class_and_room_columns_are_joined_and_must_agree():
    lines = [one_row(ชั้น="ป.5/1", ห้อง="1"), one_row(ชั้น="ป.5/1", ห้อง="2", ชื่อ="ก", เลขประจำตัวประชาชน=""),
             one_row(ชั้น="ป.6", ห้อง="ห้อง 3", ชื่อ="ข", เลขประจำตัวประชาชน=""),
             one_row(ชั้น="ป.5", ห้อง="", ชื่อ="ค", เลขประจำตัวประชาชน="")]
    report = read_class_list(as_csv(table(*lines)), "x.csv")
    assert [r.class_name for r in report.rows] == ["ป.5/1", "ป.6/3", "ป.5"]
    [error] = report.errors
    assert (error.row, error.column, error.reason) == (4, "ห้อง", "class_name")
    assert "ไม่ตรงกับชั้น ป.5/1" in error.message


@pytest.mark.parametrize("header, lacking", [
    (["ชื่อ", "นามสกุล", "ชั้น"], "กลุ่ม"),
    (["ชื่อ", "นามสกุล", "กลุ่ม"], "ชั้น หรือ ห้อง"),
    (["เลขประจำตัวประชาชน", "ชั้น", "กลุ่ม"], "ชื่อ หรือ ชื่อ-สกุล"),
])
def test_a_file_without_name_class_or_group_columns_is_refused_naming_them(header, lacking):
    message = file_error(as_csv([TITLE, header, ["x"] * len(header)]))
    assert "ไม่มีคอลัมน์ที่จำเป็น" in message and lacking in message and "หัวตารางแถวที่ 2" in message


def test_no_header_row_names_the_columns_expected():
    message = file_error(as_csv([["สวัสดี"], ["ป.5/1"]]))
    assert "ไม่พบแถวหัวตาราง" in message and all(h in message for h in ("ชื่อ", "ชั้น", "กลุ่ม", "ปัจจัยเสี่ยง"))


def test_whole_file_failures_speak_of_students_and_classes():
    assert "ว่างเปล่า" in file_error(b"")
    assert "ไม่มีรายชื่อนักเรียน" in file_error(as_csv(table()))
    assert "แยกตามชั้น" in file_error(as_csv(table(*LINES)), max_bytes=100)
    assert "เกิน 3 แถว" in file_error(as_csv(table(*LINES)), max_rows=3)


@settings(max_examples=60)
@given(st.binary(max_size=400), st.sampled_from([b"", b"PK\x03\x04", b"\xef\xbb\xbf"]))
def test_arbitrary_bytes_give_a_report_or_a_thai_file_error(data, prefix):
    try:
        read_class_list(prefix + data, "x.csv")
    except ListFileError as exc:
        assert re.search("[ก-๙]", exc.message)


# --------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------

def test_bad_rows_are_rejected_naming_the_column():
    assert problems(one_row(ชั้น="ปวช.1"), one_row(ผลการคัดกรอง="เสี่ยงสูง"), one_row(ผลการคัดกรอง=""),
                    one_row(ชั้น=""), one_row(ชื่อ="", นามสกุล=""), one_row(เลขประจำตัวประชาชน="1103702071839"),
                    one_row(ชื่อ="ก" * 101)) == [
        (3, "ชั้น", "class_name"), (4, "ผลการคัดกรอง", "group"), (5, "ผลการคัดกรอง", "group"),
        (6, "ชั้น", "class_name"), (7, "ชื่อ", "no_name"), (8, "เลขประจำตัวประชาชน", "national_id"),
        (9, "ชื่อ", "too_long")]


def test_a_bad_id_is_masked_in_the_report():
    report = read_class_list(as_csv(table(one_row(เลขประจำตัวประชาชน="1103702071839"))), "x.csv")
    [error] = report.errors
    assert error.value == "1XXXXXXXXXXX9" and "1103702071839" not in report.as_text()


def test_sex_follows_the_title_and_the_sex_column_wins_with_a_warning():
    header = [*HEADER, "เพศ"]
    report = read_class_list(as_csv(table(LINES[0] + ["หญิง"], LINES[1] + [""], header=header)), "x.csv")
    assert [r.sex for r in report.rows] == ["female", "female"]
    assert [(e.row, e.column, e.reason, e.level) for e in report.errors] == [(3, "เพศ", "sex", "warning")]


def test_duplicate_id_is_rejected_naming_the_first_row_even_in_another_class():
    report = read_class_list(as_csv(table(*LINES, one_row(ชั้น="ป.6", ชื่อ="สมชัย"))), "x.csv")
    assert report.rows == ROWS
    [error] = report.errors
    assert (error.row, error.reason, error.column) == (7, "duplicate_id", "เลขประจำตัวประชาชน")
    assert "แถวที่ 3" in error.message and error.value == "1XXXXXXXXXXX8"


def test_duplicate_name_in_one_class_is_rejected_unless_different_ids_tell_them_apart():
    again = one_row(เลขประจำตัวประชาชน="", ผลการคัดกรอง="ปกติ")
    twin_id = next(f"1{n}" for n in range(101234567890, 101234567900) if national_id_checksum_ok(f"1{n}"))
    report = read_class_list(as_csv(table(
        LINES[0],
        again,  # same name and class, no ID: the same student
        one_row(ห้อง=2, เลขประจำตัวประชาชน=""),  # same name, another room: another student
        one_row(เลขประจำตัวประชาชน=twin_id),  # same name and class, another ID: another student
    )), "x.csv")
    assert [r.row for r in report.rows] == [3, 5, 6]
    [error] = report.errors
    assert (error.row, error.reason, error.column) == (4, "duplicate_name", "ชื่อ")
    assert "แถวที่ 3" in error.message and "ป.5/1" in error.message


def test_a_rejected_row_does_not_hide_a_later_valid_one():
    report = read_class_list(as_csv(table(one_row(ผลการคัดกรอง="?"), LINES[0])), "x.csv")
    assert [r.row for r in report.rows] == [4] and [e.row for e in report.errors] == [3]


def test_blank_and_repeated_header_rows_are_skipped():
    report = read_class_list(as_csv(table(LINES[0], [""] * len(HEADER), HEADER, LINES[1])), "x.csv")
    assert [r.first_name for r in report.rows] == ["สมชาย", "สมหญิง"] and report.rows_read == 2


# --------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------

def test_as_text_counts_each_class_by_group_in_school_order():
    lines = [*LINES, one_row(เลขประจำตัวประชาชน="", ชื่อ="น้อย", ชั้น="อนุบาล 2", ห้อง="", ผลการคัดกรอง="ปกติ"),
             one_row(ชั้น="ม.ต้น", ชื่อ="ใหม่", เลขประจำตัวประชาชน="")]
    report = read_class_list(as_csv(table(*lines)), "ชั้น.csv")
    assert list(report.by_class()) == ["อ.2", "ป.5/1", "ป.5/2", "ม.2/3"]
    text = report.as_text()
    assert text.splitlines()[:7] == [
        "ไฟล์ ชั้น.csv (หัวตารางแถวที่ 2)",
        "อ่านได้ 6 แถว: นำเข้าได้ 5 คน, ไม่ผ่าน 1 แถว",
        "รวม: ปกติ 2, กลุ่มเสี่ยง 2, กลุ่มมีปัญหา 1",
        "- อ.2 1 คน: ปกติ 1",
        "- ป.5/1 2 คน: ปกติ 1, กลุ่มเสี่ยง 1",
        "- ป.5/2 1 คน: กลุ่มมีปัญหา 1",
        "- ม.2/3 1 คน: กลุ่มเสี่ยง 1",
    ]
    assert f"- {CLASS_REASONS['class_name']} 1 แถว" in text and "ไม่มีคอลัมน์: เพศ" in text
    assert re.search(r"^แถว 8 ชั้น: .*บอกไม่ได้ว่าเป็นชั้นปีใด", text, re.MULTILINE)


def test_as_text_fits_line_with_thousands_of_errors():
    report = read_class_list(as_csv(table(*[one_row(ชื่อ=f"คน{n}", ชั้น="ป.9") for n in range(3000)])), "x.csv")
    text = report.as_text(max_errors=3000)
    assert len(text.encode("utf-16-le")) // 2 <= 5000 and "…และอีก" in text


def test_as_csv_has_every_problem_with_a_bom_and_no_formulas():
    report = read_class_list(as_csv(table(one_row(ผลการคัดกรอง="=HYPERLINK(\"http://x\")"),
                                          one_row(ชั้น="+ป.5", ชื่อ="ข"))), "x.csv")
    out = report.as_csv()
    assert out.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(out.decode("utf-8-sig"))))
    assert lines[0] == ["แถว", "ระดับ", "สาเหตุ", "คอลัมน์", "รายละเอียด", "ค่าในไฟล์"]
    assert [line[:4] for line in lines[1:]] == [["3", "ไม่ผ่าน", CLASS_REASONS["group"], "ผลการคัดกรอง"],
                                                ["4", "ไม่ผ่าน", CLASS_REASONS["class_name"], "ชั้น"]]
    assert all(cell[:1] not in {"=", "+", "-", "@"} for line in lines for cell in line)


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------

# Names as they come, made distinct by a tail of letters (a title is not a name: "นาย" would be split off).
names = st.tuples(st.sampled_from(["สมชาย", "สมหญิง", "มานะ", "ชูใจ", "ปิติ", "วีระ", "ดวงใจ", "Somchai"]),
                  st.text(alphabet="กขคงจฉชซญดตถทนบปผพฟมยรลวสหอะาิีึืุูเแโใไ่้๊๋็์ั", max_size=6)).map("".join)
students = st.tuples(names, names, st.sampled_from(["ป.1", "ป.5", "ม.2", "อ.3", "ม.6"]), st.integers(1, 12),
                     st.sampled_from(["ปกติ", "กลุ่มเสี่ยง", "กลุ่มมีปัญหา"]))


@settings(max_examples=40)
@given(st.lists(students, min_size=1, max_size=15, unique_by=lambda s: (s[0], s[1], s[2], s[3])),
       st.sampled_from(["csv", "xlsx"]), st.booleans())
def test_any_class_list_written_and_read_back_is_the_same(students, writer, thai_digits):
    lines = [["", "", "", first, last, grade, room, group, "", ""] for first, last, grade, room, group in students]
    if thai_digits:
        lines = [[str(cell).translate(THAI) for cell in line] for line in lines]
    data = as_csv(table(*lines)) if writer == "csv" else to_excel_xlsx(table(*lines))
    report = read_class_list(data, "x." + writer)
    assert report.errors == []
    assert [(r.first_name, r.last_name, r.class_name, r.group) for r in report.rows] == [
        (first, last, f"{grade}/{room}", {"ปกติ": "normal", "กลุ่มเสี่ยง": "at_risk", "กลุ่มมีปัญหา": "problem"}[group])
        for first, last, grade, room, group in students]
