"""LINE's loading animation (POST /v2/bot/chat/loading/start): which one-on-one chat shows it, and until when.

https://developers.line.biz/en/reference/messaging-api/#display-a-loading-indicator: only a user's
one-on-one chat can show it; it lasts loadingSeconds (5 when omitted) and ends early when a message
from the bot reaches that chat.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from devtools.fakeline.answers import Answer
from devtools.fakeline.spec import ApiSpec

DEFAULT_LOADING_SECONDS = 5
# LINE's answer to a group id, as quoted (cut short after "ille…") in openclaw/openclaw#132151; the
# sentence's last words are this fake's guess.
ONLY_USER_IDS = "Only user id is acceptable, please confirm if there are any group/room ids or illegal ids"


class LoadingAnimation:
    """FakeLine's loading animations; the handler runs with the platform's lock held."""

    # Set up by FakeLine.__init__.
    clock: Callable[[], float]
    _lock: threading.Lock
    _loading: dict[str, float]  # chat id -> clock() when the animation stops

    def loading_seconds_left(self, chat_id: str) -> float:
        """How much longer the chat shows the loading animation (0 when it does not)."""
        with self._lock:
            until = self._loading.get(chat_id)
        return max(until - self.clock(), 0.0) if until is not None else 0.0

    def _start_loading(self, params, body, request_id) -> Answer:
        self._loading[body["chatId"]] = self.clock() + body.get("loadingSeconds", DEFAULT_LOADING_SECONDS)
        return Answer(202, {})

    def _stop_loading(self, chat_id: str) -> None:
        """A message reached the chat: its animation ends (called with the lock held)."""
        self._loading.pop(chat_id, None)


def loading_checks(spec: ApiSpec, body: Any) -> list[dict]:
    """What LINE requires of ShowLoadingAnimationRequest beyond its schema: a user's chat.

    Only the prefix is checked (U for users; C and R are groups and rooms): the tests name users
    "Ualice", which LINE itself would refuse, and the rest of this fake accepts such ids too.
    """
    chat_id = body.get("chatId") if isinstance(body, dict) else None
    if isinstance(chat_id, str) and not chat_id.startswith("U"):
        return [{"message": ONLY_USER_IDS, "property": "chatId"}]
    return []
