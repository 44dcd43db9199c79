"""A small engine that runs guided conversations declared as data.

A Flow is a list of Steps read top to bottom like a form: each step has its prompt, its quick
replies, a parser that turns the user's answer into a value (or raises InvalidInput with a Thai
message), when it is asked, and where to go next. "ยกเลิก" (cancel), "ย้อนกลับ" (back), editing
from a confirmation card, an idle timeout with one reminder, and re-prompting on an answer of the
wrong kind are handled here once, for every flow, and so are the step numbers ("2/9 …"). The
state lives in the conversations table, so any worker, or a restarted one, continues the conversation.

register() checks a flow before the engine runs it (the names its steps lead to exist, the quick
replies fit LINE's limits), as RapidPro's goflow checks a flow when it is built, and Flow.mermaid()
draws it for the handler modules' docstrings. Its steps are chat.step's.

Long: the engine is one state machine (start, answer, back, edit, idle reminder, expiry) whose parts call
each other; the step types are in chat/step.py, and the diagram is one method of Flow.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, or_, select

from chat.dispatcher import Context, Reply, normalize_text
from chat.menus import main_menu
from chat.step import BACK, CANCEL, ENGINE_BUTTONS, FINISH, Answer, Fill, Finish, Goto, Step, Stop, WrongKind
from domain import access
from domain.small_talk import is_greeting, is_question, looks_like_chat
from domain.thai import InvalidInput, quote
from line.messages import MAX_QUICK_REPLIES, Json, text
from line.outbox import queue_messages
from models import Case, Conversation, User, WatchStudent
from models.database import Database

log = logging.getLogger(__name__)


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
    # Remind an idle user once after this long (remind_idle_drafts); None: never.
    # An idle form gets its open question again once per idle spell; None: never.
    remind_after: timedelta | None = timedelta(hours=2)
    reminder: str = "ยังกรอกข้อมูลไม่เสร็จนะคะ ตอบคำถามด้านล่างเพื่อทำต่อ หรือพิมพ์ \"ยกเลิก\" ค่ะ"
    # What the draft is, for "มี… ค้างอยู่" (a chat message mid-form, a resumed draft): the report's
    # names the child once the name is known.
    describe: Callable[[dict], str] = lambda data: "รายการที่กรอก"
    # Reads other steps' answers out of a message, whatever step is open ("12 ขวบ" at the ID step, a
    # phone at the name step, a whole report in one message): {step name: value as its parser stores
    # it}. The engine keeps those not answered yet and passes over them later (data["_filled"]).
    understand: Callable[[Answer, dict], dict[str, Any]] | None = None
    # What to say about the answers `understand` found (the data, their step names); None: their labels.
    recap: Callable[[dict, Sequence[str]], str] | None = None

    def __post_init__(self) -> None:
        # An empty tuple would refuse everyone, or read as "no check" to the next person: say who, always.
        if not self.roles:
            raise ValueError(f"flow {self.name} must declare its roles (domain.access.ANYONE for a public flow)")

    def timed_out(self, convo: Conversation, now: datetime) -> bool:
        return now - convo.updated_at > self.idle_timeout

    def first(self, data: dict) -> Step:
        """The first step to ask for the data the flow starts with (one applies: a confirmation)."""
        return self.step(self.passing_over(self.steps[0].name, data))

    def step(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(f"flow {self.name} has no step {name}")

    def after(self, step: Step, data: dict) -> str | None:
        """The next step to ask: `next`, or the following one, passing over steps that do not apply."""
        return self.passing_over(self.leads_to(step, data), data)

    def leads_to(self, step: Step, data: dict) -> str:
        """Where an answer to `step` leads, before passing over steps that do not apply."""
        if step.next is None:
            return self._following(step.name)
        name = step.next(data) if callable(step.next) else step.next
        return FINISH if name is None else name

    def passing_over(self, name: str, data: dict) -> str | None:
        """`name`, or the first step after it that applies and was not answered ahead (understand);
        None when the flow finishes there."""
        while name != FINISH and (not self.step(name).applies(data) or name in data.get("_filled", ())):
            name = self._following(name)
        return None if name == FINISH else name

    def may_lead_to(self, step: Step) -> tuple[str, ...]:
        """Every step (or FINISH) an answer to `step` may lead to, as declared."""
        return step.goes_to or (step.next or self._following(step.name),)

    def _following(self, name: str) -> str:
        names = [s.name for s in self.steps]
        index = names.index(name) + 1
        return names[index] if index < len(names) else FINISH

    def number(self, step: Step, data: dict, trail: Sequence[str]) -> str | None:
        """"n/N" for a numbered step: N counts the numbered steps already answered (the trail) and
        those the flow goes through for the answers so far; None when there is only one to count."""
        if not step.numbered:
            return None
        if data.get("_return_to"):
            # Editing from the card: the step's place among all the form's questions that apply, the
            # ones answered ahead included, so every edit counts the same N.
            names = [s.name for s in self.steps if s.numbered and (s.applies(data) or s.name == step.name)]
            return f"{names.index(step.name) + 1}/{len(names)}" if len(names) > 1 else None
        counted = {*trail, step.name, *self._path(data)}
        names = [s.name for s in self.steps if s.numbered and s.name in counted]
        if len(names) < 2:
            return None
        return f"{names.index(step.name) + 1}/{len(names)}"

    def _path(self, data: dict) -> list[str]:
        """The steps asked, for these answers, from the first to the end (as if none jumped away)."""
        path: list[str] = []
        name = self.passing_over(self.steps[0].name, data)
        while name is not None and name not in path:
            path.append(name)
            name = self.after(self.step(name), data)
        return path

    def render(self, name: str, data: dict, trail: Sequence[str] = (), error: str | None = None) -> list[Json]:
        """Ask the step `name`, numbered (see number)."""
        step = self.step(name)
        return step.render(data, error=error, number=self.number(step, data, trail))

    def mermaid(self) -> str:
        """The flowchart of the flow, for its module's docstring (tests/test_flow.py checks they agree):
        its steps in order, each with where it may lead (solid: the next step; dotted: its declared
        goes_to), the steps asked only sometimes (`when`) dashed, and the finish."""
        lines = ["flowchart TD", f'    start(["{self.name}"]) --> {self.steps[0].name}']
        for step in self.steps:
            arrow = "-.->" if step.goes_to else "-->"
            lines.append(f"    {step.box()} {arrow} {' & '.join(self.may_lead_to(step))}")
        finish = getattr(self.finish, "__name__", "")
        label = f"{FINISH}: {finish}" if finish.isidentifier() else FINISH  # a lambda has no name to show
        lines.append(f'    {FINISH}(["{label}"])')
        optional = [step.name for step in self.steps if step.when is not None]
        if optional:
            lines += ["    classDef optional stroke-dasharray: 4 4", f"    class {','.join(optional)} optional"]
        return "\n".join(lines)


class UndeclaredExit(RuntimeError):
    """A step led somewhere its flow does not declare (Step.goes_to): a bug in the flow."""


FLOWS: dict[str, Flow] = {}


def register(flow: Flow) -> Flow:
    """Add `flow` to the flows the engine runs, once it is sound (see check)."""
    if flow.name in FLOWS:
        raise ValueError(f"flow {flow.name}: another flow of that name is registered already")
    check(flow)
    FLOWS[flow.name] = flow
    return flow


def check(flow: Flow) -> None:
    """Raise ValueError, naming the flow and the step, unless every step is sound: a unique name,
    targets (next, goes_to) that exist, and quick replies within LINE's limits."""
    names = [step.name for step in flow.steps]
    for step in flow.steps:
        problem = step.problem(names)
        if problem:
            raise ValueError(f"flow {flow.name}, step {step.name}: {problem}")


