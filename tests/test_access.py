"""The access layer: whose scope covers which areas, in Python and in SQL alike."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from domain import access
from helpers import AREA_TREE
from models import Area, Organisation, User, utcnow

ALL_CODES = sorted(code for code, *_ in AREA_TREE)


def make_user(session, role="reporter", area=None, org=None, active=True, registered=True, national=False) -> User:
    user = User(line_user_id="U" + uuid.uuid4().hex, role=role, active=active, national_scope=national,
                registered_at=utcnow() if registered else None)
    user.area = session.scalar(select(Area).where(Area.code == area)) if area else None
    user.organisation = session.get(Organisation, org) if org else None
    session.add(user)
    session.flush()
    return user


def visible(session, user) -> list[str]:
    return sorted(session.scalars(select(Area.code).where(access.visible_area_filter(user))))


@pytest.mark.parametrize(("role", "area", "org", "national", "expected"), [
    ("reporter", "400101", None, False, ["400101", "40010101"]),
    ("reporter", "40010201", None, False, ["40010201"]),
    ("coordinator", "4001", None, False, ["4001", "400101", "400102", "40010101", "40010201", "40010202"]),
    ("coordinator", "40", None, False, ALL_CODES),
    ("coordinator", None, None, True, ALL_CODES),  # national, by an explicit grant
    ("coordinator", None, None, False, []),  # no area, no organisation, no grant: nothing, not the country
    ("admin", None, None, False, ALL_CODES),
    ("admin", "400101", None, False, ALL_CODES),  # the admin role is the grant
    ("reporter", None, None, True, []),  # the grant is for coordinators only
    ("coordinator", None, "SPP40-1", False, [c for c in ALL_CODES if c != "40"]),  # both districts, not the province
    ("teacher", None, "1040010101", False, ["400101", "40010101"]),  # the school's subdistrict
    ("reporter", None, None, False, []),  # a reporter without an area sees nothing, not everything
])
def test_a_scope_covers_exactly_its_subtree(db, organisations, role, area, org, national, expected):
    with db.transaction() as session:
        user = make_user(session, role, area, organisations.get(org), national=national)
        assert visible(session, user) == sorted(expected)
        # The Python check agrees with the SQL one, area by area.
        for code in ALL_CODES:
            where = session.scalar(select(Area).where(Area.code == code))
            assert access.in_scope(user, where) == (code in expected), code
            assert (access.area_refusal(user, where) is None) == (code in expected), code


def test_an_organisation_scope_is_the_union_of_its_areas_without_nested_duplicates(db, areas):
    with db.transaction() as session:
        org = Organisation(kind="primary_service_area", name="สพป.", code="X1",
                           areas=list(session.scalars(select(Area).where(Area.code.in_(["4001", "400101", "4002"])))))
        session.add(org)
        user = make_user(session, "coordinator", org=None)
        user.organisation = org
        assert access.scope_prefixes(user) == ("4001", "4002")


def test_deactivated_and_unregistered_users_see_nothing(db, areas):
    with db.transaction() as session:
        for user in (make_user(session, "coordinator", None, active=False, national=True),
                     make_user(session, "coordinator", None, registered=False, national=True)):
            assert visible(session, user) == []
            assert access.scope_prefixes(user) == ()
        assert visible(session, None) == []


def test_things_without_an_area_are_for_national_scope_only(db, areas):
    with db.transaction() as session:
        assert access.in_scope(make_user(session, "coordinator", None, national=True), None)
        assert not access.in_scope(make_user(session, "coordinator", None), None)
        assert not access.in_scope(make_user(session, "coordinator", "40"), None)


def test_a_user_from_another_area_gets_a_clear_thai_refusal(db, areas):
    with db.transaction() as session:
        tambon_a = make_user(session, "reporter", "400101")
        tambon_b = session.scalar(select(Area).where(Area.code == "400201"))
        assert access.area_refusal(tambon_a, tambon_b) == access.OUT_OF_SCOPE
        assert "นอกพื้นที่ที่ท่านรับผิดชอบ" in access.OUT_OF_SCOPE
        assert access.area_refusal(None, tambon_b) == access.NOT_REGISTERED


def test_covers_only_what_lies_inside_the_coordinators_scope(db, organisations):
    with db.transaction() as session:
        district = make_user(session, "coordinator", "4001")
        spp = session.get(Organisation, organisations["SPP40-1"])
        area = {code: session.scalar(select(Area).where(Area.code == code)) for code in ("40", "4001", "400101", "4002")}
        assert access.covers(district, access.roots("reporter", area["400101"], None))
        assert access.covers(district, access.roots("coordinator", area["4001"], None))
        assert not access.covers(district, access.roots("reporter", area["4002"], None))
        assert not access.covers(district, access.roots("coordinator", area["40"], None))
        assert not access.covers(district, access.roots("coordinator", None, None, national=True))
        assert not access.covers(district, access.roots("coordinator", None, spp))  # spans two districts
        assert not access.covers(district, access.roots("reporter", None, None))  # an empty scope covers nothing
        assert access.covers(make_user(session, "coordinator", None, spp.id), access.roots("reporter", None, spp))
        reporter = make_user(session, "reporter", "4001")
        assert not access.covers(reporter, access.roots("reporter", area["400101"], None))


def test_area_labels_read_like_thai_addresses(db, areas):
    with db.transaction() as session:
        village = session.scalar(select(Area).where(Area.code == "40010202"))
        assert access.area_label(village) == "บ้านโคกสี หมู่ที่ 2 ตำบลสำราญ อำเภอเมืองขอนแก่น จังหวัดขอนแก่น"
