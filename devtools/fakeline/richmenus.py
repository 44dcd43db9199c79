"""Rich menus as LINE keeps them: menus, their images, links to users, the default menu and aliases."""

from __future__ import annotations

import copy
import threading
import uuid
from typing import Any, Callable

from flask import request

from devtools.fakeline.answers import Answer, error
from devtools.fakeline.images import image_size
from devtools.fakeline.spec import ApiSpec

RICH_MENU_IMAGE_MAX_BYTES = 1024 * 1024
RICH_MENU_IMAGE_TYPES = ("image/jpeg", "image/png")
RICH_MENU_MIN_ASPECT = 1.45


class RichMenus:
    """FakeLine's rich-menu operations; each handler runs with the platform's lock held."""

    # Set up by FakeLine.__init__.
    rich_menus: dict[str, dict]
    _rich_menu_images: dict[str, tuple[bytes, str]]
    _user_menus: dict[str, str]
    default_rich_menu: str | None
    rich_menu_aliases: dict[str, str]
    _lock: threading.Lock

    def user_rich_menu(self, user_id: str, *, include_default: bool = False) -> str | None:
        """The rich menu linked to this user; with include_default, the one they see."""
        with self._lock:
            linked = self._user_menus.get(user_id)
            return linked if linked or not include_default else self.default_rich_menu

    def shown_rich_menu(self, user_id: str) -> dict | None:
        """The rich menu this user's chat shows (their own, else the default), as getRichMenu answers it."""
        with self._lock:
            menu_id = self._user_menus.get(user_id) or self.default_rich_menu
            return copy.deepcopy(self.rich_menus.get(menu_id)) if menu_id else None

    def rich_menu_image(self, menu_id: str) -> tuple[bytes, str] | None:
        """A menu's image and its content type, or None before one is uploaded."""
        with self._lock:
            return self._rich_menu_images.get(menu_id)

    def _rich_menu_handlers(self) -> dict[str, Callable[[dict, Any, str], Answer]]:
        """Operation id -> handler, for FakeLine's handler table."""
        return {
            "createRichMenu": self._create_rich_menu,
            "setRichMenuImage": self._set_rich_menu_image,
            "getRichMenuImage": self._get_rich_menu_image,
            "getRichMenu": self._get_rich_menu,
            "getRichMenuList": self._list_rich_menus,
            "deleteRichMenu": self._delete_rich_menu,
            "linkRichMenuIdToUser": self._link_user,
            "getRichMenuIdOfUser": self._get_user_menu,
            "unlinkRichMenuIdFromUser": self._unlink_user,
            "linkRichMenuIdToUsers": self._bulk_link,
            "unlinkRichMenuIdFromUsers": self._bulk_unlink,
            "setDefaultRichMenu": self._set_default,
            "getDefaultRichMenuId": self._get_default,
            "cancelDefaultRichMenu": self._cancel_default,
            "createRichMenuAlias": self._create_alias,
            "getRichMenuAlias": self._get_alias,
            "updateRichMenuAlias": self._update_alias,
            "deleteRichMenuAlias": self._delete_alias,
            "getRichMenuAliasList": self._list_aliases,
        }

    def _create_rich_menu(self, params, body, request_id) -> Answer:
        menu_id = "richmenu-" + uuid.uuid4().hex
        self.rich_menus[menu_id] = {"richMenuId": menu_id, **copy.deepcopy(body)}
        return Answer(200, {"richMenuId": menu_id})

    def _menu_ready(self, menu_id: str) -> Answer | None:
        """Why a menu cannot be shown to users yet, or None when it can."""
        if menu_id not in self.rich_menus:
            return error(404, "Not found")
        if menu_id not in self._rich_menu_images:
            return error(400, "must upload richmenu image before applying it to user")
        return None

    def _set_rich_menu_image(self, params, body, request_id) -> Answer:
        menu = self.rich_menus.get(params["richMenuId"])
        if menu is None:
            return error(404, "Not found")
        if params["richMenuId"] in self._rich_menu_images:
            return error(400, "An image has already been uploaded to the richmenu")
        content_type = (request.content_type or "").split(";")[0].strip().lower()
        if content_type not in RICH_MENU_IMAGE_TYPES:
            return error(415, "Unsupported media type")
        data = request.get_data()
        if len(data) > RICH_MENU_IMAGE_MAX_BYTES:
            return error(413, "Request Entity Too Large")
        expected = (menu["size"]["width"], menu["size"]["height"])
        if image_size(data) != expected:
            return error(400, f"Image size must be {expected[0]}x{expected[1]}, the rich menu size")
        self._rich_menu_images[params["richMenuId"]] = (data, content_type)
        return Answer(200, {})

    def _get_rich_menu_image(self, params, body, request_id) -> Answer:
        found = self._rich_menu_images.get(params["richMenuId"])
        if found is None:
            return error(404, "Not found")
        return Answer(200, data=found[0], content_type=found[1])

    def _get_rich_menu(self, params, body, request_id) -> Answer:
        menu = self.rich_menus.get(params["richMenuId"])
        return Answer(200, copy.deepcopy(menu)) if menu else error(404, "Not found")

    def _list_rich_menus(self, params, body, request_id) -> Answer:
        return Answer(200, {"richmenus": copy.deepcopy(list(self.rich_menus.values()))})

    def _delete_rich_menu(self, params, body, request_id) -> Answer:
        menu_id = params["richMenuId"]
        if self.rich_menus.pop(menu_id, None) is None:
            return error(404, "Not found")
        self._rich_menu_images.pop(menu_id, None)
        self._user_menus = {u: m for u, m in self._user_menus.items() if m != menu_id}
        if self.default_rich_menu == menu_id:
            self.default_rich_menu = None
        return Answer(200, {})

    def _link_user(self, params, body, request_id) -> Answer:
        problem = self._menu_ready(params["richMenuId"])
        if problem:
            return problem
        self._user_menus[params["userId"]] = params["richMenuId"]
        return Answer(200, {})

    def _get_user_menu(self, params, body, request_id) -> Answer:
        menu_id = self._user_menus.get(params["userId"])
        return Answer(200, {"richMenuId": menu_id}) if menu_id else error(404, "the user has no richmenu")

    def _unlink_user(self, params, body, request_id) -> Answer:
        self._user_menus.pop(params["userId"], None)
        return Answer(200, {})

    def _bulk_link(self, params, body, request_id) -> Answer:
        problem = self._menu_ready(body["richMenuId"])
        if problem:
            return problem
        for user_id in body["userIds"]:
            self._user_menus[user_id] = body["richMenuId"]
        return Answer(202, {})

    def _bulk_unlink(self, params, body, request_id) -> Answer:
        for user_id in body["userIds"]:
            self._user_menus.pop(user_id, None)
        return Answer(202, {})

    def _set_default(self, params, body, request_id) -> Answer:
        problem = self._menu_ready(params["richMenuId"])
        if problem:
            return problem
        self.default_rich_menu = params["richMenuId"]
        return Answer(200, {})

    def _get_default(self, params, body, request_id) -> Answer:
        if self.default_rich_menu is None:
            return error(404, "no default richmenu")
        return Answer(200, {"richMenuId": self.default_rich_menu})

    def _cancel_default(self, params, body, request_id) -> Answer:
        self.default_rich_menu = None
        return Answer(200, {})

    def _create_alias(self, params, body, request_id) -> Answer:
        if body["richMenuAliasId"] in self.rich_menu_aliases:
            return error(400, "conflict richmenu alias id")
        problem = self._menu_ready(body["richMenuId"])
        if problem:
            return problem
        self.rich_menu_aliases[body["richMenuAliasId"]] = body["richMenuId"]
        return Answer(200, {})

    def _get_alias(self, params, body, request_id) -> Answer:
        alias = params["richMenuAliasId"]
        if alias not in self.rich_menu_aliases:
            return error(404, "Not found")
        return Answer(200, {"richMenuAliasId": alias, "richMenuId": self.rich_menu_aliases[alias]})

    def _update_alias(self, params, body, request_id) -> Answer:
        if params["richMenuAliasId"] not in self.rich_menu_aliases:
            return error(404, "Not found")
        problem = self._menu_ready(body["richMenuId"])
        if problem:
            return problem
        self.rich_menu_aliases[params["richMenuAliasId"]] = body["richMenuId"]
        return Answer(200, {})

    def _delete_alias(self, params, body, request_id) -> Answer:
        if self.rich_menu_aliases.pop(params["richMenuAliasId"], None) is None:
            return error(404, "Not found")
        return Answer(200, {})

    def _list_aliases(self, params, body, request_id) -> Answer:
        aliases = [{"richMenuAliasId": a, "richMenuId": m} for a, m in self.rich_menu_aliases.items()]
        return Answer(200, {"aliases": aliases})


def rich_menu_checks(spec: ApiSpec, body: dict) -> list[dict]:
    """What LINE requires of a rich menu beyond RichMenuRequest.

    The spec describes the stored menu as RichMenuResponse (required fields,
    at most 20 areas), so a new menu must already fit that shape.
    """
    details = spec.errors("RichMenuResponse", {"richMenuId": "-", **body})
    size = body.get("size") or {}
    width, height = size.get("width"), size.get("height")
    if isinstance(width, int) and isinstance(height, int) and height > 0:
        if width / height < RICH_MENU_MIN_ASPECT:
            details.append(
                {"message": f"Aspect ratio (width/height) must be {RICH_MENU_MIN_ASPECT} or more", "property": "size"}
            )
    return details

