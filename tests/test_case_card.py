"""Transcript: a case's card as each role sees it, through the webhook: the family's contacts with
tap-to-call and the map for those who act on the case, the basic card with the map for a village head
who only visits, the urgent and late marks, the owner, the timeline with notes ("บันทึก", then
forgotten with the case), every view audited with the fields it showed; and the summary card's case
numbers opening the case."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from domain import access
from domain.menu_labels import MENU_AREA_SUMMARY
from domain.thai_ids import mask_national_id
from handlers.case_details import NO_OWNER
from helpers import ID, bubbles, buttons_of, card_rows, in_organisation, quick_reply_labels, raw, user_row
from models import AuditEntry, Case, CaseEvent, CasePhoto, utcnow

GUARDIAN_PHONE = "0812345678"
MAP = "https://www.google.com/maps/search/?api=1&query=16.430100,102.830200"


def uri_buttons(bubble: dict) -> dict[str, str]:
    """The link buttons in the card's body: label -> URI."""
    return {button["action"]["label"]: button["action"]["uri"] for row in bubble["body"]["contents"]
            if row.get("layout") == "horizontal" for button in row["contents"]}


def card_of(reply: list[dict]) -> dict:
    [message] = [m for m in reply if m["type"] == "flex"]
    return message


def views(db, case_id: int) -> list[AuditEntry]:
    with db.transaction() as session:
        return list(session.scalars(select(AuditEntry).where(
            AuditEntry.action == "view", AuditEntry.subject_id == str(case_id)).order_by(AuditEntry.id)))


@pytest.fixture
def people(new_chat, registered, db, organisations):
    """The reporter (a village head of ตำบลสำราญ), another village head there, a teacher who owns the
    case, another teacher, the district coordinator and a coordinator of the other district."""
    made = {
        "reporter": registered(new_chat(), "reporter", "400102", real_name="ผู้ใหญ่สมพงษ์ ดีมาก", phone="0899999999"),
        "village_head": registered(new_chat(), "reporter", "400102", real_name="ผู้ใหญ่สมคิด"),
        "owner": in_organisation(db, registered(new_chat(), "teacher", "400102", real_name="ครูวิไล ใจงาม"),
                                 organisations["1040010101"]),
        "teacher": registered(new_chat(), "teacher", "400102", real_name="ครูสมศักดิ์"),
        "district": registered(new_chat(), "coordinator", "4001", real_name="ผอ.เขต"),
        "elsewhere": registered(new_chat(), "coordinator", "4002", real_name="ผู้ประสานบ้านฝาง"),
    }
    return made


@pytest.fixture
def case_id(make_case, people, db, organisations):
    """An urgent, late case in ตำบลสำราญ with everything: guardian, pin, the reasons, a reporter and an owner."""
    return make_case(
        "40010201", "found", national_id=ID, title="ด.ญ.", first_name="สมศรี", last_name="มีสุข",
        guardian_name="นางสมใจ มีสุข", guardian_phone=GUARDIAN_PHONE, address="45 หมู่ 1 บ้านสำราญ",
        latitude=16.4301, longitude=102.8302, situation="other", situation_note="ช่วยพ่อขายของ",
        reason="poverty", wants="formal_school", source="report", urgent=True, late_since=utcnow() - timedelta(days=2),
        reporter_id=user_row(db, people["reporter"].user_id).id, owner_org_id=organisations["1040010101"],
        owner_id=user_row(db, people["owner"].user_id).id)


def add_photo(db, case_id: int) -> None:
    with db.transaction() as session:
        session.add(CasePhoto(case_id=case_id, line_message_id="1", status="stored", content=b"\xff\xd8photo",
                              content_type="image/jpeg"))


