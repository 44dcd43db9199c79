"""A small XLSX writer for the report export: rows go straight into each sheet's XML inside the zip as
they come, text and numbers only (no styles, formulas or links), in about a tenth of openpyxl's time."""
from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from xml.sax.saxutils import quoteattr

MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384  # Excel opens no larger sheet
TEXT_UNITS = 32_767  # what an Excel cell holds, in UTF-16 code units as Excel counts; the rest is cut
# Texts go in the shared-string table as Excel writes them, the first this many distinct ones (a few MiB),
# the rest inline in their cells: a national file's places, statuses and dates repeat and are written
# once, its IDs and phone numbers do not, and memory stays flat however many rows come. Against inline
# strings only, the sheet's XML is half the size and written in 0.6 of the time; a table four times
# larger was no faster and held 18 MiB more (docs/performance.md, "XLSX export").
SHARED = 16_384
# zlib's fastest level: at 100,000 cases the file is written in 0.6 of the time zlib's default (6) takes,
# and is a third larger (22 MiB against 17; level 3: 0.7 of the time, 20 MiB), about what openpyxl's was.
LEVEL = 1

HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml."
# One font, the two fills Excel reserves, no border, one cell format: the styles xlsxwriter writes for a
# workbook without formats, less what is optional.
STYLES = (f'{HEAD}<styleSheet xmlns="{MAIN}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font>'
          '</fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill '
          'patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/>'
          '<diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
          'borderId="0"/></cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" '
          'xfId="0"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
          '</cellStyles></styleSheet>')
NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")
# What XML 1.0 cannot hold at all: the C0 controls but tab, newline and carriage return, lone surrogates
# and two non-characters. Dropped, so that no stored text can stop a file.
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Excel reads "_x000D_" in a text as the character it names: a text holding such a sequence gets its
# underscore escaped as "_x005F_", as Excel writes it.
EXCEL_ESCAPE = re.compile("(_x[0-9A-Fa-f]{4}_)")


def write(sheets: Iterable[tuple[str, Iterable[Sequence]]],
          text: Callable[[str], str] = str) -> tuple[bytes, list[int]]:
    """The file of `sheets`, each (title, rows), and how many rows each holds. A cell is text (a str, given
    to `text` first: once for each distinct one while the table has room), a number, or empty: None, ""
    or what `text` makes "". Text stays text, even "0012" or "=1+1"; a number stays a number."""
    out, titles, strings = io.BytesIO(), [], _Strings(text)
    # Streamed, each part's sizes are known only at its end: zipfile then rewrites its header in place,
    # which needs an output it can seek in (the file is handed over as bytes anyway). No ZIP64: Excel
    # offers to repair a file whose parts have ZIP64 headers they do not need, and without them zipfile
    # takes a part up to 2 GiB, ~1.5 million rows of the report, past the rows Excel opens.
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=LEVEL) as package:
        counts = []
        for title, rows in sheets:
            titles.append(_sheet_name(title, titles))
            counts.append(_sheet(package, len(titles), rows, strings))
        _parts(package, titles, strings.table)
    return out.getvalue(), counts


class _Strings:
    """The shared-string table, and what follows `<c r="A1"` in a cell for each distinct text seen, so that
    a text that repeats is cleaned and escaped once."""

    def __init__(self, text: Callable[[str], str]):
        self.text = text
        self.cells: dict[str, str] = {}  # a text as given: the rest of its cell, "" for none
        self.index: dict[str, int] = {}  # a text as written: its place in the table
        self.table: list[str] = []

    def cell(self, given: str) -> str:
        text = self.text(given)
        if not text.isprintable():  # false for any character FORBIDDEN matches, in C, without a regex
            text = FORBIDDEN.sub("", text)
        if len(text) > TEXT_UNITS // 2:  # below that, any text fits, even one of characters beyond U+FFFF
            units = text.encode("utf-16-le")
            text = units[:2 * TEXT_UNITS].decode("utf-16-le", "ignore")  # "ignore": half a pair cut off
        rest = ""
        if text:
            xml = _escape(text)
            index = self.index.get(xml)
            if index is None and len(self.table) < SHARED:
                index = self.index[xml] = len(self.table)
                self.table.append(xml)
            rest = (f' t="s"><v>{index}</v></c>' if index is not None
                    else f' t="inlineStr"><is><t xml:space="preserve">{xml}</t></is></c>')
        if len(self.cells) < SHARED:
            self.cells[given] = rest
        return rest


def _escape(text: str) -> str:
    # Most texts need none of it, and `in` (C, no regex) says so fastest.
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:  # only "]]>" must be, but Excel escapes every one
        text = text.replace(">", "&gt;")
    if "\r" in text:  # an XML reader reads a bare carriage return as a newline
        text = text.replace("\r", "&#13;")
    if "_x" in text:
        text = EXCEL_ESCAPE.sub(r"_x005F\1", text)
    return text


