"""What the benchmarks use of the fake LINE platform: validation switched off for throughput runs, the
recorded calls collected as a long run goes, and the fake served from a process of its own
(bench.fakeline_process) with the webhook bodies built there."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from linebot.v3.messaging import ApiClient, Configuration, MessagingApi, ReplyMessageRequest, TextMessage

from bench.fakeline_process import FakeLineProcess
from bench.mixes import write_bodies
from devtools.fakeline import FakeLine

SECRET = "test-channel-secret"
TOKEN = "test-access-token"
USER = "U" + "1" * 32


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock):
    line = FakeLine(SECRET, TOKEN, clock=clock)
    line.serve()
    yield line
    line.shutdown()


def reply(base_url: str, body: dict) -> int:
    request = urllib.request.Request(base_url + "/v2/bot/message/reply", data=json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {TOKEN}",
                                              "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status
    except urllib.error.HTTPError as error:
        with error:
            return error.code


def six_texts(token: str) -> dict:
    return {"replyToken": token, "messages": [{"type": "text", "text": c} for c in "abcdef"]}


def test_validation_off_accepts_what_the_spec_refuses_and_on_again_refuses_it(fake):
    fake.set_validation(False)
    assert reply(fake.base_url, six_texts(fake.text_event(USER, "hi")["replyToken"])) == 200
    assert len(fake.messages_to(USER)) == 6
    fake.set_validation(True)
    assert reply(fake.base_url, six_texts(fake.text_event(USER, "hi")["replyToken"])) == 400


def test_validation_off_still_checks_the_reply_token(fake):
    fake.set_validation(False)
    token = fake.text_event(USER, "hi")["replyToken"]
    message = {"replyToken": token, "messages": [{"type": "text", "text": "ok"}]}
    assert reply(fake.base_url, message) == 200
    assert reply(fake.base_url, message) == 400


def test_take_calls_returns_the_calls_once(fake):
    token = fake.text_event(USER, "hi")["replyToken"]
    reply(fake.base_url, {"replyToken": token, "messages": [{"type": "text", "text": "ok"}]})
    [call] = fake.take_calls()
    assert call.json["replyToken"] == token and call.status == 200
    assert fake.take_calls() == [] and fake.calls == [] and fake.messages_to(USER) == []


def test_forgetting_expired_reply_tokens_changes_no_answer(fake, clock):
    stale = fake.text_event(USER, "one")["replyToken"]
    clock.now += 61
    fresh = fake.text_event(USER, "two")["replyToken"]
    fake.forget_expired_reply_tokens()
    assert list(fake._reply_tokens) == [fresh]
    assert reply(fake.base_url, {"replyToken": stale, "messages": [{"type": "text", "text": "late"}]}) == 400
    assert reply(fake.base_url, {"replyToken": fresh, "messages": [{"type": "text", "text": "ok"}]}) == 200


def test_fake_in_its_own_process_accepts_the_tokens_of_the_bodies_it_built(tmp_path):
    fake = FakeLineProcess(SECRET, TOKEN)
    try:
        path = tmp_path / "bodies.tsv"
        sent = fake.run(write_bodies, "text", [USER], 4, str(path))
        lines = path.read_text(encoding="utf-8").splitlines()
        assert len(sent) == len(lines) == 4
        signature, body = lines[0].split("\t")
        event = json.loads(body)["events"][0]
        assert (event["webhookEventId"], event["replyToken"]) == sent[0]
        assert signature == FakeLine(SECRET, TOKEN).signature(body.encode())
        with ApiClient(Configuration(host=fake.url, access_token=TOKEN)) as client:
            MessagingApi(client).reply_message(ReplyMessageRequest(reply_token=event["replyToken"],
                                                                   messages=[TextMessage(text="ok")]))
        [call] = fake.run(FakeLine.take_calls)
        assert call.status == 200 and call.json["replyToken"] == event["replyToken"]
        with pytest.raises(RuntimeError, match="missing 1 required positional argument"):
            fake.run(FakeLine.set_latency)
        assert fake.run(FakeLine.take_calls) == []  # still serving after an error
    finally:
        fake.shutdown()
    assert fake.process.returncode == 0
