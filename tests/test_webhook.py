"""The webhook as LINE calls it: signatures, redelivery, odd bodies, every sample event, the loading animation."""
from __future__ import annotations

import copy
import json
import logging
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.config import DEFAULTS
from devtools.fakeline import FakeLine
from helpers import Chat, wait_for
from models import InboundEvent, OutboxMessage, User

SAMPLES = json.loads((Path(__file__).parent / "data" / "webhook-events.json").read_text())["events"]


def count(db, model) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_forged_signature_is_refused_and_nothing_is_written(client, line, db, caplog):
    body, headers = line.webhook_request([line.text_event("Uforger", "สวัสดี")])
    headers["X-Line-Signature"] = line.signature(body + b" ")
    with caplog.at_level(logging.WARNING):
        response = client.post("/callback", data=body, headers=headers)
    assert response.status_code == 400
    assert count(db, InboundEvent) == count(db, User) == count(db, OutboxMessage) == 0
    assert line.calls == []
    assert "signature" in caplog.text and "สวัสดี" not in caplog.text


def test_missing_signature_is_refused(client, line, db):
    body, headers = line.webhook_request([line.text_event("Unosig", "สวัสดี")])
    del headers["X-Line-Signature"]
    assert client.post("/callback", data=body, headers=headers).status_code == 400
    assert count(db, InboundEvent) == 0


def test_signature_from_another_channel_is_refused(client, line):
    other = FakeLine("another-secret", "x")
    body, headers = other.webhook_request([other.text_event("U1", "สวัสดี")])
    assert client.post("/callback", data=body, headers=headers).status_code == 400


def test_same_event_delivered_twice_is_handled_once(chat, line, db):
    event = line.text_event(chat.user_id, "สวัสดี")
    assert len(chat.send(event)) == 1
    again = line.redelivered(event)
    assert again["deliveryContext"]["isRedelivery"] is True
    assert chat.send(again) == []
    assert chat.send(event) == []
    assert count(db, InboundEvent) == 1
    assert count(db, OutboxMessage) == 1


def test_malformed_json_is_answered_200_and_ignored(client, line, db):
    for body in (b"{not json", b"[]", b'{"events": "nope"}', b'{"destination": "x"}', "\u0e01".encode()):
        headers = {"Content-Type": "application/json", "X-Line-Signature": line.signature(body)}
        assert client.post("/callback", data=body, headers=headers).status_code == 200
    assert count(db, InboundEvent) == 0


def test_unknown_event_type_is_ignored(client, line, db):
    event = line.text_event("Uunknown", "สวัสดี")
    event["type"] = "somethingNew"
    body, headers = line.webhook_request([event])
    assert client.post("/callback", data=body, headers=headers).status_code == 200
    assert count(db, InboundEvent) == 0


def test_console_verify_request_gets_200_without_reply(client, line, db):
    for token in ("0" * 32, "f" * 32):
        event = line.text_event("Udddddddddddddddddddddddddddddddd", "test")
        event["replyToken"] = token
        body, headers = line.webhook_request([event])
        assert client.post("/callback", data=body, headers=headers).status_code == 200
    body, headers = line.webhook_request([])
    assert client.post("/callback", data=body, headers=headers).status_code == 200
    assert line.calls == [] and count(db, InboundEvent) == 0


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda e: f"{e['type']}-{e.get('message', {}).get('type', '')}-{e.get('source', {}).get('type', '')}")
def test_every_sample_event_from_the_sdk_gets_200(sample, client, line, app, caplog):
    event = copy.deepcopy(sample)
    with caplog.at_level(logging.WARNING):
        body, headers = line.webhook_request([event])
        response = client.post("/callback", data=body, headers=headers)
        app.extensions["sender"].wait_idle(10)
    assert response.status_code == 200
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


def test_all_samples_in_one_body_get_200(client, line):
    body, headers = line.webhook_request(copy.deepcopy(SAMPLES))
    assert client.post("/callback", data=body, headers=headers).status_code == 200


