""""เรื่องที่ฉันแจ้ง": every child the user reported or checked in, each with its timeline, urgent
cases first, then the newest change.

A carousel of one bubble per case (PAGE_SIZE a page, "ถัดไป" for the next): the case number, name,
status, and the history lines in Thai with their dates in พ.ศ. (case_details.event_text), the latest
MAX_EVENTS of them, and a "ดูเรื่อง" button.

Only cases the user may see today: one handed to another area (a child who moved) or left behind
when the user's own area changed is that area's now. A report kept for another area's
coordinators (models.OutsideReport) is not a history line, so it never makes their case one of these.
"""
from __future__ import annotations

import math
from collections import defaultdict

from linebot.v3.messaging import FlexBubble, PostbackAction
from sqlalchemy import func, or_, select

from chat.dispatcher import Context, Reply
from chat.menus import main_menu, requires
from domain.access import REPORTERS, visible_area_filter
from domain.case_timeline import LATER_REPORTS
from domain.menu_labels import MENU_REPORT_CHILD
from handlers.act_on_case import viewed
from handlers.case_details import event_text
from handlers.children_to_find import NEXT
from line.messages import MAX_QUICK_REPLIES, card, flex, text
from models import STATUSES, Area, Case, CaseEvent, User

PAGE_SIZE = 10  # bubbles a page (LINE allows 12 in a carousel)
MAX_EVENTS = 8  # history lines a bubble shows, the latest; the older ones are counted
# The history lines that make a case one of "mine".
MINE = ("reported", *LATER_REPORTS, "checked_in")


def my_cases(user: User):
    reported = select(CaseEvent.case_id).where(CaseEvent.actor_id == user.id, CaseEvent.kind.in_(MINE))
    return (select(Case).outerjoin(Area, Case.area_id == Area.id).where(visible_area_filter(user))
            .where(or_(Case.reporter_id == user.id, Case.id.in_(reported))))


def timeline_bubble(case: Case, events: list[CaseEvent]) -> FlexBubble:
    lines = [event_text(e) for e in events[-MAX_EVENTS:]]
    if len(events) > MAX_EVENTS:
        lines.insert(0, f"…และก่อนหน้านี้อีก {len(events) - MAX_EVENTS} รายการ")
    rows = [("สถานะ", ("🚨 เร่งด่วน · " if case.urgent else "") + STATUSES[case.status]),
            ("ความคืบหน้า", "\n".join(lines) or "-")]
    look = PostbackAction(label="ดูเรื่อง", data=f"action=case&case={case.id}", displayText="ดูเรื่อง")
    return card(f"{case.number} {case.full_name}", rows, [("secondary", look)])


@requires(*REPORTERS)
def show_my_reports(ctx: Context) -> Reply:
    """The first page, or the page a "ถัดไป" button names."""
    stmt = my_cases(ctx.user)
    total = ctx.session.scalar(select(func.count()).select_from(stmt.subquery()))
    if not total:
        return [text(f"ท่านยังไม่มีเรื่องที่แจ้งค่ะ เมื่อพบเด็ก เลือก \"{MENU_REPORT_CHILD}\" ได้เลย",
                     *main_menu(ctx.user))]
    pages = math.ceil(total / PAGE_SIZE)
    try:
        page = min(max(1, int(ctx.postback.get("page", "1"))), pages)
    except ValueError:
        page = 1
    cases = list(ctx.session.scalars(stmt.order_by(Case.urgent.desc(), Case.updated_at.desc(), Case.id.desc())
                                     .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
    viewed(ctx, cases, "my_reports")
    history: dict[int, list[CaseEvent]] = defaultdict(list)
    for event in ctx.session.scalars(select(CaseEvent).where(CaseEvent.case_id.in_([c.id for c in cases]))
                                     .order_by(CaseEvent.id)):
        history[event.case_id].append(event)
    heading = f"เรื่องที่ท่านแจ้ง {total:,} เรื่อง (หน้า {page}/{pages})"
    more = [PostbackAction(label=NEXT, data=f"action=mine&page={page + 1}", displayText=NEXT)] if page < pages else []
    alt = heading + ": " + ", ".join(c.number for c in cases)
    return [flex(alt, [timeline_bubble(c, history[c.id]) for c in cases],
                 *[*more, *main_menu(ctx.user)][:MAX_QUICK_REPLIES])]
