"""Building blocks for LINE messages: text with quick-reply buttons and Flex cards, within LINE's limits.

They build each message as its JSON, the Messaging API's object as the outbox stores it and LINE gets it,
in plain dicts: the SDK's pydantic models validated every component when built and walked the whole tree
again to serialise it, ~1 ms of CPU a card (a page of the list of children to find had ten). The JSON is
what the SDK's models make of the same message, key for key and in their order (tests/test_messages.py),
and every call the bot makes in the tests is checked against LINE's OpenAPI spec by the fake LINE platform.
Actions and Flex components may be given as SDK models or as their JSON.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from linebot.v3.messaging import Action, FlexComponent, FlexContainer, Message

from domain.thai import fit_text

MAX_QUICK_REPLIES = 13  # LINE's limit
MAX_LABEL = 20  # LINE's limit for a quick-reply label
MAX_TEXT = 5000  # LINE's limit, in UTF-16 code units
MAX_ALT_TEXT = 1500  # LINE's limit for a Flex message's altText
MAX_BUBBLES = 12  # LINE's limit of bubbles in a carousel
GREY = "#888888"  # a card's labels

Json = dict[str, Any]


def as_json(value: Action | FlexComponent | FlexContainer | Message | Json) -> Json:
    """An SDK model's JSON as LINE gets it (pydantic's own dict(), not the SDK's slower to_dict()); JSON as it is."""
    return value if isinstance(value, dict) else value.dict(by_alias=True, exclude_none=True)


def postback(label: str, data: str, display_text: str | None = None) -> Json:
    """A postback action (PostbackAction's JSON): `data` comes back in the postback event, `display_text`
    shows in the chat as if the user had typed it."""
    action = {"type": "postback", "label": label, "data": data}
    if display_text is not None:
        action["displayText"] = display_text
    return action


def quick_replies(*choices: str | Action | Json) -> Json:
    """Quick-reply buttons: a plain label sends itself as text; an action is used as it is."""
    return {"items": [{"action": {"type": "message", "label": c[:MAX_LABEL], "text": c} if isinstance(c, str)
                       else as_json(c), "type": "action"} for c in choices[:MAX_QUICK_REPLIES]]}


def with_quick_replies(message: Json, *choices: str | Action | Json) -> Json:
    """The message with these quick replies, in place of any it had."""
    rest = {key: value for key, value in message.items() if key not in ("type", "quickReply")}
    return {"type": message["type"], "quickReply": quick_replies(*choices), **rest}


def text(body: str, *choices: str | Action | Json) -> Json:
    message: Json = {"type": "text", "text": fit_text(body, MAX_TEXT)}
    return with_quick_replies(message, *choices) if choices else message


def card(title: str, rows: Sequence[tuple[str, str] | FlexComponent | Json],
         buttons: Sequence[tuple[str, Action | Json]] = (), *, size: str | None = None) -> Json:
    """A bubble: a bold title, a label/value line per row, and (style, action) buttons at the bottom.
    A row that is a component (link buttons beside the lines they belong to) is placed as it is."""
    # str() as the models coerced: a value may be a number.
    lines = [as_json(row) if isinstance(row, (dict, FlexComponent)) else {
        "type": "box", "layout": "baseline", "contents": [
            {"type": "text", "flex": 3, "text": str(row[0]), "size": "sm", "color": GREY},
            {"type": "text", "flex": 5, "text": str(row[1] or "-"), "size": "sm", "wrap": True},
        ], "spacing": "sm",
    } for row in rows]
    return _bubble(
        {"type": "box", "layout": "vertical", "contents": [
            {"type": "text", "text": str(title), "size": "lg", "weight": "bold", "wrap": True}]},
        lines,
        [{"type": "button", "style": style, "action": as_json(action), "height": "sm"} for style, action in buttons],
        size)


def area_bubble(title: str, area: str, as_of: str, body: Sequence[FlexComponent | Json],
                footer: Sequence[FlexComponent | Json] = ()) -> Json:
    """A wide bubble of an area's figures ("สรุปพื้นที่", "ตัวเลขพื้นที่ของฉัน"): the title, the area and
    when they were counted, the figures, and the buttons under them."""
    return _bubble(
        {"type": "box", "layout": "vertical", "contents": [
            {"type": "text", "text": title, "size": "lg", "weight": "bold"},
            {"type": "text", "text": area, "size": "sm", "wrap": True},
            {"type": "text", "text": f"ข้อมูล ณ {as_of}", "size": "xs", "color": GREY},
        ]},
        [as_json(component) for component in body], [as_json(component) for component in footer], "giga")


def _bubble(header: Json, body: list[Json], footer: list[Json], size: str | None) -> Json:
    bubble: Json = {"type": "bubble", "header": header,
                    "body": {"type": "box", "layout": "vertical", "contents": body, "spacing": "sm"}}
    if footer:
        bubble["footer"] = {"type": "box", "layout": "vertical", "contents": footer, "spacing": "sm"}
    if size is not None:
        bubble["size"] = size
    return bubble


def flex(alt_text: str, contents: FlexContainer | Json | Sequence[FlexContainer | Json],
         *choices: str | Action | Json) -> Json:
    """A Flex message of one bubble or a carousel of several, with quick replies."""
    if isinstance(contents, (dict, FlexContainer)):
        container = as_json(contents)
    else:
        container = {"type": "carousel", "contents": [as_json(bubble) for bubble in list(contents)[:MAX_BUBBLES]]}
    message: Json = {"type": "flex", "altText": fit_text(alt_text, MAX_ALT_TEXT), "contents": container}
    return with_quick_replies(message, *choices) if choices else message
