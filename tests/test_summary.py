"""Transcript: "สรุปพื้นที่", a coordinator's area summary card, its drill-down, and its audit rows."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from domain import access, people, watch
from domain.deadlines import create_deadline
from domain.menu_labels import MENU_AREA_SUMMARY, MENU_OPEN_DASHBOARD
from domain.summary import Counts, OverdueCase, SubArea, Summary, summarise
from domain.thai_dates import now_bangkok
from domain.watch_numbers import LABELS, WatchNumbers
from handlers.area_summary import WATCH_HEADING, summary_card
from helpers import bubbles, deliver_queued, flex_texts, in_organisation, texts_of
from models import STATUSES, Area, AuditEntry, Organisation, User, utcnow
from scheduler.jobs import run_job


@pytest.fixture
def province(make_case):
    """Cases in both sample districts: 4001 has five (two overdue), 4002 has three."""
    make_case("40010101", "to_find")
    make_case("40010101", "to_find", days_idle=30)  # overdue
    make_case("40010201", "not_found")
    make_case("40010202", "referred", days_idle=20)  # overdue
    make_case("4001", "back_in_school", days_idle=60)  # an outcome, never overdue; placed at the district
    make_case("40020101", "to_find")
    make_case("40020101", "found")
    make_case("40020101", "closed")


def card_of(reply: list[dict]) -> list[str]:
    assert len(reply) == 1 and reply[0]["type"] == "flex", reply
    return flex_texts(reply[0])


def audit_rows(db, action: str) -> list[AuditEntry]:
    with db.transaction() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_district_coordinator_sees_exactly_their_district(chat, registered, province, db):
    registered(chat, "coordinator", "4001")
    shown = card_of(chat.says(MENU_AREA_SUMMARY))
    assert "อำเภอเมืองขอนแก่น จังหวัดขอนแก่น" in shown and "ทั้งหมด 5 คน" in shown
    statuses = dict(zip(shown, shown[1:]))
    assert (statuses["รอติดตาม"], statuses["ไม่พบตัว"], statuses["ส่งต่อหน่วยงานแล้ว"]) == ("2", "1", "1")
    assert "ติดตามพบแล้ว" not in shown and "ปิดเรื่อง" not in shown  # 4002's cases
    assert "เกินกำหนด 2 เรื่อง" in shown and "แยกตามตำบล" in shown
    # Worst first: ในเมือง has two still to find, สำราญ one not found, the district itself none.
    rows = [shown[i:i + 4] for i, t in enumerate(shown) if t.startswith("ตำบล") or t == "ไม่ระบุตำบล"]
    assert rows == [["ตำบลในเมือง", "2", "1", "2"], ["ตำบลสำราญ", "1", "1", "2"], ["ไม่ระบุตำบล", "0", "0", "1"]]
    assert "บ้านฝาง" not in " ".join(shown)
    [entry] = audit_rows(db, "summary")
    assert entry.detail["scope"] == ["4001"] and entry.detail["cases"] == 5 and entry.source


def test_national_coordinator_drills_down_and_back_up(chat, registered, province):
    registered(chat, "coordinator", None, national=True)
    shown = card_of(chat.says(MENU_AREA_SUMMARY))
    assert "ทั้งประเทศ" in shown and "ทั้งหมด 8 คน" in shown and "แยกตามจังหวัด" in shown
    assert ["จังหวัดขอนแก่น", "4", "2", "8"] == shown[shown.index("จังหวัดขอนแก่น"):][:4]
    shown = card_of(chat.taps("action=summary&area=40"))
    assert "แยกตามอำเภอ" in shown and shown.index("อำเภอเมืองขอนแก่น") < shown.index("อำเภอบ้านฝาง")
    shown = card_of(chat.taps("action=summary&area=4002"))
    assert "ทั้งหมด 3 คน" in shown and "ขึ้นไประดับบน" in shown
    assert "ทั้งหมด 8 คน" in card_of(chat.taps("action=summary"))


def test_a_forged_postback_for_another_area_is_refused(chat, registered, province, db):
    registered(chat, "coordinator", "4001")
    for forged in ("4002", "40", "400201", "99", "x'; DROP TABLE cases"):
        assert texts_of(chat.taps(f"action=summary&area={forged}")) == [access.OUT_OF_SCOPE]
    assert [e.subject_id for e in audit_rows(db, "denied")] == ["4002", "40", "400201", "99", "x'; DROP TABLE cases"]
    assert audit_rows(db, "summary") == []
    assert "ทั้งหมด 2 คน" in card_of(chat.taps("action=summary&area=400102"))  # inside: fine


def test_organisation_coordinator_sees_its_districts_as_sub_areas(chat, registered, organisations, province, db):
    registered(chat, "coordinator", None)
    with db.transaction() as session:
        session.scalar(select(User).where(User.line_user_id == chat.user_id)).organisation_id = \
            organisations["SPP40-1"]
    shown = card_of(chat.says(MENU_AREA_SUMMARY))
    assert "พื้นที่ของสพป.ขอนแก่น เขต 1" in shown and "แยกตามพื้นที่" in shown
    assert "อำเภอเมืองขอนแก่น" in shown and "อำเภอบ้านฝาง" in shown and "ทั้งหมด 8 คน" in shown


@pytest.mark.parametrize("role", ["reporter", "teacher"])
def test_only_coordinators_get_summaries(chat, registered, organisations, role):
    registered(chat, role, "400101")
    assert texts_of(chat.says(MENU_AREA_SUMMARY)) == [access.NOT_ALLOWED]
    assert texts_of(chat.taps("action=summary&area=400101")) == [access.NOT_ALLOWED]


def test_empty_area(chat, registered):
    registered(chat, "coordinator", "4002")
    shown = card_of(chat.says(MENU_AREA_SUMMARY))
    assert "ทั้งหมด 0 คน" in shown and "ยังไม่มีข้อมูลเด็กในพื้นที่นี้" in shown
    assert WATCH_HEADING not in shown  # no school there has a watch list


def test_summary_counts_overdue_only_cases_waiting_on_someone(db, province):
    with db.transaction() as session:
        summary = summarise(session, ("40",), utcnow(), overdue_days=14)
        assert summary.counts.total == 8 and summary.counts.overdue == 2 and summary.counts.missing == 4
        assert [c.days for c in summary.oldest_overdue] == [30, 20]
        assert summarise(session, ("40",), utcnow(), overdue_days=25).counts.overdue == 1
        assert summarise(session, ("4001", "4002"), utcnow(), 14).sub_level is None
        assert summarise(session, ("",), utcnow(), 14).counts.total == 8
        assert summarise(session, ("41",), utcnow(), 14).counts.total == 0


def test_the_card_shows_progress_against_the_current_deadline(chat, registered, province, db):
    """Progress counts organisations by their work: every child on their list checked in, or a zero report."""
    registered(chat, "coordinator", "4001")
    with db.transaction() as session:
        def org(name, code, area_code):
            return people.save_organisation(session, "local_government", name, code, [people.find_area(session, area_code)])
        city, samran = org("เทศบาลเมือง", "LG1", "400101"), org("อบต.สำราญ", "LG2", "400102")
        org("อบต.บ้านฝาง", "LG3", "400201")  # other district
        create_deadline(session, title="รายงานเด็กนอกระบบ รอบ 1", due_date=now_bangkok().date() + timedelta(days=3),
                        area=session.scalar(select(Area).where(Area.code == "40")), roles=["reporter"],
                        remind_days=[1])
    # ในเมือง still has its two listed children to find; สำราญ has checked both of its own.
    shown = card_of(chat.says(MENU_AREA_SUMMARY))
    assert "การรายงานตามกำหนด" in shown and "รายงานแล้ว 1 จาก 2 แห่ง" in shown, shown
    [pending] = [t for t in shown if t.startswith("ยังไม่รายงาน")]
    assert pending == f"ยังไม่รายงาน: {city.name} (ยังไม่ได้ติดตาม 2 คน)" and samran.name not in pending
    assert any(t.startswith("กำหนดส่ง: รายงานเด็กนอกระบบ รอบ 1") for t in shown)


def test_no_progress_without_an_open_deadline(chat, registered, province):
    registered(chat, "coordinator", "4001")
    assert "การรายงานตามกำหนด" not in card_of(chat.says(MENU_AREA_SUMMARY))


def dashboard_link(card: dict) -> str | None:
    """Where the card's "เปิดแดชบอร์ด" button goes, or None without one."""
    [bubble] = bubbles(card)
    return next((b["action"]["uri"] for b in bubble["footer"]["contents"]
                 if b["action"]["label"] == MENU_OPEN_DASHBOARD), None)


