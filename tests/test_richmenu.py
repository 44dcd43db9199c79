"""Rich menus: the shipped images fit LINE's rules, sync creates and replaces them, the sender links them."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

from devtools.fakeline import RICH_MENU_IMAGE_MAX_BYTES, image_size
from domain.menu_labels import (
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
from helpers import deliver_queued, in_organisation, register
from line import richmenu
from models import OutboxMessage, RichMenu, User


@pytest.mark.parametrize("menu", [*richmenu.MENUS.values(), *richmenu.VARIANTS], ids=lambda m: m.image or m.name)
def test_every_menu_has_an_image_of_its_size(menu):
    data = menu.image_path.read_bytes()
    assert image_size(data) == menu.size and len(data) < RICH_MENU_IMAGE_MAX_BYTES
    width, height = menu.size
    covered = sum(w * h for _, (_, _, w, h) in menu.buttons())
    assert covered == width * height  # every pixel belongs to one button


def test_the_menus_carry_the_labels_of_each_role():
    labels = {name: [label for label, _ in menu.buttons()] for name, menu in richmenu.MENUS.items()}
    assert labels["reporter"] == [MENU_REPORT_CHILD, MENU_CHILDREN_TO_FIND, MENU_MY_REPORTS, MENU_HELP]
    assert set(labels["coordinator"]) == set(labels["reporter"]) | {MENU_AREA_SUMMARY, MENU_EXPORT_REPORT}
    assert set(labels["teacher"]) == set(labels["reporter"]) | {MENU_WATCH_LIST, MENU_ADD_STUDENT}
    assert richmenu.MENU_BY_ROLE == {"reporter": "reporter", "teacher": "teacher", "coordinator": "coordinator",
                                     "admin": "coordinator"}
    assert MENU_REGISTER in labels["public"]


def test_sync_creates_the_menus_sets_the_default_and_is_then_unchanged(app, line, rich_menus):
    assert set(rich_menus) == {"public", "reporter", "teacher", "coordinator"}
    assert line.default_rich_menu == rich_menus["public"]
    coordinator = line.rich_menus[rich_menus["coordinator"]]
    assert coordinator["selected"] and len(coordinator["areas"]) == 6
    result = app.test_cli_runner().invoke(args=["richmenu", "sync"])
    assert result.output.split() == ["public:", "unchanged", "reporter:", "unchanged", "teacher:", "unchanged",
                                    "coordinator:", "unchanged"]


def test_with_liff_id_the_coordinators_menu_opens_the_dashboard(app, db, chat, line, rich_menus):
    """Without LIFF_ID (rich_menus synced so) no button opens it; set, sync replaces the coordinators' menu
    with one whose seventh button is the dashboard's LIFF URL, and back again when it is unset."""
    assert MENU_DASHBOARD not in [a["action"]["label"] for a in line.rich_menus[rich_menus["coordinator"]]["areas"]]
    app.config["LIFF_ID"] = "1657000000-abcdefgh"
    result = app.test_cli_runner().invoke(args=["richmenu", "sync"])
    assert "coordinator: replaced" in result.output and "reporter: unchanged" in result.output
    with db.transaction() as session:
        menu = line.rich_menus[session.get(RichMenu, "coordinator").line_rich_menu_id]
    actions = {a["action"]["label"]: a["action"] for a in menu["areas"]}
    assert actions[MENU_DASHBOARD] == {"type": "uri", "label": MENU_DASHBOARD,
                                       "uri": "https://liff.line.me/1657000000-abcdefgh"}
    assert set(actions) == {MENU_REPORT_CHILD, MENU_CHILDREN_TO_FIND, MENU_MY_REPORTS, MENU_AREA_SUMMARY,
                            MENU_EXPORT_REPORT, MENU_HELP, MENU_DASHBOARD}
    assert all(a["type"] == "message" and a["text"] == label for label, a in actions.items() if label != MENU_DASHBOARD)
    app.config["LIFF_ID"] = ""
    assert "coordinator: replaced" in app.test_cli_runner().invoke(args=["richmenu", "sync"]).output


def test_a_changed_menu_is_replaced_and_its_users_move_to_the_new_one(app, db, chat, line, rich_menus,
                                                                      invite_code):
    register(chat, invite_code("reporter"))
    old = rich_menus["reporter"]
    with db.transaction() as session:  # as if the labels or the image had changed
        session.execute(update(RichMenu).where(RichMenu.name == "reporter").values(signature="changed"))
    result = app.test_cli_runner().invoke(args=["richmenu", "sync"])
    assert "reporter: replaced" in result.output
    with db.transaction() as session:
        new = session.get(RichMenu, "reporter").line_rich_menu_id
    assert new != old and old not in line.rich_menus
    assert line.user_rich_menu(chat.user_id) == new


def test_a_menu_deleted_on_line_is_created_again(app, db, line, rich_menus):
    line.rich_menus.pop(rich_menus["reporter"])
    assert "reporter: replaced" in app.test_cli_runner().invoke(args=["richmenu", "sync"]).output


def test_linking_is_retried_when_line_fails(app, db, chat, line, rich_menus, invite_code):
    line.fail_next(1, 500, paths="richmenu")
    register(chat, invite_code("reporter"))
    assert line.user_rich_menu(chat.user_id) is None  # the link waits for a retry; the reply went out
    with db.transaction() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.rich_menu.is_not(None))
                        .values(not_before=OutboxMessage.created_at))
    deliver_queued(app)
    assert line.user_rich_menu(chat.user_id) == rich_menus["reporter"]


def test_a_teacher_of_an_agency_gets_the_reporter_menu_without_the_watch_list(db, registered, new_chat, schools):
    """A สกร. keeps no school's watch list (domain.access.sees_watch_lists): its teachers' menu leaves it out."""
    ours = in_organisation(db, registered(new_chat(), "teacher", None), schools["nontan"])
    theirs = in_organisation(db, registered(new_chat(), "teacher", None), schools["skr"])
    with db.transaction() as session:
        found = {chat: session.scalar(select(User).where(User.line_user_id == chat.user_id)) for chat in (ours, theirs)}
        assert richmenu.menu_name(found[ours]) == "teacher"
        assert richmenu.menu_name(found[theirs]) == "reporter"
