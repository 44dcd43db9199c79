"""Area summaries for coordinators: how many children are in each status, in each sub-area (the next
level down), and which cases nobody has touched for too long.

Counting is one GROUP BY in the database on a prefix of cases.area_code (copied onto each case and
indexed, so no join): a national scope of 100,000 cases takes milliseconds on PostgreSQL
(bench/summary.py, docs/performance.md). Nothing here reads a name or a national ID.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func, literal_column, select
from sqlalchemy.orm import Session

from domain.access import LEVEL_PREFIX, WHOLE_COUNTRY, prefix_filter
from domain.deadlines import Progress, current_deadline, progress, progress_lines
from models import AREA_LEVELS, Area, Case, case_number

# Statuses that wait on someone to act: a case in one of them untouched for the configured number of
# days (SUMMARY_OVERDUE_DAYS) is overdue. The others are outcomes, or follow-up on a longer rhythm.
AWAITING = ("to_find", "found", "referred")
# Children still to be found, or not found: the sub-areas with most of them come first.
MISSING = ("to_find", "not_found")
CODE_LENGTH = {level: 2 * (i + 1) for i, level in enumerate(AREA_LEVELS)}
LEVEL_OF_LENGTH = {length: level for level, length in CODE_LENGTH.items()}
LEVEL_WORDS = {"province": "จังหวัด", "district": "อำเภอ", "subdistrict": "ตำบล", "village": "หมู่บ้าน"}


@dataclass
class Counts:
    by_status: dict[str, int] = field(default_factory=dict)
    overdue: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def missing(self) -> int:
        return sum(self.by_status.get(status, 0) for status in MISSING)

    def add(self, status: str, count: int, overdue: int) -> None:
        self.by_status[status] = self.by_status.get(status, 0) + count
        self.overdue += overdue


@dataclass
class SubArea:
    code: str | None  # None: cases with no area (only in a national summary)
    name: str
    counts: Counts
    drillable: bool  # it has sub-areas of its own to show


@dataclass(frozen=True)
class OverdueCase:
    number: str
    area_code: str | None
    days: int  # since anything last happened to it
    case_id: int  # for the card's button opening the case


@dataclass
class Summary:
    roots: tuple[str, ...]
    counts: Counts
    sub_areas: list[SubArea]  # worst first
    oldest_overdue: list[OverdueCase]
    sub_level: str | None  # the level of the sub-areas ("district"), None when they are the roots


def summarise(session: Session, roots: tuple[str, ...], now: datetime, overdue_days: int,
              oldest_shown: int = 3) -> Summary:
    """The summary of the cases under `roots` (area-code prefixes; ("",) is the whole country, () nothing)."""
    if not roots:  # a coordinator with no scope: nothing to count, and no sub-area key to group by
        return Summary(roots, Counts(), [], [], None)
    within = prefix_filter(roots, Case.area_code)
    stale = overdue_condition(now, overdue_days)
    key = _sub_area_key(roots).label("sub_area")
    rows = session.execute(
        select(key, Case.status, func.count(), func.sum(case((stale, 1), else_=0)))
        .where(within).group_by(key, Case.status)
    ).all()
    total, by_key = Counts(), {}
    for code, status, count, overdue in rows:
        total.add(status, count, overdue or 0)
        by_key.setdefault(code, Counts()).add(status, count, overdue or 0)
    names = _names(session, [code for code in by_key if code])
    sub_areas = [SubArea(code, _sub_area_name(code, roots, names), counts, _drillable(code, roots))
                 for code, counts in by_key.items()]
    sub_areas.sort(key=lambda a: (-a.counts.missing, -a.counts.overdue, -a.counts.total, a.code or "~"))
    oldest = session.execute(
        select(Case.id, Case.created_at, Case.area_code, Case.updated_at)
        .where(within, stale).order_by(Case.updated_at, Case.id).limit(oldest_shown)
    ).all()
    overdue_cases = [OverdueCase(case_number(case_id, created), code, (now - touched).days, case_id)
                     for case_id, created, code, touched in oldest]
    return Summary(roots, total, sub_areas, overdue_cases, sub_level_of(roots))


def overdue_condition(now: datetime, overdue_days: int) -> ColumnElement[bool]:
    """Overdue: waiting on someone (AWAITING) and unchanged for `overdue_days` (SUMMARY_OVERDUE_DAYS)."""
    return and_(Case.status.in_(AWAITING), Case.updated_at < now - timedelta(days=overdue_days))


def sub_level_of(roots: tuple[str, ...]) -> str | None:
    """The level one below a single root ("" → province), or None (several roots, or a village)."""
    if len(roots) != 1:
        return None
    return LEVEL_OF_LENGTH.get(len(roots[0]) + 2)


def _sub_area_key(roots: tuple[str, ...]):
    """The sub-area a case counts under: its code's prefix one level below a single root; with
    several roots (an organisation's districts), the root it lies in."""
    if len(roots) == 1:
        # Literal lengths: PostgreSQL's statistics on these prefixes (migration 0008) estimate how many
        # groups there are only for the expression as written there, not with parameters.
        return func.substr(Case.area_code, literal_column("1"), literal_column(str(len(roots[0]) + 2)))
    return case(*((Case.area_code.startswith(root), root) for root in roots))


def _names(session: Session, codes: list[str]) -> dict[str, str]:
    areas = session.execute(select(Area.code, Area.level, Area.name).where(Area.code.in_(codes))).all()
    return {code: LEVEL_PREFIX.get(level, "") + name for code, level, name in areas}


def _sub_area_name(code: str | None, roots: tuple[str, ...], names: dict[str, str]) -> str:
    if code is None:
        return "ไม่ระบุพื้นที่"
    if code in roots and len(roots) == 1:
        # Cases placed at the root itself (a report from a subdistrict head without a village).
        level = sub_level_of(roots)
        return f"ไม่ระบุ{LEVEL_WORDS[level]}" if level else names.get(code, code)
    return names.get(code, code)


def _drillable(code: str | None, roots: tuple[str, ...]) -> bool:
    return code is not None and len(code) < CODE_LENGTH["village"] and not (len(roots) == 1 and code == roots[0])


def deadline_progress(session: Session, roots: tuple[str, ...], now: datetime, names_shown: int = 3) -> list[str]:
    """Thai lines on reporting progress against the current deadline in `roots` (domain.deadlines
    current_deadline), counted over its audience organisations inside the scope
    (domain.deadlines.progress_lines). No lines when no deadline is open there."""
    found = deadline_report(session, roots, now)
    return progress_lines(found, names_shown) if found else []


def deadline_report(session: Session, roots: tuple[str, ...], now: datetime) -> Progress | None:
    """The reporting progress against the current deadline in `roots`; None when none is open there."""
    deadline = current_deadline(session, roots, now)
    if deadline is None:
        return None
    return progress(session, deadline, None if roots == WHOLE_COUNTRY else roots)
