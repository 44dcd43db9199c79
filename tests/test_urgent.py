"""Transcript: notices go to the people who act, and a child in danger escalates at once (issue 14, items 5-7).

An ordinary report is pushed only to the nearest coordinators (and the case's owning organisation), with a
"ดูเรื่อง" card; a report with a safeguarding reason to every local level and to พม., and the reporter is
given the 1300 hotline. Every reason of the list can be chosen, urgent cases come first in the lists, and a
photo is kept only when the reporter says the family agreed to it.
"""
from __future__ import annotations

from sqlalchemy import select

from domain import people
from domain.menu_labels import MENU_CHILDREN_TO_FIND
from helpers import (
    ID,
    adding_answers,
    bubbles,
    buttons_of,
    card_rows,
    flex_texts,
    in_organisation,
    plain_answers,
    quick_reply_labels,
    walk,
)
from line.messages import MAX_LABEL
from models import AuditEntry, Case, CasePhoto, ChoiceOption, Conversation, User

HOTLINE = "หากเด็กอยู่ในอันตราย โทรแจ้งศูนย์ช่วยเหลือสังคม สายด่วน 1300 ได้ตลอด 24 ชั่วโมง"
ABUSE = "ถูกทำร้าย/ความรุนแรง"
NEW_CASE = "มีการแจ้งพบเด็กในพื้นที่ของท่าน"


def only_case(db) -> Case:
    with db.transaction() as session:
        [case] = session.scalars(select(Case))
        return case


def case_notices(line, chat) -> list[dict]:
    """The new-case cards pushed to this chat."""
    return [m for m in line.messages_to(chat.user_id) if m["type"] == "flex" and "เรื่อง" in m["altText"]
            and "ดูเรื่อง" in flex_texts(m)]


def notified(db, chat) -> bool:
    with db.transaction() as session:
        user_id = session.scalar(select(User.id).where(User.line_user_id == chat.user_id))
        return session.scalar(select(AuditEntry.id).where(AuditEntry.action == "notified",
                                                          AuditEntry.actor_id == user_id)) is not None


def reason_options(db) -> list[tuple[str, str, bool]]:
    with db.transaction() as session:
        return [tuple(row) for row in session.execute(
            select(ChoiceOption.code, ChoiceOption.label, ChoiceOption.urgent)
            .where(ChoiceOption.list_name == "reason", ChoiceOption.active)
            .order_by(ChoiceOption.position, ChoiceOption.id))]


def social_development_user(db, areas, new_chat, registered, area_code: str = "40"):
    """A registered officer of the province's พม. office (a reporter by role: they are told as พม.)."""
    with db.transaction() as session:
        office = people.save_organisation(session, "social_development", "พมจ.ขอนแก่น", f"MSDHS-{area_code}",
                                          [people.find_area(session, area_code)])
        office_id = office.id
    return in_organisation(db, registered(new_chat(), "reporter", None, real_name="นักสังคม สงเคราะห์"), office_id)


def the_area(db, registered, new_chat):
    """The reporter of ตำบลสำราญ (plain_answers' village) and the coordinators above it: district, province,
    national."""
    return (registered(new_chat(), "reporter", "400102"), registered(new_chat(), "coordinator", "4001"),
            registered(new_chat(), "coordinator", "40"), registered(new_chat(), "coordinator", None, national=True))


# ------------------------------------------------------------------ who is told

def test_an_ordinary_report_is_pushed_to_the_district_only_with_a_button_to_open_it(
        db, areas, line, new_chat, registered, deliver_queued):
    reporter, district, province, national = the_area(db, registered, new_chat)
    office = social_development_user(db, areas, new_chat, registered)
    reply = walk(reporter, *plain_answers(), "ยืนยัน")
    assert HOTLINE not in str(reply), reply
    deliver_queued()
    case = only_case(db)
    assert not case.urgent

    [notice] = case_notices(line, district)
    assert NEW_CASE in notice["altText"] and case.number in notice["altText"]
    [bubble] = bubbles(notice)
    assert buttons_of(bubble) == {"ดูเรื่อง": f"action=case&case={case.id}"}
    assert notified(db, district)
    # The levels above see it in their summary, not as a push; พม. hears only of urgent cases.
    for other in (province, national, office):
        assert line.messages_to(other.user_id) == [] and not notified(db, other)

    # "ดูเรื่อง" opens the case card.
    [card] = [m for m in district.taps(buttons_of(bubble)["ดูเรื่อง"]) if m["type"] == "flex"]
    assert case.number in str(card)


