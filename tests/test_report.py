"""Transcript: a registered reporter reports a child found out of school, "แจ้งพบเด็ก".

The happy path, every bad input, cancel, back, editing from the card, coming back later or on
another worker, two reporters confirming the same child at the same moment (on PostgreSQL; the other
duplicates are in tests/test_report_duplicates.py), the photo, and the reminder for an idle draft.
"""
from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

import models.case
from chat import flow
from chat.flow import CARRY_ON, CONFIRM_CANCEL
from devtools.fakeline import tiny_jpeg
from domain import people
from domain.menu_labels import MENU_MY_REPORTS, MENU_REPORT_CHILD
from domain.thai_dates import now_bangkok
from handlers import report_child
from helpers import (
    ID,
    OTHER_ID,
    Chat,
    all_text,
    answer,
    card_rows,
    flex_texts,
    photo_once,
    plain_answers,
    quick_reply_labels,
    wait_for,
    walk,
)
from line.messages import MAX_LABEL, MAX_QUICK_REPLIES, MAX_TEXT
from models import Area, Case, CaseEvent, CasePhoto, ChoiceOption, Conversation, User, utcnow

MASKED = "1-XXXX-XXXXX-XX-8"
THIS_YEAR_BE = now_bangkok().year + 543

HAPPY_ANSWERS = [
    "ด.ช. สมชาย ใจดี",
    "๑-๑๐๑๗-๐๐๒๓๐-๗๐-๘",  # Thai digits and dashes
    "15/3/2555",
    "ม.2 โคกสี",  # the village's button
    ("location", 16.43, 102.83, "12 หมู่ 2 ต.สำราญ อ.เมืองขอนแก่น"),
    "อื่น ๆ",
    "รับจ้างเลี้ยงวัว",
    "ยากจน/ขาดค่าใช้จ่าย",
    "เรียน สกร./กศน.",
    "นางสมศรี ใจดี 081-234-5678",
    ("image",),
    "ยินยอม",
]


def age_on_today(born: date) -> int:
    today = now_bangkok().date()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def last_text(reply: list[dict]) -> str:
    return reply[-1].get("text", "")


def assert_within_line_limits(reply: list[dict]) -> None:
    assert 1 <= len(reply) <= 5
    for message in reply:
        labels = quick_reply_labels(message)
        assert len(labels) <= MAX_QUICK_REPLIES
        assert all(1 <= len(label) <= MAX_LABEL for label in labels)
        assert len(message.get("text", "").encode("utf-16-le")) // 2 <= MAX_TEXT


def cases(db) -> list[Case]:
    with db.transaction() as session:
        return list(session.scalars(select(Case).order_by(Case.id)))


def events(db, case_id: int) -> list[CaseEvent]:
    with db.transaction() as session:
        return list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)))


def draft(db, chat: Chat) -> Conversation | None:
    with db.transaction() as session:
        return session.scalar(select(Conversation).join(User).where(User.line_user_id == chat.user_id))


def age_draft(db, chat: Chat, hours: float) -> None:
    """Pretend the reporter last answered `hours` ago."""
    with db.transaction() as session:
        user_id = session.scalar(select(User.id).where(User.line_user_id == chat.user_id))
        session.execute(update(Conversation).where(Conversation.user_id == user_id)
                        .values(updated_at=utcnow() - timedelta(hours=hours)))


@pytest.fixture
def reporter(chat, registered):
    """A village-head reporter for subdistrict สำราญ (two villages: the flow offers them as buttons)."""
    return registered(chat, "reporter", "400102")


# ------------------------------------------------------------------ happy path

