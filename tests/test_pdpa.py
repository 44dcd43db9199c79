"""PDPA: personal fields encrypted at rest, national IDs never shown in full in chat, and a data-subject
request ("forget this child") that leaves the statistics as they were and no personal field behind."""
from __future__ import annotations

import base64
import csv
import io
import json
from datetime import date

import pytest
from cryptography.exceptions import InvalidTag
from linebot.v3.messaging import TextMessage
from sqlalchemy import select, text, update

from bot import config
from devtools.fakeline import tiny_jpeg
from domain import watch
from domain.export import HEADERS, export_file
from domain.menu_labels import MENU_AREA_SUMMARY
from domain.summary import summarise
from domain.watch_numbers import watch_numbers
from helpers import ID, OTHER_ID, adding_answers, in_organisation, photo_once, plain_answers, stored_text, walk
from line.outbox import queue_messages
from models import (
    AuditEntry,
    Case,
    CaseEvent,
    CasePhoto,
    Conversation,
    Organisation,
    OutboxMessage,
    User,
    WatchStudent,
    utcnow,
)
from models.crypto import FieldCipher, new_key_text

GUARDIAN_PHONE = "0812345678"
# The columns of the export that are statistics, not personal data: unchanged by a deletion.
STATISTICS = ["เลขที่เรื่อง", "รหัสจังหวัด", "จังหวัด", "รหัสอำเภอ", "อำเภอ", "รหัสตำบล", "ตำบล", "รหัสหมู่บ้าน",
              "หมู่บ้าน", "เพศ", "อายุ (ปี)", "สถานะ", "สาเหตุ", "สาเหตุ (หมวดของโครงการ)",
              "ความต้องการ", "วันที่เปิดเรื่อง", "วันที่ปรับปรุงล่าสุด", "ที่มา"]


@pytest.fixture
def reported(chat, new_chat, registered, db, line):
    """A child reported in chat with everything: national ID, birth date, location, guardian, photo;
    a coordinator of the district was told. Returns the case number."""
    registered(new_chat(), "coordinator", "4001", phone="0891111111")
    reporter = registered(chat, "reporter", "400102")
    # A pin no timestamp can contain by chance (the test looks for it in every stored value).
    answers = plain_answers(birth="15/3/2555", home=("location", 16.4321987, 102.8321987, "12 หมู่ 1"),
                            situation="อื่น ๆ", guardian=f"นางสมศรี มีสุข {GUARDIAN_PHONE}", photo=("image",))
    answers.insert(answers.index("อื่น ๆ") + 1, "รับจ้างเลี้ยงวัว")  # the situation's details
    walk(reporter, *answers)
    reporter.says("ยืนยัน")
    photo_once(db, "stored")
    with db.transaction() as session:
        return session.scalar(select(Case)).number


def raw(db, sql: str) -> list[tuple]:
    with db.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def test_encrypted_columns_hold_no_plaintext(reported, db, app):
    [(national_id, phone)] = raw(db, "SELECT national_id, guardian_phone FROM cases")
    assert national_id.startswith("e1:") and phone.startswith("e1:")
    assert ID not in national_id and GUARDIAN_PHONE not in phone
    [(photo,)] = raw(db, "SELECT content FROM case_photos")
    assert bytes(photo) != tiny_jpeg() and tiny_jpeg()[:16] not in bytes(photo)
    # ... and they read back, and equality lookups still work (deterministic encryption).
    with db.transaction() as session:
        case = session.scalar(select(Case).where(Case.national_id == ID))
        assert (case.national_id, case.guardian_phone) == (ID, GUARDIAN_PHONE)
        assert session.scalar(select(CasePhoto.content)) == tiny_jpeg()
    # Nor is the ID copied in plain into the history, the outbox or the audit log.
    for table, column in (("case_events", "details"), ("outbox", "messages"), ("audit_log", "detail")):
        assert not any(ID in str(value) for (value,) in raw(db, f"SELECT {column} FROM {table}")), table


