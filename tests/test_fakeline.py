"""The fake LINE platform, driven through the real line-bot-sdk clients."""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
import urllib3
import yaml
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    BroadcastRequest,
    Configuration,
    MessageAction,
    MessagingApi,
    MessagingApiBlob,
    MulticastRequest,
)
from linebot.v3.messaging import PostbackAction as SdkPostbackAction
from linebot.v3.messaging import (
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    RichMenuArea,
    RichMenuBounds,
    RichMenuBulkLinkRequest,
    RichMenuRequest,
    RichMenuSize,
    ShowLoadingAnimationRequest,
    TextMessage,
)
from linebot.v3.webhooks import (
    FollowEvent,
    GroupSource,
    ImageMessageContent,
    LocationMessageContent,
    MessageEvent,
    PostbackEvent,
    StickerMessageContent,
    TextMessageContent,
    UnfollowEvent,
    UserSource,
)
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.test import Client

from bench.fakeline_process import FakeLineProcess
from bench.mixes import write_bodies
from devtools.fakeline import (
    AUTH_FAILED,
    FakeLine,
    image_size,
    messaging_api_spec,
    solid_png,
    tiny_jpeg,
    utf16_len,
    webhook_spec,
)

SECRET = "test-channel-secret"
TOKEN = "test-access-token"
USER = "U" + "1" * 32
OTHER = "U" + "2" * 32
GROUP = "C" + "3" * 32
ROOT = Path(__file__).resolve().parents[1]


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock):
    line = FakeLine(SECRET, TOKEN, clock=clock)
    line.serve()
    yield line
    line.shutdown()


@pytest.fixture
def client(fake):
    with ApiClient(Configuration(host=fake.base_url, access_token=TOKEN)) as api_client:
        yield api_client


@pytest.fixture
def api(client) -> MessagingApi:
    return MessagingApi(client)


@pytest.fixture
def blob(client) -> MessagingApiBlob:
    return MessagingApiBlob(client)


def texts(*values: str) -> list[TextMessage]:
    return [TextMessage(text=v) for v in values]


def quick_reply(n: int) -> QuickReply:
    items = [QuickReplyItem(action=MessageAction(label=f"opt {i}", text=f"opt {i}")) for i in range(n)]
    # construct() skips the SDK's own client-side limits so the fake's are exercised.
    return QuickReply.construct(items=items)


def error_of(excinfo) -> dict:
    return json.loads(excinfo.value.body)


def raw_call(api: MessagingApi, method: str, path: str, body=None):
    """An HTTP call outside the SDK's models: (status, json body, headers)."""
    base = api.api_client.configuration.host
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        base + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read() or b"{}"), response.headers
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read()), error.headers


# --------------------------------------------------------------------- reply


def test_reply_token_works_once(fake, api):
    event = fake.text_event(USER, "hi")
    response = api.reply_message_with_http_info(
        ReplyMessageRequest(reply_token=event["replyToken"], messages=texts("สวัสดี"))
    )
    assert response.status_code == 200
    assert response.headers["x-line-request-id"]
    [sent] = response.data.sent_messages
    assert sent.id.isdigit() and sent.quote_token

    with pytest.raises(ApiException) as excinfo:
        api.reply_message(ReplyMessageRequest(reply_token=event["replyToken"], messages=texts("again")))
    assert excinfo.value.status == 400
    assert error_of(excinfo) == {"message": "Invalid reply token"}
    assert excinfo.value.headers["x-line-request-id"]

    assert fake.texts_to(USER) == ["สวัสดี"]
    assert len(fake.replies()) == 1
    assert [c.status for c in fake.calls] == [200, 400]


def test_unknown_reply_token_is_rejected(api):
    with pytest.raises(ApiException) as excinfo:
        api.reply_message(ReplyMessageRequest(reply_token="nHuyWiB7yP5Zw52FIkcQobQuGDXCTA", messages=texts("x")))
    assert excinfo.value.status == 400
    assert error_of(excinfo) == {"message": "Invalid reply token"}


