"""Setting the school terms and holidays of an area or of the whole country (`flask terms`): the checks
that keep a calendar sensible, and an area's calendar for one school year line by line, with where each
line comes from. Which days are school days is domain/school_calendar.py's.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from domain.access import area_label
from domain.school_calendar import YEAR_STARTS, Span, calendar_for, default_holidays, school_year
from domain.thai import InvalidInput, quote, strip_control
from domain.thai_dates import format_thai_date, parse_date
from models import Area, SchoolTerm

KINDS = {"term": "ภาคเรียน", "holiday": "วันหยุด"}
# The longest term Thai schools have is about five months; seven leaves room for a late end.
MAX_TERM_MONTHS = 7
NATIONAL = "ระดับประเทศ"
DEFAULT = "ค่าเริ่มต้นระดับประเทศ"


@dataclass(frozen=True)
class Line:
    """One term or holiday of an area's school year."""

    id: int | None  # the row's id; None for a national default (no row)
    kind: str  # KINDS
    name: str
    starts_on: date
    ends_on: date
    where: str  # the area whose row it is, NATIONAL, or DEFAULT
    in_use: bool  # False: the terms of a level the area does not follow (a nearer level has its own)

    def thai(self) -> str:
        days = format_thai_date(self.starts_on) + ("" if self.ends_on == self.starts_on
                                                   else f" ถึง {format_thai_date(self.ends_on)}")
        ref = f"[{self.id}] " if self.id is not None else "- "
        unused = "" if self.in_use else " (ไม่ใช้: มีภาคเรียนของพื้นที่ที่ใกล้กว่า)"
        return f"{ref}{self.name}: {days} ({self.where}){unused}"


def read_day(text: str, what: str, today: date) -> date:
    """A date typed in พ.ศ. or ค.ศ., with Thai digits or not ("2569-11-01", "๑ พ.ย. ๒๕๖๙"); InvalidInput
    saying which date (`what`) could not be read."""
    try:
        return parse_date(text, today=today, future=True)
    except InvalidInput as exc:
        raise InvalidInput(f"{what}: {exc.message}") from None


def save_span(session: Session, area: Area | None, kind: str, name: str, starts_on: date,
              ends_on: date) -> tuple[SchoolTerm, bool]:
    """Add a term or a holiday of `area` (None: national), or change the dates of the one of the same
    name in the same school year; returns (row, created). InvalidInput, in Thai, for a name that is
    empty or too long, an end before the start, a term longer than MAX_TERM_MONTHS or running past the
    school year's start (16 May), or a term overlapping another term of the same area."""
    if kind not in KINDS:
        raise ValueError(kind)
    name = " ".join(strip_control(name).split())
    limit = SchoolTerm.name.type.length
    if not 0 < len(name) <= limit:
        raise InvalidInput(f"ชื่อ{KINDS[kind]}ต้องมี 1 ถึง {limit} ตัวอักษร")
    if ends_on < starts_on:
        raise InvalidInput(f"วันสิ้นสุด ({format_thai_date(ends_on)}) อยู่ก่อนวันเริ่ม ({format_thai_date(starts_on)}) "
                           "กรุณาตรวจสอบวันที่อีกครั้ง")
    year = school_year(starts_on)
    same_area = SchoolTerm.area_id.is_(None) if area is None else SchoolTerm.area_id == area.id
    rows = session.scalars(select(SchoolTerm).where(same_area, SchoolTerm.kind == kind)).all()
    existing = next((row for row in rows if row.name == name and school_year(row.starts_on) == year), None)
    if kind == "term":
        _check_term(starts_on, ends_on, [row for row in rows if row is not existing])
    if existing is not None:
        existing.starts_on, existing.ends_on = starts_on, ends_on
        return existing, False
    row = SchoolTerm(area_id=area.id if area else None, kind=kind, name=name, starts_on=starts_on, ends_on=ends_on)
    session.add(row)
    session.flush()
    return row, True


def _check_term(starts_on: date, ends_on: date, others: list[SchoolTerm]) -> None:
    months = (ends_on.year - starts_on.year) * 12 + ends_on.month - starts_on.month
    if months > MAX_TERM_MONTHS or (months == MAX_TERM_MONTHS and ends_on.day > starts_on.day):
        raise InvalidInput(f"ภาคเรียนยาวเกิน {MAX_TERM_MONTHS} เดือน ({format_thai_date(starts_on)} ถึง "
                           f"{format_thai_date(ends_on)}) กรุณาตรวจสอบปี พ.ศ. ของวันเริ่มและวันสิ้นสุด")
    next_year = date(school_year(starts_on) + 1, *YEAR_STARTS)
    if ends_on >= next_year:
        # A school year's terms are those starting in it (domain.school_calendar): one running on into the
        # next would leave the next year without it.
        raise InvalidInput(f"ภาคเรียนต้องจบก่อนปีการศึกษาใหม่เริ่ม ({format_thai_date(next_year)}) "
                           "หากภาคเรียนถัดไปเริ่มวันนั้นหรือหลังจากนั้น กรุณาบันทึกแยกเป็นอีกภาคเรียน")
    for other in others:
        if other.starts_on <= ends_on and starts_on <= other.ends_on:
            raise InvalidInput(f"ช่วงวันที่ซ้อนกับ {quote(other.name)} [{other.id}] "
                               f"({format_thai_date(other.starts_on)} ถึง {format_thai_date(other.ends_on)}) "
                               "ของพื้นที่เดียวกัน กรุณาแก้วันที่ "
                               f"หรือลบภาคเรียนเดิมด้วย flask terms remove {other.id}")


def year_lines(session: Session, area: Area | None, year: int) -> list[Line]:
    """The terms (those in use first), then the holidays, of school year `year` (Christian era, as school_calendar.school_year)
    for `area` (None: national): the rows of the area and of every area above it, and the national
    defaults where no row replaces them."""
    chain = [] if area is None else [area.code[:n] for n in range(2, len(area.code) + 1, 2)]
    rows = session.execute(
        select(SchoolTerm, Area).outerjoin(Area, SchoolTerm.area_id == Area.id)
        .where(or_(SchoolTerm.area_id.is_(None), Area.code.in_(chain)))
        .order_by(SchoolTerm.starts_on, SchoolTerm.id)).all()
    rows = [(row, place) for row, place in rows if school_year(row.starts_on) == year]
    used = calendar_for(session, area).terms_in(year)
    terms = [Line(row.id, "term", row.name, row.starts_on, row.ends_on, _where(place),
                  Span(row.name, row.starts_on, row.ends_on) in used) for row, place in rows if row.kind == "term"]
    if not any(line.in_use for line in terms):
        terms += [Line(None, "term", span.name, span.starts_on, span.ends_on, DEFAULT, True) for span in used]
    holidays = [Line(row.id, "holiday", row.name, row.starts_on, row.ends_on, _where(place), True)
                for row, place in rows if row.kind == "holiday"]
    holidays += [Line(None, "holiday", span.name, span.starts_on, span.ends_on, DEFAULT, True)
                 for span in default_holidays(year)]
    return [*sorted(terms, key=lambda line: (not line.in_use, line.starts_on)),
            *sorted(holidays, key=lambda line: line.starts_on)]


def _where(area: Area | None) -> str:
    return NATIONAL if area is None else area_label(area)
