""""เรื่องที่ฉันแจ้ง": the status of every child the user reported or checked in, newest change first.

Only cases the user may see today: one handed to another area (a child who moved) or left behind
when the user's own area changed is that area's now. A report kept for another area's
coordinators (models.OutsideReport) is not a history line, so it never makes their case one of these.
"""
from __future__ import annotations

import math

from linebot.v3.messaging import PostbackAction
from sqlalchemy import func, or_, select

from chat.dispatcher import Context, Reply
from chat.menus import main_menu, requires
from domain.access import REPORTERS, visible_area_filter
from domain.menu_labels import MENU_REPORT_CHILD
from domain.thai_dates import BANGKOK, format_thai_date
from handlers.act_on_case import viewed
from handlers.children_to_find import NEXT
from line.messages import MAX_QUICK_REPLIES, text
from models import STATUSES, Area, Case, CaseEvent, User

PAGE_SIZE = 10
# The history lines that make a case one of "mine".
MINE = ("reported", "reported_again", "checked_in")


def my_cases(user: User):
    reported = select(CaseEvent.case_id).where(CaseEvent.actor_id == user.id, CaseEvent.kind.in_(MINE))
    return (select(Case).outerjoin(Area, Case.area_id == Area.id).where(visible_area_filter(user))
            .where(or_(Case.reporter_id == user.id, Case.id.in_(reported))))


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
    cases = list(ctx.session.scalars(stmt.order_by(Case.updated_at.desc(), Case.id.desc())
                                     .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
    viewed(ctx, cases, "my_reports")
    lines = [f"เรื่องที่ท่านแจ้ง {total:,} เรื่อง (หน้า {page}/{pages})"]
    for number, case in enumerate(cases, start=(page - 1) * PAGE_SIZE + 1):
        updated = format_thai_date(case.updated_at.astimezone(BANGKOK).date())
        lines.append(f"{number}. {case.number} {case.full_name}\n   {STATUSES[case.status]} (อัปเดต {updated})")
    lines.append("พิมพ์เลขที่เรื่อง เช่น " + cases[0].number + " เพื่อดูรายละเอียด")
    more = [PostbackAction(label=NEXT, data=f"action=mine&page={page + 1}", displayText=NEXT)] if page < pages else []
    return [text("\n".join(lines), *[*more, *main_menu(ctx.user)][:MAX_QUICK_REPLIES])]
