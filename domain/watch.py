"""The watch list's rules: putting students on a school's list, what a week's attendance or a home visit
says, when a student is raised to the school's coordinator and the area office, and when a student who
stopped coming becomes a dropout case with their history, or a child back in school joins a list.

The thresholds are settings (Rules.from_config): the defaults raise a student after two weeks in a row
of "ไม่มาเลย" or eight days absent in the last four weeks checked, and open their dropout case after
three weeks in a row of "ไม่มาเลย". Callers (the chat and the scheduler) tell people: these functions
change the data and say who is to be told.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import access
from domain.school_calendar import calendar_for
from domain.school_classes import parse_class
from domain.thai import InvalidInput
from domain.thai_dates import BANGKOK
from models import (
    FOLLOWED,
    GROUPS,
    IN_SCHOOL,
    WATCHED,
    Area,
    Case,
    CaseEvent,
    Organisation,
    User,
    WatchEvent,
    WatchStudent,
    choice_label,
    open_case,
    record_event,
)

# A week's attendance, the teacher's one tap: the answer's code, its button, the days it counts absent
# (for "ขาดบ้าง" when no number is given).
ATTENDANCE = {"full": "มาเรียนครบ", "some": "ขาดบ้าง", "none": "ไม่มาเลย"}
ABSENT_DAYS = {"full": 0, "some": 2, "none": 5}
# A home visit's outcome.
VISIT_OUTCOMES = {"visited": "เยี่ยมบ้านแล้ว", "not_met": "ไปแล้วไม่พบครอบครัว", "moved": "ครอบครัวย้ายออก"}
# The class of a child who joins from a case without one known.
UNKNOWN_CLASS = "ไม่ระบุชั้น"
# How many weeks back the absent days are added up.
ABSENCE_WINDOW = 4


@dataclass(frozen=True)
class Rules:
    # A กลุ่มมีปัญหา student's home visit is due within this many school days of the screening and
    # again of each visit; after a visit that did not meet the family, within `revisit_days`.
    visit_days: int = 10
    revisit_days: int = 3
    raise_none_weeks: int = 2
    raise_absent_days: int = 8
    case_none_weeks: int = 3
    # A child back in school whose weekly checks say "มาเรียนครบ" this many weeks in a row is staying.
    staying_full_weeks: int = 4

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Rules:
        return cls(**{name: int(config[key]) for name, key in SETTINGS.items() if key in config})


# Rules' fields and the settings (bot.config) that set them.
SETTINGS = {"visit_days": "WATCH_VISIT_DAYS", "revisit_days": "WATCH_REVISIT_DAYS",
            "raise_none_weeks": "WATCH_RAISE_NONE_WEEKS", "raise_absent_days": "WATCH_RAISE_ABSENT_DAYS",
            "case_none_weeks": "WATCH_CASE_NONE_WEEKS", "staying_full_weeks": "WATCH_STAYING_FULL_WEEKS"}


@dataclass
class Outcome:
    """What an answer led to: "recorded", "raised" (tell `tell`), "left" (the student became `case`;
    tell `tell`) or "staying" (a returned child's case is staying)."""

    what: str = "recorded"
    tell: list[User] = field(default_factory=list)
    case: Case | None = None
    reason: str = ""


def today(now: datetime) -> date:
    return now.astimezone(BANGKOK).date()


def week_of(day: date) -> str:
    """The ISO week a day is in, "2026-W49": the key of a week's attendance."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def school_area(school: Organisation):
    """Where a school's students are scoped: its own area, the first of its areas by code."""
    return min(school.areas, key=lambda area: area.code) if school.areas else None


def students_of(session: Session, school: Organisation) -> list[WatchStudent]:
    return list(session.scalars(select(WatchStudent).where(WatchStudent.school_id == school.id)
                                .order_by(WatchStudent.id)))


def find_student(students: Sequence[WatchStudent], national_id: str | None, class_name: str,
                 first_name: str, last_name: str) -> WatchStudent | None:
    """The student already on the list: the same national ID, or without one the same name in the same
    class (names are encrypted with a random nonce, so they are compared here, not in SQL)."""
    for student in students:
        if national_id and student.national_id == national_id:
            return student
    for student in students:
        if (not national_id or not student.national_id) and student.class_name == class_name \
                and (student.first_name, student.last_name) == (first_name, last_name):
            return student
    return None


def add_student(session: Session, school: Organisation, fields: dict[str, Any], actor: User | None, *,
                now: datetime, rules: Rules, source: str | None = None, kind: str = "added",
                students: Sequence[WatchStudent] | None = None) -> tuple[WatchStudent, bool]:
    """Put a student on `school`'s list, or update the one already there (find_student); returns
    (student, created). `fields`: title, first_name, last_name, sex, national_id, class_name, group,
    risk_factors (codes), risk_note, teacher_id, case_id. A student taken off the list, or one who left,
    is followed again. `students` is the school's list when the caller has it (an import)."""
    area = school_area(school)
    if area is None:
        raise ValueError(f"school {school.id} has no area")
    found = find_student(students if students is not None else students_of(session, school),
                         fields.get("national_id"), fields["class_name"], fields["first_name"], fields["last_name"])
    group = fields.get("group", "at_risk")
    if found is None:
        student = WatchStudent(school_id=school.id, area_id=area.id, created_at=now, updated_at=now, status="watching",
                               **{k: v for k, v in fields.items() if k != "group"}, group=group)
        session.add(student)
        set_visit_due(session, student, now, rules)
        _event(session, student, kind, actor, now, source, details={"group": group,
                                                                     "class": fields["class_name"]})
        return student, True
    before = found.group
    for name, value in fields.items():
        if value is not None:
            setattr(found, name, value)
    if found.status not in FOLLOWED:
        found.status, found.left_at = "watching", None
    found.updated_at = now
    if group != before or found.visit_due is None:
        set_visit_due(session, found, now, rules)
    _event(session, found, "screened", actor, now, source, details={"group": group, "from_group": before,
                                                                     "class": found.class_name})
    return found, False


def set_visit_due(session: Session, student: WatchStudent, now: datetime, rules: Rules,
                  days: int | None = None) -> None:
    """A กลุ่มมีปัญหา student gets a home visit due `days` school days from now (Rules.visit_days); the
    others none."""
    if student.group != "problem":
        student.visit_due = None
        return
    calendar = calendar_for(session, student.area or session.get(Area, student.area_id))
    student.visit_due = calendar.add_school_days(today(now), rules.visit_days if days is None else days)


def change_group(session: Session, student: WatchStudent, group: str, actor: User, *, now: datetime,
                 rules: Rules, source: str | None) -> None:
    if group not in GROUPS:
        raise ValueError(group)
    before, student.group, student.updated_at = student.group, group, now
    set_visit_due(session, student, now, rules)
    _event(session, student, "screened", actor, now, source, details={"group": group, "from_group": before})


def end_watch(session: Session, student: WatchStudent, actor: User, *, now: datetime, note: str | None,
              source: str | None) -> None:
    """Take the student off the list (moved school, finished, no longer at risk): kept, not followed."""
    student.status, student.visit_due, student.updated_at = "ended", None, now
    _event(session, student, "ended", actor, now, source, note=note)


def attendance(student: WatchStudent) -> dict[str, dict]:
    """The student's answers by week, the latest answer for a week winning, in week order."""
    weeks: dict[str, dict] = {}
    for event in student.events:
        if event.kind == "attendance" and event.details:
            weeks[event.details["week"]] = event.details
    return dict(sorted(weeks.items()))


def none_streak(weeks: dict[str, dict]) -> int:
    """How many of the latest weeks checked in a row were "ไม่มาเลย"."""
    streak = 0
    for answer in reversed([details["answer"] for details in weeks.values()]):
        if answer != "none":
            break
        streak += 1
    return streak


def record_attendance(session: Session, student: WatchStudent, week: str, answer: str, actor: User, *,
                      now: datetime, rules: Rules, absent_days: int | None = None,
                      source: str | None = None) -> Outcome:
    """A week's attendance for a followed student; the weeks so far then decide what follows."""
    if answer not in ATTENDANCE:
        raise ValueError(answer)
    days = ABSENT_DAYS[answer] if absent_days is None else max(0, min(5, absent_days))
    _event(session, student, "attendance", actor, now, source, details={"week": week, "answer": answer,
                                                                         "absent_days": days})
    student.updated_at = now
    session.flush()
    session.refresh(student, ["events"])
    weeks = attendance(student)
    streak = none_streak(weeks)
    if streak >= rules.case_none_weeks:
        return become_case(session, student, actor, now=now,
                           reason=f"ไม่มาเรียนเลย {streak} สัปดาห์ติดต่อกัน", source=source)
    absent = sum(details["absent_days"] for details in list(weeks.values())[-ABSENCE_WINDOW:])
    if student.status == "watching" and (streak >= rules.raise_none_weeks or absent >= rules.raise_absent_days):
        why = (f"ไม่มาเรียนเลย {streak} สัปดาห์ติดต่อกัน" if streak >= rules.raise_none_weeks
               else f"ขาดเรียนรวม {absent} วันใน {min(len(weeks), ABSENCE_WINDOW)} สัปดาห์ล่าสุด")
        return raise_student(session, student, actor, now=now, reason=why, source=source)
    full = [details["answer"] for details in weeks.values()][-rules.staying_full_weeks:]
    case = student.case
    if case is not None and case.status == "back_in_school" and len(full) == rules.staying_full_weeks \
            and set(full) == {"full"}:
        record_event(session, case, "follow_up", actor, now=now, to_status="staying", source=source,
                     note=f"มาเรียนครบ {rules.staying_full_weeks} สัปดาห์ติดต่อกัน (รายชื่อเฝ้าระวัง)")
        return Outcome("staying", case=case)
    return Outcome()


def record_visit(session: Session, student: WatchStudent, outcome: str, note: str | None, actor: User, *,
                 now: datetime, rules: Rules, source: str | None = None) -> Outcome:
    """A home visit: visited sets the next one due; not met asks again soon; a family that moved away
    raises the student (the school's coordinator finds where they went)."""
    if outcome not in VISIT_OUTCOMES:
        raise ValueError(outcome)
    _event(session, student, "visit", actor, now, source, note=note, details={"outcome": outcome})
    student.updated_at = now
    if outcome == "moved":
        student.visit_due = None
        if student.status == "watching":
            return raise_student(session, student, actor, now=now, reason=VISIT_OUTCOMES["moved"], source=source)
        return Outcome()
    set_visit_due(session, student, now, rules, None if outcome == "visited" else rules.revisit_days)
    return Outcome()


def raise_recipients(session: Session, student: WatchStudent, actor: User | None = None) -> list[User]:
    """Who is told a student is raised: the school's own coordinators, and the owners of prevention
    whose scope holds the school (nearest level first: the area office before the province); with no
    owner named, the area's nearest coordinators. Never the one who raised it; each once."""
    area = student.area
    school_people = session.scalars(select(User).where(
        User.organisation_id == student.school_id, User.role.in_(access.COORDINATORS), User.active,
        User.following).order_by(User.id)).all()
    # Above the school, the area's levels of coordinators, nearest first, each of those who would be told: not
    # the school's own (told already, and with the school's subdistrict for a scope the nearest of all), nor
    # who may not see the student (an agency's such as a สกร., the deactivated), so that neither stands in for
    # the area office. The nearest level with an owner of prevention, else the nearest level.
    levels = [[user for user in level if user.organisation_id != student.school_id
               and access.student_refusal(user, student) is None]
              for level in access.coordinator_levels(session, area)]
    levels = [level for level in levels if level]
    owners = [owners for level in levels if (owners := [user for user in level if user.owns_prevention])]
    above = owners[0] if owners else levels[0] if levels else []
    told, seen = [], {actor.id} if actor else set()
    for user in [*school_people, *above]:
        if user.id not in seen and access.student_refusal(user, student) is None:
            told.append(user)
            seen.add(user.id)
    return told


def raise_student(session: Session, student: WatchStudent, actor: User | None, *, now: datetime, reason: str,
                  source: str | None = None) -> Outcome:
    student.status, student.raised_at, student.updated_at = "raised", now, now
    _event(session, student, "raised", actor, now, source, note=reason)
    return Outcome("raised", raise_recipients(session, student, actor), reason=reason)


def history(session: Session, student: WatchStudent) -> dict[str, Any]:
    """What the school knows of the student, for the case they become: the screening, every home visit
    and every week's attendance, with the days they happened (kept encrypted on the case's history)."""
    factors = [choice_label(session, "risk_factor", code) for code in student.risk_factors or ()]
    return {
        "school": student.school.name, "class": student.class_name, "group": GROUPS[student.group],
        "risk_factors": factors, "risk_note": student.risk_note, "on_list_since": student.created_at.isoformat(),
        "visits": [{"at": event.at.isoformat(), "outcome": VISIT_OUTCOMES[event.details["outcome"]],
                    "note": event.note} for event in student.events if event.kind == "visit" and event.details],
        "attendance": [{"week": week, "answer": ATTENDANCE[d["answer"]], "absent_days": d["absent_days"]}
                       for week, d in attendance(student).items()],
        "raised": [{"at": event.at.isoformat(), "reason": event.note}
                   for event in student.events if event.kind == "raised"],
    }


def history_words(record: dict[str, Any]) -> str:
    """The history in one line for the case's timeline: "โรงเรียนบ้านโนนทัน ป.5/1 · กลุ่มมีปัญหา · ยากจน/ทุนเสมอภาค,
    ขาดเรียนบ่อย · เยี่ยมบ้าน 1 ครั้ง · 3 สัปดาห์ล่าสุด: ไม่มาเลย, ไม่มาเลย, ไม่มาเลย"."""
    parts = [f"{record['school']} {record['class']}", record["group"]]
    if record["risk_factors"]:
        parts.append(", ".join(record["risk_factors"]))
    if record["visits"]:
        parts.append(f"เยี่ยมบ้าน {len(record['visits'])} ครั้ง ({record['visits'][-1]['outcome']})")
    weeks = record["attendance"][-ABSENCE_WINDOW:]
    if weeks:
        parts.append(f"{len(weeks)} สัปดาห์ล่าสุด: " + ", ".join(week["answer"] for week in weeks))
    return " · ".join(parts)


def become_case(session: Session, student: WatchStudent, actor: User | None, *, now: datetime, reason: str,
                source: str | None = None) -> Outcome:
    """The student stopped coming: their dropout case, in the workflow that exists, with nothing typed
    again. A child who had come back from a case goes back to "found" on that case; any other gets a
    case (or the one their national ID already has) owned by the school, "found", with the watch
    list's history as a line of its history."""
    record = history(session, student)
    case = student.case
    if case is not None and case.status in IN_SCHOOL:
        record_event(session, case, "dropped_out", actor, now=now, to_status="found", note=reason,
                     details={"watch_list": record}, source=source)
        case.enrolled_on = None
    else:
        fields = {"title": student.title, "first_name": student.first_name, "last_name": student.last_name,
                  "sex": student.sex, "national_id": student.national_id, "area_id": student.area_id,
                  "grade": student.class_name if student.class_name != UNKNOWN_CLASS else None,
                  "previous_school": student.school.name, "source": WATCHED, "owner_org_id": student.school_id}
        case, created = open_case(session, {k: v for k, v in fields.items() if v is not None}, actor, now=now,
                                  kind="from_watch_list")
        if not created and case.status in IN_SCHOOL:
            record_event(session, case, "dropped_out", actor, now=now, to_status="found", note=reason, source=source)
        session.add(CaseEvent(case=case, kind="watch_history", actor_id=actor.id if actor else None, at=now,
                              note=history_words(record), details=record, source=source))
    student.status, student.left_at, student.case, student.visit_due, student.updated_at = "left", now, case, None, now
    _event(session, student, "left", actor, now, source, note=reason, details={"case": case.id})
    session.flush()
    tell = raise_recipients(session, student, actor)
    for user in access.nearest_coordinators(session, case.area):
        if user not in tell and (actor is None or user.id != actor.id):
            tell.append(user)
    return Outcome("left", tell, case=case, reason=reason)


def join_from_case(session: Session, case: Case, school: Organisation, actor: User | None, *, now: datetime,
                   rules: Rules, source: str | None = None) -> WatchStudent:
    """A child back in school joins `school`'s list as กลุ่มเสี่ยง with the case's history behind them:
    the weekly checks follow them instead of the case's fixed stay-in-school pushes."""
    reason = choice_label(session, "reason", case.reason)
    fields = {"title": case.title, "first_name": case.first_name, "last_name": case.last_name, "sex": case.sex,
              "national_id": case.national_id, "class_name": class_of(case.grade), "group": "at_risk",
              "risk_note": f"กลับเข้าเรียนจากเรื่อง {case.number}" + (f" (เคยหยุดเรียนเพราะ{reason})" if reason else ""),
              "case_id": case.id, "teacher_id": actor.id if actor and actor.role == "teacher"
              and access.own_school(actor) is school else None}
    student, _ = add_student(session, school, fields, actor, now=now, rules=rules, source=source, kind="joined")
    return student


def class_of(grade: str | None) -> str:
    """A case's grade (free text from the ministry's list or a report: "ชั้น ป.๔") as schools write a class
    ("ป.4"), so that the teacher adding the child finds them on the list; kept as written when it is no class."""
    if not grade:
        return UNKNOWN_CLASS
    try:
        return parse_class(grade)
    except InvalidInput:
        return grade


def watched_case_ids(session: Session, case_ids: Sequence[int]) -> set[int]:
    """Of these cases, those whose child is followed on a watch list (the weekly checks replace the
    case's stay-in-school pushes)."""
    found: set[int] = set()
    for i in range(0, len(case_ids), 500):
        found.update(session.scalars(select(WatchStudent.case_id).where(
            WatchStudent.case_id.in_(case_ids[i:i + 500]), WatchStudent.status.in_(FOLLOWED))))
    return found


def _event(session: Session, student: WatchStudent, kind: str, actor: User | None, now: datetime,
           source: str | None, note: str | None = None, details: dict | None = None) -> WatchEvent:
    event = WatchEvent(student=student, kind=kind, actor_id=actor.id if actor else None, at=now, note=note,
                       details=details, source=source)
    session.add(event)
    return event


def visit_overdue(student: WatchStudent, now: datetime) -> bool:
    return student.visit_due is not None and student.visit_due < today(now)
