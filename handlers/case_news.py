"""The reporter hears back: when a case they reported changes in a way that matters, one short push
naming the case number and the child's first name only (no ID, no surname, nothing of the family),
through line.notices.notify (their setting, once a day then the evening digest, the push budget).

handlers.act_on_case.move() calls tell_reporter for every history line a chat action records.
Nobody is told of their own action, nor about a case they may no longer see (handed to another area,
or their own area changed). A safeguarding case's news is urgent: it is pushed whatever the setting.
"""
from __future__ import annotations

from linebot.v3.messaging import PostbackAction

from chat.dispatcher import Context
from domain import access
from line.messages import text
from line.notices import notify
from models import STATUSES, Case

# The history lines the reporter hears about, in the words of the notice ({status}: the case's new status).
NEWS = {
    "checked_in": "มีผู้ไปเยี่ยมบ้านแล้ว ({status})",
    "referral_accepted": "หน่วยงานรับเรื่องแล้ว",
    "enrolled": "กลับเข้าเรียนแล้ว",
    "follow_up": "ติดตามผลแล้ว ยังเรียนอยู่",
    "closed": "ปิดเรื่องแล้ว",
}


def news_line(case: Case, kind: str) -> str:
    child = f"น้อง{case.first_name}" if case.first_name else "น้อง"
    return f"📣 เรื่อง {case.number} ({child}): {NEWS[kind].format(status=STATUSES[case.status])}"


def tell_reporter(ctx: Context, case: Case, kind: str) -> None:
    """Tell the case's reporter what `kind` (a history line just recorded by ctx.user) means for it."""
    reporter = case.reporter
    if kind not in NEWS or reporter is None or reporter.id == ctx.user.id:
        return
    if not (access.may_receive_personal(reporter) and reporter.following and access.in_scope(reporter, case.area)):
        return
    line = news_line(case, kind)
    look = PostbackAction(label="ดูเรื่อง", data=f"action=case&case={case.id}", displayText="ดูเรื่อง")
    notify(ctx.session, reporter, "case_update", [text(line, look)], line=line, case=case, urgent=case.urgent,
           now=ctx.now)
