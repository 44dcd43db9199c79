""""สรุปพื้นที่": a coordinator's area at a glance, as a Flex card they can drill into.

Totals by status, the sub-areas one level down with the most children still to find or not found
first, the cases nobody has touched for SUMMARY_OVERDUE_DAYS, the students still in class that the
schools watch (once any school the coordinator may see has a watch list), and the reporting progress
against the current deadline. Tapping a sub-area sends a postback with its code,
which is checked against the coordinator's scope again: a forged one for another area is refused. With
LIFF_ID set, "เปิดแดชบอร์ด" opens the coordinators' dashboard (a LIFF page) at the card's area.
Every summary shown is recorded in the audit log.
"""
from __future__ import annotations

from datetime import datetime

from linebot.v3.messaging import (
    FlexBox,
    FlexButton,
    FlexComponent,
    FlexSeparator,
    FlexText,
    PostbackAction,
    URIAction,
)
from sqlalchemy.orm import Session

from chat.dispatcher import Context, Reply
from chat.menus import main_menu, requires
from domain import access, audit, people
from domain.menu_labels import MENU_EXPORT_REPORT, MENU_OPEN_DASHBOARD
from domain.summary import LEVEL_WORDS, Summary, deadline_progress, summarise
from domain.thai_dates import format_thai_datetime
from domain.watch_numbers import WatchNumbers, watch_numbers
from line import liff, notices
from line.messages import MAX_LABEL, Json, area_bubble, flex, text, with_quick_replies
from models import STATUSES, User

TITLE = "สรุปพื้นที่"
MAX_SUB_AREAS = 10  # rows on the card; the rest are counted below them
GREY, RED, LINK = "#888888", "#C62828", "#1565C0"
DEADLINE_CARD_LABEL = "ดูการรายงาน/เตือน"
WATCH_HEADING = "เฝ้าระวังนักเรียนเสี่ยง"


@requires(*access.COORDINATORS)
def show_area_summary(ctx: Context) -> Reply:
    """"สรุปพื้นที่": the summary of the coordinator's whole scope."""
    return summary_reply(ctx, access.scope_prefixes(ctx.user), access.scope_label(ctx.user), None)


@requires(*access.COORDINATORS)
def drill_into_area(ctx: Context) -> Reply:
    """A sub-area tapped on the card (postback action=summary&area=CODE): its own summary."""
    code = ctx.postback.get("area")
    if not code:
        return show_area_summary(ctx)
    area = area_in_scope(ctx, code, "summary")
    if area is None:
        return [text(access.OUT_OF_SCOPE, *main_menu(ctx.user))]
    return summary_reply(ctx, (area.code,), access.area_label(area), area.code)


def area_in_scope(ctx: Context, code: str, what: str):
    """The area `code` names if it lies in the user's scope, else None (and the attempt is audited:
    a code outside the scope in a postback was not offered to this user)."""
    area = people.find_area(ctx.session, code) if code.isdigit() else None
    if area is None or not access.in_scope(ctx.user, area):
        audit.record_chat(ctx, "denied", "area", code[:64], area_code=area.code if area else None, wanted=what)
        return None
    return area


def summary_reply(ctx: Context, roots: tuple[str, ...], label: str, area_code: str | None) -> Reply:
    summary = summarise(ctx.session, roots, ctx.now, ctx.config["SUMMARY_OVERDUE_DAYS"])
    watched = watch_numbers(ctx.session, roots, ctx.user)
    audit.record_chat(ctx, "summary", "area", area_code or "scope", area_code=area_code, scope=list(roots),
                      cases=summary.counts.total, students=watched["screened"])
    progress = deadline_progress(ctx.session, roots, ctx.now)
    card = summary_card(summary, label, format_thai_datetime(ctx.now), ctx.config["SUMMARY_OVERDUE_DAYS"],
                        progress, area_code, up_action(ctx, area_code), admin_budget(ctx.session, ctx.user, ctx.now),
                        watched, liff.dashboard_url(ctx.config["LIFF_ID"], area=area_code))
    return [with_quick_replies(card, *main_menu(ctx.user))]