def test_group_join_gets_a_polite_private_chat_notice_and_group_messages_are_ignored(client, line, app):
    join = {"type": "join", "mode": "active", "timestamp": 1700000000000,
            "source": {"type": "group", "groupId": "Cgroup1"}, "webhookEventId": "01JOINEVENT0000000000000000",
            "deliveryContext": {"isRedelivery": False}, "replyToken": line.issue_reply_token("Cgroup1")}
    body, headers = line.webhook_request([join, line.group_text_event("Cgroup1", "Umember", "สวัสดี")])
    assert client.post("/callback", data=body, headers=headers).status_code == 200
    app.extensions["sender"].wait_idle(10)
    sent = line.messages_to("Cgroup1")
    assert len(sent) == 1 and "แชทส่วนตัว" in sent[0]["text"]
    assert line.messages_to("Umember") == []


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def unreachable_database(database_url: str) -> str:
    return ("postgresql://postgres@127.0.0.1:1/nowhere" if database_url.startswith("postgresql")
            else "sqlite:////nonexistent-dir/x.sqlite3")


def test_healthz_is_503_when_database_is_unreachable(database_url, make_app):
    app = make_app(unreachable_database(database_url))
    assert app.test_client().get("/healthz").status_code == 503


def test_events_that_cannot_be_recorded_get_503_so_line_redelivers(database_url, make_app, line):
    app = make_app(unreachable_database(database_url))
    body, headers = line.webhook_request([line.text_event("Udbdown", "สวัสดี")])
    assert app.test_client().post("/callback", data=body, headers=headers).status_code == 503


# ------------------------------------------------------------------ LINE's loading animation

def loading_calls(line) -> list:
    return [call for call in line.calls if call.path == "/v2/bot/chat/loading/start"]


def test_an_event_still_handled_after_the_threshold_shows_the_loading_animation_once(database_url, make_app, line):
    """LOADING_AFTER_SECONDS=0 makes every event slow enough (the default is 1 s)."""
    app = make_app(database_url, LOADING_AFTER_SECONDS=0)
    chat = Chat(app, app.test_client(), line, "U" + uuid.uuid4().hex)
    [welcome] = chat.says("สวัสดี")
    assert "ยินดีต้อนรับ" in welcome["text"]
    [call] = wait_for(lambda: loading_calls(line), "the loading animation")
    assert (call.status, call.json) == (202, {"chatId": chat.user_id, "loadingSeconds": 20})
    # Only a user's own chat, and only for an event that is answered: not a group, not an unfollow.
    body, headers = line.webhook_request([line.group_text_event("Cgroup1", "Umember", "สวัสดี"),
                                          line.unfollow_event(chat.user_id)])
    assert app.test_client().post("/callback", data=body, headers=headers).status_code == 200
    time.sleep(0.3)
    assert len(loading_calls(line)) == 1


def test_a_quick_event_shows_no_loading_animation(database_url, make_app, line):
    app = make_app(database_url, LOADING_AFTER_SECONDS=DEFAULTS["LOADING_AFTER_SECONDS"])
    chat = Chat(app, app.test_client(), line, "U" + uuid.uuid4().hex)
    chat.says("สวัสดี")
    time.sleep(1.2)  # past the default second: the timer was cancelled when the handling ended
    assert loading_calls(line) == []


def test_a_loading_animation_line_refuses_is_only_logged(database_url, make_app, line, caplog):
    app = make_app(database_url, LOADING_AFTER_SECONDS=0)
    chat = Chat(app, app.test_client(), line, "U" + uuid.uuid4().hex)
    line.fail_next(1, status=500, paths="loading")
    with caplog.at_level(logging.WARNING):
        [welcome] = chat.says("สวัสดี")
        wait_for(lambda: "loading animation not shown" in caplog.text, "the failure to be logged")
    assert "ยินดีต้อนรับ" in welcome["text"]
