"""Transcript: "สรุปพื้นที่", a coordinator's area summary card, its drill-down, and its audit rows."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from domain import access, people
from domain.deadlines import create_deadline
from domain.menu_labels import MENU_AREA_SUMMARY
from domain.summary import summarise
from domain.thai_dates import now_bangkok
from helpers import flex_texts, texts_of
from models import Area, AuditEntry, User, utcnow


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
