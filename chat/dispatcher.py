"""Routes each webhook event to the handler for what the user did, once.

Each event gets its own transaction: the event id is recorded, the handler runs, and the
messages it returns are queued in the outbox, all committed together. A redelivered event
finds its id already recorded and is skipped, so nothing is done twice.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any
from urllib.parse import parse_qs

from linebot.v3.messaging import Message, TextMessage
from linebot.v3.webhooks import (
    AudioMessageContent,
    Event,
    FileMessageContent,
    FollowEvent,
    ImageMessageContent,
    JoinEvent,
    LocationMessageContent,
    MessageEvent,
    PostbackEvent,
    StickerMessageContent,
    TextMessageContent,
    UnfollowEvent,
    VideoMessageContent,
)
from sqlalchemy import bindparam, select
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, joinedload

from domain.access import may_receive_personal
from domain.thai import strip_control
from line.loading import LoadingAnimation
from line.outbox import deliver_here, queue_messages, queued_rows
from models import Conversation, InboundEvent, OutboxMessage, User, utcnow
from models.database import Database

log = logging.getLogger(__name__)

# inbound_events.webhook_event_id and users.line_user_id.
MAX_ID_LENGTH = InboundEvent.webhook_event_id.type.length
# The console's "Verify" button sends these; LINE refuses any reply to them.
DUMMY_REPLY_TOKENS = {"0" * 32, "f" * 32}

# Messages as SDK models or as their JSON (line.messages builds JSON).
Reply = list[Message | dict] | None


@dataclass
class Context:
    """What a handler needs: the event, who sent it, and the transaction to work in."""

    session: Session
    event: Event
    kind: str
    user: User | None
    now: datetime
    config: dict[str, Any]
    # The user's open draft once chat.flow has read it this event (chat.flow.conversation).
    draft: Conversation | None = field(default=None, init=False, repr=False)

    # What the user sent is read here and only here, rid of control characters (domain.thai.strip_control).
    # Cached: every route in the table asks.
    @cached_property
    def text(self) -> str:
        return normalize_text(self.event.message.text) if self.kind == "text" else ""

    @cached_property
    def postback(self) -> dict[str, str]:
        if self.kind != "postback":
            return {}
        return {strip_control(k): strip_control(v[0]) for k, v in parse_qs(self.event.postback.data or "").items()}

    @cached_property
    def picked(self) -> dict[str, str]:
        """A date or time picker's answer ({"date": "2012-03-15"}), or {}."""
        if self.kind != "postback":
            return {}
        return {strip_control(k): strip_control(str(v)) for k, v in (self.event.postback.params or {}).items()}

    @cached_property
    def location(self) -> dict[str, Any] | None:
        """A shared location: latitude, longitude, and the address and title LINE gives (or None)."""
        if self.kind != "location":
            return None
        m = self.event.message
        return {"latitude": m.latitude, "longitude": m.longitude,
                "address": strip_control(m.address) if m.address else m.address,
                "title": strip_control(m.title) if m.title else m.title}


@dataclass(frozen=True)
class Route:
    """One line of the routing table: an event kind, an optional condition, a handler."""

    kind: str  # follow | unfollow | join | text | location | image | sticker | audio | video | file | postback | *
    handler: Callable[[Context], Reply]
    texts: frozenset[str] = frozenset()
    action: str | None = None
    when: Callable[[Context], bool] | None = None

    def matches(self, ctx: Context) -> bool:
        if self.kind not in ("*", ctx.kind):
            return False
        if self.texts and ctx.text not in self.texts:
            return False
        if self.action and ctx.postback.get("action") != self.action:
            return False
        return self.when is None or self.when(ctx)


def texts(*words: str) -> frozenset[str]:
    return frozenset(normalize_text(w) for w in words)


def normalize_text(text: str) -> str:
    return re.sub(r"\s+", " ", strip_control(text or "")).strip()


_MESSAGE_KINDS = {
    TextMessageContent: "text",
    LocationMessageContent: "location",
    ImageMessageContent: "image",
    StickerMessageContent: "sticker",
    # No step takes these; they are answered with what the bot does take (chat.step.Step.wrong_kind).
    AudioMessageContent: "audio",
    VideoMessageContent: "video",
    FileMessageContent: "file",
}


def event_kind(event: Event) -> str | None:
    if isinstance(event, MessageEvent):
        return _MESSAGE_KINDS.get(type(event.message))
    return {FollowEvent: "follow", UnfollowEvent: "unfollow", JoinEvent: "join",
            PostbackEvent: "postback"}.get(type(event))


def _sender_id(event: Event) -> str | None:
    source = getattr(event, "source", None)
    return getattr(source, "user_id", None) if getattr(source, "type", None) == "user" else None


