"""Validating one call in the fake LINE platform: the hand-written schema compiler against fastjsonschema.

    .venv/bin/python -m bench.fakeline_validation                      # compile and per-call times
    .venv/bin/python -m bench.fakeline_validation --bodies FILE        # and compare verdicts on FILE
    .venv/bin/python -m bench.fakeline_validation --bodies FILE --mutations 40   # and on 40 mutations of each

The body timed is the largest realistic reply: 5 Flex messages, each a carousel of 12 bubbles as the
list of children to find builds them (line.messages.card: a title, 6 label/value rows, 2 postback
buttons) with 13 quick replies, serialised as the outbox stores it. Also timed: the same reply with
one error (a quick-reply label one character too long), which is where the error details are built.

Compile time is what each validator costs before its first call: the hand-written compiler compiles
every schema of messaging-api.yml (as ApiSpec does at load); fastjsonschema translates every schema
and compiles the reply's (each request schema is compiled on first use); loading the YAML, which
both need, is left out. Times are CPU seconds (time.process_time) with garbage collection off, as timeit
does; per-call times are the best of --repeat runs of 20 calls.

FILE holds JSON lines ``[spec title, schema name, body]``, e.g. every body the test-suite validated.
"Same details" compares the sets of ``{message, property}`` (the order of several errors may differ).
"""
from __future__ import annotations

import argparse
import collections
import contextlib
import copy
import gc
import json
import random
import time
from typing import Any, Callable

import fastjsonschema
from linebot.v3.messaging import PostbackAction

from bench.common import machine, table, today
from devtools.fakeline.fastschema import FastSchemaValidator
from devtools.fakeline.schema import SCHEMA_PREFIX, SchemaCompiler
from devtools.fakeline.spec import messaging_api_spec, webhook_spec
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
    # As line.outbox stores a message: pydantic's dict() of the SDK model.
    stored = message.dict(by_alias=True, exclude_none=True)
    return {"replyToken": "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA", "messages": [copy.deepcopy(stored) for _ in range(MAX_MESSAGES)]}


def one_error(body: dict) -> dict:
    """The same reply, its very last quick-reply label one character too long."""
    wrong = copy.deepcopy(body)
    wrong["messages"][4]["quickReply"]["items"][12]["action"]["label"] = "x" * 21
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


def timed(make: Callable[[], Any]) -> tuple[Any, float]:
    with no_gc():
        started = time.process_time()
        made = make()
        return made, time.process_time() - started


def verdict_only(fast: FastSchemaValidator, name: str) -> Callable[[Any], list]:
    """fastjsonschema's fastest setting: stop at the first error, no details."""
    validate = fastjsonschema.compile({**fast.document, "$ref": SCHEMA_PREFIX + name}, formats=fast.formats,
                                      use_default=False, detailed_exceptions=False)

    def errors(instance: Any) -> list:
        try:
            validate(instance)
        except fastjsonschema.JsonSchemaValueException as failed:
            return [failed]
        return []

    return errors


def measure(repeat: int) -> str:
    schemas = messaging_api_spec().schemas
    reply, wrong = maximal_reply(), one_error(maximal_reply())

    def hand_compile():
        compiler = SchemaCompiler(schemas)
        for name in schemas:
            compiler.named(name)
        return compiler

    def fast_compile():
        fast = FastSchemaValidator(schemas)
        fast.validator("ReplyMessageRequest")
        return fast

    hand, hand_seconds = timed(hand_compile)
    fast, fast_seconds = timed(fast_compile)
    bare, bare_seconds = timed(lambda: verdict_only(fast, "ReplyMessageRequest"))
    variants = [
        ("hand-written (devtools/fakeline/schema.py)", hand_seconds, lambda b: hand.errors("ReplyMessageRequest", b)),
        ("fastjsonschema, every error with LINE's details (what the fake answers)", fast_seconds,
         lambda b: fast.errors("ReplyMessageRequest", b)),
        ("fastjsonschema, verdict only (first error, no details)", bare_seconds, bare),
    ]
    rows = []
    for label, compile_seconds, errors in variants:
        assert errors(reply) == [] and errors(wrong), label
        rows.append([label, f"{compile_seconds * 1000:,.0f}",
                     f"{best_cpu(lambda: errors(reply), repeat, 20) * 1000:.2f}",
                     f"{best_cpu(lambda: errors(wrong), repeat, 20) * 1000:.2f}"])
    bodies = sorted({op.body_schema for op in messaging_api_spec().operations if op.body_schema})

    def fast_compile_all():
        every = FastSchemaValidator(schemas)
        for name in bodies:
            every.validator(name)

    _, all_seconds = timed(fast_compile_all)
    size = len(json.dumps(reply, ensure_ascii=False).encode())
    return (f"Measured {today()} on {machine()} with `python -m bench.fakeline_validation`.\n"
            f"The reply: {MAX_MESSAGES} Flex carousels of {MAX_BUBBLES} bubbles, {MAX_QUICK_REPLIES} quick replies "
            f"each, {size:,} bytes of JSON.\n\n"
            + table(["validator", "compile ms (CPU)", "valid reply ms/call (CPU)", "reply with one error ms/call (CPU)"],
                    rows)
            + f"\n\nfastjsonschema compiling every request-body schema of the spec ({len(bodies)}): "
              f"{all_seconds * 1000:,.0f} ms (CPU).")


