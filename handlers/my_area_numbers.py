""""ตัวเลขพื้นที่ของฉัน": the counts the ministry's form asks for, for the user's own scope (their area, or
their organisation's areas), as a Flex card dated in Bangkok time (พ.ศ.).

Its quick replies give the same counts as a plain text ready to paste into the form, one count a line
("คัดลอกข้อความ"), and the file of the scope's children ("ส่งออกไฟล์", the export of
handlers/export_report.py: national IDs masked for all but province coordinators and admins). Every
registered role may ask; a user with no scope gets access.NO_SCOPE. A postback may name one area inside
the scope (action=numbers&area=CODE): checked again like the summary card's drill-down, one outside it is
refused and audited. Every view, card or text, is audited. When an open deadline of the user's organisation
carries the ministry's Google Form, the card opens it pre-filled with these counts.
"""
from __future__ import annotations

from linebot.v3.messaging import (
    FlexBox,
    FlexButton,
    FlexComponent,
    FlexText,
    PostbackAction,
    URIAction,
)

from chat.dispatcher import Context, Reply
from chat.menus import main_menu, requires
from domain import access, audit
from domain.area_numbers import PARTS, AreaNumbers, count_area_numbers, prefilled_form_url
from domain.deadlines import open_deadlines, organisations_of
from domain.menu_labels import MENU_COPY_NUMBERS, MENU_EXPORT_FILE, MENU_MY_AREA_NUMBERS, MENU_OPEN_FORM
from domain.thai_dates import format_thai_datetime
from handlers.area_summary import area_in_scope
from line.messages import Json, area_bubble, flex, text

ACTION = "numbers"
TITLE = MENU_MY_AREA_NUMBERS
GREY = "#888888"
REPORTED_NOTE = ("นับรวมเด็กที่แจ้งพบจากพื้นที่ (ไม่อยู่ในรายชื่อ) ในทุกบรรทัดที่เกี่ยวข้อง "
                 "คำนวณจากข้อมูลในระบบ ณ เวลาที่แสดง")


@requires(*access.REPORTERS)
def show_my_area_numbers(ctx: Context) -> Reply:
    """The menu word, or a postback action=numbers[&area=CODE][&as=text]: the card, or the text to paste."""
    roots = access.scope_prefixes(ctx.user)
    if not roots:
        return [text(access.NO_SCOPE, *main_menu(ctx.user))]
    label, code = access.scope_label(ctx.user), ctx.postback.get("area")
    if code:
        area = area_in_scope(ctx, code, "numbers")
        if area is None:
            return [text(access.OUT_OF_SCOPE, *main_menu(ctx.user))]
        roots, label = (area.code,), access.area_label(area)
    numbers = count_area_numbers(ctx.session, roots)
    as_text = ctx.postback.get("as") == "text"
    audit.record_chat(ctx, "numbers", "area", code or "scope",
                      area_code=roots[0] if len(roots) == 1 and roots[0] else None, scope=list(roots),
                      shown="text" if as_text else "card", on_list=numbers["on_list"], reported=numbers["reported"])
    as_of, choices = format_thai_datetime(ctx.now), numbers_choices(ctx, roots[0] if code else None)
    if as_text:
        return [text(numbers.as_text([TITLE, label, f"ข้อมูล ณ {as_of}"]), *choices)]
    return [numbers_card(numbers, label, as_of, choices, form_link=None if code else form_link(ctx, numbers))]


def form_link(ctx: Context, numbers: AreaNumbers) -> str | None:
    """The pre-filled Google Form of the nearest open deadline that reminds this user's organisation and
    carries a form: the officer checks the answers and submits it themselves."""
    for deadline in open_deadlines(ctx.session, ctx.now):
        if deadline.form_url and organisations_of(ctx.session, ctx.user, deadline):
            return prefilled_form_url(deadline.form_url, deadline.form_fields or {}, numbers)
    return None


def numbers_choices(ctx: Context, area_code: str | None) -> list:
    """The card's quick replies: the text, the file, then the user's menu (LINE shows at most 13)."""
    area = f"&area={area_code}" if area_code else ""
    copy = PostbackAction(label=MENU_COPY_NUMBERS, data=f"action={ACTION}&as=text{area}",
                          displayText=MENU_COPY_NUMBERS)
    # The export's own postback: its handler asks the format and checks the role and scope again. One area of
    # the scope is a coordinator's only: everyone else's file is always their whole scope.
    one_area = area if access.refusal(ctx.user, access.COORDINATORS) is None else ""
    export = PostbackAction(label=MENU_EXPORT_FILE, data=f"action=export{one_area}", displayText=MENU_EXPORT_FILE)
    return [copy, export, *main_menu(ctx.user)]


def numbers_card(numbers: AreaNumbers, label: str, as_of: str, choices: list, *,
                 form_link: str | None = None) -> Json:
    """The card; `form_link`, the ministry form's pre-filled link (domain.area_numbers.prefilled_form_url),
    adds a button opening it."""
    rows: list[FlexComponent] = [_row(name, line_label, count) for name, line_label, count in numbers.lines()]
    rows.append(FlexText(text=REPORTED_NOTE, size="xs", color=GREY, wrap=True, margin="lg"))
    footer = [FlexButton(style="primary", height="sm", action=URIAction(label=MENU_OPEN_FORM, uri=form_link))
              ] if form_link else []
    bubble = area_bubble(TITLE, label, as_of, rows, footer)
    alt = (f"{TITLE} {label}: ตามรายชื่อ {numbers['on_list']:,} คน ติดตามแล้ว {numbers['checked']:,} คน "
           f"ยังไม่ได้ติดตาม {numbers['unchecked']:,} คน")
    return flex(alt, bubble, *choices)


def _row(name: str, label: str, count: int) -> FlexBox:
    part = name in PARTS  # a line splitting the one above it: indented, smaller
    return FlexBox(layout="baseline", paddingStart="lg" if part else None, contents=[
        FlexText(text=("• " if part else "") + label, size="xs" if part else "sm", color=GREY, flex=6, wrap=True),
        FlexText(text=f"{count:,}", size="sm", align="end", flex=2, weight=None if part else "bold"),
    ])
