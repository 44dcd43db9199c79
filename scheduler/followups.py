"""Jobs that follow cases up: stay-in-school checks, nudges about stale cases, the coordinators' morning summary.

Each job is safe to run twice without a migration: what it has sent is written as a line in the case's
history (case_events, kind "follow_up_asked" / "stale_nudged" / "stale_escalated", with a details
marker) in the same transaction as the outbox rows, and checked before sending. These marker lines do
not touch the case's updated_at, so they do not count as someone having acted on it. The morning
summary's outbox row has a retry key derived from the coordinator and the date, checked the same way
(and LINE itself drops a second push with the same retry key).
"""
from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import timedelta

from linebot.v3.messaging import PostbackAction, QuickReply, QuickReplyItem, TextMessage
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from domain import access
from domain.summary import AWAITING, deadline_progress, summarise
from domain.thai_dates import BANGKOK, format_thai_datetime
from handlers.area_summary import admin_budget, summary_card
from line.outbox import queue_messages
from models import IN_SCHOOL, STATUSES, Case, CaseEvent, OutboxMessage, User
from scheduler.jobs import JobContext, daily, job

FOLLOW_UP_DAYS = (7, 30, 90)
FOLLOW_UP_QUESTION = "ยังมาเรียนอยู่ไหม?"
# The answers: the postback's `answer`, the button's label.
FOLLOW_UP_ANSWERS = (("yes", "ยังมาเรียน"), ("some", "มาบ้างไม่มาบ้าง"), ("no", "หยุดเรียนอีกแล้ว"))
MAX_LISTED = 10  # case numbers listed in one nudge


def _reachable(user: User | None) -> bool:
    return user is not None and user.active and user.following and user.role is not None


def _markers(session: Session, kind: str, case_ids: list[int]) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = defaultdict(list)
    for i in range(0, len(case_ids), 500):
        for case_id, details in session.execute(
                select(CaseEvent.case_id, CaseEvent.details)
                .where(CaseEvent.kind == kind, CaseEvent.case_id.in_(case_ids[i:i + 500]))):
            found[case_id].append(details or {})
    return found


def _mark(session: Session, case: Case, kind: str, now, details: dict) -> None:
    # Not record_event: a marker is not an action on the case and must leave updated_at alone.
    session.add(CaseEvent(case_id=case.id, kind=kind, at=now, details=details))


# ------------------------------------------------------------------ stay-in-school follow-ups

def follow_up_recipients(session: Session, case: Case, recorder: User | None) -> list[User]:
    """Who is asked: the teacher (or coordinator) who recorded the child back in school, when they
    can still be reached and still see the case; else the active teachers of the case's own area;
    else its coordinators. Only people who may answer (access.REFERRERS) are asked, and one of them
    answering is enough: the first answer moves the case and later taps are refused by status."""
    if _reachable(recorder) and recorder.role in access.REFERRERS and access.in_scope(recorder, case.area):
        return [recorder]
    if case.area_id is not None:
        teachers = session.scalars(select(User).where(
            User.role == "teacher", User.area_id == case.area_id, User.active, User.following)
            .order_by(User.id)).all()
        if teachers:
            return list(teachers)
    return access.coordinators_covering(session, case.area)


def follow_up_message(case: Case, day: int) -> TextMessage:
    items = [QuickReplyItem(action=PostbackAction(
        label=label, data=f"action=followup&case={case.id}&answer={answer}", displayText=label))
        for answer, label in FOLLOW_UP_ANSWERS]
    return TextMessage(
        text=f"ติดตามผล {day} วันหลังกลับเข้าเรียน: เรื่อง {case.number} {case.full_name}"
             f"{' ที่ ' + case.school_name if case.school_name else ''}\n{FOLLOW_UP_QUESTION}",
        quickReply=QuickReply(items=items))


@job("stay-in-school-follow-ups", trigger=daily(9, 0), misfire_grace_time=3 * 3600, plans_pushes=True)
def ask_stay_in_school(ctx: JobContext) -> int:
    """7, 30 and 90 days after a child went back to school (the latest "enrolled" line in its
    history), ask once whether they still attend. A case that became due for several checks at once
    (the job did not run for a while) is asked only the latest; returns how many questions were queued."""
    sent = 0
    with ctx.db.transaction() as session:
        cases = session.scalars(select(Case).where(Case.status.in_(IN_SCHOOL))
                                .options(selectinload(Case.area))).all()
        if not cases:
            return 0
        ids = [c.id for c in cases]
        enrolled: dict[int, CaseEvent] = {}
        for i in range(0, len(ids), 500):
            for event in session.scalars(select(CaseEvent).where(
                    CaseEvent.kind == "enrolled", CaseEvent.case_id.in_(ids[i:i + 500])).order_by(CaseEvent.id)):
                enrolled[event.case_id] = event  # the latest wins
        asked = _markers(session, "follow_up_asked", ids)
        for case in cases:
            event = enrolled.get(case.id)
            if event is None:
                continue
            since = event.at if event.at.tzinfo else event.at.replace(tzinfo=ctx.now.tzinfo)
            due = [d for d in FOLLOW_UP_DAYS if since + timedelta(days=d) <= ctx.now]
            done = {m.get("day") for m in asked.get(case.id, []) if m.get("enrolled_event") == event.id}
            if not due or any(d >= due[-1] for d in done if d is not None):
                continue
            day = due[-1]
            recorder = session.get(User, event.actor_id) if event.actor_id else None
            recipients = follow_up_recipients(session, case, recorder)
            _mark(session, case, "follow_up_asked", ctx.now,
                  {"day": day, "enrolled_event": event.id, "to": [u.id for u in recipients]})
            for user in recipients:
                queue_messages(session, user.line_user_id, [follow_up_message(case, day)])
                sent += 1
    return sent