# What a mutation puts in place of a value (or, one time in five, the key is deleted).
MUTATIONS: list[Callable[[Any], Any]] = [
    lambda v: None, lambda v: 1.0, lambda v: 1, lambda v: True, lambda v: "", lambda v: "x" * 301,
    lambda v: "😀" * 2501, lambda v: [], lambda v: {}, lambda v: "bogus", lambda v: -1, lambda v: "abc\n",
    lambda v: v * 14 if isinstance(v, list) else [v] * 14,
]


def mutated(body: Any, rng: random.Random) -> Any:
    """The body with one value anywhere in it replaced by a likely wrong one, or its key deleted."""
    wrong = copy.deepcopy(body)
    places = []
    stack = [wrong]
    while stack:
        node = stack.pop()
        keys = node.keys() if isinstance(node, dict) else range(len(node)) if isinstance(node, list) else ()
        for key in keys:
            places.append((node, key))
            stack.append(node[key])
    if places:
        node, key = rng.choice(places)
        if isinstance(node, dict) and rng.random() < 0.2:
            del node[key]
        else:
            node[key] = rng.choice(MUTATIONS)(node[key])
    return wrong


def compare(path: str, mutations: int) -> str:
    """Verdicts and details of both validators on every recorded body (and on mutations of each)."""
    specs = {spec.raw["info"]["title"]: spec for spec in (messaging_api_spec(), webhook_spec())}
    fast = {title: FastSchemaValidator(spec.schemas) for title, spec in specs.items()}
    rng = random.Random(7)
    counts = {"recorded": [0, 0, 0, 0], "mutated": [0, 0, 0, 0]}  # bodies, invalid, same verdict, same details
    differing: collections.Counter = collections.Counter()  # (hand-written's messages, fastjsonschema's)
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            title, name, body = json.loads(line)
            trials = [("recorded", body)] + [("mutated", mutated(body, rng)) for _ in range(mutations)]
            for kind, instance in trials:
                hand_errors = specs[title].errors(name, instance)
                fast_errors = fast[title].errors(name, instance)
                same = {tuple(d.items()) for d in hand_errors} == {tuple(d.items()) for d in fast_errors}
                count = counts[kind]
                count[0] += 1
                count[1] += bool(hand_errors)
                count[2] += bool(hand_errors) == bool(fast_errors)
                count[3] += same
                if bool(hand_errors) != bool(fast_errors):
                    differing[tuple(sorted({d["message"] for d in hand_errors})),
                              tuple(sorted({d["message"] for d in fast_errors}))] += 1
    report = [f"{kind}: {n:,} bodies ({invalid:,} invalid), same verdict {verdict:,}, same details {details:,}"
              for kind, (n, invalid, verdict, details) in counts.items() if n]
    report += [f"  different verdict {n:,} times: hand-written {list(hand)} / fastjsonschema {list(fast_)}"
               for (hand, fast_), n in differing.most_common()]
    return "\n".join(report)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--bodies", help="JSON lines [spec title, schema name, body] to compare verdicts on")
    parser.add_argument("--mutations", type=int, default=0, help="also compare on this many mutations of each body")
    args = parser.parse_args()
    print(measure(args.repeat))
    if args.bodies:
        print()
        print(compare(args.bodies, args.mutations))


if __name__ == "__main__":
    main()
