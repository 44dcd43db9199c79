"""A small engine that runs guided conversations declared as data.

A Flow is a list of Steps read top to bottom like a form: each step has its prompt, its quick
replies, a parser that turns the user's answer into a value (or raises InvalidInput with a Thai
message), when it is asked, and where to go next. "ยกเลิก" (cancel), "ย้อนกลับ" (back), editing
from a confirmation card, an idle timeout with one reminder, and re-prompting on an answer of the
wrong kind are handled here once, for every flow. The state lives in the conversations table, so
any worker, or a restarted one, continues the conversation.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from linebot.v3.messaging import Action, Message
from sqlalchemy import or_, select

from models import Case, Conversation, User

from domain import access
from models.database import Database
from chat.dispatcher import Context, Reply, normalize_text
from chat.menus import main_menu
from line.messages import MAX_QUICK_REPLIES, quick_replies, text
from line.outbox import queue_messages
from domain.thai import InvalidInput

log = logging.getLogger(__name__)

CANCEL = "ยกเลิก"
BACK = "ย้อนกลับ"
# The longest typed answer any step takes: the longest free-text column (notes, addresses: 500).
MAX_ANSWER = 500


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
    # Shown in the confirmation card's "แก้ไข" menu (edit_step) when set.
    edit_label: str | None = None
    # Asked only when this returns True for the answers so far; otherwise the flow passes over it.
    when: Callable[[dict], bool] | None = None
    # The longest typed answer taken, in characters: the length of the column it is saved in. A longer
    # one is refused before the parser sees it, so no answer reaches the database too long for it.
    max_length: int = MAX_ANSWER

    def applies(self, data: dict) -> bool:
        return self.when is None or self.when(data)

    def render(self, data: dict, error: str | None = None) -> list[Message]:
        choices = list(self.choices(data) if callable(self.choices) else self.choices)
        # Cut long lists, never the skip, back and cancel buttons (typing an option still works).
        skip = [self.skip] if self.skip else []
        choices = choices[:MAX_QUICK_REPLIES - 2 - len(skip)] + skip + [BACK, CANCEL]
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
    # Who may start and go on answering it (domain.access.REPORTERS, COORDINATORS, or ANYONE for
    # registration): required, so no flow can forget it. The engine checks it when the flow starts
    # and on every answer, so someone deactivated or demoted half-way is stopped, with domain.access's
    # Thai reason, and nothing they typed is saved.
    roles: tuple[str, ...]
    cancelled: str = "ยกเลิกแล้วค่ะ ข้อมูลที่กรอกไว้ไม่ถูกบันทึก"
    idle_timeout: timedelta = timedelta(hours=24)
    # Steps answered by these parsers may take other kinds of message than text.
    wrong_kind: str = "ขออภัยค่ะ ขั้นตอนนี้ต้องการคำตอบแบบอื่น กรุณาตอบตามคำถามด้านล่าง"
    # Remind an idle user once after this long (remind_idle_drafts); None: never.
    # An idle form gets its open question again once per idle spell; None: never.
    remind_after: timedelta | None = timedelta(hours=2)
    reminder: str = "ยังกรอกข้อมูลไม่เสร็จนะคะ ตอบคำถามด้านล่างเพื่อทำต่อ หรือพิมพ์ \"ยกเลิก\" ค่ะ"

    def __post_init__(self) -> None:
        # An empty tuple would refuse everyone, or read as "no check" to the next person: say who, always.
        if not self.roles:
            raise ValueError(f"flow {self.name} must declare its roles (domain.access.ANYONE for a public flow)")

    def timed_out(self, convo: Conversation, now: datetime) -> bool:
        return now - convo.updated_at > self.idle_timeout

    def first(self, data: dict) -> Step:
        """The first step that applies to the data the flow starts with."""
        return next(step for step in self.steps if step.applies(data))

    def step(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(f"flow {self.name} has no step {name}")

    def after(self, step: Step, data: dict) -> str | None:
        """The next step to ask: `next`, or the following one, passing over steps that do not apply."""
        if step.next is not None:
            name = step.next(data) if callable(step.next) else step.next
        else:
            name = self._following(step.name)
        while name is not None and not self.step(name).applies(data):
            name = self._following(name)
        return name

    def _following(self, name: str) -> str | None:
        names = [s.name for s in self.steps]
        index = names.index(name) + 1
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
    """Open `flow` for this user (replacing any open one) and ask its first question; a user the
    flow's roles refuse gets the Thai reason instead, and any open flow stays as it was."""
    reason = access.refusal(ctx.user, flow.roles)
    if reason:
        return _cancelled(ctx, reason)
    current = conversation(ctx)
    if current is not None:
        ctx.session.delete(current)
        ctx.session.flush()
    first = flow.step(at) if at else flow.first(data or {})
    ctx.session.add(Conversation(user_id=ctx.user.id, flow=flow.name, step=first.name, data=dict(data or {}),
                                 trail=[], started_at=ctx.now, updated_at=ctx.now))
    return first.render(data or {})


