"""Browser simulator: chat with the bot at /simulator without a LINE channel.

A developer and demo tool, never in production: only devtools.create_app mounts it
(scripts/run-local starts that factory). It mounts an in-process fake
LINE platform under /fake-line on the same server, so the bot's background senders deliver
their replies there over real HTTP (LINE_API_BASE_URL must point at it), and it serves a page
whose every action is turned into a LINE-shaped, signed webhook event posted to the real
/callback. The page polls for the messages the fake received for its user, whether LINE's loading
animation is on in that chat, and which rich menu the fake shows them. Its "เลื่อนเวลา +1 วัน" moves
the demo clock (devtools/demo_clock.py) and runs the day's scheduled jobs. It also plays LIFF's part: a
URI action to https://liff.line.me/<LIFF_ID> opens the dashboard (bot/dashboard.py) in a panel of the
page, where the stand-in SDK (static/fake-liff.js) signs in as the simulated user with an ID token of
the fake LINE's (`/api/liff/token`).
"""
from __future__ import annotations

import base64
import hashlib
import logging
import threading
from datetime import timedelta
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request, url_for
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from bot.dashboard import liff_channel
from devtools import demo_clock
from devtools.fakeline import FakeLine
from domain.thai_dates import format_thai_datetime
from line import richmenu
from line.client import LineError
from models.database import get_db

log = logging.getLogger(__name__)

FAKE_LINE_PREFIX = "/fake-line"
# The LIFF app's endpoint URL, as registered in the LINE Developers console (README: the dashboard).
LIFF_ENDPOINT = "/liff/dashboard"

bp = Blueprint("simulator", __name__, url_prefix="/simulator", template_folder="templates",
               static_folder="static")


def enable_simulator(app: Flask) -> None:
    fake = FakeLine(app.config["LINE_CHANNEL_SECRET"], app.config["LINE_CHANNEL_ACCESS_TOKEN"])
    app.extensions["fake_line"] = fake
    app.extensions["simulator_menus_lock"] = threading.Lock()
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {FAKE_LINE_PREFIX: fake.wsgi_app})
    app.register_blueprint(bp)
    demo_clock.install(app)
    if not app.config["LINE_API_BASE_URL"].rstrip("/").endswith(FAKE_LINE_PREFIX):
        app.logger.warning("SIMULATOR is on but LINE_API_BASE_URL (%r) is not this server's %s: "
                           "replies will not reach the simulator", app.config["LINE_API_BASE_URL"],
                           FAKE_LINE_PREFIX)


def user_id_for(display_name: str) -> str:
    """A stable LINE-like user id for a display name: U + 32 hex characters."""
    return "U" + hashlib.sha256(display_name.strip().encode("utf-8")).hexdigest()[:32]


def _fake() -> FakeLine:
    return current_app.extensions["fake_line"]


# LINE takes files up to 300 MB; the page sends them inline, so the simulator takes what a class list needs.
MAX_FILE_BYTES = 20 * 1024 * 1024


def _event(fake: FakeLine, user_id: str, data: dict[str, Any]) -> dict:
    """The LINE webhook event for what the page sent, or ValueError."""
    if data.get("follow"):
        return fake.follow_event(user_id)
    if "text" in data:
        text = str(data["text"])
        if not text.strip():
            raise ValueError("empty text")
        return fake.text_event(user_id, text)
    if "postback" in data:
        return fake.postback_event(user_id, str(data["postback"]), data.get("params") or None)
    if "location" in data:
        loc = data["location"] or {}
        return fake.location_event(user_id, float(loc["latitude"]), float(loc["longitude"]),
                                   address=loc.get("address") or None)
    if data.get("image"):
        return fake.image_event(user_id)  # the fake makes up a tiny JPEG the bot can download
    if "file" in data:  # a file picked on the page (a class list), its bytes in base64: LINE then serves them
        name, content = str(data["file"]["name"]), base64.b64decode(data["file"]["data"], validate=True)
        if not name.strip() or len(content) > MAX_FILE_BYTES:
            raise ValueError(f"a file needs a name and at most {MAX_FILE_BYTES:,} bytes")
        event = fake.file_event(user_id, name[:200], len(content))
        fake.add_content(event["message"]["id"], content, "application/octet-stream")
        return event
    raise ValueError("send one of: text, postback, location, image, file, follow")


@bp.get("")
def page():
    return render_template("simulator.html", liff_id=current_app.config["LIFF_ID"], liff_endpoint=LIFF_ENDPOINT)


