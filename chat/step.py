"""A flow's step: what it asks, the buttons it shows, and what its parser may answer.

A parser turns the user's Answer into a value, or into Goto, Fill, Finish or Stop; it raises
domain.thai.InvalidInput (a Thai message) or WrongKind to have the question asked again.
chat.flow puts steps together into a Flow and runs it.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from linebot.v3.messaging import Action, CameraAction, CameraRollAction, DatetimePickerAction, LocationAction

from chat.dispatcher import Context
from line.messages import MAX_LABEL, MAX_QUICK_REPLIES, Json, text, with_quick_replies

CANCEL = "ยกเลิก"
BACK = "ย้อนกลับ"
# In a step's goes_to: the flow may finish after it (its parser returns Finish).
FINISH = "finish"
# The engine's own buttons beside a step's choices: ย้อนกลับ and ยกเลิก.
ENGINE_BUTTONS = 2
# Names the diagram and goes_to use for themselves: no step may take them.
RESERVED = ("start", FINISH)
# Characters of a prompt's first line shown in its step's box in a diagram: enough to recognise it.
PROMPT_SHOWN = 40
# The longest typed answer any step takes: the longest free-text column (notes, addresses: 500).
MAX_ANSWER = 500
# Each kind of Answer as a message names it, to say which kind a step cannot take.
KIND_NAMES = {"text": "ข้อความ", "postback": "ปุ่มนี้", "location": "ตำแหน่ง", "image": "รูป",
              "sticker": "สติกเกอร์", "audio": "ข้อความเสียง", "video": "วิดีโอ", "file": "ไฟล์"}


@dataclass(frozen=True)
class Answer:
    """What the user sent, whatever its kind, in the shape parsers want."""

    kind: str  # a key of KIND_NAMES
    text: str = ""
    postback: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)  # a date picker's {"date": "2012-03-15"}
    location: dict[str, Any] | None = None  # latitude, longitude, address, title
    message_id: str | None = None  # an image's id, to fetch its content later
    # For parsers that must look something up (an invite code): the user, the transaction, the time.
    ctx: Context | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_context(cls, ctx: Context) -> Answer:
        event = ctx.event
        if ctx.kind == "location":
            return cls("location", location=ctx.location, ctx=ctx)
        if ctx.kind == "image":
            return cls("image", message_id=event.message.id, ctx=ctx)
        if ctx.kind == "postback":
            return cls("postback", text=ctx.postback.get("value", ""), postback=ctx.postback, params=ctx.picked,
                       ctx=ctx)
        return cls(ctx.kind, text=ctx.text, ctx=ctx)


@dataclass(frozen=True)
class Goto:
    """A parser's answer that moves to another step instead of storing a value."""

    step: str
    data: dict[str, Any] = field(default_factory=dict)  # merged into the flow's data


class WrongKind(Exception):
    """Raised by a parser given a message of a kind its step does not take (a sticker for a name)."""


class Finish:
    """A parser's answer that ends the flow successfully (the confirmation step's "ยืนยัน")."""


@dataclass(frozen=True)
class Stop:
    """A parser's answer that ends the flow without finishing it, with a Thai explanation
    (a privacy notice the user declined): nothing is saved, the user gets the main menu."""

    message: str


@dataclass(frozen=True)
class Fill:
    """A parser's answer that also answers other steps ("ด.ช. สมชาย ใจดี" gives the title too).

    `value` is stored as this step's answer and `also` merged into the data; then the flow goes on
    as after any answer, passing over steps whose `when` the new data turns false.
    """

    value: Any
    also: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Question:
    """A prompt of fixed text followed by lines built from the data (a long list written out, numbered):
    the fixed text is what a diagram shows of it."""

    text: str
    more: Callable[[dict], str]  # "" for nothing more

    def __call__(self, data: dict) -> str:
        more = self.more(data)
        return f"{self.text}\n{more}" if more else self.text


Prompt = str | Callable[[dict], str]
Choices = Sequence[str | Action] | Callable[[dict], Sequence[str | Action]]