def test_happy_path_from_menu_to_case_number(reporter, registered, new_chat, db, line):
    district = registered(new_chat(), "coordinator", "4001")
    national = registered(new_chat(), "admin", None)
    other_district = registered(new_chat(), "coordinator", "4002")
    other_subdistrict = registered(new_chat(), "coordinator", "400101")

    intro, first = reporter.says(MENU_REPORT_CHILD)
    assert "แจ้งพบเด็ก" in intro["text"] and "ชื่อ" in first["text"]
    replies = [answer(reporter, step) for step in HAPPY_ANSWERS]
    for reply in replies:
        assert_within_line_limits(reply)
    texts = [last_text(reply) for reply in replies]
    assert "เลขประจำตัวประชาชน" in texts[0]                 # title typed: no title or sex question
    assert "วันเกิด" in texts[1]
    assert "หมู่บ้าน" in texts[2]
    assert texts[2].startswith("4/10 ") and quick_reply_labels(replies[2][0])[:2] == ["ม.1 สำราญ", "ม.2 โคกสี"]
    assert "บ้าน" in texts[3] and replies[3][0]["quickReply"]["items"][0]["action"]["type"] == "location"
    assert "ทำอะไร" in texts[4] and "อื่น ๆ" in quick_reply_labels(replies[4][0])
    assert "รายละเอียด" in texts[5]
    assert "สาเหตุ" in texts[6]
    assert "ต้องการ" in texts[7]
    assert "ผู้ปกครอง" in texts[8]
    assert "รูปถ่าย" in texts[9]
    assert "ผู้ปกครองยินยอมให้ส่งรูปนี้หรือไม่" in texts[10]

    [card] = replies[-1]
    rows = card_rows(card)
    assert rows == {
        "ชื่อ": "เด็กชาย สมชาย ใจดี",
        "เลขประจำตัว": MASKED,
        "วันเกิด/อายุ": f"15 มี.ค. 2555 (อายุ {age_on_today(date(2012, 3, 15))} ปี)",
        "เพศ": "ชาย",
        "พื้นที่": "บ้านโคกสี หมู่ที่ 2",
        "ที่อยู่": "12 หมู่ 2 ต.สำราญ อ.เมืองขอนแก่น\n📍 ปักหมุดตำแหน่งแล้ว",
        "สถานการณ์": "อื่น ๆ: รับจ้างเลี้ยงวัว",
        "สาเหตุหลัก": "ยากจน/ขาดค่าใช้จ่าย",
        "ความต้องการ": "เรียน สกร./กศน.",
        "ผู้ปกครอง": "นางสมศรี ใจดี 081-234-5678",
        "รูปถ่าย": "มี 1 รูป (ผู้ปกครองยินยอม)",
    }
    assert ID not in str(card)
    assert quick_reply_labels(card) == ["ยืนยัน", "แก้ไข", "ย้อนกลับ", "ยกเลิก"]
    footer = [button["action"]["text"] for button in card["contents"]["footer"]["contents"]]
    assert footer == ["ยืนยัน", "แก้ไข", "ยกเลิก"]

    [done] = reporter.says("ยืนยัน")
    [case] = cases(db)
    assert f"เลขที่เรื่อง {THIS_YEAR_BE}-{case.id:06d}" in done["text"] and "ขั้นต่อไป" in done["text"]
    assert draft(db, reporter) is None
    assert (case.status, case.source, case.title, case.first_name, case.last_name, case.sex) == (
        "found", "report", "เด็กชาย", "สมชาย", "ใจดี", "male")
    assert (case.national_id, case.birth_date, case.age_years) == (ID, date(2012, 3, 15), None)
    assert (case.latitude, case.longitude) == (16.43, 102.83)
    assert (case.situation, case.situation_note, case.reason, case.wants) == (
        "other", "รับจ้างเลี้ยงวัว", "poverty", "non_formal")
    assert (case.guardian_name, case.guardian_phone) == ("นางสมศรี ใจดี", "0812345678")
    [opened] = events(db, case.id)
    assert (opened.kind, opened.from_status, opened.to_status) == ("reported", None, "found")

    # Pushed to the nearest coordinators only (the district's); the admin sees it in the summary.
    [notice] = line.messages_to(district.user_id)
    shown = flex_texts(notice)
    assert case.number in notice["altText"] and case.number in shown and MASKED in shown and ID not in str(notice)
    assert "บ้านโคกสี หมู่ที่ 2" in shown
    for outsider in (national, other_district, other_subdistrict):
        assert line.messages_to(outsider.user_id) == []


def test_photo_is_fetched_after_the_commit_and_stored_in_the_database(reporter, db, line):
    photo = tiny_jpeg()
    card = walk(reporter, *plain_answers(photo=("image", photo)))
    assert card_rows(card[0])["รูปถ่าย"] == "มี 1 รูป (ผู้ปกครองยินยอม)"
    with db.transaction() as session:
        assert session.scalar(select(CasePhoto)) is None  # nothing fetched while drafting
    reporter.says("ยืนยัน")
    row = photo_once(db, "stored")
    assert row.content == photo and row.content_type == "image/jpeg"
    assert row.case_id == cases(db)[0].id


def test_photo_fetch_is_retried_when_line_fails(reporter, db, line):
    line.fail_next(1, status=500, paths="content")
    walk(reporter, *plain_answers(photo=("image",)))
    reporter.says("ยืนยัน")
    row = photo_once(db, "stored", timeout=15)
    assert row.attempts == 2 and row.content == tiny_jpeg()


def test_photo_that_line_no_longer_has_is_marked_failed(reporter, db, line):
    line.fail_next(1, status=404, paths="content")
    walk(reporter, *plain_answers(photo=("image",)))
    reporter.says("ยืนยัน")
    assert "404" in photo_once(db, "failed").last_error
    assert len(cases(db)) == 1  # the report itself stands


