"""POST /callback, the endpoint LINE calls, and GET /healthz."""
from __future__ import annotations

import gc
import json
import logging
import sys
import threading

from flask import Blueprint, Flask, current_app, jsonify, request
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.webhooks import Event
from sqlalchemy.exc import DBAPIError

from domain import report_text
from models.database import get_db

log = logging.getLogger(__name__)

bp = Blueprint("webhook", __name__)

# LINE's webhook bodies are a few kilobytes (at most a few dozen events); anything near this is not LINE.
MAX_BODY_BYTES = 1024 * 1024


def parse_events(parser: WebhookParser, body: str, signature: str) -> list[Event]:
    """Events of a correctly signed body; InvalidSignatureError otherwise.

    The SDK verifies the signature before it reads the JSON, so once it gets past that,
    a body it cannot parse is well-signed but odd: keep whatever events do parse.
    """
    try:
        return parser.parse(body, signature)
    except InvalidSignatureError:
        raise
    except Exception:
        try:
            raw_events = json.loads(body).get("events", [])
        # RecursionError: JSON nested deeper than the parser goes (thousands of brackets).
        except (ValueError, AttributeError, RecursionError):
            log.warning("webhook body is not a JSON object (%d bytes); ignored", len(body))
            return []
        events = []
        for raw in raw_events if isinstance(raw_events, list) else []:
            try:
                events.append(Event.from_dict(raw))
            except Exception:
                log.warning("unparseable webhook event ignored")
        return events


@bp.post("/callback")
def callback():
    ext = current_app.extensions
    ext["sender"].ensure_started()
    ext["photos"].ensure_started()
    ext["class_lists"].ensure_started()
    ext["exporter"].ensure_started()
    signature = request.headers.get("X-Line-Signature", "")
    # Werkzeug answers 413 for a longer declared length before reading anything, and stops reading a
    # chunked body at the limit.
    request.max_content_length = MAX_BODY_BYTES
    body = request.get_data(as_text=True)
    try:
        events = parse_events(ext["webhook_parser"], body, signature)
    except InvalidSignatureError:
        log.warning("webhook refused: bad or missing signature from %s", request.remote_addr)
        return jsonify(message="invalid signature"), 400

    queued: list = []
    unrecorded = 0
    for event in events:
        try:
            queued += ext["dispatcher"].handle(event)
        except DBAPIError:
            # Not recorded, so answering 5xx makes LINE redeliver it; the rest are deduplicated.
            log.exception("could not record event %s", getattr(event, "webhook_event_id", "?"))
            unrecorded += 1
    ext["sender"].send_claimed(queued)
    if unrecorded:
        return jsonify(message="temporarily unavailable"), 503
    return jsonify(message="ok")


@bp.get("/healthz")
def healthz():
    try:
        get_db().ping()
    except DBAPIError:
        return jsonify(status="database unreachable"), 503
    return jsonify(status="ok")


# A web process's threads mostly wait on PostgreSQL and LINE while one computes. A thread whose round trip
# has returned waits for the GIL until the computing one is made to let go, every switch interval (5 ms by
# default); at ~6 round trips an event, that wait, not the work, was most of a webhook's time at 80 % of
# capacity (docs/performance.md, "Where the time goes").
SWITCH_INTERVAL_SECONDS = 0.0005


def warm_up() -> None:
    report_text.warm_up()
    # The dictionary is ~480,000 objects that live as long as the process. Left to the collector, each of
    # its full passes walks them all, ~90 ms with every thread stopped; frozen, they are never walked. Once a
    # process: what a later app of the same process (the tests make many) leaves behind stays collectable.
    if gc.get_freeze_count() == 0:
        gc.collect()
        gc.freeze()


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    # In the background: a worker answers /healthz and the first events while the dictionary loads.
    threading.Thread(target=warm_up, name="thai-dictionary", daemon=True).start()