def test_a_second_report_keeps_the_new_id_and_phone_encrypted_and_forget_removes_them(
        chat, registered, make_case, db, app):
    """Told of the child's case by name, birth date and village, the reporter adds the ID and the guardian's
    phone to it: on the case and in its history, encrypted both; `pdpa forget` empties the history's details."""
    make_case("40010201", "to_find", first_name="สมศรี", last_name="มีสุข", birth_date=date(2012, 3, 15))
    reporter = registered(chat, "reporter", "400102")
    walk(reporter, *adding_answers("village", birth="15/3/2555", guardian=f"นางสมศรี มีสุข {GUARDIAN_PHONE}"))
    assert "เพิ่มข้อมูลให้เรื่อง" in reporter.says("ยืนยัน")[0]["text"]
    with db.transaction() as session:
        case = session.scalar(select(Case))
        assert (case.national_id, case.guardian_phone, case.status) == (ID, GUARDIAN_PHONE, "found")
        details = session.scalars(select(CaseEvent.details).where(CaseEvent.kind == "report_added")).one()
        assert (details["national_id"], details["guardian_phone"], details["wants"]) == \
            (ID, GUARDIAN_PHONE, "formal_school")
        number = case.number
    [(stored,)] = raw(db, "SELECT details FROM case_events WHERE kind = 'report_added'")
    assert stored.startswith("e1:") and ID not in stored and GUARDIAN_PHONE not in stored
    result = app.test_cli_runner().invoke(args=["pdpa", "forget", number, "--yes"])
    assert result.exit_code == 0, result.output
    assert raw(db, "SELECT details FROM case_events WHERE kind = 'report_added'") == [(None,)]


def test_national_ids_are_masked_in_every_message(reported, chat, new_chat, registered, line, run_exports):
    coordinator = registered(new_chat(), "coordinator", "4001", phone="0893333333")
    coordinator.says(MENU_AREA_SUMMARY)
    coordinator.says(f"ใครดูเรื่อง {reported}")
    coordinator.taps("action=export&format=csv")
    run_exports()
    delivered = [call.json for call in line.replies() + line.pushes()]
    assert delivered and not any(ID in json.dumps(body, ensure_ascii=False) for body in delivered)
    assert any("1-XXXX-XXXXX-XX-8" in json.dumps(body, ensure_ascii=False) for body in delivered)


def test_forget_keeps_the_statistics_and_no_personal_field(reported, make_case, app, db):
    make_case("40020101", "to_find")  # another child, untouched
    with db.transaction() as session:
        before = summarise(session, ("",), utcnow(), 14)
        rows_before = export_rows(session)
    result = app.test_cli_runner().invoke(args=["pdpa", "forget", reported, "--yes"])
    assert result.exit_code == 0, result.output
    assert ("removed title, first_name, last_name, national_id, birth_date, guardian_name, guardian_phone"
            in result.output)
    with db.transaction() as session:
        assert summarise(session, ("",), utcnow(), 14) == before
        rows_after = export_rows(session)
        case = session.scalar(select(Case).where(Case.id == int(reported.split("-")[1])))
        assert case.forgotten_at is not None and str(case.age_years) == rows_before[0][HEADERS.index("อายุ (ปี)")]
        assert (case.sex, case.situation, case.reason, case.wants, case.status, case.area_code) == (
            "female", "other", "distance", "formal_school", "found", "40010201")
        assert session.scalar(select(CasePhoto.id)) is None
        assert all(e.details is None and e.note is None for e in session.scalars(select(CaseEvent)))
        assert [e.detail["fields"][:3] for e in session.scalars(select(AuditEntry).where(AuditEntry.action == "forget"))
                ] == [["title", "first_name", "last_name"]]
    for column in STATISTICS:
        i = HEADERS.index(column)
        assert [row[i] for row in rows_after] == [row[i] for row in rows_before], column
    assert rows_after[0][HEADERS.index("ชื่อ")] == "(ลบข้อมูลส่วนบุคคลตามคำขอ)"
    # "อื่น ๆ" stays counted; the reporter's own words about the child go.
    assert [row[HEADERS.index("สถานการณ์ปัจจุบัน")] for row in (rows_before[0], rows_after[0])] == [
        "อื่น ๆ: รับจ้างเลี้ยงวัว", "อื่น ๆ"]
    # No personal field left anywhere in the database: the case row, its history, the messages sent.
    [row] = raw(db, "SELECT title, first_name, last_name, national_id, birth_date, guardian_name, guardian_phone, "
                    f"address, latitude, longitude, situation_note FROM cases WHERE id = {case.id}")
    assert row == (None, "", "", None, None, None, None, None, None, None, None)
    everything = " ".join(readable(value) for table in ("case_events", "outbox", "audit_log", "case_photos")
                          for row in raw(db, f"SELECT * FROM {table}") for value in row)
    for personal in ("สมศรี มีสุข", "มีสุข", ID, GUARDIAN_PHONE, "รับจ้างเลี้ยงวัว", "16.4321987", "2012-03-15"):
        assert personal not in everything, everything[max(0, everything.index(personal) - 300):][:400]
    with db.transaction() as session:
        assert [] in session.scalars(select(OutboxMessage.messages)).all()  # encrypted: compared in Python
    again = app.test_cli_runner().invoke(args=["pdpa", "forget", reported, "--yes"])
    assert again.exit_code != 0 and "already removed" in again.output