# ------------------------------------------------------------------ stale cases

@job("stale-case-nudges", trigger=daily(9, 30), misfire_grace_time=3 * 3600, plans_pushes=True)
def nudge_stale_cases(ctx: JobContext) -> int:
    """A case waiting on someone (summary.AWAITING) unchanged for STALE_CASE_DAYS nudges its reporter
    once; unchanged for twice that, its coordinators once. "Once" is per spell: the markers name the
    case's updated_at, so a case that moves and goes stale again is nudged again. Cases without a
    reporter (imported) are not nudged and go to the coordinators at the escalation. Each person gets
    one message listing their cases; returns how many messages were queued."""
    days = int(ctx.config.get("STALE_CASE_DAYS", 14))
    nudge_before, escalate_before = ctx.now - timedelta(days=days), ctx.now - timedelta(days=2 * days)
    to_reporters: dict[int, list[Case]] = defaultdict(list)
    to_coordinators: dict[int, list[Case]] = defaultdict(list)
    users: dict[int, User] = {}
    with ctx.db.transaction() as session:
        cases = session.scalars(select(Case).where(
            Case.status.in_(AWAITING), Case.updated_at < nudge_before)
            .options(selectinload(Case.area), selectinload(Case.reporter)).order_by(Case.updated_at, Case.id)).all()
        if not cases:
            return 0
        ids = [c.id for c in cases]
        nudged, escalated = _markers(session, "stale_nudged", ids), _markers(session, "stale_escalated", ids)
        for case in cases:
            spell = case.updated_at.isoformat()
            touched = case.updated_at if case.updated_at.tzinfo else case.updated_at.replace(tzinfo=ctx.now.tzinfo)
            if touched < escalate_before:
                if any(m.get("since") == spell for m in escalated.get(case.id, [])):
                    continue
                coordinators = access.coordinators_covering(session, case.area)
                _mark(session, case, "stale_escalated", ctx.now, {"since": spell, "to": [u.id for u in coordinators]})
                for user in coordinators:
                    users[user.id] = user
                    to_coordinators[user.id].append(case)
            # A reporter is nudged only about cases they may still see: one handed to another area
            # (a child who moved) is that area's, and waits for its coordinators like an imported one.
            elif _reachable(case.reporter) and access.in_scope(case.reporter, case.area) \
                    and not any(m.get("since") == spell for m in nudged.get(case.id, [])):
                _mark(session, case, "stale_nudged", ctx.now, {"since": spell, "to": [case.reporter.id]})
                users[case.reporter.id] = case.reporter
                to_reporters[case.reporter.id].append(case)
        for user_id, mine in to_reporters.items():
            queue_messages(session, users[user_id].line_user_id, [TextMessage(text=_stale_text(
                f"เรื่องที่คุณแจ้งไว้ไม่มีความคืบหน้ามา {days} วันแล้วค่ะ", mine, ctx.now))])
        for user_id, theirs in to_coordinators.items():
            queue_messages(session, users[user_id].line_user_id, [TextMessage(text=_stale_text(
                f"เรื่องในพื้นที่ของคุณไม่มีความคืบหน้ามาเกิน {2 * days} วันแล้วค่ะ", theirs, ctx.now))])
    return len(to_reporters) + len(to_coordinators)


def _stale_text(head: str, cases: list[Case], now) -> str:
    lines = [f"{head} ({len(cases)} เรื่อง)"]
    for case in cases[:MAX_LISTED]:
        touched = case.updated_at if case.updated_at.tzinfo else case.updated_at.replace(tzinfo=now.tzinfo)
        lines.append(f"• {case.number} {STATUSES[case.status]} ({(now - touched).days} วัน)")
    if len(cases) > MAX_LISTED:
        lines.append(f"และอีก {len(cases) - MAX_LISTED} เรื่อง")
    lines.append("พิมพ์เลขเรื่องเพื่อดูและอัปเดตค่ะ")
    return "\n".join(lines)


# ------------------------------------------------------------------ the coordinators' morning summary

def summary_retry_key(user: User, day) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"daily-summary:{user.line_user_id}:{day.isoformat()}"))


@job("coordinator-daily-summary", trigger=daily(7, 30), misfire_grace_time=2 * 3600, plans_pushes=True)
def push_coordinator_summaries(ctx: JobContext) -> int:
    """At 07:30 Bangkok, each active coordinator (and admin) who follows the bot gets the "สรุปพื้นที่"
    card of their whole scope (handlers.area_summary.summary_card); once a day each (the outbox row's retry
    key is made from the user and the Bangkok date). Returns how many cards were queued."""
    day = ctx.now.astimezone(BANGKOK).date()
    overdue_days = ctx.config["SUMMARY_OVERDUE_DAYS"]
    sent = 0
    with ctx.db.transaction() as session:
        coordinators = session.scalars(select(User).where(
            User.role.in_(access.COORDINATORS), User.active, User.following).order_by(User.id)).all()
        for user in coordinators:
            key = summary_retry_key(user, day)
            if session.scalar(select(OutboxMessage.id).where(OutboxMessage.retry_key == key)) is not None:
                continue
            roots = access.scope_prefixes(user)
            if not roots:
                continue  # no area yet (an organisation without areas): nothing of theirs to sum up
            summary = summarise(session, roots, ctx.now, overdue_days)
            card = summary_card(summary, access.scope_label(user), format_thai_datetime(ctx.now), overdue_days,
                                deadline_progress(session, roots, ctx.now), None, None,
                                admin_budget(session, user, ctx.now))
            row = queue_messages(session, user.line_user_id, [card])
            row.retry_key = key
            sent += 1
    return sent
