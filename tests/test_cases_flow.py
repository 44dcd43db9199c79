"""Transcript: a child from the ministry's list to the classroom, through the webhook.

The list is imported, a village head finds the child on "รายชื่อที่ต้องติดตาม" and checks them in, a
teacher refers them to a school, the school accepts with a start date, the teacher follows up and a
coordinator closes the case; every step is in the case's history with who, when and which message.
Also: the other check-in outcomes, search and paging, "เรื่องที่ฉันแจ้ง", declined and revoked
referrals, illegal transitions, and people outside the area who can neither see nor change the case.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from chat import flow
from devtools.synthetic import generate_list
from domain import audit, people
from domain.menu_labels import MENU_CHILDREN_TO_FIND, MENU_MY_REPORTS
from domain.thai_dates import format_thai_date, now_bangkok
from domain.thai_ids import mask_national_id
from helpers import (
    Chat,
    all_text,
    bubbles,
    buttons_of,
    card_rows,
    cases_in,
    import_list,
    in_organisation,
    photo_once,
    quick_reply_labels,
    refer,
    set_status,
)
from models import (
    STATUSES,
    TRANSITIONS,
    Area,
    AuditEntry,
    Case,
    CaseEvent,
    CasePhoto,
    IllegalTransition,
    Referral,
    User,
    record_event,
    utcnow,
)


def today():
    # Asked when used, not when the module is imported: a run may cross midnight in Bangkok.
    return now_bangkok().date()


# ------------------------------------------------------------------ helpers

def case_row(db, case_id: int) -> Case:
    with db.transaction() as session:
        return session.get(Case, case_id)


def history(db, case_id: int) -> list[CaseEvent]:
    with db.transaction() as session:
        return list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)))


def rows_of(bubble: dict) -> dict[str, str]:
    """A card's label/value rows (a box of link buttons among them is not a row)."""
    return {row["contents"][0]["text"]: row["contents"][1]["text"] for row in bubble["body"]["contents"]
            if row.get("layout") == "baseline"}


def flex_messages(reply: list[dict]) -> list[dict]:
    return [m for m in reply if m["type"] == "flex"]


# ------------------------------------------------------------------ the whole path