def test_a_coordinator_sees_the_family_the_reporter_and_the_owner_with_call_and_map(people, case_id, db):
    add_photo(db, case_id)
    card = card_of(people["district"].taps(f"action=case&case={case_id}"))
    [bubble] = bubbles(card)
    rows = card_rows(card)
    assert rows["เลขประจำตัว"] == mask_national_id(ID) and ID not in json.dumps(card)
    assert (rows["ผู้ปกครอง"], rows["โทรศัพท์ผู้ปกครอง"]) == ("นางสมใจ มีสุข", "081-234-5678")
    assert rows["ที่อยู่"] == "45 หมู่ 1 บ้านสำราญ 📍"
    assert (rows["สถานการณ์"], rows["สาเหตุ"], rows["ความต้องการ"]) == (
        "อื่น ๆ: ช่วยพ่อขายของ", "ยากจน/ขาดค่าใช้จ่าย", "กลับเข้าโรงเรียน")
    assert rows["ผู้แจ้ง"] == "ผู้ใหญ่สมพงษ์ ดีมาก โทร 089-999-9999"
    assert rows["ผู้รับเรื่อง"] == "โรงเรียนบ้านโนนทัน · ครูวิไล ใจงาม"
    status = rows["สถานะ"].split("\n")
    assert status[:2] == ["ติดตามพบแล้ว", "🚨 เร่งด่วน"] and status[2].startswith("⏰ เกินกำหนด (ตั้งแต่ ")
    assert "นำเข้าจากรายชื่อ" in rows["ความเป็นมา"]
    assert uri_buttons(bubble) == {"📞 โทรหาผู้ปกครอง": f"tel:{GUARDIAN_PHONE}", "🗺️ เปิดแผนที่": MAP}
    # The case has an owner: a coordinator can hand it to someone else, nobody can claim it.
    assert list(buttons_of(bubble)) == ["ส่งต่อ", "กลับเข้าเรียนแล้ว", "ดูรูป", "บันทึก", "ปิดเรื่อง", "มอบหมาย",
                                        "โอนเรื่อง"]
    [entry] = views(db, case_id)
    assert entry.detail["via"] == "card" and entry.area_code == "40010201"
    assert entry.detail["fields"] == ["name", "national_id_masked", "address", "pin", "guardian_name", "guardian_phone", "situation_note", "reporter", "owner"]
    assert not {"นางสมใจ", GUARDIAN_PHONE, ID} & set(json.dumps(entry.detail, ensure_ascii=False).split('"'))


def test_a_village_head_who_neither_reported_nor_owns_it_sees_the_child_the_address_and_the_map(
        people, case_id, db):
    add_photo(db, case_id)
    card = card_of(people["village_head"].taps(f"action=case&case={case_id}"))
    [bubble] = bubbles(card)
    rows = card_rows(card)
    assert rows["ที่อยู่"] == "45 หมู่ 1 บ้านสำราญ 📍" and rows["ชื่อ"] == "ด.ญ. สมศรี มีสุข"
    for hidden in ("ผู้ปกครอง", "โทรศัพท์ผู้ปกครอง", "สถานการณ์", "สาเหตุ", "ผู้แจ้ง", "ผู้รับเรื่อง", "ความเป็นมา"):
        assert hidden not in rows
    assert "ล่าสุด" in rows
    text = json.dumps(card, ensure_ascii=False)
    assert "นางสมใจ" not in text and GUARDIAN_PHONE not in text and "089-999-9999" not in text
    assert uri_buttons(bubble) == {"🗺️ เปิดแผนที่": MAP}
    assert "ดูรูป" not in buttons_of(bubble) and "บันทึก" not in buttons_of(bubble)
    [entry] = views(db, case_id)
    assert entry.detail["fields"] == ["name", "national_id_masked", "address", "pin"]
    # A forged tap on the buttons they were not offered: refused.
    for forged in ("photos", "note"):
        assert people["village_head"].taps(f"action={forged}&case={case_id}")[0]["text"] == access.NOT_ALLOWED


