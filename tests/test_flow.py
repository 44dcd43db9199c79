"""The flow engine's declared parts: which step comes next, the quick replies a step shows, the edit
menu, the checks a flow passes when it is registered, the step numbers, and the generated diagrams.

Running flows end to end (cancel, back, edits, timeouts, reminders) is tested through the webhook
in the flows' own transcripts (tests/test_report.py).
"""
from __future__ import annotations

import importlib
import logging
import pkgutil
import re

import pytest
from linebot.v3.messaging import CameraAction, DatetimePickerAction, LocationAction
from sqlalchemy import select

import handlers
from chat import flow
from chat.flow import Flow, text_answer
from chat.step import FINISH, Answer, Goto, Step, WrongKind
from domain import access
from domain.thai import InvalidInput
from helpers import quick_reply_labels, texts_of
from line.messages import MAX_QUICK_REPLIES
from models import Conversation, User, utcnow


def keep(text: str) -> str:
    return text


DEMO = Flow(
    name="demo",
    steps=[
        Step("a", "A?", text_answer(keep), edit_label="เอ"),
        Step("b", "B?", text_answer(keep), when=lambda data: data.get("a") == "yes", edit_label="บี"),
        Step("c", "C?", text_answer(keep), next="e"),
        Step("d", "D?", text_answer(keep)),
        Step("e", "E?", text_answer(keep), when=lambda data: "skip_e" not in data),
    ],
    finish=lambda ctx, data: None,
    roles=access.ANYONE,
)


@pytest.fixture
def demo():
    flow.register(DEMO)
    yield DEMO
    del flow.FLOWS[DEMO.name]


def test_after_passes_over_steps_that_do_not_apply():
    a, b, c = DEMO.steps[:3]
    assert DEMO.after(a, {"a": "yes"}) == "b"
    assert DEMO.after(a, {"a": "no"}) == "c"
    assert DEMO.after(c, {}) == "e"                   # an explicit next
    assert DEMO.after(c, {"skip_e": True}) is None    # ... that does not apply: the flow ends
    assert DEMO.after(DEMO.step("d"), {}) == "e"


def test_render_keeps_skip_back_and_cancel_however_long_the_list():
    step = Step("long", "เลือก", text_answer(keep), choices=[f"ข้อ {i}" for i in range(20)], skip="ข้าม")
    [message] = step.render({})
    labels = quick_reply_labels(message)
    assert len(labels) == MAX_QUICK_REPLIES
    assert labels[-3:] == ["ข้าม", "ย้อนกลับ", "ยกเลิก"] and labels[0] == "ข้อ 0"


def test_render_puts_the_error_before_the_question():
    [message] = DEMO.steps[0].render({}, error="ผิด")
    assert message["text"] == "ผิด\n\nA?"


def test_edit_menu_lists_editable_steps_that_apply():
    menu = flow.edit_step("edit", DEMO.steps, return_to="card")
    assert quick_reply_labels(menu.render({"a": "no"})[0])[:-2] == ["เอ"]
    assert quick_reply_labels(menu.render({"a": "yes"})[0])[:-2] == ["เอ", "บี"]
    assert menu.parse(Answer("text", text="บี"), {"a": "yes"}) == Goto("b", {"_return_to": "card"})
    assert menu.goes_to == ("a", "b", "card") and not menu.numbered
    with pytest.raises(InvalidInput):
        menu.parse(Answer("text", text="บี"), {"a": "no"})
    with pytest.raises(WrongKind):
        menu.parse(Answer("sticker"), {})


def test_text_answer_refuses_other_kinds_and_normalises_spaces():
    parse = text_answer(keep)
    assert parse(Answer("text", text="  ก   ข "), {}) == "ก ข"
    for kind in ("sticker", "image", "location"):
        with pytest.raises(WrongKind):
            parse(Answer(kind), {})


