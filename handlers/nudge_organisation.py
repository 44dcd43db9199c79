"""The deadline card a coordinator sees, with "เตือน" per laggard; the reminder an organisation's members get.

The card (on the set-deadline confirmation, and on "action=deadline-card", a button of "สรุปพื้นที่") shows organisations reported X
of Y and who has not, with their children still unchecked. Its "เตือน" buttons nudge one organisation's
members with the reminder the scheduler sends (scheduler/reminders.py), at most once a day per
organisation: the outbox row's retry key is made from the deadline, the organisation and the Bangkok day.
Every postback re-checks the role and that the organisation is a laggard of the deadline inside the
coordinator's scope; anything else (a forged id included) gets the refusal of a deadline that does not exist.
"""
from __future__ import annotations

import uuid
from datetime import date

from linebot.v3.messaging import FlexText, MessageAction, PostbackAction
from sqlalchemy import select

from chat.dispatcher import Context, Reply
from chat.menus import main_menu
from domain import access, audit
from domain.access import COORDINATORS
from domain.deadlines import (
    OrgProgress,
    Progress,
    current_deadline,
    members,
    progress,
    progress_lines,
    today_in_bangkok,
)
from domain.menu_labels import MENU_CHILDREN_TO_FIND, MENU_NO_MORE_CHILDREN
from domain.thai import parse_id
from domain.thai_dates import format_thai_date_digits
from line.messages import MAX_LABEL, Json, card, flex, text
from line.outbox import queue_multicast
from models import Deadline, OutboxMessage

NO_DEADLINE = "ตอนนี้ไม่มีกำหนดส่งที่เปิดอยู่ในพื้นที่ของท่านค่ะ"
NOT_YOURS = "ไม่พบกำหนดส่งนี้ หรือกำหนดส่งนี้ไม่ได้อยู่ในความรับผิดชอบของท่านค่ะ"
CARD_ACTION = "deadline-card"
NUDGE_ACTION = "deadline-nudge"
ZERO_ACTION = "deadline-zero"
NUDGE = "เตือน"
# Buttons on the card: one per laggard, the most unchecked first, and the rest counted in its lines.
NUDGE_BUTTONS = 5


def when_due(due_date: date, today: date) -> str:
    days = (due_date - today).days
    return {0: "วันนี้", 1: "พรุ่งนี้"}.get(days, f"อีก {days} วัน")


def gap_reminder(deadline: Deadline, org: OrgProgress, today: date) -> Json:
    """What an organisation's members get: its children still unchecked and the due date in Thai digits.
    The same for every member (no names), so it goes by multicast."""
    due = format_thai_date_digits(deadline.due_date)
    gap = (f"ยังไม่ได้ติดตาม {org.unchecked} คน ครบกำหนด {due}" if org.unchecked
           else f"ยังไม่ได้แจ้งผล ครบกำหนด {due}")
    buttons = [("primary", MessageAction(label=MENU_CHILDREN_TO_FIND, text=MENU_CHILDREN_TO_FIND))]
    if deadline.rule == "zero_allowed":
        buttons.append(("secondary", PostbackAction(label=MENU_NO_MORE_CHILDREN, displayText=MENU_NO_MORE_CHILDREN,
                                                    data=f"action={ZERO_ACTION}&deadline={deadline.id}")))
    hint = ("ติดตามเด็กในรายชื่อให้ครบทุกคน แล้วระบบจะนับว่ารายงานแล้วเอง"
            + (" หรือกด \"ไม่พบเด็กเพิ่มเติม\" หากไม่พบเด็กอีก" if deadline.rule == "zero_allowed" else ""))
    bubble = card("⏰ เตือนกำหนดส่งรายงาน", [
        ("เรื่อง", deadline.title), ("หน่วยงาน", org.organisation.name),
        ("สถานะ", f"{gap} ({when_due(deadline.due_date, today)})"),
        FlexText(text=hint, size="sm", color="#666666", wrap=True)], buttons)
    return flex(f"{deadline.title}: {gap}", bubble)


