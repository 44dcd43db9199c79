"""The watch list's rules (domain/watch.py) and the school calendar (domain/school_calendar.py), on the
database: screening, a week's attendance raising a student and then opening their case, a child back in
school joining a list, and which days are school days."""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import select

from domain import watch
from domain.school_calendar import calendar_for, school_year
from models import Area, Case, CaseEvent, Organisation, SchoolTerm, User, WatchStudent

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc)  # Tuesday 10:00 in Bangkok, term 2
RULES = watch.Rules()


def test_a_student_absent_two_weeks_is_raised_and_after_three_becomes_a_case(db, areas, organisations, registered,
                                                                               new_chat):
    teacher_chat = registered(new_chat(), "teacher", "400101")
    with db.transaction() as session:
        school = session.get(Organisation, organisations["1040010101"])
        teacher = session.scalar(select(User).where(User.line_user_id == teacher_chat.user_id))
        teacher.organisation_id = school.id
        student, created = watch.add_student(session, school, {
            "title": "เด็กหญิง", "first_name": "มาลี", "last_name": "ดีใจ", "sex": "female", "class_name": "ป.5/1",
            "group": "problem", "risk_factors": ["poverty", "absent_often"]}, teacher, now=NOW, rules=RULES)
        assert created and student.visit_due is not None and student.visit_due > date(2026, 12, 1)
        again, created = watch.add_student(session, school, {
            "first_name": "มาลี", "last_name": "ดีใจ", "class_name": "ป.5/1", "group": "problem"}, teacher,
            now=NOW, rules=RULES)
        assert again is student and not created
        assert watch.record_attendance(session, student, "2026-W49", "none", teacher, now=NOW, rules=RULES).what \
            == "recorded"
        raised = watch.record_attendance(session, student, "2026-W50", "none", teacher, now=NOW, rules=RULES)
        assert raised.what == "raised" and student.status == "raised"
        left = watch.record_attendance(session, student, "2026-W51", "none", teacher, now=NOW, rules=RULES)
        assert left.what == "left" and student.status == "left"
        case = left.case
        assert case.first_name == "มาลี" and case.source == "watch" and case.status == "found"
        assert case.owner_org_id == school.id
        session.flush()
        kinds = [e.kind for e in session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id))]
        assert "watch_history" in kinds
        record = session.scalar(select(CaseEvent.details).where(CaseEvent.case_id == case.id,
                                                                 CaseEvent.kind == "watch_history"))
        assert [w["week"] for w in record["attendance"]] == ["2026-W49", "2026-W50", "2026-W51"]
        assert record["risk_factors"] == ["ยากจน/ทุนเสมอภาค", "ขาดเรียนบ่อย"]


def test_a_child_back_in_school_joins_the_list_and_full_weeks_make_the_case_staying(db, areas, organisations,
                                                                                    make_case):
    case_id = make_case(status="back_in_school", grade="ป.4")
    with db.transaction() as session:
        school = session.get(Organisation, organisations["1040010101"])
        case = session.get(Case, case_id)
        student = watch.join_from_case(session, case, school, None, now=NOW, rules=RULES)
        assert student.case_id == case_id and student.group == "at_risk" and student.class_name == "ป.4"
        assert watch.watched_case_ids(session, [case_id]) == {case_id}
        for week in ("2026-W49", "2026-W50", "2026-W51"):
            watch.record_attendance(session, student, week, "full", None, now=NOW, rules=RULES)
        assert case.status == "back_in_school"
        assert watch.record_attendance(session, student, "2026-W52", "full", None, now=NOW, rules=RULES).what \
            == "staying"
        assert case.status == "staying"


def test_school_days_follow_the_terms_holidays_and_weekends(db, areas):
    with db.transaction() as session:
        national = calendar_for(session, None)
        assert national.is_school_day(date(2026, 12, 1))          # Tuesday, term 2
        assert not national.is_school_day(date(2026, 12, 5))      # Saturday (and วันพ่อ)
        assert not national.is_school_day(date(2026, 12, 10))     # วันรัฐธรรมนูญ, a Thursday
        assert not national.is_school_day(date(2026, 10, 20))     # between the terms
        assert not national.is_school_day(date(2027, 4, 20))      # the long break
        assert national.last_school_day_of_week(date(2026, 12, 4))  # Friday
        assert not national.last_school_day_of_week(date(2026, 12, 3))
        assert school_year(date(2027, 3, 1)) == 2026
        # A province starting its second term a week later, and a district holiday.
        session.add(SchoolTerm(area_id=areas["40"], kind="term", name="ภาคเรียนที่ 1/2569",
                               starts_on=date(2026, 5, 18), ends_on=date(2026, 10, 9)))
        session.add(SchoolTerm(area_id=areas["40"], kind="term", name="ภาคเรียนที่ 2/2569",
                               starts_on=date(2026, 11, 9), ends_on=date(2027, 3, 31)))
        session.add(SchoolTerm(area_id=areas["4001"], kind="holiday", name="งานบุญประจำปี",
                               starts_on=date(2026, 12, 2), ends_on=date(2026, 12, 2)))
        session.flush()
        village = session.get(Area, areas["40010101"])
        local = calendar_for(session, village)
        assert not local.is_school_day(date(2026, 11, 3)) and national.is_school_day(date(2026, 11, 3))
        assert not local.is_school_day(date(2026, 12, 2))
        other = calendar_for(session, session.get(Area, areas["400201"]))
        assert other.is_school_day(date(2026, 12, 2))
        assert not other.is_school_day(date(2026, 11, 3))
        assert session.scalar(select(WatchStudent.id)) is None