def test_age_and_date_picker_and_typed_address(reporter, db, areas):
    card = walk(reporter, *plain_answers(birth=("pick", "2013-05-01"), village="ไม่แน่ใจ",
                                         home="๔๕ หมู่ ๑ บ้านหลังวัด"))
    rows = card_rows(card[0])
    assert rows["วันเกิด/อายุ"].startswith("1 พ.ค. 2556")
    assert rows["ที่อยู่"] == "๔๕ หมู่ ๑ บ้านหลังวัด"
    assert rows["พื้นที่"] == "สำราญ"  # no village chosen: the reporter's area
    reporter.says("ยืนยัน")
    [case] = cases(db)
    assert case.birth_date == date(2013, 5, 1) and case.latitude is None
    assert case.area_id == areas["400102"]


@pytest.mark.parametrize("typed", [
    "ม.2 โคกสี",  # the button
    "บ้านโคกสี หมู่ที่ 2",  # the button of a draft begun before the buttons were shortened
    "ม.๒", "ม.2", "หมู่ 2", "หมู่ที่ ๒", "โคกสี", "บ้านโคกสี",
])
def test_village_by_its_button_its_full_name_its_moo_or_its_name(reporter, typed):
    walk(reporter, *plain_answers()[:3])
    assert "กรุณาเลือกหมู่บ้าน" in reporter.says("หมู่ 7")[0]["text"]
    reporter.says(typed)
    for step in plain_answers()[4:]:
        card = reporter.says(step)
    assert card_rows(card[0])["พื้นที่"] == "บ้านโคกสี หมู่ที่ 2"


def test_a_moo_that_several_villages_have_asks_for_the_name_too(chat, registered):
    registered(chat, "reporter", "4001")  # a district: both its subdistricts have a หมู่ 1
    [ask] = walk(chat, *plain_answers()[:3])
    assert quick_reply_labels(ask)[:3] == ["ม.1 โนนทัน", "ม.1 สำราญ", "ม.2 โคกสี"]
    [reply] = chat.says("หมู่ 1")
    assert reply["text"].startswith("มีหลายหมู่บ้านที่ตรงกับ “หมู่ 1” กรุณาเลือกจากปุ่มด้านล่าง หรือพิมพ์ทั้งหมู่และชื่อ "
                                    "เช่น ม.1 โนนทัน ค่ะ")
    chat.says("สำราญ ม.1")
    for step in plain_answers()[4:]:
        card = chat.says(step)
    assert card_rows(card[0])["พื้นที่"] == "บ้านสำราญ หมู่ที่ 1"


def test_village_buttons_put_the_moo_first_and_fit_lines_labels(reporter, db, areas):
    with db.transaction() as session:
        session.add(Area(code="40010214", level="village", name="บ้านหนองบัวแดงน้อยพัฒนา หมู่ที่ 14",
                         parent_id=areas["400102"]))
    [ask] = walk(reporter, *plain_answers()[:3])
    assert ask["text"] == f"4/10 {report_child.VILLAGE_PROMPT}"  # numbered like every question
    assert quick_reply_labels(ask)[:3] == ["ม.1 สำราญ", "ม.2 โคกสี", "ม.14 หนองบัวแดงน้อย…"]
    assert all(len(label) <= MAX_LABEL for label in quick_reply_labels(ask))
    reporter.says("ม.14 หนองบัวแดงน้อย…")
    for step in plain_answers()[4:]:
        card = reporter.says(step)
    assert card_rows(card[0])["พื้นที่"] == "บ้านหนองบัวแดงน้อยพัฒนา หมู่ที่ 14"
    reporter.says("แก้ไข")
    [again] = reporter.says("หมู่บ้าน")
    assert again["text"] == f"4/10 {report_child.VILLAGE_PROMPT}"
    reporter.says("ม.1 สำราญ")
    reporter.says("ยืนยัน")
    assert cases(db)[0].area_id == areas["40010201"]


@pytest.mark.parametrize("typed", ["อยู่แถวนี้แหละ", "asdf", "ไม่รู้ค่ะ"])
def test_an_address_must_say_where_the_house_is(reporter, typed):
    walk(reporter, *plain_answers()[:4])
    [reply] = reporter.says(typed)
    assert reply["text"].startswith("กรุณาพิมพ์บ้านเลขที่ หมู่ หรือชื่อหมู่บ้าน เช่น 12 หมู่ 3")
    assert reply["text"].endswith(f"5/10 {report_child.HOME_PROMPT}")
    assert quick_reply_labels(reply)[0] == "ส่งตำแหน่งบ้าน"


@pytest.mark.parametrize("typed", ["45/1", "หมู่ ๒ ใกล้วัด", "หลังโรงเรียนบ้านโคกสี", "ทางไปโคกสี ก่อนถึงสะพาน"])
def test_an_address_with_a_house_number_a_moo_or_a_village_of_the_area(reporter, typed):
    card = walk(reporter, *plain_answers(home=typed))
    assert card_rows(card[0])["ที่อยู่"] == typed