# FOR UPDATE serialises two events of one user on PostgreSQL (SQLite locks the whole file). Built once.
_DRAFT = select(Conversation).where(Conversation.user_id == bindparam("user_id")).with_for_update()
_CASE_AREA_CODE = select(Case.area_code).where(Case.id == bindparam("id"))


def conversation(ctx: Context) -> Conversation | None:
    """The user's open draft, read and locked once per event: the `in_flow` route's test and the handler
    both ask (it is read again once deleted, or while there was none: a flow may start in between)."""
    if ctx.user is None:
        return None
    draft = ctx.draft
    if draft is not None and draft in ctx.session and draft not in ctx.session.deleted:
        return draft
    ctx.draft = ctx.session.scalar(_DRAFT, {"user_id": ctx.user.id})
    return ctx.draft



def in_flow(ctx: Context) -> bool:
    """A flow is open and not put aside ("พักไว้": messages go to the menu until it is resumed)."""
    convo = conversation(ctx)
    return convo is not None and not convo.data.get(PAUSED_KEY)


def start(ctx: Context, flow: Flow, data: dict | None = None, at: str | None = None) -> Reply:
    """Open `flow` for this user (replacing any open one) and ask its first question; a user the
    flow's roles refuse gets the Thai reason instead, and any open flow stays as it was."""
    reason = access.refusal(ctx.user, flow.roles)
    if reason:
        return _cancelled(ctx, reason)
    current = conversation(ctx)
    replaced = []
    if current is not None:
        # One draft at a time: the one being replaced is said to be gone, never dropped unseen.
        previous = FLOWS.get(current.flow)
        if previous is not None and _answered(previous, current.data):
            replaced = [text(f"ยกเลิก{previous.describe(current.data)} ที่ค้างไว้แล้วค่ะ เพื่อเริ่มรายการนี้")]
        ctx.session.delete(current)
        ctx.session.flush()
    first = flow.step(at) if at else flow.first(data or {})
    ctx.session.add(Conversation(user_id=ctx.user.id, flow=flow.name, step=first.name, data=dict(data or {}),
                                 trail=[], started_at=ctx.now, updated_at=ctx.now))
    return [*replaced, *flow.render(first.name, data or {})]