def test_a_listed_child_from_check_in_to_referral_acceptance_back_in_school_and_closed(
        listed, schools, registered, new_chat, db, line):
    village_head = registered(new_chat(), "reporter", "400102", real_name="ผู้ใหญ่สมพงษ์ ดีมาก")
    teacher = in_organisation(db, registered(new_chat(), "teacher", "400102", real_name="ครูวิไล ใจงาม"),
                              schools["nontan"])
    receiver = in_organisation(db, registered(new_chat(), "teacher", "400102", real_name="ครูสมศักดิ์ รักดี"),
                               schools["samran"])
    district = registered(new_chat(), "coordinator", "4001")
    child = listed[0]

    # The village head's list: every child of ตำบลสำราญ still to find, IDs masked.
    heading, carousel = village_head.says(MENU_CHILDREN_TO_FIND)
    assert f"{len(listed)} คน (หน้า 1/1)" in heading["text"]
    cards = bubbles(carousel)
    assert len(cards) == len(listed) and carousel["contents"]["type"] == "carousel"
    first = next(b for b in cards if b["header"]["contents"][0]["text"] == child.full_name)
    assert rows_of(first)["เลขประจำตัว"] == mask_national_id(child.national_id)
    assert child.national_id not in str(carousel)
    assert "ใกล้ฉันก่อน" in quick_reply_labels(carousel) and "ถัดไป" not in quick_reply_labels(carousel)

    # Check-in: found. The list's name, ID, birth date, sex and village are not asked again.
    [outcome] = village_head.taps(buttons_of(first)["เช็กอิน"])
    assert child.full_name in outcome["text"] and "พบตัวเด็ก" in quick_reply_labels(outcome)
    [home] = village_head.says("พบตัวเด็ก")
    assert "บ้านที่เด็กอาศัยอยู่" in home["text"]
    village_head.shares_location(16.4301, 102.8302, address="บ้านเลขที่เดิม")
    village_head.says("ทำงานหารายได้")
    village_head.says("ยากจน/ขาดค่าใช้จ่าย")
    village_head.says("กลับเข้าโรงเรียน")
    village_head.says("นางสมศรี ใจดี 081-234-5678")
    [consent] = village_head.sends_image()
    assert "ผู้ปกครองยินยอม" in consent["text"]
    [confirm] = village_head.says("ยินยอม")
    assert rows_of(bubbles(confirm)[0])["เลขประจำตัว"] == mask_national_id(child.national_id)
    [saved] = village_head.says("ยืนยัน")
    assert f"เรื่อง {child.number}: ติดตามพบแล้ว" in saved["text"]
    found = case_row(db, child.id)
    assert (found.status, found.situation, found.reason, found.wants) == ("found", "working", "poverty",
                                                                         "formal_school")
    assert (found.latitude, found.guardian_phone, found.first_name) == (16.4301, "0812345678", child.first_name)
    assert any("พบตัวเด็กตามรายชื่อ" in m["altText"] for m in flex_messages(line.messages_to(district.user_id)))
    photo_once(db, "stored")  # the card offers "ดูรูป" once the photo is fetched

    # The teacher opens the case by its number and refers the child to the school in ตำบลสำราญ.
    [found_by_number] = flex_messages(teacher.says(child.number))
    [bubble] = bubbles(found_by_number)
    assert list(buttons_of(bubble)) == ["ดูเรื่อง"]  # no check-in: the child is found
    [case_card] = flex_messages(teacher.taps(buttons_of(bubble)["ดูเรื่อง"]))
    actions = buttons_of(bubbles(case_card)[0])
    assert list(actions) == ["ส่งต่อ", "กลับเข้าเรียนแล้ว", "ดูรูป", "รับเรื่องนี้"]  # nobody owns it yet
    [kind] = teacher.taps(actions["ส่งต่อ"])
    assert quick_reply_labels(kind)[:5] == ["โรงเรียน", "สกร./กศน.", "วิทยาลัยอาชีวศึกษา", "พม.", "สาธารณสุข"]
    [no_college] = teacher.says("วิทยาลัยอาชีวศึกษา")
    assert "ยังไม่มีหน่วยงานประเภทวิทยาลัยอาชีวศึกษา" in no_college["text"]
    [pick] = teacher.says("โรงเรียน")
    # Schools serving the child's district, the one covering their subdistrict first; the other
    # district's school is not offered.
    assert quick_reply_labels(pick)[:3] == ["โรงเรียนบ้านสำราญ", "โรงเรียนบ้านโนนทัน", "ย้อนกลับ"]
    teacher.says("บ้านสำราญ")  # part of a name is enough
    teacher.says("ผู้ปกครองสะดวกช่วงเย็น")
    before = len(line.messages_to(receiver.user_id))
    [sent] = teacher.says("ยืนยัน")
    assert "ส่งต่อเรื่อง" in sent["text"] and "โรงเรียนบ้านสำราญ" in sent["text"]
    assert case_row(db, child.id).status == "referred"

    # The school's teacher gets the case, ID masked, with accept and decline buttons.
    [pushed] = line.messages_to(receiver.user_id)[before:]
    offer = bubbles(pushed)[0]
    assert rows_of(offer)["เลขประจำตัว"] == mask_national_id(child.national_id)
    assert rows_of(offer)["ข้อความ"] == "ผู้ปกครองสะดวกช่วงเย็น" and child.national_id not in str(pushed)
    assert list(buttons_of(offer)) == ["รับเรื่อง", "ปฏิเสธ"]

    note, ask_date = receiver.taps(buttons_of(offer)["รับเรื่อง"])
    assert "รับเรื่อง" in note["text"] and "เริ่มเรียนวันไหน" in ask_date["text"]
    assert quick_reply_labels(ask_date)[:2] == ["เลือกจากปฏิทิน", "วันนี้"]
    assert any("รับเรื่อง" in t and child.number in t for t in line.texts_to(teacher.user_id))
    started = today() - timedelta(days=3)
    [enrolled] = receiver.taps("pick=enrolled_on", {"date": started.isoformat()})
    assert "กลับเข้าเรียนแล้ว" in enrolled["text"] and format_thai_date(started) in enrolled["text"]
    back = case_row(db, child.id)
    assert (back.status, back.school_name, back.enrolled_on) == ("back_in_school", "โรงเรียนบ้านสำราญ", started)
    with db.transaction() as session:
        referral = session.scalar(select(Referral))
        assert (referral.status, referral.enrolled_on) == ("done", started)
    assert any("เริ่มเรียนที่ โรงเรียนบ้านสำราญ" in t for t in line.texts_to(teacher.user_id))

    # Follow-up, then the coordinator closes it with one of the coordinators' reasons.
    [case_card] = flex_messages(teacher.taps(f"action=case&case={child.id}"))
    actions = buttons_of(bubbles(case_card)[0])
    assert list(actions) == ["ยังเรียนอยู่", "หยุดเรียนอีกครั้ง", "ดูรูป", "รับเรื่องนี้"]
    followed, card = teacher.taps(actions["ยังเรียนอยู่"])
    assert "เรียนต่อเนื่อง" in followed["text"] and rows_of(bubbles(card)[0])["สถานะ"] == "เรียนต่อเนื่อง"
    [case_card] = flex_messages(district.taps(f"action=case&case={child.id}"))
    [ask_reason] = district.taps(buttons_of(bubbles(case_card)[0])["ปิดเรื่อง"])
    assert "เรียนต่อเนื่องแล้ว" in quick_reply_labels(ask_reason)
    note, closed_card = district.says("เรียนต่อเนื่องแล้ว")
    assert "ปิดเรื่อง" in note["text"] and rows_of(bubbles(closed_card)[0])["สถานะ"] == "ปิดเรื่อง"
    assert case_row(db, child.id).closed_reason == "staying_in_school"

    # The history: every step, who did it, and the chat message it came from.
    steps = [(e.kind, e.from_status, e.to_status) for e in history(db, child.id)]
    assert steps == [
        ("listed", None, "to_find"),
        ("checked_in", "to_find", "found"),
        ("referred", "found", "referred"),
        ("referral_accepted", None, None),
        ("enrolled", "referred", "back_in_school"),
        ("follow_up", "back_in_school", "staying"),
        ("closed", "staying", "closed"),
    ]
    events = history(db, child.id)
    assert events[0].source == "cli" and all(e.source and e.source != "cli" for e in events[1:])
    actors = {u: (lambda chat: _id(db, chat))(u) for u in (village_head, teacher, receiver, district)}
    assert [e.actor_id for e in events[1:]] == [actors[village_head], actors[teacher], actors[receiver],
                                                actors[receiver], actors[teacher], actors[district]]
    with db.transaction() as session:
        assert session.scalar(select(CasePhoto).where(CasePhoto.case_id == child.id)) is not None
        assert audit.history(session, "case", child.id, action="view")
        [shared] = audit.history(session, "case", child.id, action="shared")
        assert (shared.actor_id, shared.detail["shown_to"]) == (actors[teacher], actors[receiver])


