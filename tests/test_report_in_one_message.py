"""Transcript: reporting the way village heads write — the whole report in one message, answers in
any order, typed answers at button steps, talk in the middle of the form, cancelling with answers.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from chat.flow import CARRY_ON, CONFIRM_CANCEL, PAUSE
from domain.menu_labels import MENU_REPORT_CHILD
from helpers import ID, all_text, answer, card_rows, quick_reply_labels, walk
from line.messages import MAX_LABEL, MAX_QUICK_REPLIES, MAX_TEXT
from models import Area, Case, Conversation, User

EVERYTHING = (f"ด.ช.สมชาย ใจดี เลขบัตร {ID} 12 ขวบ บ้านเลขที่ 45 หมู่ 1 ช่วยพ่อทำงานรับจ้าง "
              "ที่บ้านยากจน อยากเรียน กศน. แม่ชื่อสมศรี 089-123-4567")


@pytest.fixture
def reporter(chat, registered, areas):
    """A village head of ตำบลสำราญ (villages บ้านสำราญ หมู่ที่ 1, บ้านโคกสี หมู่ที่ 2)."""
    return registered(chat, "reporter", "400102")


def within_limits(reply: list[dict]) -> list[dict]:
    assert 1 <= len(reply) <= 5
    for message in reply:
        labels = quick_reply_labels(message)
        assert len(labels) <= MAX_QUICK_REPLIES and all(1 <= len(label) <= MAX_LABEL for label in labels)
        assert len(message.get("text", "").encode("utf-16-le")) // 2 <= MAX_TEXT
    return reply


def draft(db, chat) -> Conversation | None:
    with db.transaction() as session:
        return session.scalar(select(Conversation).join(User, User.id == Conversation.user_id)
                              .where(User.line_user_id == chat.user_id))


def cases(db) -> list[Case]:
    with db.transaction() as session:
        return list(session.scalars(select(Case).order_by(Case.id)))


def test_a_whole_report_in_one_message_reaches_a_case_number_in_two_more_actions(reporter, db):
    recap, photo = within_limits(reporter.says(EVERYTHING))
    for shown in ("เด็กชาย สมชาย ใจดี", "1-XXXX-XXXXX-XX-8", "อายุ 12 ปี", "45 หมู่ 1", "บ้านสำราญ หมู่ที่ 1",
                  "ทำงานหารายได้", "ยากจน", "สกร./กศน.", "สมศรี (แม่)", "089-123-4567"):
        assert shown in recap["text"], shown
    assert "รูปถ่าย" in photo["text"]  # the only gap: the photo, which has its own button
    [card] = within_limits(reporter.says("ไม่มีรูป"))
    rows = card_rows(card)
    assert rows["ชื่อ"] == "เด็กชาย สมชาย ใจดี" and rows["สาเหตุหลัก"] == "ยากจน/ขาดค่าใช้จ่าย"
    [done] = reporter.says("ยืนยัน")
    assert "เลขที่เรื่อง" in done["text"]
    [case] = cases(db)
    assert (case.first_name, case.last_name, case.age_years, case.situation, case.reason, case.wants) == (
        "สมชาย", "ใจดี", 12, "working", "poverty", "non_formal")
    assert case.guardian_phone == "0891234567" and case.guardian_name == "สมศรี (แม่)"
    assert case.national_id == ID and case.address.startswith("45")


def test_a_message_with_gaps_asks_only_the_gaps(reporter, db):
    recap, question = within_limits(reporter.says("ด.ญ.มะลิ ชื่นใจ อายุ 9 ขวบ หมู่ 2 ไม่ได้เรียนเพราะบ้านไกล"))
    assert "เด็กหญิง มะลิ ชื่นใจ" in recap["text"] and "บ้านไกล" in recap["text"]
    assert "เลขประจำตัวประชาชน" in question["text"]  # name, age, village and reason are not asked again
    asked = [question["text"]]
    for said in ("ไม่ทราบ", "12 หมู่ 2", "อยู่บ้าน ไม่ได้เรียน", "กลับเข้าโรงเรียน", "ข้าม", "ไม่มีรูป"):
        reply = reporter.says(said)
        asked.append(all_text(reply[-1]))
    assert not any("วันเกิด" in text.split("\n")[0] or "หมู่บ้านใด" in text for text in asked[1:]), asked
    assert "ตรวจสอบข้อมูล" in asked[-1]
    reporter.says("ยืนยัน")
    with db.transaction() as session:
        case = session.scalars(select(Case)).one()
        assert (case.first_name, case.age_years, case.reason, case.area.name) == ("มะลิ", 9, "distance",
                                                                                   "บ้านโคกสี หมู่ที่ 2")


def test_an_answer_to_another_question_is_kept_and_the_open_one_asked_again(reporter, db):
    [name] = reporter.says(MENU_REPORT_CHILD)[-1:]
    [again] = reporter.says("089-123-4567")  # a phone at the name step: the guardian's
    assert "089-123-4567" in again["text"] and "ชื่อและนามสกุลของเด็ก" in again["text"]
    reporter.says("ด.ช. สมชาย ใจดี")
    [again] = reporter.says("12 ขวบ")  # an age at the ID step
    assert "อายุ 12 ปี" in again["text"] and "เลขประจำตัวประชาชน" in again["text"]
    [after_id] = reporter.says(ID)
    assert "วันเกิด" not in after_id["text"]  # the age was given: the birth question is passed over
    [again] = answer(reporter, ("location", 16.43, 102.83, "12 หมู่ 2 ต.สำราญ"))  # a pin at the village step
    assert "ปักหมุด" in again["text"]
    for said in ("บ้านโคกสี หมู่ที่ 2", "อยู่บ้าน ไม่ได้เรียน", "บ้านไกล/เดินทางลำบาก", "กลับเข้าโรงเรียน"):
        reply = reporter.says(said)
    assert "รูปถ่าย" in reply[-1]["text"]  # the guardian question is passed over: the phone was given
    reporter.says("ไม่มีรูป")
    reporter.says("ยืนยัน")
    [case] = cases(db)
    assert case.guardian_phone == "0891234567" and case.age_years == 12 and case.latitude == 16.43


def test_typed_answers_at_button_steps_are_matched_or_kept_as_other(reporter, db):
    walk(reporter, "ด.ช. สมชาย ใจดี", "ไม่ทราบ", "อายุ 12", "บ้านสำราญ หมู่ที่ 1", "45 หมู่ 1")
    [reason] = reporter.says("บวชเณรอยู่ที่วัด")  # no option says it: kept as อื่น ๆ, no details question
    assert "สาเหตุหลัก" in reason["text"]
    [wants] = reporter.says("ไม่มีค่าเทอม")  # a typed reason matched through the option's words
    assert "ต้องการอะไร" in wants["text"]
    reporter.says("กศน")
    reporter.says("ข้าม")
    [card] = reporter.says("ไม่มีรูป")
    rows = card_rows(card)
    assert rows["สถานการณ์"] == "อื่น ๆ: บวชเณรอยู่ที่วัด" and rows["สาเหตุหลัก"] == "ยากจน/ขาดค่าใช้จ่าย"
    assert rows["ความต้องการ"] == "เรียน สกร./กศน."


@pytest.mark.parametrize("talk", ["พรุ่งนี้ประชุมหมู่บ้านกี่โมงครับ", "สวัสดีครับ"])
def test_talk_in_the_middle_of_a_form_asks_whether_to_go_on(reporter, db, talk):
    walk(reporter, "ด.ญ. สมศรี มีสุข", ID)
    [asked] = within_limits(reporter.says(talk))
    assert asked["text"].startswith("มีแจ้งพบ เด็กหญิง สมศรี มีสุข ค้างอยู่ (ข้อ 3/")
    assert quick_reply_labels(asked) == [CARRY_ON, PAUSE, "ยกเลิก"]
    [question] = reporter.says(CARRY_ON)
    assert "วันเกิด" in question["text"]
    reporter.says(talk)
    [paused] = reporter.says(PAUSE)
    assert "พักรายการไว้แล้ว" in paused["text"] and MENU_REPORT_CHILD in quick_reply_labels(paused)
    [menu] = reporter.says("สวัสดี")  # put aside: messages go to the menu, the draft stays
    assert "ค้างอยู่" not in menu["text"] and draft(db, reporter) is not None
    [resumed] = reporter.says(MENU_REPORT_CHILD)
    assert "แจ้งพบ เด็กหญิง สมศรี มีสุข" in resumed["text"] and "วันเกิด" in resumed["text"]
    reporter.says("อายุ 12")
    assert draft(db, reporter).data["birth"]["age"] == 12


def test_cancel_with_answers_asks_once_and_carry_on_keeps_them(reporter, db):
    walk(reporter, "ด.ญ. สมศรี มีสุข", ID)
    [asked] = reporter.says("ยกเลิก")
    assert "ยกเลิกแจ้งพบ เด็กหญิง สมศรี มีสุข" in asked["text"]
    [question] = reporter.says(CARRY_ON)
    assert "วันเกิด" in question["text"] and draft(db, reporter).data["national_id"] == ID
    reporter.says("ยกเลิก")
    [cancelled] = reporter.says(CONFIRM_CANCEL)
    assert "ยกเลิกการแจ้งแล้ว" in cancelled["text"] and draft(db, reporter) is None and cases(db) == []


def test_two_children_in_one_message_are_reported_one_at_a_time(reporter, db):
    two = "ด.ช.สมชาย ใจดี 12 ขวบ กับ ด.ญ.สมศรี ใจดี 10 ขวบ หมู่ 1 ไม่ได้เรียนทั้งคู่"
    for start in ([], [MENU_REPORT_CHILD]):  # outside a form, or as the answer to its first question
        for said in start:
            reporter.says(said)
        recap = within_limits(reporter.says(two))[0]
        assert "มีเด็ก 2 คน" in recap["text"] and "ทีละคน" in recap["text"]
        assert "เด็กชาย สมชาย ใจดี" in recap["text"] and "สมศรี" not in recap["text"]
        assert draft(db, reporter).data["name"] == {"first": "สมชาย", "last": "ใจดี"}
        reporter.says("ยกเลิก")
        reporter.says(CONFIRM_CANCEL)


def test_plain_talk_outside_a_form_is_not_taken_for_a_report(reporter, db):
    for talk in ("พรุ่งนี้ประชุมหมู่บ้านกี่โมงครับ", "ขอบคุณครับ", "สมชาย"):
        reporter.says(talk)
        assert draft(db, reporter) is None, talk


def test_a_village_typed_in_latin_letters_or_short_is_taken(reporter, db):
    walk(reporter, "ด.ช. สมชาย ใจดี", "ไม่ทราบ", "อายุ 12")
    [home] = reporter.says("Ban Khok Si")
    assert "บ้านที่เด็กอาศัยอยู่" in home["text"]
    assert draft(db, reporter).data["village"] == areas_named(db, "บ้านโคกสี หมู่ที่ 2")


def areas_named(db, name: str) -> int:
    with db.transaction() as session:
        return session.scalar(select(Area.id).where(Area.name == name))


@pytest.mark.parametrize("typed, title", [("ด.ช. สมชาย ใจดี", "เด็กชาย"), ("ไม่ทราบ", None), ("ด.ญ.", "เด็กหญิง")])
def test_the_title_question_takes_the_name_typed_again_or_not_known(reporter, db, typed, title):
    [asked] = walk(reporter, "สมชาย ใจดี")
    assert "คำนำหน้า" in asked["text"]
    [after] = reporter.says(typed)
    assert "เลขประจำตัวประชาชน" in after["text"] and draft(db, reporter).data["title"] == title
