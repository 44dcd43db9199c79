"""FakeLine: LINE's Messaging API for one channel, served over HTTP from routes made from LINE's spec.

Every call is authenticated, may meet an injected fault, is validated against the spec (header
parameters, the JSON body against its schema, and what the spec cannot say), then handled under one
lock and recorded.

Long: one request's way through the fake, from the socket to the recorded call, reads best in one
place; the parts that stand alone (events, faults, rich menus, the loading animation) are mixins of
their own.
"""

from __future__ import annotations

import copy
import functools
import itertools
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable

from cheroot.wsgi import Server as WSGIServer
from flask import Flask, Response, request
from werkzeug.exceptions import MethodNotAllowed, NotFound

from devtools.fakeline.answers import Answer, Call, error
from devtools.fakeline.events import ReplyToken, WebhookEvents, new_quote_token
from devtools.fakeline.faults import Fault, FaultInjection
from devtools.fakeline.loading import LoadingAnimation, loading_checks
from devtools.fakeline.login import VERIFY_PATH, LineLogin
from devtools.fakeline.richmenus import RichMenus, rich_menu_checks
from devtools.fakeline.spec import ApiSpec, Operation, messaging_api_spec

AUTH_FAILED = (
    "Authentication failed. Confirm that the access token in the authorization header is valid."
)
REPLY_TOKEN_TTL = 60.0  # seconds; https://developers.line.biz/en/reference/messaging-api/#send-reply-message
RETRY_KEY_TTL = 24 * 3600.0  # https://developers.line.biz/en/docs/messaging-api/retrying-api-request/
# Messages LINE returns a quoteToken for when the bot sends them.
QUOTABLE_TYPES = {"text", "textV2", "sticker", "image", "video"}


@dataclass
class _AcceptedRetryKey:
    request_id: str
    at: float
    sent_messages: list | None


