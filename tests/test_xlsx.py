"""domain/xlsx.py, the export's XLSX writer: what it writes opens in openpyxl (both modes) and holds the
package's parts Excel and LibreOffice look for; text is escaped, cleaned and cut as Excel keeps it."""
from __future__ import annotations

import csv
import gc
import io
import shutil
import subprocess
import weakref
import zipfile
from xml.etree import ElementTree

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from openpyxl import load_workbook

from domain import xlsx
from domain.export import _safe

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
LIBREOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def cells(content: bytes, read_only: bool, sheet: int = 0) -> dict[tuple[int, int], object]:
    """The cells that hold something, by (row, column) from 1, as openpyxl reads them."""
    book = load_workbook(io.BytesIO(content), read_only=read_only)
    return {(r, c): value for r, row in enumerate(book.worksheets[sheet].iter_rows(values_only=True), start=1)
            for c, value in enumerate(row, start=1) if value is not None}


def both_modes(content: bytes, sheet: int = 0) -> dict[tuple[int, int], object]:
    read = cells(content, read_only=False, sheet=sheet)
    assert cells(content, read_only=True, sheet=sheet) == read
    return read


def xml_chars(text: str) -> str:
    """`text` without what XML 1.0's Char production leaves out: the writer's rule, from the standard."""
    return "".join(ch for ch in text if ch in "\t\n\r" or " " <= ch <= "\ud7ff" or "\ue000" <= ch <= "\ufffd"
                   or ch >= "\U00010000")


def test_text_and_numbers_keep_their_types_in_both_of_openpyxls_modes():
    content, counts = xlsx.write([("รายงาน", [["เลขประจำตัว", "อายุ", "ละติจูด"], ["0012345678901", 12, 16.43],
                                               ["=1+1", True, None], ["", 2**53, float("nan")]])])
    assert counts == [4]
    assert both_modes(content) == {(1, 1): "เลขประจำตัว", (1, 2): "อายุ", (1, 3): "ละติจูด", (2, 1): "0012345678901",
                                   (2, 2): 12, (2, 3): 16.43, (3, 1): "=1+1", (3, 2): 1, (4, 2): 2**53}
    sheet = load_workbook(io.BytesIO(content)).active
    assert (sheet["A2"].data_type, sheet["A3"].data_type, sheet["B2"].data_type) == ("s", "s", "n")


