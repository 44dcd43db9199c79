"""Transcript: a school's coordinator or teacher sends a class list (XLSX or CSV) in the chat, gets the
reader's report pushed with "นำเข้า" and "ยกเลิก", and taps one (handlers/import_class_list.py,
line/class_lists.py); files the bot cannot read, users who may not send one or tap another's, LINE's
errors, and the file's content emptied once decided, after 24 hours and by pdpa forget."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from devtools.synthetic import to_csv, to_xlsx
from domain import access, pdpa
from domain.menu_labels import MENU_ADD_STUDENT, MENU_WATCH_LIST
from handlers import import_class_list
from handlers.welcome import TAKES_TEXT
from helpers import checked, in_organisation, quick_reply_labels, raw, texts_of, wait_for
from line import class_lists
from models import AuditEntry, ClassListUpload, User, WatchEvent, WatchStudent, utcnow
from scheduler.jobs import run_job

ID = "1103702071838"
HEADER = ["ที่", "เลขประจำตัวประชาชน", "คำนำหน้า", "ชื่อ", "นามสกุล", "ชั้น", "ห้อง", "ผลการคัดกรอง", "ปัจจัยเสี่ยง"]
LINES = [
    ["1", ID, "ด.ช.", "สมชาย", "ใจดี", "ป.5", "1", "กลุ่มเสี่ยง", "ขาดเรียนบ่อย, ยากจน"],
    ["2", "", "ด.ญ.", "สมหญิง", "รักเรียน", "ป.5", "1", "ปกติ", ""],
    ["3", "", "เด็กชาย", "มานะ", "อดทน", "ป.5", "2", "กลุ่มมีปัญหา", "พ่อแม่แยกทาง"],
    ["4", "", "", "", "", "ป.5", "2", "กลุ่มเสี่ยง", ""],  # no name: refused
]
TABLE = [["รายชื่อนักเรียนจากการคัดกรอง ปีการศึกษา 2569"], HEADER, *LINES]
RECEIVED = "ได้รับไฟล์ {} แล้ว กำลังตรวจสอบ จะแจ้งผลภายในไม่กี่วินาทีค่ะ"


@pytest.fixture
def coordinator(db, registered, new_chat, schools):
    """The coordinator of โรงเรียนบ้านโนนทัน."""
    return in_organisation(db, registered(new_chat(), "coordinator", "400101", phone="0861111111"), schools["nontan"])


@pytest.fixture
def teacher(db, registered, new_chat, schools):
    return in_organisation(db, registered(new_chat(), "teacher", "400101", real_name="ครูวันดี",
                                          phone="0862222222"), schools["nontan"])


def sends_list(chat, name: str, data: bytes) -> tuple[dict, list[dict]]:
    """Send a class list: the answer at once, and what is pushed once the file is fetched and read."""
    before = len(chat.line.messages_to(chat.user_id))
    chat.sends_file(name, data)
    new = wait_for(lambda: (lambda got: got if len(got) >= 2 else None)(chat.line.messages_to(chat.user_id)[before:]),
                   f"the report of {name}")
    [answer] = [m for m in new if m.get("text") == RECEIVED.format(name)]
    return answer, checked([m for m in new if m is not answer])


def uploads(db) -> list[ClassListUpload]:
    with db.transaction() as session:
        return list(session.scalars(select(ClassListUpload).order_by(ClassListUpload.id)))


def students(db) -> dict[str, WatchStudent]:
    with db.transaction() as session:
        return {s.first_name: s for s in session.scalars(select(WatchStudent))}


def tap(chat, upload_id: int, do: str) -> list[dict]:
    return checked(chat.taps(class_lists.decision_data(upload_id, do)))


def user_id(db, chat) -> int:
    with db.transaction() as session:
        return session.scalar(select(User.id).where(User.line_user_id == chat.user_id))


# ----------------------------------------------------------------------------- the happy paths

def test_a_coordinator_sends_an_xlsx_imports_it_and_a_second_tap_changes_nothing(coordinator, db):
    _, [report] = sends_list(coordinator, "ป5 ภาคเรียน 2.XLSX", to_xlsx(TABLE))  # the extension in any case
    assert "นำเข้าได้ 3 คน, ไม่ผ่าน 1 แถว" in report["text"] and "ป.5/1 2 คน" in report["text"]
    assert "ไม่ผ่าน 1 แถว: นำเข้าเฉพาะ 3 คนที่ข้อมูลถูกต้อง" in report["text"]
    assert report["text"].endswith("กด \"นำเข้า\" เพื่อเพิ่มนักเรียน 3 คนในรายชื่อเฝ้าระวังของโรงเรียนบ้านโนนทัน "
                                   "หรือ \"ยกเลิก\" ค่ะ")
    assert quick_reply_labels(report) == ["นำเข้า", "ยกเลิก"]
    [upload] = uploads(db)
    assert (upload.status, upload.rows, upload.decision, upload.report) == ("stored", 3, None, report["text"])
    assert upload.content.startswith(b"PK")
    assert students(db) == {}  # nothing before the tap

    [done] = tap(coordinator, upload.id, "import")
    assert done["text"] == "นำเข้ารายชื่อเฝ้าระวังแล้ว: เพิ่ม 3 คน, ปรับข้อมูล 0 คน, ไม่เปลี่ยนแปลง 0 คน"
    labels = quick_reply_labels(done)
    assert labels[0] == MENU_WATCH_LIST and labels.count(MENU_WATCH_LIST) == 1
    found = students(db)
    assert sorted(found) == ["มานะ", "สมชาย", "สมหญิง"]
    assert (found["สมชาย"].national_id, found["สมชาย"].class_name, found["สมชาย"].risk_factors) == (
        ID, "ป.5/1", ["absent_often", "poverty"])
    assert {s.teacher_id for s in found.values()} == {None}  # a coordinator imports for the school's teachers
    with db.transaction() as session:
        events = session.scalars(select(WatchEvent)).all()
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "import")).all()
    assert {(e.kind, e.actor_id) for e in events} == {("imported", user_id(db, coordinator))}
    assert all(e.source not in (None, "cli") for e in events)  # the tap's webhook event
    assert (entry.actor_id, entry.subject_type, entry.area_code, entry.source) == (
        user_id(db, coordinator), "watch_list", "400101", events[0].source)
    assert {k: entry.detail[k] for k in ("added", "updated", "unchanged", "rejected", "upload")} == {
        "added": 3, "updated": 0, "unchanged": 0, "rejected": 1, "upload": upload.id}
    [upload] = uploads(db)
    assert (upload.decision, upload.content) == ("imported", None)  # the file is not kept

    [again] = tap(coordinator, upload.id, "import")
    assert again["text"].startswith("ไฟล์ ป5 ภาคเรียน 2.XLSX นำเข้าแล้วเมื่อ ")
    assert len(students(db)) == 3 and len(events) == 3
    # The button under the counts shows the list just imported.
    assert any(m["type"] == "flex" for m in coordinator.says(MENU_WATCH_LIST))


def test_a_teacher_sends_a_csv_follows_its_students_and_cancels_the_next(teacher, db):
    _, [report] = sends_list(teacher, "ป5.csv", to_csv(TABLE))
    [upload] = uploads(db)
    # The file lies encrypted: a copy of the database shows no name.
    [(stored,)] = raw(db, f"SELECT content FROM class_list_uploads WHERE id = {upload.id}")
    assert "สมชาย".encode() not in bytes(stored) and ID.encode() not in bytes(stored)
    assert "เพิ่ม 3 คน" in tap(teacher, upload.id, "import")[0]["text"]
    assert {s.teacher_id for s in students(db).values()} == {user_id(db, teacher)}

    # The same file again: read again, then cancelled; nothing changes.
    _, [report] = sends_list(teacher, "ป5.csv", to_csv(TABLE))
    latest = uploads(db)[-1]
    [cancelled] = tap(teacher, latest.id, "cancel")
    assert cancelled["text"] == "ยกเลิกแล้วค่ะ ไม่ได้นำเข้ารายชื่อจากไฟล์ ป5.csv และลบไฟล์แล้ว"
    latest = uploads(db)[-1]
    assert (latest.decision, latest.content) == ("cancelled", None)
    assert tap(teacher, latest.id, "import")[0]["text"].startswith("ไฟล์ ป5.csv ยกเลิกแล้วเมื่อ ")
    with db.transaction() as session:
        assert len(session.scalars(select(WatchEvent)).all()) == 3


# ----------------------------------------------------------------------------- files the bot cannot use

def test_files_the_bot_cannot_read_get_thai_messages_and_nothing_is_imported(coordinator, db):
    [old] = coordinator.sends_file("รายชื่อ.xls", b"\xd0\xcf\x11\xe0old excel")
    assert old["text"] == ("ไฟล์ รายชื่อ.xls เป็นไฟล์ Excel รุ่นเก่า (.xls) ซึ่งระบบอ่านไม่ได้ "
                           "กรุณาเปิดใน Excel แล้วบันทึกเป็น .xlsx หรือ CSV แล้วส่งใหม่")
    [pdf] = coordinator.sends_file("รายชื่อ.pdf", b"%PDF-1.4")
    assert pdf["text"].startswith("ไฟล์ รายชื่อ.pdf ไม่ใช่ไฟล์ Excel (.xlsx) หรือ CSV")
    [big] = coordinator.sends_file("ทั้งโรงเรียน.xlsx", b"PK", size=11 * 2**20)
    assert big["text"].startswith("ไฟล์ ทั้งโรงเรียน.xlsx มีขนาด 11.0 MB เกินขนาดที่รับได้ 10 MB")
    assert "แยกตามชั้น" in big["text"]
    assert uploads(db) == []  # none of these is fetched

    # What only the content tells: a broken workbook, an old Excel file named .xlsx, a list without a good row.
    _, [broken] = sends_list(coordinator, "เสีย.xlsx", b"PK\x03\x04 not really a workbook")
    assert broken["text"].startswith("อ่านไฟล์ Excel เสีย.xlsx ไม่ได้")
    _, [renamed] = sends_list(coordinator, "เก่า.xlsx", b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    assert "เป็นไฟล์ Excel รุ่นเก่า (.xls)" in renamed["text"]
    _, [summary, nothing] = sends_list(coordinator, "ว่าง.csv", to_csv([HEADER, LINES[3]]))
    assert "นำเข้าได้ 0 คน, ไม่ผ่าน 1 แถว" in summary["text"]
    assert nothing["text"] == class_lists.NO_ROWS and not quick_reply_labels(nothing)
    assert [(u.status, u.content, u.last_error) for u in uploads(db)] == [
        ("failed", None, "ListFileError"), ("failed", None, "ListFileError"), ("failed", None, "no rows")]
    assert "ไม่พบไฟล์รายชื่อนี้ค่ะ" in tap(coordinator, uploads(db)[-1].id, "import")[0]["text"]
    assert students(db) == {}


def test_line_errors_are_retried_and_content_gone_from_line_is_told(coordinator, db, line):
    line.fail_next(1, status=500, paths="/content")
    _, [report] = sends_list(coordinator, "ป5.csv", to_csv(TABLE))
    assert quick_reply_labels(report) == ["นำเข้า", "ยกเลิก"]
    [upload] = uploads(db)
    assert (upload.status, upload.attempts) == ("stored", 2)
    # A file LINE no longer has (404: not retried).
    before = len(line.messages_to(coordinator.user_id))
    coordinator.send(line.file_event(coordinator.user_id, "หาย.xlsx", 2000))
    gone = "ขออภัยค่ะ ดึงไฟล์ หาย.xlsx จาก LINE ไม่สำเร็จ"
    wait_for(lambda: [m for m in line.messages_to(coordinator.user_id)[before:] if m["text"].startswith(gone)],
             "the message that the file is gone")
    assert uploads(db)[-1].status == "failed"


# ----------------------------------------------------------------------------- who may send and decide

def test_only_a_schools_own_people_send_a_class_list(db, registered, new_chat, coordinator):
    district = registered(new_chat(), "coordinator", "4001", phone="0863333333")
    admin = registered(new_chat(), "admin", None, phone="0864444444")
    for chat in (district, admin):
        [reply] = chat.sends_file("ป5.csv", to_csv(TABLE))
        assert reply["text"] == import_class_list.NOT_A_SCHOOL
        assert "flask --app bot watch import" in reply["text"]
    # A village head, as before: what the bot takes.
    village_head = registered(new_chat(), "reporter", "400101", phone="0865555555")
    [reply] = village_head.sends_file("ป5.csv", to_csv(TABLE))
    assert reply["text"].startswith(f"ขออภัยค่ะ บอทยังรับไฟล์ไม่ได้ {TAKES_TEXT}")
    # Inside a form, the form's question is asked again, and no file is taken.
    coordinator.says(MENU_ADD_STUDENT)
    [reply] = coordinator.sends_file("ป5.csv", to_csv(TABLE))
    assert "ข้อนี้ตอบด้วยไฟล์ไม่ได้" in reply["text"]
    assert uploads(db) == []


def test_only_the_sender_still_of_the_school_decides_and_others_learn_nothing(db, registered, new_chat, schools,
                                                                                coordinator):
    sends_list(coordinator, "ป5.csv", to_csv(TABLE))
    [upload] = uploads(db)
    other_school = in_organisation(db, registered(new_chat(), "teacher", "400102", phone="0866666666"),
                                   schools["samran"])
    colleague = in_organisation(db, registered(new_chat(), "teacher", "400101", phone="0867777777"),
                                schools["nontan"])
    for chat in (other_school, colleague):
        assert texts_of(tap(chat, upload.id, "import")) == [import_class_list.NOT_FOUND]
    for forged in ("999999", "abc", "-1", ""):
        assert texts_of(checked(coordinator.taps(f"action=class_import&upload={forged}&do=import"))) == [
            import_class_list.NOT_FOUND]
    assert texts_of(tap(coordinator, upload.id, "delete")) == [import_class_list.NOT_FOUND]
    village_head = registered(new_chat(), "reporter", "400101", phone="0868888888")
    assert texts_of(tap(village_head, upload.id, "import")) == [access.NOT_ALLOWED]
    with db.transaction() as session:
        denied = session.scalars(select(AuditEntry).where(AuditEntry.action == "denied",
                                                          AuditEntry.subject_type == "class_list_upload")).all()
    assert len(denied) == 7
    assert students(db) == {} and uploads(db)[0].content is not None

    # The coordinator moved to another school: the file of the first is not theirs to import any more.
    in_organisation(db, coordinator, schools["samran"])
    assert texts_of(tap(coordinator, upload.id, "import")) == [import_class_list.NO_LONGER_THEIRS]
    assert uploads(db)[0].content is None and students(db) == {}
    # Deactivated: refused as everywhere.
    with db.transaction() as session:
        session.execute(update(User).where(User.line_user_id == coordinator.user_id).values(active=False))
    assert texts_of(tap(coordinator, upload.id, "import")) == [access.DEACTIVATED]


# ----------------------------------------------------------------------------- not kept

def test_an_undecided_file_is_not_kept_after_24_hours(coordinator, db, app, clock):
    sends_list(coordinator, "ป5.csv", to_csv(TABLE))
    sends_list(coordinator, "ป6.csv", to_csv(TABLE))
    first, second = uploads(db)
    # A day later, the button says to send the file again, and the file is gone.
    clock.move_to(utcnow() + timedelta(hours=24, minutes=1))
    [reply] = tap(coordinator, first.id, "import")
    assert reply["text"] == ("ไฟล์ ป5.csv ไม่ได้เก็บไว้แล้วค่ะ (ระบบเก็บไฟล์รายชื่อไว้ 24 ชั่วโมง) "
                             "หากยังต้องการนำเข้า กรุณาส่งไฟล์ใหม่")
    assert uploads(db)[0].content is None and students(db) == {}
    # The night's housekeeping empties the one never tapped.
    run_job("outbox-cleanup", app, now=utcnow() + timedelta(hours=23))
    assert uploads(db)[1].content is not None
    run_job("outbox-cleanup", app, now=utcnow() + timedelta(hours=25))
    assert [(u.content, u.decision) for u in uploads(db)] == [(None, None), (None, None)]
    assert "ไม่ได้เก็บไว้แล้ว" in tap(coordinator, second.id, "import")[0]["text"]


def test_pdpa_forget_empties_every_stored_class_list(coordinator, db):
    sends_list(coordinator, "ป5.csv", to_csv(TABLE))
    assert "เพิ่ม 3 คน" in tap(coordinator, uploads(db)[0].id, "import")[0]["text"]
    sends_list(coordinator, "ป5 อีกครั้ง.csv", to_csv(TABLE))  # left undecided
    assert uploads(db)[1].content is not None
    with db.transaction() as session:
        student = session.scalar(select(WatchStudent).where(WatchStudent.national_id == ID))
        [(_, _, counts)] = pdpa.forget_child(session, utcnow(), student=student)
    assert counts["class_lists"] == 2  # the reports of both, the content of the second
    assert [(u.content, u.report) for u in uploads(db)] == [(None, None), (None, None)]
    assert "ไม่ได้เก็บไว้แล้ว" in tap(coordinator, uploads(db)[1].id, "import")[0]["text"]
