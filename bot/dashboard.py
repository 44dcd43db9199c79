"""/liff/dashboard: the coordinators' dashboard, a LIFF page, and the JSON API it reads (/liff/api/...).

Who: the page sends the ID token LIFF gives it; LINE Login verifies it (line/login.py) and its subject is
looked up among the registered users: only active coordinators and admins get a session, an HMAC-signed
token (user id, expiry) with a key derived from DATA_ENCRYPTION_KEY. Every later call loads the user again
and checks them again, so a user deactivated mid-session is refused at their next call.
What: exactly what the chat shows them, through the same access layer and the chat's own code: the area
summary's numbers (domain/summary.py), the case card's rows, timeline and buttons (handlers/act_on_case.py);
an area or case outside their scope is "not found". A button pressed on the page is the chat's postback,
run through the Dispatcher with no reply token, so its answers reach the chat by push; the export is the
chat's export. Every overview, list page, map and case view is audited (source "liff").

Long: the session, the page and the API routes share the refusals, the session check and the call's
transaction, and each route is a few lines shaping what the chat's own code returns; split, every route
would reach into another module for half of what it does.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request
from linebot.v3.webhooks import PostbackEvent
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, joinedload

from domain import access, audit, dashboard
from domain.access import LEVEL_PREFIX
from domain.deadlines import progress_lines
from domain.summary import deadline_report, summarise
from domain.thai import fit_text
from domain.thai_dates import BANGKOK, format_thai_date, format_thai_date_digits
from handlers import act_on_case, case_details
from handlers.area_summary import area_in_scope
from line.login import LineLogin, LoginRefused, LoginUnavailable
from models import STATUSES, Area, Case, User, case_number, choice_label, choice_list, utcnow
from models.crypto import cipher_of
from models.database import get_db

bp = Blueprint("dashboard", __name__, url_prefix="/liff")

SESSION_PURPOSE = "liff-session"
SESSION_SECONDS = 1800
API = "/liff/api"
# The chat's own words where there are some; the rest say what to do next.
MESSAGES = {
    "off": "ยังไม่ได้เปิดใช้หน้าแดชบอร์ดสำหรับผู้ประสานงาน กรุณาใช้เมนูในแชท LINE",
    "no_token": "ไม่พบข้อมูลการเข้าสู่ระบบจาก LINE กรุณาเปิดหน้านี้จากเมนูในแชท LINE",
    "invalid_token": "ยืนยันตัวตนกับ LINE ไม่สำเร็จ กรุณาปิดหน้านี้แล้วเปิดใหม่จากเมนูในแชท LINE",
    "expired_token": "การเข้าสู่ระบบ LINE หมดอายุแล้ว กรุณาปิดหน้านี้แล้วเปิดใหม่จากเมนูในแชท LINE",
    "line_unavailable": "ตอนนี้ติดต่อ LINE ไม่ได้ กรุณาลองใหม่อีกครั้งในอีกสักครู่",
    "unavailable": "ระบบขัดข้องชั่วคราว กรุณาลองใหม่อีกครั้งในอีกสักครู่",
    "not_registered": access.NOT_REGISTERED,
    "deactivated": access.DEACTIVATED,
    "not_allowed": "ขออภัยค่ะ หน้านี้สำหรับผู้ประสานงานเท่านั้น",
    "no_session": "กรุณาเข้าสู่ระบบใหม่: ปิดหน้านี้แล้วเปิดใหม่จากเมนูในแชท LINE",
    "expired_session": "หมดเวลาการใช้งานแล้ว กรุณาปิดหน้านี้แล้วเปิดใหม่จากเมนูในแชท LINE",
    "not_found": access.OUT_OF_SCOPE,
    # The case has moved on since the page showed its buttons (another coordinator took it, say).
    "not_offered": "รายการนี้ทำกับเรื่องนี้ไม่ได้แล้ว หน้านี้แสดงสถานะล่าสุดของเรื่องให้แล้ว",
}
ACTION_TAKEN = "รับคำสั่งแล้ว ดูขั้นตอนต่อไปในแชท"
EXPORT_QUEUED = "รับคำขอแล้ว ระบบจะส่งลิงก์ดาวน์โหลดไฟล์รายงานมาในแชท LINE เมื่อไฟล์พร้อม (โดยปกติไม่เกิน 1 นาที)"
BAD_PAGE = dashboard.BAD_FILTER.format("หน้า")
OWNER_CHOICES = [{"value": dashboard.ME, "label": "เรื่องที่ฉันรับ"},
                 {"value": dashboard.NOBODY, "label": case_details.NO_OWNER}]
EXPORT_FORMATS = ("xlsx", "csv")
# The page and its answers: no cache keeps them, no search engine lists them, no Referer leaves with them.
PRIVATE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer",
           "X-Content-Type-Options": "nosniff"}


class Refused(Exception):
    """An API call answered with {"error": code, "message": Thai} and `status`."""

    def __init__(self, status: int, code: str, message: str | None = None):
        self.status, self.code, self.message = status, code, message or MESSAGES[code]
        super().__init__(code)


@bp.errorhandler(Refused)
def refused(exc: Refused):
    return jsonify(error=exc.code, message=exc.message), exc.status


@bp.after_request
def private(response: Response) -> Response:
    response.headers.update(PRIVATE)
    return response


# ----------------------------------------------------------------------------- the session

class SessionTokens:
    """"<user id>.<expiry>.<HMAC>": opaque to the page, forged by nobody without DATA_ENCRYPTION_KEY."""

    def __init__(self, key: bytes, lifetime: int = SESSION_SECONDS):
        self._key, self.lifetime = key, lifetime

    def _mac(self, signed: str) -> str:
        return base64.urlsafe_b64encode(hmac.new(self._key, signed.encode(), hashlib.sha256).digest()).decode() \
            .rstrip("=")

    def issue(self, user_id: int, now: float) -> str:
        signed = f"{user_id}.{int(now) + self.lifetime}"
        return f"{signed}.{self._mac(signed)}"

    def user_id(self, token: str, now: float) -> int:
        """The user a token is for; Refused (401) for a forged, garbled or expired one."""
        parts = token.split(".")
        if len(parts) != 3 or not all(p.isascii() and p.isdigit() for p in parts[:2]) \
                or not hmac.compare_digest(self._mac(f"{parts[0]}.{parts[1]}"), parts[2]):
            raise Refused(401, "no_session")
        if int(parts[1]) <= now:
            raise Refused(401, "expired_session")
        return int(parts[0])


def allowed(user: User | None) -> User:
    """The user, if they may use the dashboard now; Refused (403) with why not otherwise."""
    if user is None:
        raise Refused(403, "not_registered")
    if not user.active:
        raise Refused(403, "deactivated")
    if not access.is_registered(user):
        raise Refused(403, "not_registered")
    if user.role not in access.COORDINATORS:
        raise Refused(403, "not_allowed")
    return user


_USER = select(User).options(joinedload(User.area), joinedload(User.organisation))


def signed_in(session: Session) -> User:
    """The user of this call's session (Authorization: Bearer), loaded and checked again."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme != "Bearer" or not token:
        raise Refused(401, "no_session")
    user_id = current_app.extensions["liff_sessions"].user_id(token.strip(), time.time())
    return allowed(session.scalar(_USER.where(User.id == user_id)))