def is_paused(ctx: Context) -> bool:
    convo = conversation(ctx)
    return convo is not None and bool(convo.data.get(PAUSED_KEY))


def resume_paused(ctx: Context) -> Reply:
    """"ทำต่อ" after "พักไว้": the draft put aside, from its open question."""
    return resume(ctx, "ทำต่อจากข้อล่าสุดค่ะ")


# The choices the engine offers about the draft itself: on talk mid-form, and before cancelling it.
CARRY_ON, PAUSE, CONFIRM_CANCEL = "ทำต่อ", "พักไว้", "ยืนยันยกเลิก"
PAUSED_KEY, ASKED_KEY = "_paused", "_asked"
PAUSED = ("พักรายการไว้แล้วค่ะ ข้อมูลที่กรอกไว้เก็บไว้ 24 ชั่วโมงนับจากที่ตอบล่าสุด "
          f"พิมพ์ \"{CARRY_ON}\" เพื่อทำต่อจากข้อล่าสุดค่ะ")


def continue_flow(ctx: Context) -> Reply:
    """Take the user's next message as the answer to the current step."""
    convo = conversation(ctx)
    flow = FLOWS.get(convo.flow)
    if flow is None or flow.timed_out(convo, ctx.now):
        ctx.session.delete(convo)
        return _expired_notice(ctx.user)
    reason = access.refusal(ctx.user, flow.roles) or _subject_refusal(ctx.session, ctx.user, convo.data)
    if reason:
        ctx.session.delete(convo)
        return _cancelled(ctx, reason)
    step = flow.step(convo.step)
    answer = Answer.from_context(ctx)
    said = normalize_text(answer.text)
    asked = convo.data.get(ASKED_KEY)
    convo.updated_at = ctx.now
    if asked:  # whatever comes next answers the engine's question, or is an answer as usual
        _drop(convo, ASKED_KEY)
    # The engine's own words are never an answer, asked for or not (a stale button, typed ahead).
    confirmed = asked == "cancel" and said in (CONFIRM_CANCEL, CANCEL)
    if confirmed or said in (CANCEL, CONFIRM_CANCEL) and not _answered(flow, convo.data):
        ctx.session.delete(convo)
        return _cancelled(ctx, flow.cancelled)
    if said in (CANCEL, CONFIRM_CANCEL):
        return _ask_about_draft(flow, convo, "cancel")
    if said == CARRY_ON:
        return _ask_again(flow, convo)
    if said == PAUSE:
        convo.data = {**convo.data, PAUSED_KEY: True}
        return [text(PAUSED, *main_menu(ctx.user))]
    if said == BACK:
        return _go_back(ctx, flow, convo)
    # Talk is asked about before any parser sees it: a free-text step (a note, a name) would keep it.
    if is_greeting(said) or is_question(said):
        return _ask_about_draft(flow, convo, "chat")
    try:
        if len(said) > step.max_length:
            raise InvalidInput(too_long(said, step.max_length))
        found = _understood(flow, step, answer, convo.data)
        try:
            value = None if (step.skip and said == step.skip) else step.parse(answer, convo.data)
        except (InvalidInput, WrongKind):
            if not any(name != step.name and not name.startswith("_") for name in found):
                raise
            value = _REFUSED
        # What the step's own parser did not take from the message ("ด.ช." gives the title to both).
        ahead = {name: found[name] for name in found.keys() - {step.name} - _filled_by(value)
                 if not name.startswith("_")}
        if ahead:
            # The open question takes only its own part of the message: its parser, given all of it,
            # would keep "ยากจน" (the reason) as the situation's "อื่น ๆ" too.
            notes = {name: note for name, note in found.items() if name.startswith("_")}
            return _keep_ahead(ctx, flow, convo, step, found.get(step.name, _REFUSED), ahead, notes)
    except InvalidInput as exc:
        if looks_like_chat(said):
            return _ask_about_draft(flow, convo, "chat")
        return _ask_again(flow, convo, exc.message)
    except WrongKind:
        return _ask_again(flow, convo, step.wrong_kind(convo.data, answer.kind))
    return _advance(ctx, flow, convo, step, value)