def test_an_urgent_report_reaches_every_local_level_and_social_development_at_once(
        db, areas, line, new_chat, registered, deliver_queued):
    reporter, district, province, national = the_area(db, registered, new_chat)
    office = social_development_user(db, areas, new_chat, registered)
    elsewhere = social_development_user(db, areas, new_chat, registered, area_code="4002")
    *_, hotline = walk(reporter, *plain_answers(reason=ABUSE), "ยืนยัน")
    deliver_queued()

    # The reporter is told of the hotline, with a button that calls it.
    assert HOTLINE in hotline["text"]
    [call] = [item["action"] for item in hotline["quickReply"]["items"] if item["action"]["type"] == "uri"]
    assert call["uri"] == "tel:1300"

    case = only_case(db)
    assert case.urgent and case.reason == "abuse"
    for told in (district, province, office):
        [notice] = case_notices(line, told)
        assert "เร่งด่วน" in notice["altText"] and case.number in notice["altText"]
        assert card_rows(notice)["เร่งด่วน"].endswith(ABUSE)
        assert notified(db, told)
    # National coordinators only when nobody nearer covers the area; พม. of another district never.
    for other in (national, elsewhere):
        assert line.messages_to(other.user_id) == [] and not notified(db, other)


def test_an_urgent_report_reaches_national_coordinators_when_nobody_nearer_covers_the_area(
        db, areas, line, new_chat, registered, deliver_queued):
    reporter = registered(new_chat(), "reporter", "400102")
    national = registered(new_chat(), "coordinator", None, national=True)
    walk(reporter, *plain_answers(reason="ใช้แรงงานเด็ก"), "ยืนยัน")
    deliver_queued()
    assert case_notices(line, national)


def test_the_case_owning_organisation_is_told_beside_the_nearest_coordinators(
        db, areas, organisations, line, new_chat, registered, make_case, deliver_queued):
    reporter = registered(new_chat(), "reporter", "400102")
    subdistrict = registered(new_chat(), "coordinator", "400102")
    district = registered(new_chat(), "coordinator", "4001")
    owners = in_organisation(db, registered(new_chat(), "coordinator", None), organisations["SPP40-1"])
    make_case("40010201", national_id=ID, owner_org_id=organisations["SPP40-1"])

    walk(reporter, *adding_answers(), "ยืนยัน")  # the same child again, added to their case
    deliver_queued()
    assert case_notices(line, subdistrict) and case_notices(line, owners)
    assert line.messages_to(district.user_id) == []


def test_a_report_again_with_an_urgent_reason_makes_the_existing_case_urgent(
        db, areas, line, new_chat, registered, make_case, deliver_queued):
    reporter, district, province, _ = the_area(db, registered, new_chat)
    make_case("40010201", national_id=ID)
    *_, hotline = walk(reporter, *adding_answers(reason="ไม่มีผู้ดูแล"), "ยืนยัน")
    assert HOTLINE in hotline["text"]
    assert only_case(db).urgent
    deliver_queued()
    assert case_notices(line, province)


def test_a_check_in_that_finds_the_child_with_an_urgent_reason_makes_the_case_urgent(
        db, areas, new_chat, registered, make_case):
    village_head = registered(new_chat(), "reporter", "400101")
    case_id = make_case("40010101", status="to_find", national_id=ID, title="ด.ช.", sex="male", age_years=11)
    village_head.taps(f"action=checkin&case={case_id}")
    for said in ("พบตัวเด็ก", "45 หมู่ 1", "อยู่บ้าน ไม่ได้เรียน", "ถูกแสวงประโยชน์", "กลับเข้าโรงเรียน", "ข้าม",
                 "ไม่มีรูป"):
        village_head.says(said)
    *_, hotline = village_head.says("ยืนยัน")
    case = only_case(db)
    assert (case.status, case.reason, case.urgent) == ("found", "exploited", True)
    assert HOTLINE in hotline["text"]  # who found a child in danger is given the hotline too


# ------------------------------------------------------------------ every reason can be chosen

def draft(db, chat) -> Conversation:
    with db.transaction() as session:
        return session.scalar(select(Conversation).join(User, User.id == Conversation.user_id)
                              .where(User.line_user_id == chat.user_id))