@pytest.mark.parametrize("step, takes", [
    (Step("name", "ชื่อ?", text_answer(keep)), "ตอบได้โดยพิมพ์คำตอบ"),
    (Step("home", "บ้าน?", text_answer(keep), choices=[LocationAction(label="ส่งตำแหน่งบ้าน")]),
     "ตอบได้โดยกดปุ่ม \"ส่งตำแหน่งบ้าน\" หรือพิมพ์คำตอบ"),
    # A pin or a photo, or the skip: no typing.
    (Step("pin", "หมุด?", text_answer(keep), choices=[LocationAction(label="ส่งตำแหน่งบ้าน")], skip="ข้าม"),
     "ตอบได้โดยกดปุ่ม \"ส่งตำแหน่งบ้าน\" หรือกดปุ่มด้านล่าง"),
    (Step("photo", "รูป?", text_answer(keep), choices=[CameraAction(label="ถ่ายรูป")], skip="ไม่มีรูป"),
     "ตอบได้โดยส่งรูปถ่าย หรือกดปุ่มด้านล่าง"),
    (Step("when", "วันไหน?", text_answer(keep), skip="ยังไม่เริ่ม", choices=[DatetimePickerAction(
        label="เลือกจากปฏิทิน", data="pick=date", mode="date")]), "ตอบได้โดยกดปุ่ม \"เลือกจากปฏิทิน\" หรือพิมพ์คำตอบ"),
])
def test_a_message_of_the_wrong_kind_is_told_what_the_step_takes(step, takes):
    said = step.wrong_kind({}, "audio")
    assert said == f"ขออภัยค่ะ ข้อนี้ตอบด้วยข้อความเสียงไม่ได้ {takes} ข้อมูลที่กรอกไว้ยังอยู่ครบค่ะ"
    assert "ข้อความแบบนี้" in step.wrong_kind({}, "something new")


def test_a_flow_starts_at_its_first_step_that_applies():
    assert DEMO.first({}).name == "a"
    skipping = Flow("skipping", [Step("x", "X?", text_answer(keep), when=lambda data: "known" not in data),
                                 Step("y", "Y?", text_answer(keep))], finish=lambda ctx, data: None,
                    roles=access.ANYONE)
    assert skipping.first({"known": 1}).name == "y"


def test_reused_steps_are_asked_only_when_wanted_and_not_already_known():
    a, b = flow.reuse(DEMO.steps[:2], when=lambda data: data.get("go"))
    assert not a.applies({}) and a.applies({"go": True})
    assert not a.applies({"go": True, "_known": ["a"]})        # the flow started with its answer
    assert not b.applies({"go": True, "a": "no"})              # its own `when` still holds
    assert b.applies({"go": True, "a": "yes"})
    assert (a.name, a.prompt, a.edit_label) == ("a", "A?", "เอ") and DEMO.steps[0].when is None


# ------------------------------------------------------------------ checked when registered

def step(name: str, **declared) -> Step:
    return Step(name, f"{name}?", text_answer(keep), **declared)


def a_flow(*steps: Step, name: str = "checked") -> Flow:
    return Flow(name, list(steps), finish=lambda ctx, data: None, roles=access.ANYONE)


@pytest.mark.parametrize("steps, refusal", [
    ((step("a"), step("a")), "step a: another step has the same name"),
    ((step("a"), step(FINISH)), "step finish: 'finish' is reserved"),
    ((step("a", next="nowhere"), step("b")), "step a: leads to nowhere, which the flow does not have"),
    ((step("a", goes_to=("b", "gone")), step("b")), "step a: leads to gone, which the flow does not have"),
    ((step("a", next=lambda data: "b"), step("b")), "step a: its next is a function, so goes_to must list"),
    ((step("a", next="b", goes_to=(FINISH,)), step("b")), "step a: goes_to lists every step it may lead to"),
    ((step("a", card=lambda data: None),), "step a: a card has no prompt to number"),
    ((step("a", choices=[str(i) for i in range(MAX_QUICK_REPLIES - 2)], skip="ข้าม"),),
     "step a: 14 quick replies with skip, back and cancel; LINE shows at most 13"),
    ((step("a", choices=["ก" * 21]),), "step a: labels longer than LINE's 20 characters: " + "ก" * 21),
    ((step("a", choices=[LocationAction(label="ส่งตำแหน่งบ้านของเด็กคนนี้")]),), "labels longer than LINE's 20"),
    ((step("a", skip="ข้ามข้อนี้ไปก่อนเลยนะคะ"),), "labels longer than LINE's 20"),
    ((step("a", edit_label="แก้ไขชื่อและนามสกุลของเด็ก"),), "labels longer than LINE's 20"),
])
def test_a_flow_that_is_not_sound_is_refused_when_registered(steps, refusal):
    with pytest.raises(ValueError, match=re.escape(f"flow checked, {refusal}") if "step" in refusal
                       else re.escape(refusal)):
        flow.register(a_flow(*steps))
    assert "checked" not in flow.FLOWS