def test_reply_token_expires_after_a_minute(fake, api, clock):
    fresh = fake.text_event(USER, "one")["replyToken"]
    stale = fake.text_event(USER, "two")["replyToken"]
    clock.advance(59)
    api.reply_message(ReplyMessageRequest(reply_token=fresh, messages=texts("in time")))
    clock.advance(2)
    with pytest.raises(ApiException) as excinfo:
        api.reply_message(ReplyMessageRequest(reply_token=stale, messages=texts("too late")))
    assert excinfo.value.status == 400
    assert error_of(excinfo) == {"message": "Invalid reply token"}
    assert fake.texts_to(USER) == ["in time"]


def test_group_reply_goes_to_the_group(fake, api):
    event = fake.group_text_event(GROUP, USER, "hello group")
    api.reply_message(ReplyMessageRequest(reply_token=event["replyToken"], messages=texts("hi all")))
    assert fake.texts_to(GROUP) == ["hi all"]
    assert fake.texts_to(USER) == []


# ------------------------------------------------------------ body validation


def test_six_messages_are_rejected(fake, api):
    token = fake.text_event(USER, "hi")["replyToken"]
    request = ReplyMessageRequest.construct(reply_token=token, messages=texts(*"abcdef"))
    with pytest.raises(ApiException) as excinfo:
        api.reply_message(request)
    assert excinfo.value.status == 400
    assert error_of(excinfo) == {
        "message": "The request body has 1 error(s)",
        "details": [{"message": "Size must be between 1 and 5", "property": "messages"}],
    }
    assert fake.messages_to(USER) == []


def test_fourteen_quick_reply_items_are_rejected(fake, api):
    message = TextMessage(text="choose", quick_reply=quick_reply(14))
    with pytest.raises(ApiException) as excinfo:
        api.push_message(PushMessageRequest(to=USER, messages=[message]))
    assert excinfo.value.status == 400
    body = error_of(excinfo)
    assert body["message"] == "The request body has 1 error(s)"
    assert body["details"] == [
        {"message": "Size must be between 0 and 13", "property": "messages[0].quickReply.items"}
    ]
    assert fake.pushes() == []


def test_text_length_is_counted_in_utf16_units(fake, api):
    limit = "😀" * 2500  # 2500 code points, 5000 UTF-16 units
    assert len(limit) == 2500 and utf16_len(limit) == 5000
    api.push_message(PushMessageRequest(to=USER, messages=texts(limit)))

    over = limit + "a"  # 2501 code points: only too long when counted as LINE does
    with pytest.raises(ApiException) as excinfo:
        api.push_message(PushMessageRequest(to=USER, messages=texts(over)))
    assert excinfo.value.status == 400
    assert error_of(excinfo)["details"] == [
        {"message": "Length must be between 0 and 5000", "property": "messages[0].text"}
    ]
    assert fake.texts_to(USER) == [limit]


def test_validation_follows_the_type_discriminator(api):
    bad = {
        "to": USER,
        "messages": [
            {"type": "text"},
            {"type": "txt", "text": "typo"},
            {
                "type": "template",
                "altText": "menu",
                "template": {"type": "buttons", "text": "pick", "actions": [{"type": "postback", "data": "x" * 301}]},
            },
        ],
    }
    status, body, _ = raw_call(api, "POST", "/v2/bot/message/push", bad)
    assert status == 400
    assert {d["property"]: d["message"] for d in body["details"]} == {
        "messages[0].text": "must be specified",
        "messages[1].type": "Must be one of the following values: "
        "[text, textV2, sticker, image, video, audio, location, imagemap, template, flex, coupon]",
        "messages[2].template.actions[0].data": "Length must be between 0 and 300",
    }
    assert body["message"] == "The request body has 3 error(s)"


