"""Who may do what, for which place: the one check every handler goes through.

A user's scope is the area subtree rooted at their area (area codes nest: a subdistrict's code
starts with its district's), or the whole country for a national coordinator or an admin.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.dispatcher import Context, Reply
from bot.messages import text
from models import Area, User

REPORTERS = ("reporter", "teacher", "coordinator", "admin")
COORDINATORS = ("coordinator", "admin")

NOT_REGISTERED = ("ขออภัยค่ะ เมนูนี้สำหรับผู้ที่ลงทะเบียนแล้วเท่านั้น "
                  "กรุณาพิมพ์ \"ลงทะเบียน\" แล้วกรอกรหัสเชิญที่ได้รับจากผู้ประสานงานในพื้นที่ของท่าน")
NOT_ALLOWED = "ขออภัยค่ะ บทบาทของท่านไม่มีสิทธิ์ใช้เมนูนี้"
DEACTIVATED = "บัญชีของท่านถูกระงับการใช้งานโดยผู้ประสานงาน หากคิดว่าเป็นความผิดพลาด กรุณาติดต่อผู้ประสานงานในพื้นที่"


def is_registered(user: User | None) -> bool:
    return user is not None and user.role is not None and user.registered_at is not None


def refusal(user: User | None, roles: tuple[str, ...]) -> str | None:
    """The Thai reason this user may not act in one of `roles`, or None when they may."""
    if not is_registered(user):
        return NOT_REGISTERED
    if not user.active:
        return DEACTIVATED
    if user.role not in roles:
        return NOT_ALLOWED
    return None


def requires(*roles: str) -> Callable[[Callable[[Context], Reply]], Callable[[Context], Reply]]:
    """Decorate a handler so that only active registered users with one of `roles` reach it."""

    def decorate(handler: Callable[[Context], Reply]) -> Callable[[Context], Reply]:
        @wraps(handler)
        def checked(ctx: Context) -> Reply:
            reason = refusal(ctx.user, roles)
            if reason:
                from handlers.common import main_menu  # handlers build on this module

                return [text(reason, *main_menu())]
            return handler(ctx)

        return checked

    return decorate


def scope_prefix(user: User) -> str:
    """The area-code prefix of everything this user may see; "" is the whole country."""
    return user.area.code if user.area is not None else ""


def in_scope(user: User, area: Area | None) -> bool:
    if not is_registered(user) or not user.active:
        return False
    prefix = scope_prefix(user)
    if prefix == "":
        return user.role in COORDINATORS
    return area is not None and area.code.startswith(prefix)


def coordinators_covering(session: Session, area: Area | None) -> list[User]:
    """The active coordinators and admins who may see `area`: national ones, and those of the area
    itself or any area above it (whose codes are its code's prefixes)."""
    prefixes = [] if area is None else [area.code[:n] for n in range(2, len(area.code) + 1, 2)]
    candidates = session.scalars(
        select(User).outerjoin(User.area)
        .where(User.role.in_(COORDINATORS), User.following, or_(User.area_id.is_(None), Area.code.in_(prefixes)))
        .order_by(User.id)
    )
    return [user for user in candidates if in_scope(user, area)]