def test_the_reporter_sees_their_own_case_in_full_but_neither_photos_nor_notes(people, case_id, db):
    add_photo(db, case_id)
    card = card_of(people["reporter"].taps(f"action=case&case={case_id}"))
    rows = card_rows(card)
    assert rows["ผู้ปกครอง"] == "นางสมใจ มีสุข" and "📞 โทรหาผู้ปกครอง" in uri_buttons(bubbles(card)[0])
    assert not {"ดูรูป", "บันทึก"} & set(buttons_of(bubbles(card)[0]))


def test_a_case_without_owner_contacts_or_pin(make_case, people, db):
    case_id = make_case("40010201", "to_find", first_name="ไม่มีข้อมูล")
    card = card_of(people["district"].taps(f"action=case&case={case_id}"))
    rows = card_rows(card)
    assert rows["ผู้รับเรื่อง"] == NO_OWNER and rows["สถานะ"] == "รอติดตาม" and rows["ผู้แจ้ง"] == "-"
    assert "ผู้ปกครอง" not in rows and uri_buttons(bubbles(card)[0]) == {}
    assert "ดูรูป" not in buttons_of(bubbles(card)[0])


def test_another_areas_coordinator_gets_the_refusal_of_a_missing_case(people, case_id, db):
    for data in (f"action=case&case={case_id}", f"action=note&case={case_id}", f"action=photos&case={case_id}",
                 "action=note&case=999999"):
        assert people["elsewhere"].taps(data)[0]["text"] == access.OUT_OF_SCOPE
    assert views(db, case_id) == []


def test_the_owner_writes_a_note_that_the_timeline_shows_encrypted_and_forgotten_with_the_case(
        people, case_id, db, app):
    owner = people["owner"]
    [bubble] = bubbles(card_of(owner.taps(f"action=case&case={case_id}")))
    assert "บันทึก" in buttons_of(bubble)  # a teacher, but the owner
    [ask] = owner.taps(buttons_of(bubble)["บันทึก"])
    assert "พิมพ์บันทึก" in ask["text"] and quick_reply_labels(ask) == ["ย้อนกลับ", "ยกเลิก"]
    [too_long] = owner.says("ก" * 501)
    assert "500" in too_long["text"]
    said, card = owner.says("โทรคุยกับแม่แล้ว จะพาไปสมัครเรียนวันจันทร์")
    assert said["text"] == f"บันทึกลงในเรื่อง {case_number(db, case_id)} แล้วค่ะ"
    newest = card_rows(card)["ความเป็นมา"].split("\n")[0]
    assert newest.endswith("บันทึก: โทรคุยกับแม่แล้ว จะพาไปสมัครเรียนวันจันทร์ (ครูวิไล ใจงาม)")
    with db.transaction() as session:
        [note] = session.scalars(select(CaseEvent).where(CaseEvent.kind == "note")).all()
        assert (note.note, note.to_status, note.actor_id) == (
            "โทรคุยกับแม่แล้ว จะพาไปสมัครเรียนวันจันทร์", None, user_row(db, owner.user_id).id)
    assert not any("โทรคุยกับแม่" in str(value) for row in raw(db, "SELECT note FROM case_events") for value in row)
    with db.transaction() as session:
        assert session.scalar(select(AuditEntry.id).where(AuditEntry.action == "note")) is not None
    # The district coordinator sees it too, and the view says a note was shown.
    district_card = card_of(people["district"].taps(f"action=case&case={case_id}"))
    assert "โทรคุยกับแม่แล้ว" in card_rows(district_card)["ความเป็นมา"]
    assert "history_notes" in views(db, case_id)[-1].detail["fields"]

    result = app.test_cli_runner().invoke(args=["pdpa", "forget", case_number(db, case_id), "--yes"])
    assert result.exit_code == 0, result.output
    with db.transaction() as session:
        assert session.scalar(select(CaseEvent.note).where(CaseEvent.kind == "note")) is None
    forgotten = card_of(people["district"].taps(f"action=case&case={case_id}"))
    assert "โทรคุยกับแม่" not in json.dumps(forgotten, ensure_ascii=False)
    assert card_rows(forgotten)["ความเป็นมา"].split("\n")[0].endswith("บันทึก (ครูวิไล ใจงาม)")


