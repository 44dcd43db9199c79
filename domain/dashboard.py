"""The coordinators' dashboard's queries (bot/dashboard.py shapes them for the LIFF page): an area's numbers,
a filtered page of its cases, the pinned homes for the map.

Everything is scoped the way the chat scopes a coordinator: `roots` are access.scope_prefixes(user), or one
area of it that the caller checked with access.in_scope. Counts are GROUP BYs and COUNTs in the database on
the indexed cases.area_code prefix (domain/summary.py); only a page's rows are loaded as cases, so a page
decrypts the personal fields of its 20 children and no others.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, contains_eager, joinedload, load_only

from domain.access import prefix_filter
from domain.area_numbers import count_area_numbers
from domain.summary import overdue_condition
from domain.thai import parse_id
from models import STATUSES, Case, User, choice_list

PAGE_SIZE = 20
MAX_PINS = 2000
# The outcomes of every child counted (domain/area_numbers.py's lines that, together, count each child
# once): the dashboard's chart, in the chat's words.
OUTCOMES = ("returned", "wants_to_return", "does_not_want", "wants_unknown", "not_found", "moved", "closed_other",
            "unchecked")
ME, NOBODY = "me", "none"
BAD_FILTER = "ตัวกรองไม่ถูกต้อง: {}"


class BadFilter(ValueError):
    """A filter value the page never offers; the message is Thai."""


@dataclass(frozen=True)
class Filters:
    """The list's and the map's filters: None (or False) leaves that one out."""

    status: str | None = None
    reason: str | None = None
    urgent: bool = False
    overdue: bool = False
    owner: str | int | None = None  # ME, NOBODY or a user's id

    @classmethod
    def parse(cls, session: Session, args: Mapping[str, str]) -> Filters:
        """The filters of a query string (status, reason, urgent=1, overdue=1, owner=me|none|ID); BadFilter
        for a value that is none of those."""
        status = args.get("status") or None
        if status is not None and status not in STATUSES:
            raise BadFilter(BAD_FILTER.format("สถานะ"))
        reason = args.get("reason") or None
        if reason is not None and reason not in dict(choice_list(session, "reason")):
            raise BadFilter(BAD_FILTER.format("สาเหตุ"))
        flags = {}
        for name, words in (("urgent", "เร่งด่วน"), ("overdue", "เกินกำหนด")):
            if args.get(name, "") not in ("", "0", "1"):
                raise BadFilter(BAD_FILTER.format(words))
            flags[name] = args.get(name) == "1"
        owner: str | int | None = args.get("owner") or None
        if owner is not None and owner not in (ME, NOBODY):
            owner = parse_id(owner)
            if owner is None:
                raise BadFilter(BAD_FILTER.format("ผู้รับเรื่อง"))
        return cls(status, reason, flags["urgent"], flags["overdue"], owner)

    def conditions(self, user: User, now: datetime, overdue_days: int) -> list[ColumnElement[bool]]:
        found = []
        if self.status:
            found.append(Case.status == self.status)
        if self.reason:
            found.append(Case.reason == self.reason)
        if self.urgent:
            found.append(Case.urgent.is_(True))
        if self.overdue:
            found.append(overdue_condition(now, overdue_days))
        if self.owner == ME:
            found.append(Case.owner_id == user.id)
        elif self.owner == NOBODY:
            found.append(Case.owner_id.is_(None))
        elif self.owner is not None:
            found.append(Case.owner_id == self.owner)
        return found


@dataclass(frozen=True)
class Numbers:
    """What the overview counts besides domain.summary.summarise: urgent cases, and the outcomes."""

    urgent: int
    outcomes: list[tuple[str, str, int]]  # (key, Thai label, count), OUTCOMES' order


def numbers(session: Session, roots: tuple[str, ...]) -> Numbers:
    if not roots:
        return Numbers(0, [])
    urgent = session.scalar(select(func.count()).select_from(Case)
                            .where(prefix_filter(roots, Case.area_code), Case.urgent.is_(True)))
    counted = count_area_numbers(session, roots)
    return Numbers(urgent, [(key, counted.labels[key], counted[key]) for key in OUTCOMES])


# What a row of the list shows: only these columns are read, so nothing else is decrypted.
LISTED = load_only(Case.id, Case.status, Case.title, Case.first_name, Case.last_name, Case.birth_date,
                   Case.age_years, Case.reason, Case.area_id, Case.urgent, Case.owner_id, Case.owner_org_id,
                   Case.created_at, Case.updated_at, Case.late_since)


@dataclass(frozen=True)
class Page:
    cases: list[Case]
    overdue: set[int]  # the ids of those overdue
    page: int
    pages: int
    total: int


def cases_page(session: Session, user: User, roots: tuple[str, ...], filters: Filters, page: int, now: datetime,
               overdue_days: int) -> Page:
    """Page `page` (from 1; past the end: the last) of the cases under `roots` that pass `filters`: urgent
    first, then overdue, then those waiting longest, with their areas and owners loaded."""
    where = [prefix_filter(roots, Case.area_code), *filters.conditions(user, now, overdue_days)]
    total = session.scalar(select(func.count()).select_from(Case).where(*where))
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(page, 1), pages)
    stale = overdue_condition(now, overdue_days)
    rows = session.execute(
        select(Case, stale).outerjoin(Case.area).where(*where)
        .order_by(Case.urgent.desc(), stale.desc(), Case.updated_at, Case.id)
        .options(LISTED, contains_eager(Case.area), joinedload(Case.owner), joinedload(Case.owner_org))
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return Page([case for case, _ in rows], {case.id for case, late in rows if late}, page, pages, total)


def owners(session: Session, roots: tuple[str, ...], limit: int = 100) -> list[tuple[int, str | None]]:
    """The users who own cases under `roots` (id, name), most cases first: the list's owner filter."""
    if not roots:
        return []
    counted = (select(Case.owner_id, func.count().label("n")).where(prefix_filter(roots, Case.area_code),
                                                                    Case.owner_id.is_not(None))
               .group_by(Case.owner_id).subquery())
    rows = session.execute(select(User).join(counted, counted.c.owner_id == User.id)
                           .order_by(counted.c.n.desc(), User.id).limit(limit)).scalars()
    return [(user.id, user.real_name) for user in rows]


@dataclass(frozen=True)
class Pin:
    case_id: int
    created_at: datetime
    area_code: str | None
    latitude: float
    longitude: float
    status: str
    urgent: bool
    overdue: bool


def pins(session: Session, user: User, roots: tuple[str, ...], filters: Filters, now: datetime,
         overdue_days: int) -> tuple[list[Pin], int]:
    """The pinned homes under `roots` that pass `filters`, at most MAX_PINS, urgent then overdue first; and
    how many are pinned in all. Reads no personal field but the pin."""
    stale = overdue_condition(now, overdue_days)
    where = [prefix_filter(roots, Case.area_code), Case.latitude.is_not(None), Case.longitude.is_not(None),
             *filters.conditions(user, now, overdue_days)]
    total = session.scalar(select(func.count()).select_from(Case).where(*where))
    rows = session.execute(
        select(Case.id, Case.created_at, Case.area_code, Case.latitude, Case.longitude, Case.status, Case.urgent,
               stale).where(*where).order_by(Case.urgent.desc(), stale.desc(), Case.updated_at, Case.id)
        .limit(MAX_PINS)).all()
    return [Pin(*row[:7], bool(row[7])) for row in rows], total