def test_the_card_opens_the_dashboard_at_its_area_when_it_is_on(app, line, chat, registered, province):
    registered(chat, "coordinator", "4001")
    [card] = chat.says(MENU_AREA_SUMMARY)
    assert dashboard_link(card) is None  # LIFF_ID unset: the dashboard is off
    app.config["LIFF_ID"] = "1657000000-abcdefgh"
    [card] = chat.says(MENU_AREA_SUMMARY)
    assert dashboard_link(card) == "https://liff.line.me/1657000000-abcdefgh"
    # A sub-area's card: LINE passes the LIFF URL's query to the page (liff.state), which opens that area.
    [card] = chat.taps("action=summary&area=400102")
    assert dashboard_link(card) == "https://liff.line.me/1657000000-abcdefgh?area=400102"
    morning = datetime(2026, 6, 2, 0, 30, tzinfo=timezone.utc)
    assert run_job("coordinator-daily-summary", app, now=morning) == 1
    deliver_queued(app)
    assert dashboard_link(line.messages_to(chat.user_id)[-1]) == "https://liff.line.me/1657000000-abcdefgh"


# ----------------------------------------------------------------------------- the watch lists

@pytest.fixture
def watched(db, schools):
    """Students on watch lists: two in โรงเรียนบ้านโนนทัน (one visited at home, one raised), one in
    โรงเรียนบ้านสำราญ who left anyway, one in โรงเรียนบ้านฝาง (the other district)."""
    now, rules = utcnow(), watch.Rules()
    with db.transaction() as session:
        def student(school: str, name: str, group: str):
            added, _ = watch.add_student(session, session.get(Organisation, schools[school]), {
                "first_name": name, "last_name": "ทดสอบ", "class_name": "ม.1/2", "group": group}, None,
                now=now, rules=rules)
            session.flush()
            return added

        watch.record_visit(session, student("nontan", "หนึ่ง", "problem"), "visited", None, None, now=now, rules=rules)
        watch.raise_student(session, student("nontan", "สอง", "at_risk"), None, now=now, reason="ขาดเรียน")
        watch.become_case(session, student("samran", "สาม", "at_risk"), None, now=now, reason="หยุดเรียน")
        student("faang", "สี่", "at_risk")


