"""Transcript: reporting a child already on file, told as soon as the answers show it (issue 16, point 3).

The same national ID in the reporter's scope is told right after the ID; the same name, birth date and
village (spelt a little differently) right after the village; a name that sounds the same in the village
at about the same age on the card. "เพิ่มข้อมูลให้เรื่องเดิม" then asks only the new details and adds them
to that case, where the coordinator sees them (the notice, the card's timeline), encrypted at rest;
"ไม่ใช่คนเดียวกัน" asks the answer that matched again. Another area's case is never named (see
tests/test_security_duplicates.py).
"""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from domain.duplicates import normal_name, sounds_alike
from helpers import (
    ADD_TO_CASE,
    ID,
    OTHER_ID,
    Chat,
    adding_answers,
    all_text,
    card_rows,
    plain_answers,
    quick_reply_labels,
    raw,
    walk,
)
from models import Case, CaseEvent, CasePhoto

NOT_SAME = "ไม่ใช่คนเดียวกัน"
TOLD = "เด็กคนนี้มีเรื่องอยู่แล้ว"
MAYBE = "อาจเป็นคนเดียวกับเรื่อง"
HOME_QUESTION = "บ้านที่เด็กอาศัยอยู่"
BIRTH_QUESTION = "วันเกิดของเด็ก"
NEW_PHONE = "0898765432"


@pytest.fixture
def reporter(chat, registered) -> Chat:
    """A village head of ตำบลสำราญ (two villages: the flow asks which)."""
    return registered(chat, "reporter", "400102")


@pytest.fixture
def coordinator(registered, new_chat) -> Chat:
    return registered(new_chat(), "coordinator", "4001")


def cases(db) -> list[Case]:
    with db.transaction() as session:
        return list(session.scalars(select(Case).order_by(Case.id)))


def history(db, case_id: int) -> list[CaseEvent]:
    with db.transaction() as session:
        return list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)))


def card_of(reply: list[dict]) -> dict:
    [card] = [message for message in reply if message["type"] == "flex"]
    return card


# ------------------------------------------------------------------ by national ID

def test_an_id_on_file_is_told_at_once_and_only_the_new_details_are_asked(
        reporter, registered, new_chat, coordinator, db, line):
    walk(reporter, *plain_answers(guardian="นางสมศรี ใจดี 081-234-5678"))
    reporter.says("ยืนยัน")
    [case] = cases(db)
    teacher = registered(new_chat(), "teacher", "400102")

    [told] = walk(teacher, "ด.ญ. สมศรี มีสุข", "๑-๑๐๑๗-๐๐๒๓๐-๗๐-๘")  # the same ID, in Thai digits
    assert TOLD in told["text"] and case.number in told["text"]
    assert "เด็กหญิง สมศรี ม. บ้านสำราญ หมู่ที่ 1 (ติดตามพบแล้ว)" in told["text"]
    assert "มีสุข" not in told["text"].split("\n", 1)[1] and "081-234-5678" not in told["text"]
    assert quick_reply_labels(told) == ["เพิ่มให้เรื่องเดิม", NOT_SAME, "ย้อนกลับ", "ยกเลิก"]

    # Only the new details: no birth date, sex or village.
    [asked] = teacher.says(ADD_TO_CASE)
    assert HOME_QUESTION in asked["text"]
    for said in ("99 หมู่ 2", "อยู่บ้าน ไม่ได้เรียน", "บ้านไกล/เดินทางลำบาก", "เรียนสายอาชีพ",
                 f"นายสมหมาย มีสุข {NEW_PHONE}"):
        [asked] = teacher.says(said)
        assert BIRTH_QUESTION not in asked["text"] and "หมู่บ้านใด" not in asked["text"]
    teacher.sends_image()
    card = card_of(teacher.says("ยินยอม"))
    rows = card_rows(card)
    assert f"เพิ่มข้อมูลให้เรื่อง {case.number}" in all_text(card)
    assert case.number in rows["เรื่องเดิม"] and "วันเกิด/อายุ" not in rows and "พื้นที่" not in rows
    assert rows["ผู้ปกครอง"] == "นายสมหมาย มีสุข 089-876-5432" and rows["ที่อยู่"] == "99 หมู่ 2"

    [done] = teacher.says("ยืนยัน")
    assert f"เพิ่มข้อมูลให้เรื่อง {case.number} แล้ว" in done["text"]
    [case] = cases(db)  # no new case; what the case had stays, the rest is in its history
    assert (case.guardian_phone, case.address, case.wants) == ("0812345678", "45 หมู่ 1", "formal_school")
    reported, added = history(db, case.id)
    assert (reported.kind, added.kind) == ("reported", "report_added") and added.actor_id != reported.actor_id
    assert (added.details["guardian_phone"], added.details["address"], added.details["wants"]) == \
        (NEW_PHONE, "99 หมู่ 2", "vocational")
    [(stored,)] = raw(db, "SELECT details FROM case_events WHERE kind = 'report_added'")
    assert stored.startswith("e1:") and NEW_PHONE not in stored and "สมหมาย" not in stored
    with db.transaction() as session:
        assert session.scalars(select(CasePhoto.case_id)).all() == [case.id]

    # The coordinator is told what was added, and the case's timeline shows it.
    notice = line.messages_to(coordinator.user_id)[-1]
    assert case.number in notice["altText"] and "089-876-5432" in all_text(notice) and "99 หมู่ 2" in all_text(notice)
    timeline = card_rows(card_of(coordinator.taps(f"action=case&case={case.id}")))["ความเป็นมา"]
    assert "ผู้แจ้งเพิ่มข้อมูลให้เรื่องเดิม: ผู้ปกครอง นายสมหมาย มีสุข โทร 089-876-5432 · ที่อยู่ 99 หมู่ 2" in timeline
    assert "ความต้องการ: เรียนสายอาชีพ" in timeline