def continue_flow(ctx: Context) -> Reply:
    """Take the user's next message as the answer to the current step."""
    convo = conversation(ctx)
    flow = FLOWS.get(convo.flow)
    if flow is None or flow.timed_out(convo, ctx.now):
        ctx.session.delete(convo)
        return _expired_notice(ctx.user)
    reason = access.refusal(ctx.user, flow.roles) or _case_refusal(ctx.session, ctx.user, convo.data)
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
    if len(said) > step.max_length:
        convo.updated_at = ctx.now
        return step.render(convo.data, error=too_long(said, step.max_length))
    try:
        value = None if (step.skip and said == step.skip) else step.parse(answer, convo.data)
    except InvalidInput as exc:
        convo.updated_at = ctx.now
        return step.render(convo.data, error=exc.message)
    except WrongKind:
        convo.updated_at = ctx.now
        return step.render(convo.data, error=flow.wrong_kind)
    return _advance(ctx, flow, convo, step, value)


def resume(ctx: Context, note: str) -> Reply:
    """Ask the user's open step again, after `note` (they came back from the menu mid-flow)."""
    convo = conversation(ctx)
    reason = _case_refusal(ctx.session, ctx.user, convo.data)
    if reason:
        ctx.session.delete(convo)
        return _cancelled(ctx, reason)
    convo.updated_at = ctx.now
    return FLOWS[convo.flow].step(convo.step).render(convo.data, error=note)


CASE_GONE = ("เรื่องที่ท่านกรอกค้างไว้อยู่นอกพื้นที่ที่ท่านรับผิดชอบแล้ว (อาจย้ายไปพื้นที่อื่น) "
             "รายการนี้จึงถูกยกเลิก ข้อมูลที่กรอกไว้ไม่ถูกบันทึกค่ะ")


def _case_refusal(session, user: User | None, data: dict) -> str | None:
    """A flow about a case (its data names it as "case": a check-in, a referral, closing) goes on, is
    resumed or reminded only while the case is in the user's scope: it may have moved to another area
    since the flow began, and its prompts name the child."""
    case_id = data.get("case")
    if case_id is None:
        return None
    case = session.get(Case, case_id)
    return None if case is not None and access.in_scope(user, case.area) else CASE_GONE


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
        if isinstance(value, Fill):
            data.update(value.also)
            value = value.value
        data[step.name] = value
        target = flow.after(step, data)
        # After an edit from the confirmation card, go back to it, unless the new answer opened
        # a step never answered (a title left out now asks for the sex).
        if data.get("_return_to") and (target is None or target in data):
            target = data.pop("_return_to")
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


def reuse(steps: Sequence[Step], when: Callable[[dict], bool]) -> list[Step]:
    """Another flow's steps, for this one: each asked only when `when` holds, its own `when` holds,
    and the flow was not started with its answer already known (named in data["_known"]: a
    check-in prefilled from the list skips what the list says)."""
    return [replace(step, when=lambda data, step=step: when(data) and step.name not in data.get("_known", ())
                    and step.applies(data)) for step in steps]


