"""Webhook requests as LINE sends them: signed bodies and events of the exact shape of LINE's webhook JSON."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import itertools
import json
import secrets
import threading
import uuid
from dataclasses import dataclass
from typing import Any, Callable

from devtools.fakeline.images import tiny_jpeg

_ULID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass
class ReplyToken:
    """A reply token LINE issued with an event: for that chat, usable once, for a minute."""

    chat_id: str
    issued_at: float
    used: bool = False


def new_quote_token() -> str:
    """A new quoteToken, as LINE gives one with a message a user or the bot sent."""
    return secrets.token_urlsafe(48)


class WebhookEvents:
    """FakeLine's event builders: each event issues what LINE would (a reply token, a message id) and
    records what it implies (a user who follows, an image's content to download)."""

    # The platform's state these share with the Messaging API side, set up by FakeLine.__init__.
    channel_secret: str
    clock: Callable[[], float]
    _lock: threading.Lock
    _ids: itertools.count
    _reply_tokens: dict[str, ReplyToken]
    _following: dict[str, bool]
    add_content: Callable[[str, bytes, str], None]

    def issue_reply_token(self, user_id: str) -> str:
        """A reply token for a chat (user, group or room id): usable once, for 60 s."""
        token = uuid.uuid4().hex
        with self._lock:
            self._reply_tokens[token] = ReplyToken(user_id, self.clock())
        return token

    def signature(self, body: bytes) -> str:
        digest = hmac.new(self.channel_secret.encode(), body, hashlib.sha256).digest()
        return base64.b64encode(digest).decode()

    def webhook_request(
        self, events: list[dict], destination: str = "U" + "deadbeef" * 4
    ) -> tuple[bytes, dict]:
        """The body and headers LINE would POST to the bot's webhook URL."""
        body = json.dumps(
            {"destination": destination, "events": events}, ensure_ascii=False, separators=(",", ":")
        ).encode("utf-8")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Line-Signature": self.signature(body),
            "User-Agent": "LineBotWebhook/2.0",
        }
        return body, headers

    def text_event(self, user_id: str, text: str, *, quote_token: bool = True) -> dict:
        message = {"id": self._message_id(), "type": "text", "text": text}
        if quote_token:
            message["quoteToken"] = new_quote_token()
        return self._event("message", self._user_source(user_id), message=message)

    def follow_event(self, user_id: str) -> dict:
        with self._lock:
            was_blocked = self._following.get(user_id) is False
            self._following[user_id] = True
        return self._event("follow", self._user_source(user_id), follow={"isUnblocked": was_blocked})

    def unfollow_event(self, user_id: str) -> dict:
        with self._lock:
            self._following[user_id] = False
        return self._event("unfollow", {"type": "user", "userId": user_id}, reply=False)

    def location_event(
        self,
        user_id: str,
        latitude: float,
        longitude: float,
        title: str | None = None,
        address: str | None = None,
    ) -> dict:
        message: dict[str, Any] = {"id": self._message_id(), "type": "location"}
        if title is not None:
            message["title"] = title
        if address is not None:
            message["address"] = address
        message.update(latitude=latitude, longitude=longitude)
        return self._event("message", self._user_source(user_id), message=message)

    def image_event(
        self, user_id: str, data: bytes | None = None, content_type: str = "image/jpeg"
    ) -> dict:
        """An image message whose content is then downloadable from the fake."""
        message_id = self._message_id()
        self.add_content(message_id, tiny_jpeg() if data is None else data, content_type)
        message = {
            "id": message_id,
            "type": "image",
            "contentProvider": {"type": "line"},
            "quoteToken": new_quote_token(),
        }
        return self._event("message", self._user_source(user_id), message=message)

    def sticker_event(self, user_id: str, package_id: str = "446", sticker_id: str = "1988") -> dict:
        message = {
            "id": self._message_id(),
            "type": "sticker",
            "packageId": package_id,
            "stickerId": sticker_id,
            "stickerResourceType": "STATIC",
            "quoteToken": new_quote_token(),
        }
        return self._event("message", self._user_source(user_id), message=message)

    def audio_event(self, user_id: str, duration_ms: int = 4000) -> dict:
        """A voice message recorded in LINE (no quoteToken: LINE gives none for audio)."""
        message = {"id": self._message_id(), "type": "audio", "duration": duration_ms,
                   "contentProvider": {"type": "line"}}
        return self._event("message", self._user_source(user_id), message=message)

    def video_event(self, user_id: str, duration_ms: int = 8000) -> dict:
        message = {"id": self._message_id(), "type": "video", "duration": duration_ms,
                   "contentProvider": {"type": "line"}, "quoteToken": new_quote_token()}
        return self._event("message", self._user_source(user_id), message=message)

    def file_event(self, user_id: str, file_name: str = "รายชื่อ.xlsx", file_size: int = 2138) -> dict:
        message = {"id": self._message_id(), "type": "file", "fileName": file_name, "fileSize": file_size}
        return self._event("message", self._user_source(user_id), message=message)

    def postback_event(self, user_id: str, data: str, params: dict | None = None) -> dict:
        postback: dict[str, Any] = {"data": data}
        if params:
            postback["params"] = dict(params)
        return self._event("postback", self._user_source(user_id), postback=postback)

    def group_text_event(self, group_id: str, user_id: str, text: str) -> dict:
        message = {"id": self._message_id(), "type": "text", "text": text, "quoteToken": new_quote_token()}
        source = {"type": "group", "groupId": group_id, "userId": user_id}
        return self._event("message", source, message=message)

    @staticmethod
    def redelivered(event: dict) -> dict:
        """The same event as LINE redelivers it (same webhookEventId)."""
        again = copy.deepcopy(event)
        again["deliveryContext"] = {"isRedelivery": True}
        return again

    def _event(self, event_type: str, source: dict, *, reply: bool = True, **payload: Any) -> dict:
        event: dict[str, Any] = {}
        if reply:
            chat_id = source.get("groupId") or source.get("roomId") or source["userId"]
            event["replyToken"] = self.issue_reply_token(chat_id)
        now_ms = int(self.clock() * 1000)
        event.update(
            type=event_type,
            mode="active",
            timestamp=now_ms,
            source=source,
            webhookEventId=self._ulid(now_ms),
            deliveryContext={"isRedelivery": False},
        )
        event.update(payload)
        return event

    def _user_source(self, user_id: str) -> dict:
        with self._lock:
            self._following.setdefault(user_id, True)
        return {"type": "user", "userId": user_id}

    def _message_id(self) -> str:
        with self._lock:
            return str(next(self._ids))

    @staticmethod
    def _ulid(now_ms: int) -> str:
        value = (now_ms & (2**48 - 1)) << 80 | secrets.randbits(80)
        return "".join(_ULID_ALPHABET[(value >> shift) & 31] for shift in range(125, -1, -5))