def _answered(flow: Flow, data: dict) -> bool:
    """Whether the user has answered anything: what the flow started with (_known) is not theirs."""
    known = set(data.get("_known", ()))
    return any(step.name in data and step.name not in known for step in flow.steps)


def _ask_about_draft(flow: Flow, convo: Conversation, about: str) -> list[Json]:
    """"มีแจ้งพบ ด.ช.สมชาย ค้างอยู่ (ข้อ 3/9)": go on, put it aside or cancel (talk mid-form), or
    confirm cancelling a draft with answers in it; the next message answers it."""
    convo.data = {**convo.data, ASKED_KEY: about}
    draft = flow.describe(convo.data)
    if about == "cancel":
        return [text(f"ยกเลิก{draft} ใช่ไหมคะ ข้อมูลที่กรอกไว้จะไม่ถูกบันทึก\n"
                     f"กด \"{CONFIRM_CANCEL}\" หรือ \"{CARRY_ON}\" เพื่อกรอกต่อ", CONFIRM_CANCEL, CARRY_ON)]
    number = flow.number(flow.step(convo.step), convo.data, convo.trail)
    return [text(f"มี{draft} ค้างอยู่{f' (ข้อ {number})' if number else ''} ต้องการทำต่อ พักไว้ก่อน "
                 "หรือยกเลิกคะ", CARRY_ON, PAUSE, CANCEL)]


# The open step's parser refused a message that answered other steps.
_REFUSED = object()


def _understood(flow: Flow, step: Step, answer: Answer, data: dict) -> dict[str, Any]:
    """What the message answers (flow.understand): the open step, and the steps of this flow not
    answered yet that apply with these answers (a report adding to a known case asks no village, so a
    หมู่ in the message is not taken for one). Keys starting with "_" are the flow's own notes on them."""
    if flow.understand is None or answer.kind not in ("text", "location"):
        return {}
    found = flow.understand(answer, data)
    names, merged = {s.name for s in flow.steps}, {**data, **found}

    def applies(name: str) -> bool:  # with the other answers found, as the step would be asked after them
        return flow.step(name).applies({key: value for key, value in merged.items() if key != name})

    return {name: value for name, value in found.items()
            if name == step.name or name.startswith("_") or name in names and name not in data and applies(name)}


def _filled_by(value: Any) -> set[str]:
    return set(value.also) if isinstance(value, Fill) else set()


def _keep_ahead(ctx: Context, flow: Flow, convo: Conversation, step: Step, own: Any,
                ahead: dict[str, Any], notes: dict[str, Any]) -> Reply:
    """Keep the other steps' answers found in the message (and the flow's notes on them), say what was
    kept, and go on from the open step with its own part of the message, or ask it again when the
    message did not answer it."""
    convo.data = {**convo.data, **ahead, **notes, "_filled": sorted({*convo.data.get("_filled", ()), *ahead})}
    if flow.recap is not None:  # what the message answered, the open question's part included
        answered = {**convo.data, step.name: own} if own is not _REFUSED else convo.data
        note = flow.recap(answered, [*ahead, *([step.name] if own is not _REFUSED else [])])
    else:
        note = f"บันทึก{', '.join(flow.step(name).edit_label or name for name in ahead)}ไว้แล้วค่ะ ✅"
    if own is _REFUSED:
        return _ask_again(flow, convo, note)
    return [text(note), *_advance(ctx, flow, convo, step, own)]


