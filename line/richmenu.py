"""The rich menu at the bottom of the chat: one per kind of user, kept on LINE by `flask richmenu sync`.

Unregistered and deactivated users see the default "public" menu; reporters the reporter menu;
teachers the teacher menu (the reporter's with the watch list of students at risk); coordinators
and admins the coordinator menu, which also opens their dashboard (a LIFF page) when LIFF_ID is set. The
other buttons send their label as text, so they reach the same routes as the quick replies. A user's menu changes when they
register, change role or are deactivated: the handler queues the change in the outbox
(`show_menu`) and the sender links it after the commit, because handlers never call LINE.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import access
from domain.menu_labels import (
    MENU_ABOUT,
    MENU_ADD_STUDENT,
    MENU_AREA_SUMMARY,
    MENU_CHILDREN_TO_FIND,
    MENU_DASHBOARD,
    MENU_EXPORT_REPORT,
    MENU_HELP,
    MENU_MY_REPORTS,
    MENU_REGISTER,
    MENU_REPORT_CHILD,
    MENU_WATCH_LIST,
)
from line import liff
from line.client import LineClient
from line.messages import text
from line.outbox import queue_messages
from models import RichMenu, User, utcnow

log = logging.getLogger(__name__)

IMAGES = Path(__file__).resolve().parent / "static"
BULK_LINK_LIMIT = 500  # LINE's limit of user ids per bulk link call


@dataclass(frozen=True)
class Menu:
    name: str
    # Buttons row by row, each row's buttons of equal width.
    rows: tuple[tuple[str, ...], ...]
    width: int = 1200
    row_height: int = 405
    # The buttons that open a web page (label, URL) instead of sending their label.
    links: tuple[tuple[str, str], ...] = ()
    # The picture's name when it is not the menu's (line/static/richmenu-<image>.png).
    image: str = ""

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.row_height * len(self.rows)

    def buttons(self) -> list[tuple[str, tuple[int, int, int, int]]]:
        """(label, (x, y, width, height)) of every button, tiling the image without gaps."""
        placed = []
        for r, row in enumerate(self.rows):
            for c, label in enumerate(row):
                x = c * self.width // len(row)
                right = (c + 1) * self.width // len(row)
                placed.append((label, (x, r * self.row_height, right - x, self.row_height)))
        return placed

    def definition(self) -> dict:
        """The RichMenuRequest LINE gets."""
        width, height = self.size
        return {
            "size": {"width": width, "height": height},
            # Registered users get their tools open; the public menu stays out of the way.
            "selected": self.name != "public",
            "name": f"pnk-{self.name}",
            "chatBarText": "เมนู",
            "areas": [{"bounds": {"x": x, "y": y, "width": w, "height": h}, "action": self.action(label)}
                      for label, (x, y, w, h) in self.buttons()],
        }

    def action(self, label: str) -> dict:
        url = dict(self.links).get(label)
        if url:
            return {"type": "uri", "label": label, "uri": url}
        return {"type": "message", "label": label, "text": label}

    @property
    def image_path(self) -> Path:
        return IMAGES / f"richmenu-{self.image or self.name}.png"

    def signature(self) -> str:
        digest = hashlib.sha256(json.dumps(self.definition(), sort_keys=True).encode())
        digest.update(self.image_path.read_bytes())
        return digest.hexdigest()


MENUS = {
    "public": Menu("public", ((MENU_REGISTER, MENU_ABOUT, MENU_HELP),)),
    "reporter": Menu("reporter", ((MENU_REPORT_CHILD, MENU_CHILDREN_TO_FIND), (MENU_MY_REPORTS, MENU_HELP))),
    "teacher": Menu("teacher", ((MENU_REPORT_CHILD, MENU_CHILDREN_TO_FIND, MENU_WATCH_LIST),
                                (MENU_MY_REPORTS, MENU_ADD_STUDENT, MENU_HELP))),
    "coordinator": Menu("coordinator", ((MENU_REPORT_CHILD, MENU_CHILDREN_TO_FIND, MENU_MY_REPORTS),
                                        (MENU_AREA_SUMMARY, MENU_EXPORT_REPORT, MENU_HELP))),
}
# The coordinators' menu when their dashboard is on: its seventh button opens it (menus() adds the link).
WITH_DASHBOARD = Menu("coordinator", ((MENU_REPORT_CHILD, MENU_CHILDREN_TO_FIND, MENU_MY_REPORTS),
                                      (MENU_AREA_SUMMARY, MENU_DASHBOARD, MENU_EXPORT_REPORT, MENU_HELP)),
                      image="coordinator-dashboard")
VARIANTS = (WITH_DASHBOARD,)  # every menu drawn: MENUS and these (scripts/make-richmenu-images)
DEFAULT_MENU = "public"
MENU_BY_ROLE = {role: "coordinator" if role in access.COORDINATORS else role if role in MENUS else "reporter"
                for role in access.REPORTERS}


def menu_name(user: User) -> str:
    """The menu this user should see now."""
    if access.refusal(user, access.REPORTERS):
        return DEFAULT_MENU
    if user.role == "teacher" and not access.sees_watch_lists(user):
        return "reporter"  # a teacher of an agency (a สกร.) keeps no school's watch list
    return MENU_BY_ROLE[user.role]


def show_menu(session: Session, user: User) -> None:
    """Queue showing the user their menu; the sender does it after this transaction commits.

    The outbox row names the menu; "" means none of their own, so LINE shows the default menu
    (unlinking, rather than linking the public menu, keeps them on it when sync replaces it).
    """
    name = menu_name(user)
    # No message: a deactivated user's menu must still go back to the public one.
    queue_messages(session, user.line_user_id, [], personal=False, rich_menu="" if name == DEFAULT_MENU else name)


def menus(liff_id: str) -> dict[str, Menu]:
    """The menus LINE should have: with LIFF_ID set, the coordinators' opens their dashboard. A menu keeps
    its name either way (the sender links users by name); sync replaces it when LIFF_ID changes."""
    url = liff.dashboard_url(liff_id)
    if url is None:
        return MENUS
    return {**MENUS, "coordinator": replace(WITH_DASHBOARD, links=((MENU_DASHBOARD, url),))}


def sync(session: Session, client: LineClient, liff_id: str) -> dict[str, str]:
    """Create on LINE every menu that is new or changed, move its users to it, delete the old one.
    `liff_id`: the LIFF_ID setting ("" when the dashboard is off).

    Returns what happened to each menu ("created", "replaced", "unchanged").
    """
    outcome = {}
    for menu in menus(liff_id).values():
        stored = session.get(RichMenu, menu.name)
        signature = menu.signature()
        if stored and stored.signature == signature and client.rich_menu_exists(stored.line_rich_menu_id):
            outcome[menu.name] = "unchanged"
            continue
        menu_id = client.create_rich_menu(menu.definition(), menu.image_path.read_bytes())
        if menu.name == DEFAULT_MENU:
            client.set_default_rich_menu(menu_id)
        else:
            _link_users(session, client, menu, menu_id)
        old = stored.line_rich_menu_id if stored else None
        if stored is None:
            stored = RichMenu(name=menu.name)
            session.add(stored)
        stored.line_rich_menu_id, stored.signature, stored.updated_at = menu_id, signature, utcnow()
        if old and client.rich_menu_exists(old):
            client.delete_rich_menu(old)
        outcome[menu.name] = "replaced" if old else "created"
        log.info("rich menu %s: %s as %s", menu.name, outcome[menu.name], menu_id)
    return outcome


def _link_users(session: Session, client: LineClient, menu: Menu, menu_id: str) -> None:
    roles = [role for role, name in MENU_BY_ROLE.items() if name == menu.name]
    users = session.scalars(select(User).where(User.role.in_(roles), User.registered_at.is_not(None),
                                               User.active.is_(True), User.following.is_(True)))
    ids = [user.line_user_id for user in users]
    for start in range(0, len(ids), BULK_LINK_LIMIT):
        client.link_rich_menu_to_users(menu_id, ids[start:start + BULK_LINK_LIMIT])


def set_active(session: Session, user: User, active: bool) -> None:
    """Deactivate or re-activate a user: their rich menu follows, and a deactivated user is told why."""
    user.active = active
    show_menu(session, user)
    if not active and user.following:
        queue_messages(session, user.line_user_id, [text(access.DEACTIVATED)], personal=False)