def test_an_address_may_name_the_reporters_own_village(chat, registered):
    """A village head's area is their village: no village buttons, but its name is a place the area knows."""
    registered(chat, "reporter", "40010101")
    walk(chat, "ด.ญ. สมศรี มีสุข", ID, "อายุ 12")
    assert "กรุณาพิมพ์บ้านเลขที่" in chat.says("แถวนี้")[0]["text"]
    for step in plain_answers(village=None, home="หลังวัดโนนทัน")[3:]:
        card = chat.says(step)
    assert card_rows(card[0])["ที่อยู่"] == "หลังวัดโนนทัน"


def test_reporter_of_a_village_is_not_asked_for_the_village(chat, registered, db):
    registered(chat, "reporter", "40010101")
    reply = walk(chat, "ด.ญ. สมศรี มีสุข", ID, "อายุ 12")
    assert "บ้านที่เด็กอาศัยอยู่" in last_text(reply)
    for step in plain_answers(village=None)[3:]:
        card = chat.says(step)
    assert card_rows(card[0])["พื้นที่"] == "บ้านโนนทัน หมู่ที่ 1"


def test_unknown_national_id_and_age_only(reporter, db):
    card = walk(reporter, *plain_answers(national_id="ไม่ทราบ", birth="12 ปีค่ะ"))
    rows = card_rows(card[0])
    assert rows["เลขประจำตัว"] == "ไม่ทราบ" and rows["วันเกิด/อายุ"] == "อายุ 12 ปี"
    reporter.says("ยืนยัน")
    [case] = cases(db)
    assert case.national_id is None and case.birth_date is None and case.age_years == 12


# ------------------------------------------------------------------ bad input

def test_only_registered_reporters_may_report(chat):
    [refused] = chat.says(MENU_REPORT_CHILD)
    assert "ลงทะเบียน" in refused["text"]
    assert "ยังไม่เข้าใจ" in chat.says("ด.ช. สมชาย ใจดี")[0]["text"]  # no flow was opened


def test_name_without_title_asks_title_then_sex_when_title_tells_none(reporter):
    [title] = walk(reporter, "สมชาย ใจดี")
    assert quick_reply_labels(title)[:5] == ["เด็กชาย", "เด็กหญิง", "นาย", "นางสาว", "นาง"]
    assert "กรุณาเลือกคำนำหน้า" in reporter.says("123")[0]["text"]
    assert "เลขประจำตัว" in reporter.says("ไม่รู้")[0]["text"]  # typed instead of the ไม่ระบุ button
    reporter.says(ID)
    [sex] = reporter.says("อายุ 10")
    assert "เพศ" in sex["text"] and quick_reply_labels(sex)[:2] == ["ชาย", "หญิง"]
    assert "หมู่บ้าน" in reporter.says("หญิง")[0]["text"]


def test_tapping_a_title_after_a_bare_name(reporter):
    walk(reporter, "สมศรี มีสุข")
    assert "เลขประจำตัว" in reporter.says("ด.ญ.")[0]["text"]
    for step in plain_answers()[1:]:
        card = reporter.says(step)
    assert card_rows(card[0])["ชื่อ"] == "เด็กหญิง สมศรี มีสุข"
    assert card_rows(card[0])["เพศ"] == "หญิง"


@pytest.mark.parametrize("typed, says", [
    ("สมชาย", "ทั้งชื่อและนามสกุล"),
    ("ด.ช.", "ทั้งชื่อและนามสกุล"),
    ("สมชาย 123", "ไม่ควรมีตัวเลข"),
    ("🙂 🙂", "ต้องเป็นตัวอักษรภาษาไทยหรือภาษาอังกฤษ"),
    ("12345", "ไม่ควรมีตัวเลข"),
    ("...", "ต้องเป็นตัวอักษรภาษาไทยหรือภาษาอังกฤษ"),
])
def test_bad_names_are_explained(reporter, typed, says):
    walk(reporter)
    [reply] = reporter.says(typed)
    assert says in reply["text"] and "ชื่อและนามสกุลของเด็ก" in reply["text"]


@pytest.mark.parametrize("typed", [
    "ก" * 5000,  # LINE's longest text: longer than the step takes
    "ด.ช. สมชาย " + "๑" * 480,  # within the step's length, refused by the name's own rule
    "🙂 " * 240,
])
def test_a_long_wrong_answer_is_quoted_only_in_part_so_the_question_still_shows(reporter, typed):
    walk(reporter)
    [reply] = reporter.says(typed)
    assert_within_line_limits([reply])
    error, question = reply["text"].split("\n\n")
    assert len(error) < 250 and "…”" in error
    assert question == f"1/10 {report_child.NAME_PROMPT}"


def test_a_guardian_name_needs_letters_too(reporter):
    walk(reporter, *plain_answers()[:8])
    [reply] = reporter.says("🙂 🙂 081-234-5678")
    assert "ชื่อผู้ปกครองต้องเป็นตัวอักษรภาษาไทยหรือภาษาอังกฤษ" in reply["text"] and "ผู้ปกครอง (ถ้ามี)" in reply["text"]
    reporter.says("แม่: นางสมศรี ใจดี 081-234-5678")
    [card] = reporter.says("ไม่มีรูป")
    assert card_rows(card)["ผู้ปกครอง"] == "แม่: นางสมศรี ใจดี 081-234-5678"