def resume(ctx: Context, note: str) -> Reply:
    """Ask the user's open step again, after `note` (they came back from the menu mid-flow, or to a
    draft they put aside)."""
    convo = conversation(ctx)
    reason = _subject_refusal(ctx.session, ctx.user, convo.data)
    if reason:
        ctx.session.delete(convo)
        return _cancelled(ctx, reason)
    convo.updated_at = ctx.now
    _drop(convo, PAUSED_KEY, ASKED_KEY)
    return _ask_again(FLOWS[convo.flow], convo, note)


def answer_paused(ctx: Context) -> Reply:
    """A message for a draft put aside, taken as its next answer (the draft is no longer aside)."""
    _drop(conversation(ctx), PAUSED_KEY)
    return continue_flow(ctx)


def _drop(convo: Conversation, *keys: str) -> None:
    """Take the engine's notes `keys` off the draft (assigned anew: the encrypted column saves only then)."""
    convo.data = {key: value for key, value in convo.data.items() if key not in keys}


def _ask_again(flow: Flow, convo: Conversation, note: str | None = None) -> list[Json]:
    """The open step's question, after `note` (why it is asked again) when there is one."""
    return flow.render(convo.step, convo.data, convo.trail, error=note)


CASE_GONE = ("เรื่องที่ท่านกรอกค้างไว้อยู่นอกพื้นที่ที่ท่านรับผิดชอบแล้ว (อาจย้ายไปพื้นที่อื่น) "
             "รายการนี้จึงถูกยกเลิก ข้อมูลที่กรอกไว้ไม่ถูกบันทึกค่ะ")
STUDENT_GONE = ("นักเรียนที่ท่านกรอกค้างไว้ไม่อยู่ในรายชื่อที่ท่านดูแลแล้ว "
                "รายการนี้จึงถูกยกเลิก ข้อมูลที่กรอกไว้ไม่ถูกบันทึกค่ะ")


def _subject_refusal(session, user: User | None, data: dict) -> str | None:
    """A flow about a case (its data names it as "case": a check-in, a referral, closing) or a watched
    student ("student": a home visit, taking them off the list) goes on, is resumed or reminded only
    while the user may still see it: it may have moved to another area, or the user to another school,
    since the flow began, and its prompts name the child."""
    case_id, student_id = data.get("case"), data.get("student")
    if case_id is not None:
        # Its area's code alone, asked at every step: the whole row would be read and its sealed fields
        # decrypted, for a step that does not show them.
        found = session.execute(_CASE_AREA_CODE, {"id": case_id}).first()
        if found is None or not access.code_visible(user, found.area_code):
            return CASE_GONE
    if student_id is not None:
        student = session.get(WatchStudent, student_id)
        if student is None or access.student_refusal(user, student):
            return STUDENT_GONE
    return None


def _advance(ctx: Context, flow: Flow, convo: Conversation, step: Step, value: Any) -> Reply:
    data = dict(convo.data)
    if isinstance(value, Stop):
        ctx.session.delete(convo)
        return _cancelled(ctx, value.message)
    if isinstance(value, Finish):
        _check_declared(flow, step, FINISH)
        target = None
    elif isinstance(value, Goto):
        _check_declared(flow, step, value.step)
        data.update(value.data)
        target = value.step
    else:
        if isinstance(value, Fill):
            data.update(value.also)
            value = value.value
        data[step.name] = value
        leads_to = flow.leads_to(step, data)
        _check_declared(flow, step, leads_to)
        target = flow.passing_over(leads_to, data)
        # After an edit from the confirmation card, go back to it, unless the new answer opened
        # a step never answered (a title left out now asks for the sex).
        if data.get("_return_to") and (target is None or target in data):
            target = data.pop("_return_to")
    if target is None:
        ctx.session.delete(convo)
        ctx.session.flush()
        return flow.finish(ctx, data)
    # The same step asked again (one more of several choices, the card shown again) is no step further:
    # "ย้อนกลับ" goes to the question before it, not to this one once per tap.
    if target != step.name:
        convo.trail = [*convo.trail, step.name]
    convo.step, convo.data, convo.updated_at = target, data, ctx.now
    return _ask_again(flow, convo)


def _check_declared(flow: Flow, step: Step, target: str) -> None:
    """Refuse a move the flow does not declare: the transaction is rolled back, so the draft stays
    where it was, and the dispatcher logs the error and apologises to the user."""
    if target not in flow.may_lead_to(step):
        raise UndeclaredExit(f"flow {flow.name}, step {step.name}: led to {target}, which its goes_to does "
                             f"not declare ({', '.join(flow.may_lead_to(step))})")


