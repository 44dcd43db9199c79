"""Every case has an owner: the default owning organisation, "รับเรื่องนี้", a coordinator's "มอบหมาย"
and "โอนเรื่อง", the receiver's "รับเรื่อง" / "ไม่รับ", a moved child handed to the new area only when
it accepts, and "งานของฉัน", through the webhook."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from devtools.synthetic import generate_list
from domain import people
from domain.menu_labels import MENU_CHILDREN_TO_FIND, MENU_MY_WORK
from domain.ownership import take_ownership
from helpers import bubbles, buttons_of, import_list, in_organisation, plain_answers, quick_reply_labels, walk
from models import Area, Case, CaseEvent, CaseTransfer, User, utcnow

# ------------------------------------------------------------------ helpers

def case_row(db, case_id: int) -> Case:
    with db.transaction() as session:
        case = session.get(Case, case_id)
        case.area_code  # loaded while the session is open
        return case


def kinds(db, case_id: int) -> list[str]:
    with db.transaction() as session:
        return list(session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)))


def transfers(db, case_id: int) -> list[CaseTransfer]:
    with db.transaction() as session:
        return list(session.scalars(select(CaseTransfer).where(CaseTransfer.case_id == case_id)
                                    .order_by(CaseTransfer.id)))


def user_id(db, chat) -> int:
    with db.transaction() as session:
        return session.scalar(select(User.id).where(User.line_user_id == chat.user_id))


def flexes(messages: list[dict]) -> list[dict]:
    return [m for m in messages if m["type"] == "flex"]


def card_buttons(messages: list[dict]) -> dict[str, str]:
    [message] = flexes(messages)
    return buttons_of(bubbles(message)[0])


def local_governments(db) -> dict[str, int]:
    """อบต.สำราญ for ตำบลสำราญ and a เทศบาล for the whole อำเภอเมือง."""
    with db.transaction() as session:
        def area(code):
            return people.find_area(session, code)

        return {
            "samran": people.save_organisation(session, "local_government", "อบต.สำราญ", "LG400102",
                                               [area("400102")]).id,
            "muang": people.save_organisation(session, "local_government", "เทศบาลเมืองขอนแก่น", "LG4001",
                                              [area("4001")]).id,
        }


# ------------------------------------------------------------------ the owning organisation by default

def test_a_report_is_owned_by_the_nearest_local_government_or_the_reporters_own_school(
        registered, new_chat, db, organisations):
    lg = local_governments(db)
    village_head = registered(new_chat(), "reporter", "400102")
    walk(village_head, *plain_answers())
    village_head.says("ยืนยัน")
    teacher = in_organisation(db, registered(new_chat(), "teacher", "400101"), organisations["1040010101"])
    walk(teacher, *plain_answers(national_id="ไม่ทราบ", name="ด.ช. สมปอง ใจดี", village="บ้านโนนทัน หมู่ที่ 1"))
    teacher.says("ยืนยัน")
    with db.transaction() as session:
        owners = {c.first_name: (c.owner_org_id, c.owner_id) for c in session.scalars(select(Case))}
    # อบต.สำราญ is nearer the child than the เทศบาล covering the district; the teacher's school covers
    # its child's subdistrict, so the school owns that case. Nobody owns either in person yet.
    assert owners == {"สมศรี": (lg["samran"], None), "สมปอง": (organisations["1040010101"], None)}


def test_the_list_import_gives_each_new_case_its_local_government(app, tmp_path, db, areas):
    lg = local_governments(db)
    import_list(app, tmp_path, generate_list(12, seed=3))
    with db.transaction() as session:
        owned = {(c.area_code[:6], c.owner_org_id) for c in session.scalars(select(Case))}
    assert ("400102", lg["samran"]) in owned and ("400101", lg["muang"]) in owned
    assert {org for code, org in owned if code.startswith("4002")} == {None}  # no local government there


# ------------------------------------------------------------------ claiming

def test_of_two_claims_one_owns_the_case_and_the_list_says_who(registered, new_chat, db, make_case):
    first = registered(new_chat(), "reporter", "400102", real_name="ผู้ใหญ่สมพงษ์ ดีมาก")
    second = registered(new_chat(), "reporter", "400102", real_name="อสม.มานี มีใจ")
    case_id = make_case("40010201", "to_find")
    assert "รับเรื่องนี้" in card_buttons(second.taps(f"action=case&case={case_id}"))
    note, card = first.taps(f"action=claim&case={case_id}")
    assert "ท่านรับเรื่อง" in note["text"] and "รับเรื่องนี้" not in buttons_of(bubbles(card)[0])
    [refused] = second.taps(f"action=claim&case={case_id}")  # the button of the card shown before
    assert "มีผู้รับเรื่องแล้ว" in refused["text"]
    assert case_row(db, case_id).owner_id == user_id(db, first)
    assert kinds(db, case_id).count("claimed") == 1
    # The list shows who has it, so the other does not visit the same child.
    _, carousel = second.says(MENU_CHILDREN_TO_FIND)
    [bubble] = bubbles(carousel)
    rows = {r["contents"][0]["text"]: r["contents"][1]["text"] for r in bubble["body"]["contents"]}
    assert rows["มีผู้รับเรื่องแล้ว"] == "ผู้ใหญ่สมพงษ์ ดีมาก"


def test_a_claim_loses_to_one_committed_after_the_case_was_read(registered, new_chat, db, make_case):
    """The conditional UPDATE: the owner changed between reading the case and taking it."""
    mine, theirs = (registered(new_chat(), "reporter", "400102") for _ in range(2))
    case_id = make_case("40010201", "to_find")
    with db.transaction() as session:
        case = session.get(Case, case_id)  # read: nobody owns it
        session.execute(update(Case).where(Case.id == case_id).values(owner_id=user_id(db, theirs))
                        .execution_options(synchronize_session=False))
        assert not take_ownership(session, case, session.get(User, user_id(db, mine)))
    assert case_row(db, case_id).owner_id == user_id(db, theirs)


def test_a_deactivated_owners_case_can_be_claimed_and_a_village_head_cannot_claim_a_found_child(
        registered, new_chat, db, make_case, organisations):
    gone = registered(new_chat(), "reporter", "400102")
    teacher = in_organisation(db, registered(new_chat(), "teacher", "400102"), organisations["1040010101"])
    village_head = registered(new_chat(), "reporter", "400102")
    case_id = make_case("40010201", "found")
    with db.transaction() as session:
        session.execute(update(Case).where(Case.id == case_id).values(owner_id=user_id(db, gone)))
        session.execute(update(User).where(User.line_user_id == gone.user_id).values(active=False))
    assert "รับเรื่องนี้" not in card_buttons(village_head.taps(f"action=case&case={case_id}"))
    [refused] = village_head.taps(f"action=claim&case={case_id}")
    assert "รับเรื่องในสถานะนี้ไม่ได้" in refused["text"]
    teacher.taps(f"action=claim&case={case_id}")
    case = case_row(db, case_id)
    # The claimer's organisation owns it now.
    assert (case.owner_id, case.owner_org_id) == (user_id(db, teacher), organisations["1040010101"])


# ------------------------------------------------------------------ assigning

def assign(coordinator, case_id: int, name: str, note: str = "ข้าม") -> list[dict]:
    [ask] = coordinator.taps(f"action=assign&case={case_id}")
    assert name in quick_reply_labels(ask)
    coordinator.says(name)
    coordinator.says(note)
    return coordinator.says("ยืนยัน")


def test_an_assignment_accepted_makes_the_person_the_owner(registered, new_chat, db, make_case, line):
    district = registered(new_chat(), "coordinator", "4001", real_name="ผอ.สมใจ")
    teacher = registered(new_chat(), "teacher", "400102", real_name="ครูวิไล ใจงาม")
    registered(new_chat(), "teacher", "4002", real_name="ครูต่างอำเภอ")  # cannot see the case: not offered
    case_id = make_case("40010201", "found")
    [ask] = district.taps(f"action=assign&case={case_id}")
    assert "ครูต่างอำเภอ" not in quick_reply_labels(ask)
    district.says("ครูวิไล")  # part of a name is enough
    district.says("ช่วยไปเยี่ยมบ้านสัปดาห์นี้")
    reply = district.says("ยืนยัน")
    assert "รอการตอบรับ" in reply[0]["text"]
    [offer] = flexes(line.messages_to(teacher.user_id))
    buttons = buttons_of(bubbles(offer)[0])
    assert list(buttons) == ["รับเรื่อง", "ไม่รับ"]
    assert "ช่วยไปเยี่ยมบ้านสัปดาห์นี้" in str(offer)
    [pending] = transfers(db, case_id)
    assert (pending.kind, pending.status, pending.to_user_id) == ("assign", "pending", user_id(db, teacher))

    reply = teacher.taps(buttons["รับเรื่อง"])
    assert "ท่านรับเรื่อง" in reply[0]["text"]
    assert case_row(db, case_id).owner_id == user_id(db, teacher)
    assert transfers(db, case_id)[0].status == "accepted"
    assert any("ครูวิไล ใจงาม รับเรื่อง" in t for t in line.texts_to(district.user_id))
    assert kinds(db, case_id)[-2:] == ["assigned", "assign_accepted"]
    [again] = teacher.taps(buttons["รับเรื่อง"])  # a second tap: already answered
    assert "รับเรื่องแล้ว" in again["text"]


def test_an_assignment_declined_tells_the_coordinator_why(registered, new_chat, db, make_case, line):
    district = registered(new_chat(), "coordinator", "4001")
    teacher = registered(new_chat(), "teacher", "400102", real_name="ครูวิไล ใจงาม")
    case_id = make_case("40010201", "found")
    assign(district, case_id, "ครูวิไล ใจงาม")
    [offer] = flexes(line.messages_to(teacher.user_id))
    [why] = teacher.taps(buttons_of(bubbles(offer)[0])["ไม่รับ"])
    assert "เพราะอะไร" in why["text"]
    reason = quick_reply_labels(why)[0]
    [done] = teacher.says(reason)
    assert "ไม่รับเรื่อง" in done["text"]
    [declined] = transfers(db, case_id)
    assert declined.status == "declined" and declined.reason
    assert case_row(db, case_id).owner_id is None
    assert any("ไม่รับเรื่อง" in t and reason in t for t in line.texts_to(district.user_id))
    assert kinds(db, case_id)[-1] == "assign_declined"



def test_forget_empties_the_hand_overs_note_and_reason(app, registered, new_chat, db, make_case, line):
    district = registered(new_chat(), "coordinator", "4001")
    teacher = registered(new_chat(), "teacher", "400102", real_name="ครูวิไล ใจงาม")
    case_id = make_case("40010201", "found")
    assign(district, case_id, "ครูวิไล ใจงาม", note="แม่ของน้องทำงานที่โรงงานในระยอง")
    [offer] = flexes(line.messages_to(teacher.user_id))
    teacher.taps(buttons_of(bubbles(offer)[0])["ไม่รับ"])
    teacher.says("อื่น ๆ")
    teacher.says("บ้านน้องอยู่ติดกับบ้านครู")
    [declined] = transfers(db, case_id)
    assert (declined.note, declined.reason_note) == ("แม่ของน้องทำงานที่โรงงานในระยอง", "บ้านน้องอยู่ติดกับบ้านครู")
    result = app.test_cli_runner().invoke(args=["pdpa", "forget", case_row(db, case_id).number, "--yes"])
    assert result.exit_code == 0 and "1 transfers" in result.output, result.output
    [forgotten] = transfers(db, case_id)
    assert (forgotten.note, forgotten.reason_note, forgotten.status) == (None, None, "declined")

def test_forged_answers_get_the_refusal_of_a_missing_hand_over(registered, new_chat, db, make_case, line):
    district = registered(new_chat(), "coordinator", "4001")
    registered(new_chat(), "teacher", "400102", real_name="ครูวิไล ใจงาม")
    other = registered(new_chat(), "teacher", "400102", real_name="ครูอีกคน")
    outsider = registered(new_chat(), "coordinator", "4002")
    case_id = make_case("40010201", "found", first_name="ลับเฉพาะ")
    assign(district, case_id, "ครูวิไล ใจงาม")
    [transfer] = transfers(db, case_id)
    [missing] = other.taps("action=transfer_accept&transfer=999999")
    for forger in (other, outsider, district):  # district asked: it cannot answer its own request
        for action in ("transfer_accept", "transfer_decline"):
            [refused] = forger.taps(f"action={action}&transfer={transfer.id}")
            assert refused["text"] == missing["text"] and "ลับเฉพาะ" not in str(refused)
    [junk] = other.taps("action=transfer_accept&transfer=abc")
    assert junk["text"] == missing["text"]
    assert transfers(db, case_id)[0].status == "pending" and case_row(db, case_id).owner_id is None


# ------------------------------------------------------------------ transfers: another organisation, another area

def test_a_transfer_to_another_organisation_is_answered_by_its_users(
        registered, new_chat, db, make_case, line, organisations):
    lg = local_governments(db)
    district = registered(new_chat(), "coordinator", "4001")
    officer = in_organisation(db, registered(new_chat(), "reporter", "400102", real_name="นายก อบต."), lg["samran"])
    case_id = make_case("40010201", "to_find", owner_org_id=lg["muang"])
    [ask] = district.taps(f"action=transfer&case={case_id}")
    assert "อบต.สำราญ" in quick_reply_labels(ask) and "เทศบาลเมืองขอนแก่น" not in quick_reply_labels(ask)
    district.says("อบต.สำราญ")
    district.says("ข้าม")
    district.says("ยืนยัน")
    [offer] = flexes(line.messages_to(officer.user_id))
    officer.taps(buttons_of(bubbles(offer)[0])["รับเรื่อง"])
    case = case_row(db, case_id)
    assert (case.owner_org_id, case.owner_id) == (lg["samran"], user_id(db, officer))
    assert kinds(db, case_id)[-2:] == ["transfer_requested", "transfer_accepted"]


def move_away(village_head, case_id: int) -> list[dict]:
    village_head.taps(f"action=checkin&case={case_id}")
    for said in ("ย้ายที่อยู่", "ต.บ้านฝาง อ.บ้านฝาง จ.ขอนแก่น", "ข้าม"):
        village_head.says(said)
    return village_head.says("ไม่มีรูป")


def test_a_moved_child_stays_here_until_the_new_area_accepts(registered, new_chat, db, make_case, line):
    village_head = registered(new_chat(), "reporter", "400102", real_name="ผู้ใหญ่สมพงษ์")
    there = registered(new_chat(), "coordinator", "4002", real_name="ผอ.บ้านฝาง")
    province = registered(new_chat(), "coordinator", "40")
    case_id = make_case("40010201", "to_find", first_name="สมใจ")
    [saved] = move_away(village_head, case_id)
    assert "รับเรื่องต่อ" in saved["text"]
    case = case_row(db, case_id)
    assert (case.status, case.area_code) == ("moved", "40010201")  # still here, marked moved
    [offer] = flexes(line.messages_to(there.user_id))
    assert flexes(line.messages_to(province.user_id)) == []  # the nearest coordinators only
    [refused] = there.taps(f"action=case&case={case_id}")  # not theirs yet
    assert "นอกพื้นที่" in refused["text"]

    reply = there.taps(buttons_of(bubbles(offer)[0])["รับเรื่อง"])
    assert "ท่านรับเรื่อง" in reply[0]["text"] and flexes(reply)
    case = case_row(db, case_id)
    assert (case.area_code, case.owner_id) == ("400201", user_id(db, there))
    assert any("รับเรื่อง" in t for t in line.texts_to(village_head.user_id)[-1:])
    [gone] = village_head.taps(f"action=case&case={case_id}")  # now it is the other district's
    assert "นอกพื้นที่" in gone["text"]


def test_a_moved_child_declined_by_the_new_area_stays_here(registered, new_chat, db, make_case, line):
    village_head = registered(new_chat(), "reporter", "400102")
    there = registered(new_chat(), "coordinator", "4002")
    case_id = make_case("40010201", "to_find")
    move_away(village_head, case_id)
    [offer] = flexes(line.messages_to(there.user_id))
    [why] = there.taps(buttons_of(bubbles(offer)[0])["ไม่รับ"])
    there.says("อื่น ๆ")
    there.says("ครอบครัวย้ายกลับมาแล้ว")
    case = case_row(db, case_id)
    assert (case.status, case.area_code, case.owner_id) == ("moved", "40010201", None)
    assert transfers(db, case_id)[0].reason_note == "ครอบครัวย้ายกลับมาแล้ว"
    assert any("ไม่รับเรื่อง" in t for t in line.texts_to(village_head.user_id))


def test_a_coordinator_transfers_a_case_to_another_area(registered, new_chat, db, make_case, line):
    district = registered(new_chat(), "coordinator", "4001")
    there = registered(new_chat(), "coordinator", "4002")
    case_id = make_case("40010201", "found")
    district.taps(f"action=transfer&case={case_id}")
    [ask_place] = district.says("ย้ายไปพื้นที่อื่น")
    assert "ย้ายไปอยู่ที่ไหน" in ask_place["text"]
    [same] = district.says("ต.สำราญ")
    assert "ยังอยู่ในพื้นที่นี้" in same["text"]
    district.says("ต.บ้านฝาง อ.บ้านฝาง")
    district.says("ข้าม")
    assert "รอการตอบรับ" in district.says("ยืนยัน")[0]["text"]
    [offer] = flexes(line.messages_to(there.user_id))
    there.taps(buttons_of(bubbles(offer)[0])["รับเรื่อง"])
    assert case_row(db, case_id).area_code == "400201"


# ------------------------------------------------------------------ งานของฉัน

def test_my_work_lists_urgent_then_late_then_oldest_and_the_hand_overs_waiting(
        registered, new_chat, db, make_case, line):
    me = registered(new_chat(), "teacher", "400102", real_name="ครูของฉัน")
    district = registered(new_chat(), "coordinator", "4001")
    now = utcnow()
    made = {name: make_case("40010201", "found", first_name=name) for name in
            ("เก่า", "ใหม่", "เลยกำหนด", "เลยกำหนดนาน", "ด่วน", "ปิดแล้ว", "ย้ายไปแล้ว")}
    waiting = make_case("40010202", "found", first_name="รอคำตอบ")
    with db.transaction() as session:
        mine = user_id(db, me)
        for name, case_id in made.items():
            session.execute(update(Case).where(Case.id == case_id).values(owner_id=mine))
        values = {"เก่า": {"status_since": now - timedelta(days=9)}, "ใหม่": {"status_since": now},
                  "เลยกำหนด": {"late_since": now - timedelta(days=1)},
                  "เลยกำหนดนาน": {"late_since": now - timedelta(days=5)},
                  "ด่วน": {"urgent": True}, "ปิดแล้ว": {"status": "closed"},
                  "ย้ายไปแล้ว": {"area_id": session.scalar(select(Area.id).where(Area.code == "400201"))}}
        for name, changes in values.items():
            session.execute(update(Case).where(Case.id == made[name]).values(**changes))
    assign(district, waiting, "ครูของฉัน")

    heading, work, handovers = me.says(MENU_MY_WORK)
    assert "5 เรื่อง" in heading["text"] and "รอคำตอบจากท่าน 1 เรื่อง" in heading["text"]
    titles = [b["header"]["contents"][0]["text"] for b in bubbles(work)]
    assert titles == ["🚨 ด่วน ด่วน ทดสอบ", "เลยกำหนดนาน ทดสอบ", "เลยกำหนด ทดสอบ", "เก่า ทดสอบ", "ใหม่ ทดสอบ"]
    assert all(list(buttons_of(b)) == ["ดูเรื่อง"] for b in bubbles(work))
    [offer] = bubbles(handovers)
    assert list(buttons_of(offer)) == ["รับเรื่อง", "ไม่รับ"] and "รอคำตอบ" in str(offer)
    assert MENU_MY_WORK in quick_reply_labels(handovers)


def test_my_work_when_there_is_none_and_the_menu_offers_it(registered, chat):
    registered(chat, "reporter", "400102")
    [nothing] = chat.says(MENU_MY_WORK)
    assert "ยังไม่มีงาน" in nothing["text"] and MENU_MY_WORK in quick_reply_labels(nothing)


def test_my_work_pages_ten_at_a_time(registered, chat, db, make_case):
    registered(chat, "teacher", "400102")
    owned = [make_case("40010201", "found", first_name=f"คนที่{n}") for n in range(11)]
    with db.transaction() as session:
        session.execute(update(Case).where(Case.id.in_(owned)).values(owner_id=user_id(db, chat)))
    heading, page1 = chat.says(MENU_MY_WORK)
    assert "11 เรื่อง (หน้า 1/2)" in heading["text"] and len(bubbles(page1)) == 10
    assert quick_reply_labels(page1)[0] == "ถัดไป"
    heading, page2 = chat.taps("action=work&page=2")
    assert "(หน้า 2/2)" in heading["text"] and len(bubbles(page2)) == 1
    [bad] = chat.taps("action=work&page=x")[:1]
    assert "(หน้า 1/2)" in bad["text"]