def readable(value) -> str:
    """A raw column value as text, with JSON stored as text (SQLite) unescaped: "\\u0e2a" is "ส"."""
    if isinstance(value, str) and value[:1] in "[{":
        return json.dumps(json.loads(value), ensure_ascii=False)
    return str(value)


def export_rows(session) -> list[list[str]]:
    file = export_file(session, ("",), "csv", True, utcnow())
    return sorted(list(csv.reader(io.StringIO(file.content.decode("utf-8-sig"))))[1:], key=lambda r: r[1])


def test_forget_asks_for_confirmation(reported, app, db):
    result = app.test_cli_runner().invoke(args=["pdpa", "forget", reported], input="n\n")
    assert result.exit_code != 0
    with db.transaction() as session:
        assert session.scalar(select(Case.forgotten_at)) is None


# ----------------------------------------------------------------------------- keys

def test_cipher_is_deterministic_per_purpose_and_random_for_content():
    cipher = FieldCipher.from_text(new_key_text())
    assert cipher.seal_text("national_id", ID) == cipher.seal_text("national_id", ID)
    assert cipher.seal_text("national_id", ID) != cipher.seal_text("guardian_phone", ID)
    assert cipher.open_text("national_id", cipher.seal_text("national_id", ID)) == ID
    assert cipher.seal_bytes("photo", b"x") != cipher.seal_bytes("photo", b"x")
    assert cipher.open_bytes("photo", cipher.seal_bytes("photo", b"x")) == b"x"
    with pytest.raises(InvalidTag):  # another column's value, or another key
        cipher.open_text("guardian_phone", cipher.seal_text("national_id", ID))
    with pytest.raises(InvalidTag):
        FieldCipher.from_text(new_key_text()).open_text("national_id", cipher.seal_text("national_id", ID))
    url_safe = base64.urlsafe_b64encode(bytes(range(200, 255)) + bytes(9)).decode().rstrip("=")
    assert FieldCipher.from_text(url_safe)
    with pytest.raises(ValueError, match="64 bytes"):
        FieldCipher.from_text(base64.b64encode(bytes(32)).decode())


def test_production_without_a_key_refuses_to_start(tmp_path):
    settings = config.load({"DATABASE_URL": "postgresql+psycopg://db/bot"}, environ={})
    with pytest.raises(RuntimeError, match="DATA_ENCRYPTION_KEY is not set"):
        config.data_encryption_key(settings, str(tmp_path))
    assert not (tmp_path / config.DEV_KEY_FILE).exists()


def test_development_keeps_one_key_in_the_instance_folder(tmp_path, caplog):
    settings = config.load({"DATABASE_URL": "sqlite:///x.sqlite3"}, environ={})
    first = config.data_encryption_key(settings, str(tmp_path))
    assert config.data_encryption_key(settings, str(tmp_path)) == first and FieldCipher.from_text(first)
    assert (tmp_path / config.DEV_KEY_FILE).stat().st_mode & 0o077 == 0
    assert "never do this in production" in caplog.text
    assert config.data_encryption_key({**settings, "DATA_ENCRYPTION_KEY": "given"}, str(tmp_path)) == "given"


