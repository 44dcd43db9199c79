"""Attack: a duplicate never crosses an area (issue 12, point 1).

A reporter in ตำบลสำราญ (district เมืองขอนแก่น) reports, or checks in, a child whose case lives in
district บ้านฝาง. Through signed webhooks and with a direct look at the tables: the reporter learns
nothing about that case, the case does not change, and the report reaches บ้านฝาง's coordinators
to review, encrypted at rest, audited, and gone after `flask pdpa forget`.
"""
from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select, text, update

from devtools.synthetic import generate_list, list_table, to_csv
from domain.menu_labels import MENU_MY_REPORTS
from domain.thai_ids import mask_national_id
from helpers import (
    ID,
    OTHER_ID,
    Chat,
    adding_answers,
    all_text,
    deliver_queued,
    plain_answers,
    quick_reply_labels,
    texts_of,
    wait_for,
    walk,
)
from models import (
    LISTED,
    STATUSES,
    AuditEntry,
    Case,
    CaseEvent,
    CasePhoto,
    OutboxMessage,
    OutsideReport,
    User,
    utcnow,
)
from scheduler.jobs import run_job

SENT_FOR_REVIEW = "ส่งให้ผู้รับผิดชอบตรวจสอบแล้ว"
OUTSIDE_HEADLINE = "มีการแจ้งจากนอกพื้นที่ของท่าน"
# What the other district's case says about the child: none of it may reach the reporter.
THEIRS = {"title": "ด.ญ.", "first_name": "มาลี", "last_name": "ศรีสุข", "national_id": ID,
          "guardian_name": "นางบุญมี ศรีสุข", "guardian_phone": "0899999999", "address": "99 หมู่ 1"}


# ------------------------------------------------------------------ helpers

def stored(db, table: str, where: str, **params) -> list[dict]:
    """Rows exactly as the database holds them (ciphertexts, timestamps), for byte-for-byte comparison."""
    with db.transaction() as session:
        return [dict(row) for row in session.execute(
            text(f"SELECT * FROM {table} WHERE {where} ORDER BY id"), params).mappings()]


def snapshot(db, case_id: int) -> dict[str, list[dict]]:
    """Everything that is the case: its row, its history, its photos, its referrals."""
    return {table: stored(db, table, f"{column} = :id", id=case_id)
            for table, column in (("cases", "id"), ("case_events", "case_id"), ("case_photos", "case_id"),
                                  ("referrals", "case_id"))}


def case_of(db, case_id: int) -> Case:
    with db.transaction() as session:
        return session.get(Case, case_id)


def user_id(db, chat: Chat) -> int:
    with db.transaction() as session:
        return session.scalar(select(User.id).where(User.line_user_id == chat.user_id))


def outside_reports(db, case_id: int) -> list[OutsideReport]:
    with db.transaction() as session:
        return list(session.scalars(select(OutsideReport).where(OutsideReport.case_id == case_id)))


def assert_reveals_nothing_of(case: Case, messages: list[dict], *, status: bool = True) -> None:
    """No number, name, guardian, masked ID (or, with `status`, any status word) of `case` in `messages`."""
    said = str(messages)
    masked = (mask_national_id(case.national_id),) if case.national_id else ()
    for revealing in (case.number, f"{case.id:06d}", case.first_name, case.last_name, case.guardian_name,
                      *masked, *(STATUSES.values() if status else ())):
        assert not revealing or revealing not in said, revealing


def assert_not_found(reply: list[dict], case: Case) -> None:
    """A search's answer: nothing matched (the query is echoed back, so only the case's own data is checked)."""
    [answer] = reply
    assert "ไม่พบเด็กที่ตรงกับ" in answer["text"]
    assert case.last_name not in answer["text"] and case.guardian_name not in answer["text"]


@pytest.fixture
def theirs(make_case) -> int:
    """The child's case in บ้านฝาง, still to find (a status a report in scope would move)."""
    return make_case("40020101", status="to_find", **THEIRS)


@pytest.fixture
def people(registered, new_chat) -> dict[str, Chat]:
    """The attacking reporter in ตำบลสำราญ, and a coordinator of each district."""
    return {
        "reporter": registered(new_chat(), "reporter", "400102", real_name="ผู้ใหญ่สมพงษ์ ดีมาก", phone="0811111111"),
        "ours": registered(new_chat(), "coordinator", "4001"),
        "theirs": registered(new_chat(), "coordinator", "4002"),
    }