def _go_back(ctx: Context, flow: Flow, convo: Conversation) -> Reply:
    convo.updated_at = ctx.now
    if not convo.trail:
        return _ask_again(flow, convo, "นี่คือคำถามแรกแล้วค่ะ")
    *rest, previous = convo.trail
    convo.trail, convo.step = rest, previous
    return _ask_again(flow, convo)


def reuse(steps: Sequence[Step], when: Callable[[dict], bool]) -> list[Step]:
    """Another flow's steps, for this one: each asked only when `when` holds, its own `when` holds,
    and the flow was not started with its answer already known (named in data["_known"]: a
    check-in prefilled from the list skips what the list says)."""
    return [replace(step, when=lambda data, step=step: when(data) and step.name not in data.get("_known", ())
                    and step.applies(data)) for step in steps]


def edit_step(name: str, steps: Sequence[Step], return_to: str,
              prompt: str = "ต้องการแก้ไขข้อใดคะ เลือกจากปุ่มด้านล่าง") -> Step:
    """The "แก้ไข" menu: those of `steps` that have an edit_label and apply; picking one asks it
    again, and answering it goes back to the step `return_to` (the confirmation card)."""
    editable = [step for step in steps if step.edit_label]
    if len(editable) > MAX_QUICK_REPLIES - ENGINE_BUTTONS:
        raise ValueError(f"edit menu {name}: {len(editable)} steps to edit; at most "
                         f"{MAX_QUICK_REPLIES - ENGINE_BUTTONS} fit beside back and cancel")

    def offered(data: dict) -> list[Step]:
        return [step for step in editable if step.applies(data)]

    def pick(answer: Answer, data: dict) -> Goto:
        said = text_of(answer)
        for step in offered(data):
            if said == step.edit_label:
                return Goto(step.name, {"_return_to": return_to})
        raise InvalidInput("กรุณาเลือกหัวข้อที่ต้องการแก้ไขจากปุ่มด้านล่างค่ะ")

    # Goes to the step picked, and from it back to return_to.
    return Step(name, prompt, pick, choices=lambda data: [step.edit_label for step in offered(data)],
                goes_to=(*(step.name for step in editable), return_to), numbered=False)


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
                gone = _subject_refusal(session, user, convo.data)
                if gone:
                    session.delete(convo)
                    queue_messages(session, user.line_user_id, _notice(user, gone), personal=False)
                    counts["expired"] += 1
                    continue
                convo.reminded_at = now
                # The reminder asks the open question: the answer to it must reach the flow again.
                _drop(convo, PAUSED_KEY, ASKED_KEY)
                reminder = [text(flow.reminder), *_ask_again(flow, convo)]
                # The open question may show the draft (a confirmation card); the unregistered can
                # only be registering, which names no child.
                queue_messages(session, user.line_user_id, reminder, personal=access.is_registered(user))
                counts["reminded"] += 1
    return counts


def _cancelled(ctx: Context, message: str) -> Reply:
    return _notice(ctx.user, message)


def _expired_notice(user: User | None) -> list[Json]:
    return _notice(user, "ขออภัยค่ะ รายการที่กรอกค้างไว้หมดเวลาแล้ว (เกิน 24 ชั่วโมง) กรุณาเริ่มใหม่จากเมนูค่ะ")


def _notice(user: User | None, message: str) -> list[Json]:
    return [text(message, *main_menu(user))]


def text_of(answer: Answer) -> str:
    """The text of a typed or tapped answer; WrongKind for a sticker, an image or a location."""
    if answer.kind not in ("text", "postback") or not answer.text:
        raise WrongKind()
    return normalize_text(answer.text)


def too_long(said: str, limit: int) -> str:
    return (f"ข้อความยาวเกินไป ({len(said):,} ตัวอักษร) ขั้นตอนนี้รับได้ไม่เกิน {limit:,} ตัวอักษร "
            f"กรุณาพิมพ์ให้สั้นลงค่ะ (ได้รับ {quote(said)})")


def free_text(answer: Answer, data: dict) -> str:
    """A typed answer kept as it is (a note, a school's name); its step's max_length bounds it."""
    return text_of(answer)


def text_answer(parse: Callable[[str], Any]) -> Callable[[Answer, dict], Any]:
    """Adapt a parser of plain text (domain.thai's) into a step parser that refuses other kinds."""
    return lambda answer, data: parse(text_of(answer))
