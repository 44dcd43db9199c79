"""Which days are school days in an area: Monday to Friday inside a term and not a holiday, so that
teachers are reminded only when they are at school.

Terms and holidays are rows of school_terms (models.watch.SchoolTerm) for an area and everything under
it, or national (no area); `flask terms` sets them. For each school year (16 May to 15 May, as Thai
schools count it) the most specific area with terms in that year decides the terms; holidays add up
from the country down to the area. Without any term rows for a year, the national defaults below apply:
the Office of the Basic Education Commission's usual calendar and the public holidays that fall on a
fixed day inside it (the Buddhist holidays move with the moon: add them with `flask terms holiday`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models import Area, SchoolTerm

# (month, day) to (month, day), the second term running into the next calendar year.
DEFAULT_TERMS = (("ภาคเรียนที่ 1", (5, 16), (10, 10)), ("ภาคเรียนที่ 2", (11, 1), (3, 31)))
DEFAULT_HOLIDAYS = (
    ((6, 3), "วันเฉลิมพระชนมพรรษาสมเด็จพระราชินี"),
    ((7, 28), "วันเฉลิมพระชนมพรรษาพระบาทสมเด็จพระเจ้าอยู่หัว"),
    ((8, 12), "วันแม่แห่งชาติ"),
    ((12, 5), "วันพ่อแห่งชาติ"),
    ((12, 10), "วันรัฐธรรมนูญ"),
    ((12, 31), "วันสิ้นปี"),
    ((1, 1), "วันขึ้นปีใหม่"),
)
# A school year starts on this day (the first term's first day in the defaults).
YEAR_STARTS = (5, 16)


def school_year(day: date) -> int:
    """The Christian-era year the school year holding `day` started in (16 May 2026 - 15 May 2027: 2026)."""
    return day.year if (day.month, day.day) >= YEAR_STARTS else day.year - 1


@dataclass(frozen=True)
class Span:
    name: str
    starts_on: date
    ends_on: date

    def holds(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


@dataclass(frozen=True)
class Calendar:
    """The terms and holidays an area has, by level: index 0 is national, the last the area's own."""

    terms: tuple[tuple[Span, ...], ...]
    holidays: tuple[Span, ...]

    def terms_in(self, year: int) -> tuple[Span, ...]:
        """The terms of school year `year`: the most specific level's that has some, or the defaults."""
        for level in reversed(self.terms):
            spans = tuple(span for span in level if school_year(span.starts_on) == year)
            if spans:
                return spans
        return default_terms(year)

    def term_of(self, day: date) -> Span | None:
        return next((span for span in self.terms_in(school_year(day)) if span.holds(day)), None)

    def holiday_of(self, day: date) -> Span | None:
        return next((span for span in (*self.holidays, *default_holidays(school_year(day))) if span.holds(day)),
                    None)

    def is_school_day(self, day: date) -> bool:
        return day.weekday() < 5 and self.term_of(day) is not None and self.holiday_of(day) is None

    def has_school_days(self, day: date) -> bool:
        """Has the week (Monday to Friday) holding `day` any school day: a week to record attendance for."""
        monday = day - timedelta(days=day.weekday())
        return any(self.is_school_day(monday + timedelta(days=n)) for n in range(5))

    def last_school_day_of_week(self, day: date) -> bool:
        """Is `day` a school day with no other school day after it in its week (Monday to Sunday)? The
        weekly check goes then: on Friday, or earlier when the term ends or a holiday takes the Friday."""
        if not self.is_school_day(day):
            return False
        rest = (day + timedelta(days=n) for n in range(1, 7 - day.weekday()))
        return not any(self.is_school_day(later) for later in rest)

    def add_school_days(self, day: date, count: int) -> date:
        """The date `count` school days after `day` (a home visit due in ten school days). Past the last
        term it has rows or defaults for, whole years of days off would loop: bounded at two years."""
        found, current = 0, day
        while found < count and current < day + timedelta(days=730):
            current += timedelta(days=1)
            found += self.is_school_day(current)
        return current


def _on(year: int, month: int, day: int) -> date:
    """The date of (month, day) inside school year `year` (May to December in `year`, the rest after)."""
    return date(year if (month, day) >= YEAR_STARTS else year + 1, month, day)


def default_terms(year: int) -> tuple[Span, ...]:
    return tuple(Span(f"{name}/{year + 543}", _on(year, *start), _on(year, *end)) for name, start, end in DEFAULT_TERMS)


def default_holidays(year: int) -> tuple[Span, ...]:
    """The fixed-day public holidays inside school year `year`."""
    return tuple(Span(name, _on(year, month, day), _on(year, month, day)) for (month, day), name in DEFAULT_HOLIDAYS)


def calendar_for(session: Session, area: Area | None) -> Calendar:
    """The calendar of `area` (None: the national one): its rows and those of every area above it."""
    codes = [] if area is None else [area.code[:n] for n in range(2, len(area.code) + 1, 2)]
    rows = session.execute(
        select(SchoolTerm, Area.code).outerjoin(Area, SchoolTerm.area_id == Area.id)
        .where(or_(SchoolTerm.area_id.is_(None), Area.code.in_(codes)))).all()
    levels: list[list[Span]] = [[] for _ in range(len(codes) + 1)]
    holidays: list[Span] = []
    for row, code in rows:
        span = Span(row.name, row.starts_on, row.ends_on)
        if row.kind == "holiday":
            holidays.append(span)
        else:
            levels[0 if code is None else codes.index(code) + 1].append(span)
    return Calendar(tuple(tuple(level) for level in levels), tuple(holidays))