@pytest.mark.parametrize("typed, says", [
    ("1-1017-00230-70-5", "1-1017-00230-70-5 ไม่ถูกต้อง"),  # wrong check digit, digits echoed back
    ("110170023070", "12 หลัก"),
    ("11017OO230708", "ตัวเลขเท่านั้น"),
    ("9101700230708", "ขึ้นต้นด้วย 9"),
])
def test_bad_national_ids_are_explained(reporter, typed, says):
    walk(reporter, "ด.ช. สมชาย ใจดี")
    [reply] = reporter.says(typed)
    assert says in reply["text"] and "ไม่ทราบ" in quick_reply_labels(reply)


@pytest.mark.parametrize("typed, says", [
    ("31/2/2555", "ไม่มีวันที่ 31"),
    ("อายุ 30", "นอกช่วงที่รับได้"),
    ("2", "นอกช่วงที่รับได้"),
    (f"1/1/{THIS_YEAR_BE + 1}", "ยังมาไม่ถึง"),
    ("เมื่อวาน", "ไม่เข้าใจ"),
])
def test_bad_birth_dates_and_ages_are_explained(reporter, typed, says):
    walk(reporter, "ด.ช. สมชาย ใจดี", ID)
    [reply] = reporter.says(typed)
    assert says in reply["text"] and "เลือกจากปฏิทิน" in quick_reply_labels(reply)


def test_thai_digit_birth_date_with_month_name(reporter):
    card = walk(reporter, *plain_answers(birth="๑๕ มีนาคม ๒๕๕๕"))
    assert card_rows(card[0])["วันเกิด/อายุ"].startswith("15 มี.ค. 2555")


def test_unrelated_messages_get_the_question_again(reporter):
    walk(reporter)
    unrelated = [(reporter.sends_sticker, "สติกเกอร์"), (reporter.sends_image, "รูป"),
                 *((lambda kind=kind: reporter.sends(kind), name)
                   for kind, name in (("audio", "ข้อความเสียง"), ("video", "วิดีโอ"), ("file", "ไฟล์")))]
    for send, kind in unrelated:
        [reply] = send()
        assert reply["text"].startswith(f"ขออภัยค่ะ ข้อนี้ตอบด้วย{kind}ไม่ได้ ตอบได้โดยพิมพ์คำตอบ ข้อมูลที่กรอกไว้ยังอยู่ครบค่ะ")
        assert "ชื่อและนามสกุลของเด็ก" in reply["text"]
    [reply] = reporter.shares_location(13.7, 100.5)  # a pin is the home, whatever the question
    assert "บันทึกที่อยู่" in reply["text"] and "ชื่อและนามสกุลของเด็ก" in reply["text"]
    [reply] = reporter.taps("pick=birth", {"date": "2012-01-01"})  # a stale date picker
    assert "ชื่อและนามสกุลของเด็ก" in reply["text"]
    walk(reporter, "ด.ช. สมชาย ใจดี", ID, "อายุ 12", "ไม่แน่ใจ")
    [reply] = reporter.sends_sticker()  # the home was pinned at the first question: the situation is next
    assert "ข้อนี้ตอบด้วยสติกเกอร์ไม่ได้" in reply["text"] and "ตอนนี้เด็กทำอะไร" in reply["text"]


@pytest.mark.parametrize("kind, name", [("audio", "ข้อความเสียง"), ("video", "วิดีโอ"), ("file", "ไฟล์")])
def test_a_voice_message_video_or_file_mid_report_says_what_the_step_takes_and_keeps_the_draft(reporter, kind, name):
    walk(reporter, *plain_answers()[:4])
    [reply] = reporter.sends(kind)
    assert reply["text"] == (f"ขออภัยค่ะ ข้อนี้ตอบด้วย{name}ไม่ได้ ตอบได้โดยกดปุ่ม \"ส่งตำแหน่งบ้าน\" หรือพิมพ์คำตอบ "
                             f"ข้อมูลที่กรอกไว้ยังอยู่ครบค่ะ\n\n5/10 {report_child.HOME_PROMPT}")
    assert quick_reply_labels(reply)[0] == "ส่งตำแหน่งบ้าน"
    for step in plain_answers()[4:]:
        card = reporter.says(step)
    assert card_rows(card[0])["ชื่อ"] == "เด็กหญิง สมศรี มีสุข" and card_rows(card[0])["พื้นที่"] == "บ้านสำราญ หมู่ที่ 1"
    error, card = reporter.sends(kind)  # at the card: its buttons, and the card again
    assert f"ข้อนี้ตอบด้วย{name}ไม่ได้ ตอบได้โดยกดปุ่มด้านล่าง" in error["text"] and card["type"] == "flex"