class Dispatcher:
    def __init__(self, routes: Iterable[Route], db: Database, config: dict[str, Any],
                 clock: Callable[[], datetime] = utcnow, loading: LoadingAnimation | None = None):
        self.routes = list(routes)
        self.db = db
        self.config = config
        # Shows LINE's loading animation to a user whose event takes long to handle; None: never.
        self.loading = loading
        # The time handlers act at (Context.now): a test following a child for months moves it, as
        # the scheduler's jobs take `now`.
        self.clock = clock
        # With the user's area, which nearly every answer to a registered user asks for (their scope):
        # joined, it costs less than the query a lazy load would make.
        # Built once with its parameter: a statement built per event costs more CPU than its round trip.
        self._load_user = select(User).options(joinedload(User.area)).where(User.line_user_id == bindparam("uid"))
        self._record_event = (db.insert(InboundEvent).on_conflict_do_nothing(index_elements=["webhook_event_id"])
                              .returning(InboundEvent.id))

    def handle(self, event: Event) -> list[OutboxMessage]:
        """Handle one event; return the outbox rows it queued, claimed for this process to send.
        A database out of reach raises (the webhook answers 503 and LINE redelivers)."""
        kind = event_kind(event)
        user_id = _sender_id(event)
        reply_token = getattr(event, "reply_token", None)
        # Group chats only get an answer when the bot is added (join), not for every message. LINE's ids
        # (a ULID, "U" and 32 hex digits) fit their columns: one that does not is no LINE event, and the
        # database would refuse to record it, at every redelivery.
        if (kind is None or (user_id is None and kind != "join") or reply_token in DUMMY_REPLY_TOKENS
                or len(event.webhook_event_id) > MAX_ID_LENGTH or len(user_id or "") > MAX_ID_LENGTH):
            log.info("ignored %s event", getattr(event, "type", "unknown"))
            return []
        try:
            with self._loading(user_id, reply_token):
                return self.db.retry_on_lost_connection(lambda: self._handle(event, kind, user_id, reply_token))
        except DBAPIError as exc:
            if unreachable(exc):
                raise
            # The database refused something this event carried (a value out of range, a constraint):
            # a redelivery would fail the same way forever, so it is answered and recorded as failed.
            # Only the error's class is logged: its message may quote the value.
            log.error("database refused %s event %s: %s", kind, event.webhook_event_id, type(exc.orig).__name__)
            return self._apologise(event, user_id, reply_token, exc)
        except Exception as exc:
            log.exception("handler failed for %s event %s", kind, event.webhook_event_id)
            return self._apologise(event, user_id, reply_token, exc)

    def _loading(self, user_id: str | None, reply_token: str | None) -> AbstractContextManager:
        """The loading animation while an event is handled: for a user's event that gets an answer."""
        if self.loading is None or user_id is None or reply_token is None:
            return nullcontext()
        return self.loading.while_handling(user_id)

    def _handle(self, event: Event, kind: str, user_id: str | None, reply_token: str | None) -> list[OutboxMessage]:
        with self.db.transaction() as session:
            if not self._record(session, event, user_id):
                log.info("skipped redelivered event %s", event.webhook_event_id)
                return []
            deliver_here(session)
            ctx = Context(session, event, kind, self._user(session, user_id), self.clock(), self.config)
            self._reply(session, ctx, self._route(ctx), reply_token)
            return queued_rows(session)

    def _record(self, session: Session, event: Event, user_id: str | None) -> bool:
        redelivery = bool(event.delivery_context and event.delivery_context.is_redelivery)
        # Built once, run on the session's connection: building the statement and the ORM's
        # bulk-insert path cost more CPU than the INSERT itself.
        inserted = session.connection().scalar(self._record_event, dict(
            webhook_event_id=event.webhook_event_id, event_type=event.type, line_user_id=user_id,
            redelivery=redelivery, received_at=utcnow()))
        return inserted is not None

    def _user(self, session: Session, user_id: str | None) -> User | None:
        if user_id is None:
            return None
        user = session.scalar(self._load_user, {"uid": user_id})
        if user is None:
            session.execute(
                self.db.insert(User).values(line_user_id=user_id, created_at=utcnow())
                .on_conflict_do_nothing(index_elements=["line_user_id"])
            )
            user = session.scalar(select(User).where(User.line_user_id == user_id))
        return user

    def _route(self, ctx: Context) -> Reply:
        for route in self.routes:
            if route.matches(ctx):
                return route.handler(ctx)
        return None

    def _reply(self, session: Session, ctx: Context, reply: Reply, reply_token: str | None) -> None:
        messages = list(reply or [])
        target = ctx.user.line_user_id if ctx.user else _group_id(ctx.event)
        if messages and target is not None:
            # An answer to someone unregistered or deactivated (the welcome, registration, a refusal)
            # names no child: handlers only show children's data to registered, active users.
            queue_messages(session, target, messages, reply_token, personal=may_receive_personal(ctx.user))

    def _apologise(self, event: Event, user_id: str | None, reply_token: str | None, exc: Exception) -> list[int]:
        with self.db.transaction() as session:
            if not self._record(session, event, user_id):
                return []
            session.execute(
                InboundEvent.__table__.update()
                .where(InboundEvent.webhook_event_id == event.webhook_event_id)
                .values(status="failed", error=type(exc).__name__)
            )
            if user_id is None:
                return []
            sorry = TextMessage(text="ขออภัย ระบบขัดข้องชั่วคราว ข้อมูลที่กรอกไว้ยังอยู่ครบ กรุณาลองส่งข้อความอีกครั้งในอีกสักครู่")
            deliver_here(session)
            queue_messages(session, user_id, [sorry], reply_token, personal=False)
            return queued_rows(session)


def unreachable(exc: DBAPIError) -> bool:
    """Whether the error is the database's state (gone, restarting, locked, a conflict to retry),
    not the data of the event being handled."""
    return exc.connection_invalidated or isinstance(exc, (OperationalError, InterfaceError))


def _group_id(event: Event) -> str | None:
    source = event.source
    return getattr(source, "group_id", None) or getattr(source, "room_id", None)