def test_spec_limits_accept_the_limit_and_reject_one_more(fake, api):
    schemas = yaml.safe_load((ROOT / "devtools/line_spec/messaging-api.yml").read_text())["components"]["schemas"]
    max_messages = schemas["ReplyMessageRequest"]["properties"]["messages"]["maxItems"]
    max_items = schemas["QuickReply"]["properties"]["items"]["maxItems"]
    max_recipients = schemas["MulticastRequest"]["properties"]["to"]["maxItems"]

    def reply(messages):
        token = fake.text_event(USER, "hi")["replyToken"]
        return api.reply_message(ReplyMessageRequest.construct(reply_token=token, messages=messages))

    reply(texts(*["m"] * max_messages))
    with pytest.raises(ApiException, match="400"):
        reply(texts(*["m"] * (max_messages + 1)))

    reply([TextMessage(text="q", quick_reply=quick_reply(max_items))])
    with pytest.raises(ApiException, match="400"):
        reply([TextMessage(text="q", quick_reply=quick_reply(max_items + 1))])

    recipients = [f"U{i:032x}" for i in range(max_recipients + 1)]
    api.multicast(MulticastRequest.construct(to=recipients[:-1], messages=texts("all")))
    with pytest.raises(ApiException) as excinfo:
        api.multicast(MulticastRequest.construct(to=recipients, messages=texts("all")))
    assert error_of(excinfo)["details"] == [
        {"message": f"Size must be between 1 and {max_recipients}", "property": "to"}
    ]
    assert fake.texts_to(recipients[0]) == ["all"]
    assert fake.texts_to(recipients[-1]) == []


def test_validation_is_fast():
    spec = messaging_api_spec()
    item = {"type": "action", "action": {"type": "message", "label": "ok", "text": "ok"}}
    message = {"type": "text", "text": "ข้อความ" * 100, "quickReply": {"items": [item] * 13}}
    body = {"replyToken": "t", "messages": [message] * 5}  # the largest valid reply of this shape
    assert spec.errors("ReplyMessageRequest", body) == []
    started = time.perf_counter()
    for _ in range(20):
        spec.errors("ReplyMessageRequest", body)
    assert (time.perf_counter() - started) / 20 < 0.02


# --------------------------------------------------------------- retry keys


def test_repeated_retry_key_is_a_conflict(fake, api):
    key = str(uuid.uuid4())
    first = api.push_message_with_http_info(PushMessageRequest(to=USER, messages=texts("once")), x_line_retry_key=key)
    assert first.status_code == 200

    with pytest.raises(ApiException) as excinfo:
        api.push_message(PushMessageRequest(to=USER, messages=texts("once")), x_line_retry_key=key)
    assert excinfo.value.status == 409
    body = error_of(excinfo)
    assert body["message"] == "The retry key is already accepted"
    assert body["sentMessages"][0]["id"] == first.data.sent_messages[0].id
    assert excinfo.value.headers["x-line-accepted-request-id"] == first.headers["x-line-request-id"]
    assert fake.texts_to(USER) == ["once"]

    other_key = str(uuid.uuid4()).upper()  # keys are compared case-insensitively
    api.multicast(MulticastRequest(to=[USER, OTHER], messages=texts("multi")), x_line_retry_key=other_key)
    with pytest.raises(ApiException, match="409"):
        api.multicast(MulticastRequest(to=[USER, OTHER], messages=texts("multi")), x_line_retry_key=other_key.lower())


def test_retry_key_must_be_a_uuid(api):
    with pytest.raises(ApiException) as excinfo:
        api.push_message(PushMessageRequest(to=USER, messages=texts("x")), x_line_retry_key="not-a-uuid")
    assert excinfo.value.status == 400


# ------------------------------------------------------------ fault injection


def test_fail_next_answers_500_then_recovers(fake, api):
    fake.fail_next(1)
    key = str(uuid.uuid4())
    with pytest.raises(ApiException) as excinfo:
        api.push_message(PushMessageRequest(to=USER, messages=texts("x")), x_line_retry_key=key)
    assert excinfo.value.status == 500
    assert "message" in error_of(excinfo)
    # A failed request does not consume the retry key: retrying with it succeeds.
    api.push_message(PushMessageRequest(to=USER, messages=texts("x")), x_line_retry_key=key)
    assert fake.texts_to(USER) == ["x"]


