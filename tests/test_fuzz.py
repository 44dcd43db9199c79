"""Hostile input: thousands of random but correctly signed webhook bodies, and the same texts (and
pieces of real reports run together) given to the free-text report reader.

Whatever arrives — emoji, Thai combining marks piled up, 5,000-character texts, SQL/HTML/Flex
injection attempts, event and message types LINE may invent later, huge bodies — the webhook
answers 200, logs no error, stores nothing for what it ignores, and everything it sends passes
the fake LINE platform's spec validation (so no outbox row fails and no user text turns into
message structure); domain.report_text reads any of those texts without an error into fields in the
report flow's formats. FUZZ_EXAMPLES sets the number of bodies per database (default 150).
"""
from __future__ import annotations

import json
import logging
import os
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from bot.webhook import MAX_BODY_BYTES
from domain.menu_labels import MENU_ABOUT, MENU_HELP
from domain.report_text import match_option, match_village, parse_report
from helpers import REPORT_KNOWN, check_parsed
from models import InboundEvent, OutboxMessage

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))

THAI = "".join(chr(c) for c in range(0x0E01, 0x0E5C) if chr(c).isprintable())
COMBINING = "\u0e31\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e3a\u0e47\u0e48\u0e49\u0e4a\u0e4b\u0e4c\u0e4d\u0e4e"
EMOJI = "😀😢🙏👍🏽👨‍👩‍👧‍👦🇹🇭❤️✅🔥"
ODD = "\u200b\u200d\u202e\ufeff\x00\x1b\t\n\r\\\"'`<>&{}[]%$=+-@"
INJECTIONS = [
    "'; DROP TABLE users; --", "\" OR 1=1 --", "Robert'); DELETE FROM outbox;--",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "&lt;b&gt;",
    '{"type":"flex","altText":"x","contents":{}}', '"}]},{"type":"bubble","body":{"type":"box"}}',
    '\\"},{\\"type\\":\\"uri\\"', "${jndi:ldap://x}", "{{7*7}}", "=HYPERLINK(\"http://x\")", "+1-2", "@SUM(A1)",
    "สวัสดี", MENU_HELP, MENU_ABOUT, "ยกเลิก", "ย้อนกลับ", "๑๒๓๔๕", "action=menu&value=x",
]

texts = st.one_of(
    st.text(alphabet=THAI + COMBINING + EMOJI + ODD + "abcXYZ019 ", max_size=60),
    st.sampled_from(INJECTIONS),
    st.builds(lambda s, c: (s + COMBINING * 3) * c, st.sampled_from(["ก", "น้", "ดี"]), st.integers(1, 40)),
    st.builds(lambda s: (s * 5000)[:5000], st.sampled_from(["ก", "😀", "a", "ก\u0e48\u0e49", "'<"])),
)
junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)
user_ids = st.builds(lambda: "U" + uuid.uuid4().hex)


@st.composite
def handled_event(draw, line):
    """An event LINE sends today, from a user in a private chat: the bot records it and answers."""
    user = draw(user_ids)
    kind = draw(st.sampled_from(["text", "postback", "location", "sticker", "follow", "unfollow"]))
    if kind == "text":
        event = line.text_event(user, draw(texts))
    elif kind == "postback":
        params = draw(st.none() | st.dictionaries(st.sampled_from(["date", "time", "datetime"]), texts, max_size=2))
        event = line.postback_event(user, draw(texts)[:300], params)
    elif kind == "location":
        event = line.location_event(user, draw(st.floats(-90, 90)), draw(st.floats(-180, 180)),
                                    title=draw(st.none() | texts.map(lambda t: t[:100])),
                                    address=draw(st.none() | texts.map(lambda t: t[:100])))
    elif kind == "sticker":
        event = line.sticker_event(user)
    else:
        event = getattr(line, f"{kind}_event")(user)
    if draw(st.booleans()):  # fields LINE may add later are ignored, wherever they are
        event[draw(st.sampled_from(["futureField", "x"]))] = draw(junk)
    return event


@st.composite
def ignored_event(draw, line):
    """Events the bot must ignore without storing anything."""
    user = draw(user_ids)
    base = line.text_event(user, draw(texts))
    variant = draw(st.sampled_from(["unknown type", "unknown message", "group", "room", "console verify",
                                    "no source", "garbage"]))
    if variant == "unknown type":
        base["type"] = draw(st.sampled_from(["somethingNew", "membersLeft", "", "message2"]) | texts)
    elif variant == "unknown message":
        base["message"] = {"id": "1", "type": draw(st.sampled_from(["hologram", "", "TEXT"]) | texts), "x": draw(junk)}
    elif variant == "group":
        base = line.group_text_event("C" + uuid.uuid4().hex, user, draw(texts))
    elif variant == "room":
        base["source"] = {"type": "room", "roomId": "R" + uuid.uuid4().hex, "userId": user}
    elif variant == "console verify":
        base["replyToken"] = draw(st.sampled_from(["0" * 32, "f" * 32]))
    elif variant == "no source":
        del base["source"]
    else:
        base = draw(junk)
        if isinstance(base, dict):
            base["webhookEventId"] = line._ulid(0)  # an id, so we can check it was not stored
    return base