def _number(value) -> str | None:
    if type(value) is int:
        return str(value)
    value = float(value)  # bool, Decimal and the like: Excel holds every number as a double
    return repr(value) if math.isfinite(value) else None  # Excel has no NaN or infinity: the cell stays empty


def _sheet(package: zipfile.ZipFile, number: int, rows: Iterable[Sequence], strings: _Strings) -> int:
    """`rows` into the package's `number`th sheet, one row of XML at a time; how many rows."""
    cells, miss, columns, count = strings.cells, strings.cell, [], 0
    with package.open(f"xl/worksheets/sheet{number}.xml", "w") as part:
        part.write(f'{HEAD}<worksheet xmlns="{MAIN}"><sheetData>'.encode())
        for count, row in enumerate(rows, start=1):
            if count > MAX_ROWS:
                raise ValueError(f"more than the {MAX_ROWS:,} rows Excel opens in a sheet")
            if len(row) > len(columns):
                columns = _columns(len(row))
            r = str(count)
            xml = [f'<row r="{r}">']
            for column, cell in zip(columns, row):
                if isinstance(cell, str):
                    rest = cells.get(cell)
                    if rest is None:
                        rest = miss(cell)
                    if rest:
                        xml.append(f'<c r="{column}{r}"{rest}')
                elif cell is not None and (value := _number(cell)) is not None:
                    xml.append(f'<c r="{column}{r}"><v>{value}</v></c>')
            xml.append("</row>")
            part.write("".join(xml).encode())
        part.write(b"</sheetData></worksheet>")
    return count


def _columns(count: int) -> list[str]:
    """The letters of the first `count` columns: A … Z, AA …, computed once for a sheet, not for each cell."""
    if count > MAX_COLUMNS:
        raise ValueError(f"more than the {MAX_COLUMNS:,} columns Excel opens in a sheet")
    letters = []
    for number in range(1, count + 1):
        name = ""
        while number:
            number, digit = divmod(number - 1, 26)
            name = chr(ord("A") + digit) + name
        letters.append(name)
    return letters


def _sheet_name(title: str, taken: list[str]) -> str:
    name = FORBIDDEN.sub("", title)[:31]  # Excel's longest
    if (not name or NOT_IN_SHEET_NAMES.search(name) or name[0] == "'" or name[-1] == "'"
            or name.casefold() in (other.casefold() for other in taken)):
        raise ValueError(f"not a sheet name Excel opens: {title!r}")
    return name


def _parts(package: zipfile.ZipFile, titles: list[str], table: list[str]) -> None:
    """The rest of the package, written once the sheets are: the shared strings (when there are texts),
    the workbook naming the sheets, the styles, and the relationships and content types tying them."""
    targets = [(f"worksheets/sheet{n}.xml", "worksheet") for n in range(1, len(titles) + 1)]
    targets.append(("styles.xml", "styles"))
    if table:
        targets.append(("sharedStrings.xml", "sharedStrings"))
        package.writestr("xl/sharedStrings.xml", f'{HEAD}<sst xmlns="{MAIN}" uniqueCount="{len(table)}">'
                         + "".join(f'<si><t xml:space="preserve">{text}</t></si>' for text in table) + "</sst>")
    package.writestr("xl/styles.xml", STYLES)
    sheets = "".join(f'<sheet name={quoteattr(title)} sheetId="{n}" r:id="rId{n}"/>'
                     for n, title in enumerate(titles, start=1))
    package.writestr("xl/workbook.xml", f'{HEAD}<workbook xmlns="{MAIN}" xmlns:r="{OFFICE}"><bookViews>'
                     f'<workbookView/></bookViews><sheets>{sheets}</sheets></workbook>')
    package.writestr("xl/_rels/workbook.xml.rels", _relationships(
        (f"rId{n}", f"{OFFICE}/{kind}", target) for n, (target, kind) in enumerate(targets, start=1)))
    package.writestr("_rels/.rels", _relationships([("rId1", f"{OFFICE}/officeDocument", "xl/workbook.xml")]))
    overrides = "".join(f'<Override PartName="/xl/{target}" ContentType="{TYPE}{kind}+xml"/>'
                        for target, kind in [("workbook.xml", "sheet.main"), *targets])
    package.writestr("[Content_Types].xml", (
        f'{HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Default Extension="xml" ContentType="application/xml"/>{overrides}</Types>'))


def _relationships(relationships: Iterable[tuple[str, str, str]]) -> str:
    return (f'{HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(f'<Relationship Id="{id_}" Type="{kind}" Target="{target}"/>'
                      for id_, kind, target in relationships) + "</Relationships>")
