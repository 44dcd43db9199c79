"""Building blocks for LINE messages: text with quick-reply buttons and Flex cards, within LINE's limits."""
from __future__ import annotations

from collections.abc import Sequence

from linebot.v3.messaging import (
    Action,
    FlexBox,
    FlexBubble,
    FlexButton,
    FlexCarousel,
    FlexComponent,
    FlexMessage,
    FlexText,
    MessageAction,
    QuickReply,
    QuickReplyItem,
    TextMessage,
)

from domain.thai import fit_text

MAX_QUICK_REPLIES = 13  # LINE's limit
MAX_LABEL = 20  # LINE's limit for a quick-reply label
MAX_TEXT = 5000  # LINE's limit, in UTF-16 code units
MAX_ALT_TEXT = 1500  # LINE's limit for a Flex message's altText
MAX_BUBBLES = 12  # LINE's limit of bubbles in a carousel


def quick_replies(*choices: str | Action) -> QuickReply:
    """Quick-reply buttons: a plain label sends itself as text; an Action is used as it is."""
    items = [QuickReplyItem(action=c if isinstance(c, Action) else MessageAction(label=c[:MAX_LABEL], text=c))
             for c in choices[:MAX_QUICK_REPLIES]]
    return QuickReply(items=items)


def text(body: str, *choices: str | Action) -> TextMessage:
    return TextMessage(text=fit_text(body, MAX_TEXT), quickReply=quick_replies(*choices) if choices else None)


def card(title: str, rows: Sequence[tuple[str, str] | FlexComponent], buttons: Sequence[tuple[str, Action]] = (),
         *, size: str | None = None) -> FlexBubble:
    """A bubble: a bold title, a label/value line per row, and (style, action) buttons at the bottom.
    A row that is a component (link buttons beside the lines they belong to) is placed as it is."""
    lines = [row if isinstance(row, FlexComponent) else FlexBox(layout="baseline", spacing="sm", contents=[
        FlexText(text=row[0], size="sm", color="#888888", flex=3),
        FlexText(text=row[1] or "-", size="sm", wrap=True, flex=5),
    ]) for row in rows]
    return FlexBubble(
        size=size,
        header=FlexBox(layout="vertical", contents=[FlexText(text=title, weight="bold", size="lg", wrap=True)]),
        body=FlexBox(layout="vertical", spacing="sm", contents=lines),
        footer=FlexBox(layout="vertical", spacing="sm", contents=[
            FlexButton(style=style, height="sm", action=action) for style, action in buttons
        ]) if buttons else None,
    )


def area_bubble(title: str, area: str, as_of: str, body: Sequence[FlexComponent],
                footer: Sequence[FlexComponent] = ()) -> FlexBubble:
    """A wide bubble of an area's figures ("สรุปพื้นที่", "ตัวเลขพื้นที่ของฉัน"): the title, the area and
    when they were counted, the figures, and the buttons under them."""
    return FlexBubble(
        size="giga",
        header=FlexBox(layout="vertical", contents=[
            FlexText(text=title, weight="bold", size="lg"),
            FlexText(text=area, size="sm", wrap=True),
            FlexText(text=f"ข้อมูล ณ {as_of}", size="xs", color="#888888"),
        ]),
        body=FlexBox(layout="vertical", spacing="sm", contents=list(body)),
        footer=FlexBox(layout="vertical", spacing="sm", contents=list(footer)) if footer else None,
    )


def flex(alt_text: str, contents: FlexBubble | Sequence[FlexBubble], *choices: str | Action) -> FlexMessage:
    """A Flex message of one bubble or a carousel of several, with quick replies."""
    if not isinstance(contents, FlexBubble):
        contents = FlexCarousel(contents=list(contents)[:MAX_BUBBLES])
    return FlexMessage(alt_text=fit_text(alt_text, MAX_ALT_TEXT), contents=contents,
                       quickReply=quick_replies(*choices) if choices else None)
