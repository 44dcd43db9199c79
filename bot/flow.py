"""A small engine that runs guided conversations declared as data.

A Flow is a list of Steps read top to bottom like a form: each step has its prompt, its quick
replies, a parser that turns the user's answer into a value (or raises InvalidInput with a Thai
message), and where to go next. "ยกเลิก" (cancel), "ย้อนกลับ" (back), an idle timeout and
re-prompting on an answer of the wrong kind are handled here once, for every flow. The state
lives in the conversations table, so any worker, or a restarted one, continues the conversation.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from linebot.v3.messaging import Action, Message
from sqlalchemy import select

from models import Conversation

from . import access
from .dispatcher import Context, Reply, normalize_text
from .messages import MAX_QUICK_REPLIES, quick_replies, text
from .thai import InvalidInput

log = logging.getLogger(__name__)

CANCEL = "ยกเลิก"
BACK = "ย้อนกลับ"


@dataclass(frozen=True)
class Answer:
    """What the user sent, whatever its kind, in the shape parsers want."""

    kind: str  # text | postback | location | image | sticker
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
            m = event.message
            return cls("location", location={"latitude": m.latitude, "longitude": m.longitude,
                                             "address": m.address, "title": m.title}, ctx=ctx)
        if ctx.kind == "image":
            return cls("image", message_id=event.message.id, ctx=ctx)
        if ctx.kind == "postback":
            params = dict(event.postback.params or {})
            return cls("postback", text=ctx.postback.get("value", ""), postback=ctx.postback, params=params,
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
    # Replaces the text prompt with a richer message (a Flex card), built from the data.
    card: Callable[[dict], Message] | None = None
    # Shown in the confirmation card's "แก้ไข" menu when set.
    edit_label: str | None = None

    def render(self, data: dict, error: str | None = None) -> list[Message]:
        choices = list(self.choices(data) if callable(self.choices) else self.choices)
        if self.skip:
            choices.append(self.skip)
        choices = choices[:MAX_QUICK_REPLIES - 2] + [BACK, CANCEL]
        if self.card is not None:
            card = self.card(data)
            card.quick_reply = quick_replies(*choices)
            return [text(error), card] if error else [card]
        body = self.prompt(data) if callable(self.prompt) else self.prompt
        return [text(f"{error}\n\n{body}" if error else body, *choices)]


@dataclass(frozen=True)
class Flow:
    name: str
    steps: Sequence[Step]
    # Called with the answers when the flow finishes; its reply ends the conversation.
    finish: Callable[[Context, dict], Reply]
    cancelled: str = "ยกเลิกแล้วค่ะ ข้อมูลที่กรอกไว้ไม่ถูกบันทึก"
    idle_timeout: timedelta = timedelta(hours=24)
    # When set, only active registered users with one of these roles may go on answering: checked on
    # every answer, so someone deactivated half-way is stopped (bot.access gives the Thai reason).
    roles: tuple[str, ...] = ()
    # Steps answered by these parsers may take other kinds of message than text.
    wrong_kind: str = "ขออภัยค่ะ ขั้นตอนนี้ต้องการคำตอบแบบอื่น กรุณาตอบตามคำถามด้านล่าง"

    def step(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(f"flow {self.name} has no step {name}")

    def after(self, step: Step, data: dict) -> str | None:
        if step.next is not None:
            return step.next(data) if callable(step.next) else step.next
        names = [s.name for s in self.steps]
        index = names.index(step.name) + 1
        return names[index] if index < len(names) else None


FLOWS: dict[str, Flow] = {}


def register(flow: Flow) -> Flow:
    FLOWS[flow.name] = flow
    return flow


def conversation(ctx: Context) -> Conversation | None:
    if ctx.user is None:
        return None
    # FOR UPDATE serialises two events of one user on PostgreSQL (SQLite locks the whole file).
    return ctx.session.scalar(
        select(Conversation).where(Conversation.user_id == ctx.user.id).with_for_update()
    )


def in_flow(ctx: Context) -> bool:
    return conversation(ctx) is not None


def start(ctx: Context, flow: Flow, data: dict | None = None, at: str | None = None) -> Reply:
    """Open `flow` for this user (replacing any open one) and ask its first question."""
    current = conversation(ctx)
    if current is not None:
        ctx.session.delete(current)
        ctx.session.flush()
    first = flow.step(at) if at else flow.steps[0]
    ctx.session.add(Conversation(user_id=ctx.user.id, flow=flow.name, step=first.name, data=dict(data or {}),
                                 trail=[], started_at=ctx.now, updated_at=ctx.now))
    return first.render(data or {})


def continue_flow(ctx: Context) -> Reply:
    """Take the user's next message as the answer to the current step."""
    convo = conversation(ctx)
    flow = FLOWS.get(convo.flow)
    if flow is None or ctx.now - convo.updated_at > flow.idle_timeout:
        ctx.session.delete(convo)
        return _expired(ctx)
    reason = access.refusal(ctx.user, flow.roles) if flow.roles else None
    if reason:
        ctx.session.delete(convo)
        return _cancelled(ctx, reason)
    step = flow.step(convo.step)
    answer = Answer.from_context(ctx)
    said = normalize_text(answer.text)
    if said == CANCEL:
        ctx.session.delete(convo)
        return _cancelled(ctx, flow.cancelled)
    if said == BACK:
        return _go_back(ctx, flow, convo)
    try:
        value = None if (step.skip and said == step.skip) else step.parse(answer, convo.data)
    except InvalidInput as exc:
        convo.updated_at = ctx.now
        return step.render(convo.data, error=exc.message)
    except WrongKind:
        convo.updated_at = ctx.now
        return step.render(convo.data, error=flow.wrong_kind)
    return _advance(ctx, flow, convo, step, value)