def test_a_flow_that_fits_is_registered_once():
    fits = a_flow(step("a", choices=[str(i) for i in range(MAX_QUICK_REPLIES - 3)], skip="ข้าม", next="c",
                       edit_label="ก" * 20),
                  step("b", next=lambda data: "c", goes_to=("c", FINISH)), step("c", card=lambda data: None,
                                                                                 numbered=False))
    try:
        assert flow.register(fits) is fits
        with pytest.raises(ValueError, match="flow checked: another flow of that name is registered already"):
            flow.register(a_flow(step("x")))
    finally:
        del flow.FLOWS["checked"]


def test_an_edit_menu_must_fit_beside_back_and_cancel():
    steps = [step(f"s{i}", edit_label=f"ข้อ {i}") for i in range(MAX_QUICK_REPLIES - 1)]
    with pytest.raises(ValueError, match="edit menu edit: 12 steps to edit; at most 11"):
        flow.edit_step("edit", steps, return_to="s0")


def test_every_flow_of_the_app_is_sound():
    assert set(flow.FLOWS) >= {"report", "checkin", "register", "referral", "referral_decline", "enrol",
                               "close_case", "deadline", "invite", "deactivate"}
    for declared in flow.FLOWS.values():
        flow.check(declared)


# ------------------------------------------------------------------ refused when it runs

def goes_astray(answer: Answer, data: dict) -> Goto:
    return Goto(answer.text)


ASTRAY = Flow("astray", [Step("a", "A?", goes_astray), Step("b", "B?", text_answer(keep)),
                         Step("c", "C?", text_answer(keep))],
              finish=lambda ctx, data: None, roles=access.ANYONE)


@pytest.fixture
def astray(chat, db):
    """The chat's user in the middle of ASTRAY, at its first step."""
    flow.register(ASTRAY)
    chat.says("สวัสดี")  # the user's row
    with db.transaction() as session:
        user = session.scalar(select(User).where(User.line_user_id == chat.user_id))
        session.add(Conversation(user_id=user.id, flow="astray", step="a", data={}, trail=[],
                                 started_at=utcnow(), updated_at=utcnow()))
    yield chat
    del flow.FLOWS["astray"]


@pytest.mark.parametrize("target", ["c", "nowhere"])
def test_a_move_the_flow_does_not_declare_is_refused_as_a_bug(astray, db, caplog, target):
    with caplog.at_level(logging.ERROR):
        [sorry] = texts_of(astray.says(target))
    assert sorry.startswith("ขออภัย ระบบขัดข้องชั่วคราว")
    assert f"flow astray, step a: led to {target}, which its goes_to does not declare (b)" in caplog.text
    with db.transaction() as session:
        assert session.scalar(select(Conversation.step)) == "a"   # the draft stays where it was
    [question] = texts_of(astray.says("b"))                         # a declared move goes on
    assert question == "2/3 B?"


# ------------------------------------------------------------------ step numbers

NUMBERED = Flow(
    name="numbered",
    steps=[
        Step("a", "A?", text_answer(keep)),
        Step("a_more", "More?", text_answer(keep), when=lambda data: data.get("a") == "more", numbered=False),
        Step("b", "B?", text_answer(keep), when=lambda data: data.get("a") != "no b"),
        Step("c", "C?", text_answer(keep), when=lambda data: "c_known" not in data),
        Step("confirm", "OK?", text_answer(keep), numbered=False),
    ],
    finish=lambda ctx, data: None,
    roles=access.ANYONE,
)


def numbered(name: str, data: dict, trail=()) -> str | None:
    return NUMBERED.number(NUMBERED.step(name), data, trail)