def test_choices_must_come_from_the_list(reporter):
    walk(reporter, *plain_answers()[:7])
    [reply] = reporter.says("เล่นเกมทั้งวัน")  # the wants list has no "อื่น ๆ" to keep it as
    assert "เลือกคำตอบจากปุ่ม" in reply["text"] and "กลับเข้าโรงเรียน" in quick_reply_labels(reply)


@pytest.mark.parametrize("typed, says", [
    ("นางสมศรี 0812", "ไม่เข้าใจเบอร์โทร"),
    ("นางสมศรี 081-234-567", "10 หลัก"),
])
def test_bad_guardian_phones_are_explained(reporter, typed, says):
    walk(reporter, *plain_answers()[:8])
    [reply] = reporter.says(typed)
    assert says in reply["text"] and "ข้าม" in quick_reply_labels(reply)


def test_guardian_phone_alone_or_landline(reporter):
    card = walk(reporter, *plain_answers(guardian="043-123-456"))
    assert card_rows(card[0])["ผู้ปกครอง"] == "043-123-456"


def test_photo_step_wants_an_image(reporter):
    walk(reporter, *plain_answers()[:9])
    [reply] = reporter.says("เดี๋ยวส่ง")
    assert "กรุณาส่งรูปถ่าย" in reply["text"]
    [reply] = reporter.sends_sticker()
    assert "ข้อนี้ตอบด้วยสติกเกอร์ไม่ได้ ตอบได้โดยส่งรูปถ่าย หรือกดปุ่มด้านล่าง" in reply["text"]
    assert "รูปถ่ายของเด็ก" in reply["text"]


def test_card_wants_a_button(reporter):
    walk(reporter, *plain_answers())
    error, card = reporter.says("โอเค")
    assert "ยืนยัน" in error["text"] and card["type"] == "flex"


# --------------------------------------------------------- cancel, back, edit

@pytest.mark.parametrize("answered", [0, 3, 10])
def test_cancel_at_any_step_keeps_nothing(reporter, db, answered):
    walk(reporter, *plain_answers()[:answered])
    if answered:  # a draft with answers in it is cancelled only when the reporter says so twice
        [asked] = reporter.says("ยกเลิก")
        assert "ยกเลิกแจ้งพบ" in asked["text"] and quick_reply_labels(asked) == [CONFIRM_CANCEL, CARRY_ON]
        assert draft(db, reporter) is not None
    [cancelled] = reporter.says(CONFIRM_CANCEL if answered else "ยกเลิก")
    assert "ยกเลิกการแจ้งแล้ว" in cancelled["text"] and MENU_REPORT_CHILD in quick_reply_labels(cancelled)
    assert draft(db, reporter) is None and cases(db) == []
    # Not an answer any more: outside a conversation, digits search the children (handlers/children_to_find.py).
    assert "ไม่พบเด็กที่ตรงกับ" in reporter.says(ID)[0]["text"] and cases(db) == []


def test_back_goes_one_step_back(reporter):
    walk(reporter)
    [reply] = reporter.says("ย้อนกลับ")
    assert "คำถามแรก" in reply["text"]
    walk(reporter, "ด.ช. สมชาย ใจดี", ID)
    assert "เลขประจำตัวประชาชน" in reporter.says("ย้อนกลับ")[0]["text"]
    assert "ชื่อและนามสกุล" in reporter.says("ย้อนกลับ")[0]["text"]
    reporter.says("ด.ญ. สมศรี มีสุข")  # answered again, then on as before
    assert "วันเกิด" in reporter.says(OTHER_ID)[0]["text"]


def test_back_from_the_card_and_answer_again(reporter):
    walk(reporter, *plain_answers())
    assert "รูปถ่าย" in reporter.says("ย้อนกลับ")[0]["text"]
    reporter.sends_image()
    [card] = reporter.says("ยินยอม")
    assert card_rows(card)["รูปถ่าย"] == "มี 1 รูป (ผู้ปกครองยินยอม)"


def test_edit_a_field_from_the_card_and_come_back(reporter, db):
    walk(reporter, *plain_answers())
    [menu] = reporter.says("แก้ไข")
    labels = quick_reply_labels(menu)
    assert labels[:3] == ["ชื่อ-นามสกุล", "เลขประจำตัวประชาชน", "วันเกิด/อายุ"]
    assert "เพศ" not in labels  # the title says it
    assert len(labels) <= MAX_QUICK_REPLIES
    assert "กรุณาเลือกหัวข้อ" in reporter.says("สีผม")[0]["text"]
    assert "เลขประจำตัวประชาชน" in reporter.says("เลขประจำตัวประชาชน")[0]["text"]
    [card] = reporter.says(OTHER_ID)
    assert card_rows(card)["เลขประจำตัว"] == "3-XXXX-XXXXX-XX-8"
    assert card_rows(card)["ชื่อ"] == "เด็กหญิง สมศรี มีสุข"
    reporter.says("ยืนยัน")
    assert cases(db)[0].national_id == OTHER_ID