def _advance(ctx: Context, flow: Flow, convo: Conversation, step: Step, value: Any) -> Reply:
    data = dict(convo.data)
    if isinstance(value, Stop):
        ctx.session.delete(convo)
        return _cancelled(ctx, value.message)
    if isinstance(value, Finish):
        ctx.session.delete(convo)
        ctx.session.flush()
        return flow.finish(ctx, data)
    if isinstance(value, Goto):
        data.update(value.data)
        target = value.step
    else:
        data[step.name] = value
        # After an edit from the confirmation card, go straight back to it.
        target = data.pop("_return_to", None) or flow.after(step, data)
    if target is None:
        ctx.session.delete(convo)
        ctx.session.flush()
        return flow.finish(ctx, data)
    convo.trail = [*convo.trail, step.name]
    convo.step, convo.data, convo.updated_at = target, data, ctx.now
    return flow.step(target).render(data)


def _go_back(ctx: Context, flow: Flow, convo: Conversation) -> Reply:
    convo.updated_at = ctx.now
    if not convo.trail:
        return flow.step(convo.step).render(convo.data, error="นี่คือคำถามแรกแล้วค่ะ")
    *rest, previous = convo.trail
    convo.trail, convo.step = rest, previous
    return flow.step(previous).render(convo.data)


def _cancelled(ctx: Context, message: str) -> Reply:
    from handlers.common import main_menu  # the handlers package builds on this engine

    return [text(message, *main_menu(ctx.user))]


def _expired(ctx: Context) -> Reply:
    from handlers.common import main_menu  # the handlers package builds on this engine

    return [text("ขออภัยค่ะ รายการที่กรอกค้างไว้หมดเวลาแล้ว (เกิน 24 ชั่วโมง) กรุณาเริ่มใหม่จากเมนูค่ะ",
                 *main_menu(ctx.user))]


def text_answer(parse: Callable[[str], Any]) -> Callable[[Answer, dict], Any]:
    """Adapt a parser of plain text (bot.thai's) into a step parser that refuses other kinds."""

    def parse_answer(answer: Answer, data: dict) -> Any:
        if answer.kind not in ("text", "postback") or not answer.text:
            raise WrongKind()
        return parse(answer.text)

    return parse_answer