# ----------------------------------------------------------------------------- a student on a watch list

STUDENT = {"title": "เด็กหญิง", "first_name": "บุษบง", "last_name": "ศรีสวัสดิ์รักษา", "sex": "female",
           "national_id": OTHER_ID, "class_name": "ป.5/1", "group": "problem", "risk_factors": ["pregnancy", "other"],
           "risk_note": "ดูแลน้องสามคนคนเดียว"}
# Everything of the student that names them or says what puts them at risk, as it would be read.
STUDENT_VALUES = ["บุษบง ศรีสวัสดิ์รักษา", "ศรีสวัสดิ์รักษา", OTHER_ID, "ดูแลน้องสามคนคนเดียว",
                  "ยายป่วยติดเตียง", "ย้ายไปอยู่กับป้า"]


@pytest.fixture
def on_the_list(db, schools, registered, new_chat):
    """A student of โรงเรียนบ้านโนนทัน with everything: national ID, risk factors and note, a home visit with
    its note, weeks of attendance, raised; a teacher's draft about them, a message queued and one sent.
    Returns the student's id and the teacher's LINE id."""
    teacher = in_organisation(db, registered(new_chat(), "teacher", "400101"), schools["nontan"])
    now, rules = utcnow(), watch.Rules()
    with db.transaction() as session:
        user = session.scalar(select(User).where(User.line_user_id == teacher.user_id))
        student, _ = watch.add_student(session, session.get(Organisation, schools["nontan"]), dict(STUDENT), user,
                                       now=now, rules=rules)
        session.flush()
        watch.record_visit(session, student, "visited", "ยายป่วยติดเตียง", user, now=now, rules=rules)
        for week in ("2026-W48", "2026-W49"):
            watch.record_attendance(session, student, week, "none", user, now=now, rules=rules)
        assert student.status == "raised"
        session.add(Conversation(user_id=user.id, flow="watch_visit", step="note",
                                 data={"student": student.id, "outcome": "moved", "note": "ย้ายไปอยู่กับป้า"}))
        queue_messages(session, teacher.user_id, [TextMessage(text="สัปดาห์นี้ ด.ญ. บุษบง ศรีสวัสดิ์รักษา มาเรียนไหม")])
        sent = queue_messages(session, teacher.user_id, [TextMessage(text="ยกระดับ: บุษบง ศรีสวัสดิ์รักษา")])
        session.execute(update(OutboxMessage).where(OutboxMessage.id == sent.id).values(status="sent"))
        return student.id, teacher.user_id


def watch_counts(db) -> dict[str, int]:
    with db.transaction() as session:
        return {name: count for name, _, count in watch_numbers(session, ("",)).lines()}


def test_forget_student_leaves_nothing_of_them_readable_and_the_numbers_count_them(on_the_list, db, app):
    student_id, _ = on_the_list
    before, stored = watch_counts(db), stored_text(db)
    for value in STUDENT_VALUES:  # the attack finds something to find
        assert any(value in v for values in stored.values() for v in values), value
    result = app.test_cli_runner().invoke(args=["pdpa", "forget-student", str(student_id), "--yes"])
    assert result.exit_code == 0, result.output
    assert f"watch-list student {student_id}: removed title, first_name, last_name, national_id, risk_factors, " \
           "risk_note" in result.output
    assert "1 drafts, 1 messages cancelled, 1 messages emptied" in result.output, result.output
    for (table, column), values in stored_text(db).items():
        for value in STUDENT_VALUES:
            assert not any(value in v for v in values), f"{table}.{column} still holds {value!r}"
    # Still counted: screened, กลุ่มมีปัญหา, visited, raised; no longer followed, since nobody can follow
    # a student without a name.
    assert watch_counts(db) == {**before, "followed": before["followed"] - 1}
    with db.transaction() as session:
        student = session.get(WatchStudent, student_id)
        assert (student.first_name, student.last_name, student.national_id, student.risk_factors) == (
            "", "", None, None)
        assert (student.group, student.sex, student.class_name, student.status) == (
            "problem", "female", "ป.5/1", "ended")
        assert student.forgotten_at is not None and student.raised_at is not None
        assert all(e.note is None and e.details in (None, {"outcome": "visited"}) for e in student.events)
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "forget")).all()
        assert (entry.subject_type, entry.subject_id, entry.area_code) == ("watch_student", str(student_id), "400101")
        assert entry.detail["fields"][:3] == ["title", "first_name", "last_name"]
    # Not in the raw database either.
    everything = " ".join(readable(value) for table in ("watch_students", "watch_events", "audit_log")
                          for row in raw(db, f"SELECT * FROM {table}") for value in row)
    assert OTHER_ID not in everything and "บุษบง" not in everything
    again = app.test_cli_runner().invoke(args=["pdpa", "forget-student", str(student_id), "--yes"])
    assert again.exit_code != 0 and "already removed" in again.output
    for unknown in ("999999", "x"):
        missing = app.test_cli_runner().invoke(args=["pdpa", "forget-student", unknown, "--yes"])
        assert missing.exit_code != 0 and "no student" in missing.output