def test_edit_that_opens_a_new_question_asks_it_before_the_card(reporter):
    walk(reporter, *plain_answers())
    reporter.says("แก้ไข")
    reporter.says("สถานการณ์")
    assert "รายละเอียด" in reporter.says("อื่น ๆ")[0]["text"]
    [card] = reporter.says("ช่วยพ่อขายของ")
    assert card_rows(card)["สถานการณ์"] == "อื่น ๆ: ช่วยพ่อขายของ"
    reporter.says("แก้ไข")
    reporter.says("ชื่อ-นามสกุล")
    [card] = reporter.says("สมใจ มีสุข")  # no title typed: the title stays
    assert card_rows(card)["ชื่อ"] == "เด็กหญิง สมใจ มีสุข"


def test_back_from_the_edit_menu_returns_to_the_card(reporter):
    walk(reporter, *plain_answers())
    reporter.says("แก้ไข")
    [card] = reporter.says("ย้อนกลับ")
    assert card["type"] == "flex"


# ------------------------------------------------ later, elsewhere, idle drafts

def test_another_worker_continues_the_same_report(reporter, database_url, make_app, line, db):
    walk(reporter, *plain_answers()[:7])
    second = make_app(database_url)  # a second gunicorn worker, or the server after a restart
    elsewhere = Chat(second, second.test_client(), line, reporter.user_id)
    [reply] = elsewhere.says("ไม่ใช่ตัวเลือก")
    assert "เลือกคำตอบจากปุ่ม" in reply["text"]
    for step in plain_answers()[7:]:
        reply = elsewhere.says(step)
    assert reply[0]["type"] == "flex"
    elsewhere.says("ยืนยัน")
    assert len(cases(db)) == 1


def test_next_day_continues_but_after_24_hours_the_draft_is_gone(reporter, db):
    walk(reporter, *plain_answers()[:2])
    age_draft(db, reporter, 20)
    assert "หมู่บ้าน" in last_text(reporter.says("อายุ 12"))
    age_draft(db, reporter, 25)
    [expired] = reporter.says("45 หมู่ 1")
    assert "หมดเวลา" in expired["text"] and draft(db, reporter) is None


def test_menu_mid_draft_picks_up_where_it_stopped(reporter):
    walk(reporter, *plain_answers()[:2])
    [reply] = reporter.says(MENU_REPORT_CHILD)
    assert "กรอกค้างไว้" in reply["text"] and "วันเกิด" in reply["text"]
    assert "หมู่บ้าน" in reporter.says("อายุ 12")[0]["text"]


def test_idle_draft_is_reminded_once_then_expires(reporter, db, line):
    walk(reporter, *plain_answers()[:3])
    before = len(line.messages_to(reporter.user_id))
    now = utcnow()
    assert flow.remind_idle_drafts(db, now + timedelta(hours=1)) == {"reminded": 0, "expired": 0}
    assert flow.remind_idle_drafts(db, now + timedelta(hours=4)) == {"reminded": 1, "expired": 0}

    def received(count: int) -> list[dict]:
        return wait_for(lambda: len(line.messages_to(reporter.user_id)) >= before + count
                        and line.messages_to(reporter.user_id)[before:], f"{count} messages to the reporter")

    reminder, question = received(2)
    assert "ยังไม่เสร็จ" in reminder["text"] and "หมู่บ้าน" in question["text"]
    assert flow.remind_idle_drafts(db, now + timedelta(hours=5)) == {"reminded": 0, "expired": 0}
    assert flow.remind_idle_drafts(db, now + timedelta(hours=25)) == {"reminded": 0, "expired": 1}
    assert draft(db, reporter) is None
    assert "หมดเวลา" in received(3)[2]["text"]


# ------------------------------------------------------------------ duplicates

