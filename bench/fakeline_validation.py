"""Validating one call in the fake LINE platform: what the schema compiler costs before and per call.

    .venv/bin/python -m bench.fakeline_validation [--repeat N]

The body timed is the largest realistic reply: 5 Flex messages, each a carousel of 12 bubbles as the
list of children to find builds them (line.messages.card: a title, 6 label/value rows, 2 postback
buttons) with 13 quick replies, serialised as the outbox stores it. Also timed: the same reply with
one error (its last quick-reply label one character too long), which is where error details are built.

Compile time is compiling every schema of messaging-api.yml, as ApiSpec does at load (loading the YAML
is left out). Times are CPU seconds (time.process_time) with garbage collection off, as timeit does;
per-call times are the best of --repeat runs of 20 calls. docs/performance.md, "Fake LINE: validating
calls", has the figures and the comparison with fastjsonschema that chose this compiler.
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import gc
import json
import time
from typing import Any, Callable

from linebot.v3.messaging import PostbackAction

from bench.common import machine, table, today
from devtools.fakeline.schema import SchemaCompiler
from devtools.fakeline.spec import messaging_api_spec
from line.messages import MAX_BUBBLES, MAX_QUICK_REPLIES, card, flex

MAX_MESSAGES = 5  # a reply's limit


def maximal_reply() -> dict:
    rows = [("เลขประจำตัว", "1-1037-0xxxx-xx-1"), ("อายุ", "12 ปี 4 เดือน"), ("พื้นที่", "หมู่ 7 บ้านหนองแวง"),
            ("โรงเรียนเดิม", "โรงเรียนบ้านหนองแวงวิทยาคาร"), ("สถานะ", "ยังไม่ได้ติดตาม"), ("ระยะทาง", "1,234.5 กม.")]
    buttons = [("primary", PostbackAction(label="พบตัวแล้ว", data="action=checkin&case=123456", displayText="พบตัวแล้ว")),
               ("secondary", PostbackAction(label="ดูเรื่อง", data="action=case&case=123456", displayText="ดูเรื่อง"))]
    bubbles = [card(f"เด็กหญิงสมศรี ใจดีมากมาย {i}", rows, buttons, size="kilo") for i in range(MAX_BUBBLES)]
    choices = [PostbackAction(label=f"ตัวเลือกที่ {i}", data=f"action=menu&item={i}", displayText=f"ตัวเลือกที่ {i}")
               for i in range(MAX_QUICK_REPLIES)]
    message = flex("รายชื่อที่ต้องติดตามในพื้นที่ของท่าน: 1,234 คน (หน้า 1/103)", bubbles, *choices)
    # line.messages builds the JSON the outbox stores.
    messages = [copy.deepcopy(message) for _ in range(MAX_MESSAGES)]  # distinct, so one_error changes one
    return {"replyToken": "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA", "messages": messages}


def one_error(body: dict) -> dict:
    """The same reply, its very last quick-reply label one character too long."""
    wrong = copy.deepcopy(body)
    wrong["messages"][-1]["quickReply"]["items"][-1]["action"]["label"] = "x" * 21
    return wrong


@contextlib.contextmanager
def no_gc():
    """As timeit does: no garbage collection while timing, or a full collection of everything the
    benchmark holds (YAML, SDK models) lands in whichever figure is being taken."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def best_cpu(call: Callable[[], Any], repeat: int, number: int) -> float:
    """CPU seconds per call, best of ``repeat`` runs of ``number`` calls."""
    best = float("inf")
    for _ in range(repeat):
        with no_gc():
            started = time.process_time()
            for _ in range(number):
                call()
            best = min(best, (time.process_time() - started) / number)
    return best


def measure(repeat: int) -> str:
    schemas = messaging_api_spec().schemas
    reply, wrong = maximal_reply(), one_error(maximal_reply())
    with no_gc():
        started = time.process_time()
        compiler = SchemaCompiler(schemas)
        for name in schemas:
            compiler.named(name)
        compile_seconds = time.process_time() - started
    assert compiler.errors("ReplyMessageRequest", reply) == [] and compiler.errors("ReplyMessageRequest", wrong)
    valid = best_cpu(lambda: compiler.errors("ReplyMessageRequest", reply), repeat, 20)
    invalid = best_cpu(lambda: compiler.errors("ReplyMessageRequest", wrong), repeat, 20)
    size = len(json.dumps(reply, ensure_ascii=False).encode())
    return (f"Measured {today()} on {machine()} with `python -m bench.fakeline_validation`.\n"
            f"The reply: {MAX_MESSAGES} Flex carousels of {MAX_BUBBLES} bubbles, {MAX_QUICK_REPLIES} quick replies "
            f"each, {size:,} bytes of JSON.\n\n"
            + table(["validator", "compile ms (CPU)", "valid reply ms/call (CPU)", "reply with one error ms/call (CPU)"],
                    [["hand-written (devtools/fakeline/schema.py)", f"{compile_seconds * 1000:,.0f}",
                      f"{valid * 1000:.2f}", f"{invalid * 1000:.2f}"]]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    print(measure(parser.parse_args().repeat))


if __name__ == "__main__":
    main()