def admin_budget(session: Session, user: User, now: datetime) -> str | None:
    """The push budget line, for admins only (they answer for the LINE bill)."""
    return notices.budget(session, now).thai() if user.role == "admin" else None


def up_action(ctx: Context, area_code: str | None) -> PostbackAction | None:
    """Back up one level from a drilled-into area: to its parent when that is in scope, else to the whole scope."""
    if area_code is None:
        return None
    parent = area_code[:-2]
    prefixes = access.scope_prefixes(ctx.user)
    if parent and access.code_in_scope(prefixes, parent):
        return PostbackAction(label="ขึ้นไประดับบน", data=f"action=summary&area={parent}", displayText="ขึ้นไประดับบน")
    return PostbackAction(label="ทั้งพื้นที่ของฉัน", data="action=summary", displayText="สรุปทั้งพื้นที่ของฉัน")


# ----------------------------------------------------------------------------- the card

def summary_card(summary: Summary, label: str, as_of: str, overdue_days: int, progress: list[str],
                 area_code: str | None, up: PostbackAction | None, budget: str | None = None,
                 watched: WatchNumbers | None = None, dashboard: str | None = None) -> Json:
    """`budget`: the month's pushes against the allowance (line.notices.Budget.thai), on admins' cards;
    `watched`: the numbers of the students on the watch lists the user may see there, shown when any;
    `dashboard`: the dashboard's LIFF URL at this area (line.liff.dashboard_url), None when it is off."""
    counts = summary.counts
    body: list[FlexComponent] = [
        FlexText(text=f"ทั้งหมด {counts.total:,} คน", weight="bold", size="xl"),
        *status_rows(summary),
        FlexSeparator(margin="lg"),
        *overdue_section(summary, overdue_days),
    ]
    if watched is not None and watched.any:
        body += [FlexSeparator(margin="lg"), *watch_section(watched)]
    if progress:
        body += [FlexSeparator(margin="lg"), FlexText(text="การรายงานตามกำหนด", weight="bold", margin="lg"),
                 *(FlexText(text=line, size="sm", wrap=True) for line in progress)]
    if summary.sub_areas:
        body += [FlexSeparator(margin="lg"), *sub_area_section(summary)]
    if budget:
        body += [FlexSeparator(margin="lg"), FlexText(text=budget, size="xs", color=GREY, wrap=True, margin="lg")]
    export = PostbackAction(label=MENU_EXPORT_REPORT, displayText=MENU_EXPORT_REPORT,
                            data="action=export" + (f"&area={area_code}" if area_code else ""))
    buttons = [FlexButton(style="primary", height="sm", action=export)]
    if dashboard:
        buttons.append(FlexButton(style="secondary", height="sm",
                                  action=URIAction(label=MENU_OPEN_DASHBOARD, uri=dashboard)))
    if progress:  # the deadline's card: the laggards, each with "เตือน" (handlers/nudge_organisation.py)
        buttons.append(FlexButton(style="secondary", height="sm", action=PostbackAction(
            label=DEADLINE_CARD_LABEL, displayText=DEADLINE_CARD_LABEL, data="action=deadline-card")))
    if up is not None:
        buttons.append(FlexButton(style="secondary", height="sm", action=up))
    bubble = area_bubble(TITLE, label, as_of, body, buttons)
    alt = (f"{TITLE} {label}: ทั้งหมด {counts.total:,} คน ยังไม่พบตัว {counts.missing:,} คน "
           f"เกินกำหนด {counts.overdue:,} เรื่อง")
    if watched is not None and watched.any:
        alt += f" นักเรียนเฝ้าระวัง {watched['followed']:,} คน"
    return flex(alt, bubble)


