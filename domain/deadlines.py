"""Reporting deadlines: whose work counts, who has reported, and which reminder round is due when.

A coordinator sets a deadline for an area inside their scope (chat or CLI), naming the organisation kinds
and the member roles it is for and its rule. Its audience is the organisations of those kinds whose areas
all lie inside the deadline's area. Progress counts work, not taps: an organisation has reported when every
child on its list (cases from the list import in its areas) has a check-in outcome, that is no longer
"to_find"; or, for a "zero_allowed" deadline, when one of its members filed "ไม่พบเด็กเพิ่มเติม" (a zero
report, a DeadlineReport of kind zero). An organisation with nobody on its list has reported at once under
"all_checked" (nothing to check) and, under "zero_allowed", when it says so with a zero report.

A person counts for their organisation when it is in the audience; someone registered without one (a
village head) counts for the audience organisations covering their area. Reminders (scheduler/reminders.py)
go to the members of the organisations still with unchecked children, with their count.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as clock_time
from datetime import timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from domain.access import prefix_filter
from domain.area_numbers import BAD_URL, prefilled_form_url
from domain.ownership import prefixes_of
from domain.thai import InvalidInput
from domain.thai_dates import BANGKOK, format_thai_date
from models import (
    DEADLINE_RULES,
    LISTED,
    ORGANISATION_KINDS,
    Area,
    Case,
    Deadline,
    DeadlineReport,
    Organisation,
    User,
    organisation_areas,
)
from models.deadline import ZERO

log = logging.getLogger(__name__)

# A round that is late (planned in the evening, held by quiet hours, scheduler down) is dropped
# when the next round is closer than this: two reminders an hour apart would be noise.
LATE_ROUND_GAP = timedelta(hours=12)
DEFAULT_KINDS = ("local_government",)
# The ministry's forms: a Google Form's address, and its "entry.123" field ids.
MAX_FORM_FIELDS = 30


def parse_days(setting: str) -> list[int]:
    """ "7,3,1,0" -> [7, 3, 1, 0]: days before the date, furthest first, each once."""
    days = {int(part) for part in setting.replace(" ", "").split(",") if part}
    if any(d < 0 for d in days):
        raise ValueError(f"reminder days must be 0 or more: {setting!r}")
    return sorted(days, reverse=True)


def today_in_bangkok(now: datetime) -> date:
    return now.astimezone(BANGKOK).date()


def check_form(form_url: str | None, form_fields: dict | None) -> None:
    """The Google Form hand-off, checked before it is stored: a form's https address, and at most
    MAX_FORM_FIELDS entry ids each mapped to the name of a count — the checks of the link it will make
    (domain.area_numbers.prefilled_form_url), run once with every count at zero."""
    if form_url is None:
        if form_fields:
            raise InvalidInput("ระบุช่องของแบบฟอร์มได้เมื่อมีลิงก์แบบฟอร์มแล้วเท่านั้น")
        return
    if len(form_url) > Deadline.form_url.type.length:
        raise InvalidInput(BAD_URL)
    if len(form_fields or {}) > MAX_FORM_FIELDS:
        raise InvalidInput(f"ช่องของแบบฟอร์มได้ไม่เกิน {MAX_FORM_FIELDS} ช่อง")
    try:
        prefilled_form_url(form_url, form_fields or {}, {})
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


def create_deadline(session: Session, *, title: str, due_date: date, area: Area | None, roles: list[str],
                    remind_days: list[int], created_by: User | None = None,
                    org_kinds: Iterable[str] = DEFAULT_KINDS, rule: str = "all_checked",
                    form_url: str | None = None, form_fields: dict | None = None) -> Deadline:
    """The due day always has its morning round, whatever the reminder days say: the last call."""
    kinds = list(dict.fromkeys(org_kinds))
    if not kinds or set(kinds) - set(ORGANISATION_KINDS):
        raise InvalidInput("ประเภทหน่วยงานไม่ถูกต้อง")
    if rule not in DEADLINE_RULES:
        raise InvalidInput("เงื่อนไขการรายงานไม่ถูกต้อง")
    check_form(form_url, form_fields)
    deadline = Deadline(title=title, due_date=due_date, area=area, roles=list(roles),
                        remind_days=sorted({*remind_days, 0}, reverse=True), created_by=created_by,
                        org_kinds=kinds, rule=rule, form_url=form_url, form_fields=form_fields or None)
    session.add(deadline)
    session.flush()
    log.info("deadline %s created for area %s, due %s", deadline.id, area.code if area else "all", due_date)
    return deadline


def open_deadlines(session: Session, now: datetime) -> list[Deadline]:
    return list(session.scalars(select(Deadline).where(Deadline.due_date >= today_in_bangkok(now))
                                .order_by(Deadline.due_date, Deadline.id)))


def current_deadline(session: Session, roots: tuple[str, ...], now: datetime) -> Deadline | None:
    """The open deadline due soonest whose area covers or lies in `roots` (a coordinator's scope)."""

    def concerns(deadline: Deadline) -> bool:
        code = deadline.area.code if deadline.area is not None else ""
        return any(code.startswith(root) or root.startswith(code) for root in roots)

    return next((d for d in open_deadlines(session, now) if concerns(d)), None)


# ----------------------------------------------------------------------------- the audience

def audience(session: Session, deadline: Deadline, roots: tuple[str, ...] | None = None) -> list[Organisation]:
    """The organisations that must report: of the deadline's kinds, with areas, all inside its area (and,
    with `roots`, all inside those area-code prefixes: a coordinator's scope). By name."""
    outside = [~Area.code.startswith(deadline.area.code)] if deadline.area is not None else []
    if roots is not None:
        outside.append(~prefix_filter(roots, Area.code))
    stray = select(organisation_areas.c.organisation_id).join(Area, Area.id == organisation_areas.c.area_id) \
        .where(or_(*outside)) if outside else None
    query = select(Organisation).where(
        Organisation.kind.in_(deadline.org_kinds),
        Organisation.id.in_(select(organisation_areas.c.organisation_id)))
    if stray is not None:
        query = query.where(Organisation.id.not_in(stray))
    return list(session.scalars(query.order_by(Organisation.name, Organisation.id)))


def organisations_of(session: Session, user: User, deadline: Deadline) -> list[Organisation]:
    """The audience organisations `user` works for on this deadline: their own organisation when it is in
    the audience; for someone registered without one (a village head), those covering their area."""
    if user.role not in deadline.roles or not user.active or user.registered_at is None:
        return []
    orgs = audience(session, deadline)
    if user.organisation_id is not None:
        return [org for org in orgs if org.id == user.organisation_id]
    if user.area is None:
        return []
    mine = set(prefixes_of(user.area.code))
    return [org for org in orgs if any(area.code in mine for area in org.areas)]


def members(deadline: Deadline, organisation: Organisation):
    """The LINE ids of the organisation's members this deadline reminds: active, registered, following,
    with one of its roles; in the organisation, or in none and in one of its areas."""
    codes = [area.code for area in organisation.areas]
    in_areas = User.area_id.in_(select(Area.id).where(prefix_filter(tuple(codes), Area.code)))
    return (select(User.line_user_id)
            .where(User.role.in_(deadline.roles), User.active.is_(True), User.registered_at.is_not(None),
                   User.following.is_(True),
                   or_(User.organisation_id == organisation.id, and_(User.organisation_id.is_(None), in_areas)))
            .order_by(User.id))


# ----------------------------------------------------------------------------- progress

@dataclass(frozen=True)
class OrgProgress:
    organisation: Organisation
    listed: int  # children on its list (import cases in its areas)
    unchecked: int  # of those, still without a check-in outcome
    zero_report: bool  # a member filed "ไม่พบเด็กเพิ่มเติม" (counted only where the rule allows it)
    rule: str

    @property
    def reported(self) -> bool:
        if self.zero_report and self.rule == "zero_allowed":
            return True
        return self.unchecked == 0 and (self.listed > 0 or self.rule == "all_checked")


@dataclass(frozen=True)
class Progress:
    deadline: Deadline
    organisations: list[OrgProgress]

    @property
    def reported(self) -> list[OrgProgress]:
        return [org for org in self.organisations if org.reported]

    @property
    def laggards(self) -> list[OrgProgress]:
        """Not yet reported, the most children unchecked first."""
        return sorted((org for org in self.organisations if not org.reported),
                      key=lambda org: (-org.unchecked, org.organisation.name, org.organisation.id))


def progress(session: Session, deadline: Deadline, roots: tuple[str, ...] | None = None) -> Progress:
    """Each audience organisation (inside `roots` when given) with its list counted: two GROUP BYs."""
    orgs = audience(session, deadline, roots)
    ids = [org.id for org in orgs]
    counted = session.execute(
        select(organisation_areas.c.organisation_id, func.count(func.distinct(Case.id)),
               func.count(func.distinct(Case.id)).filter(Case.status == "to_find"))
        .join(Area, Area.id == organisation_areas.c.area_id)
        .join(Case, Case.area_code.startswith(Area.code))
        .where(organisation_areas.c.organisation_id.in_(ids), Case.source == LISTED)
        .group_by(organisation_areas.c.organisation_id)).all() if ids else []
    counts = {org_id: (listed, unchecked) for org_id, listed, unchecked in counted}
    zero = set(session.scalars(select(DeadlineReport.organisation_id).where(
        DeadlineReport.deadline_id == deadline.id, DeadlineReport.kind == ZERO,
        DeadlineReport.organisation_id.in_(ids)))) if ids else set()
    return Progress(deadline, [OrgProgress(org, *counts.get(org.id, (0, 0)), org.id in zero, deadline.rule)
                               for org in orgs])


def laggard_line(org: OrgProgress) -> str:
    if org.unchecked:
        return f"{org.organisation.name} (ยังไม่ได้ติดตาม {org.unchecked} คน)"
    return f"{org.organisation.name} (ยังไม่แจ้งผล)"


def progress_lines(result: Progress, shown: int = 3) -> list[str]:
    """The deadline card's lines: the deadline, organisations reported X of Y, and the first `shown`
    laggards with their unchecked children ("และอีก N แห่ง" for the rest, to stay within LINE's limits)."""
    deadline, laggards = result.deadline, result.laggards
    lines = [f"กำหนดส่ง: {deadline.title} (ภายใน {format_thai_date(deadline.due_date)})",
             f"รายงานแล้ว {len(result.reported)} จาก {len(result.organisations)} แห่ง"]
    if laggards:
        more = len(laggards) - shown
        lines.append("ยังไม่รายงาน: " + ", ".join(laggard_line(org) for org in laggards[:shown])
                     + (f" และอีก {more} แห่ง" if more > 0 else ""))
    return lines


def unchecked_of(session: Session, deadline: Deadline, organisation: Organisation) -> OrgProgress | None:
    """One organisation's progress, or None when it is not in the deadline's audience."""
    return next((org for org in progress(session, deadline).organisations
                 if org.organisation.id == organisation.id), None)


def file_zero_report(session: Session, deadline: Deadline, user: User, organisation: Organisation,
                     at: datetime) -> bool:
    """Record "ไม่พบเด็กเพิ่มเติม" for `organisation`; False when this user had filed one already."""
    filed = session.scalar(select(DeadlineReport).where(DeadlineReport.deadline_id == deadline.id,
                                                        DeadlineReport.user_id == user.id))
    if filed is not None and filed.kind == ZERO:
        return False
    if filed is None:
        session.add(DeadlineReport(deadline_id=deadline.id, user_id=user.id, reported_at=at, kind=ZERO,
                                   organisation_id=organisation.id))
    else:  # an old "รายงานแล้ว" tap becomes the zero report it now means
        filed.kind, filed.organisation_id, filed.reported_at = ZERO, organisation.id, at
    session.flush()
    return True


# ----------------------------------------------------------------------------- reminder rounds

def send_time(deadline: Deadline, days_before: int, at: clock_time) -> datetime:
    return datetime.combine(deadline.due_date - timedelta(days=days_before), at, tzinfo=BANGKOK)


def due_round(deadline: Deadline, now: datetime, at: clock_time) -> int | None:
    """The reminder round that should have gone by `now` (the latest one), or None.

    Rounds whose time passed while a later one is also due are not sent: one reminder, the
    most recent, is what a user needs (a deadline set two days ahead gets the 3-day round at
    once, as its announcement, then the 1-day round).
    """
    if today_in_bangkok(now) > deadline.due_date:
        return None
    times = {d: send_time(deadline, d, at) for d in deadline.remind_days}
    due = [d for d, when in times.items() if when <= now]
    upcoming = [when for when in times.values() if when > now]
    if not due or (upcoming and min(upcoming) - now < LATE_ROUND_GAP):
        return None
    return min(due)