def _id(db, chat: Chat) -> int:
    with db.transaction() as session:
        return session.scalar(select(User.id).where(User.line_user_id == chat.user_id))


# ------------------------------------------------------------------ check-in outcomes

def check_in(chat: Chat, case_id: int, *answers) -> list[dict]:
    """Tap เช็กอิน on the case and answer each step (text, or ("location", lat, lng), or ("image",))."""
    reply = chat.taps(f"action=checkin&case={case_id}")
    for answer in answers:
        if isinstance(answer, str):
            reply = chat.says(answer)
        elif answer[0] == "location":
            reply = chat.shares_location(answer[1], answer[2])
        else:
            reply = chat.sends_image()
    return reply


def test_not_found_with_a_pin_and_a_photo(listed, registered, chat, db):
    registered(chat, "reporter", "400102")
    child = listed[0]
    [ask_note] = check_in(chat, child.id, "ไม่พบตัว")
    assert "ข้าม" in quick_reply_labels(ask_note)
    [ask_pin] = chat.says("บ้านปิด เพื่อนบ้านบอกไปทำงานต่างจังหวัด")
    assert quick_reply_labels(ask_pin)[0] == "ส่งตำแหน่งบ้าน"
    [wrong] = chat.says("ที่บ้าน")
    assert "ส่งตำแหน่งบ้าน" in wrong["text"]
    chat.shares_location(16.44, 102.81)
    chat.sends_image()
    [saved] = chat.says("ยินยอม")
    assert "ไม่พบตัว" in saved["text"]
    case = case_row(db, child.id)
    assert (case.status, case.latitude, case.longitude) == ("not_found", 16.44, 102.81)
    [event] = history(db, child.id)[1:]
    assert event.note == "บ้านปิด เพื่อนบ้านบอกไปทำงานต่างจังหวัด" and event.details["outcome"] == "not_found"
    # Still to find: it stays on the list, and can be checked in again.
    [again] = check_in(chat, child.id)
    assert "ผลการติดตาม" in again["text"]


def test_moved_asks_the_new_areas_coordinators_to_take_the_case(listed, registered, new_chat, db, line):
    village_head = registered(new_chat(), "reporter", "400102")
    there = registered(new_chat(), "coordinator", "4002")
    here = registered(new_chat(), "coordinator", "4001")
    child = listed[0]
    check_in(village_head, child.id, "ย้ายที่อยู่")
    [ask_pin] = village_head.says("ต.บ้านฝาง อ.บ้านฝาง จ.ขอนแก่น")
    assert "ปักหมุด" in ask_pin["text"]
    village_head.says("ข้าม")
    [saved] = village_head.says("ไม่มีรูป")
    assert "ย้ายออกนอกพื้นที่" in saved["text"] and "ตำบลบ้านฝาง อำเภอบ้านฝาง" in saved["text"]
    # Until the new area accepts (tests/test_ownership.py), the case stays here, marked moved.
    case = case_row(db, child.id)
    assert (case.status, case.area_id) == ("moved", child.area_id)
    [offer] = flex_messages(line.messages_to(there.user_id))
    shown = rows_of(bubbles(offer)[0])
    assert shown["เลขประจำตัว"] == mask_national_id(child.national_id) and child.national_id not in str(offer)
    assert line.messages_to(here.user_id) == []
    [accepted] = flex_messages(there.taps(buttons_of(bubbles(offer)[0])["รับเรื่อง"]))
    assert "เช็กอิน" in buttons_of(bubbles(accepted)[0])
    with db.transaction() as session:
        assert session.get(Area, case_row(db, child.id).area_id).code == "400201"
    # Now it is the other district's: the village head no longer sees it.
    [refused] = village_head.taps(f"action=case&case={child.id}")
    assert "นอกพื้นที่" in refused["text"]