# ------------------------------------------------------------------ the guided report

def test_a_national_id_from_another_area_reveals_nothing_and_changes_nothing(theirs, people, db, line):
    reporter, ours, their_coordinator = people["reporter"], people["ours"], people["theirs"]
    case = case_of(db, theirs)
    before = snapshot(db, theirs)

    walk(reporter, *plain_answers(photo=("image",), guardian="นายสมหมาย มีสุข 081-234-5678"))
    reply = reporter.says("ยืนยัน")

    # The reporter: one neutral acknowledgement, nothing about the other case.
    [ack] = reply
    assert SENT_FOR_REVIEW in ack["text"] and ack["text"].startswith("✅ บันทึกการแจ้งเรียบร้อยแล้วค่ะ")
    assert "มีในระบบแล้ว" not in ack["text"] and "เลขที่เรื่อง" not in ack["text"]
    assert_reveals_nothing_of(case, reply)

    # The case, its history and photos, byte for byte; no case anywhere for the report.
    assert snapshot(db, theirs) == before
    with db.transaction() as session:
        assert session.scalars(select(Case.id)).all() == [theirs]
        assert session.scalars(select(CasePhoto)).all() == []

    # Kept for the other district's coordinators, encrypted at rest.
    [kept] = outside_reports(db, theirs)
    assert kept.reporter_id == user_id(db, reporter)
    # What the second reporter adds (the guardian and their phone) is kept too, for those coordinators.
    assert (kept.fields["first_name"], kept.fields["national_id"], kept.fields["wants"], kept.fields["guardian_name"],
            kept.fields["guardian_phone"]) == ("สมศรี", ID, "formal_school", "นายสมหมาย มีสุข", "0812345678")
    [raw] = stored(db, "outside_reports", "case_id = :id", id=theirs)
    for plain in ("สมศรี", ID, "0812345678", "formal_school"):
        for form in (plain.encode(), plain.encode("unicode_escape")):
            assert form not in bytes(raw["content"])

    # Their coordinator is told what was reported and by whom; ours gets nothing of their case.
    [notice] = line.texts_to(their_coordinator.user_id)
    assert OUTSIDE_HEADLINE in notice and case.number in notice
    assert "สมศรี มีสุข" in notice and "ผู้ใหญ่สมพงษ์ ดีมาก" in notice and "081-111-1111" in notice
    assert "นายสมหมาย มีสุข 081-234-5678" in notice
    assert ID not in notice and mask_national_id(ID) in notice
    assert "มี 1 รูป" in notice  # sent, but not attached to their case
    assert_reveals_nothing_of(case, line.messages_to(ours.user_id))

    # Audited: the report and the notice, both about their case.
    with db.transaction() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.subject_id == str(theirs))).all()
        assert {(e.action, e.actor_id) for e in entries} >= {("report_outside", user_id(db, reporter)),
                                                              ("notified", user_id(db, their_coordinator))}
        assert not [e for e in entries if e.action in ("report_again", "view")]

    # "เรื่องที่ฉันแจ้ง" does not list it, and it is not found by number or ID either.
    [mine] = reporter.says(MENU_MY_REPORTS)
    assert "ยังไม่มีเรื่องที่แจ้ง" in mine["text"]
    for typed in (case.number, ID, f"ค้นหา {case.first_name}"):
        assert_not_found(reporter.says(typed), case)
    [refused] = reporter.taps(f"action=case&case={theirs}")
    assert "นอกพื้นที่" in refused["text"]
    assert_reveals_nothing_of(case, [refused])


def test_another_areas_national_id_is_not_told_at_the_id_step(theirs, people, new_chat, registered, db):
    """In scope, a known ID is told at once (tests/test_report_duplicates.py); another area's ID gets the
    next question exactly as an ID nobody has, and the card then warns of nothing."""
    case, before = case_of(db, theirs), snapshot(db, theirs)
    reporter = people["reporter"]
    [after_theirs] = walk(reporter, "ด.ญ. สมศรี มีสุข", ID)
    newcomer = registered(new_chat(), "reporter", "400102")
    [after_none] = walk(newcomer, "ด.ญ. สมศรี มีสุข", OTHER_ID)
    assert after_theirs["text"] == after_none["text"] and "วันเกิด" in after_theirs["text"]
    assert quick_reply_labels(after_theirs) == quick_reply_labels(after_none)
    [card] = walk(reporter, *plain_answers(name=None, national_id=None))
    assert "อาจซ้ำ" not in all_text(card) and "เพิ่มให้เรื่องเดิม" not in quick_reply_labels(card)
    for revealing in (case.number, case.first_name, case.guardian_name, *STATUSES.values()):
        assert revealing not in all_text(card)  # the card shows the ID the reporter typed, masked, and no more
    [ack] = reporter.says("ยืนยัน")
    assert SENT_FOR_REVIEW in ack["text"]
    assert_reveals_nothing_of(case, [ack])
    assert snapshot(db, theirs) == before and len(outside_reports(db, theirs)) == 1