@bp.post("/api/session")
def start_session():
    config = current_app.config
    if not config["LIFF_ID"]:
        raise Refused(503, "off")
    body = request.get_json(silent=True)
    id_token = body.get("id_token") if isinstance(body, dict) else None
    if not isinstance(id_token, str) or not id_token.strip():
        raise Refused(401, "no_token")
    try:
        payload = current_app.extensions["line_login"].verify_id_token(id_token.strip(), liff_channel(config))
    except LoginRefused as exc:
        raise Refused(401, "expired_token" if exc.expired else "invalid_token") from None
    except LoginUnavailable:
        raise Refused(503, "line_unavailable") from None
    with get_db().transaction() as session:
        user = allowed(session.scalar(_USER.where(User.line_user_id == payload["sub"])))
        answer = {"session": current_app.extensions["liff_sessions"].issue(user.id, time.time()),
                  "expires_in": SESSION_SECONDS,
                  "user": {"name": user.real_name or payload.get("name") or "", "role": user.role,
                           "scope": access.scope_label(user)}}
    return jsonify(answer)


def liff_channel(config) -> str:
    """The LINE Login channel of the LIFF app: its id is the LIFF ID's part before the first "-"."""
    return config["LIFF_ID"].split("-", 1)[0]


# ----------------------------------------------------------------------------- the page