def test_moved_to_somewhere_unknown_stays_with_this_area(listed, registered, chat, db):
    registered(chat, "reporter", "400102")
    child = listed[0]
    [saved] = check_in(chat, child.id, "ย้ายที่อยู่", "ไม่ทราบ", "ข้าม", "ไม่มีรูป")
    assert "ผู้ประสานงานในพื้นที่ของท่านจะติดตามต่อ" in saved["text"]
    assert (case_row(db, child.id).status, case_row(db, child.id).area_id) == ("moved", child.area_id)


@pytest.mark.parametrize("answers, status, check", [
    (("เรียนอยู่แล้ว", "โรงเรียนเทศบาลวัดกลาง", "ข้าม", "ไม่มีรูป"), "back_in_school",
     lambda case: case.school_name == "โรงเรียนเทศบาลวัดกลาง"),
    (("เสียชีวิต", "ข้าม"), "closed", lambda case: case.closed_reason == "deceased"),
    (("อื่น ๆ", "รายชื่อนี้ซ้ำกับเด็กอีกคน", "ข้าม", "ไม่มีรูป"), "to_find", lambda case: True),
])
def test_other_outcomes(listed, registered, chat, db, answers, status, check):
    registered(chat, "reporter", "400102")
    child = listed[0]
    [saved] = check_in(chat, child.id, *answers)
    assert "บันทึกการเช็กอินแล้ว" in saved["text"]
    case = case_row(db, child.id)
    assert case.status == status and check(case)
    assert history(db, child.id)[-1].kind == "checked_in"


def test_cancel_and_back_during_check_in(listed, registered, chat, db):
    registered(chat, "reporter", "400102")
    child = listed[0]
    check_in(chat, child.id, "ไม่พบตัว")
    [outcome] = chat.says("ย้อนกลับ")
    assert "ผลการติดตาม" in outcome["text"]
    chat.says("ยกเลิก")  # asked once: an outcome was chosen
    [cancelled] = chat.says(flow.CONFIRM_CANCEL)
    assert "ยกเลิกการเช็กอิน" in cancelled["text"]
    assert case_row(db, child.id).status == "to_find" and len(history(db, child.id)) == 1


# ------------------------------------------------------------------ the workflow refuses what it does not allow

def test_a_stale_button_or_a_case_changed_meanwhile_is_refused_in_thai(listed, registered, new_chat, db):
    village_head = registered(new_chat(), "reporter", "400102")
    coordinator = registered(new_chat(), "coordinator", "4001")
    child = listed[0]
    check_in(village_head, child.id, "ไม่พบตัว", "ข้าม", "ข้าม")
    # Meanwhile the coordinator closes the case as a duplicate.
    coordinator.taps(f"action=close&case={child.id}")
    coordinator.says("รายชื่อซ้ำ")
    [refused] = village_head.says("ไม่มีรูป")
    assert "อยู่ในสถานะ “ปิดเรื่อง”" in refused["text"] and "เช็กอิน" in refused["text"]
    assert case_row(db, child.id).status == "closed"
    # A check-in button on an old card: the same answer, nothing started.
    [refused] = village_head.taps(f"action=checkin&case={child.id}")
    assert "อยู่ในสถานะ “ปิดเรื่อง”" in refused["text"]
    # A follow-up on a case that is not back in school.
    teacher = registered(new_chat(), "teacher", "400102")
    [refused] = teacher.taps(f"action=staying&case={child.id}")
    assert "ยังเรียนอยู่" in refused["text"] and case_row(db, child.id).status == "closed"
    # Reopening is the coordinator's.
    [refused] = teacher.taps(f"action=reopen&case={child.id}")
    assert "ไม่มีสิทธิ์" in refused["text"]
    note, card = coordinator.taps(f"action=reopen&case={child.id}")
    assert "เปิดเรื่อง" in note["text"] and case_row(db, child.id).status == "found"
    assert case_row(db, child.id).closed_reason is None