def test_every_reason_can_be_chosen_by_number_label_or_button(db, areas, new_chat, registered):
    options = reason_options(db)
    assert len(options) == 13 and options[-1][0] == "other"
    reporter = registered(new_chat(), "reporter", "400102")
    [prompt] = walk(reporter, *plain_answers()[:6])

    # The prompt writes every option out, numbered, the safeguarding ones marked.
    for number, (code, label, urgent) in enumerate(options, 1):
        assert f"{number}. {'⚠️ ' if urgent else ''}{label}" in prompt["text"]
    # The buttons: as many as LINE shows, always the urgent ones and "อื่น ๆ".
    labels = quick_reply_labels(prompt)
    assert len(labels) == 13 and labels[-2:] == ["ย้อนกลับ", "ยกเลิก"]
    assert {label[:MAX_LABEL] for _, label, urgent in options if urgent} | {"อื่น ๆ"} <= set(labels)
    sent = [item["action"]["text"] for item in prompt["quickReply"]["items"][:-2]]

    def chosen(said: str) -> str:
        reporter.says(said)
        convo = draft(db, reporter)
        assert convo.step != "reason", f"{said!r} was refused"
        code = convo.data["reason"]
        reporter.says("ย้อนกลับ")  # from the next question (wants, or the details of "อื่น ๆ")
        return code

    for number, (code, label, _) in enumerate(options, 1):
        assert chosen(str(number)) == code
        assert chosen(label) == code
    assert chosen("ข้อ ๙") == options[8][0]  # Thai digits, "ข้อ"
    assert [chosen(text) for text in sent] == [code for code, label, _ in options if label in sent]

    [again] = reporter.says("14")
    assert "พิมพ์หมายเลขข้อ 1-13" in again["text"]


# ------------------------------------------------------------------ urgent first

def test_urgent_cases_come_first_in_the_list_the_search_and_nearest_first(db, areas, new_chat, registered, make_case):
    village_head = registered(new_chat(), "reporter", "400101")
    make_case("40010101", status="to_find", first_name="กมล", latitude=16.43, longitude=102.83)
    urgent = make_case("40010101", status="to_find", first_name="อรุณ", urgent=True)
    make_case("40010101", status="to_find", first_name="ขวัญ", latitude=16.44, longitude=102.84)

    def first_card(reply):
        return bubbles(reply[-1])[0]

    for reply in (village_head.says(MENU_CHILDREN_TO_FIND), village_head.says("ค้นหา ทดสอบ"),
                  village_head.shares_location(16.43, 102.83)):
        card = first_card(reply)
        assert card["header"]["contents"][0]["text"].startswith("อรุณ")
        assert buttons_of(card)["ดูเรื่อง"] == f"action=case&case={urgent}"
        assert "⚠️ ต้องช่วยเหลือเร่งด่วน" in flex_texts({"contents": card})
        assert "⚠️ ต้องช่วยเหลือเร่งด่วน" not in flex_texts({"contents": bubbles(reply[-1])[1]})


# ------------------------------------------------------------------ photo consent

def test_a_photo_is_kept_only_when_the_family_agreed(db, areas, new_chat, registered):
    reporter = registered(new_chat(), "reporter", "400102")
    [consent] = walk(reporter, *plain_answers(photo=("image",), photo_consent=None))
    assert "ผู้ปกครองยินยอมให้ส่งรูปนี้หรือไม่" in consent["text"]
    assert {"ยินยอม", "ไม่ยินยอม"} <= set(quick_reply_labels(consent))
    [card] = reporter.says("ไม่ยินยอม")
    assert card_rows(card)["รูปถ่าย"] == "ไม่เก็บรูป (ผู้ปกครองไม่ยินยอม)"

    # A new photo from the card's "แก้ไข" is asked about again.
    reporter.says("แก้ไข")
    reporter.says("รูปถ่าย")
    [consent] = reporter.sends_image()
    assert "ผู้ปกครองยินยอม" in consent["text"]
    [card] = reporter.says("ยินยอม")
    assert card_rows(card)["รูปถ่าย"] == "มี 1 รูป (ผู้ปกครองยินยอม)"
    reporter.says("ยืนยัน")
    with db.transaction() as session:
        [photo] = session.scalars(select(CasePhoto))
        assert photo.consented_at is not None


def test_a_photo_without_consent_is_not_kept(db, areas, new_chat, registered):
    reporter = registered(new_chat(), "reporter", "400102")
    walk(reporter, *plain_answers(photo=("image",), photo_consent="ไม่"), "ยืนยัน")
    assert only_case(db)
    with db.transaction() as session:
        assert session.scalars(select(CasePhoto)).all() == []


def test_a_check_in_visit_photo_asks_for_consent(db, areas, new_chat, registered, make_case):
    village_head = registered(new_chat(), "reporter", "400101")
    agreed = make_case("40010101", status="to_find")
    refused = make_case("40010101", status="to_find")
    for case_id, answer in ((agreed, "ยินยอม"), (refused, "ไม่ยินยอม")):
        village_head.taps(f"action=checkin&case={case_id}")
        village_head.says("ไม่พบตัว")
        village_head.says("ข้าม")  # note
        village_head.says("ข้าม")  # pin
        [consent] = village_head.sends_image()
        assert "ผู้ปกครองยินยอมให้ส่งรูปนี้หรือไม่" in consent["text"]
        [saved] = village_head.says(answer)
        assert "บันทึกการเช็กอินแล้ว" in saved["text"]
    with db.transaction() as session:
        photos = session.scalars(select(CasePhoto)).all()
        assert [(p.case_id, p.consented_at is not None) for p in photos] == [(agreed, True)]