@st.composite
def bodies(draw, line):
    handled = draw(st.lists(handled_event(line), max_size=3))
    ignored = draw(st.lists(ignored_event(line), max_size=3))
    events = draw(st.permutations(handled + ignored))
    shape = draw(st.sampled_from(["normal"] * 8 + ["huge", "many"]))
    payload = {"destination": "U" + "0" * 32, "events": events}
    if shape == "huge":
        payload["padding"] = "ก" * 150_000  # up to 900 kB escaped: under the webhook's 1 MiB limit
    elif shape == "many":
        payload["events"] = events + [line.group_text_event("Cmany", "Umany", "x") for _ in range(200)]
    return payload, handled, ignored


def webhook_ids(events) -> set[str]:
    return {e["webhookEventId"] for e in events if isinstance(e, dict) and isinstance(e.get("webhookEventId"), str)}


def structure_keys(value, keys=None) -> set[str]:
    keys = set() if keys is None else keys
    if isinstance(value, dict):
        for k, v in value.items():
            keys.add(k)
            structure_keys(v, keys)
    elif isinstance(value, list):
        for v in value:
            structure_keys(v, keys)
    return keys


def test_random_signed_bodies_never_break_the_webhook(app, client, db, line, caplog):
    sender = app.extensions["sender"]

    @settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                          HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=st.data())
    def check(data):
        payload, handled, ignored = data.draw(bodies(line))
        with db.transaction() as session:
            for table in (OutboxMessage, InboundEvent):
                session.execute(delete(table))
        line.reset()
        caplog.clear()
        body = json.dumps(payload, ensure_ascii=data.draw(st.booleans())).encode()
        headers = {"Content-Type": "application/json", "X-Line-Signature": line.signature(body)}
        if len(body) > MAX_BODY_BYTES:  # more than LINE ever sends: refused before it is read
            assert client.post("/callback", data=body, headers=headers).status_code == 413
            return
        with caplog.at_level(logging.INFO):
            response = client.post("/callback", data=body, headers=headers)
            assert sender.wait_idle(20)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text

        with db.transaction() as session:
            stored = set(session.scalars(select(InboundEvent.webhook_event_id)))
            failed = session.scalar(select(func.count()).select_from(OutboxMessage)
                                    .where(OutboxMessage.status != "sent"))
        assert not stored & (webhook_ids(ignored) - webhook_ids(handled)), "an ignored event was stored"
        assert webhook_ids(handled) <= stored, "an event the bot handles was not recorded"
        assert failed == 0, "a message the bot queued was refused or is stuck"
        refused = [(c.path, c.status, c.response_json) for c in line.calls if c.status >= 400]
        assert not refused, refused
        for call in line.calls:  # user text only ever appears as a value, never as message structure
            for key in structure_keys(call.json):
                assert key.isascii() and key.isalnum(), key

    check()


# Pieces reports are made of, run together in any order and with any of the texts above between them:
# what the report reader must take apart (a title, digits that are and are not IDs or phones, ages, หมู่).
REPORT_PIECES = ["ด.ช.", "ด.ญ.", "นาย", "สมชาย", "ใจดี", "แม่ชื่อ", "ยาย", "ชื่อ", "น้อง", "อายุ", "สิบสอง", "12",
                 "ขวบ", "ปี", "เกิด", "15/3/2555", "15 มี.ค. 55", "พ.ศ.", "ค.ศ.", "1103702071838", "1-1037-02071-83-8",
                 "081-234-5678", "+66", "บ้านเลขที่", "45/1", "หมู่", "ม.", "3", "๓", "บ.", "หนองไผ่", "ช่วยพ่อทำนา",
                 "ไม่", "ยากจน", "กศน.", "2 คน", "และ", "|", "\ue000", " "]
report_texts = st.lists(st.sampled_from(REPORT_PIECES) | texts.map(lambda t: t[:40]), max_size=30).map("".join)


@settings(max_examples=EXAMPLES * 4, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(texts | report_texts)
def test_random_texts_never_break_the_report_reader(text):
    check_parsed(parse_report(text, REPORT_KNOWN))
    for options in REPORT_KNOWN.lists.values():
        assert match_option(text, options) in {None, *(option.code for option in options)}
    assert match_village(text, REPORT_KNOWN.villages) in {None, *dict(REPORT_KNOWN.villages)}