def test_two_reporters_confirming_the_same_child_at_once_make_one_case(
        reporter, registered, new_chat, db, app, line, monkeypatch):
    if db.dialect != "postgresql":
        pytest.skip("SQLite runs one writer at a time; the race needs PostgreSQL's concurrent transactions")
    other = registered(new_chat(), "reporter", "400102")
    for chat in (reporter, other):
        walk(chat, *plain_answers())
    # Both transactions look for the child before either inserts: the unique index must decide.
    both_looked = threading.Barrier(2, timeout=10)
    lookups: list[bool] = []
    lock = threading.Lock()
    real_find = models.case.find_duplicate

    def find_then_wait(session, fields):
        found = real_find(session, fields)
        with lock:
            lookups.append(found is not None)
            first_two = len(lookups) <= 2
        if first_two:
            both_looked.wait()
        return found

    monkeypatch.setattr(models.case, "find_duplicate", find_then_wait)
    replies = {}

    def confirm(chat):
        own = Chat(app, app.test_client(), line, chat.user_id)
        replies[chat.user_id] = own.says("ยืนยัน")

    threads = [threading.Thread(target=confirm, args=(chat,)) for chat in (reporter, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    # Neither saw the other's case; the loser's insert hit the unique index and it looked again.
    assert lookups == [False, False, True]
    [case] = cases(db)
    outcomes = sorted("มีในระบบแล้ว" in reply[0]["text"] for reply in replies.values())
    assert outcomes == [False, True]
    assert [e.kind for e in events(db, case.id)] == ["reported", "reported_again"]


# --------------------------------------------------------- coordinators' lists

def test_coordinators_change_a_list_without_code(reporter, db):
    with db.transaction() as session:
        option = session.scalar(select(ChoiceOption).where(ChoiceOption.list_name == "wants",
                                                           ChoiceOption.code == "not_now"))
        old_label = option.label
        option.label = "ยังไม่อยากเรียน"
        session.add(ChoiceOption(list_name="wants", code="special_ed", label="การศึกษาพิเศษ", position=9))
    try:
        [reply] = walk(reporter, *plain_answers()[:7])
        labels = quick_reply_labels(reply)
        assert "ยังไม่อยากเรียน" in labels and "การศึกษาพิเศษ" in labels
        reporter.says("การศึกษาพิเศษ")
        for step in plain_answers()[8:]:
            reporter.says(step)
        reporter.says("ยืนยัน")
        assert cases(db)[0].wants == "special_ed"
    finally:
        with db.transaction() as session:
            session.execute(update(ChoiceOption).where(ChoiceOption.code == "not_now").values(label=old_label))
            session.execute(ChoiceOption.__table__.delete().where(ChoiceOption.code == "special_ed"))


def test_seeded_lists_fit_line_buttons(db):
    with db.transaction() as session:
        options = list(session.scalars(select(ChoiceOption)))
    lists = {o.list_name for o in options}
    assert lists >= {"situation", "reason", "wants", "close_reason", "decline_reason"}
    for list_name in lists:
        labels = [o.label for o in options if o.list_name == list_name]
        # A button shows a label's first 20 characters (and sends it whole): they must still tell options apart.
        assert len({label[:MAX_LABEL] for label in labels}) == len(labels)
        # The report writes a longer list out numbered (tests/test_urgent.py); every other list is buttons only.
        if list_name not in report_child.LISTS:
            assert len(labels) <= MAX_QUICK_REPLIES - 2
    assert "ไม่ระบุ" in {o.official_category for o in options}


def _in_new_school(db, chat: Chat, *area_codes: str) -> Chat:
    """Make the chat's user a member of a new school organisation covering `area_codes` (no area of their own)."""
    with db.transaction() as session:
        areas = [session.scalar(select(Area).where(Area.code == code)) for code in area_codes]
        school = people.save_organisation(session, "school", "โรงเรียนทดสอบ", f"TEST-{'-'.join(area_codes)}", areas)
        session.execute(update(User).where(User.line_user_id == chat.user_id)
                        .values(organisation_id=school.id, area_id=None))
    return chat


def test_a_reporter_without_an_area_of_their_own_picks_one_inside_their_scope(chat, registered, db, line):
    """A school's teacher has the school's areas, not one of their own: the case must get one of them
    (an area-less case would be the whole country's, and not the school's coordinators')."""
    teacher = _in_new_school(db, registered(chat, "teacher", None), "400101", "400102")
    answers = plain_answers(village="ม.2 โคกสี")
    [asked] = walk(teacher, *answers[:3])
    assert "พื้นที่ใด" in asked["text"] and {"ในเมือง", "สำราญ"} <= set(quick_reply_labels(asked))
    [refused] = teacher.says("400201")  # บ้านฝาง: not the school's
    assert "นอกพื้นที่" in refused["text"] and "พื้นที่ใด" in refused["text"]
    [villages] = teacher.taps("value=400102")
    assert villages["text"].startswith("5/11 เด็กอาศัยอยู่หมู่บ้านใด") and "ม.2 โคกสี" in quick_reply_labels(villages)
    for step in answers[3:]:
        answer(teacher, step)
    [done] = teacher.says("ยืนยัน")
    with db.transaction() as session:
        case = session.scalars(select(Case)).one()
        assert case.area_code == "40010202" and case.number in done["text"]
    assert case.number in all_text(teacher.says(MENU_MY_REPORTS)[0])


def test_a_reporter_whose_organisation_has_one_area_is_not_asked(chat, registered, db):
    teacher = _in_new_school(db, registered(chat, "teacher", None), "400102")
    walk(teacher, *plain_answers())
    teacher.says("ยืนยัน")
    with db.transaction() as session:
        assert session.scalars(select(Case.area_code)).one() == "40010201"
