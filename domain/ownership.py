"""Who owns a case: the organisation responsible for the child by default, and who may own it.

A case's owning organisation is, when it is opened, the reporter's own organisation if that is a
local government or school responsible for the child's area (its areas contain the case's area);
otherwise the local government responsible for the area, the one nearest the child first (a
subdistrict's อบต. before a district's เทศบาล), or nobody when none is registered. A person owns
a case once they claim it or accept a hand-over of it (handlers/own_case.py).

Who may own a case depends on its status: a child still to be found can be visited by anyone who
reports (a village head, a local officer); once found, only those who can place them in school and
follow them up (teachers, coordinators).
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from domain.access import REFERRERS, REPORTERS, is_registered
from models import TO_FIND, Area, Case, Organisation, User, organisation_areas

# The organisations responsible for a child's area: those a case belongs to by default.
RESPONSIBLE_KINDS = ("local_government", "school")
DEFAULT_OWNER_KIND = "local_government"


def prefixes_of(code: str) -> list[str]:
    """The codes of an area and of every area above it ("400101" -> "40", "4001", "400101")."""
    return [code[:n] for n in range(2, len(code) + 1, 2)]


def organisations_covering(session: Session, area: Area | None,
                           kinds: tuple[str, ...] | None = None) -> list[Organisation]:
    """The organisations (of `kinds`, or any) whose areas contain `area`, by kind and name."""
    if area is None:
        return []
    query = select(Organisation).join(organisation_areas).join(Area, Area.id == organisation_areas.c.area_id) \
        .where(Area.code.in_(prefixes_of(area.code)))
    if kinds is not None:
        query = query.where(Organisation.kind.in_(kinds))
    return list(session.scalars(query.distinct().order_by(Organisation.kind, Organisation.name)))


def responsible(session: Session, area: Area | None) -> list[Organisation]:
    """The local governments and schools whose areas contain `area`: those a case's card names."""
    return organisations_covering(session, area, RESPONSIBLE_KINDS)


def default_owner_orgs(session: Session, area_codes: Iterable[str]) -> dict[str, int]:
    """For each area code, the id of the local government responsible for it (the nearest, then by
    name); codes without one are left out. One query for any number of codes (the list import)."""
    codes = set(area_codes)
    above = sorted({prefix for code in codes for prefix in prefixes_of(code)})
    covering: dict[str, list[tuple[str, int]]] = {}
    for start in range(0, len(above), 1000):
        rows = session.execute(
            select(Area.code, Organisation.name, Organisation.id)
            .join(organisation_areas, organisation_areas.c.organisation_id == Organisation.id)
            .join(Area, Area.id == organisation_areas.c.area_id)
            .where(Organisation.kind == DEFAULT_OWNER_KIND, Area.code.in_(above[start:start + 1000])))
        for area_code, name, org_id in rows:
            covering.setdefault(area_code, []).append((name, org_id))
    found: dict[str, int] = {}
    for code in codes:
        candidates = [(-len(prefix), name, org_id) for prefix in prefixes_of(code)
                      for name, org_id in covering.get(prefix, ())]
        if candidates:
            found[code] = min(candidates)[2]
    return found


def default_owner_org(session: Session, area: Area | None, reporter: User | None = None) -> int | None:
    """The owning organisation of a new case in `area` reported by `reporter` (see the module's rule)."""
    if area is None:
        return None
    org = reporter.organisation if reporter is not None else None
    if org is not None and org.kind in RESPONSIBLE_KINDS and \
            any(area.code.startswith(a.code) for a in org.areas):
        return org.id
    return default_owner_orgs(session, [area.code]).get(area.code)


def may_own(user: User | None, case: Case) -> bool:
    """Can this user act on the case at its status (and so own it)? Visibility is checked apart."""
    if not is_registered(user) or not user.active:
        return False
    return user.role in (REPORTERS if case.status in TO_FIND else REFERRERS)


def owner_gone(case: Case) -> bool:
    """Nobody owns the case, or its owner can no longer act (deactivated, or unfollowed the bot)."""
    return case.owner is None or not case.owner.active or not case.owner.following


def take_ownership(session: Session, case: Case, user: User) -> bool:
    """Make `user` the case's owner (and their organisation its owning one, when they have one),
    if the owner is still the one read: of two claims at once, one wins. False when it changed."""
    expected = case.owner_id
    values = {"owner_id": user.id}
    if user.organisation_id is not None:
        values["owner_org_id"] = user.organisation_id
    taken = session.execute(
        update(Case).where(Case.id == case.id,
                           Case.owner_id.is_(None) if expected is None else Case.owner_id == expected)
        .values(**values).execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        return False
    session.refresh(case, ["owner_id", "owner_org_id", "owner", "owner_org"])
    return True


def own_by_default(session: Session, case: Case, reporter: User | None = None) -> None:
    """Give a new case its default owning organisation (default_owner_org)."""
    case.owner_org_id = default_owner_org(session, case.area, reporter)
