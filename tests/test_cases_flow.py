"""Transcript: a child from the ministry's list to the classroom, through the webhook.

The list is imported, a village head finds the child on "รายชื่อที่ต้องติดตาม" and checks them in, a
teacher refers them to a school, the school accepts with a start date, the teacher follows up and a
coordinator closes the case; every step is in the case's history with who, when and which message.
Also: the other check-in outcomes, search and paging, "เรื่องที่ฉันแจ้ง", declined and revoked
referrals, illegal transitions, and people outside the area who can neither see nor change the case.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from bot import audit, people
from bot.synthetic import generate_list, list_table, to_csv
from bot.thai import format_thai_date, mask_national_id, now_bangkok
from conftest import Chat
from helpers import quick_reply_labels, texts_of
from models import Area, AuditEntry, Case, CaseEvent, CasePhoto, Referral, User

TODAY = now_bangkok().date()


# ------------------------------------------------------------------ helpers

def import_list(app, tmp_path, rows) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(to_csv(list_table(rows)))
    result = app.test_cli_runner().invoke(args=["list", "import", str(path)])
    assert result.exit_code == 0, result.output


def cases_in(db, prefix: str = "") -> list[Case]:
    with db.transaction() as session:
        return list(session.scalars(select(Case).join(Area).where(Area.code.startswith(prefix)).order_by(Case.id)))


def case_row(db, case_id: int) -> Case:
    with db.transaction() as session:
        return session.get(Case, case_id)


def history(db, case_id: int) -> list[CaseEvent]:
    with db.transaction() as session:
        return list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)))


def bubbles(message: dict) -> list[dict]:
    contents = message["contents"]
    return contents["contents"] if contents["type"] == "carousel" else [contents]


def rows_of(bubble: dict) -> dict[str, str]:
    return {row["contents"][0]["text"]: row["contents"][1]["text"] for row in bubble["body"]["contents"]}


def buttons_of(bubble: dict) -> dict[str, str]:
    """Button label -> postback data."""
    return {b["action"]["label"]: b["action"].get("data", "") for b in (bubble.get("footer") or {}).get("contents", [])}


def flex_messages(reply: list[dict]) -> list[dict]:
    return [m for m in reply if m["type"] == "flex"]


def in_organisation(db, chat: Chat, org_id: int) -> Chat:
    with db.transaction() as session:
        session.execute(update(User).where(User.line_user_id == chat.user_id).values(organisation_id=org_id))
    return chat


@pytest.fixture
def schools(db, areas, organisations) -> dict[str, int]:
    """Besides the fixture's school in ตำบลในเมือง: one in ตำบลสำราญ, a สกร. office for the district
    and a school in the other district."""
    with db.transaction() as session:
        def area(code):
            return people.find_area(session, code)

        made = {
            "samran": people.save_organisation(session, "school", "โรงเรียนบ้านสำราญ", "1040010201", [area("400102")]),
            "skr": people.save_organisation(session, "learning_promotion", "สกร.อำเภอเมืองขอนแก่น", "SKR4001",
                                            [area("4001")]),
            "faang": people.save_organisation(session, "school", "โรงเรียนบ้านฝาง", "1040020101", [area("400201")]),
        }
        return {"nontan": organisations["1040010101"], **{k: v.id for k, v in made.items()}}


@pytest.fixture
def listed(app, tmp_path, db, areas):
    """Twelve children of the sample province imported from a list; returns the cases in ตำบลสำราญ."""
    import_list(app, tmp_path, generate_list(12, seed=3))
    samran = cases_in(db, "400102")
    assert len(samran) >= 2 and cases_in(db, "4002")
    return samran


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
    heading, carousel = village_head.says("รายชื่อที่ต้องติดตาม")
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
    [confirm] = village_head.sends_image()
    assert rows_of(bubbles(confirm)[0])["เลขประจำตัว"] == mask_national_id(child.national_id)
    [saved] = village_head.says("ยืนยัน")
    assert f"เรื่อง {child.number}: ติดตามพบแล้ว" in saved["text"]
    found = case_row(db, child.id)
    assert (found.status, found.situation, found.reason, found.wants) == ("found", "working", "poverty",
                                                                         "formal_school")
    assert (found.latitude, found.guardian_phone, found.first_name) == (16.4301, "0812345678", child.first_name)
    assert any("พบตัวเด็กตามรายชื่อ" in t for t in line.texts_to(district.user_id))

    # The teacher opens the case by its number and refers the child to the school in ตำบลสำราญ.
    [found_by_number] = flex_messages(teacher.says(child.number))
    [bubble] = bubbles(found_by_number)
    assert list(buttons_of(bubble)) == ["ดูเรื่อง"]  # no check-in: the child is found
    [case_card] = flex_messages(teacher.taps(buttons_of(bubble)["ดูเรื่อง"]))
    actions = buttons_of(bubbles(case_card)[0])
    assert list(actions) == ["ส่งต่อ", "กลับเข้าเรียนแล้ว"]
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
    started = TODAY - timedelta(days=3)
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
    assert list(actions) == ["ยังเรียนอยู่", "หยุดเรียนอีกครั้ง"]
    [followed] = teacher.taps(actions["ยังเรียนอยู่"])
    assert "เรียนต่อเนื่อง" in followed["text"]
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


def _id(db, chat: Chat) -> int:
    with db.transaction() as session:
        return session.scalar(select(User.id).where(User.line_user_id == chat.user_id))