def test_steps_are_numbered_among_those_asked_for_the_answers_so_far():
    assert numbered("a", {}) == "1/3"
    assert numbered("b", {"a": "more"}, trail=["a", "a_more"]) == "2/3"
    assert numbered("c", {"a": "no b"}, trail=["a"]) == "2/2"          # b is not asked: not counted
    assert numbered("a", {"c_known": 1}) == "1/2"                      # nor is what the flow started with
    # A step answered stays counted though its `when` no longer holds for the answers since.
    assert numbered("b", {"a": "x", "c": "y", "c_known": 1}, trail=["a", "c", "confirm"]) == "2/3"
    assert numbered("a_more", {"a": "more"}, trail=["a"]) is None     # not numbered
    assert numbered("confirm", {}, trail=["a", "b", "c"]) is None
    assert numbered("a", {"a": "no b", "c_known": 1}) is None          # one question: nothing to count


def test_the_number_comes_before_the_prompt_and_after_an_error():
    [message] = NUMBERED.render("b", {"a": "x"}, trail=["a"], error="ผิด")
    assert message["text"] == "ผิด\n\n2/3 B?"
    [message] = NUMBERED.render("confirm", {}, trail=["a", "b", "c"])
    assert message["text"] == "OK?"


def test_a_report_numbers_its_questions_the_village_too(chat, registered):
    registered(chat, "reporter", "400102")  # a subdistrict with villages to choose from
    first = texts_of(chat.says("แจ้งพบเด็ก"))[-1]
    assert first.startswith("1/10 ชื่อและนามสกุลของเด็ก")
    assert texts_of(chat.says("ด.ช. สมชาย ใจดี"))[-1].startswith("2/10 เลขประจำตัวประชาชน")
    assert texts_of(chat.says("ไม่ทราบ"))[-1].startswith("3/10 วันเกิดของเด็ก")
    assert texts_of(chat.says("12"))[-1] == "4/10 เด็กอาศัยอยู่หมู่บ้านใดคะ"
    assert texts_of(chat.says("ไม่แน่ใจ"))[-1].startswith("5/10 บ้านที่เด็กอาศัยอยู่")
    assert texts_of(chat.says(flow.BACK))[-1] == "4/10 เด็กอาศัยอยู่หมู่บ้านใดคะ"


# ------------------------------------------------------------------ diagrams

def test_the_diagram_shows_steps_in_order_jumps_optional_steps_and_the_finish():
    menu = flow.edit_step("edit", DEMO.steps, return_to="e")
    drawn = Flow("drawn", [*DEMO.steps[:4], Step("e", 'E "quoted"', text_answer(keep), skip="ข้าม",
                                                 goes_to=("edit", FINISH)), menu],
                 finish=lambda ctx, data: None, roles=access.ANYONE)
    assert drawn.mermaid() == """flowchart TD
    start(["drawn"]) --> a
    a["a<br>A?"] --> b
    b["b<br>B?"] --> c
    c["c<br>C?"] --> e
    d["d<br>D?"] --> e
    e["e<br>E #quot;quoted#quot;<br>skip: ข้าม"] -.-> edit & finish
    edit["edit<br>ต้องการแก้ไขข้อใดคะ เลือกจากปุ่มด้านล่าง"] -.-> a & b & e
    finish(["finish"])
    classDef optional stroke-dasharray: 4 4
    class b optional"""


def handler_modules():
    return [importlib.import_module(f"handlers.{info.name}") for info in pkgutil.iter_modules(handlers.__path__)]


@pytest.mark.parametrize("module", handler_modules(), ids=lambda module: module.__name__)
def test_each_handler_module_shows_the_generated_diagrams_of_its_flows(module):
    declared = [value for value in vars(module).values()
                if isinstance(value, Flow) and flow.FLOWS.get(value.name) is value]
    expected = [f"```mermaid\n{declared_flow.mermaid()}\n```" for declared_flow in declared]
    shown = re.findall(r"```mermaid\n.*?\n```", module.__doc__ or "", re.DOTALL)
    assert shown == expected, (f"{module.__name__}'s docstring should show, in this order:\n\n"
                               + "\n\n".join(expected))