def test_a_user_moved_out_of_the_area_mid_check_in_cannot_save_it(listed, registered, chat, db, areas):
    registered(chat, "reporter", "400102")
    child = listed[0]
    check_in(chat, child.id, "ไม่พบตัว", "ข้าม", "ข้าม")
    with db.transaction() as session:
        session.execute(update(User).where(User.line_user_id == chat.user_id).values(area_id=areas["400201"]))
    [refused] = chat.says("ไม่มีรูป")
    assert "นอกพื้นที่" in refused["text"]
    assert case_row(db, child.id).status == "to_find"


# ------------------------------------------------------------------ outside the area

def test_people_outside_the_area_can_neither_see_nor_change_the_case(listed, schools, registered, new_chat, db):
    child = listed[0]
    outsiders = {
        "reporter": registered(new_chat(), "reporter", "400201"),
        "teacher": in_organisation(db, registered(new_chat(), "teacher", "400201"), schools["faang"]),
        "coordinator": registered(new_chat(), "coordinator", "4002"),
        "unregistered": new_chat(),
    }
    set_status(db, child.id, "found")
    before = [(e.kind, e.to_status) for e in history(db, child.id)]
    actions = ["case", "checkin", "refer", "enrol", "revoke", "staying", "dropped", "close", "reopen"]
    for role, outsider in outsiders.items():
        # Their list and their searches do not show the child, by name, ID or case number.
        if role != "unregistered":
            listing = outsider.says(MENU_CHILDREN_TO_FIND)
            assert child.full_name not in str(listing) and child.number not in str(listing)
            for typed in (f"ค้นหา {child.first_name} {child.last_name}", child.national_id, child.number):
                [reply] = outsider.says(typed)
                assert "ไม่พบเด็กที่ตรงกับ" in reply["text"], (role, typed)
        # Forged buttons with the child's case id: one refusal each, and nothing changes.
        for action in actions:
            reply = outsider.taps(f"action={action}&case={child.id}")
            assert len(reply) == 1 and reply[0]["type"] == "text", (role, action)
            assert any(word in reply[0]["text"] for word in ("นอกพื้นที่", "ไม่มีสิทธิ์", "ลงทะเบียน")), (role, action)
            assert child.full_name not in reply[0]["text"]
    assert [(e.kind, e.to_status) for e in history(db, child.id)] == before
    assert case_row(db, child.id).status == "found"
    with db.transaction() as session:
        denied = session.scalars(select(AuditEntry).where(AuditEntry.action == "denied")).all()
        # Every attempt a role may make at all is refused for the area, and audited.
        assert {e.subject_id for e in denied} == {str(child.id)}
        assert len([e for e in denied if e.actor_id == _id(db, outsiders["coordinator"])]) == len(actions)
        assert not audit.history(session, "case", child.id, action="view")
    # A case id that does not exist gets the same answer as one in another area.
    [reply] = outsiders["coordinator"].taps("action=case&case=999999")
    assert "นอกพื้นที่" in reply["text"]


def test_only_the_receiving_organisation_answers_a_referral(offered, schools, registered, new_chat, db, line):
    child, teacher, receiver, _ = offered
    other_school = in_organisation(db, registered(new_chat(), "teacher", "400102"), schools["faang"])
    with db.transaction() as session:
        referral_id = session.scalar(select(Referral.id))
    for outsider in (other_school, teacher):
        [refused] = outsider.taps(f"action=referral_accept&referral={referral_id}")
        assert "นอกพื้นที่" in refused["text"]
        [refused] = outsider.taps(f"action=referral_decline&referral={referral_id}")
        assert "นอกพื้นที่" in refused["text"]
    with db.transaction() as session:
        assert session.get(Referral, referral_id).status == "pending"
    assert len(line.messages_to(receiver.user_id)) == 1


# ------------------------------------------------------------------ referrals declined, revoked, and back in school directly

def test_a_declined_referral_goes_back_to_the_referrer_with_the_reason(listed, schools, registered, new_chat, db, line):
    child = listed[0]
    set_status(db, child.id, "found")
    teacher = in_organisation(db, registered(new_chat(), "teacher", "400102"), schools["nontan"])
    office = in_organisation(db, registered(new_chat(), "teacher", None), schools["skr"])
    refer(teacher, child.id, "สกร./กศน.", "สกร.อำเภอเมืองขอนแก่น")
    [offer] = line.messages_to(office.user_id)
    [ask] = office.taps(buttons_of(bubbles(offer)[0])["ปฏิเสธ"])
    assert "ไม่มีที่เรียนว่าง" in quick_reply_labels(ask)
    [ask_other] = office.says("อื่น ๆ")
    [done] = office.says("เด็กอายุเกินเกณฑ์ของหลักสูตร")
    assert "ผู้ส่งต่อได้รับแจ้งเหตุผลแล้ว" in done["text"]
    [told] = [m for m in line.messages_to(teacher.user_id) if "ไม่รับเรื่อง" in m.get("text", "")]
    assert "อื่น ๆ: เด็กอายุเกินเกณฑ์ของหลักสูตร" in told["text"] and quick_reply_labels(told) == ["ดูเรื่อง"]
    assert case_row(db, child.id).status == "found"
    with db.transaction() as session:
        referral = session.scalar(select(Referral))
        assert (referral.status, referral.reason, referral.reason_note) == (
            "declined", "other", "เด็กอายุเกินเกณฑ์ของหลักสูตร")
    # Declined: the buttons on the old offer no longer do anything.
    [stale] = office.taps(buttons_of(bubbles(offer)[0])["รับเรื่อง"])
    assert "ปฏิเสธ" in stale["text"]
    # The teacher refers again, elsewhere.
    [sent] = refer(teacher, child.id, "โรงเรียน", "โรงเรียนบ้านสำราญ")
    assert "ส่งต่อเรื่อง" in sent["text"] and case_row(db, child.id).status == "referred"