def status_rows(summary: Summary) -> list[FlexComponent]:
    if not summary.counts.total:
        return [FlexText(text="ยังไม่มีข้อมูลเด็กในพื้นที่นี้", size="sm", color=GREY, wrap=True)]
    return [row(label, f"{summary.counts.by_status[status]:,}")
            for status, label in STATUSES.items() if summary.counts.by_status.get(status)]


def watch_section(watched: WatchNumbers) -> list[FlexComponent]:
    """The students still in class whom their schools follow (domain/watch_numbers.py)."""
    return [FlexText(text=WATCH_HEADING, weight="bold", margin="lg"),
            *(row(label, f"{count:,}") for _, label, count in watched.lines())]


def overdue_section(summary: Summary, overdue_days: int) -> list[FlexComponent]:
    overdue = summary.counts.overdue
    lines: list[FlexComponent] = [
        FlexText(text=f"เกินกำหนด {overdue:,} เรื่อง", weight="bold", color=RED if overdue else None, margin="lg"),
        FlexText(text=f"(รอดำเนินการและไม่มีความเคลื่อนไหวเกิน {overdue_days} วัน)", size="xs", color=GREY,
                 wrap=True),
    ]
    for case in summary.oldest_overdue:
        where = next((f" {a.name}" for a in summary.sub_areas
                      if a.code and case.area_code and case.area_code.startswith(a.code)), "")
        # Tapping the number opens the case (show_case checks the scope again).
        opens = PostbackAction(label=case.number, data=f"action=case&case={case.case_id}",
                               displayText=f"ดูเรื่อง {case.number}")
        lines.append(FlexText(text=f"• {case.number}{where} ({case.days} วัน)", size="sm", wrap=True, color=LINK,
                              action=opens))
    return lines


def sub_area_section(summary: Summary) -> list[FlexComponent]:
    heading = f"แยกตาม{LEVEL_WORDS[summary.sub_level]}" if summary.sub_level else "แยกตามพื้นที่"
    shown = summary.sub_areas[:MAX_SUB_AREAS]
    parts: list[FlexComponent] = [
        FlexText(text=heading, weight="bold", margin="lg"),
        FlexText(text="ยังไม่พบตัวมากที่สุดก่อน แตะชื่อเพื่อดูรายละเอียด", size="xs", color=GREY, wrap=True),
        table_row("พื้นที่", "ยังไม่พบ", "เกินกำหนด", "รวม", color=GREY),
    ]
    for sub in shown:
        action = None
        if sub.drillable:
            action = PostbackAction(label=sub.name[:MAX_LABEL], data=f"action=summary&area={sub.code}",
                                    displayText=f"{TITLE} {sub.name}")
        parts.append(table_row(sub.name, f"{sub.counts.missing:,}", f"{sub.counts.overdue:,}",
                               f"{sub.counts.total:,}", color=LINK if action else None, action=action))
    if len(summary.sub_areas) > len(shown):
        parts.append(FlexText(text=f"…และอีก {len(summary.sub_areas) - len(shown):,} พื้นที่", size="xs",
                              color=GREY))
    return parts


def row(label: str, value: str) -> FlexBox:
    return FlexBox(layout="baseline", contents=[
        FlexText(text=label, size="sm", color=GREY, flex=5),
        FlexText(text=value, size="sm", align="end", flex=2),
    ])


def table_row(name: str, missing: str, overdue: str, total: str, color: str | None = None,
              action: PostbackAction | None = None) -> FlexBox:
    heading = color == GREY  # the column names: small, and wrapped rather than cut
    return FlexBox(layout="horizontal", action=action, contents=[
        FlexText(text=name, size="xs" if heading else "sm", color=color, flex=5, gravity="bottom"),
        *(FlexText(text=value, size="xs" if heading else "sm", align="end", flex=2, color=color if heading else None,
                   wrap=heading, gravity="bottom") for value in (missing, overdue, total)),
    ])
