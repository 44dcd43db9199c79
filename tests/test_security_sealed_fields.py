"""Issue 12, point 5 for the free-text personal fields: whoever reads the tables (a copy of the database,
a backup) finds no address, guardian's name, reporter's words about the child, school, history or
referral note, user's name or phone in the clear, and cannot tell equal values apart; the bot still
shows them to the people who may see them, and still finds a user by phone."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select, text

from devtools.synthetic import generate_list, list_table, to_csv
from domain.menu_labels import MENU_DEACTIVATE
from helpers import (
    OTHER_ID,
    adding_answers,
    bubbles,
    buttons_of,
    card_rows,
    flex_texts,
    in_organisation,
    plain_answers,
    refer,
    register,
    walk,
)
from models import Case, CaseEvent, Referral, User

ADDRESS = "45 หมู่ 1"  # plain_answers' home, typed
GUARDIAN = "นางบุญมี ศรีสุข"
SITUATION_NOTE = "ช่วยแม่ขายของที่ตลาดเช้า"
REASON_NOTE = "พ่อป่วยติดเตียง ต้องอยู่ดูแล"
REFERRAL_NOTE = "แม่ขอให้โทรนัดก่อนเข้าไปที่บ้าน"
DECLINE_NOTE = "ครอบครัวจะย้ายไปต่างจังหวัด"
SCHOOL = "โรงเรียนวัดป่าสำราญ"
COORDINATOR = ("ประสานงาน ดีมาก", "0891112222")

# Every column that now holds ciphertext: (table, column). The phone is deterministic, the rest random.
SEALED = [("cases", "address"), ("cases", "situation_note"), ("cases", "reason_note"), ("cases", "school_name"),
          ("cases", "guardian_name"), ("case_events", "note"), ("referrals", "note"), ("referrals", "reason_note"),
          ("users", "real_name"), ("users", "phone")]


def raw(db, sql: str) -> list[tuple]:
    with db.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def readable(value) -> str:
    """A raw value as text, with JSON stored as text (SQLite) unescaped: "\\u0e2a" is "ส"."""
    if isinstance(value, str) and value[:1] in "[{":
        return json.dumps(json.loads(value), ensure_ascii=False)
    return str(value)


def everything_in(db, *tables: str) -> str:
    return " ".join(readable(value) for table in tables for row in raw(db, f"SELECT * FROM {table}") for value in row)


def report_child(chat, name: str, national_id: str) -> None:
    answers = plain_answers(name=name, national_id=national_id, situation="อื่น ๆ", reason="อื่น ๆ",
                            guardian=f"{GUARDIAN} 0812345678")
    situation = answers.index("อื่น ๆ")
    answers.insert(situation + 1, SITUATION_NOTE)  # the situation's details
    answers.insert(answers.index("อื่น ๆ", situation + 2) + 1, REASON_NOTE)  # the reason's
    walk(chat, *answers)
    assert "บันทึกการแจ้งเรียบร้อยแล้ว" in chat.says("ยืนยัน")[0]["text"]


@pytest.fixture
def followed(new_chat, registered, schools, line, db):  # noqa: F811 (the fixture imported above)
    """Two children of the same house reported in chat by a village head (address, guardian, an "อื่น ๆ"
    situation with details); the first referred by a teacher with a note, declined by the school with a
    note of its own, then recorded back in school elsewhere. Returns (the first case's id, the coordinator)."""
    coordinator = registered(new_chat(), "coordinator", "4001", real_name=COORDINATOR[0], phone=COORDINATOR[1])
    reporter = registered(new_chat(), "reporter", "400102")
    report_child(reporter, "ด.ญ. สมศรี มีสุข", "ไม่ทราบ")
    report_child(reporter, "ด.ช. มานะ มีสุข", OTHER_ID)
    with db.transaction() as session:
        first = session.scalar(select(Case.id).order_by(Case.id))
    teacher = in_organisation(db, registered(new_chat(), "teacher", "400102"), schools["nontan"])
    school = in_organisation(db, registered(new_chat(), "teacher", "400102"), schools["samran"])
    assert "ส่งต่อเรื่อง" in refer(teacher, first, "โรงเรียน", "โรงเรียนบ้านสำราญ", REFERRAL_NOTE)[0]["text"]
    [offer] = line.messages_to(school.user_id)
    assert GUARDIAN in " ".join(flex_texts(offer)) and REFERRAL_NOTE in " ".join(flex_texts(offer))
    school.taps(buttons_of(bubbles(offer)[0])["ปฏิเสธ"])
    school.says("อื่น ๆ")
    assert "ผู้ส่งต่อได้รับแจ้งเหตุผลแล้ว" in school.says(DECLINE_NOTE)[0]["text"]
    teacher.taps(f"action=enrol&case={first}")
    teacher.says(SCHOOL)
    assert "กลับเข้าเรียนแล้ว" in teacher.says("วันนี้")[0]["text"]
    return first, coordinator


def test_no_personal_free_text_lies_in_the_clear(followed, db):
    for table, column in SEALED:
        stored = [value for (value,) in raw(db, f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL")]
        assert stored and all(value.startswith("e1:") for value in stored), (table, column, stored)
    tables = ("cases", "case_events", "referrals", "users")
    everything = everything_in(db, *tables)
    for personal in (ADDRESS, GUARDIAN, "บุญมี", SITUATION_NOTE, REASON_NOTE, REFERRAL_NOTE, DECLINE_NOTE, SCHOOL,
                     COORDINATOR[0], "สมชาย ใจดี", COORDINATOR[1], "0812345678"):
        assert personal not in everything, personal
    # ... and they read back through the models.
    with db.transaction() as session:
        case = session.get(Case, followed[0])
        assert (case.address, case.guardian_name, case.situation_note, case.reason_note, case.school_name) == (
            ADDRESS, GUARDIAN, SITUATION_NOTE, REASON_NOTE, SCHOOL)
        referral = session.scalar(select(Referral))
        assert (referral.note, referral.reason_note) == (REFERRAL_NOTE, DECLINE_NOTE)
        notes = set(session.scalars(select(CaseEvent.note).where(CaseEvent.case_id == case.id)))
        assert {REFERRAL_NOTE, f"อื่น ๆ: {DECLINE_NOTE}", SCHOOL} <= notes
        coordinator = session.scalar(select(User).where(User.phone == COORDINATOR[1]))
        assert coordinator.real_name == COORDINATOR[0]


def test_equal_values_give_different_ciphertexts(followed, db):
    for column in ("address", "guardian_name", "situation_note", "reason_note"):
        [first, second] = [value for (value,) in raw(db, f"SELECT {column} FROM cases ORDER BY id")]
        assert first != second, column
    with db.transaction() as session:
        assert [c.address for c in session.scalars(select(Case).order_by(Case.id))] == [ADDRESS, ADDRESS]
    # Two users with the same name, as well.
    names = [value for (value,) in raw(db, "SELECT real_name FROM users")]
    assert len(set(names)) == len(names) == 4


def test_the_case_card_and_the_export_still_show_them(followed, app, db, tmp_path):
    first, coordinator = followed
    [card] = coordinator.taps(f"action=case&case={first}")
    rows = card_rows(card)
    assert rows["ที่อยู่"] == ADDRESS and rows["เรียนที่"].startswith(SCHOOL)
    out = tmp_path / "report.csv"
    result = app.test_cli_runner().invoke(args=["export", "--area", "4001", "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    header, *lines = csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig")))
    by_name = {line[header.index("ชื่อ")]: line for line in lines}
    assert by_name["สมศรี"][header.index("สถานการณ์ปัจจุบัน")] == f"อื่น ๆ: {SITUATION_NOTE}"
    assert by_name["มานะ"][header.index("สาเหตุ")] == f"อื่น ๆ: {REASON_NOTE}"
    assert SCHOOL in by_name["สมศรี"][header.index("การส่งต่อ/สถานศึกษา")]


def test_users_are_still_found_by_phone_in_chat_and_on_the_command_line(app, new_chat, registered, invite_code, db):
    coordinator = registered(new_chat(), "coordinator", "4001", phone="0891111111")
    first, second = new_chat(), new_chat()
    register(first, invite_code("reporter", "400101"), name="สมหญิง รักเรียน", phone="0812345678")
    register(second, invite_code("reporter", "400101"), name="สมปอง รักดี", phone="0823456789")
    assert not any(value in everything_in(db, "users") for value in ("สมหญิง", "สมปอง", "0812345678", "0823456789"))

    coordinator.says(MENU_DEACTIVATE)
    assert "สมหญิง รักเรียน" in coordinator.says("081-234-5678")[0]["text"]
    assert "ระงับการใช้งานของคุณสมหญิง รักเรียน แล้ว" in coordinator.says("ยืนยัน")[0]["text"]
    result = app.test_cli_runner().invoke(args=["users", "deactivate", "082 345 6789"])
    assert result.exit_code == 0 and "deactivated user" in result.output, result.output
    with db.transaction() as session:
        assert session.scalars(select(User.active).where(User.phone.in_(["0812345678", "0823456789"]))).all() == [
            False, False]


def test_a_second_report_keeps_its_free_text_encrypted_in_the_case_and_its_history(chat, registered, make_case, db):
    case_id = make_case("40010201", "to_find", first_name="สมศรี", last_name="มีสุข", birth_date=date(2012, 3, 15))
    reporter = registered(chat, "reporter", "400102")
    answers = adding_answers("village", national_id="ไม่ทราบ", birth="15/3/2555", situation="อื่น ๆ",
                             guardian=GUARDIAN)
    answers.insert(answers.index("อื่น ๆ") + 1, SITUATION_NOTE)
    walk(reporter, *answers)
    assert "เพิ่มข้อมูลให้เรื่อง" in reporter.says("ยืนยัน")[0]["text"]
    with db.transaction() as session:
        case = session.get(Case, case_id)
        # What the new report adds is kept on the case (it had none of it) and in the history, encrypted both.
        assert (case.address, case.guardian_name, case.situation_note) == (ADDRESS, GUARDIAN, SITUATION_NOTE)
        details = session.scalar(select(CaseEvent.details).where(CaseEvent.kind == "report_added"))
        assert (details["address"], details["guardian_name"], details["situation_note"]) == \
            (ADDRESS, GUARDIAN, SITUATION_NOTE)
    everything = everything_in(db, "cases", "case_events")
    assert not any(value in everything for value in (ADDRESS, GUARDIAN, SITUATION_NOTE))


def test_the_bulk_list_import_encrypts_addresses_and_keeps_them_out_of_the_history(app, db, tmp_path, areas):
    rows = generate_list(6, seed=5)
    moved = replace(rows[1], house_no="999/9", moo=rows[1].moo)
    for name, listed in (("list.csv", rows), ("newer.csv", [rows[0], moved, *rows[2:]])):
        path = tmp_path / name
        path.write_bytes(to_csv(list_table(listed)))
        result = app.test_cli_runner().invoke(args=["list", "import", str(path)])
        assert result.exit_code == 0, result.output
    stored = [value for (value,) in raw(db, "SELECT address FROM cases WHERE address IS NOT NULL")]
    assert len(stored) == 6 and all(value.startswith("e1:") for value in stored)
    assert "999/9" not in everything_in(db, "cases", "case_events")
    with db.transaction() as session:
        case = session.scalar(select(Case).where(Case.national_id == moved.national_id))
        assert case.address.startswith("999/9")
        assert case.events[-1].kind == "list_updated" and case.events[-1].details["changed"]["address"] is None


def test_the_sealed_columns_keep_their_plaintext_limits():
    # Parsers refuse answers longer than a column's `length`: the limits the VARCHARs had.
    columns = Case.__table__.c
    assert [columns[name].type.length for name in ("address", "situation_note", "reason_note", "school_name",
                                                   "guardian_name")] == [500, 500, 500, 200, 200]
    assert User.__table__.c.real_name.type.length == 200


def test_the_migration_encrypts_existing_rows_and_its_downgrade_restores_them(app, db):
    def cli(*args):
        result = app.test_cli_runner().invoke(args=["db", *args])
        assert result.exit_code == 0, result.output

    cli("downgrade", "0009")
    try:
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO users (id, line_user_id, following, created_at, active, real_name, phone) "
                "VALUES (1, 'Uold', true, CURRENT_TIMESTAMP, true, :name, '0812345678')"), {"name": "ผู้ใหญ่ เก่า"})
            connection.execute(text(
                "INSERT INTO cases (id, status, source, first_name, last_name, address, guardian_name, "
                "situation_note, school_name, created_at, updated_at) VALUES (1, 'found', 'report', 'ก', 'ข', "
                ":address, :guardian, :note, :school, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                {"address": ADDRESS, "guardian": GUARDIAN, "note": SITUATION_NOTE, "school": SCHOOL})
            again = json.dumps({"address": ADDRESS, "guardian_name": GUARDIAN, "wants": "formal_school"})
            updated = json.dumps({"row": 2, "changed": {"national_id": [None, OTHER_ID], "grade": ["ป.5", "ป.6"]}})
            connection.execute(text(
                "INSERT INTO case_events (case_id, at, kind, note, details) VALUES "
                "(1, CURRENT_TIMESTAMP, 'reported_again', :note, :again), "
                "(1, CURRENT_TIMESTAMP, 'list_updated', NULL, :updated)"),
                {"note": REFERRAL_NOTE, "again": again, "updated": updated})
        cli("upgrade")
        assert not any(value in everything_in(db, "cases", "case_events", "users")
                       for value in (ADDRESS, GUARDIAN, SITUATION_NOTE, SCHOOL, REFERRAL_NOTE, OTHER_ID, "0812345678"))
        with db.transaction() as session:
            case = session.get(Case, 1)
            assert (case.address, case.guardian_name, case.situation_note, case.school_name) == (
                ADDRESS, GUARDIAN, SITUATION_NOTE, SCHOOL)
            assert [(e.note, e.details) for e in case.events] == [
                (REFERRAL_NOTE, {"wants": "formal_school"}),
                (None, {"row": 2, "changed": {"national_id": None, "grade": ["ป.5", "ป.6"]}})]
            user = session.scalar(select(User).where(User.phone == "0812345678"))
            assert user.real_name == "ผู้ใหญ่ เก่า"
        cli("downgrade", "0009")
        assert raw(db, "SELECT address, guardian_name, situation_note, school_name FROM cases") == [
            (ADDRESS, GUARDIAN, SITUATION_NOTE, SCHOOL)]
        assert raw(db, "SELECT real_name, phone FROM users") == [("ผู้ใหญ่ เก่า", "0812345678")]
    finally:
        cli("upgrade")