@bp.post("/api/send")
def send():
    data = request.get_json(silent=True) or {}
    display_name = str(data.get("display_name") or "").strip()
    user_id = str(data.get("user_id") or (user_id_for(display_name) if display_name else ""))
    if not user_id:
        return jsonify(error="display_name or user_id is required"), 400
    fake = _fake()
    if display_name:
        fake.set_profile(user_id, display_name)
    try:
        event = _event(fake, user_id, data)
    except (KeyError, TypeError, ValueError) as exc:
        return jsonify(error=f"bad request: {exc}"), 400
    body, headers = fake.webhook_request([event])
    # The real webhook, through the whole WSGI stack (signature check included), in-process.
    response = current_app.test_client().post("/callback", data=body, headers=headers)
    return jsonify(user_id=user_id, webhook_status=response.status_code,
                   webhook_body=response.get_data(as_text=True)[:500])


@bp.get("/api/user")
def user():
    display_name = request.args.get("display_name", "").strip()
    if not display_name:
        return jsonify(error="display_name is required"), 400
    return jsonify(user_id=user_id_for(display_name), display_name=display_name)


@bp.get("/api/messages")
def messages():
    user_id = request.args.get("user_id", "")
    after = max(request.args.get("after", 0, type=int), 0)
    fake = _fake()
    delivered = fake.messages_to(user_id) if user_id else []
    return jsonify(messages=delivered[after:], next=len(delivered),
                   loading=round(fake.loading_seconds_left(user_id), 1) if user_id else 0,
                   rich_menu=fake.user_rich_menu(user_id, include_default=True) if user_id else None)


@bp.post("/api/liff/token")
def liff_token():
    """LIFF's part for the page the simulator opens: the simulated user's ID token, issued by the fake LINE
    for the LIFF app's LINE Login channel, as liff.getIDToken() gives it.
    Another LIFF ID fails, as liff.init() does for an app that is not registered."""
    data = request.get_json(silent=True) or {}
    liff_id, user_id = str(data.get("liff_id") or ""), str(data.get("user_id") or "")
    if not liff_id or liff_id != current_app.config["LIFF_ID"]:
        return jsonify(error="no LIFF app with this LIFF ID"), 400
    if not user_id:
        return jsonify(error="user_id is required"), 400
    name = str(data.get("display_name") or "").strip() or None
    token = _fake().issue_id_token(user_id, liff_channel(current_app.config), name=name)
    return jsonify(id_token=token, profile={"userId": user_id, "displayName": name or ""})


def _sync_rich_menus() -> None:
    """Put the bot's rich menus on the fake, once.

    LINE keeps rich menus from one deploy to the next, where `flask richmenu sync` runs once; this fake
    keeps them in the web process's memory only, so the first page that asks for a menu runs that
    sync (which also links every registered user to their role's menu again). Its calls go over HTTP
    to this same server, as the bot's always do.
    """
    with current_app.extensions["simulator_menus_lock"]:
        if _fake().rich_menus:
            return
        try:
            with get_db().transaction() as session:
                richmenu.sync(session, current_app.extensions["line"], current_app.config["LIFF_ID"])
        except LineError as exc:  # LINE_API_BASE_URL is not this server: the page shows no menu
            log.warning("the simulator could not put the rich menus on its fake LINE: %s", exc)


@bp.get("/api/richmenu")
def rich_menu():
    """The rich menu the user's chat shows (their own, else the default), with its image's address."""
    user_id = request.args.get("user_id", "")
    if not user_id:
        return jsonify(error="user_id is required"), 400
    _sync_rich_menus()
    fake = _fake()
    menu = fake.shown_rich_menu(user_id)
    image = None
    if menu and fake.rich_menu_image(menu["richMenuId"]):
        image = url_for(".rich_menu_image", menu_id=menu["richMenuId"])
    return jsonify(menu=menu, image=image)


@bp.get("/api/richmenu/<menu_id>/image")
def rich_menu_image(menu_id: str):
    found = _fake().rich_menu_image(menu_id)
    if found is None:
        return jsonify(error="no such rich menu image"), 404
    data, content_type = found
    return Response(data, content_type=content_type)


def _clock() -> dict:
    clock = current_app.extensions["demo_clock"]
    return {"now": format_thai_datetime(clock()), "days_ahead": clock.offset.days}


@bp.get("/api/clock")
def clock():
    return jsonify(_clock())


@bp.post("/api/advance")
def advance():
    """Move the demo clock forward (`days`, default 1) and run the scheduled jobs of the skipped span."""
    days = (request.get_json(silent=True) or {}).get("days", 1)
    if not isinstance(days, int) or isinstance(days, bool):
        return jsonify(error="days must be a whole number"), 400
    try:
        runs = demo_clock.advance(current_app._get_current_object(), timedelta(days=days))
    except ValueError as exc:
        return jsonify(error=str(exc)), 400
    sender = current_app.extensions["sender"]
    sender.ensure_started()
    sender.poll()  # what the jobs queued goes out now, not at the next poll
    return jsonify(runs=[{"at": format_thai_datetime(at), "job": job_id,
                          "result": result if result is None or isinstance(result, int) else str(result)}
                         for at, job_id, result in runs], **_clock())