def test_fail_next_429_with_retry_after_only_on_matching_paths(fake, api):
    fake.set_profile(USER, "Somchai")
    fake.fail_next(2, 429, retry_after=7, paths=r"/message/push$")
    assert api.get_profile(USER).display_name == "Somchai"  # not a matching path
    for _ in range(2):
        with pytest.raises(ApiException) as excinfo:
            api.push_message(PushMessageRequest(to=USER, messages=texts("x")))
        assert excinfo.value.status == 429
        assert excinfo.value.headers["Retry-After"] == "7"
        assert error_of(excinfo) == {"message": "The API rate limit has been exceeded. Try again later."}
    api.push_message(PushMessageRequest(to=USER, messages=texts("x")))
    assert [c.status for c in fake.calls] == [200, 429, 429, 200]


def test_latency_and_hang(fake, api):
    fake.set_latency(0.05)
    started = time.perf_counter()
    api.push_message(PushMessageRequest(to=USER, messages=texts("slow")))
    assert time.perf_counter() - started >= 0.05
    fake.set_latency(0)

    # A hung call still takes effect on the platform, so a client that timed
    # out and retries with the same key is told the key was already accepted.
    fake.hang_next(1, 0.3)
    key = str(uuid.uuid4())
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        api.push_message(PushMessageRequest(to=USER, messages=texts("hung")), x_line_retry_key=key, _request_timeout=0.1)
    with pytest.raises(ApiException, match="409"):
        api.push_message(PushMessageRequest(to=USER, messages=texts("hung")), x_line_retry_key=key)
    assert fake.texts_to(USER) == ["slow", "hung"]


# --------------------------------------------------------------- auth, paths


def test_wrong_or_missing_token_is_401(fake):
    for headers in ({"Authorization": "Bearer wrong"}, {}):
        request = urllib.request.Request(f"{fake.base_url}/v2/bot/profile/{USER}", headers=headers)
        with pytest.raises(urllib.error.HTTPError) as excinfo:
            urllib.request.urlopen(request)
        with excinfo.value as response:
            assert response.status == 401
            assert json.loads(response.read()) == {"message": AUTH_FAILED}
            assert response.headers["x-line-request-id"]


def test_routes_come_from_the_spec(api, fake):
    status, body, headers = raw_call(api, "GET", "/v2/bot/not-a-path")
    assert (status, body) == (404, {"message": "Not found"})
    assert headers["x-line-request-id"]
    status, body, _ = raw_call(api, "GET", "/v2/bot/info")  # in the spec, not modelled
    assert status == 501 and "getBotInfo" in body["message"]
    assert fake.calls[-1].status == 501