def test_not_the_same_child_asks_the_id_again(reporter, registered, new_chat, db):
    """One ID is one child (the case holds it): "ไม่ใช่คนเดียวกัน" asks the ID again, saying why."""
    walk(reporter, *plain_answers())
    reporter.says("ยืนยัน")
    [case] = cases(db)
    other = registered(new_chat(), "reporter", "400102")
    walk(other, "ด.ช. สมชาย มีสุข", ID)
    [again] = other.says(NOT_SAME)
    assert "เลขประจำตัวประชาชน 13 หลัก" in again["text"] and f"เลขนี้เป็นของเด็กในเรื่อง {case.number}" in again["text"]
    [told] = other.says(ID)  # typed again as it was: told again
    assert TOLD in told["text"]
    other.says(NOT_SAME)
    [asked] = other.says(OTHER_ID)
    assert BIRTH_QUESTION in asked["text"] and "เลขนี้เป็นของ" not in asked["text"]
    walk_on = plain_answers(name=None, national_id=None)
    for said in walk_on:
        other.says(said)
    [saved] = other.says("ยืนยัน")
    assert "เลขที่เรื่อง" in saved["text"] and len(cases(db)) == 2


def test_a_listed_child_to_find_becomes_found_when_a_report_adds_to_it(reporter, make_case, db):
    case_id = make_case("400102", status="to_find", first_name="สมศรี", last_name="มีสุข", national_id=ID)
    walk(reporter, *adding_answers())
    assert "เพิ่มข้อมูลให้เรื่อง" in reporter.says("ยืนยัน")[0]["text"]
    listed, added = history(db, case_id)
    assert (added.kind, added.from_status, added.to_status) == ("report_added", "to_find", "found")