@dataclass(frozen=True)
class Step:
    name: str
    prompt: Prompt
    parse: Callable[[Answer, dict], Any]
    choices: Choices = ()
    # A label that skips the step, storing None ("ไม่ทราบ", "ข้าม").
    skip: str | None = None
    # The step after this one: a name, a function of the data, or None for the next in the list.
    next: str | Callable[[dict], str | None] | None = None
    # Every step (or FINISH) this one may lead to, when that is not simply `next` or the following
    # step: where a callable `next` or the parser's Goto may go, and FINISH when it returns Finish.
    # Code cannot be read for that, so it is declared: register() checks the names exist, and the
    # engine refuses, as a bug, a move to any step not listed.
    goes_to: tuple[str, ...] = ()
    # Replaces the text prompt with a richer message (a Flex card), built from the data.
    card: Callable[[dict], Json] | None = None
    # Shown in the confirmation card's "แก้ไข" menu (edit_step) when set.
    edit_label: str | None = None
    # Asked only when this returns True for the answers so far; otherwise the flow passes over it.
    # It is also called to count the questions still to come (Flow.number), before the steps ahead
    # of this one are answered: it must take the answers so far, whatever they are.
    when: Callable[[dict], bool] | None = None
    # The longest typed answer taken, in characters: the length of the column it is saved in. A longer
    # one is refused before the parser sees it, so no answer reaches the database too long for it.
    max_length: int = MAX_ANSWER
    # Counted and shown as "n/N" (Flow.number); False for a confirmation, a menu or a follow-up
    # question that belongs to the one before it.
    numbered: bool = True

    def applies(self, data: dict) -> bool:
        return self.when is None or self.when(data)

    def render(self, data: dict, error: str | None = None, number: str | None = None) -> list[Json]:
        choices = list(self.choices(data) if callable(self.choices) else self.choices)
        # Cut long lists, never the skip, back and cancel buttons (typing an option still works).
        skip = [self.skip] if self.skip else []
        choices = choices[:MAX_QUICK_REPLIES - ENGINE_BUTTONS - len(skip)] + skip + [BACK, CANCEL]
        if self.card is not None:
            card = with_quick_replies(self.card(data), *choices)
            return [text(error), card] if error else [card]
        body = self.prompt(data) if callable(self.prompt) else self.prompt
        if number:
            body = f"{number} {body}"
        return [text(f"{error}\n\n{body}" if error else body, *choices)]

    def wrong_kind(self, data: dict, kind: str) -> str:
        """Why a message of `kind` (a sticker, a voice message, a video, a file) does not answer this
        step, and what does, worked out from the buttons it shows; the draft stays as it was."""
        choices = list(self.choices(data) if callable(self.choices) else self.choices)
        ways = [f"กดปุ่ม \"{choice.label}\"" for choice in choices
                if isinstance(choice, (LocationAction, DatetimePickerAction))]
        photo = any(isinstance(choice, (CameraAction, CameraRollAction)) for choice in choices)
        ways += ["ส่งรูปถ่าย"] if photo else []
        # A card is answered by its buttons, and so is a step for a pin or a photo that has a skip button
        # (its parser takes the pin, the photo or the skip); every other step takes typing as well.
        pin = any(isinstance(choice, LocationAction) for choice in choices)
        buttons_only = self.card is not None or ((pin or photo) and self.skip is not None)
        ways.append("กดปุ่มด้านล่าง" if buttons_only else "พิมพ์คำตอบ")
        return (f"ขออภัยค่ะ ข้อนี้ตอบด้วย{KIND_NAMES.get(kind, 'ข้อความแบบนี้')}ไม่ได้ "
                f"ตอบได้โดย{' หรือ'.join(ways)} ข้อมูลที่กรอกไว้ยังอยู่ครบค่ะ")

    def problem(self, names: Sequence[str]) -> str | None:
        """What makes this step unsound in a flow of steps named `names`, in English (for register());
        None when nothing does."""
        if names.count(self.name) > 1:
            return "another step has the same name"
        if self.name in RESERVED:
            return f"{self.name!r} is reserved (the diagram's start and finish)"
        if callable(self.next) and not self.goes_to:
            return "its next is a function, so goes_to must list where it may lead"
        if self.goes_to and isinstance(self.next, str) and self.next not in self.goes_to:
            return f"goes_to lists every step it may lead to, so it must include its next ({self.next})"
        targets = [*self.goes_to, *([self.next] if isinstance(self.next, str) else [])]
        unknown = [target for target in targets if target not in names and target != FINISH]
        if unknown:
            return f"leads to {', '.join(sorted(unknown))}, which the flow does not have"
        if self.card is not None and self.numbered:
            return "a card has no prompt to number: set numbered=False"
        if callable(self.choices):
            labels = []
        else:
            labels = [getattr(choice, "label", choice) for choice in self.choices]
            buttons = len(labels) + (1 if self.skip else 0) + ENGINE_BUTTONS
            if buttons > MAX_QUICK_REPLIES:
                return f"{buttons} quick replies with skip, back and cancel; LINE shows at most {MAX_QUICK_REPLIES}"
        too_long = [label for label in [*labels, self.skip, self.edit_label] if label and len(label) > MAX_LABEL]
        if too_long:
            return f"labels longer than LINE's {MAX_LABEL} characters: {', '.join(too_long)}"
        return None

    def box(self) -> str:
        """The step in a Mermaid flowchart: its name, the start of its prompt when that is fixed
        text (or a Question's fixed text), and its skip button."""
        parts = [self.name]
        fixed = self.prompt.text if isinstance(self.prompt, Question) else self.prompt
        if isinstance(fixed, str):
            first = fixed.splitlines()[0]
            # Cut at a space: Thai vowel and tone marks must stay with their letter.
            parts.append(first if len(first) <= PROMPT_SHOWN else first[:PROMPT_SHOWN].rsplit(" ", 1)[0] + " …")
        if self.skip:
            parts.append(f"skip: {self.skip}")
        # A double quote would end Mermaid's quoted label; #quot; is how Mermaid writes one inside it.
        label = "<br>".join(parts).replace('"', "#quot;")
        return f'{self.name}["{label}"]'
