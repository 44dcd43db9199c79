"""Jobs of the watch list: the weekly one-tap attendance check and the home-visit reminders, on school
days only (domain.school_calendar, by each student's area).

Who is asked about a student: their teacher while reachable and still one of the school's watchers;
else the school's active teachers; else the school's coordinators. Each person gets one push with their
students, a Flex bubble each (carousels of 12, five messages a push; more go in further pushes).

Each job is safe to run twice, and in several processes: what it asked is written as a line of the
student's history (watch_events, kind "attendance_asked" or "visit_reminded", with a details marker)
in the same transaction as the outbox rows, and checked before asking. The students due are locked
first, so a second run waits for the first and then sees its markers.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, datetime

from linebot.v3.messaging import FlexBubble
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, selectinload

from domain import access, watch
from domain.school_calendar import Calendar, calendar_for
from handlers.record_attendance import attendance_question
from handlers.record_home_visit import visit_reminder
from line.messages import MAX_BUBBLES, flex
from line.outbox import MESSAGES_PER_CALL, queue_messages
from models import FOLLOWED, Area, User, WatchEvent, WatchStudent
from scheduler.followups import reachable
from scheduler.jobs import JobContext, daily, job

ASKED, REMINDED = "attendance_asked", "visit_reminded"
# The weekly check is for กลุ่มเสี่ยง and for กลุ่มมีปัญหา too: a student with problems who stops coming
# must be raised like any other, and their home visits alone would not show it.
WEEKLY_GROUPS = ("at_risk", "problem")
# A home visit is reminded once it is due within this many school days (or has passed).
VISIT_SOON = 2
CHUNK = 500  # ids per IN (...)


def due_students(session: Session, conditions: Sequence[ColumnElement[bool]],
                 is_due: Callable[[Calendar, date | None], bool]) -> list[WatchStudent]:
    """The followed students matching `conditions` that `is_due` says are due by their area's calendar
    (given their visit_due), locked for this transaction and read again once locked. The candidates are
    read without their names: only those due are decrypted."""
    candidates = session.execute(select(WatchStudent.id, WatchStudent.area_id, WatchStudent.visit_due)
                                 .where(WatchStudent.status.in_(FOLLOWED), *conditions)).all()
    calendars: dict[int, Calendar] = {}
    ids = []
    for student_id, area_id, visit_due in candidates:
        if area_id not in calendars:
            calendars[area_id] = calendar_for(session, session.get(Area, area_id))
        if is_due(calendars[area_id], visit_due):
            ids.append(student_id)
    due: list[WatchStudent] = []
    for i in range(0, len(ids), CHUNK):
        due += session.scalars(
            select(WatchStudent).where(WatchStudent.id.in_(ids[i:i + CHUNK]), WatchStudent.status.in_(FOLLOWED),
                                       *conditions)
            .options(selectinload(WatchStudent.school), selectinload(WatchStudent.teacher),
                     selectinload(WatchStudent.area))
            .order_by(WatchStudent.class_name, WatchStudent.id)
            .with_for_update().execution_options(populate_existing=True))
    return due


def events_of(session: Session, students: Sequence[WatchStudent], kinds: tuple[str, ...]) -> dict[int, list[dict]]:
    """The details of these students' history lines of `kinds`, by student."""
    found: dict[int, list[dict]] = defaultdict(list)
    ids = [student.id for student in students]
    for i in range(0, len(ids), CHUNK):
        for student_id, details in session.execute(
                select(WatchEvent.student_id, WatchEvent.details)
                .where(WatchEvent.student_id.in_(ids[i:i + CHUNK]), WatchEvent.kind.in_(kinds))):
            found[student_id].append(details or {})
    return found


def asked_about(session: Session, student: WatchStudent, school_people: dict[tuple, list[User]]) -> list[User]:
    """Who is asked about `student`: their teacher, else the school's teachers, else its coordinators
    (each still allowed to act on the student); `school_people` keeps who the school has, per run."""
    teacher = student.teacher
    if reachable(teacher) and access.student_refusal(teacher, student) is None:
        return [teacher]
    for roles in (("teacher",), access.COORDINATORS):
        key = (student.school_id, roles)
        if key not in school_people:
            school_people[key] = list(session.scalars(select(User).where(
                User.organisation_id == student.school_id, User.role.in_(roles), User.active, User.following)
                .order_by(User.id)))
        people = [user for user in school_people[key] if access.student_refusal(user, student) is None]
        if people:
            return people
    return []


