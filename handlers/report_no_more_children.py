""""ไม่พบเด็กเพิ่มเติม": a member files their organisation's zero report for a deadline that allows one.

From the reminder's button (a postback naming the deadline) or typed (every open deadline of theirs that
allows it). The report counts for the member's organisation (domain.deadlines.file_zero_report) and is
audited. A deadline that is not theirs, or a forged id, gets the refusal of one that does not exist.
"""
from __future__ import annotations

from chat.dispatcher import Context, Reply
from chat.menus import main_menu
from domain import access, audit
from domain.access import REPORTERS
from domain.deadlines import file_zero_report, open_deadlines, organisations_of
from domain.thai import parse_id
from handlers.nudge_organisation import NOT_YOURS
from line.messages import text
from models import Deadline, Organisation

ALL_CHECKED_ONLY = ("กำหนดส่ง \"{title}\" นับว่ารายงานแล้วเมื่อติดตามเด็กในรายชื่อครบทุกคนค่ะ "
                    "กรุณาเช็กอินเด็กที่เหลือใน \"รายชื่อที่ต้องติดตาม\"")
NO_OPEN_DEADLINE = "ตอนนี้ไม่มีกำหนดส่งที่หน่วยงานของท่านแจ้งว่าไม่พบเด็กเพิ่มเติมได้ค่ะ"


def report_from_reminder(ctx: Context) -> Reply:
    """The reminder's "ไม่พบเด็กเพิ่มเติม" button: this deadline only."""
    reason = access.refusal(ctx.user, REPORTERS)
    if reason:
        return [text(reason, *main_menu(ctx.user))]
    deadline_id = parse_id(ctx.postback.get("deadline"))
    deadline = ctx.session.get(Deadline, deadline_id) if deadline_id else None
    orgs = organisations_of(ctx.session, ctx.user, deadline) if deadline is not None else []
    if not orgs:
        audit.record_chat(ctx, "denied", "deadline", ctx.postback.get("deadline", "")[:64])
        return [text(NOT_YOURS, *main_menu(ctx.user))]
    if deadline.rule != "zero_allowed":
        return [text(ALL_CHECKED_ONLY.format(title=deadline.title), *main_menu(ctx.user))]
    return [text(file_for(ctx, deadline, orgs), *main_menu(ctx.user))]


def report_typed(ctx: Context) -> Reply:
    """Typed: every open deadline of the member's organisation that allows a zero report."""
    reason = access.refusal(ctx.user, REPORTERS)
    if reason:
        return [text(reason, *main_menu(ctx.user))]
    answers = [file_for(ctx, deadline, orgs) for deadline in open_deadlines(ctx.session, ctx.now)
               if deadline.rule == "zero_allowed" and (orgs := organisations_of(ctx.session, ctx.user, deadline))]
    return [text("\n\n".join(answers) or NO_OPEN_DEADLINE, *main_menu(ctx.user))]


def file_for(ctx: Context, deadline: Deadline, orgs: list[Organisation]) -> str:
    # Someone in one organisation files for it; a village head without one, for the first covering their
    # area (the one a second tap would find filed).
    org = orgs[0]
    if not file_zero_report(ctx.session, deadline, ctx.user, org, ctx.now):
        return f"บันทึกไว้แล้วค่ะว่า {org.name} ไม่พบเด็กเพิ่มเติมสำหรับ \"{deadline.title}\""
    audit.record_chat(ctx, "zero_report", "deadline", deadline.id, organisation=org.id)
    return f"ขอบคุณค่ะ บันทึกแล้วว่า {org.name} ไม่พบเด็กเพิ่มเติมสำหรับ \"{deadline.title}\" นับว่ารายงานแล้ว"