def test_the_package_holds_every_part_excel_and_libreoffice_look_for():
    content, _ = xlsx.write([("รายงาน", [["ก", 1]]), ("นักเรียนเฝ้าระวัง", [["ข"]])])
    package = zipfile.ZipFile(io.BytesIO(content))
    names = set(package.namelist())
    assert names == {"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                     "xl/styles.xml", "xl/sharedStrings.xml", "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"}
    parts = {name: ElementTree.fromstring(package.read(name)) for name in names}  # each is well-formed XML
    for info in package.infolist():
        # Deflated, and no ZIP64 extra field (Excel offers to repair a file with ZIP64 headers it did not
        # need): a version-2.0 header with no extra field at all.
        assert (info.compress_type, info.extract_version, info.extra) == (zipfile.ZIP_DEFLATED, 20, b"")
    types = parts["[Content_Types].xml"]
    overrides = {item.get("PartName"): item.get("ContentType") for item in types.iter(f"{TYPES}Override")}
    defaults = {item.get("Extension"): item.get("ContentType") for item in types.iter(f"{TYPES}Default")}
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml."
    assert overrides == {"/xl/workbook.xml": kind + "sheet.main+xml", "/xl/styles.xml": kind + "styles+xml",
                         "/xl/sharedStrings.xml": kind + "sharedStrings+xml",
                         "/xl/worksheets/sheet1.xml": kind + "worksheet+xml",
                         "/xl/worksheets/sheet2.xml": kind + "worksheet+xml"}
    assert defaults == {"rels": "application/vnd.openxmlformats-package.relationships+xml", "xml": "application/xml"}
    [document] = parts["_rels/.rels"].iter(f"{RELS}Relationship")
    assert (document.get("Target"), document.get("Type").rsplit("/", 1)[1]) == ("xl/workbook.xml", "officeDocument")
    targets = {item.get("Id"): (item.get("Type").rsplit("/", 1)[1], item.get("Target"))
               for item in parts["xl/_rels/workbook.xml.rels"].iter(f"{RELS}Relationship")}
    assert all(f"xl/{target}" in names for _, target in targets.values())
    assert {kind for kind, _ in targets.values()} == {"worksheet", "styles", "sharedStrings"}
    sheets = [(sheet.get("name"), sheet.get("sheetId"), targets[sheet.get(R_ID)])
              for sheet in parts["xl/workbook.xml"].iter(f"{MAIN}sheet")]
    assert sheets == [("รายงาน", "1", ("worksheet", "worksheets/sheet1.xml")),
                      ("นักเรียนเฝ้าระวัง", "2", ("worksheet", "worksheets/sheet2.xml"))]
    assert parts["xl/styles.xml"].find(f"{MAIN}cellXfs/{MAIN}xf") is not None  # the default cell format
    assert [cell.get("r") for cell in parts["xl/worksheets/sheet1.xml"].iter(f"{MAIN}c")] == ["A1", "B1"]


def test_markup_and_control_characters_in_text_come_back_as_text():
    texts = ["a & b < c > d ]]>", "<script>&amp;</script>", "ใจ\x00\x08\x0b\x1f\ufffe\uffffดี",
             "แถว\r\nใหม่\tแท็บ", "  ช่องว่างหน้าหลัง  ", "\x01\x02"]
    content, _ = xlsx.write([("ก", [texts])])
    assert both_modes(content) == {(1, 1): "a & b < c > d ]]>", (1, 2): "<script>&amp;</script>", (1, 3): "ใจดี",
                                   (1, 4): "แถว\r\nใหม่\tแท็บ", (1, 5): "  ช่องว่างหน้าหลัง  "}  # (1, 6): none


def test_a_text_naming_an_excel_escape_is_escaped_as_excel_writes_it():
    # Excel would read "_x000D_" as a carriage return: the underscore is written as its own escape.
    content, _ = xlsx.write([("ก", [["_x000D_ และ _x0041_", "_x12_"]])])
    shared = zipfile.ZipFile(io.BytesIO(content)).read("xl/sharedStrings.xml").decode()
    assert "_x005F_x000D_ และ _x005F_x0041_" in shared and "_x12_" in shared and "_x005F_x12_" not in shared
    assert both_modes(content) == {(1, 1): "_x000D_ และ _x0041_", (1, 2): "_x12_"}  # openpyxl undoes it too


def test_a_text_longer_than_a_cell_holds_is_cut_where_excel_cuts_it():
    # Excel counts UTF-16 code units: a character beyond U+FFFF is two, and is never cut in half.
    thai, emoji, mixed = "ก" * 40_000, "😀" * 20_000, "ข" + "😀" * 16_383 + "ค"
    content, _ = xlsx.write([("ก", [[thai, emoji, mixed, "ง" * 32_767]])])
    read = both_modes(content)
    assert read[1, 1] == "ก" * 32_767 and read[1, 4] == "ง" * 32_767
    assert read[1, 2] == "😀" * 16_383  # 32,766 units: one more would be 32,768
    assert read[1, 3] == "ข" + "😀" * 16_383  # 32,767 units exactly


def test_thai_text_of_every_kind_reads_back_the_same():
    thai = ["ด.ญ. กนกวรรณ ศรีสุข", "เลขที่ ๑๒๓ หมู่ ๔", "ผู้ปกครองมีรายได้น้อย ไม่พอเพียง", "ฯลฯ ๆ ฿ ๚ะ",
            "คำ\u200bที่\u200bแบ่ง", "กรุงเทพมหานคร อมรรัตนโกสินทร์"]
    content, _ = xlsx.write([("ภาษาไทย", [thai, list(reversed(thai))])])
    assert both_modes(content) == {(r, c): text for r, row in enumerate([thai, list(reversed(thai))], start=1)
                                   for c, text in enumerate(row, start=1)}
    assert load_workbook(io.BytesIO(content)).sheetnames == ["ภาษาไทย"]


def test_many_sheets_each_with_its_own_rows_and_name():
    titles = [f"ชีต {n} & <{n}> \"ชื่อ\"" for n in range(1, 21)] + ["ก" * 40]
    content, counts = xlsx.write([(title, [[title], [n]]) for n, title in enumerate(titles)])
    assert counts == [2] * 21
    book = load_workbook(io.BytesIO(content), read_only=True)
    assert book.sheetnames == [*titles[:20], "ก" * 31]  # Excel's longest name
    for n, title in enumerate(titles):
        assert both_modes(content, n) == {(1, 1): title, (2, 1): n}


@pytest.mark.parametrize("titles", [["ก", "ก"], ["Sheet", "sheet"], ["ก/ข"], ["[ก]"], ["'ก'"], [""], ["\x00"]])
def test_a_name_excel_would_not_open_is_refused(titles):
    with pytest.raises(ValueError):
        xlsx.write([(title, []) for title in titles])


def test_an_empty_sheet_and_empty_rows():
    content, counts = xlsx.write([("ว่าง", []), ("แถวว่าง", [[], [None, "", "\x00"], ["ค"]])])
    assert counts == [0, 3]
    assert both_modes(content, 0) == {} and both_modes(content, 1) == {(3, 1): "ค"}
    assert "xl/sharedStrings.xml" in zipfile.ZipFile(io.BytesIO(content)).namelist()
    content, _ = xlsx.write([("ว่าง", [])])
    assert "xl/sharedStrings.xml" not in zipfile.ZipFile(io.BytesIO(content)).namelist()  # no empty table
    assert both_modes(content) == {}


def test_texts_past_the_shared_table_are_written_inline_and_read_back_the_same():
    rows = [[f"ข้อความ {n}", f"ข้อความ {n % 10}"] for n in range(xlsx.SHARED + 100)]
    content, _ = xlsx.write([("ก", rows)])
    sheet_xml = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()
    assert sheet_xml.count('t="inlineStr"') == 100 and 'ข้อความ 7</t>' not in sheet_xml  # repeated: shared
    assert both_modes(content) == {(r, c): text for r, row in enumerate(rows, start=1)
                                   for c, text in enumerate(row, start=1)}


def test_the_writer_keeps_no_row_once_it_is_written():
    class Row(list):  # a list a weak reference can follow
        pass

    written = []

    def rows():
        for n in range(1_000):
            row = Row([f"แถว {n}", n, f"{n:013d}"])
            written.append(weakref.ref(row))
            yield row
            del row
            # Every row before the one just taken is gone: the sheet is never held in memory.
            assert all(ref() is None for ref in written[:-1]), n

    gc.disable()  # freed by reference counting alone, not by a collection that happens to run
    try:
        _, counts = xlsx.write([("ก", rows())])
    finally:
        gc.enable()
    assert counts == [1_000]


def test_more_rows_or_columns_than_excel_opens_are_refused():
    with pytest.raises(ValueError, match="16,384 columns"):
        xlsx.write([("ก", [[None] * (xlsx.MAX_COLUMNS + 1)])])
    with pytest.raises(ValueError, match="1,048,576 rows"):
        xlsx.write([("ก", ([] for _ in range(xlsx.MAX_ROWS + 1)))])


CELLS = st.one_of(st.none(), st.text(st.characters(exclude_categories=["Cs"]), max_size=40),
                  st.text(st.sampled_from("ก&<>\r\n\t _x0D\x00\x1b\x7f\x9f\ufffe=+-@'"), max_size=12),
                  st.integers(-2**53, 2**53), st.floats(allow_nan=False, allow_infinity=False))


@given(st.lists(st.lists(CELLS, max_size=6), max_size=6))
@example([["=SUM(A1)", "\t-1", "\r=1", "ก\x00\x7f\x9f\ufffeข"]])
def test_any_row_reads_back_as_the_export_cleans_it(rows):
    texts = [cell for row in rows for cell in row if isinstance(cell, str)]
    # openpyxl reads a shared text with every "x005F_" in it dropped, where Excel undoes "_x005F_" only.
    assume(not any("x005F_" in text for text in texts))
    content, counts = xlsx.write([("ก", rows)], _safe)
    assert counts == [len(rows)]
    expected = {}
    for r, row in enumerate(rows, start=1):
        for c, cell in enumerate(row, start=1):
            cell = xml_chars(_safe(cell)) if isinstance(cell, str) else cell
            if cell not in (None, ""):
                expected[r, c] = cell
    assert both_modes(content) == expected


@pytest.mark.skipif(LIBREOFFICE is None, reason="LibreOffice (soffice) is not installed: the file is not "
                                                "converted to CSV by it here")
def test_libreoffice_converts_the_file_to_the_same_table(tmp_path):
    rows = [["ชื่อ", "เลขประจำตัว", "อายุ", "หมายเหตุ"], ["สมชาย & <ใจดี>", "0012345678901", 12, "แถว\nใหม่"],
            ["", None, 16.5, "ไม่มี"]]
    path = tmp_path / "report.xlsx"
    path.write_bytes(xlsx.write([("รายงาน", rows)])[0])
    # A profile of its own, so that the test neither needs nor touches anyone's LibreOffice settings; the
    # filter's options: comma, double quotes, UTF-8 (76), from the first line.
    subprocess.run([LIBREOFFICE, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                    "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir", str(tmp_path),
                    str(path)], check=True, capture_output=True, timeout=120)
    with open(tmp_path / "report.csv", encoding="utf-8", newline="") as converted:
        assert list(csv.reader(converted)) == [
            ["ชื่อ", "เลขประจำตัว", "อายุ", "หมายเหตุ"], ["สมชาย & <ใจดี>", "0012345678901", "12", "แถว\nใหม่"],
            ["", "", "16.5", "ไม่มี"]]
