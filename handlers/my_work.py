""""งานของฉัน": the cases I own and may still see, and the hand-overs waiting for my answer.

Urgent cases first (a safeguarding reason), then those past their status's deadline (oldest late
first), then by how long they have been in their status; closed cases are done and left out. Ten
cards a page with "ถัดไป", each with "ดูเรื่อง" (or type the case number). The hand-overs waiting
(handlers/own_case.py) follow on the first page with their "รับเรื่อง" / "ไม่รับ" buttons. Each page
is audited as a view of its cases.
"""
from __future__ import annotations

import math

from linebot.v3.messaging import PostbackAction
from sqlalchemy import func, select

from chat.dispatcher import Context, Reply
from chat.menus import main_menu, requires
from domain.access import REPORTERS, visible_area_filter
from domain.thai_dates import BANGKOK, format_thai_date
from handlers.act_on_case import viewed
from handlers.children_to_find import NEXT
from handlers.own_case import shared, transfer_bubble, waiting_for
from line.messages import MAX_QUICK_REPLIES, card, flex, text
from models import STATUSES, Area, Case, User

PAGE_SIZE = 10  # cards per carousel (LINE allows 12)
NOTHING = ("ท่านยังไม่มีงานที่รับผิดชอบค่ะ กด \"รับเรื่องนี้\" บนการ์ดของเด็กที่ท่านจะติดตาม "
           "หรือรอผู้ประสานงานมอบหมาย")


def my_work(user: User):
    """The cases `user` owns and may see, in the order they should be worked on."""
    return (select(Case).outerjoin(Area, Case.area_id == Area.id).where(visible_area_filter(user))
            .where(Case.owner_id == user.id, Case.status != "closed")
            .order_by(Case.urgent.desc(), Case.late_since.is_(None), Case.late_since, Case.status_since, Case.id))


def thai_day(moment) -> str:
    return format_thai_date(moment.astimezone(BANGKOK).date())


def work_bubble(case: Case):
    rows = [("เลขที่เรื่อง", case.number), ("สถานะ", STATUSES[case.status])]
    if case.status_since:
        rows.append(("ตั้งแต่", thai_day(case.status_since)))
    if case.late_since:
        rows.append(("เกินกำหนด", f"ตั้งแต่ {thai_day(case.late_since)}"))
    title = f"{'🚨 ด่วน ' if case.urgent else ''}{case.full_name or case.number}"
    button = PostbackAction(label="ดูเรื่อง", data=f"action=case&case={case.id}", displayText="ดูเรื่อง")
    return card(title, rows, [("primary" if case.urgent else "secondary", button)], size="kilo")


@requires(*REPORTERS)
def show_my_work(ctx: Context) -> Reply:
    """The first page, or the page a "ถัดไป" button names."""
    stmt = my_work(ctx.user)
    total = ctx.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    pages = max(1, math.ceil(total / PAGE_SIZE))
    try:
        page = min(max(1, int(ctx.postback.get("page", "1"))), pages)
    except ValueError:
        page = 1
    waiting = waiting_for(ctx.session, ctx.user)[:PAGE_SIZE] if page == 1 else []
    if not total and not waiting:
        return [text(NOTHING, *main_menu(ctx.user))]
    cases = list(ctx.session.scalars(stmt.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
    viewed(ctx, cases, "my_work")
    for transfer in waiting:
        shared(ctx, transfer, ctx.user)
    more = [PostbackAction(label=NEXT, data=f"action=work&page={page + 1}", displayText=NEXT)] if page < pages else []
    choices = [*more, *main_menu(ctx.user)][:MAX_QUICK_REPLIES]
    heading = f"งานของฉัน: {total:,} เรื่อง (หน้า {page}/{pages})"
    if waiting:
        heading += f"\nรอคำตอบจากท่าน {len(waiting):,} เรื่อง (ด้านล่าง)"
    if cases:
        heading += f"\nพิมพ์เลขที่เรื่อง เช่น {cases[0].number} เพื่อดูรายละเอียด"
    carousels = [(heading.splitlines()[0], [work_bubble(case) for case in cases]) if cases else None,
                 ("รอคำตอบจากท่าน", [transfer_bubble(transfer) for transfer in waiting]) if waiting else None]
    carousels = [shown for shown in carousels if shown]
    return [text(heading), *(flex(alt, shown, *(choices if shown is carousels[-1][1] else ()))
                             for alt, shown in carousels)]
