"""The late-case job: cases past their status's deadline are marked late, and someone who can act is reminded.

A status's deadline is data (models.step_deadline, which coordinators change with `flask cases
set-deadline`): a case that entered "to_find" on day 0 with 7 days is due by the end of day 7 (Bangkok)
and late from day 8. The first run that finds it late sets Case.late_since and writes a "late" line in
its history; record_event clears late_since when the case moves on.

Reminders climb LEVELS, each once per late spell (a "late_reminded" line naming the case's
status_since, the level reached and who was told), counted from the day the case was marked late:
  0. that day: the case's owner when their role can act at that status (FIRST_REMINDED); a referred
     case waits on the receiving organisation, so its users are reminded instead;
  1. ESCALATION_DAYS later: the owning organisation's coordinators, else the nearest coordinators of
     the case's area (access.nearest_coordinators);
  2. as many days again: the next group of coordinators above those (access.coordinator_levels).
A level with nobody to tell goes straight to the next, and counts as done; with nobody at any level
nothing is recorded, and the next run tries again. Each person gets one message a run listing their
cases (number, status, what has to happen, days late; no child's name), through line.notices.notify
(kind "late"), so their notice setting holds and an urgent case is always pushed.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from linebot.v3.messaging import Message, PostbackAction
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from domain import access
from domain.thai_dates import BANGKOK
from handlers.act_on_case import CASE_ACTIONS, open_referral, receivers
from line.messages import text
from line.notices import notify
from models import STATUSES, Case, User, step_deadlines
from scheduler.followups import mark, markers, reachable
from scheduler.jobs import JobContext, daily, job

# Who is reminded first at each status, by role: those who can act on it from its card (a check-in
# for a child still to find, a referral or "back in school" for a found one).
FIRST_REMINDED = {**dict.fromkeys(CASE_ACTIONS["checkin"].statuses, CASE_ACTIONS["checkin"].roles),
                  "found": CASE_ACTIONS["refer"].roles}
# A referred case waits on the organisation it was referred to.
RECEIVING = "referred"
# The statuses a deadline can be set for: someone acts at each of them.
LATE_STATUSES = (*FIRST_REMINDED, RECEIVING)
LEVELS = 3  # the owner (or the receiving side), the owning organisation's coordinators, one level up
MAX_LISTED = 10  # cases listed (and buttons) in one reminder


@dataclass(frozen=True)
class Late:
    case: Case
    action: str  # what has to happen (StepDeadline.action)
    days: int  # days past the deadline


def first_reminded(session: Session, case: Case) -> list[User]:
    if case.status == RECEIVING:
        referral = open_referral(session, case)
        return receivers(session, referral.organisation_id) if referral else []
    owner = case.owner
    if reachable(owner) and owner.role in FIRST_REMINDED[case.status] and access.in_scope(owner, case.area):
        return [owner]
    return []


def organisation_coordinators(session: Session, case: Case) -> list[User]:
    """The owning organisation's coordinators who see the case, else the area's nearest ones."""
    if case.owner_org_id is not None:
        theirs = [user for user in session.scalars(select(User).where(
            User.organisation_id == case.owner_org_id, User.role == "coordinator", User.active, User.following)
            .order_by(User.id)) if access.in_scope(user, case.area)]
        if theirs:
            return theirs
    return access.nearest_coordinators(session, case.area)


def one_level_up(session: Session, case: Case, below: list[User]) -> list[User]:
    """The group of coordinators just above the highest one `below` belongs to."""
    levels = access.coordinator_levels(session, case.area)
    ids = {user.id for user in below}
    reached = max((i for i, group in enumerate(levels) if any(user.id in ids for user in group)), default=-1)
    return levels[reached + 1] if reached + 1 < len(levels) else []


def reminded_at(session: Session, case: Case, level: int, known: dict[tuple, list[User]]) -> list[User]:
    """Who is reminded at `level`; the coordinators' levels depend only on the area and the owning
    organisation, so `known` keeps them for the other cases of the run (an imported list's area has
    hundreds)."""
    if level == 0:
        return first_reminded(session, case)
    key = (level, case.area_id, case.owner_org_id)
    if key not in known:
        coordinators = organisation_coordinators(session, case)
        known[key] = coordinators if level == 1 else one_level_up(session, case, coordinators)
    return known[key]


def due_day(case: Case, days: int) -> date:
    """The last day (Bangkok) the case may stay in its status."""
    return (case.status_since or case.updated_at).astimezone(BANGKOK).date() + timedelta(days=days)


# Each morning, once the quiet hours are over: a job that plans pushes does not run in them, so that
# what it says is still true when it is read.
@job("late-cases", trigger=daily(8, 30), misfire_grace_time=3 * 3600, plans_pushes=True)
def remind_late_cases(ctx: JobContext) -> int:
    """Mark the cases past their deadline late and send the reminders due (see the module's
    docstring); a case no longer late (its deadline lengthened or removed) loses its mark. Returns
    how many people were reminded."""
    escalation = int(ctx.config["ESCALATION_DAYS"])
    today = ctx.now.astimezone(BANGKOK).date()
    reminders: dict[int, list[Late]] = defaultdict(list)
    users: dict[int, User] = {}
    known: dict[tuple, list[User]] = {}
    with ctx.db.transaction() as session:
        deadlines = {status: row for status, row in step_deadlines(session).items() if status in LATE_STATUSES}
        cases = session.scalars(select(Case).where(or_(Case.status.in_(list(deadlines)), Case.late_since.is_not(None)))
                                .options(selectinload(Case.area), selectinload(Case.owner)).order_by(Case.id)).all()
        if not cases:
            return 0
        reminded = markers(session, "late_reminded", [case.id for case in cases])
        for case in cases:
            deadline = deadlines.get(case.status)
            if deadline is None or today <= due_day(case, deadline.days):
                if case.late_since is not None:
                    case.late_since = None
                continue
            spell = (case.status_since or case.updated_at).isoformat()
            if case.late_since is None:
                case.late_since = ctx.now
                mark(session, case, "late", ctx.now, {"since": spell, "days": deadline.days})
            stage = min(LEVELS - 1, (today - case.late_since.astimezone(BANGKOK).date()).days // escalation)
            if any(m.get("since") == spell and m.get("level", -1) >= stage for m in reminded.get(case.id, [])):
                continue
            for level in range(stage, LEVELS):
                people = reminded_at(session, case, level, known)
                if people:
                    break
            else:
                continue
            mark(session, case, "late_reminded", ctx.now,
                 {"since": spell, "level": level, "to": [user.id for user in people]})
            late = Late(case, deadline.action, (today - due_day(case, deadline.days)).days)
            for user in people:
                users[user.id] = user
                reminders[user.id].append(late)
        for user_id, theirs in reminders.items():
            theirs.sort(key=lambda late: (not late.case.urgent, -late.days, late.case.id))
            notify(session, users[user_id], "late", [reminder_message(theirs)], line=digest_line(theirs),
                   urgent=any(late.case.urgent for late in theirs), now=ctx.now)
    return len(reminders)


def reminder_message(theirs: list[Late]) -> Message:
    lines = [f"⏰ เรื่องที่เกินกำหนดแล้ว {len(theirs)} เรื่อง รอการดำเนินการค่ะ"]
    for late in theirs[:MAX_LISTED]:
        lines.append(f"• {'🚨 ' if late.case.urgent else ''}{late.case.number} {STATUSES[late.case.status]}: "
                     f"{late.action} (เกินกำหนด {late.days} วัน)")
    if len(theirs) > MAX_LISTED:
        lines.append(f"และอีก {len(theirs) - MAX_LISTED} เรื่อง")
    lines.append("แตะเลขเรื่องด้านล่าง หรือพิมพ์เลขเรื่อง เพื่อดูและอัปเดตค่ะ")
    buttons = [PostbackAction(label=late.case.number, data=f"action=case&case={late.case.id}",
                              displayText=f"ดูเรื่อง {late.case.number}") for late in theirs[:MAX_LISTED]]
    return text("\n".join(lines), *buttons)


def digest_line(theirs: list[Late]) -> str:
    numbers = ", ".join(late.case.number for late in theirs[:MAX_LISTED])
    more = f" และอีก {len(theirs) - MAX_LISTED} เรื่อง" if len(theirs) > MAX_LISTED else ""
    return f"เรื่องที่เกินกำหนด {len(theirs)} เรื่อง: {numbers}{more}"
