"""The watch list's numbers (domain/watch_numbers.py): what each count counts, per school, district and
province, and that a user's numbers hold only the students their scope holds."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from domain import access, watch
from domain.watch_numbers import LABELS, area_rows, school_rows, watch_numbers
from helpers import in_organisation
from models import Organisation, User, WatchStudent

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc)  # a Tuesday in term 2
RULES = watch.Rules()


def put_on_list(session, school_id: int, name: str, group: str) -> WatchStudent:
    school = session.get(Organisation, school_id)
    student, _ = watch.add_student(session, school, {"first_name": name, "last_name": "ทดสอบ", "class_name": "ป.5/1",
                                                     "group": group}, None, now=NOW, rules=RULES)
    session.flush()
    return student


@pytest.fixture
def watched(db, schools):
    """Seven students: four in โรงเรียนบ้านโนนทัน and one in โรงเรียนบ้านสำราญ (อำเภอเมืองขอนแก่น), two in
    โรงเรียนบ้านฝาง (อำเภอบ้านฝาง)."""
    with db.transaction() as session:
        visited_twice = put_on_list(session, schools["nontan"], "เอ", "at_risk")
        for _ in range(2):
            watch.record_visit(session, visited_twice, "visited", "พบแม่", None, now=NOW, rules=RULES)
        not_met = put_on_list(session, schools["nontan"], "บี", "problem")
        watch.record_visit(session, not_met, "not_met", None, None, now=NOW, rules=RULES)
        absent = put_on_list(session, schools["nontan"], "ซี", "at_risk")
        for week in ("2026-W48", "2026-W49"):
            watch.record_attendance(session, absent, week, "none", None, now=NOW, rules=RULES)
        assert absent.status == "raised"
        ended = put_on_list(session, schools["nontan"], "ดี", "normal")
        watch.end_watch(session, ended, None, now=NOW, note="ย้ายโรงเรียน", source=None)
        left = put_on_list(session, schools["samran"], "อี", "problem")
        watch.record_visit(session, left, "visited", None, None, now=NOW, rules=RULES)
        watch.become_case(session, left, None, now=NOW, reason="หยุดเรียน")
        put_on_list(session, schools["faang"], "เอฟ", "at_risk")
        moved = put_on_list(session, schools["faang"], "จี", "problem")
        watch.record_visit(session, moved, "moved", None, None, now=NOW, rules=RULES)
        assert moved.status == "raised"


def counts(numbers) -> dict[str, int]:
    return {name: count for name, _, count in numbers.lines()}


EVERYONE = {"screened": 7, "at_risk": 3, "problem": 3, "followed": 5, "visited": 2, "raised": 2, "left": 1}
MUEANG = {"screened": 5, "at_risk": 2, "problem": 2, "followed": 3, "visited": 2, "raised": 1, "left": 1}
FAANG = {"screened": 2, "at_risk": 1, "problem": 1, "followed": 2, "visited": 0, "raised": 1, "left": 0}
NONTAN = {"screened": 4, "at_risk": 2, "problem": 1, "followed": 3, "visited": 1, "raised": 1, "left": 0}
SAMRAN = {"screened": 1, "at_risk": 0, "problem": 1, "followed": 0, "visited": 1, "raised": 0, "left": 1}
NOTHING = dict.fromkeys(LABELS, 0)


def test_each_count_by_scope_school_district_and_province(db, watched):
    with db.transaction() as session:
        assert counts(watch_numbers(session, ("",))) == EVERYONE
        assert counts(watch_numbers(session, ("4001",))) == MUEANG
        assert counts(watch_numbers(session, ("4001", "4002"))) == EVERYONE
        assert counts(watch_numbers(session, ("400201",))) == FAANG
        assert counts(watch_numbers(session, ("41",))) == NOTHING and not watch_numbers(session, ("41",)).any
        assert counts(watch_numbers(session, ())) == NOTHING
        rows = school_rows(session, ("",))
        assert [(r.code, r.school, r.school_code, r.district, r.province) for r in rows] == [
            ("400101", "โรงเรียนบ้านโนนทัน", "1040010101", "เมืองขอนแก่น", "ขอนแก่น"),
            ("400102", "โรงเรียนบ้านสำราญ", "1040010201", "เมืองขอนแก่น", "ขอนแก่น"),
            ("400201", "โรงเรียนบ้านฝาง", "1040020101", "บ้านฝาง", "ขอนแก่น")]
        assert [counts(r.numbers) for r in rows] == [NONTAN, SAMRAN, FAANG]
        assert [r.school for r in school_rows(session, ("4001",))] == ["โรงเรียนบ้านโนนทัน", "โรงเรียนบ้านสำราญ"]
        districts = area_rows(session, ("",), "district")
        assert [(r.code, r.school, r.district, r.province, counts(r.numbers)) for r in districts] == [
            ("4001", None, "เมืองขอนแก่น", "ขอนแก่น", MUEANG), ("4002", None, "บ้านฝาง", "ขอนแก่น", FAANG)]
        [province] = area_rows(session, ("4002",), "province")
        assert (province.code, province.district, province.province, counts(province.numbers)) == (
            "40", "", "ขอนแก่น", FAANG)
        with pytest.raises(ValueError):
            area_rows(session, ("",), "village")


def user_of(session, chat) -> User:
    return session.scalar(select(User).where(User.line_user_id == chat.user_id))


def test_a_users_numbers_hold_only_their_scope(db, watched, schools, organisations, registered, new_chat):
    district = registered(new_chat(), "coordinator", "4001")
    school = in_organisation(db, registered(new_chat(), "coordinator", "400101"), schools["nontan"])
    teacher = in_organisation(db, registered(new_chat(), "teacher", "400102"), schools["samran"])
    office = in_organisation(db, registered(new_chat(), "coordinator", None), organisations["SPP40-1"])
    village_head = registered(new_chat(), "reporter", "400101")
    national = registered(new_chat(), "coordinator", None, national=True)
    with db.transaction() as session:
        def scope(chat, roots=None):
            user = user_of(session, chat)
            return counts(watch_numbers(session, roots or access.scope_prefixes(user), user))

        assert scope(district) == MUEANG
        assert scope(district, ("4002",)) == NOTHING  # another district, asked for by code: nothing
        assert scope(district, ("",)) == MUEANG
        assert scope(school) == NONTAN
        # A school's coordinator sees only their own school, even with another school in their area.
        assert scope(school, ("4001",)) == NONTAN
        assert scope(teacher) == SAMRAN
        assert scope(office) == EVERYONE and scope(national) == EVERYONE
        assert scope(village_head) == NOTHING  # not one of the watchers
        mine = user_of(session, district)
        assert [r.school for r in school_rows(session, ("",), mine)] == ["โรงเรียนบ้านโนนทัน", "โรงเรียนบ้านสำราญ"]
        assert [r.district for r in area_rows(session, ("",), "district", mine)] == ["เมืองขอนแก่น"]
        assert school_rows(session, ("",), user_of(session, village_head)) == []