def test_a_name_sounding_like_another_areas_child_warns_of_nothing(people, make_case, db, areas):
    """The soundex warning looks only among the cases the reporter may see: a draft begun in บ้านฝาง and
    confirmed after the reporter moved to ตำบลสำราญ is not told of บ้านฝาง's child of that name."""
    reporter = people["reporter"]
    with db.transaction() as session:
        session.execute(update(User).where(User.line_user_id == reporter.user_id).values(area_id=areas["400201"]))
    walk(reporter, *plain_answers(name="ด.ญ. สมสี มีสุข", national_id="ไม่ทราบ", village="ไม่แน่ใจ"))
    theirs = make_case("40020101", status="to_find", title="ด.ญ.", first_name="สมศรี", last_name="มีสุข",
                       age_years=12, guardian_name="นางบุญมี ศรีสุข")
    case, before = case_of(db, theirs), snapshot(db, theirs)
    with db.transaction() as session:
        session.execute(update(User).where(User.line_user_id == reporter.user_id).values(area_id=areas["400102"]))
    reply = reporter.says("ยืนยัน")
    assert SENT_FOR_REVIEW in reply[0]["text"]
    assert_reveals_nothing_of(case, reply)
    assert snapshot(db, theirs) == before


def test_the_reply_is_the_one_for_no_duplicate_but_without_a_number(theirs, people, new_chat, registered):
    """The reply opens like a new report's, so the reporter is not told a case exists elsewhere."""
    walk(people["reporter"], *plain_answers())
    [elsewhere] = people["reporter"].says("ยืนยัน")
    newcomer = registered(new_chat(), "reporter", "400102")
    walk(newcomer, *plain_answers(national_id="3100500123458"))
    [new] = newcomer.says("ยืนยัน")
    assert elsewhere["text"].split("\n")[0] == new["text"].split("\n")[0]
    assert [len(elsewhere.get("quickReply", {}).get("items", []))] == [len(new.get("quickReply", {})
                                                                              .get("items", []))]


def test_name_and_birth_date_match_does_not_cross_either(make_case, people, db, areas, line):
    """Without IDs a duplicate is looked for in the report's own area only: it can cross only when the
    reporter's area changed while the draft waited. Then too the other area's case is left alone."""
    reporter = people["reporter"]
    with db.transaction() as session:
        session.execute(update(User).where(User.line_user_id == reporter.user_id)
                        .values(area_id=areas["400201"]))
    answers = plain_answers(national_id="ไม่ทราบ", birth="1/5/2556", village="ไม่แน่ใจ")
    walk(reporter, *answers)  # the draft is for ตำบลบ้านฝาง
    theirs = make_case("400201", status="to_find", title="ด.ญ.", first_name="สมศรี", last_name="มีสุข",
                       birth_date=date(2013, 5, 1), guardian_name="นางบุญมี ศรีสุข")
    case, before = case_of(db, theirs), snapshot(db, theirs)
    with db.transaction() as session:  # moved to ตำบลสำราญ before confirming
        session.execute(update(User).where(User.line_user_id == reporter.user_id)
                        .values(area_id=areas["400102"]))
    reply = reporter.says("ยืนยัน")
    assert SENT_FOR_REVIEW in reply[0]["text"]
    assert_reveals_nothing_of(case, reply)
    assert snapshot(db, theirs) == before
    assert len(outside_reports(db, theirs)) == 1
    assert any(OUTSIDE_HEADLINE in t for t in line.texts_to(people["theirs"].user_id))


