"""Who sees a watched student (domain.access.watch_filter and student_refusal, which must agree): a
school's own teachers and coordinator only that school's, area coordinators their scope's, the admin
all; village heads, the deactivated, the unregistered and other schools nothing."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from domain import access, watch
from models import Area, Organisation, User, WatchStudent, utcnow

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc)


def person(session, role, area=None, organisation=None, **extra) -> User:
    user = User(line_user_id=f"U{role}{len(session.new)}{id(extra) % 10**6}", role=role, area=area,
                organisation=organisation, registered_at=utcnow(), pdpa_accepted_at=utcnow(), **extra)
    session.add(user)
    session.flush()
    return user


@pytest.fixture
def watched(db, areas, schools):
    """A student at each of three schools: โนนทัน and สำราญ (two subdistricts of อำเภอเมือง), ฝาง (another district)."""
    with db.transaction() as session:
        made = {}
        for key in ("nontan", "samran", "faang"):
            school = session.get(Organisation, schools[key])
            student, _ = watch.add_student(session, school, {"first_name": f"นักเรียน{key}", "last_name": "ทดสอบ",
                                                             "class_name": "ป.5/1", "group": "at_risk"}, None,
                                           now=NOW, rules=watch.Rules())
            session.flush()
            made[key] = student.id
        return made


def seen(session, user) -> set[int]:
    return set(session.scalars(select(WatchStudent.id).join(Area, WatchStudent.area_id == Area.id)
                               .where(access.watch_filter(user))))


def agreeing(session, user) -> set[int]:
    """What watch_filter keeps, checked against student_refusal for every student."""
    kept = seen(session, user)
    for student in session.scalars(select(WatchStudent)):
        assert (student.id in kept) == (access.student_refusal(user, student) is None), (user.role, student.id)
    return kept


def test_each_sees_only_their_own(db, areas, schools, watched):
    with db.transaction() as session:
        area = {code: session.get(Area, areas[code]) for code in ("40", "4001", "400101", "40010101")}
        org = {key: session.get(Organisation, schools[key]) for key in schools}
        ids = watched
        # The school's teacher, even with a village for an area, sees the school's students and no other's.
        assert agreeing(session, person(session, "teacher", area["40010101"], org["nontan"])) == {ids["nontan"]}
        assert agreeing(session, person(session, "teacher", None, org["samran"])) == {ids["samran"]}
        assert agreeing(session, person(session, "coordinator", None, org["faang"])) == {ids["faang"]}
        # Area coordinators: their scope's schools.
        assert agreeing(session, person(session, "coordinator", area["4001"])) == {ids["nontan"], ids["samran"]}
        assert agreeing(session, person(session, "coordinator", area["40"])) == set(ids.values())
        assert agreeing(session, person(session, "admin")) == set(ids.values())
        spp = session.scalar(select(Organisation).where(Organisation.kind == "primary_service_area"))
        assert agreeing(session, person(session, "coordinator", None, spp)) == set(ids.values())
        # A teacher with an area but no school: the area's students (a teacher of an area office).
        assert agreeing(session, person(session, "teacher", area["400101"])) == {ids["nontan"]}
        # Nobody else.
        assert agreeing(session, person(session, "reporter", area["400101"])) == set()
        assert agreeing(session, person(session, "teacher", None, org["nontan"], active=False)) == set()
        # The agencies children are referred to see cases, not the students still in class.
        assert agreeing(session, person(session, "coordinator", None, org["skr"])) == set()
        assert agreeing(session, person(session, "teacher", None, org["skr"])) == set()
        unregistered = User(line_user_id="Unobody", role="teacher", organisation=org["nontan"])
        session.add(unregistered)
        assert agreeing(session, unregistered) == set()
        assert agreeing(session, None) == set()