@pytest.fixture
def offered(listed, schools, registered, new_chat, db, line):
    """A found child referred by a teacher to the school in ตำบลสำราญ: (child, teacher, receiver, the offer's card)."""
    child = listed[0]
    set_status(db, child.id, "found")
    teacher = in_organisation(db, registered(new_chat(), "teacher", "400102"), schools["nontan"])
    receiver = in_organisation(db, registered(new_chat(), "teacher", "400102"), schools["samran"])
    refer(teacher, child.id, "โรงเรียน", "โรงเรียนบ้านสำราญ")
    [offer] = line.messages_to(receiver.user_id)
    return child, teacher, receiver, bubbles(offer)[0]


def test_a_referral_revoked_then_back_in_school_without_one(offered, db, line):
    child, teacher, receiver, offer = offered
    note, card = teacher.taps(f"action=revoke&case={child.id}")
    assert "ถอนการส่งต่อ" in note["text"] and case_row(db, child.id).status == "found"
    assert "ถูกถอนแล้ว" in line.texts_to(receiver.user_id)[-1]
    [stale] = receiver.taps(buttons_of(offer)["รับเรื่อง"])
    assert "ถอนการส่งต่อแล้ว" in stale["text"]

    [ask_school] = teacher.taps(f"action=enrol&case={child.id}")
    assert "เรียนที่ไหน" in ask_school["text"]
    [ask_date] = teacher.says("โรงเรียนบ้านโนนทัน")
    [bad] = teacher.says(f"1/1/{today().year + 544}")
    assert "ยังมาไม่ถึง" in bad["text"]
    [done] = teacher.says("วันนี้")
    assert "กลับเข้าเรียนแล้ว" in done["text"]
    case = case_row(db, child.id)
    assert (case.status, case.school_name, case.enrolled_on) == ("back_in_school", "โรงเรียนบ้านโนนทัน", today())

    [why] = teacher.taps(f"action=dropped&case={child.id}")
    assert "หยุดเรียนเพราะอะไร" in why["text"] and case_row(db, child.id).status == "back_in_school"
    note, card = teacher.says("ย้ายถิ่นที่อยู่")
    assert "ติดตามพบแล้ว" in note["text"] and case_row(db, child.id).status == "found"
    assert case_row(db, child.id).reason == "migration"
    assert [e.kind for e in history(db, child.id)][-4:] == ["referred", "referral_revoked", "enrolled", "dropped_out"]


def test_accepting_without_a_date_then_giving_it_later(offered, db):
    child, _, receiver, offer = offered
    accept = buttons_of(offer)["รับเรื่อง"]
    receiver.taps(accept)
    [later] = receiver.says("ยังไม่เริ่มเรียน")
    assert "กด \"รับเรื่อง\"" in later["text"]
    assert case_row(db, child.id).status == "referred"
    note, ask = receiver.taps(accept)
    assert "รับเรื่อง" in note["text"] and "ไว้แล้ว" in note["text"]
    receiver.says("วันนี้")
    assert case_row(db, child.id).status == "back_in_school"


# ------------------------------------------------------------------ the list: paging, search, nearest first

@pytest.fixture
def many(app, tmp_path, db, areas):
    import_list(app, tmp_path, generate_list(25, seed=5))
    return cases_in(db)


def test_pages_of_ten_with_next(many, registered, chat):
    registered(chat, "reporter", "40")
    _, page1 = chat.says(MENU_CHILDREN_TO_FIND)
    assert len(bubbles(page1)) == 10 and quick_reply_labels(page1)[0] == "ถัดไป"
    data = page1["quickReply"]["items"][0]["action"]["data"]
    heading, page2 = chat.taps(data)
    assert "(หน้า 2/3)" in heading["text"] and len(bubbles(page2)) == 10
    shown = [buttons_of(b)["ดูเรื่อง"] for b in bubbles(page1) + bubbles(page2)]
    assert len(set(shown)) == 20
    _, page3 = chat.taps(page2["quickReply"]["items"][0]["action"]["data"])
    assert len(bubbles(page3)) == 5 and "ถัดไป" not in quick_reply_labels(page3)