def test_a_new_child_in_the_area_the_reporter_just_left_gets_no_number(people, db, areas, line):
    """A draft begun in one area and confirmed after the reporter moved to another still opens the case
    there (a child was found) and tells that area's coordinators, but gives the reporter nothing to follow."""
    reporter = people["reporter"]
    with db.transaction() as session:
        session.execute(update(User).where(User.line_user_id == reporter.user_id).values(area_id=areas["400201"]))
    walk(reporter, *plain_answers(national_id="ไม่ทราบ", village="ไม่แน่ใจ"))
    with db.transaction() as session:
        session.execute(update(User).where(User.line_user_id == reporter.user_id).values(area_id=areas["400102"]))
    [reply] = reporter.says("ยืนยัน")
    with db.transaction() as session:
        case = session.scalars(select(Case).order_by(Case.id.desc())).first()
        assert case.area_code == "400201"
    assert SENT_FOR_REVIEW in reply["text"] and case.number not in reply["text"]
    assert any(case.number in m.get("altText", "") for m in line.messages_to(people["theirs"].user_id))
    assert case.number not in " ".join(all_text(t) for t in reporter.says(MENU_MY_REPORTS))


def test_an_in_scope_duplicate_is_told_at_the_id_and_updates_the_case(theirs, registered, new_chat, db, line):
    there = registered(new_chat(), "reporter", "400201")
    [told] = walk(there, "ด.ญ. สมศรี มีสุข", ID)
    case = case_of(db, theirs)
    assert "เด็กคนนี้มีเรื่องอยู่แล้ว" in told["text"] and case.number in told["text"]
    walk(there, *adding_answers(photo=("image",)))
    [reply] = there.says("ยืนยัน")
    case = case_of(db, theirs)
    assert "เพิ่มข้อมูลให้เรื่อง" in reply["text"] and case.number in reply["text"] and case.status == "found"
    assert outside_reports(db, theirs) == []
    with db.transaction() as session:
        assert session.scalars(select(CasePhoto.case_id)).all() == [theirs]
    [mine] = there.says(MENU_MY_REPORTS)
    assert case.number in all_text(mine)


def test_the_insert_race_picks_up_another_areas_case_and_still_reveals_nothing(
        app, people, db, areas, line):
    """The reporter's insert loses to another transaction inserting the same ID in บ้านฝาง at the same
    moment (PostgreSQL): the case it then finds is another area's, and is left alone."""
    if db.dialect != "postgresql":
        pytest.skip("SQLite runs one writer at a time; the race needs PostgreSQL's concurrent transactions")
    reporter = people["reporter"]
    walk(reporter, *plain_answers())
    replies: list[list[dict]] = []

    def confirm():
        replies.append(Chat(app, app.test_client(), line, reporter.user_id).says("ยืนยัน"))

    def waiting_on_a_lock() -> bool:
        with db.engine.connect() as conn:
            return bool(conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                         "AND datname = current_database()")))

    with db.transaction() as session:  # the other transaction: inserted, not yet committed
        session.add(Case(**THEIRS, status="to_find", source=LISTED, area_id=areas["40020101"]))
        session.flush()
        thread = threading.Thread(target=confirm)
        thread.start()
        wait_for(waiting_on_a_lock, "the reporter's insert to wait on the unique index")
    thread.join(20)
    with db.transaction() as session:
        [case] = session.scalars(select(Case)).all()
        assert session.scalars(select(CaseEvent)).all() == []  # not even a line in its history
    assert (case.status, case.area_code) == ("to_find", "40020101")
    [reply] = replies
    assert SENT_FOR_REVIEW in reply[0]["text"]
    assert_reveals_nothing_of(case, reply)
    assert len(outside_reports(db, case.id)) == 1


# ------------------------------------------------------------------ the check-in

def test_a_check_in_giving_another_areas_national_id_reveals_and_changes_nothing(
        theirs, people, make_case, db, line):
    reporter = people["reporter"]
    ours = make_case("40010201", status="to_find", title="ด.ญ.", first_name="สมศรี", last_name="มีสุข",
                     sex="female", birth_date=date(2013, 5, 1))
    case, before = case_of(db, theirs), snapshot(db, theirs)
    reporter.taps(f"action=checkin&case={ours}")
    [asks_id] = reporter.says("พบตัวเด็ก")
    assert "เลขประจำตัวประชาชน" in asks_id["text"]
    for said in (ID, "45 หมู่ 1", "อยู่บ้าน ไม่ได้เรียน", "บ้านไกล/เดินทางลำบาก", "กลับเข้าโรงเรียน", "ข้าม",
                 "ไม่มีรูป"):
        reporter.says(said)
    reply = reporter.says("ยืนยัน")
    assert SENT_FOR_REVIEW in texts_of(reply)[0] and "เรื่องอื่น" not in texts_of(reply)[0]
    assert_reveals_nothing_of(case, reply, status=False)  # the reply gives the status of their own case
    assert snapshot(db, theirs) == before
    checked = case_of(db, ours)
    assert (checked.status, checked.national_id) == ("found", None)
    assert len(outside_reports(db, theirs)) == 1
    assert any(OUTSIDE_HEADLINE in t and case.number in t for t in line.texts_to(people["theirs"].user_id))
    assert_reveals_nothing_of(case, line.messages_to(people["ours"].user_id), status=False)
    [mine] = reporter.says(MENU_MY_REPORTS)
    assert checked.number in all_text(mine) and case.number not in all_text(mine)


