"""The flow engine's declared parts: which step comes next, the quick replies a step shows, the edit menu.

Running flows end to end (cancel, back, edits, timeouts, reminders) is tested through the webhook
in the flows' own transcripts (tests/test_report.py).
"""
from __future__ import annotations

import pytest

from domain import access

from chat import flow
from chat.flow import Answer, Flow, Goto, Step, WrongKind, text_answer
from line.messages import MAX_QUICK_REPLIES
from domain.thai import InvalidInput
from helpers import quick_reply_labels


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
    labels = quick_reply_labels(message.to_dict())
    assert len(labels) == MAX_QUICK_REPLIES
    assert labels[-3:] == ["ข้าม", "ย้อนกลับ", "ยกเลิก"] and labels[0] == "ข้อ 0"


def test_render_puts_the_error_before_the_question():
    [message] = DEMO.steps[0].render({}, error="ผิด")
    assert message.text == "ผิด\n\nA?"


def test_edit_menu_lists_editable_steps_that_apply(demo):
    menu = flow.edit_step("edit", flow="demo", return_to="card")
    assert quick_reply_labels(menu.render({"a": "no"})[0].to_dict())[:-2] == ["เอ"]
    assert quick_reply_labels(menu.render({"a": "yes"})[0].to_dict())[:-2] == ["เอ", "บี"]
    assert menu.parse(Answer("text", text="บี"), {"a": "yes"}) == Goto("b", {"_return_to": "card"})
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