def test_the_id_edited_from_the_card_to_one_on_file_is_told_then_back_to_the_card(reporter, make_case, db):
    case_id = make_case("40010201", first_name="มานี", last_name="มีนา", national_id=OTHER_ID)
    walk(reporter, *plain_answers())
    reporter.says("แก้ไข")
    reporter.says("เลขประจำตัวประชาชน")
    [told] = reporter.says(OTHER_ID)
    assert TOLD in told["text"]
    card = card_of(reporter.says(ADD_TO_CASE))  # the answers given stay; the card now adds to that case
    assert "เรื่องเดิม" in card_rows(card) and "วันเกิด/อายุ" not in card_rows(card)
    reporter.says("ยืนยัน")
    assert [e.kind for e in history(db, case_id)] == ["listed", "report_added"] and len(cases(db)) == 1


def test_a_later_report_found_only_when_saved_keeps_all_it_said_too(make_case, db):
    """The match made by models.open_case as the case is saved (two reporters confirming at once:
    tests/test_report.py; the list's rows) keeps the later report whole in the history, and fills in
    only what the case lacks."""
    first = make_case("40010201", national_id=ID, guardian_phone="0812345678")
    again = make_case("40010201", national_id=ID, guardian_phone=NEW_PHONE, address="99 หมู่ 2",
                      latitude=16.43, longitude=102.83)
    [case] = cases(db)
    assert again == first and case.guardian_phone == "0812345678"
    assert (case.address, case.latitude, case.longitude) == ("99 หมู่ 2", 16.43, 102.83)
    _, later = history(db, first)
    assert later.kind == "listed_again" and (later.details["guardian_phone"], later.details["address"]) == \
        (NEW_PHONE, "99 หมู่ 2")


# ------------------------------------------------------------------ by name, birth date and village

def test_the_same_name_birth_date_and_village_is_told_after_the_village(reporter, make_case, db):
    """Spelt a little differently on the list (a doubled vowel, a trailing space): the same child."""
    case_id = make_case("40010201", status="to_find", title="ด.ญ.", first_name="สมศรีี", last_name="มีสุข ",
                        birth_date=date(2012, 3, 15))
    [told] = walk(reporter, "ด.ญ. สมศรี มีสุข", "ไม่ทราบ", "15/3/2555", "บ้านสำราญ หมู่ที่ 1")
    assert TOLD in told["text"] and "ชื่อ วันเกิด และหมู่บ้านตรงกับเรื่องนี้" in told["text"]
    [again] = reporter.says(NOT_SAME)
    assert BIRTH_QUESTION in again["text"] and "ตรงกับเด็กในเรื่อง" in again["text"]
    [told] = reporter.says("15/3/2555")
    assert TOLD in told["text"]
    [asked] = reporter.says(ADD_TO_CASE)
    assert HOME_QUESTION in asked["text"]
    walk_on = adding_answers("village")[5:]
    for said in walk_on:
        reply = reporter.says(said)
    assert "เรื่องเดิม" in card_rows(card_of(reply))
    assert "เพิ่มข้อมูลให้เรื่อง" in reporter.says("ยืนยัน")[0]["text"]
    [case] = cases(db)
    assert case.id == case_id and case.status == "found" and case.address == "45 หมู่ 1"


def test_a_match_missed_by_a_skipped_village_is_told_at_the_card(reporter, registered, new_chat, db):
    """Without the village ("ไม่แน่ใจ") nothing is looked for until "ยืนยัน", which looks once more."""
    answers = plain_answers(national_id="ไม่ทราบ", birth="1/5/2556", village="ไม่แน่ใจ")
    walk(reporter, *answers)
    reporter.says("ยืนยัน")
    second = registered(new_chat(), "reporter", "400102")
    walk(second, *answers)
    [told] = second.says("ยืนยัน")
    assert TOLD in told["text"] and cases(db)[0].number in told["text"]
    card = card_of(second.says(ADD_TO_CASE))
    assert "เรื่องเดิม" in card_rows(card)
    assert "เพิ่มข้อมูลให้เรื่อง" in second.says("ยืนยัน")[0]["text"] and len(cases(db)) == 1
    third = registered(new_chat(), "reporter", "4002")  # another district: another child
    walk(third, *answers)
    assert "บันทึกการแจ้งเรียบร้อย" in third.says("ยืนยัน")[0]["text"] and len(cases(db)) == 2