@bp.get("/dashboard")
def page():
    config = current_app.config
    response = Response(render_template(
        "dashboard.html", liff_id=config["LIFF_ID"], tile_url=config["MAP_TILE_URL"],
        tile_attribution=config["MAP_TILE_ATTRIBUTION"], sdk_url=config["LIFF_SDK_URL"], api_base=API))
    response.headers["Content-Security-Policy"] = page_policy(config)
    return response


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


# LINE's LIFF SDK talks to these (liff.init, the ID token); the simulator's stand-in only to this server.
LIFF_CONNECT = "https://api.line.me https://access.line.me https://liffsdk.line-scdn.net"


def page_policy(config) -> str:
    """The page's Content-Security-Policy: its own scripts and styles, LINE's SDK, the tile server's images."""
    sdk, tiles = _origin(config["LIFF_SDK_URL"]), _origin(config["MAP_TILE_URL"])
    return "; ".join([
        "default-src 'none'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'self'",
        " ".join(["script-src 'self'", *([sdk] if sdk else [])]),
        "style-src 'self'",
        " ".join(["img-src 'self' data:", *([tiles] if tiles else [])]),
        " ".join(["connect-src 'self'", *([LIFF_CONNECT] if sdk else [])]),
    ])


# ----------------------------------------------------------------------------- the API

@dataclass(frozen=True)
class Via:
    """What audit.record_chat takes of an event: the dashboard's entries have the source "liff"."""

    webhook_event_id: str = "liff"


@dataclass
class Turn:
    """One API call, as the chat's helpers take a chat turn (domain.audit.ChatTurn): who, and the transaction."""

    session: Session
    user: User
    event: Via = Via()


@contextmanager
def call() -> Iterator[Turn]:
    """An API call's transaction and its signed-in user. A refusal raised inside still commits what was
    recorded before it (the audit entry of an area or case outside the scope)."""
    refusal = None
    with get_db().transaction() as session:
        try:
            yield Turn(session, signed_in(session))
        except Refused as exc:
            refusal = exc
    if refusal is not None:
        raise refusal


def scope_of(turn: Turn, code: str | None) -> tuple[tuple[str, ...], Area | None]:
    """The roots a call covers: the whole scope, or the area `code` when it lies in the scope (the chat's
    check, audited when it does not); Refused (404) otherwise."""
    if not code:
        return access.scope_prefixes(turn.user), None
    area = area_in_scope(turn, code[:16], "liff")
    if area is None:
        raise Refused(404, "not_found")
    return (area.code,), area


def overdue_days() -> int:
    return current_app.config["SUMMARY_OVERDUE_DAYS"]


def area_name(area: Area) -> str:
    return LEVEL_PREFIX.get(area.level, "") + area.name


def breadcrumbs(user: User, area: Area | None) -> list[dict[str, Any]]:
    """From the whole scope down to `area`, through the areas between that lie in the scope."""
    trail, prefixes = [], access.scope_prefixes(user)
    while area is not None and access.code_in_scope(prefixes, area.code):
        trail.append({"code": area.code, "label": area_name(area)})
        area = area.parent
    return [{"code": None, "label": access.scope_label(user)}, *reversed(trail)]


