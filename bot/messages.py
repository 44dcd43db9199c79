"""Building blocks for LINE messages: text with quick-reply buttons, within LINE's limits."""
from __future__ import annotations

from linebot.v3.messaging import Action, MessageAction, QuickReply, QuickReplyItem, TextMessage

MAX_QUICK_REPLIES = 13  # LINE's limit
MAX_LABEL = 20  # LINE's limit for a quick-reply label
MAX_TEXT = 5000  # LINE's limit, in UTF-16 code units


def quick_replies(*choices: str | Action) -> QuickReply:
    """Quick-reply buttons: a plain label sends itself as text; an Action is used as it is."""
    items = [QuickReplyItem(action=c if isinstance(c, Action) else MessageAction(label=c[:MAX_LABEL], text=c))
             for c in choices[:MAX_QUICK_REPLIES]]
    return QuickReply(items=items)


def text(body: str, *choices: str | Action) -> TextMessage:
    return TextMessage(text=fit_text(body), quickReply=quick_replies(*choices) if choices else None)


def utf16_length(body: str) -> int:
    """The length LINE measures texts in: UTF-16 code units (an emoji counts two)."""
    return len(body.encode("utf-16-le")) // 2


def fit_text(body: str, limit: int = MAX_TEXT) -> str:
    """Cut a text to ``limit`` (LINE's limit by default), counting UTF-16 code units as LINE does."""
    if utf16_length(body) <= limit:
        return body
    cut = body.encode("utf-16-le")[: (limit - 1) * 2].decode("utf-16-le", "ignore")
    return cut + "…"
