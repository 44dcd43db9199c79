"""The watch list's numbers: how many students the schools screened, how many are at risk or have
problems, how many were visited at home, raised, or left anyway, and how many are followed now; for a
scope, per school, and per district or province. In the coordinators' summary and the export.

What each count means, for the students on a list under a scope (each student counted once per line):
- screened: every student ever put on a list (added, imported or joined), whatever became of them;
- at_risk, problem: screened as กลุ่มเสี่ยง, กลุ่มมีปัญหา (the rest are ปกติ);
- followed: followed now (models.FOLLOWED: watching or raised);
- visited: at least one home visit that met the family;
- raised: raised to the school's coordinator and the area office at least once;
- left: stopped coming anyway and became a dropout case.

One GROUP BY in the database on the school or on a prefix of the school's area code, as domain/summary.py
counts cases; only the home visits are read here, one row per visit, because what a visit found is in
its encrypted details. Nothing here reads a name: a forgotten student (domain.pdpa) is still counted.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from sqlalchemy import ColumnElement, and_, case, func, literal_column, select, true
from sqlalchemy.orm import Session, selectinload

from domain import access
from domain.area_numbers import Counts
from domain.summary import CODE_LENGTH
from domain.watch import school_area
from models import FOLLOWED, Area, Organisation, User, WatchEvent, WatchStudent

# Every count's name and its Thai label, in the order the card and the export show them.
LABELS = {
    "screened": "คัดกรองแล้ว",
    "at_risk": "กลุ่มเสี่ยง",
    "problem": "กลุ่มมีปัญหา",
    "followed": "ยังเฝ้าระวังอยู่",
    "visited": "เยี่ยมบ้านแล้ว",
    "raised": "แจ้งเตือนแล้ว",
    "left": "หยุดเรียน (เปิดเรื่องแล้ว)",
}
# What the database counts; "visited" is counted from the visits.
CONDITIONS = {
    "at_risk": WatchStudent.group == "at_risk",
    "problem": WatchStudent.group == "problem",
    "followed": WatchStudent.status.in_(FOLLOWED),
    "raised": WatchStudent.raised_at.is_not(None),
    "left": WatchStudent.status == "left",
}
AREA_LEVELS = ("district", "province")
BATCH = 2000  # visits read at a time


@dataclass(frozen=True)
class WatchNumbers(Counts):
    labels: ClassVar[Mapping[str, str]] = LABELS

    @property
    def any(self) -> bool:
        """Has the scope any student on a list?"""
        return self["screened"] > 0


@dataclass(frozen=True)
class Row:
    """The numbers of one school (school set) or of one district or province (school None)."""

    code: str  # the school's area code, or the district's or province's code
    school: str | None
    school_code: str | None
    district: str  # "" on a province's row
    province: str
    numbers: WatchNumbers


def watch_numbers(session: Session, roots: tuple[str, ...], viewer: User | None = None) -> WatchNumbers:
    """The numbers of the students under `roots` (area-code prefixes; ("",) the whole country, () nothing)
    that `viewer` may see (access.watch_filter; None: the command line, which sees everything)."""
    return _count(session, _within(roots, viewer), None).get(None, WatchNumbers())


def school_rows(session: Session, roots: tuple[str, ...], viewer: User | None = None) -> list[Row]:
    """One row per school with students under `roots` that `viewer` may see, in the order of their areas' codes."""
    counted = _count(session, _within(roots, viewer), WatchStudent.school_id)
    schools = session.scalars(select(Organisation).where(Organisation.id.in_(counted))
                              .options(selectinload(Organisation.areas))).all()
    # Where the school is now (its students keep the area they were put on the list in).
    codes = {school.id: (area.code if (area := school_area(school)) else "") for school in schools}
    names = _names(session, {code[:n] for code in codes.values() for n in (2, 4)})
    rows = [Row(codes[school.id], school.name, school.code, _name(names, codes[school.id], "district"),
                _name(names, codes[school.id], "province"), counted[school.id]) for school in schools]
    return sorted(rows, key=lambda row: (row.code, row.school or ""))


def area_rows(session: Session, roots: tuple[str, ...], level: str, viewer: User | None = None) -> list[Row]:
    """One row per district or province (`level`) with students under `roots` that `viewer` may see."""
    if level not in AREA_LEVELS:
        raise ValueError(level)
    # A literal length, as domain.summary groups cases (the statistics on prefixes are for it written so).
    key = func.substr(Area.code, literal_column("1"), literal_column(str(CODE_LENGTH[level])))
    counted = _count(session, _within(roots, viewer), key)
    names = _names(session, {code[:n] for code in counted for n in (2, 4)})
    rows = [Row(code, None, None, _name(names, code, "district") if level == "district" else "",
                _name(names, code, "province"), numbers) for code, numbers in counted.items()]
    return sorted(rows, key=lambda row: row.code)


def _within(roots: tuple[str, ...], viewer: User | None) -> ColumnElement[bool]:
    """Students (joined to their Area) under `roots` that `viewer` may see."""
    inside = access.prefix_filter(roots, Area.code)
    return and_(inside, access.watch_filter(viewer) if viewer is not None else true())


def _count(session: Session, within: ColumnElement[bool], key) -> dict:
    """The numbers of the students matching `within`, by `key` (a column; None: one total, under None)."""
    keys = () if key is None else (key.label("key"),)
    sums = [func.count(WatchStudent.id)] + [func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
                                            for condition in CONDITIONS.values()]
    query = (select(*keys, *sums).select_from(WatchStudent).join(Area, Area.id == WatchStudent.area_id)
             .where(within))
    counts: dict = {}
    for row in session.execute(query.group_by(*keys) if keys else query):
        group, values = (row[0], row[1:]) if keys else (None, row)
        counts[group] = dict(zip(("screened", *CONDITIONS), map(int, values)))
    visits = (select(*keys, WatchEvent.student_id, WatchEvent.details)
              .join(WatchStudent, WatchStudent.id == WatchEvent.student_id).join(Area, Area.id == WatchStudent.area_id)
              .where(within, WatchEvent.kind == "visit").execution_options(yield_per=BATCH))
    visited: dict = defaultdict(set)
    for *group, student_id, details in session.execute(visits):
        if details and details.get("outcome") == "visited":
            visited[group[0] if keys else None].add(student_id)
    for group, students in visited.items():
        counts[group]["visited"] = len(students)
    return {group: WatchNumbers(values) for group, values in counts.items()}


def _name(names: dict[str, str], code: str, level: str) -> str:
    """The name of the district or province a code lies in; "" when the code does not reach that level."""
    length = CODE_LENGTH[level]
    return names.get(code[:length], "") if len(code) >= length else ""


def _names(session: Session, codes: set[str]) -> dict[str, str]:
    return dict(session.execute(select(Area.code, Area.name).where(Area.code.in_(codes))).all()) if codes else {}