@bp.get("/api/overview")
def overview():
    with call() as turn:
        session = turn.session
        roots, area = scope_of(turn, request.args.get("area"))
        now = utcnow()
        summary = summarise(session, roots, now, overdue_days())
        numbers = dashboard.numbers(session, roots)
        reporting = deadline_report(session, roots, now)
        deadline = reporting.deadline if reporting else None
        counts = summary.counts
        audit.record_chat(turn, "summary", "area", area.code if area else "scope", area_code=area.code if area else None,
                          scope=list(roots), cases=counts.total, via="liff")
        answer = {
            "area": {"code": area.code if area else None,
                     "label": access.area_label(area) if area else access.scope_label(turn.user)},
            "breadcrumbs": breadcrumbs(turn.user, area),
            "deadline": None if deadline is None else {
                "title": deadline.title, "due": format_thai_date_digits(deadline.due_date),
                "days_left": (deadline.due_date - now.astimezone(BANGKOK).date()).days,
                "lines": progress_lines(reporting), "reported": len(reporting.reported),
                "expected": len(reporting.organisations)},
            "by_status": [{"status": status, "label": label, "count": counts.by_status.get(status, 0)}
                          for status, label in STATUSES.items()],
            "by_outcome": [{"key": key, "label": label, "count": count} for key, label, count in numbers.outcomes],
            "totals": {"total": counts.total, "missing": counts.missing, "urgent": numbers.urgent,
                       "overdue": counts.overdue},
            "sub_areas": [{"code": sub.code, "label": sub.name, "total": sub.counts.total,
                           "missing": sub.counts.missing, "overdue": sub.counts.overdue, "drillable": sub.drillable}
                          for sub in summary.sub_areas],
        }
    return jsonify(answer)


def filters_of(session: Session) -> dashboard.Filters:
    try:
        return dashboard.Filters.parse(session, request.args)
    except dashboard.BadFilter as exc:
        raise Refused(400, "bad_filter", str(exc)) from None


def page_number() -> int:
    raw = request.args.get("page") or "1"
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6 or int(raw) < 1:
        raise Refused(400, "bad_filter", BAD_PAGE)
    return int(raw)


@bp.get("/api/cases")
def cases():
    with call() as turn:
        session = turn.session
        filters, page = filters_of(session), page_number()
        roots, _ = scope_of(turn, request.args.get("area"))
        found = dashboard.cases_page(session, turn.user, roots, filters, page, utcnow(), overdue_days())
        reasons = choice_list(session, "reason")
        act_on_case.viewed(turn, found.cases, "liff", ["name", "birth_date"])
        answer = {
            "cases": [case_row(session, case, case.id in found.overdue, dict(reasons)) for case in found.cases],
            "page": found.page, "pages": found.pages, "total": found.total,
            "filters": filter_choices(session, roots, reasons),
        }
    return jsonify(answer)


def filter_choices(session: Session, roots: tuple[str, ...], reasons: list[tuple[str, str]] | None = None) -> dict:
    """What the list's and the map's filters offer under `roots`."""
    return {
        "statuses": [{"value": status, "label": label} for status, label in STATUSES.items()],
        "reasons": [{"value": code, "label": label} for code, label in reasons or choice_list(session, "reason")],
        "owners": OWNER_CHOICES + [{"value": str(user_id), "label": name or f"ผู้ใช้ {user_id}"}
                                   for user_id, name in dashboard.owners(session, roots)],
    }


def case_row(session: Session, case: Case, overdue: bool, reasons: dict[str, str]) -> dict[str, Any]:
    owned = case.owner_id is not None or case.owner_org_id is not None
    return {
        "id": case.id, "name": case.full_name or case.number, "age": act_on_case.age_of(case),
        "status": case.status, "status_label": STATUSES[case.status],
        "reason_label": reasons.get(case.reason) or choice_label(session, "reason", case.reason),
        "area_label": area_name(case.area) if case.area else act_on_case.place_text(case),
        "urgent": case.urgent, "overdue": overdue, "owner": case_details.owner_text(case) if owned else None,
        "updated": format_thai_date(case.updated_at.astimezone(BANGKOK).date()),
    }


@bp.get("/api/map")
def map_pins():
    with call() as turn:
        session = turn.session
        filters = filters_of(session)
        roots, _ = scope_of(turn, request.args.get("area"))
        pins, total = dashboard.pins(session, turn.user, roots, filters, utcnow(), overdue_days())
        # A pin is where a child lives: each one shown is a view of that case, as on its card.
        audit.record_chat_each(turn, "view", "case", [(pin.case_id, pin.area_code) for pin in pins], via="liff",
                               fields=["pin"])
        answer = {"pins": [{"id": pin.case_id, "lat": pin.latitude, "lng": pin.longitude, "status": pin.status,
                            "urgent": pin.urgent, "overdue": pin.overdue, "label": pin_label(pin)} for pin in pins],
                  "total": total, "shown": len(pins), "filters": filter_choices(session, roots)}
    return jsonify(answer)