class FakeLine(WebhookEvents, FaultInjection, RichMenus, LoadingAnimation, LineLogin):
    """The LINE platform, as seen by one channel (one secret, one access token), and LINE Login's verify
    endpoint for the ID tokens it issues (devtools/fakeline/login.py)."""

    def __init__(
        self,
        channel_secret: str,
        access_token: str,
        *,
        latency: float = 0.0,
        clock: Callable[[], float] = time.time,
    ):
        self.channel_secret = channel_secret
        self.access_token = access_token
        self.clock = clock
        self.spec = messaging_api_spec()
        self.base_url: str | None = None

        self._lock = threading.RLock()  # _respond takes it again inside _serve_operation
        self._latency = latency
        self._validating = True
        self._failures: list[Fault] = []
        self._hangs: list[Fault] = []
        # Numeric like LINE's 18-digit message ids, and unique within this fake.
        self._ids = itertools.count(int(clock() * 1000) * 100_000)

        self.calls: list[Call] = []
        self._deliveries: list[tuple[str, dict]] = []
        self._reply_tokens: dict[str, ReplyToken] = {}
        self._retry_keys: dict[str, _AcceptedRetryKey] = {}
        self._following: dict[str, bool] = {}  # user id -> still a friend
        self._profiles: dict[str, dict] = {}
        self._contents: dict[str, tuple[bytes, str]] = {}
        self._loading: dict[str, float] = {}
        self._id_token_key = secrets.token_bytes(32)

        # The channel's monthly target limit (None: type "none") and the messages LINE counts against it:
        # one per recipient of each push, multicast or broadcast since this fake started (its "month").
        self.message_quota: int | None = None
        self._consumed = 0

        self.rich_menus: dict[str, dict] = {}
        self._rich_menu_images: dict[str, tuple[bytes, str]] = {}
        self._user_menus: dict[str, str] = {}
        self.default_rich_menu: str | None = None
        self.rich_menu_aliases: dict[str, str] = {}

        self._server = None
        self._thread: threading.Thread | None = None
        self._handlers = self._handler_table()
        self.wsgi_app = self._build_app()

    # ---------------------------------------------------------------- serving

    def serve(self, host: str = "127.0.0.1", port: int = 0, threads: int = 128) -> str:
        """Serve the API from a daemon thread; return its base URL."""
        if self._server is not None:
            raise RuntimeError("FakeLine is already serving at " + str(self.base_url))
        # cheroot keeps connections alive, as LINE's API does (werkzeug's server closes each one, and
        # every client call would pay for a new connection). A call may sleep (latency, hangs): there
        # are threads for as many calls as can be under way at once.
        self._server = WSGIServer((host, port), self.wsgi_app, numthreads=threads, request_queue_size=threads,
                                  timeout=30, shutdown_timeout=1)
        self._server.expiration_interval = 0.02  # how often it looks for stop(): a quick shutdown
        # LINE keeps every idle connection open; cheroot by default keeps only ten, and a client with
        # more calls in flight would pay for a new connection on most of them.
        self._server.keep_alive_conn_limit = None
        self._server.prepare()
        self._thread = threading.Thread(target=self._server.serve, name="fakeline", daemon=True)
        self._thread.start()
        self.base_url = f"http://{host}:{self._server.bind_addr[1]}"
        return self.base_url

    def shutdown(self) -> None:
        if self._server is None:
            return
        self._server.stop()
        self._thread.join()
        self._server = self._thread = None
        self.base_url = None

    def set_validation(self, on: bool) -> None:
        """Whether JSON bodies are checked against their schema and LINE's documented limits, the costly
        part of a call. Off only for throughput runs, and only for a client known to send valid bodies
        (a handler may then fail on an invalid one); headers, authentication, reply tokens, retry keys
        and faults are checked either way."""
        self._validating = on

    # -------------------------------------------------------------- recording

    def _successful(self, operation_id: str) -> list[Call]:
        path = self.spec.operation(operation_id).path
        with self._lock:
            return [c for c in self.calls if c.path == path and 200 <= c.status < 300]

    def replies(self) -> list[Call]:
        return self._successful("replyMessage")

    def pushes(self) -> list[Call]:
        return self._successful("pushMessage")

    def multicasts(self) -> list[Call]:
        return self._successful("multicast")

    def broadcasts(self) -> list[Call]:
        return self._successful("broadcast")

    def messages_to(self, user_id: str) -> list[dict]:
        """Messages delivered to this chat, in order, by reply, push, multicast or broadcast."""
        with self._lock:
            return [copy.deepcopy(m) for chat, m in self._deliveries if chat == user_id]

    def texts_to(self, user_id: str) -> list[str]:
        return [m["text"] for m in self.messages_to(user_id) if m.get("type") in ("text", "textV2")]

    def take_calls(self) -> list[Call]:
        """The calls recorded so far, forgotten here with their deliveries: a long run collects them as it
        goes instead of holding every call until the end."""
        with self._lock:
            calls = self.calls[:]
            self.calls.clear()
            self._deliveries.clear()
        return calls

    def forget_expired_reply_tokens(self) -> None:
        """Drop the reply tokens past their minute: LINE refuses them either way ("Invalid reply token"),
        and a long run would otherwise keep every token it was ever issued."""
        with self._lock:
            now = self.clock()
            for token, issued in list(self._reply_tokens.items()):
                if now - issued.issued_at > REPLY_TOKEN_TTL:
                    del self._reply_tokens[token]

    def reset(self) -> None:
        """Forget recorded calls, deliveries, loading animations, the month's quota and the faults not yet
        met (a test's leftover failures would meet the next test's calls); users, contents, menus and the
        latency stay."""
        with self._lock:
            self._failures.clear()
            self._hangs.clear()
            self.calls.clear()
            self._deliveries.clear()
            self._loading.clear()
            self._consumed = 0
            self.message_quota = None

    # ------------------------------------------------ users, profiles, content

    def set_profile(
        self, user_id: str, display_name: str, picture_url: str | None = None, language: str = "th"
    ) -> None:
        profile = {"displayName": display_name, "userId": user_id, "language": language}
        if picture_url:
            profile["pictureUrl"] = picture_url
        with self._lock:
            self._profiles[user_id] = profile
            self._following.setdefault(user_id, True)

    def add_content(self, message_id: str, data: bytes, content_type: str = "image/jpeg") -> None:
        with self._lock:
            self._contents[message_id] = (bytes(data), content_type)

    def contents(self) -> dict[str, bytes]:
        """The content of every message the fake serves, by message id (what users sent: photos, files)."""
        with self._lock:
            return {message_id: data for message_id, (data, _) in self._contents.items()}

    # ------------------------------------------------------------ HTTP layer

    def _build_app(self) -> Flask:
        app = Flask(__name__)
        for op in self.spec.operations:
            app.add_url_rule(
                op.flask_rule,
                endpoint=op.operation_id,
                view_func=functools.partial(self._serve_operation, op),
                methods=[op.method],
            )
        app.add_url_rule(VERIFY_PATH, endpoint="verifyIdToken", view_func=self._serve_login_verify, methods=["POST"])
        app.register_error_handler(NotFound, lambda e: self._respond(error(404, "Not found")))
        app.register_error_handler(
            MethodNotAllowed, lambda e: self._respond(error(405, "Method Not Allowed"))
        )
        return app

    def _serve_operation(self, op: Operation, **path_params: str) -> Response:
        if self._latency > 0:
            time.sleep(self._latency)
        request.get_data()  # read the whole body now: handlers run under the lock
        body = request.get_json(force=True, silent=True) if op.body_schema else None
        hang = None
        answer = self._authenticate()
        if answer is None:
            answer = self._injected_failure()
        if answer is None:
            hang = self._take(self._hangs, request.path)
            answer = self._validate(op, body)
        request_id = uuid.uuid4().hex
        # The call is recorded in the same hold of the lock as the messages it delivered: a test that
        # sees a message in the chat also finds the call that carried it.
        with self._lock:
            if answer is None:
                handler = self._handlers.get(op.operation_id)
                if handler is None:
                    answer = error(501, f"FakeLine does not implement {op.operation_id}")
                else:
                    answer = handler(path_params, body, request_id)
            response = self._respond(answer, body, request_id)
        if hang is not None:
            time.sleep(hang.seconds)
        return response

    def _serve_login_verify(self) -> Response:
        """LINE Login's verify call: form fields in, no bearer token; faults and latency as for every call."""
        if self._latency > 0:
            time.sleep(self._latency)
        form = request.form.to_dict()
        answer = self._injected_failure()
        if answer is None:
            with self._lock:
                answer = self._verify_id_token(form)
        return self._respond(answer, form)

    def _authenticate(self) -> Answer | None:
        if request.headers.get("Authorization", "") != f"Bearer {self.access_token}":
            return error(401, AUTH_FAILED)
        return None

    def _validate(self, op: Operation, body: Any) -> Answer | None:
        for param in op.header_params:
            value = request.headers.get(param["name"])
            if value is None:
                if param.get("required"):
                    return error(400, f"The '{param['name']}' header is required")
            elif param.get("schema", {}).get("format") == "uuid" and not _is_uuid(value):
                return error(400, f"The value for the '{param['name']}' header is invalid")
        if op.body_schema is None:
            return None
        if body is None:
            if request.get_data() or op.body_required:
                return error(400, "The request body could not be parsed as JSON")
            return None
        if not self._validating:
            return None
        details = self.spec.errors(op.body_schema, body)
        extra = _EXTRA_CHECKS.get(op.body_schema)
        if extra is not None:
            details += [d for d in extra(self.spec, body) if d not in details]
        if details:
            return error(400, f"The request body has {len(details)} error(s)", details=details)
        return None

    def _respond(self, answer: Answer, body: Any = None, request_id: str | None = None) -> Response:
        request_id = request_id or uuid.uuid4().hex
        if answer.data is not None:
            response = Response(answer.data, status=answer.status, content_type=answer.content_type)
        else:
            payload = json.dumps(answer.json if answer.json is not None else {}, ensure_ascii=False)
            response = Response(payload, status=answer.status, content_type="application/json; charset=UTF-8")
        response.headers["x-line-request-id"] = request_id
        for name, value in answer.headers.items():
            response.headers[name] = value
        call = Call(
            method=request.method,
            path=request.path,
            headers=dict(request.headers),
            json=body,
            status=answer.status,
            response_json=answer.json if answer.data is None else None,
            at=self.clock(),
            request_id=request_id,
        )
        with self._lock:
            self.calls.append(call)
        return response

    # -------------------------------------------------------------- handlers
    # Each runs with self._lock held, after auth, fault injection and
    # validation; it returns the answer to send.

    def _handler_table(self) -> dict[str, Callable[[dict, Any, str], Answer]]:
        ok = self._ok  # validation endpoints: reaching the handler means valid
        return {
            "replyMessage": self._reply,
            "pushMessage": self._push,
            "multicast": self._multicast,
            "broadcast": self._broadcast,
            "validateReply": ok,
            "validatePush": ok,
            "validateMulticast": ok,
            "validateBroadcast": ok,
            "showLoadingAnimation": self._start_loading,
            "getMessageQuota": self._get_quota,
            "getMessageQuotaConsumption": self._get_consumption,
            "getProfile": self._get_profile,
            "getMessageContent": self._get_content,
            "validateRichMenuObject": ok,
            **self._rich_menu_handlers(),
        }

    @staticmethod
    def _ok(params, body, request_id) -> Answer:
        return Answer(200, {})

    def _deliver(self, chat_id: str, messages: list[dict]) -> list[dict]:
        self._stop_loading(chat_id)
        sent = []
        for message in messages:
            entry = {"id": str(next(self._ids))}
            if message.get("type") in QUOTABLE_TYPES:
                entry["quoteToken"] = new_quote_token()
            self._deliveries.append((chat_id, copy.deepcopy(message)))
            sent.append(entry)
        return sent

    def _reply(self, params, body, request_id) -> Answer:
        token = self._reply_tokens.get(body["replyToken"])
        if token is None or token.used or self.clock() - token.issued_at > REPLY_TOKEN_TTL:
            return error(400, "Invalid reply token")
        token.used = True
        return Answer(200, {"sentMessages": self._deliver(token.chat_id, body["messages"])})

    def _with_retry_key(self, request_id: str, send: Callable[[], Answer]) -> Answer:
        key = request.headers.get("X-Line-Retry-Key", "").lower()
        now = self.clock()
        accepted = self._retry_keys.get(key) if key else None
        if accepted is not None and now - accepted.at <= RETRY_KEY_TTL:
            extra = {"sentMessages": accepted.sent_messages} if accepted.sent_messages else {}
            answer = error(409, "The retry key is already accepted", **extra)
            answer.headers["x-line-accepted-request-id"] = accepted.request_id
            return answer
        answer = send()
        if key and 200 <= answer.status < 300:
            self._retry_keys[key] = _AcceptedRetryKey(request_id, now, answer.json.get("sentMessages"))
        return answer

    def _push(self, params, body, request_id) -> Answer:
        def send() -> Answer:
            self._consumed += 1
            return Answer(200, {"sentMessages": self._deliver(body["to"], body["messages"])})

        return self._with_retry_key(request_id, send)

    def _multicast(self, params, body, request_id) -> Answer:
        def send() -> Answer:
            for user_id in body["to"]:
                self._deliver(user_id, body["messages"])
            self._consumed += len(body["to"])
            return Answer(200, {})

        return self._with_retry_key(request_id, send)

    def _broadcast(self, params, body, request_id) -> Answer:
        def send() -> Answer:
            for user_id, following in list(self._following.items()):
                if following:
                    self._deliver(user_id, body["messages"])
                    self._consumed += 1
            return Answer(200, {})

        return self._with_retry_key(request_id, send)

    def _get_quota(self, params, body, request_id) -> Answer:
        if self.message_quota is None:
            return Answer(200, {"type": "none"})
        return Answer(200, {"type": "limited", "value": self.message_quota})

    def _get_consumption(self, params, body, request_id) -> Answer:
        return Answer(200, {"totalUsage": self._consumed})

    def _get_profile(self, params, body, request_id) -> Answer:
        profile = self._profiles.get(params["userId"])
        return Answer(200, dict(profile)) if profile else error(404, "Not found")

    def _get_content(self, params, body, request_id) -> Answer:
        found = self._contents.get(params["messageId"])
        if found is None:
            return error(404, "Not found")
        return Answer(200, data=found[0], content_type=found[1])


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


_EXTRA_CHECKS: dict[str, Callable[[ApiSpec, Any], list[dict]]] = {
    "RichMenuRequest": rich_menu_checks,
    "ShowLoadingAnimationRequest": loading_checks,
}
