""""ใครดูเรื่อง 2569-000123": who saw or changed one child's case, answered from the audit log.

For coordinators whose scope holds the case; asking is itself recorded. A case outside the scope
gets the same answer as a case that does not exist: its existence is not theirs to know.
"""
from __future__ import annotations

import re

from sqlalchemy import select

from chat.dispatcher import Context, Reply
from chat.menus import main_menu, requires
from domain import access, audit, people
from domain.thai import quote, to_ascii_digits
from domain.thai_dates import format_thai_datetime
from line.messages import text
from models import User, case_by_number

ASK = re.compile(r"^ใครดู(?:เรื่อง)?\s*(.*)$")
USAGE = "พิมพ์ \"ใครดูเรื่อง\" ตามด้วยเลขที่เรื่อง เช่น ใครดูเรื่อง 2569-000123"
SHOWN = 30  # the latest entries; the CLI (flask audit case) lists them all


def asks_who_looked(ctx: Context) -> bool:
    return ASK.match(ctx.text) is not None


@requires(*access.COORDINATORS)
def show_case_history(ctx: Context) -> Reply:
    number = ASK.match(ctx.text).group(1).strip()
    if not number:
        return [text(USAGE, *main_menu(ctx.user))]
    case = case_by_number(ctx.session, to_ascii_digits(number))
    if case is None or access.area_refusal(ctx.user, case.area):
        return [text(f"ไม่พบเรื่องเลขที่ {quote(number)} ในพื้นที่ของท่านค่ะ\n{USAGE}", *main_menu(ctx.user))]
    entries = audit.case_trail(ctx.session, case.id, case.area_code, case.created_at)
    audit.record_chat(ctx, "view_history", "case", case.id, area_code=case.area_code)
    actors = {user.id: user for user in ctx.session.scalars(
        select(User).where(User.id.in_({e.actor_id for e in entries if e.actor_id})))}
    lines = [f"ประวัติการเข้าถึงเรื่อง {case.number}",
             f"พื้นที่: {access.area_label(case.area) if case.area else 'ไม่ระบุ'}",
             f"ทั้งหมด {len(entries):,} รายการ" + (f" แสดง {SHOWN} รายการล่าสุด" if len(entries) > SHOWN else ""), ""]
    for entry in entries[-SHOWN:]:
        lines.append(f"• {format_thai_datetime(entry.at)} {_who(entry, actors)}: {_what(entry)}")
    return [text("\n".join(lines), *main_menu(ctx.user))]


def _who(entry, actors: dict[int, User]) -> str:
    user = actors.get(entry.actor_id)
    if user is not None:
        return f"{user.real_name or 'ผู้ใช้'} ({people.ROLE_LABELS.get(user.role, '-').split(' (')[0]})"
    return "ผู้ดูแลระบบ (คำสั่งระบบ)" if (entry.actor_label or "").startswith("cli:") else "ระบบ"


def _what(entry) -> str:
    what = audit.ACTIONS.get(entry.action, entry.action)
    if entry.action == "export":
        return f"{what} ({entry.detail.get('format', '').upper()}, {entry.detail.get('rows', 0):,} แถว)"
    return what