def pin_label(pin: dashboard.Pin) -> str:
    marks = ["🚨 เร่งด่วน"] * pin.urgent + ["เกินกำหนด"] * pin.overdue
    return " · ".join([case_number(pin.case_id, pin.created_at), STATUSES[pin.status], *marks])


def visible_case(turn: Turn, case_id: str) -> Case:
    """The case if the user may see it (act_on_case.case_refusal, which audits a refusal); Refused (404)."""
    case, reason = act_on_case.case_refusal(turn, None, case_id[:16])
    if reason:
        raise Refused(404, "not_found")
    return case


@bp.get("/api/cases/<case_id>")
def case_page(case_id: str):
    with call() as turn:
        session = turn.session
        case = visible_case(turn, case_id)
        rows, full = act_on_case.card_rows(session, case, turn.user)
        lines = case_details.timeline_lines(session, case, full)
        notes = any(noted for *_, noted in lines)
        act_on_case.viewed(turn, [case], "liff", case_details.shown_fields(case, full, notes))
        answer = {
            "case": {"id": case.id, "title": fit_text(case.full_name or case.number, case_details.ROW_SHOWN),
                     "rows": [list(row) for row in case_details.fitted(rows) if isinstance(row, tuple)],
                     "status": case.status, "status_label": STATUSES[case.status], "urgent": case.urgent},
            "timeline": [{"at": when, "words": words, "actor": who} for when, words, who, _ in lines],
            "actions": [{"action": a.name, "label": a.label}
                        for a in act_on_case.allowed_actions(turn.user, case)],
        }
    return jsonify(answer)


@bp.post("/api/cases/<case_id>/actions/<action>")
def act(case_id: str, action: str):
    with call() as turn:
        case = visible_case(turn, case_id)
        if action not in {a.name for a in act_on_case.allowed_actions(turn.user, case)}:
            raise Refused(403, "not_offered")
        line_user_id, data = turn.user.line_user_id, f"action={action}&case={case.id}"
    run_in_chat(line_user_id, data)
    return jsonify(ok=True, message=ACTION_TAKEN)


@bp.post("/api/export")
def export():
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}
    code, fmt = body.get("area"), body.get("format") or "xlsx"
    if (code is not None and not isinstance(code, str)) or fmt not in EXPORT_FORMATS:
        raise Refused(400, "bad_filter", dashboard.BAD_FILTER.format("ไฟล์รายงาน"))
    with call() as turn:
        _, area = scope_of(turn, code)
        line_user_id = turn.user.line_user_id
    run_in_chat(line_user_id, f"action=export&format={fmt}" + (f"&area={area.code}" if area else ""))
    return jsonify(ok=True, message=EXPORT_QUEUED)


def run_in_chat(line_user_id: str, data: str) -> None:
    """Do what tapping a button with postback `data` in the chat does, as this user: the same handler through
    the Dispatcher, with no reply token, so what it answers reaches the chat by push (with a retry key)."""
    ext = current_app.extensions
    ext["sender"].ensure_started()
    ext["exporter"].ensure_started()
    event = PostbackEvent.from_dict({
        "type": "postback", "mode": "active", "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": line_user_id}, "webhookEventId": f"liff-{uuid.uuid4().hex}",
        "deliveryContext": {"isRedelivery": False}, "postback": {"data": data}})
    try:
        queued = ext["dispatcher"].handle(event)
    except DBAPIError:  # the database out of reach: nothing was recorded, the page may ask again
        raise Refused(503, "unavailable") from None
    ext["sender"].send_claimed(queued)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.extensions["line_login"] = LineLogin(app.config["LINE_LOGIN_API_BASE_URL"], app.config["LINE_TIMEOUT_SECONDS"])
    app.extensions["liff_sessions"] = SessionTokens(cipher_of(app.extensions["db"].engine).derive_key(SESSION_PURPOSE))
