"""Acceptance transcripts for issue 16, written as a village head (and an attacker) would use the bot: reports
in one message in many real shapes, answers in any order, talk in the middle of a form, cancelling,
typed answers at button steps, duplicates in and out of the reporter's area, and messy input.

Every reply is checked against LINE's limits and for the dispatcher's apology (a handler that failed).
The tests marked xfail(strict=True) are bugs found on the way: each reason says what goes wrong.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from chat.flow import CARRY_ON, CONFIRM_CANCEL, PAUSE, remind_idle_drafts
from domain.menu_labels import MENU_CHILDREN_TO_FIND, MENU_REPORT_CHILD
from helpers import ID, OTHER_ID, Chat, all_text, card_rows, checked, deliver_queued, quick_reply_labels
from models import STATUSES, Case, CaseEvent, Conversation, User, utcnow

REPORTER_PHONE = "0811111111"
ADD_TO_CASE = "เพิ่มข้อมูลให้เรื่องเดิม"
TALK = ("สวัสดีครับ", "ขอบคุณครับ", "พรุ่งนี้ประชุมกี่โมง", "?")
ASKED_ABOUT_DRAFT = "ค้างอยู่"


# ------------------------------------------------------------------ helpers

pytestmark = pytest.mark.usefixtures("no_handler_failed")


@pytest.fixture
def reporter(chat, registered) -> Chat:
    """A village head of ตำบลสำราญ (บ้านสำราญ หมู่ที่ 1, บ้านโคกสี หมู่ที่ 2)."""
    return registered(chat, "reporter", "400102", real_name="ผู้ใหญ่มานะ ดีมาก", phone=REPORTER_PHONE)


def say(chat: Chat, *texts: str) -> list[dict]:
    """Send each text; return the last reply (every one checked)."""
    reply: list[dict] = []
    for said in texts:
        reply = checked(chat.says(said))
    return reply


def tap(chat: Chat, data: str) -> list[dict]:
    return checked(chat.taps(data))


def shown(reply: list[dict]) -> str:
    return "\n".join(all_text(message) for message in reply)


def draft(db, chat: Chat) -> dict | None:
    with db.transaction() as session:
        convo = session.scalar(select(Conversation).join(User, User.id == Conversation.user_id)
                               .where(User.line_user_id == chat.user_id))
        return None if convo is None else {**convo.data, "_step": convo.step, "_flow": convo.flow}


def cases(db) -> list[Case]:
    with db.transaction() as session:
        return list(session.scalars(select(Case).order_by(Case.id)))


def age_out_drafts(db, hours: float) -> None:
    with db.transaction() as session:
        session.execute(update(Conversation).values(updated_at=utcnow() - timedelta(hours=hours)))


def finish_plain(chat: Chat, *answers: str) -> list[dict]:
    """Answer what is left and confirm the card."""
    say(chat, *answers)
    return say(chat, "ยืนยัน")


# ------------------------------------------------------------------ 1. one-message reports

# message -> the draft fields expected (village by area code, guardian as stored)
SHAPES = {
    "nong-no-title-thai-digits": (
        "น้องสมชาย ใจดี อายุ ๑๒ ปี บ.โคกสี ม.๒ ไม่ได้เรียน ช่วยพ่อทำนา เบอร์แม่ 0891234567",
        {"name": ("สมชาย", "ใจดี"), "age": 12, "village": "40010202", "situation": "working",
         "guardian": (None, "0891234567", "แม่")}),
    "no-spaces": (
        "ดช.สมชายใจดี12ขวบหมู่2บ้านเลขที่45/1",
        {"title": "เด็กชาย", "name": ("สมชาย", "ใจดี"), "age": 12, "village": "40010202", "home": "45/1 หมู่2"}),
    "guardian-first-age-in-words": (
        "แม่ชื่อสมศรี 081 234 5678 ด.ญ.มะลิ ชื่นใจ อายุสิบสอง หมู่ที่ ๑",
        {"title": "เด็กหญิง", "name": ("มะลิ", "ชื่นใจ"), "age": 12, "village": "40010201",
         "guardian": ("สมศรี", "0812345678", "แม่")}),
    "birth-be": (
        "ด.ช.ต้น มีสุข เกิด 15/3/2555 หมู่ 1 บ้านเลขที่ 12",
        {"name": ("ต้น", "มีสุข"), "born": "2012-03-15", "village": "40010201", "home": "12 หมู่ 1"}),
    "birth-ce-month-name": (
        "ด.ช.ต้น มีสุข เกิด 15 มี.ค. 2012 หมู่ 1",
        {"name": ("ต้น", "มีสุข"), "born": "2012-03-15", "village": "40010201"}),
    "id-dashes-grandma-phone": (
        "ด.ญ.ฝน ใจงาม เลขบัตร 1-1017-00230-70-8 ยาย 0891234567 หมู่ 2",
        {"name": ("ฝน", "ใจงาม"), "national_id": ID, "village": "40010202",
         "guardian": (None, "0891234567", "ยาย")}),
    "id-thai-digits-spaces": (
        "ด.ญ.ฝน ใจงาม เลข ๑ ๑๐๑๗ ๐๐๒๓๐ ๗๐ ๘ หมู่ 2",
        {"name": ("ฝน", "ใจงาม"), "national_id": ID, "village": "40010202"}),
    "fathers-age-not-the-childs": (
        "ด.ช.ก้อง สายดี อายุ 14 พ่ออายุ 45 ปี หมู่ 1",
        {"name": ("ก้อง", "สายดี"), "age": 14, "village": "40010201", "guardian": None}),
    "village-heads-phone-not-the-guardians": (
        "ผู้ใหญ่บ้านเบอร์ 0812223333 แจ้ง ด.ช.ก้อง สายดี 10 ขวบ หมู่ 1",
        {"name": ("ก้อง", "สายดี"), "age": 10, "guardian": None}),
    "father-with-title-plus66": (
        "ด.ช.ก้อง สายดี 10 ขวบ ม.1 พ่อนายสมหมาย สายดี +66 81 234 5678",
        {"age": 10, "village": "40010201", "guardian": ("นายสมหมาย สายดี", "0812345678", "พ่อ")}),
    "mothers-work-not-the-childs": (
        "ด.ช.ก้อง สายดี 10 ขวบ หมู่ 1 แม่ไปทำงานกรุงเทพ อยู่กับยาย ยากจน",
        {"situation": None, "reason": "poverty"}),
    "house-moo-village-subdistrict": (
        "ด.ญ.ก้อย สายดี อายุ 13 อยู่บ้านเลขที่ 7 ม.2 บ.โคกสี ต.สำราญ",
        {"age": 13, "home": "7 ม.2", "village": "40010202"}),
    "grandma-named-with-title": (
        "ด.ช.สมชาย ใจดี อายุ 12 หมู่ 2 ยาย นางบัว ใจดี 0898765432",
        {"guardian": ("นางบัว ใจดี", "0898765432", "ยาย")}),
}


@pytest.mark.parametrize("message, expected", SHAPES.values(), ids=SHAPES.keys())
def test_a_report_in_one_message_outside_a_form_is_read_into_the_draft(reporter, db, areas, message, expected):
    recap = shown(say(reporter, message))
    data = draft(db, reporter)
    assert data is not None and data["_flow"] == "report", recap
    if "title" in expected:
        assert data["title"] == expected["title"]
    if "name" in expected:
        assert (data["name"]["first"], data["name"]["last"]) == expected["name"]
        assert " ".join(expected["name"]) in recap
    if "age" in expected:
        assert data["birth"]["age"] == expected["age"]
    if "born" in expected:
        assert data["birth"]["date"] == expected["born"] and "15 มี.ค. 2555" in recap
    if "national_id" in expected:
        assert data["national_id"] == expected["national_id"] and "1-XXXX-XXXXX-XX-8" in recap
    if "village" in expected:
        assert data["village"] == areas[expected["village"]]
    if "home" in expected:
        assert data["home"] == {"address": expected["home"]}
    for list_name in ("situation", "reason"):
        if list_name in expected:
            assert data.get(list_name) == expected[list_name]
    if "guardian" in expected:
        guardian = data.get("guardian")
        want = expected["guardian"]
        assert (guardian and (guardian["name"], guardian["phone"], guardian["relation"])) == (want or None)


def test_a_report_with_gaps_asks_only_the_gaps_and_saves_every_field(reporter, db, areas):
    reply = say(reporter, "ด.ญ.มะลิ ชื่นใจ อายุ ๙ ขวบ บ้านเลขที่ 7 หมู่ 2 ยากจน อยู่บ้านเฉยๆ อยากเรียน กศน "
                          "ยายชื่อบัวผัน ศรีสุข โทร 089-111-2222")
    assert "เลขประจำตัวประชาชน" in reply[-1]["text"]
    [photo] = say(reporter, "ไม่ทราบ")
    assert "รูปถ่าย" in photo["text"]  # nothing else was missing
    [card] = say(reporter, "ไม่มีรูป")
    rows = card_rows(card)
    assert rows["ผู้ปกครอง"] == "บัวผัน ศรีสุข (ยาย) 089-111-2222" and rows["พื้นที่"] == "บ้านโคกสี หมู่ที่ 2"
    [done] = say(reporter, "ยืนยัน")
    assert "เลขที่เรื่อง" in done["text"]
    [case] = cases(db)
    assert (case.title, case.first_name, case.last_name, case.age_years, case.area_id, case.address) == (
        "เด็กหญิง", "มะลิ", "ชื่นใจ", 9, areas["40010202"], "7 หมู่ 2")
    assert (case.situation, case.reason, case.wants) == ("at_home", "poverty", "non_formal")
    assert (case.guardian_name, case.guardian_phone, case.national_id) == ("บัวผัน ศรีสุข (ยาย)", "0891112222", None)


EVERYTHING = (f"ด.ช.สมชาย ใจดี เลขบัตร {ID} 12 ขวบ บ้านเลขที่ 45 หมู่ 1 ช่วยพ่อทำงานรับจ้าง "
              "ที่บ้านยากจน อยากเรียน กศน. แม่ชื่อสมศรี 081-234-5678")


def test_the_whole_report_as_the_first_answer_of_the_form_asks_only_the_photo(reporter, db):
    say(reporter, MENU_REPORT_CHILD)
    reply = say(reporter, EVERYTHING)
    assert "เด็กชาย สมชาย ใจดี" in shown(reply)
    assert "รูปถ่าย" in reply[-1]["text"] and "คำนำหน้า" not in reply[-1]["text"]


@pytest.mark.parametrize("message", [
    "นางสมศรี ใจดี อายุ 45 ปี แจ้งว่า ด.ช.ก้อง ใจดี ลูกชาย ไม่ได้เรียน หมู่ 1",
    "นายสมหมาย ใจดี เป็นพ่อของ ด.ช.ก้อง ใจดี อายุ 12 หมู่ 1",
])
def test_a_parent_named_before_the_child_is_not_taken_for_the_child(reporter, db, message):
    reply = say(reporter, message)
    data = draft(db, reporter)
    assert data["name"]["first"] == "ก้อง" and data.get("title") == "เด็กชาย"
    assert "มีเด็ก 2 คน" not in shown(reply)
    assert "ก้อง" not in ((data.get("guardian") or {}).get("name") or "")


@pytest.mark.parametrize("message", [
    "ด.ช.สมชาย ใจดี หมู่ 2 พี่ชาย นายสมหมาย ใจดี อายุ 20",
    "ด.ช.สมชาย ใจดี หมู่ 2 อยู่กับ นางบัว ใจดี อายุ 17",
    "ด.ช.สมชาย ใจดี อายุ 12 หมู่ 2 พี่ชาย นายสมหมาย ใจดี อายุ 20",
])
def test_an_adults_age_is_not_the_childs(reporter, db, message):
    reply = say(reporter, message)
    data = draft(db, reporter)
    assert "มีเด็ก 2 คน" not in shown(reply)
    assert (data.get("birth") or {}).get("age") in (None, 12)


@pytest.mark.parametrize("message", [
    f"ด.ช.สมชาย ใจดี อายุ 12 หมู่ 2 เลขบัตรแม่ {OTHER_ID}",
    f"ด.ช.สมชาย ใจดี อายุ 12 หมู่ 2 เลขบัตรประชาชนของแม่ {OTHER_ID}",
    f"ด.ช.สมชาย ใจดี อายุ 12 หมู่ 2 เลขบัตร {ID} แม่เลขบัตร {OTHER_ID}",
])
def test_a_parents_national_id_is_not_the_childs(reporter, db, message):
    reply = say(reporter, message)
    data = draft(db, reporter)
    assert data.get("national_id") in (None, ID) and "มีเด็ก 2 คน" not in shown(reply)


@pytest.mark.parametrize("message", [
    "ด.ญ.ก้อย สายดี เกิด 2555 หมู่ 2",
    "ด.ช.สมชาย ใจดี 2012 หมู่ 2",
    "ด.ช.สมชาย ใจดี ม.2 หมู่ 1",
])
def test_a_year_or_a_class_is_not_a_house_number(reporter, db, message):
    say(reporter, message)
    assert "home" not in draft(db, reporter)


@pytest.mark.parametrize("message", [
    f"ด.ช.ก้อง สายดี 10 ขวบ หมู่ 1 ติดต่อ {REPORTER_PHONE}",  # the reporter's own registered number
    "ด.ช.ก้อง สายดี 10 ขวบ หมู่ 1 โทร 0822222222 (ผู้ใหญ่บ้าน)",
    "ด.ช.ก้อง สายดี 10 ขวบ หมู่ 1 ผู้แจ้ง นายมานะ ดีมาก 0822222222",
])
def test_the_reporters_own_phone_is_not_the_guardians(reporter, db, message):
    say(reporter, message)
    assert draft(db, reporter).get("guardian") is None


def test_a_stepfather_hurting_the_child_reads_as_abuse(reporter, db):
    say(reporter, "ด.ญ.สมใจ ใจดี อายุ 15 ปี หมู่ 1 พ่อเลี้ยงทำร้าย")
    assert draft(db, reporter).get("reason") == "abuse"


# ------------------------------------------------------------------ 2. any order, back and edit

def test_answers_in_any_order_are_kept_and_back_and_edit_still_work(reporter, db, areas):
    say(reporter, MENU_REPORT_CHILD)
    [again] = say(reporter, "089-123-4567")  # a phone at the name step
    assert "089-123-4567" in again["text"] and again["text"].endswith("เช่น ด.ช. สมชาย ใจดี")
    [again] = checked(reporter.shares_location(16.43, 102.83, address="ทุ่งนาหลังวัด"))  # a pin at the name step
    assert "ปักหมุด" in again["text"] and "ชื่อและนามสกุลของเด็ก" in again["text"]
    say(reporter, "ด.ช. สมชาย ใจดี")
    [again] = say(reporter, "12 ขวบ")  # an age at the ID step
    assert "อายุ 12 ปี" in again["text"] and "เลขประจำตัวประชาชน" in again["text"]
    [village] = say(reporter, ID)
    assert "หมู่บ้านใด" in village["text"]  # birth, home and guardian were given: passed over
    [back] = say(reporter, "ย้อนกลับ")
    assert "เลขประจำตัวประชาชน" in back["text"]
    [back] = say(reporter, "ย้อนกลับ")
    assert "ชื่อและนามสกุลของเด็ก" in back["text"]
    say(reporter, "ด.ช. สมชาย ใจดี", ID, "ม.๒", "อยู่บ้าน ไม่ได้เรียน", "ไม่มีค่าเทอม", "กลับเข้าโรงเรียน")
    [card] = say(reporter, "ไม่มีรูป")
    assert card_rows(card)["ผู้ปกครอง"] == "089-123-4567"
    say(reporter, "แก้ไข", "วันเกิด/อายุ")
    [card] = say(reporter, "15/3/2555")
    assert card["type"] == "flex" and card_rows(card)["วันเกิด/อายุ"].startswith("15 มี.ค. 2555")
    say(reporter, "ยืนยัน")
    [case] = cases(db)
    assert (case.birth_date, case.area_id, case.latitude, case.guardian_phone, case.reason) == (
        date(2012, 3, 15), areas["40010202"], 16.43, "0891234567", "poverty")


def test_a_reason_typed_at_the_situation_step_is_not_also_the_situation(reporter, db):
    say(reporter, MENU_REPORT_CHILD, "ด.ช. สมชาย ใจดี", "ไม่ทราบ", "อายุ 12", "ม.1", "45 หมู่ 1")
    [*_, asked] = say(reporter, "ยากจน")
    assert draft(db, reporter)["reason"] == "poverty"
    assert "ตอนนี้เด็กทำอะไรอยู่" in asked["text"] and draft(db, reporter).get("situation") is None


def test_a_national_id_typed_at_the_home_step_is_not_the_address(reporter, db):
    say(reporter, MENU_REPORT_CHILD, "ด.ช. สมชาย ใจดี", "ไม่ทราบ", "อายุ 12", "ม.1")
    [asked] = say(reporter, "1-1017-00230-70-8")
    assert "บ้านที่เด็กอาศัยอยู่" in asked["text"]
    assert "home" not in draft(db, reporter)


def test_step_numbers_while_editing_stay_the_same_count(reporter, db):
    say(reporter, "ด.ญ.มะลิ ชื่นใจ อายุ 9 ขวบ หมู่ 2 บ้านเลขที่ 7 ยากจน อยู่บ้านเฉยๆ อยากเรียน กศน แม่ 0891234567",
        "ไม่ทราบ", "ไม่มีรูป")
    numbers = []
    for label, answer in (("ชื่อ-นามสกุล", "ด.ช. มานะ ชื่นใจ"), ("หมู่บ้าน", "ม.1"), ("ผู้ปกครอง", "ข้าม")):
        say(reporter, "แก้ไข")
        [question] = say(reporter, label)
        numbers.append(question["text"].split(" ", 1)[0])
        say(reporter, answer)
    assert len({number.split("/")[-1] for number in numbers}) == 1, numbers


# ------------------------------------------------------------------ 3. talk mid-form, pause, resume

def test_talk_at_every_kind_of_step_asks_whether_to_go_on(reporter, db):
    say(reporter, MENU_REPORT_CHILD)
    steps = [("ด.ช. สมชาย ใจดี", "เลขประจำตัวประชาชน"), ("ไม่ทราบ", "วันเกิด"), ("อายุ 12", "หมู่บ้านใด"),
             ("ม.1", "บ้านที่เด็ก"), ("45 หมู่ 1", "ตอนนี้เด็กทำอะไร"), ("อยู่บ้าน ไม่ได้เรียน", "สาเหตุหลัก"),
             ("บ้านไกล/เดินทางลำบาก", "ต้องการอะไร"), ("กศน", "ผู้ปกครอง"), ("ข้าม", "รูปถ่าย")]
    for n, (answer, next_question) in enumerate(steps):
        question = say(reporter, answer)[-1]
        assert next_question in question["text"]
        if next_question == "ผู้ปกครอง":
            continue  # a free-text step: see test_talk_at_the_guardian_step_is_not_saved_as_the_guardian
        talk = TALK[n % len(TALK)]
        [asked] = say(reporter, talk)
        assert asked["text"].startswith("มีแจ้งพบ เด็กชาย สมชาย ใจดี ค้างอยู่"), (talk, asked["text"])
        assert quick_reply_labels(asked) == [CARRY_ON, PAUSE, "ยกเลิก"]
        [again] = say(reporter, CARRY_ON)
        assert again["text"] == question["text"]
    [card] = say(reporter, "ไม่มีรูป")
    for talk in TALK:  # at the card, and at the edit menu
        [asked] = say(reporter, talk)
        assert ASKED_ABOUT_DRAFT in asked["text"], talk
        assert say(reporter, CARRY_ON)[-1]["type"] == "flex"
    say(reporter, "แก้ไข")
    [asked] = say(reporter, "ขอบคุณครับ")
    assert ASKED_ABOUT_DRAFT in asked["text"]
    [menu] = say(reporter, CARRY_ON)
    assert "ต้องการแก้ไขข้อใด" in menu["text"]
    assert cases(db) == []


def test_talk_at_the_guardian_step_is_not_saved_as_the_guardian(reporter, db):
    say(reporter, MENU_REPORT_CHILD, "ด.ช. สมชาย ใจดี", "ไม่ทราบ", "อายุ 12", "ม.1", "45 หมู่ 1",
        "อยู่บ้าน ไม่ได้เรียน", "บ้านไกล/เดินทางลำบาก", "กศน")
    [asked] = say(reporter, "พรุ่งนี้ประชุมกี่โมง")
    assert ASKED_ABOUT_DRAFT in asked["text"]


def test_talk_at_a_note_step_is_not_saved_as_the_note(reporter, db, make_case):
    say(reporter, MENU_REPORT_CHILD, "ด.ช. สมชาย ใจดี", "ไม่ทราบ", "อายุ 12", "ม.1", "45 หมู่ 1", "อื่น ๆ")
    [asked] = say(reporter, "พรุ่งนี้ประชุมกี่โมง")
    assert ASKED_ABOUT_DRAFT in asked["text"]
    say(reporter, "ยกเลิก", CONFIRM_CANCEL)
    case_id = make_case("40010201", status="to_find")
    tap(reporter, f"action=checkin&case={case_id}")
    say(reporter, "ไม่พบตัว")
    [asked] = say(reporter, "พรุ่งนี้ประชุมกี่โมง")
    assert ASKED_ABOUT_DRAFT in asked["text"]


def test_the_engines_own_words_are_never_saved_as_answers(reporter, db):
    say(reporter, MENU_REPORT_CHILD, "ด.ช. สมชาย ใจดี", "ไม่ทราบ", "อายุ 12", "ม.1", "45 หมู่ 1")
    say(reporter, CONFIRM_CANCEL, "บ้านไกล/เดินทางลำบาก", "กศน", PAUSE)
    data = draft(db, reporter)
    assert CONFIRM_CANCEL not in str(data) and PAUSE not in str(data)


def test_a_draft_put_aside_leaves_the_menu_working_and_resumes_naming_the_child(reporter, db):
    say(reporter, MENU_REPORT_CHILD, "ด.ญ. สมศรี มีสุข", ID)
    say(reporter, "ขอบคุณครับ")
    [paused] = say(reporter, PAUSE)
    assert "พักรายการไว้แล้ว" in paused["text"] and MENU_CHILDREN_TO_FIND in quick_reply_labels(paused)
    assert "ไม่มีรายชื่อที่ต้องติดตาม" in shown(say(reporter, MENU_CHILDREN_TO_FIND))
    [hello] = say(reporter, "สวัสดีครับ")
    assert ASKED_ABOUT_DRAFT not in hello["text"] and "ยินดีต้อนรับ" in hello["text"]
    [search] = say(reporter, "ค้นหา สมศรี")
    assert "ไม่พบเด็กที่ตรงกับ" in search["text"]
    [resumed] = say(reporter, MENU_REPORT_CHILD)
    assert "แจ้งพบ เด็กหญิง สมศรี มีสุข" in resumed["text"] and "วันเกิด" in resumed["text"]
    say(reporter, "อายุ 12")
    assert draft(db, reporter)["birth"]["age"] == 12 and draft(db, reporter)["national_id"] == ID


def test_a_one_message_report_while_a_draft_is_paused_does_not_mix_two_children(reporter, db):
    say(reporter, MENU_REPORT_CHILD, "ด.ช. สมชาย ใจดี", ID, "สวัสดีครับ", PAUSE)
    reply = say(reporter, "ด.ญ.มะลิ ชื่นใจ อายุ 9 ขวบ หมู่ 2 ไม่ได้เรียนเพราะบ้านไกล")
    data = draft(db, reporter)
    mixed = data["name"]["first"] == "สมชาย" and (data.get("birth") or {}).get("age") == 9
    assert not mixed, shown(reply)


def test_a_check_in_says_it_replaces_a_paused_report(reporter, db, make_case):
    case_id = make_case("40010201", status="to_find")
    say(reporter, MENU_REPORT_CHILD, "ด.ช. สมชาย ใจดี", ID, "สวัสดีครับ", PAUSE)
    # One draft at a time: the report put aside gives way to the check-in, and the reporter is told so.
    told = shown(tap(reporter, f"action=checkin&case={case_id}"))
    assert "ยกเลิกแจ้งพบ เด็กชาย สมชาย ใจดี ที่ค้างไว้แล้ว" in told and "ผลการติดตาม" in told


def test_a_reminder_of_a_paused_draft_can_be_answered(reporter, db, app):
    say(reporter, MENU_REPORT_CHILD, "ด.ช. สมชาย ใจดี", ID, "สวัสดีครับ", PAUSE)
    age_out_drafts(db, 4)
    before = len(reporter.line.messages_to(reporter.user_id))
    assert remind_idle_drafts(db, utcnow())["reminded"] == 1
    deliver_queued(app)
    reminder, question = reporter.line.messages_to(reporter.user_id)[before:]
    assert "ยังไม่เสร็จ" in reminder["text"] and "วันเกิด" in question["text"]
    [village] = say(reporter, "12 ขวบ")
    assert "หมู่บ้านใด" in village["text"] and draft(db, reporter)["birth"]["age"] == 12


def test_pause_typed_at_any_step_puts_the_draft_aside(reporter, db):
    say(reporter, MENU_REPORT_CHILD, "ด.ช. สมชาย ใจดี", ID)
    [paused] = say(reporter, PAUSE)
    assert "พักรายการไว้แล้ว" in paused["text"]


def test_talk_in_a_check_in_names_the_child(reporter, db, make_case):
    case_id = make_case("40010201", status="to_find", first_name="บุญมา", last_name="ทองดี")
    tap(reporter, f"action=checkin&case={case_id}")
    say(reporter, "ไม่พบตัว")
    [asked] = say(reporter, "สวัสดีครับ")
    assert "บุญมา" in asked["text"]


def test_a_paused_check_in_resumes_from_the_same_button(reporter, db, make_case):
    case_id = make_case("40010201", status="to_find")
    tap(reporter, f"action=checkin&case={case_id}")
    say(reporter, "ไม่พบตัว", "บ้านปิด ไม่มีคนอยู่", "สวัสดีครับ", PAUSE)
    [again] = tap(reporter, f"action=checkin&case={case_id}")
    assert "ผลการติดตามเป็นอย่างไร" not in again["text"]


# ------------------------------------------------------------------ 4. cancelling

def test_cancel_asks_only_when_something_was_answered_in_each_flow(reporter, db, make_case, new_chat, invite_code):
    [gone] = say(reporter, MENU_REPORT_CHILD, "ยกเลิก")
    assert "ยกเลิกการแจ้งแล้ว" in gone["text"] and draft(db, reporter) is None
    say(reporter, MENU_REPORT_CHILD, "ด.ช. สมชาย ใจดี")
    [asked] = say(reporter, "ยกเลิก")
    assert "ยกเลิกแจ้งพบ เด็กชาย สมชาย ใจดี ใช่ไหม" in asked["text"]
    assert quick_reply_labels(asked) == [CONFIRM_CANCEL, CARRY_ON]
    [kept] = say(reporter, "12 ขวบ")  # the cancel question answered with an answer: kept, nothing cancelled
    assert "อายุ 12 ปี" in kept["text"] and draft(db, reporter)["birth"]["age"] == 12
    say(reporter, "ยกเลิก")
    [gone] = say(reporter, "ยกเลิก")  # cancel twice is confirming
    assert "ยกเลิกการแจ้งแล้ว" in gone["text"] and draft(db, reporter) is None and cases(db) == []
    [nothing] = say(reporter, CONFIRM_CANCEL)  # typed when nothing was asked: no flow, no crash
    assert "ยังไม่เข้าใจ" in nothing["text"]

    case_id = make_case("40010201", status="to_find")
    tap(reporter, f"action=checkin&case={case_id}")
    [gone] = say(reporter, "ยกเลิก")
    assert "ยกเลิกการเช็กอินแล้ว" in gone["text"]
    tap(reporter, f"action=checkin&case={case_id}")
    say(reporter, "ไม่พบตัว")
    [asked] = say(reporter, "ยกเลิก")
    assert CONFIRM_CANCEL in quick_reply_labels(asked)
    [again] = say(reporter, CARRY_ON)
    assert "รายละเอียดเพิ่มเติม" in again["text"]
    say(reporter, "ยกเลิก")
    [gone] = say(reporter, CONFIRM_CANCEL)
    assert "ยกเลิกการเช็กอินแล้ว" in gone["text"]
    with db.transaction() as session:
        assert session.get(Case, case_id).status == "to_find"

    newcomer = new_chat()
    checked(newcomer.says("ลงทะเบียน"))
    say(newcomer, "ยอมรับ", invite_code("reporter", "400102"))
    [asked] = say(newcomer, "ยกเลิก")
    assert CONFIRM_CANCEL in quick_reply_labels(asked)
    [gone] = say(newcomer, CONFIRM_CANCEL)
    assert "ยกเลิกการลงทะเบียนแล้ว" in gone["text"]
    with db.transaction() as session:
        assert session.scalar(select(User.role).where(User.line_user_id == newcomer.user_id)) is None


# ------------------------------------------------------------------ 5. typed answers at list steps

def test_typed_answers_at_list_steps(reporter, db):
    say(reporter, MENU_REPORT_CHILD, "ด.ช. สมชาย ใจดี", "ไม่ทราบ", "อายุ 12", "Ban Khok Si", "45 หมู่ 2")
    [reason] = say(reporter, "อื่น ๆ")
    assert "รายละเอียด" in reason["text"]
    [reason] = say(reporter, "บวชเณรอยู่ที่วัดประจำหมู่บ้าน")
    assert "สาเหตุหลัก" in reason["text"]
    [slip] = say(reporter, "15")  # out of range: pointed out, not kept as อื่น ๆ
    assert "1-13" in slip["text"] and "reason" not in draft(db, reporter)
    [slip] = say(reporter, "ก")
    assert "reason" not in draft(db, reporter) and "สาเหตุหลัก" in slip["text"]
    [wants] = say(reporter, "ข้อ 13")  # อื่น ๆ by its number: the details are asked
    [wants] = say(reporter, "ต้องไปช่วยงานวัดทุกวัน")
    assert "ต้องการอะไร" in wants["text"]
    [guardian] = say(reporter, "อาชีวะ")  # a synonym of เรียนสายอาชีพ
    assert "ผู้ปกครอง" in guardian["text"]
    [card] = say(reporter, "ข้าม", "ไม่มีรูป")
    rows = card_rows(card)
    assert rows["สถานการณ์"] == "อื่น ๆ: บวชเณรอยู่ที่วัดประจำหมู่บ้าน"
    assert rows["สาเหตุหลัก"] == "อื่น ๆ: ต้องไปช่วยงานวัดทุกวัน" and rows["ความต้องการ"] == "เรียนสายอาชีพ"
    say(reporter, "ยืนยัน")
    [case] = cases(db)
    assert (case.situation, case.situation_note, case.reason, case.reason_note, case.wants) == (
        "other", "บวชเณรอยู่ที่วัดประจำหมู่บ้าน", "other", "ต้องไปช่วยงานวัดทุกวัน", "vocational")


def test_a_resent_report_at_a_list_step_is_not_kept_as_other(reporter, db):
    say(reporter, MENU_REPORT_CHILD, "ด.ช. สมชาย ใจดี", "ไม่ทราบ", "อายุ 12", "ม.1", "45 หมู่ 1")
    say(reporter, "ด.ช.สมชาย ใจดี อายุ 12 หมู่ 1")
    assert draft(db, reporter).get("situation") != "other"


# ------------------------------------------------------------------ 6. duplicates

def test_a_one_message_report_with_an_id_on_file_is_told_at_once_and_keeps_the_new_details(
        reporter, db, make_case, registered, new_chat, line):
    coordinator = registered(new_chat(), "coordinator", "4001")
    case_id = make_case("40010202", status="to_find", first_name="ก้อง", last_name="สายดี", national_id=OTHER_ID)
    recap, told = say(reporter, f"ด.ช.ก้อง สายดี 10 ขวบ หมู่ 2 เลขบัตร {OTHER_ID} แม่ 0891234567 ยากจน")
    assert "เด็กคนนี้มีเรื่องอยู่แล้ว" in told["text"] and "2569-" in told["text"]
    assert "เพิ่มให้เรื่องเดิม" in quick_reply_labels(told)
    [home] = say(reporter, ADD_TO_CASE)
    assert "บ้านที่เด็กอาศัยอยู่" in home["text"]
    [card] = say(reporter, "99 หมู่ 2", "อยู่บ้าน ไม่ได้เรียน", "กศน", "ไม่มีรูป")
    assert "เพิ่มข้อมูลให้เรื่อง" in card["altText"] and card_rows(card)["ผู้ปกครอง"] == "แม่ 089-123-4567"
    [done] = say(reporter, "ยืนยัน")
    assert "เพิ่มข้อมูลให้เรื่อง" in done["text"] and len(cases(db)) == 1
    with db.transaction() as session:
        [added] = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id,
                                                          CaseEvent.kind == "report_added")).all()
        assert added.details["guardian_phone"] == "0891234567" and added.details["reason"] == "poverty"
    assert "089-123-4567" in all_text(line.messages_to(coordinator.user_id)[-1])


THEIRS = {"title": "ด.ญ.", "first_name": "มาลี", "last_name": "ศรีสุข", "national_id": ID,
          "guardian_name": "นางบุญมี ศรีสุข", "guardian_phone": "0899999999", "address": "99 หมู่ 1"}


def test_another_districts_id_in_one_message_reveals_nothing_of_that_case(reporter, db, make_case):
    case_id = make_case("40020101", status="to_find", **THEIRS)
    with db.transaction() as session:
        theirs = session.get(Case, case_id)
        number, status = theirs.number, STATUSES[theirs.status]
    replies = [say(reporter, f"ด.ญ.มาลี ศรีสุข 10 ขวบ หมู่ 1 เลขบัตร {ID} แม่ 0891234567")]
    for answer in ("45 หมู่ 1", "อยู่บ้าน ไม่ได้เรียน", "ยากจน", "กศน", "ไม่มีรูป", "ยืนยัน"):
        replies.append(say(reporter, answer))
    replies.append(say(reporter, ID))  # the ID alone: a search, which finds nothing in scope
    replies.append(say(reporter, "ค้นหา มาลี"))
    everything = "\n".join(shown(reply) for reply in replies)
    for secret in (number, f"{case_id:06d}", "บุญมี", "0899999999", "099-999-9999", "99 หมู่ 1", "บ้านฝาง", status):
        assert secret not in everything, secret
    assert "ส่งให้ผู้รับผิดชอบตรวจสอบแล้ว" in shown(replies[-3])
    with db.transaction() as session:
        assert session.get(Case, case_id).guardian_phone == "0899999999" and len(cases(db)) == 1


def test_a_one_message_report_matching_name_birth_and_village_is_told_at_once(reporter, db, make_case):
    make_case("40010202", status="to_find", first_name="สมศรี", last_name="มีสุข", birth_date=date(2012, 3, 15))
    reply = say(reporter, "ด.ญ.สมศรี มีสุข เกิด 15/3/2555 หมู่ 2 ยากจน")
    assert "เด็กคนนี้มีเรื่องอยู่แล้ว" in reply[-1]["text"]


def test_a_name_that_sounds_alike_in_one_message_is_warned_on_the_card(reporter, db, make_case):
    make_case("40010201", status="to_find", first_name="สมชาย", last_name="ใจดี", age_years=12)
    say(reporter, "ด.ช.สมชัย ใจดี อายุ 12 หมู่ 1 ยากจน")
    [card] = say(reporter, "ไม่ทราบ", "12 หมู่ 1", "อยู่บ้าน", "กศน", "ข้าม", "ไม่มีรูป")
    assert "อาจเป็นคนเดียวกับเรื่อง" in all_text(card) and "เพิ่มให้เรื่องเดิม" in quick_reply_labels(card)
    [done] = say(reporter, "ยืนยัน")  # not the same child: a new case
    assert "เลขที่เรื่อง" in done["text"] and len(cases(db)) == 2


# ------------------------------------------------------------------ 7. robustness

ODD = {
    "5000-chars": "ก" * 5000,
    "emoji-only": "🙂 🙂",
    "digits-only": "12345",
    "zero-width": "\u200b\u200b",
    "html": "<script>alert(1)</script>",
    "sql": "' OR 1=1 --",
    "dots": "...",
}


@pytest.mark.parametrize("said", ODD.values(), ids=ODD.keys())
def test_odd_messages_outside_a_form_start_nothing(reporter, db, said):
    say(reporter, said)
    assert draft(db, reporter) is None and cases(db) == []


def test_an_id_alone_outside_a_form_searches_the_list(reporter, db, make_case):
    make_case("40010201", status="to_find", first_name="บุญมา", last_name="ทองดี", national_id=ID)
    found = shown(say(reporter, "1-1017-00230-70-8"))
    assert "บุญมา" in found and draft(db, reporter) is None
    [none] = say(reporter, "๓๑๐๐๕๐๐๑๒๓๔๕๘")
    assert "ไม่พบเด็กที่ตรงกับ" in none["text"] and draft(db, reporter) is None


def test_odd_answers_in_a_form_are_refused_clearly_and_lose_nothing(reporter, db):
    say(reporter, MENU_REPORT_CHILD, "ด.ช. สมชาย ใจดี")
    for said in ("🙂 🙂", "ก" * 5000, "12345", "\u200b", "<b>x</b>"):
        [again] = say(reporter, said)
        assert "เลขประจำตัวประชาชน 13 หลัก" in again["text"], said
        assert len(again["text"]) < 600  # a long answer is quoted cut short: the question still shows
    for kind in ("audio", "video", "file"):
        [again] = checked(reporter.sends(kind))
        assert "ข้อมูลที่กรอกไว้ยังอยู่ครบ" in again["text"] and "เลขประจำตัวประชาชน" in again["text"]
    checked(reporter.sends_sticker())
    assert draft(db, reporter)["name"] == {"first": "สมชาย", "last": "ใจดี"} and draft(db, reporter)["_step"] == "national_id"
    [again] = say(reporter, "ด.ช.สม\u200bชาย ใจดี " + "ก" * 4900)  # a report 5,000 characters long in a form
    assert "ยาวเกินไป" in again["text"]


@pytest.mark.parametrize("kind", ["audio", "video", "file"])
def test_audio_video_and_files_outside_a_form_get_a_thai_answer(reporter, kind):
    [answer] = checked(reporter.sends(kind))
    assert answer["text"] and not answer["text"].isascii()


def test_unregistered_and_deactivated_people_cannot_report_in_one_message(reporter, new_chat, registered, db):
    stranger = new_chat()
    say(stranger, "ด.ญ.มะลิ ชื่นใจ อายุ 9 ขวบ หมู่ 2 ไม่ได้เรียนเพราะบ้านไกล")
    assert draft(db, stranger) is None
    say(reporter, MENU_REPORT_CHILD, "ด.ช. สมชาย ใจดี")
    with db.transaction() as session:
        session.execute(update(User).where(User.line_user_id == reporter.user_id).values(active=False))
    [refused] = say(reporter, ID)
    assert "ระงับ" in refused["text"] and draft(db, reporter) is None
    say(reporter, "ด.ญ.มะลิ ชื่นใจ อายุ 9 ขวบ หมู่ 2 ไม่ได้เรียนเพราะบ้านไกล")
    assert draft(db, reporter) is None and cases(db) == []


def test_a_coordinator_may_report_in_one_message(chat, registered, db, areas):
    coordinator = registered(chat, "coordinator", "4001")
    say(coordinator, "ด.ญ.มะลิ ชื่นใจ อายุ 9 ขวบ บ้านเลขที่ 3 หมู่ 2 บ.โคกสี ยากจน อยู่บ้านเฉยๆ อยากเรียน กศน")
    [done] = finish_plain(coordinator, "ไม่ทราบ", "ข้าม", "ไม่มีรูป")
    assert "เลขที่เรื่อง" in done["text"]
    [case] = cases(db)
    assert (case.first_name, case.area_id, case.reason) == ("มะลิ", areas["40010202"], "poverty")