# ------------------------------------------------------------------ "เรื่องที่ฉันแจ้ง"

def test_my_reports_lists_only_cases_in_my_scope_today(people, db, areas):
    """A case I reported that now belongs to another area (the child moved) is no longer listed."""
    reporter = people["reporter"]
    walk(reporter, *plain_answers())
    reporter.says("ยืนยัน")
    [case] = stored(db, "cases", "1 = 1")
    [mine] = reporter.says(MENU_MY_REPORTS)
    assert "1 เรื่อง" in all_text(mine)
    with db.transaction() as session:
        session.execute(update(Case).where(Case.id == case["id"]).values(area_id=areas["400201"]))
    [mine] = reporter.says(MENU_MY_REPORTS)
    assert "ยังไม่มีเรื่องที่แจ้ง" in mine["text"] and "สมศรี" not in mine["text"]


# ------------------------------------------------------------------ forgetting

def test_pdpa_forget_removes_the_reports_kept_from_outside(theirs, people, app, db):
    walk(people["reporter"], *plain_answers(guardian="นายสมหมาย มีสุข 081-234-5678"))
    people["reporter"].says("ยืนยัน")
    assert len(outside_reports(db, theirs)) == 1
    number = case_of(db, theirs).number
    result = app.test_cli_runner().invoke(args=["pdpa", "forget", number, "--yes"])
    assert result.exit_code == 0, result.output
    assert stored(db, "outside_reports", "1 = 1") == []
    with db.transaction() as session:
        # The notice to their coordinator (sent) named the case and the report: emptied with the rest.
        [notice] = session.scalars(select(OutboxMessage)
                                   .where(OutboxMessage.line_user_id == people["theirs"].user_id)).all()
        assert notice.messages == []
        [forget] = session.scalars(select(AuditEntry).where(AuditEntry.action == "forget")).all()
        assert forget.detail["outside_reports"] == 1


def test_a_late_case_reminder_never_names_a_case_of_mine_that_is_now_another_areas(app, people, make_case, db, line):
    """The late-case reminder goes to a case's owner only while the case is in their scope: one handed
    to another area reminds that area's coordinators instead."""
    reporter = people["reporter"]
    handed_over = make_case("40020101", status="to_find", days_idle=20, owner_id=user_id(db, reporter))
    assert run_job("late-cases", app, now=utcnow()) == 1
    deliver_queued(app)
    assert_reveals_nothing_of(case_of(db, handed_over), line.messages_to(reporter.user_id))
    assert case_of(db, handed_over).number in str(line.messages_to(people["theirs"].user_id))


# ------------------------------------------------------------------ the official list

def test_a_list_row_matching_a_visited_case_elsewhere_neither_moves_it_nor_names_it(
        app, theirs, db, tmp_path):
    """The ministry's list is national (imported on the server, `flask list import`, audited as the
    command's user), so it may update any case; still, a row whose address is in เมืองขอนแก่น does
    not pull บ้านฝาง's visited case into another area, and the command's output names no case."""
    with db.transaction() as session:
        session.execute(update(Case).where(Case.id == theirs).values(status="found"))
    [row] = generate_list(1, seed=5)
    row = replace(row, national_id=ID, moo=1, subdistrict="ในเมือง", district="เมืองขอนแก่น", province="ขอนแก่น")
    path = tmp_path / "list.csv"
    path.write_bytes(to_csv(list_table([row])))
    result = app.test_cli_runner().invoke(args=["list", "import", str(path), "--yes"])
    assert result.exit_code == 0, result.output
    case = case_of(db, theirs)
    assert (case.area_code, case.status) == ("40020101", "found")
    for revealing in (case.number, THEIRS["first_name"], THEIRS["guardian_name"], row.first_name):
        assert revealing not in result.output