def test_search_by_name_id_digits_and_case_number(many, registered, chat):
    registered(chat, "reporter", "40")
    child = many[7]
    _, found = chat.says(f"ค้นหา {child.first_name}")
    assert all(child.first_name in b["header"]["contents"][0]["text"] for b in bubbles(found))
    # National IDs are encrypted: a whole ID is found, a few of its digits are not.
    for typed in (child.national_id, child.number,
                  "-".join((child.national_id[:1], child.national_id[1:5], child.national_id[5:10],
                            child.national_id[10:12], child.national_id[12:]))):
        heading, found = chat.says(typed)
        assert "ผลการค้นหา" in heading["text"], typed
        assert child.full_name in [b["header"]["contents"][0]["text"] for b in bubbles(found)], typed
    [nothing] = chat.says(child.national_id[-6:])
    assert "ไม่พบเด็กที่ตรงกับ" in nothing["text"]
    [nothing] = chat.says("ค้นหา ไม่มีชื่อนี้แน่นอน")
    assert "ไม่พบเด็กที่ตรงกับ" in nothing["text"]
    [hint] = chat.says("ค้นหา")
    assert "ค้นหา สมชาย" in hint["text"]


def test_sharing_a_location_lists_pinned_homes_nearest_first(many, registered, chat, db):
    registered(chat, "reporter", "40")
    near, far = many[3], many[9]
    with db.transaction() as session:
        session.execute(update(Case).where(Case.id == near.id).values(latitude=16.4420, longitude=102.8350))
        session.execute(update(Case).where(Case.id == far.id).values(latitude=16.5, longitude=102.9))
    heading, page = chat.shares_location(16.4400, 102.8300)
    assert "เรียงจากใกล้ที่สุด" in heading["text"]
    first, second = bubbles(page)[:2]
    assert first["header"]["contents"][0]["text"] == near.full_name and rows_of(first)["ระยะทาง"] == "0.6 กม."
    assert second["header"]["contents"][0]["text"] == far.full_name
    assert "ระยะทาง" not in rows_of(bubbles(page)[2])
    # The next page keeps the order.
    data = page["quickReply"]["items"][0]["action"]["data"]
    assert "near=16.44000,102.83000" in data


def test_every_list_page_is_audited_per_case(many, registered, chat, db):
    registered(chat, "reporter", "40")
    chat.says(MENU_CHILDREN_TO_FIND)
    with db.transaction() as session:
        views = session.scalars(select(AuditEntry).where(AuditEntry.action == "view")).all()
        assert len(views) == 10 and all(v.detail["via"] == "list" and v.source for v in views)


# ------------------------------------------------------------------ เรื่องที่ฉันแจ้ง

def test_my_reports_lists_what_i_reported_and_checked_in_with_their_timelines(listed, registered, chat, db):
    registered(chat, "reporter", "400102")
    [empty] = chat.says(MENU_MY_REPORTS)
    assert "ยังไม่มีเรื่องที่แจ้ง" in empty["text"]
    first, second = listed[:2]
    check_in(chat, first.id, "ไม่พบตัว", "ข้าม", "ข้าม", "ไม่มีรูป")
    check_in(chat, second.id, "เสียชีวิต", "ข้าม")
    [mine] = chat.says(MENU_MY_REPORTS)
    assert "2 เรื่อง (หน้า 1/1)" in mine["altText"]
    newest, older = bubbles(mine)  # newest change first, one bubble each
    assert f"{second.number} {second.full_name}" in all_text({"type": "flex", "contents": newest})
    today = format_thai_date(now_bangkok().date())
    rows = card_rows({"type": "flex", "contents": older})
    assert rows["สถานะ"] == "ไม่พบตัว"
    # The timeline: every history line, dated in พ.ศ., in Thai.
    assert rows["ความคืบหน้า"].splitlines() == [f"{today} นำเข้าจากรายชื่อ", f"{today} เช็กอิน → ไม่พบตัว"]
    assert "ปิดเรื่อง" in card_rows({"type": "flex", "contents": newest})["ความคืบหน้า"]
    assert buttons_of(older) == {"ดูเรื่อง": f"action=case&case={first.id}"}
    assert first.national_id not in str(mine)