def test_forget_student_asks_for_confirmation(on_the_list, app, db):
    student_id, _ = on_the_list
    result = app.test_cli_runner().invoke(args=["pdpa", "forget-student", str(student_id)], input="n\n")
    assert result.exit_code != 0
    with db.transaction() as session:
        assert session.get(WatchStudent, student_id).forgotten_at is None


def test_forgetting_a_case_forgets_the_student_it_became_and_the_reverse(on_the_list, db, app, schools, make_case):
    student_id, _ = on_the_list
    returned = make_case("40010101", "back_in_school", first_name="กลับมา", last_name="เรียนต่อ")
    with db.transaction() as session:
        student = session.get(WatchStudent, student_id)
        number = watch.become_case(session, student, None, now=utcnow(), reason="หยุดเรียน").case.number
        joined = watch.join_from_case(session, session.get(Case, returned),
                                      session.get(Organisation, schools["samran"]), None, now=utcnow(),
                                      rules=watch.Rules())
        session.flush()
        joined_id, returned_number = joined.id, session.get(Case, returned).number
    result = app.test_cli_runner().invoke(args=["pdpa", "forget", number, "--yes"])
    assert result.exit_code == 0, result.output
    assert f"case {number}: removed" in result.output and f"watch-list student {student_id}: removed" in result.output
    result = app.test_cli_runner().invoke(args=["pdpa", "forget-student", str(joined_id), "--yes"])
    assert result.exit_code == 0, result.output
    assert f"case {returned_number}: removed" in result.output
    with db.transaction() as session:
        assert session.get(WatchStudent, student_id).forgotten_at is not None
        assert session.get(Case, int(number.split("-")[1])).forgotten_at is not None
        assert session.get(Case, returned).forgotten_at is not None
        assert session.get(WatchStudent, joined_id).first_name == ""
    for (table, column), values in stored_text(db).items():
        for value in (*STUDENT_VALUES, "กลับมา เรียนต่อ"):
            assert not any(value in v for v in values), f"{table}.{column} still holds {value!r}"


def test_forgetting_a_case_forgets_a_student_of_the_same_national_id(on_the_list, make_case, app, db):
    """The same child on a school's list without a link to the case (added before the case was opened)."""
    student_id, _ = on_the_list
    make_case("40010201", "to_find", first_name="บุษบง", last_name="ศรีสวัสดิ์รักษา", national_id=OTHER_ID)
    make_case("40010201", "to_find", first_name="คนอื่น", national_id=ID)
    with db.transaction() as session:
        number = session.scalar(select(Case).where(Case.national_id == OTHER_ID)).number
    result = app.test_cli_runner().invoke(args=["pdpa", "forget", number, "--yes"])
    assert result.exit_code == 0, result.output
    assert f"watch-list student {student_id}: removed" in result.output
    with db.transaction() as session:
        assert session.get(WatchStudent, student_id).forgotten_at is not None
        assert session.scalar(select(Case.forgotten_at).where(Case.national_id == ID)) is None