def watch_rows(shown: list[str]) -> dict[str, str]:
    """The watch section's rows of a card: label to number."""
    start = shown.index(WATCH_HEADING) + 1
    return {label: shown[shown.index(label, start) + 1] for label in LABELS.values()}


def test_the_card_counts_the_watch_lists_of_the_coordinators_scope(chat, new_chat, registered, schools, watched,
                                                                     db):
    registered(chat, "coordinator", "4001")
    [card] = chat.says(MENU_AREA_SUMMARY)
    shown = flex_texts(card)
    assert watch_rows(shown) == {"คัดกรองแล้ว": "3", "กลุ่มเสี่ยง": "2", "กลุ่มมีปัญหา": "1", "ยังเฝ้าระวังอยู่": "2",
                                 "เยี่ยมบ้านแล้ว": "1", "แจ้งเตือนแล้ว": "1", "หยุดเรียน (เปิดเรื่องแล้ว)": "1"}
    assert "นักเรียนเฝ้าระวัง 2 คน" in card["altText"]
    assert "ทั้งหมด 1 คน" in shown  # the case of the student who left is one of the district's cases
    [entry] = audit_rows(db, "summary")
    assert entry.detail["students"] == 3
    # Drilled into a subdistrict: only its school's students.
    assert watch_rows(card_of(chat.taps("action=summary&area=400101")))["คัดกรองแล้ว"] == "2"
    # A school's coordinator: their own school only, though the subdistrict is their whole scope.
    school = in_organisation(db, registered(new_chat(), "coordinator", "4001"), schools["samran"])
    assert watch_rows(card_of(school.says(MENU_AREA_SUMMARY)))["คัดกรองแล้ว"] == "1"
    # A national coordinator drilling into the other district: its one school's student.
    national = registered(new_chat(), "coordinator", None, national=True)
    assert watch_rows(card_of(national.taps("action=summary&area=4002")))["คัดกรองแล้ว"] == "1"


def test_the_morning_summary_has_the_watch_lists_too(app, line, registered, new_chat, watched):
    district = registered(new_chat(), "coordinator", "4002")
    morning = datetime(2026, 6, 2, 0, 30, tzinfo=timezone.utc)  # 07:30 in Bangkok
    assert run_job("coordinator-daily-summary", app, now=morning) == 1
    deliver_queued(app)
    [card] = line.messages_to(district.user_id)
    assert watch_rows(flex_texts(card))["คัดกรองแล้ว"] == "1"


def test_the_fullest_card_stays_within_lines_limits():
    """Every section at once with the largest numbers and names longer than any area's, as the SDK sends
    it (Thai escaped): one bubble of a Flex message is at most 30 KB."""
    name, organisation = "ก" * 40, "ข" * 60
    subs = [SubArea(f"40{i:02d}", name, Counts({"to_find": 99_999, "not_found": 99_999}, 99_999), True)
            for i in range(40)]
    overdue = [OverdueCase(f"2569-{i:06d}", "4001", 999, i) for i in range(3)]
    summary = Summary(("40",), Counts(dict.fromkeys(STATUSES, 999_999), 999_999), subs, overdue, "district")
    progress = [f"กำหนดส่ง: {'ค' * 100} (ภายใน 31 ธ.ค. 2569)", "รายงานแล้ว 999 จาก 999 แห่ง",
                "ยังไม่รายงาน: " + ", ".join([f"{organisation} (ยังไม่ได้ติดตาม 999 คน)"] * 3) + " และอีก 999 แห่ง"]
    watched = WatchNumbers(dict.fromkeys(LABELS, 999_999))
    card = summary_card(summary, name * 2, "1 ธ.ค. 2569 07:30 น.", 14, progress, "40", None, "ง" * 200, watched,
                        "https://liff.line.me/1657000000-abcdefgh?area=4001010199999999")
    assert WATCH_HEADING in flex_texts(card)
    assert len(json.dumps(card["contents"])) < 30_000