def edit_step(name: str, flow: str, return_to: str,
              prompt: str = "ต้องการแก้ไขข้อใดคะ เลือกจากปุ่มด้านล่าง") -> Step:
    """The "แก้ไข" menu: the steps of `flow` that have an edit_label and apply; picking one asks it
    again, and answering it goes back to the step `return_to` (the confirmation card)."""

    def editable(data: dict) -> list[Step]:
        return [s for s in FLOWS[flow].steps if s.edit_label and s.applies(data)]

    def pick(answer: Answer, data: dict) -> Goto:
        said = text_of(answer)
        for step in editable(data):
            if said == step.edit_label:
                return Goto(step.name, {"_return_to": return_to})
        raise InvalidInput("กรุณาเลือกหัวข้อที่ต้องการแก้ไขจากปุ่มด้านล่างค่ะ")

    return Step(name, prompt, pick, choices=lambda data: [s.edit_label for s in editable(data)])


def remind_idle_drafts(db: Database, now: datetime) -> dict[str, int]:
    """Remind once the users whose flow has sat idle past its remind_after, and end (with a notice)
    the flows idle past their idle_timeout, so no half-filled personal data lingers. For a
    scheduled job; returns how many were reminded and expired."""
    counts = {"reminded": 0, "expired": 0}
    with db.transaction() as session:
        for flow in FLOWS.values():
            idle = (select(Conversation, User).join(User, User.id == Conversation.user_id)
                    .where(Conversation.flow == flow.name).with_for_update(of=Conversation, skip_locked=True))
            for convo, user in session.execute(
                    idle.where(Conversation.updated_at < now - flow.idle_timeout)).all():
                session.delete(convo)
                queue_messages(session, user.line_user_id, _expired_notice(user), personal=False)
                counts["expired"] += 1
            if flow.remind_after is None:
                continue
            due = idle.where(Conversation.updated_at < now - flow.remind_after,
                             Conversation.updated_at >= now - flow.idle_timeout,
                             User.following.is_(True),
                             or_(Conversation.reminded_at.is_(None),
                                 Conversation.reminded_at < Conversation.updated_at))
            for convo, user in session.execute(due).all():
                if _case_refusal(session, user, convo.data):
                    session.delete(convo)
                    queue_messages(session, user.line_user_id, _notice(user, CASE_GONE), personal=False)
                    counts["expired"] += 1
                    continue
                convo.reminded_at = now
                reminder = [text(flow.reminder), *flow.step(convo.step).render(convo.data)]
                # The open question may show the draft (a confirmation card); the unregistered can
                # only be registering, which names no child.
                queue_messages(session, user.line_user_id, reminder, personal=access.is_registered(user))
                counts["reminded"] += 1
    return counts


def _cancelled(ctx: Context, message: str) -> Reply:
    return _notice(ctx.user, message)


def _expired_notice(user: User | None) -> list[Message]:
    return _notice(user, "ขออภัยค่ะ รายการที่กรอกค้างไว้หมดเวลาแล้ว (เกิน 24 ชั่วโมง) กรุณาเริ่มใหม่จากเมนูค่ะ")


def _notice(user: User | None, message: str) -> list[Message]:
    return [text(message, *main_menu(user))]


def text_of(answer: Answer) -> str:
    """The text of a typed or tapped answer; WrongKind for a sticker, an image or a location."""
    if answer.kind not in ("text", "postback") or not answer.text:
        raise WrongKind()
    return normalize_text(answer.text)


def too_long(said: str, limit: int) -> str:
    # Quotes only the start: the whole answer could be 5,000 characters, the most LINE sends.
    return (f"ข้อความยาวเกินไป ({len(said):,} ตัวอักษร) ขั้นตอนนี้รับได้ไม่เกิน {limit:,} ตัวอักษร "
            f"กรุณาพิมพ์ให้สั้นลงค่ะ (ได้รับ “{said[:20]}…”)")


def free_text(answer: Answer, data: dict) -> str:
    """A typed answer kept as it is (a note, a school's name); its step's max_length bounds it."""
    return text_of(answer)


def text_answer(parse: Callable[[str], Any]) -> Callable[[Answer, dict], Any]:
    """Adapt a parser of plain text (domain.thai's) into a step parser that refuses other kinds."""
    return lambda answer, data: parse(text_of(answer))