def reminder_key(details: dict) -> tuple[str | None, bool]:
    """A home-visit reminder's marker as (due date, overdue), for comparing."""
    return details.get("due"), bool(details.get("overdue"))


def mark(session: Session, student: WatchStudent, kind: str, now: datetime, details: dict) -> None:
    # Not domain.watch's own lines: a marker is no action on the student and leaves updated_at alone.
    session.add(WatchEvent(student_id=student.id, kind=kind, at=now, details=details))


def push_bubbles(session: Session, users: dict[int, User], bubbles: dict[int, list[FlexBubble]],
                 alt_text: Callable[[int], str]) -> None:
    """Each user's bubbles as carousels of MAX_BUBBLES, MESSAGES_PER_CALL carousels to a push."""
    for user_id, theirs in bubbles.items():
        messages = [flex(alt_text(len(theirs)), theirs[i:i + MAX_BUBBLES]) for i in range(0, len(theirs), MAX_BUBBLES)]
        for i in range(0, len(messages), MESSAGES_PER_CALL):
            queue_messages(session, users[user_id].line_user_id, messages[i:i + MESSAGES_PER_CALL])


def ask(session: Session, students: Sequence[WatchStudent], build: Callable[[WatchStudent], FlexBubble],
        kind: str, now: datetime, details: Callable[[WatchStudent], dict], alt_text: Callable[[int], str]) -> int:
    """Mark and ask about each of `students` (those nobody can be asked about are left for a later run);
    returns how many were asked."""
    users: dict[int, User] = {}
    bubbles: dict[int, list[FlexBubble]] = defaultdict(list)
    school_people: dict[tuple, list[User]] = {}
    asked = 0
    for student in students:
        people = asked_about(session, student, school_people)
        if not people:
            continue
        mark(session, student, kind, now, {**details(student), "to": [user.id for user in people]})
        for user in people:
            users[user.id] = user
            bubbles[user.id].append(build(student))
        asked += 1
    push_bubbles(session, users, bubbles, alt_text)
    return asked


@job("watch-weekly-attendance", trigger=daily(14, 0), misfire_grace_time=3 * 3600, plans_pushes=True)
def ask_weekly_attendance(ctx: JobContext) -> int:
    """On the last school day of each week (Friday, or earlier when a holiday or the term's end takes the
    rest), ask about each followed student of WEEKLY_GROUPS whose week is neither answered nor asked;
    returns how many students were asked about."""
    today = watch.today(ctx.now)
    week = watch.week_of(today)
    with ctx.db.transaction() as session:
        students = due_students(session, [WatchStudent.group.in_(WEEKLY_GROUPS)],
                                lambda calendar, visit_due: calendar.last_school_day_of_week(today))
        done = events_of(session, students, ("attendance", ASKED))
        waiting = [student for student in students
                   if not any(line.get("week") == week for line in done.get(student.id, []))]
        return ask(session, waiting, lambda student: attendance_question(student, week), ASKED, ctx.now,
                   lambda student: {"week": week},
                   lambda count: f"📋 เช็กการมาเรียนสัปดาห์นี้ นักเรียน {count} คน แตะปุ่มเพื่อตอบค่ะ")


@job("watch-home-visits", trigger=daily(8, 30), misfire_grace_time=3 * 3600, plans_pushes=True)
def remind_home_visits(ctx: JobContext) -> int:
    """On school days, remind each followed กลุ่มมีปัญหา student's home visit once when it is due within
    VISIT_SOON school days, and once more when it is overdue (per due date: a new one after a visit is
    reminded afresh); returns how many students were reminded about."""
    today = watch.today(ctx.now)

    def due(calendar: Calendar, visit_due: date) -> bool:
        return calendar.is_school_day(today) and visit_due <= calendar.add_school_days(today, VISIT_SOON)

    def marker(student: WatchStudent) -> dict:
        overdue = watch.visit_overdue(student, ctx.now)
        return {"due": student.visit_due.isoformat(), **({"overdue": True} if overdue else {})}

    with ctx.db.transaction() as session:
        students = due_students(session, [WatchStudent.group == "problem", WatchStudent.visit_due.is_not(None)], due)
        done = events_of(session, students, (REMINDED,))
        waiting = [student for student in students
                   if reminder_key(marker(student)) not in {reminder_key(line) for line in done.get(student.id, [])}]
        return ask(session, waiting, lambda student: visit_reminder(student, watch.visit_overdue(student, ctx.now)),
                   REMINDED, ctx.now, marker, lambda count: f"🏠 ถึงกำหนดเยี่ยมบ้านนักเรียน {count} คน")
