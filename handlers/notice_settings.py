""""ตั้งค่าการแจ้งเตือน": each kind of notice the user may get, its mode, and one tap to change it.

The kinds shown depend on the role: reporters and teachers hear about the cases they reported and the
work handed to them; coordinators also about new cases and late ones. A tap is a postback
action=notice&kind=KIND&mode=MODE, checked again (a kind not offered to the user, or a mode that does
not exist, is refused); the change is audited and the card shown again.
"""
from __future__ import annotations

from linebot.v3.messaging import FlexBox, FlexBubble, FlexButton, FlexSeparator, FlexText, PostbackAction
from sqlalchemy.orm import Session

from chat.dispatcher import Context, Reply
from chat.menus import main_menu, requires
from domain import access, audit
from domain.menu_labels import MENU_NOTICE_SETTINGS
from line.messages import flex, text
from line.notices import mode_of
from models import NOTICE_KINDS, NOTICE_MODES, NoticeSetting, User

ACTION = "notice"
REPORTER_KINDS = ("case_update", "work")
GREY = "#888888"


def kinds_for(user: User) -> tuple[str, ...]:
    return tuple(NOTICE_KINDS) if user.role in access.COORDINATORS else REPORTER_KINDS


def settings_card(session: Session, user: User) -> FlexBubble:
    body = []
    for kind in kinds_for(user):
        current = mode_of(session, user, kind)
        if body:
            body.append(FlexSeparator(margin="md"))
        body += [
            FlexText(text=NOTICE_KINDS[kind], weight="bold", size="sm", wrap=True, margin="md"),
            FlexText(text=f"ตอนนี้: {NOTICE_MODES[current]}", size="xs", color=GREY),
            FlexBox(layout="horizontal", spacing="sm", contents=[
                FlexButton(style="primary" if mode == current else "secondary", height="sm",
                           action=PostbackAction(label=label, data=f"action={ACTION}&kind={kind}&mode={mode}",
                                                 displayText=f"{NOTICE_KINDS[kind]}: {label}"))
                for mode, label in NOTICE_MODES.items()]),
        ]
    body.append(FlexText(text="เรื่องเร่งด่วน (ความปลอดภัยของเด็ก) แจ้งทันทีเสมอ", size="xs", color=GREY, wrap=True,
                         margin="lg"))
    return FlexBubble(size="giga",
                      header=FlexBox(layout="vertical", contents=[
                          FlexText(text=MENU_NOTICE_SETTINGS, weight="bold", size="lg"),
                          FlexText(text="แตะเพื่อเลือกวิธีรับแจ้งแต่ละเรื่อง", size="xs", color=GREY, wrap=True)]),
                      body=FlexBox(layout="vertical", spacing="sm", contents=body))


def card_reply(ctx: Context, note: str | None = None) -> Reply:
    card = flex(MENU_NOTICE_SETTINGS, settings_card(ctx.session, ctx.user), *main_menu(ctx.user))
    return [text(note), card] if note else [card]


@requires(*access.REPORTERS)
def show_notice_settings(ctx: Context) -> Reply:
    """"ตั้งค่าการแจ้งเตือน": the settings card."""
    return card_reply(ctx)


@requires(*access.REPORTERS)
def change_notice_setting(ctx: Context) -> Reply:
    """A mode tapped on the card: saved, and the card again."""
    kind, mode = ctx.postback.get("kind"), ctx.postback.get("mode")
    if kind not in kinds_for(ctx.user) or mode not in NOTICE_MODES:
        return [text("ไม่พบการตั้งค่านี้ค่ะ กรุณาเลือกจากการ์ดตั้งค่าการแจ้งเตือน", MENU_NOTICE_SETTINGS,
                     *main_menu(ctx.user))]
    setting = ctx.session.get(NoticeSetting, (ctx.user.id, kind))
    if setting is None:
        ctx.session.add(NoticeSetting(user_id=ctx.user.id, kind=kind, mode=mode))
    else:
        setting.mode = mode
    ctx.session.flush()
    audit.record_chat(ctx, "notice_setting", "user", ctx.user.id, kind=kind, mode=mode)
    return card_reply(ctx, f"บันทึกแล้วค่ะ: {NOTICE_KINDS[kind]} → {NOTICE_MODES[mode]}")