def deadline_card(result: Progress, *choices) -> Json:
    """The progress lines, and a "เตือน" button for each of the first laggards."""
    deadline = result.deadline
    buttons = [("secondary", PostbackAction(
        label=f"{NUDGE} {org.organisation.name}"[:MAX_LABEL], displayText=f"{NUDGE} {org.organisation.name}",
        data=f"action={NUDGE_ACTION}&deadline={deadline.id}&org={org.organisation.id}"))
        for org in result.laggards[:NUDGE_BUTTONS]]
    lines = progress_lines(result, shown=NUDGE_BUTTONS)
    return flex(" ".join(lines), card("การรายงานตามกำหนด", [FlexText(text=line, size="sm", wrap=True) for line in lines],
                                                      buttons), *choices)


def deadline_in_scope(ctx: Context) -> Deadline | None:
    """The postback's deadline when one of its audience lies in the coordinator's scope, else None (audited)."""
    deadline_id = parse_id(ctx.postback.get("deadline"))
    deadline = ctx.session.get(Deadline, deadline_id) if deadline_id else None
    if deadline is None or not scoped(ctx, deadline).organisations:
        audit.record_chat(ctx, "denied", "deadline", ctx.postback.get("deadline", "")[:64])
        return None
    return deadline


def scoped(ctx: Context, deadline: Deadline) -> Progress:
    roots = access.scope_prefixes(ctx.user)
    return progress(ctx.session, deadline, None if roots == access.WHOLE_COUNTRY else roots)


def show_deadline_card(ctx: Context) -> Reply:
    """ "action=deadline-card&deadline=ID": the card of the coordinator's part of the deadline; without an
    id (the button on "สรุปพื้นที่"), of the current deadline in their scope."""
    reason = access.refusal(ctx.user, COORDINATORS)
    if reason:
        return [text(reason, *main_menu(ctx.user))]
    if "deadline" not in ctx.postback:
        deadline = current_deadline(ctx.session, access.scope_prefixes(ctx.user), ctx.now)
        if deadline is None or not scoped(ctx, deadline).organisations:
            return [text(NO_DEADLINE, *main_menu(ctx.user))]
    else:
        deadline = deadline_in_scope(ctx)
    if deadline is None:
        return [text(NOT_YOURS, *main_menu(ctx.user))]
    audit.record_chat(ctx, "deadline_progress", "deadline", deadline.id)
    return [deadline_card(scoped(ctx, deadline), *main_menu(ctx.user))]


def nudge_key(deadline: Deadline, org_id: int, day: date) -> str:
    # With the deadline's creation time: ids start again in a new database, LINE's retry keys do not.
    made = deadline.created_at.isoformat()
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"deadline-nudge:{deadline.id}:{made}:{org_id}:{day.isoformat()}"))


def nudge_organisation(ctx: Context) -> Reply:
    """ "เตือน" on the card: the laggard organisation's members get the reminder now, once a day."""
    reason = access.refusal(ctx.user, COORDINATORS)
    if reason:
        return [text(reason, *main_menu(ctx.user))]
    deadline = deadline_in_scope(ctx)
    org_id = parse_id(ctx.postback.get("org"))
    laggard = next((org for org in scoped(ctx, deadline).laggards if org.organisation.id == org_id),
                   None) if deadline is not None else None
    if laggard is None:
        if deadline is not None:
            audit.record_chat(ctx, "denied", "organisation", ctx.postback.get("org", "")[:64], deadline=deadline.id)
        return [text(NOT_YOURS, *main_menu(ctx.user))]
    name, today = laggard.organisation.name, today_in_bangkok(ctx.now)
    key = nudge_key(deadline, org_id, today)
    if ctx.session.scalar(select(OutboxMessage.id).where(OutboxMessage.retry_key == key)) is not None:
        return [text(f"วันนี้เตือน {name} ไปแล้วค่ะ เตือนได้อีกครั้งพรุ่งนี้", *main_menu(ctx.user))]
    recipients = list(ctx.session.scalars(members(deadline, laggard.organisation)))
    if not recipients:
        return [text(f"{name} ยังไม่มีผู้ใช้ที่ลงทะเบียนและรับการแจ้งเตือนได้ค่ะ", *main_menu(ctx.user))]
    queue_multicast(ctx.session, recipients, [gap_reminder(deadline, laggard, today)], retry_key=key)
    audit.record_chat(ctx, "deadline_nudge", "organisation", org_id, deadline=deadline.id, recipients=len(recipients))
    return [text(f"ส่งคำเตือนถึง {name} แล้ว {len(recipients)} คนค่ะ", *main_menu(ctx.user))]