# ------------------------------------------------------------------ a name that sounds the same

@pytest.fixture
def somchai(make_case) -> int:
    """ด.ช. สมชาย ใจดี, 13, of บ้านสำราญ หมู่ที่ 1, without an ID."""
    return make_case("40010201", title="ด.ช.", first_name="สมชาย", last_name="ใจดี", age_years=13)


def sounding_alike(**changes) -> list:
    return plain_answers(**{"name": "ด.ช. สมชัย ใจดี", "national_id": "ไม่ทราบ", "birth": "12", **changes})


def test_a_name_that_sounds_the_same_is_warned_on_the_card_and_may_go_on_as_new(reporter, somchai, db):
    reply = walk(reporter, *sounding_alike())
    case = cases(db)[0]
    card = card_of(reply)
    warning = card_rows(card)["⚠️ อาจซ้ำ"]
    assert f"{MAYBE} {case.number} ด.ช. สมชาย จ. บ้านสำราญ หมู่ที่ 1 (ติดตามพบแล้ว)" in warning
    assert "เพิ่มให้เรื่องเดิม" in quick_reply_labels(card) and "เพิ่มให้เรื่องเดิม" in all_text(card)
    [saved] = reporter.says("ยืนยัน")
    assert "เลขที่เรื่อง" in saved["text"] and len(cases(db)) == 2


def test_a_name_that_sounds_the_same_may_be_added_to_its_case(reporter, somchai, db):
    walk(reporter, *sounding_alike(guardian=f"นางสมใจ ใจดี {NEW_PHONE}"))
    card = card_of(reporter.says(ADD_TO_CASE))
    assert card_rows(card)["เรื่องเดิม"].startswith(cases(db)[0].number)
    card = card_of(reporter.says(NOT_SAME))  # changed their mind: a new report again, still warned
    assert "⚠️ อาจซ้ำ" in card_rows(card)
    reporter.says(ADD_TO_CASE)
    assert "เพิ่มข้อมูลให้เรื่อง" in reporter.says("ยืนยัน")[0]["text"]
    [case] = cases(db)
    assert case.guardian_phone == NEW_PHONE and history(db, somchai)[-1].kind == "report_added"


@pytest.mark.parametrize("changes", [{"birth": "15"}, {"village": "บ้านโคกสี หมู่ที่ 2"},
                                     {"name": "ด.ช. สมศักดิ์ ใจดี"}],
                         ids=["two years apart", "another village", "another name"])
def test_no_warning_for_another_age_village_or_name(reporter, somchai, changes):
    card = card_of(walk(reporter, *sounding_alike(**changes)))
    assert "⚠️ อาจซ้ำ" not in card_rows(card) and MAYBE not in all_text(card)


# ------------------------------------------------------------------ the matching itself

@pytest.mark.parametrize("one, other", [
    ("สมชาย", "สมชัย"),      # vowel length (udom83)
    ("สมศรี", "สมสี"),        # the silent ร (lk82)
    ("ศรีสุข", "สีสุก"),
    ("ประเสริฐ", "ประเสิฐ"),
    ("มีสุข", "มีศุข"),
    ("Somchai", "somchai"),
])
def test_names_that_sound_the_same(one, other):
    assert sounds_alike(one, other) and sounds_alike(other, one)


@pytest.mark.parametrize("one, other", [("สมชาย", "สมศักดิ์"), ("สมชาย", "สมหมาย"), ("ใจดี", "ใจมี"), ("สมศรี", "")])
def test_names_that_do_not(one, other):
    assert not sounds_alike(one, other)


@given(st.text(alphabet=st.sampled_from("กขคงจชซดตนบปผพมยรลวศสหอะาิีุูเแโใไ่้๊๋ัๆ ็์"), min_size=1, max_size=12))
def test_a_name_sounds_like_itself_however_spaced_or_doubled(name):
    if not normal_name(name).replace(" ", ""):
        return
    assert sounds_alike(name, name) and sounds_alike(name, f"  {name} ")
