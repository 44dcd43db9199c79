"""Issue 12, download links, attacked: nothing stored opens a link, link previews and HEAD requests
consume nothing, and links come only from PUBLIC_BASE_URL, never from a request's Host."""
from __future__ import annotations

import hashlib
import re
import urllib.error
import urllib.request

import pytest
from sqlalchemy import inspect, select, text, update

from bot import create_app
from bot.config import DEV_PUBLIC_BASE_URL
from devtools.simulator import user_id_for
from helpers import LINK, PUBLIC_BASE_URL, app_config, link_in, shut_down, wait_for
from models import Base, OutboxMessage, utcnow

NATIONAL_ID = "1101700230708"
# LINE fetches a URL posted in a chat to show its preview; search engines follow what leaks.
CRAWLERS = ["facebookexternalhit/1.1;line-poker/1.0",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"]
PRIVATE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer"}
# Never connected to: the app refuses before it opens a connection.
PRODUCTION_DB = "postgresql://bot@127.0.0.1:1/bot"


@pytest.fixture
def child(make_case):
    return make_case("40010101", "to_find", national_id=NATIONAL_ID, title="ด.ช.", first_name="สมชาย",
                     last_name="ใจดี")


def links_received(line, chat) -> list[str]:
    return [LINK.search(m["text"]).group() for m in line.messages_to(chat.user_id) if LINK.search(m.get("text", ""))]


def stored_values(db):
    """Every value in the database twice: as its files hold them (what a copy or a backup shows, every
    table, ours or not) and as the app reads them with the key (encrypted columns opened)."""
    with db.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                yield from row
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                yield from row


def holding(db, *needles: str) -> set[str]:
    """Which of `needles` some stored value contains."""
    found = set()
    for value in stored_values(db):
        blob = bytes(value) if isinstance(value, (bytes, memoryview)) else str(value).encode()
        found.update(needle for needle in needles if needle.encode() in blob)
    return found


def test_no_table_holds_the_link_while_it_waits_for_a_retry_nor_once_it_is_sent(
        chat, registered, child, line, client, db, run_exports, deliver_queued):
    registered(chat, "coordinator", "4001")
    line.fail_next(1, 500, paths=r"/message/push$")  # LINE is down when the file is ready
    chat.taps("action=export&format=csv")
    run_exports()
    [refused] = [c for c in line.calls if c.path.endswith("/message/push") and c.status == 500]
    url = link_in(refused.json["messages"])
    token = url.rsplit("/", 1)[1]
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    with db.transaction() as session:
        assert session.scalar(select(OutboxMessage.status).where(OutboxMessage.line_user_id == chat.user_id,
                                                                 OutboxMessage.reply_token.is_(None))) == "pending"
    # The walk sees the downloads table (its hash, the one thing kept), but no token or link anywhere.
    assert holding(db, token, url, "/download/", token_hash) == {token_hash}

    with db.transaction() as session:  # the retry is due
        session.execute(update(OutboxMessage).where(OutboxMessage.status == "pending").values(not_before=utcnow()))
    deliver_queued()
    assert links_received(line, chat) == [url]  # made again at send time: the same link
    assert holding(db, token, url, "/download/") == set()

    path = url.removeprefix(PUBLIC_BASE_URL)
    download = client.post(path)
    assert download.status_code == 200 and "สมชาย" in download.data.decode("utf-8-sig")
    assert client.post(path).status_code == 410
    assert holding(db, token, url, "/download/") == set()


def test_link_previews_crawlers_and_head_requests_consume_nothing(chat, registered, child, line, client,
                                                                   run_exports):
    registered(chat, "coordinator", "40")  # a province coordinator: the file holds national IDs in full
    chat.taps("action=export&format=xlsx")
    run_exports()
    [url] = links_received(line, chat)
    path = url.removeprefix(PUBLIC_BASE_URL)
    for _ in range(3):
        for agent in CRAWLERS:
            page = client.get(path, headers={"User-Agent": agent})
            head = client.head(path, headers={"User-Agent": agent})
            assert (page.status_code, head.status_code, head.data) == (200, 200, b"")
            for response in (page, head):
                assert {name: response.headers.get(name) for name in PRIVATE} == PRIVATE
    html = page.get_data(as_text=True)
    assert '<meta name="robots" content="noindex, nofollow">' in html and '<form method="post">' in html
    assert "ดาวน์โหลดไฟล์" in html
    for personal in ("สมชาย", "ใจดี", NATIONAL_ID, "pnk-report", ".xlsx", "4001"):
        assert personal not in html

    download = client.post(path, headers={"User-Agent": "Mozilla/5.0 (iPhone) Line/14.0.0"})
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    assert download.data.startswith(b"PK")  # the xlsx itself
    assert {name: download.headers.get(name) for name in PRIVATE} == PRIVATE
    for request in (client.post, client.get):
        gone = request(path)
        assert gone.status_code == 410 and "หมดอายุหรือถูกใช้ไปแล้ว" in gone.get_data(as_text=True)
        assert {name: gone.headers.get(name) for name in PRIVATE} == PRIVATE


def test_a_forged_host_header_never_reaches_a_link(chat, registered, child, line, client, db, run_exports):
    registered(chat, "coordinator", "4001")
    body, headers = line.webhook_request([line.postback_event(chat.user_id, "action=export&format=csv")])
    forged = {**headers, "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"}
    response = client.post("/callback", data=body, headers=forged, base_url="http://evil.example")
    assert response.status_code == 200
    run_exports()
    [url] = links_received(line, chat)
    assert url.startswith(f"{PUBLIC_BASE_URL}/download/")
    page = client.get(url.removeprefix(PUBLIC_BASE_URL), base_url="http://evil.example",
                      headers={"X-Forwarded-Host": "evil.example"})
    assert page.status_code == 200 and "evil" not in page.get_data(as_text=True)
    assert "evil" not in str(line.messages_to(chat.user_id)) and holding(db, "evil") == set()


@pytest.mark.parametrize("base", ["", "  ", "http://bot.example.go.th", "bot.example.go.th", "https://",
                                  "https://bot.example.go.th/?next=x", "javascript:alert(1)"])
def test_production_refuses_to_start_without_an_https_public_base_url(base, line_server):
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        create_app(app_config(PRODUCTION_DB, line_server[1], TESTING=False, SIMULATOR=False, PUBLIC_BASE_URL=base))


@pytest.mark.parametrize("settings, base", [
    ({"DATABASE_URL": PRODUCTION_DB, "PUBLIC_BASE_URL": "https://bot.example.go.th/"}, "https://bot.example.go.th"),
    ({"DATABASE_URL": "sqlite:///{tmp}/bot.sqlite3", "PUBLIC_BASE_URL": ""}, DEV_PUBLIC_BASE_URL),
    ({"DATABASE_URL": PRODUCTION_DB, "PUBLIC_BASE_URL": "", "SIMULATOR": True}, DEV_PUBLIC_BASE_URL),
    ({"DATABASE_URL": "sqlite:///{tmp}/bot.sqlite3", "PUBLIC_BASE_URL": "http://127.0.0.1:8123"},
     "http://127.0.0.1:8123"),
])
def test_links_are_built_from_the_configured_address_alone(settings, base, line_server, tmp_path):
    settings = {**settings, "DATABASE_URL": settings["DATABASE_URL"].format(tmp=tmp_path)}
    app = create_app(app_config(settings.pop("DATABASE_URL"), line_server[1], TESTING=False,
                                **{"SIMULATOR": False, **settings}))
    try:
        assert re.fullmatch(re.escape(base) + r"/download/[\w-]{43}", app.extensions["download_links"].url("n"))
    finally:
        shut_down(app)


def test_the_simulator_delivers_links_that_work_in_its_browser(simulator, new_chat, registered, child):
    app, base_url = simulator
    coordinator = new_chat(user_id_for("ผู้ประสานงานอำเภอ"))
    registered(coordinator, "coordinator", "4001")
    sim = app.test_client()
    assert sim.post("/simulator/api/send", json={"display_name": "ผู้ประสานงานอำเภอ",
                                                 "postback": "action=export&format=csv"}).status_code == 200

    def link():
        delivered = sim.get(f"/simulator/api/messages?user_id={coordinator.user_id}").get_json()["messages"]
        return next((LINK.search(m["text"]).group() for m in delivered if LINK.search(m.get("text", ""))), None)

    url = wait_for(link, "the download link")
    assert url.startswith(f"{base_url}/download/")
    with urllib.request.urlopen(url, timeout=10) as page:  # what the browser opens first
        assert page.status == 200 and '<form method="post">' in page.read().decode()
    with urllib.request.urlopen(urllib.request.Request(url, data=b"", method="POST"), timeout=10) as file:
        assert "สมชาย" in file.read().decode("utf-8-sig")
    with pytest.raises(urllib.error.HTTPError) as again:
        urllib.request.urlopen(urllib.request.Request(url, data=b"", method="POST"), timeout=10)
    assert again.value.code == 410
    again.value.close()