def test_my_reports_are_paged_with_urgent_cases_first(registered, chat, db, areas):
    registered(chat, "reporter", "400102")
    with db.transaction() as session:
        me = session.scalar(select(User).where(User.line_user_id == chat.user_id))
        for i in range(12):
            session.add(Case(first_name=f"เด็ก{i}", last_name="ทดสอบ", reporter_id=me.id, area_id=areas["400102"],
                             urgent=i == 0, updated_at=utcnow() - timedelta(days=12 - i)))
    [page1] = chat.says(MENU_MY_REPORTS)
    assert "12 เรื่อง (หน้า 1/2)" in page1["altText"] and quick_reply_labels(page1)[0] == "ถัดไป"
    shown = bubbles(page1)
    assert len(shown) == 10
    # The urgent one first although it changed longest ago, then the newest change.
    assert "เด็ก0" in all_text({"type": "flex", "contents": shown[0]})
    assert card_rows({"type": "flex", "contents": shown[0]})["สถานะ"].startswith("🚨 เร่งด่วน")
    assert "เด็ก11" in all_text({"type": "flex", "contents": shown[1]})
    [page2] = chat.taps(page1["quickReply"]["items"][0]["action"]["data"])
    assert "(หน้า 2/2)" in page2["altText"] and len(bubbles(page2)) == 2


# ------------------------------------------------------------------ the workflow's table and the place finder

def test_every_status_has_its_transitions_and_illegal_ones_are_refused_in_thai(db, areas):
    assert set(TRANSITIONS) == set(STATUSES)
    assert all(targets <= set(STATUSES) and status not in targets for status, targets in TRANSITIONS.items())
    with db.transaction() as session:
        case = Case(first_name="ทดสอบ", last_name="ระบบ", status="to_find")
        session.add(case)
        session.flush()
        with pytest.raises(IllegalTransition) as refused:
            record_event(session, case, "enrolled", None, to_status="staying")
        assert "“รอติดตาม”" in refused.value.message and "“เรียนต่อเนื่อง”" in refused.value.message
        assert "ติดตามพบแล้ว" in refused.value.message  # what is possible from here
        record_event(session, case, "checked_in", None, to_status="found", source="Wevent")
        event = record_event(session, case, "checked_in", None, to_status="found")  # no change: a note
        assert case.status == "found" and (event.from_status, event.to_status) == (None, None)


@pytest.mark.parametrize("typed, code", [
    ("ต.บ้านฝาง อ.บ้านฝาง จ.ขอนแก่น", "400201"),
    ("ตำบลสำราญ", "400102"),
    ("สำราญ เมืองขอนแก่น", "400102"),
    ("อำเภอบ้านฝาง", "4002"),
    ("บ้านฝาง", "400201"),  # a district and its subdistrict of the same name: the subdistrict
    ("ต.ไม่มีจริง", None),
])
def test_finding_a_typed_place(db, areas, typed, code):
    with db.transaction() as session:
        found = people.find_place(session, typed)
        assert (found.code if found else None) == code


@pytest.mark.parametrize("data", ["action=todo&page=abc", "action=todo&page=-5&near=nan,inf", "action=todo&near=1",
                                  "action=todo&q=%25%26&page=99999999999", "action=mine&page=x"])
def test_forged_page_buttons_get_a_page_not_an_error(many, registered, chat, data):
    registered(chat, "reporter", "40")
    reply = chat.taps(data)
    assert reply and "ขออภัย ระบบขัดข้อง" not in str(reply)


def test_a_page_past_the_end_is_the_last_page(many, registered, chat, db):
    registered(chat, "reporter", "40")
    heading, _ = chat.taps("action=todo&page=40")
    assert "(หน้า 3/3)" in heading["text"]
    with db.transaction() as session:
        me = session.scalar(select(User).where(User.line_user_id == chat.user_id))
        session.execute(update(Case).values(reporter_id=me.id))
    [mine] = chat.taps("action=mine&page=40")
    assert "(หน้า 3/3)" in mine["altText"]


def test_a_referral_started_on_a_case_that_then_leaves_the_area_stops(listed, schools, registered, chat, db, areas):
    child = listed[0]
    set_status(db, child.id, "found")
    in_organisation(db, registered(chat, "teacher", "400102"), schools["nontan"])
    chat.taps(f"action=refer&case={child.id}")
    with db.transaction() as session:  # handed to the other district meanwhile
        session.execute(update(Case).where(Case.id == child.id).values(area_id=areas["400201"]))
    [stopped] = chat.says("โรงเรียน")
    assert "นอกพื้นที่" in stopped["text"] and "โรงเรียนบ้านฝาง" not in str(stopped)
    [idle] = chat.says("โรงเรียนบ้านฝาง")
    assert "ยังไม่เข้าใจ" in idle["text"]  # the conversation is over


def test_imported_national_ids_are_encrypted_at_rest(many, db):
    with db.engine.connect() as connection:
        stored = set(connection.execute(text("SELECT national_id FROM cases WHERE national_id IS NOT NULL")).scalars())
    plain = {child.national_id for child in many if child.national_id}
    assert plain and stored and not plain & {str(value) for value in stored}