def test_wsgi_app_mounts_under_a_prefix(clock):
    line = FakeLine(SECRET, TOKEN, clock=clock)
    line.set_profile(USER, "Malee")
    app = DispatcherMiddleware(lambda environ, start: [], {"/line": line.wsgi_app})
    response = Client(app).get(f"/line/v2/bot/profile/{USER}", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.get_json()["displayName"] == "Malee"


# ------------------------------------------------------------ profile, content


def test_get_profile(fake, api):
    fake.set_profile(USER, "สมชาย", picture_url="https://example.com/p.jpg")
    profile = api.get_profile(USER)
    assert (profile.display_name, profile.user_id, profile.language) == ("สมชาย", USER, "th")
    assert profile.picture_url == "https://example.com/p.jpg"
    with pytest.raises(ApiException) as excinfo:
        api.get_profile(OTHER)
    assert excinfo.value.status == 404
    assert error_of(excinfo) == {"message": "Not found"}


def test_message_content(fake, blob):
    event = fake.image_event(USER)
    message_id = event["message"]["id"]
    response = blob.get_message_content_with_http_info(message_id)
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.data == tiny_jpeg()
    assert image_size(response.data) == (1, 1)

    png = solid_png(3, 2)
    other = fake.image_event(USER, png, content_type="image/png")
    assert blob.get_message_content(other["message"]["id"]) == png
    with pytest.raises(ApiException) as excinfo:
        blob.get_message_content("999")
    assert excinfo.value.status == 404


def test_loading_animation_lasts_its_seconds_or_until_a_message(fake, api, clock):
    response = api.show_loading_animation_with_http_info(ShowLoadingAnimationRequest(chat_id=USER, loading_seconds=10))
    assert response.status_code == 202
    assert raw_call(api, "POST", "/v2/bot/chat/loading/start", {"chatId": OTHER, "loadingSeconds": 60})[:2] == (202, {})
    assert fake.loading_seconds_left(USER) == 10
    clock.advance(4)
    assert fake.loading_seconds_left(USER) == 6
    clock.advance(6)
    assert fake.loading_seconds_left(USER) == 0

    raw_call(api, "POST", "/v2/bot/chat/loading/start", {"chatId": USER})
    assert fake.loading_seconds_left(USER) == 5  # LINE's default
    api.push_message(PushMessageRequest(to=USER, messages=texts("เสร็จแล้ว")))
    assert fake.loading_seconds_left(USER) == 0, "a message from the bot ends it"
    assert fake.loading_seconds_left(OTHER) == 50
    fake.reset()
    assert fake.loading_seconds_left(OTHER) == 0


def test_loading_animation_is_validated_against_the_spec(fake, api):
    schemas = yaml.safe_load((ROOT / "devtools/line_spec/messaging-api.yml").read_text())["components"]["schemas"]
    seconds = schemas["ShowLoadingAnimationRequest"]["properties"]["loadingSeconds"]
    assert (seconds["minimum"], seconds["maximum"]) == (5, 60)

    def start(body) -> tuple[int, dict]:
        return raw_call(api, "POST", "/v2/bot/chat/loading/start", body)[:2]

    for valid in (seconds["minimum"], seconds["maximum"]):
        assert start({"chatId": USER, "loadingSeconds": valid}) == (202, {})
    for invalid in (0, seconds["minimum"] - 5, seconds["maximum"] + 5, 7, "10"):
        status, body = start({"chatId": OTHER, "loadingSeconds": invalid})
        assert status == 400 and [d["property"] for d in body["details"]] == ["loadingSeconds"], invalid
    with pytest.raises(ApiException) as excinfo:
        api.show_loading_animation(ShowLoadingAnimationRequest(chat_id=USER, loading_seconds=7))
    assert error_of(excinfo)["details"] == [{"message": "Must be a multiple of 5", "property": "loadingSeconds"}]

    # One-on-one chats only: a group's or a room's id is refused, as LINE refuses it.
    for chat_id in (GROUP, "R" + "4" * 32):
        status, body = start({"chatId": chat_id, "loadingSeconds": 5})
        assert status == 400 and body["details"][0]["property"] == "chatId"
        assert body["details"][0]["message"].startswith("Only user id is acceptable")
    status, body = start({"loadingSeconds": 5})
    assert status == 400 and body["details"][0]["property"] == "chatId"
    assert start(None)[0] == 400
    assert fake.loading_seconds_left(OTHER) == fake.loading_seconds_left(GROUP) == 0


# ---------------------------------------------------------------- rich menus


def rich_menu(width=2500, height=843, chat_bar_text="เมนู") -> RichMenuRequest:
    area = RichMenuArea(
        bounds=RichMenuBounds(x=0, y=0, width=width, height=height),
        action=SdkPostbackAction(data="menu=main", label="main"),
    )
    return RichMenuRequest(
        size=RichMenuSize(width=width, height=height),
        selected=True,
        name="main",
        chat_bar_text=chat_bar_text,
        areas=[area],
    )


def test_rich_menu_create_upload_link(fake, api, blob):
    menu_id = api.create_rich_menu(rich_menu()).rich_menu_id
    assert re.fullmatch(r"richmenu-[0-9a-f]{32}", menu_id)
    assert fake.rich_menus[menu_id]["chatBarText"] == "เมนู"

    with pytest.raises(ApiException) as excinfo:  # no image yet
        api.link_rich_menu_id_to_user(USER, menu_id)
    assert excinfo.value.status == 400

    with pytest.raises(ApiException) as excinfo:
        blob.set_rich_menu_image(menu_id, body=solid_png(2500, 1686), _headers={"Content-Type": "image/png"})
    assert excinfo.value.status == 400  # image must be the menu's size
    with pytest.raises(ApiException) as excinfo:
        blob.set_rich_menu_image(menu_id, body=solid_png(2500, 843), _headers={"Content-Type": "image/gif"})
    assert excinfo.value.status == 415

    image = solid_png(2500, 843)
    blob.set_rich_menu_image(menu_id, body=image, _headers={"Content-Type": "image/png"})
    assert blob.get_rich_menu_image(menu_id) == image
    with pytest.raises(ApiException, match="400"):  # images cannot be replaced
        blob.set_rich_menu_image(menu_id, body=image, _headers={"Content-Type": "image/png"})

    api.link_rich_menu_id_to_user(USER, menu_id)
    assert fake.user_rich_menu(USER) == menu_id
    assert api.get_rich_menu_id_of_user(USER).rich_menu_id == menu_id
    api.link_rich_menu_id_to_users(RichMenuBulkLinkRequest(rich_menu_id=menu_id, user_ids=[OTHER]))
    assert fake.user_rich_menu(OTHER) == menu_id
    api.set_default_rich_menu(menu_id)
    assert fake.user_rich_menu(GROUP, include_default=True) == menu_id
    assert [m.rich_menu_id for m in api.get_rich_menu_list().richmenus] == [menu_id]

    api.unlink_rich_menu_id_from_user(USER)
    assert fake.user_rich_menu(USER) is None
    with pytest.raises(ApiException, match="404"):
        api.get_rich_menu_id_of_user(USER)
    api.delete_rich_menu(menu_id)
    assert fake.user_rich_menu(OTHER) is None and fake.default_rich_menu is None
    with pytest.raises(ApiException, match="404"):
        api.get_rich_menu(menu_id)


def test_rich_menu_rules(fake, api):
    with pytest.raises(ApiException) as excinfo:  # chatBarText maxLength 14 comes from the spec
        api.create_rich_menu(RichMenuRequest.construct(**{**dict(rich_menu()), "chat_bar_text": "x" * 15}))
    assert error_of(excinfo)["details"] == [{"message": "Length must be between 0 and 14", "property": "chatBarText"}]
    with pytest.raises(ApiException) as excinfo:  # width/height must be at least 1.45
        api.validate_rich_menu_object(rich_menu(width=2500, height=1800))
    assert error_of(excinfo)["details"][0]["property"] == "size"
    api.validate_rich_menu_object(rich_menu(width=2500, height=1686))
    assert fake.rich_menus == {}


# ---------------------------------------------------- delivery bookkeeping


def test_push_multicast_broadcast_deliveries(fake, api):
    fake.follow_event(USER)
    fake.follow_event(OTHER)
    fake.unfollow_event(OTHER)
    api.push_message(PushMessageRequest(to=USER, messages=texts("push")))
    api.multicast(MulticastRequest(to=[USER, OTHER], messages=texts("multi")))
    response = api.broadcast_with_http_info(BroadcastRequest(messages=texts("all")))
    assert response.status_code == 200
    assert fake.texts_to(USER) == ["push", "multi", "all"]
    assert fake.texts_to(OTHER) == ["multi"]  # blocked users get no broadcast
    assert len(fake.pushes()) == 1
    fake.reset()
    assert fake.calls == [] and fake.messages_to(USER) == []


def test_concurrent_calls(fake, client):
    api = MessagingApi(client)

    def worker(n: int) -> None:
        for i in range(10):
            api.push_message(PushMessageRequest(to=USER, messages=texts(f"{n}-{i}")))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(fake.texts_to(USER)) == sorted(f"{n}-{i}" for n in range(8) for i in range(10))
    ids = [c.response_json["sentMessages"][0]["id"] for c in fake.pushes()]
    assert len(set(ids)) == 80


def test_latency_does_not_serialise_calls(fake, api):
    fake.set_latency(0.2)
    threads = [
        threading.Thread(target=api.push_message, args=(PushMessageRequest(to=USER, messages=texts(str(n))),))
        for n in range(8)
    ]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert time.perf_counter() - started < 0.2 * 3  # 8 sequential calls would take 1.6 s
    assert len(fake.texts_to(USER)) == 8


# ------------------------------------------------------------------ webhooks


def build_all_events(fake: FakeLine) -> list[dict]:
    return [
        fake.text_event(USER, "สวัสดีครับ"),
        fake.follow_event(USER),
        fake.unfollow_event(USER),
        fake.location_event(USER, 13.7563, 100.5018, title="โรงเรียน", address="Bangkok"),
        fake.image_event(USER),
        fake.sticker_event(USER),
        fake.postback_event(USER, "action=register", params={"date": "2024-05-16"}),
        fake.group_text_event(GROUP, USER, "in a group"),
    ]


def test_events_round_trip_through_webhook_parser(fake):
    events = build_all_events(fake)
    body, headers = fake.webhook_request(events)
    assert headers["Content-Type"].startswith("application/json")
    parsed = WebhookParser(SECRET).parse(body.decode("utf-8"), headers["X-Line-Signature"])

    text, follow, unfollow, location, image, sticker, postback, group = parsed
    assert isinstance(text, MessageEvent) and isinstance(text.message, TextMessageContent)
    assert text.message.text == "สวัสดีครับ" and text.message.quote_token
    assert isinstance(text.source, UserSource) and text.source.user_id == USER
    assert isinstance(follow, FollowEvent) and follow.reply_token
    assert isinstance(unfollow, UnfollowEvent) and "replyToken" not in events[2]
    assert isinstance(location.message, LocationMessageContent) and location.message.latitude == 13.7563
    assert isinstance(image.message, ImageMessageContent) and image.message.content_provider.type == "line"
    assert isinstance(sticker.message, StickerMessageContent) and sticker.message.sticker_id == "1988"
    assert isinstance(postback, PostbackEvent) and postback.postback.params == {"date": "2024-05-16"}
    assert isinstance(group.source, GroupSource) and group.source.group_id == GROUP

    with pytest.raises(InvalidSignatureError):
        WebhookParser(SECRET).parse(body.decode("utf-8"), fake.signature(body + b" "))


def test_events_match_the_webhook_spec(fake, clock):
    spec = webhook_spec()
    events = build_all_events(fake)
    for event in events:
        assert spec.errors("Event", event) == [], event
    body, _ = fake.webhook_request(events)
    assert spec.errors("CallbackRequest", json.loads(body)) == []

    # The same validator accepts LINE's own samples, except types newer than
    # the vendored spec or deliberately unknown.
    samples = json.loads((ROOT / "tests/data/webhook-events.json").read_text())["events"]
    rejected = {e["type"] for e in samples if spec.errors("Event", e)}
    assert rejected == {"messageEdited", "undefined"}


def test_event_envelope(fake, clock):
    first, second = fake.text_event(USER, "a"), fake.text_event(USER, "b", quote_token=False)
    for event in (first, second):
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", event["webhookEventId"])
        assert event["timestamp"] == int(clock() * 1000)
        assert event["mode"] == "active"
        assert event["deliveryContext"] == {"isRedelivery": False}
        assert event["source"] == {"type": "user", "userId": USER}
    assert first["webhookEventId"] != second["webhookEventId"]
    assert first["message"]["id"] != second["message"]["id"] and first["message"]["id"].isdigit()
    assert "quoteToken" not in second["message"]

    again = fake.redelivered(first)
    assert again["deliveryContext"] == {"isRedelivery": True}
    assert again["webhookEventId"] == first["webhookEventId"]
    assert first["deliveryContext"] == {"isRedelivery": False}

    fake.unfollow_event(USER)
    assert fake.follow_event(USER)["follow"] == {"isUnblocked": True}
    assert fake.follow_event(OTHER)["follow"] == {"isUnblocked": False}


# What the benchmarks use of the fake: validation switched off for throughput runs, the recorded calls
# collected as a long run goes, and the fake served from a process of its own (bench.fakeline_process)
# with the webhook bodies built there.

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


# ------------------------------------------------------------ LINE Login


CHANNEL = "1657000000"


def verify(fake, **form) -> tuple[int, dict, dict]:
    """LINE Login's verify call, form-urlencoded as LINE takes it: (status, JSON body, headers)."""
    request = urllib.request.Request(f"{fake.base_url}/oauth2/v2.1/verify",
                                     data=urllib.parse.urlencode(form).encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read()), response.headers
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read()), error.headers