def test_a_teacher_who_does_not_own_the_case_cannot_write_notes(people, case_id, db):
    teacher = people["teacher"]
    assert "บันทึก" not in buttons_of(bubbles(card_of(teacher.taps(f"action=case&case={case_id}")))[0])
    assert teacher.taps(f"action=note&case={case_id}")[0]["text"] == access.NOT_ALLOWED


def test_a_note_cancelled_is_not_saved(people, case_id, db):
    district = people["district"]
    district.taps(f"action=note&case={case_id}")
    assert "ไม่ได้บันทึก" in district.says("ยกเลิก")[0]["text"]
    with db.transaction() as session:
        assert session.scalar(select(CaseEvent.id).where(CaseEvent.kind == "note")) is None


def test_the_longest_card_stays_within_lines_limits(people, make_case, db):
    """Every free-text field at its longest and a long history of long notes: LINE refuses a bubble
    over 30 KB (its JSON as the SDK sends it, Thai escaped), and the fake LINE platform checks the rest."""
    long_text = "ก" * 500
    case_id = make_case("40010201", "found", first_name="ข" * 100, last_name="ค" * 100, title="ด.ญ.",
                        guardian_name="ง" * 200, guardian_phone=GUARDIAN_PHONE, address=long_text,
                        latitude=16.43, longitude=102.83, situation="other", situation_note=long_text,
                        reason="other", reason_note=long_text, previous_school="จ" * 200, list_group="ฉ" * 100,
                        school_name="ช" * 200, urgent=True, late_since=utcnow())
    district = people["district"]
    with db.transaction() as session:
        session.execute(Case.__table__.update().where(Case.id == case_id).values(
            owner_id=user_row(db, district.user_id).id, reporter_id=user_row(db, people["reporter"].user_id).id))
    for n in range(12):
        district.taps(f"action=note&case={case_id}")
        district.says(f"{n} " + "ซ" * 490)
    card = card_of(district.taps(f"action=case&case={case_id}"))
    assert len(json.dumps(card["contents"])) < 30_000
    timeline = card_rows(card)["ความเป็นมา"].split("\n")
    assert "บันทึก: 11 ซซ" in timeline[0] and "บันทึก: 10 ซซ" in timeline[1]  # newest first
    assert len(timeline) <= 11 and "บันทึก: 1 ซซ" not in "\n".join(timeline)  # the newest lines, then "…"


def test_the_summary_cards_overdue_case_numbers_open_the_case(people, make_case, db):
    case_id = make_case("40010201", "to_find", days_idle=60, first_name="ค้างนาน")
    [summary] = people["district"].says(MENU_AREA_SUMMARY)
    taps = [node["action"] for node in walk(summary["contents"]) if node.get("action", {}).get("type") == "postback"
            and node["action"]["data"].startswith("action=case")]
    assert [tap["data"] for tap in taps] == [f"action=case&case={case_id}"]
    card = card_of(people["district"].taps(taps[0]["data"]))
    assert card_rows(card)["ชื่อ"] == "ค้างนาน ทดสอบ"
    # A coordinator of the other district never sees it on their summary, and a forged tap is refused.
    [theirs] = people["elsewhere"].says(MENU_AREA_SUMMARY)
    assert f"case={case_id}" not in json.dumps(theirs)
    assert people["elsewhere"].taps(taps[0]["data"])[0]["text"] == access.OUT_OF_SCOPE


def walk(node):
    """Every dict inside a Flex structure."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def case_number(db, case_id: int) -> str:
    with db.transaction() as session:
        return session.get(Case, case_id).number
