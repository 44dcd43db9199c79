"""The main menu every handler falls back to (its quick replies depend on who the user is), the role
check that answers a refused user with the reason and that menu (`@requires`), and the buttons for
choosing one of a user's areas."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from linebot.v3.messaging import PostbackAction

from chat.dispatcher import Context, Reply
from domain import access
from domain.menu_labels import (
    MENU_ABOUT,
    MENU_AREA_SUMMARY,
    MENU_CHILDREN_TO_FIND,
    MENU_DEACTIVATE,
    MENU_EXPORT_REPORT,
    MENU_HELP,
    MENU_INVITE,
    MENU_MY_AREA_NUMBERS,
    MENU_MY_REPORTS,
    MENU_MY_WORK,
    MENU_NOTICE_SETTINGS,
    MENU_REGISTER,
    MENU_REPORT_CHILD,
    MENU_WATCH_LIST,
)
from line.messages import MAX_LABEL, text
from models import User

__all__ = ["area_buttons", "main_menu", "organisation_areas_to_choose", "requires"]
# An organisation's areas offered as buttons; with more, the user types a code or a name.
MAX_AREA_BUTTONS = 10

# Every role can own a case (domain.ownership.may_own), so every menu has "งานของฉัน".
# "ตัวเลขพื้นที่ของฉัน" is every role's: the officer who files the ministry's form is a reporter.
REPORTER_MENU = (MENU_REPORT_CHILD, MENU_CHILDREN_TO_FIND, MENU_MY_WORK, MENU_MY_REPORTS, MENU_MY_AREA_NUMBERS,
                 MENU_NOTICE_SETTINGS, MENU_HELP)
# Teachers and coordinators keep a school's watch list (access.sees_watch_lists: not an agency's, such
# as a สกร.'s); the coordinator's menu is 12 of LINE's 13 quick replies.
TEACHER_MENU = (MENU_REPORT_CHILD, MENU_CHILDREN_TO_FIND, MENU_MY_WORK, MENU_WATCH_LIST, MENU_MY_REPORTS,
                MENU_MY_AREA_NUMBERS, MENU_NOTICE_SETTINGS, MENU_HELP)
COORDINATOR_MENU = (MENU_REPORT_CHILD, MENU_CHILDREN_TO_FIND, MENU_MY_WORK, MENU_WATCH_LIST, MENU_MY_REPORTS,
                    MENU_MY_AREA_NUMBERS, MENU_AREA_SUMMARY, MENU_EXPORT_REPORT, MENU_INVITE, MENU_DEACTIVATE,
                    MENU_NOTICE_SETTINGS, MENU_HELP)


def main_menu(user: User | None = None) -> tuple[str, ...]:
    """Quick-reply labels for this user: what their role may do, or the public menu."""
    if user is not None and not user.active:
        return (MENU_ABOUT, MENU_HELP)
    lists = access.sees_watch_lists(user)
    if access.refusal(user, access.COORDINATORS) is None:
        return COORDINATOR_MENU if lists else tuple(label for label in COORDINATOR_MENU if label != MENU_WATCH_LIST)
    if lists:
        return TEACHER_MENU
    if access.refusal(user, access.REPORTERS) is None:
        return REPORTER_MENU
    return (MENU_REGISTER, MENU_ABOUT, MENU_HELP)


def organisation_areas_to_choose(user: User) -> list[list[str]]:
    """[code, name] of the user's organisation's own areas, for area_buttons(); [] when there are more
    than MAX_AREA_BUTTONS (then typed) or no organisation."""
    own = sorted(user.organisation.areas, key=lambda a: a.code) if user.organisation else []
    return [[a.code, a.name] for a in own] if len(own) <= MAX_AREA_BUTTONS else []


def area_buttons(areas: list[list[str]]) -> list[PostbackAction]:
    # By code, in a postback: names repeat across levels (อำเภอบ้านฝาง, ตำบลบ้านฝาง).
    return [PostbackAction(label=name[:MAX_LABEL], data=f"value={code}", displayText=name) for code, name in areas]


def requires(*roles: str) -> Callable[[Callable[[Context], Reply]], Callable[[Context], Reply]]:
    """Decorate a handler so that only active registered users with one of `roles` reach it."""

    def decorate(handler: Callable[[Context], Reply]) -> Callable[[Context], Reply]:
        @wraps(handler)
        def checked(ctx: Context) -> Reply:
            reason = access.refusal(ctx.user, roles)
            if reason:
                return [text(reason, *main_menu(ctx.user))]
            return handler(ctx)

        return checked

    return decorate