def login_refusal(description: str) -> dict:
    return {"error": "invalid_request", "error_description": description}


def test_an_issued_id_token_verifies_to_its_payload(fake, clock):
    token = fake.issue_id_token(USER, CHANNEL, name="สมหญิง")
    status, body, headers = verify(fake, id_token=token, client_id=CHANNEL, user_id=USER)
    assert status == 200 and headers["x-line-request-id"]
    assert body == {"iss": "https://access.line.me", "sub": USER, "aud": CHANNEL, "iat": int(clock.now),
                    "exp": int(clock.now) + 3600, "amr": ["linesso"], "name": "สมหญิง"}
    call = fake.calls[-1]
    assert (call.method, call.path, call.status) == ("POST", "/oauth2/v2.1/verify", 200)
    assert call.json == {"id_token": token, "client_id": CHANNEL, "user_id": USER}


def test_verify_refuses_like_line(fake, clock):
    token = fake.issue_id_token(USER, CHANNEL, expires_in=60, nonce="n-1")
    header, payload, signature = token.split(".")
    other_fake = FakeLine(SECRET, TOKEN, clock=clock)
    for bad in ("garbage", f"{header}.{payload}.{signature[:-2]}AA", other_fake.issue_id_token(USER, CHANNEL)):
        assert verify(fake, id_token=bad, client_id=CHANNEL)[:2] == (400, login_refusal("Invalid IdToken."))
    assert verify(fake, id_token=token, client_id="1600000000")[:2] == (
        400, login_refusal("Invalid IdToken Audience."))
    assert verify(fake, id_token=token, client_id=CHANNEL, user_id=OTHER)[:2] == (
        400, login_refusal("Invalid IdToken Subject Identifier."))
    assert verify(fake, id_token=token, client_id=CHANNEL, nonce="n-2")[:2] == (
        400, login_refusal("Invalid IdToken Nonce."))
    assert verify(fake, id_token=token, client_id=CHANNEL, nonce="n-1")[0] == 200
    clock.advance(60)  # the fake's clock: expired at exp
    status, body, headers = verify(fake, id_token=token, client_id=CHANNEL)
    assert (status, body) == (400, login_refusal("IdToken expired.")) and headers["x-line-request-id"]
    assert verify(fake, client_id=CHANNEL)[0] == 400
    assert [call.status for call in fake.calls].count(400) == 8


def test_verify_meets_injected_faults(fake):
    fake.fail_next(1, 500, paths="/oauth2/")
    token = fake.issue_id_token(USER, CHANNEL)
    assert verify(fake, id_token=token, client_id=CHANNEL)[0] == 500
    assert verify(fake, id_token=token, client_id=CHANNEL)[0] == 200
