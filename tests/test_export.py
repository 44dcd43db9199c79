"""Transcript: "ส่งออกรายงาน", the ministry report as XLSX or CSV through a single-use link; and the CLI."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import Counter
from datetime import date, datetime, timezone

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bench.export import openpyxl_xlsx, synthetic_rows
from devtools.synthetic import generate_list
from domain import access, watch
from domain.export import HEADERS, WATCH_HEADERS, WATCH_SHEET, report_rows, to_xlsx
from domain.menu_labels import MENU_AREA_SUMMARY, MENU_EXPORT_REPORT
from helpers import PUBLIC_BASE_URL, flex_texts, import_list, plain_answers, texts_of, walk
from models import AuditEntry, Case, ExportJob, Organisation, Referral, User, record_event

NATIONAL_ID = "1101700230708"
MASKED = "1-XXXX-XXXXX-XX-8"


@pytest.fixture
def province(make_case):
    make_case("40010101", "to_find", national_id=NATIONAL_ID, title="ด.ช.", first_name="สมชาย",
              last_name="ใจดี", sex="male", reason="poverty", wants="formal_school")
    make_case("40010201", "found", reason="other", reason_note="ไม่มีชุดนักเรียน", first_name="-2+3",
              last_name="=HYPERLINK(\"http://evil\",\"x\")")
    make_case("4001", "referred")
    make_case("40020101", "to_find", first_name="บ้านฝาง")
    make_case(None, "found", first_name="ไม่มีพื้นที่")


def download(client, reply: list[dict]) -> tuple[str, bytes]:
    [message] = reply
    url = re.search(r"https?://\S+/download/\S+", message["text"]).group()
    response = client.post(url.removeprefix(PUBLIC_BASE_URL))
    assert response.status_code == 200
    return response.headers["Content-Disposition"], response.data


def export(chat, line, run_exports, fmt: str, data: str = "action=export") -> list[dict]:
    area = data.removeprefix("action=export")
    ask = chat.taps(data)
    assert [item["action"]["data"] for item in ask[0]["quickReply"]["items"]] == [
        f"action=export&format=xlsx{area}", f"action=export&format=csv{area}"]
    before = len(line.messages_to(chat.user_id))
    # The exporter's own poller may be quicker than run_exports(): the link can come at any time now.
    assert "กำลังเตรียมไฟล์รายงาน" in texts_of(chat.taps(f"action=export&format={fmt}{area}"))[0]
    run_exports()
    return [m for m in line.messages_to(chat.user_id)[before:] if "/download/" in m.get("text", "")]


def xlsx_rows(content: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    return [[cell if cell is not None else "" for cell in row] for row in sheet.iter_rows(values_only=True)]


def test_district_coordinator_exports_exactly_their_district_as_xlsx(chat, registered, province, line, client,
                                                                     run_exports, db):
    registered(chat, "coordinator", "4001")
    ask = chat.says(MENU_EXPORT_REPORT)
    assert "อำเภอเมืองขอนแก่น" in ask[0]["text"] and "ปิดบางส่วน" in ask[0]["text"]
    disposition, content = download(client, export(chat, line, run_exports, "xlsx"))
    assert ".xlsx" in disposition
    header, *rows = xlsx_rows(content)
    assert header == HEADERS
    column = {name: i for i, name in enumerate(header)}
    assert [row[column["รหัสอำเภอ"]] for row in rows] == ["4001"] * 3
    assert {row[column["ชื่อ"]] for row in rows} == {"สมชาย", "'-2+3", "เด็ก3"}
    by_name = {row[column["ชื่อ"]]: row for row in rows}
    first = by_name["สมชาย"]
    assert (first[column["เลขประจำตัวประชาชน"]], first[column["จังหวัด"]], first[column["ตำบล"]]) == (
        MASKED, "ขอนแก่น", "ในเมือง")
    assert (first[column["สถานะ"]], first[column["สาเหตุ"]], first[column["สาเหตุ (หมวดของโครงการ)"]]) == (
        "รอติดตาม", "ยากจน/ขาดค่าใช้จ่าย", "ผู้ปกครองมีรายได้น้อย ไม่พอเพียง")
    assert re.fullmatch(r"\d\d/\d\d/25\d\d", first[column["วันที่เปิดเรื่อง"]])
    # Formula injection neutralised: text, never a formula.
    assert by_name["'-2+3"][column["นามสกุล"]] == "'=HYPERLINK(\"http://evil\",\"x\")"
    assert by_name["'-2+3"][column["สาเหตุ"]] == "อื่น ๆ: ไม่มีชุดนักเรียน"
    assert client.post(re.search(r"/download/\S+", texts_of(line.messages_to(chat.user_id))[-1]).group()
                       ).status_code == 410  # single use
    with db.transaction() as session:
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "export")).all()
        assert (entry.area_code, entry.detail["rows"], entry.detail["format"], entry.detail["national_ids"]) == (
            "4001", 3, "xlsx", "masked")
        assert session.scalar(select(ExportJob.status)) == "done"


def test_province_coordinator_gets_full_ids_in_csv_with_bom(chat, registered, province, line, client, run_exports):
    registered(chat, "coordinator", "40")
    _, content = download(client, export(chat, line, run_exports, "csv"))
    assert content.startswith(b"\xef\xbb\xbf")
    header, *rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert header == HEADERS and len(rows) == 4
    by_name = {row[HEADERS.index("ชื่อ")]: row for row in rows}
    assert by_name["สมชาย"][HEADERS.index("เลขประจำตัวประชาชน")] == NATIONAL_ID
    assert by_name["'-2+3"][HEADERS.index("นามสกุล")] == "'=HYPERLINK(\"http://evil\",\"x\")"


def test_export_of_one_area_from_the_summary_card(chat, registered, province, line, client, run_exports):
    registered(chat, "coordinator", "40")
    card = chat.says(MENU_AREA_SUMMARY)
    assert MENU_EXPORT_REPORT in flex_texts(card[0])
    _, content = download(client, export(chat, line, run_exports, "csv", "action=export&area=4002"))
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))[1:]
    assert [row[HEADERS.index("ชื่อ")] for row in rows] == ["บ้านฝาง"]


def test_forged_export_of_another_area_is_refused(chat, registered, province, db):
    registered(chat, "coordinator", "4001")
    for forged in ("action=export&area=4002", "action=export&area=4002&format=csv",
                   "action=export&area=40&format=xlsx"):
        assert texts_of(chat.taps(forged)) == [access.OUT_OF_SCOPE]
    with db.transaction() as session:
        assert session.scalar(select(ExportJob.id)) is None


@pytest.mark.parametrize("role", ["reporter", "teacher"])
def test_reporters_and_teachers_export_only_their_whole_scope(chat, registered, organisations, role, db):
    """Their own area, masked (tests/test_area_numbers.py downloads it); never one area by a postback."""
    registered(chat, role, "400101")
    assert "ปิดบางส่วน" in texts_of(chat.says(MENU_EXPORT_REPORT))[0]
    for forged in ("action=export&area=400101&format=xlsx", "action=export&area=4001", "action=export&area=40"):
        assert texts_of(chat.taps(forged)) == [access.NOT_ALLOWED]
    with db.transaction() as session:
        assert session.scalar(select(ExportJob.id)) is None
    assert "กำลังเตรียมไฟล์รายงาน" in texts_of(chat.taps("action=export&format=xlsx"))[0]
    with db.transaction() as session:
        assert session.scalars(select(ExportJob.area_code)).all() == [None]


def test_a_coordinator_deactivated_before_the_file_is_made_gets_nothing(chat, registered, province, line,
                                                                           run_exports, db):
    registered(chat, "coordinator", "4001")
    with db.transaction() as session:  # asked for, then deactivated before the exporter got to it
        user = session.scalar(select(User).where(User.line_user_id == chat.user_id))
        user.active = False
        session.add(ExportJob(user_id=user.id, format="csv"))
    run_exports()
    assert texts_of(line.messages_to(chat.user_id)) == [access.DEACTIVATED]
    with db.transaction() as session:
        assert session.scalar(select(ExportJob.status)) == "failed"
        assert session.scalar(select(AuditEntry.id).where(AuditEntry.action == "export")) is None


def test_cli_export_writes_the_file_and_audits_it(app, province, tmp_path, db):
    out = tmp_path / "report.xlsx"
    result = app.test_cli_runner().invoke(args=["export", "--area", "4001", "--format", "xlsx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "3 rows" in result.output
    header, *rows = xlsx_rows(out.read_bytes())
    assert header == HEADERS and MASKED in [row[HEADERS.index("เลขประจำตัวประชาชน")] for row in rows]
    result = app.test_cli_runner().invoke(args=["export", "--format", "csv", "--out", str(tmp_path / "all.csv"),
                                                "--national-ids"])
    assert result.exit_code == 0 and "5 rows" in result.output, result.output
    with db.transaction() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "export")).all()
        assert [(e.actor_label.startswith("cli:"), e.detail["rows"], e.detail["national_ids"]) for e in entries] == [
            (True, 3, "masked"), (True, 5, "full")]


def test_the_source_column_says_in_thai_whether_a_child_came_from_the_list_or_a_report(
        app, chat, registered, new_chat, db, line, client, run_exports, tmp_path):
    import_list(app, tmp_path, generate_list(3, seed=3))
    reporter = registered(new_chat(), "reporter", "400102")
    walk(reporter, *plain_answers())
    assert "เลขที่เรื่อง" in texts_of(reporter.says("ยืนยัน"))[0]
    registered(chat, "coordinator", "40")
    _, content = download(client, export(chat, line, run_exports, "csv"))
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))[1:]
    sources = Counter(row[HEADERS.index("ที่มา")] for row in rows)
    assert sources == {"รายชื่อจากส่วนกลาง": 3, "แจ้งจากพื้นที่": 1}


def test_a_referred_case_shows_where_it_was_referred_and_an_enrolled_one_its_school(db, make_case, organisations):
    referred = make_case("40010101", "referred", first_name="ส่งต่อ")
    enrolled = make_case("40010101", "back_in_school", first_name="เข้าเรียน", school_name="โรงเรียนบ้านโนนทัน",
                         enrolled_on=date(2026, 6, 1))
    make_case("40010101", "found", first_name="ยังไม่ส่งต่อ")
    with db.transaction() as session:
        session.add(Referral(case_id=referred, organisation_id=organisations["SPP40-1"], status="declined"))
        session.flush()
        session.add(Referral(case_id=referred, organisation_id=organisations["1040010101"], status="accepted"))
        session.add(Referral(case_id=enrolled, organisation_id=organisations["1040010101"], status="done"))
        assert session.get(Case, enrolled).school_name == "โรงเรียนบ้านโนนทัน"
    with db.transaction() as session:
        rows = list(report_rows(session, ("4001",), False, date(2026, 11, 23)))
    placed = {row[HEADERS.index("ชื่อ")]: row[HEADERS.index("การส่งต่อ/สถานศึกษา")] for row in rows}
    assert placed == {"ส่งต่อ": "โรงเรียนบ้านโนนทัน, รับเรื่องแล้ว",
                      "เข้าเรียน": "โรงเรียนบ้านโนนทัน, เข้าเรียนแล้ว (01/06/2569)", "ยังไม่ส่งต่อ": ""}


def test_the_export_shows_what_a_coordinator_needs_to_act_urgent_cases_first(chat, registered, new_chat, db, line,
                                                                             client, run_exports, make_case,
                                                                             organisations):
    reporter = registered(new_chat(), "reporter", "400102", real_name="ผู้ใหญ่สมพงษ์", phone="0899999999")
    owner = registered(new_chat(), "teacher", "400102", real_name="ครูวิไล")
    with db.transaction() as session:
        reporter_id, owner_id = (session.scalar(select(User.id).where(User.line_user_id == c.user_id))
                                 for c in (reporter, owner))
    make_case("40010101", "found", first_name="ธรรมดา")
    late = datetime(2026, 11, 20, 3, tzinfo=timezone.utc)
    urgent = make_case("40010201", "found", first_name="ด่วน", national_id=NATIONAL_ID, guardian_name="นางสมใจ",
                       guardian_phone="0812345678", address="45 หมู่ 1", latitude=16.43, longitude=102.83,
                       situation="working", reason="abuse", wants="formal_school", urgent=True, late_since=late,
                       reporter_id=reporter_id, owner_org_id=organisations["1040010101"], owner_id=owner_id)
    with db.transaction() as session:
        case = session.get(Case, urgent)
        record_event(session, case, "note", None, note="โทรคุยกับแม่แล้ว")
    registered(chat, "coordinator", "4001")
    _, content = download(client, export(chat, line, run_exports, "csv"))
    header, *rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert header == HEADERS
    assert [row[HEADERS.index("ชื่อ")] for row in rows] == ["ด่วน", "ธรรมดา"]  # urgent first, then by area
    row = dict(zip(HEADERS, rows[0]))
    assert (row["เร่งด่วน"], row["เลขประจำตัวประชาชน"]) == ("เร่งด่วน", MASKED)
    assert (row["ชื่อผู้ปกครอง"], row["โทรศัพท์ผู้ปกครอง"], row["ที่อยู่"], row["ละติจูด"], row["ลองจิจูด"]) == (
        "นางสมใจ", "0812345678", "45 หมู่ 1", "16.43", "102.83")
    assert (row["สถานการณ์ปัจจุบัน"], row["ความต้องการ"]) == ("ทำงานหารายได้", "กลับเข้าโรงเรียน")
    assert (row["ผู้แจ้ง"], row["โทรศัพท์ผู้แจ้ง"]) == ("ผู้ใหญ่สมพงษ์", "0899999999")
    assert (row["หน่วยงานเจ้าของเรื่อง"], row["ผู้รับเรื่อง"], row["เกินกำหนดตั้งแต่"]) == (
        "โรงเรียนบ้านโนนทัน", "ครูวิไล", "20/11/2569")
    timeline = row["ความเป็นมาล่าสุด"].split("\n")
    assert timeline[0].endswith("บันทึก: โทรคุยกับแม่แล้ว") and timeline[1].endswith("นำเข้าจากรายชื่อ")
    ordinary = dict(zip(HEADERS, rows[1]))
    assert [ordinary[c] for c in ("เร่งด่วน", "ชื่อผู้ปกครอง", "ผู้แจ้ง", "ผู้รับเรื่อง", "เกินกำหนดตั้งแต่")] == [""] * 5


def test_the_short_timeline_holds_the_newest_three_lines(db, make_case):
    case_id = make_case("40010101", "found", first_name="หลายบรรทัด")
    with db.transaction() as session:
        case = session.get(Case, case_id)
        for n in range(5):
            record_event(session, case, "note", None, note=f"บันทึกที่ {n} " + "ก" * 200)
    with db.transaction() as session:
        [row] = list(report_rows(session, ("4001",), False, date(2026, 11, 23)))
    timeline = row[HEADERS.index("ความเป็นมาล่าสุด")].split("\n")
    assert len(timeline) == 3 and "บันทึกที่ 4" in timeline[0] and "บันทึกที่ 2" in timeline[2]
    assert all(len(line) < 130 for line in timeline)  # each note cut


# ----------------------------------------------------------------------------- the XLSX writer

def test_each_cell_is_written_as_its_type_and_never_as_a_formula_a_number_or_a_control_character():
    long = "ก" * 40_000
    content, count = to_xlsx(["ก", "ข"], [["=SUM(A1:A9)", "0012345678901", "ด.ญ. กนกวรรณ ศรีสุข\nบ้านหนองแวง",
                                          "ใจ\x00\x1b\x7f\x9fดี", "http://evil.example", 42, 16.43, None, "", long]])
    assert count == 1
    sheet = load_workbook(io.BytesIO(content)).active  # not read-only: each cell's type
    header, row = sheet.iter_rows()
    assert [cell.value for cell in header] == ["ก", "ข", *[None] * 8]
    assert [(cell.value, cell.data_type) for cell in row[:7]] == [
        ("'=SUM(A1:A9)", "s"), ("0012345678901", "s"), ("ด.ญ. กนกวรรณ ศรีสุข\nบ้านหนองแวง", "s"), ("ใจดี", "s"),
        ("http://evil.example", "s"), (42, "n"), (16.43, "n")]
    sheet_xml = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "hyperlink" not in sheet_xml
    assert [cell.value for cell in row[7:9]] == [None, None]
    assert row[9].value == long[:32_767]  # all a cell holds


def test_the_xlsx_reads_back_as_the_openpyxl_writer_before_it_wrote_it():
    rows = synthetic_rows(50)
    ours = xlsx_rows(to_xlsx(HEADERS, rows)[0])
    assert ours == [HEADERS, *rows]  # every number to its last digit

    def rounded(table: list[list]) -> list[list]:
        # openpyxl wrote a float's first 16 significant digits, not the 17 a double may need.
        return [[round(cell, 12) if isinstance(cell, float) else cell for cell in row] for row in table]
    assert rounded(ours) == rounded(xlsx_rows(openpyxl_xlsx(HEADERS, rows)))


# ----------------------------------------------------------------------------- the watch lists' sheet

@pytest.fixture
def watched(db, schools):
    """Students on watch lists: two in โรงเรียนบ้านโนนทัน (one visited at home), one in โรงเรียนบ้านสำราญ
    who left anyway (a case now), one in โรงเรียนบ้านฝาง (the other district)."""
    now, rules = datetime(2026, 12, 1, 3, tzinfo=timezone.utc), watch.Rules()
    with db.transaction() as session:
        def student(school: str, name: str, group: str):
            added, _ = watch.add_student(session, session.get(Organisation, schools[school]), {
                "first_name": name, "last_name": "เฝ้าระวัง", "class_name": "ป.6/1", "group": group,
                "national_id": None, "risk_note": "พ่อแม่แยกทางกัน"}, None, now=now, rules=rules)
            session.flush()
            return added

        watch.record_visit(session, student("nontan", "ก้อย", "problem"), "visited", "พบยาย", None, now=now,
                           rules=rules)
        student("nontan", "ข้าวหอม", "at_risk")
        watch.become_case(session, student("samran", "คำแก้ว", "at_risk"), None, now=now, reason="หยุดเรียน")
        student("faang", "งามตา", "at_risk")


def sheets_of(content: bytes) -> dict[str, list[list]]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return {sheet.title: [[cell if cell is not None else "" for cell in row]
                          for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}


def test_the_xlsx_has_the_watch_lists_numbers_per_school_district_and_province(chat, registered, watched, line,
                                                                                client, run_exports, db):
    registered(chat, "coordinator", "4001")
    ask = texts_of(chat.taps("action=export"))[0]
    assert WATCH_SHEET in ask and "CSV มีเฉพาะรายชื่อเด็ก" in ask
    _, content = download(client, export(chat, line, run_exports, "xlsx"))
    sheets = sheets_of(content)
    assert list(sheets) == ["รายงาน", WATCH_SHEET]
    [left] = sheets["รายงาน"][1:]  # the student who left is a case now, on the cases' sheet
    assert left[HEADERS.index("ชื่อ")] == "คำแก้ว" and left[HEADERS.index("ที่มา")] == "รายชื่อนักเรียนเฝ้าระวัง"
    header, *rows = sheets[WATCH_SHEET]
    assert header == WATCH_HEADERS
    assert [row[:6] for row in rows] == [
        ["โรงเรียน", "400101", "โรงเรียนบ้านโนนทัน", "1040010101", "เมืองขอนแก่น", "ขอนแก่น"],
        ["โรงเรียน", "400102", "โรงเรียนบ้านสำราญ", "1040010201", "เมืองขอนแก่น", "ขอนแก่น"],
        ["อำเภอ", "4001", "", "", "เมืองขอนแก่น", "ขอนแก่น"],
        ["จังหวัด", "40", "", "", "", "ขอนแก่น"]]  # and not the other district's school
    # screened, at risk, with problems, followed, visited, raised, left
    assert [row[6:] for row in rows] == [[2, 1, 1, 2, 1, 0, 0], [1, 1, 0, 0, 0, 0, 1], [3, 2, 1, 2, 1, 0, 1],
                                         [3, 2, 1, 2, 1, 0, 1]]
    everything = str(sheets[WATCH_SHEET])
    assert not any(personal in everything for personal in ("ก้อย", "ข้าวหอม", "เฝ้าระวัง ", "แยกทาง", "พบยาย"))
    with db.transaction() as session:
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "export")).all()
        assert (entry.detail["rows"], entry.detail["watch_schools"]) == (1, 2)


def test_the_csv_and_those_who_see_no_watch_list_get_the_cases_only(chat, new_chat, registered, watched, line,
                                                                     client, run_exports, tmp_path, app):
    registered(chat, "coordinator", "4002")
    _, content = download(client, export(chat, line, run_exports, "csv"))
    assert list(csv.reader(io.StringIO(content.decode("utf-8-sig")))) == [HEADERS]
    village_head = registered(new_chat(), "reporter", "400101")  # not one of those who keep watch lists
    assert WATCH_SHEET not in texts_of(village_head.taps("action=export"))[0]
    _, content = download(client, export(village_head, line, run_exports, "xlsx"))
    assert list(sheets_of(content)) == ["รายงาน"]
    # The command line sees every school.
    out = tmp_path / "all.xlsx"
    result = app.test_cli_runner().invoke(args=["export", "--format", "xlsx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = sheets_of(out.read_bytes())[WATCH_SHEET][1:]
    assert [row[2] or row[0] for row in rows] == ["โรงเรียนบ้านโนนทัน", "โรงเรียนบ้านสำราญ", "โรงเรียนบ้านฝาง",
                                                  "อำเภอ", "อำเภอ", "จังหวัด"]
