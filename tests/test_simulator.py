"""The browser simulator: its JSON API drives the real webhook, and its page works in Chromium."""
from __future__ import annotations

import re
import shutil

import pytest
from sqlalchemy import select

from devtools.simulator import user_id_for
from domain.menu_labels import MENU_HELP
from helpers import quick_reply_labels, wait_for
from models import InboundEvent

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def send(client, **payload) -> dict:
    response = client.post("/simulator/api/send", json={"display_name": "ผู้ใหญ่สมชาย", **payload})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def messages(client, user_id: str, after: int = 0) -> dict:
    return client.get(f"/simulator/api/messages?user_id={user_id}&after={after}").get_json()


def test_hello_through_the_simulator_api_gets_the_welcome(simulator):
    app, _ = simulator
    client = app.test_client()
    sent = send(client, text="สวัสดี")
    assert sent["webhook_status"] == 200 and sent["user_id"] == user_id_for("ผู้ใหญ่สมชาย")

    [welcome] = wait_for(lambda: messages(client, sent["user_id"])["messages"], "the welcome")
    assert welcome["type"] == "text" and "ยินดีต้อนรับ" in welcome["text"]
    assert MENU_HELP in quick_reply_labels(welcome)
    assert messages(client, sent["user_id"], after=1) == {"messages": [], "next": 1}
    assert app.extensions["fake_line"].replies(), "the bot's reply went over HTTP to the mounted fake"


def test_every_kind_of_input_reaches_the_webhook(simulator):
    app, _ = simulator
    client = app.test_client()
    user_id = user_id_for("ผู้ใหญ่สมชาย")
    for payload in ({"follow": True},
                    {"postback": "action=pick_date", "params": {"date": "2012-03-15"}},
                    {"location": {"latitude": 16.4419, "longitude": 102.836, "address": "ขอนแก่น"}},
                    {"image": True}):
        assert send(client, **payload)["webhook_status"] == 200, payload

    def recorded():
        with app.extensions["db"].transaction() as session:
            return list(session.scalars(select(InboundEvent.event_type).where(InboundEvent.line_user_id == user_id)))

    assert sorted(wait_for(lambda: len(recorded()) == 4 and recorded(), "four recorded events")) == ["follow", "message", "message", "postback"]
    # Replies go out from several sender threads, so they need not arrive in order.
    wait_for(lambda: any("ยินดีต้อนรับ" in m.get("text", "") for m in messages(client, user_id)["messages"]),
             "the welcome for following")


def test_bad_requests_are_refused(simulator):
    client = simulator[0].test_client()
    assert client.post("/simulator/api/send", json={"text": "สวัสดี"}).status_code == 400
    assert client.post("/simulator/api/send", json={"display_name": "ก"}).status_code == 400
    assert client.post("/simulator/api/send", json={"display_name": "ก", "text": "  "}).status_code == 400
    assert client.post("/simulator/api/send", json={"display_name": "ก", "location": {}}).status_code == 400


def test_user_id_is_stable_and_line_shaped():
    assert re.fullmatch(r"U[0-9a-f]{32}", user_id_for("ครูสมศรี"))
    assert user_id_for("ครูสมศรี") == user_id_for(" ครูสมศรี ") != user_id_for("ครูสมหญิง")


def test_the_page_is_served_in_thai(simulator):
    page = simulator[0].test_client().get("/simulator")
    assert page.status_code == 200 and "เพิ่มเพื่อน" in page.get_data(as_text=True)


def test_nothing_of_the_simulator_exists_when_it_is_off(client):
    assert client.get("/simulator").status_code == 404
    assert client.post("/simulator/api/send", json={"display_name": "x", "text": "x"}).status_code == 404
    assert client.get("/fake-line/v2/bot/profile/U1").status_code == 404
    assert client.post("/simulator/api/advance", json={"days": 1}).status_code == 404
    assert "fake_line" not in client.application.extensions and "demo_clock" not in client.application.extensions


@pytest.mark.browser
def test_chatting_in_a_browser(simulator, database_url, tmp_path):
    if not database_url.startswith("sqlite"):
        pytest.skip("the browser test runs on SQLite only, to keep CI short")
    chromium = shutil.which("chromium")
    if not chromium:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    # Imported here: only this test needs playwright, and only where Chromium is (skipped above otherwise).
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    app, base_url = simulator
    with sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        except PlaywrightError as exc:
            pytest.skip(f"Playwright cannot launch {chromium}: {str(exc).splitlines()[0]}")
        try:
            page = browser.new_page(viewport={"width": 480, "height": 860}, locale="th-TH")
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{base_url}/simulator")
            page.fill("#name", "ผู้ใหญ่สมชาย")
            page.click("#start")
            page.fill("#text", "สวัสดี")
            page.press("#text", "Enter")
            bot_bubbles = page.locator("#messages .row.bot .bubble")
            bot_bubbles.filter(has_text="ยินดีต้อนรับ").wait_for(timeout=15_000)
            assert page.locator("#messages .row.user .bubble").first.text_content() == "สวัสดี"

            page.locator("#quick-replies .chip", has_text=MENU_HELP).click()
            bot_bubbles.filter(has_text="วิธีใช้งาน").wait_for(timeout=15_000)
            assert page.locator("#messages .row.user .bubble").nth(1).text_content() == MENU_HELP
            page.screenshot(path=tmp_path / "simulator.png")

            # Message text is shown as text, never as markup.
            page.fill("#text", "<b>ตัวหนา</b>")
            with webhook_done(page):
                page.click("#send")
            page.locator("#messages .row.user .bubble", has_text="<b>ตัวหนา</b>").wait_for()
            assert page.locator("#messages b").count() == 0

            _drive_flex_and_quick_reply_actions(page, app, user_id_for("ผู้ใหญ่สมชาย"))

            page.screenshot(path=tmp_path / "simulator-actions.png")
            assert page.text_content("#status") == ""
            assert errors == []
        finally:
            browser.close()


FLEX = {
    "type": "flex", "altText": "บัตรเด็ก",
    "contents": {"type": "bubble",
                 "header": {"type": "box", "layout": "vertical", "contents": [
                     {"type": "text", "text": "ด.ญ. มะลิ ใจดี", "weight": "bold", "size": "lg", "color": "#1f6f43"}]},
                 "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": [
                     {"type": "box", "layout": "baseline", "contents": [
                         {"type": "text", "text": "อายุ", "color": "#888888", "flex": 1},
                         {"type": "text", "text": "12 ปี", "flex": 3}]},
                     {"type": "separator"},
                     {"type": "video", "url": "https://example.invalid/v.mp4"}]},
                 "footer": {"type": "box", "layout": "vertical", "contents": [
                     {"type": "button", "style": "primary",
                      "action": {"type": "postback", "label": "ยืนยัน", "data": "action=confirm",
                                 "displayText": "ยืนยันข้อมูล"}}]}},
    "quickReply": {"items": [
        {"type": "action", "action": {"type": "datetimepicker", "label": "เลือกวันที่", "data": "action=date",
                                      "mode": "date"}},
        {"type": "action", "action": {"type": "location", "label": "ส่งตำแหน่ง"}}]},
}


def webhook_done(page):
    """Wait, around an action, for the simulator to have passed its event to the webhook."""
    return page.expect_response(lambda response: response.url.endswith("/simulator/api/send"))


def _drive_flex_and_quick_reply_actions(page, app, user_id: str) -> None:
    """Show a Flex card as if the bot had sent it, and use its button and quick replies."""

    def show_flex() -> None:
        # Let the page show every real reply first: a later one would replace the quick replies.
        assert app.extensions["sender"].wait_idle(10)
        delivered = len(app.extensions["fake_line"].messages_to(user_id))
        page.wait_for_function("delivered => user.after >= delivered", arg=delivered)
        page.evaluate("message => showBotMessage(message)", FLEX)

    show_flex()
    card = page.locator(".flex-bubble").last
    assert "ด.ญ. มะลิ ใจดี" in card.text_content() and "บัตรเด็ก" in card.text_content()  # alt text for video

    def events(kind: str) -> int:
        with app.extensions["db"].transaction() as session:
            return len(list(session.scalars(select(InboundEvent.id).where(
                InboundEvent.line_user_id == user_id, InboundEvent.event_type == kind))))

    page.locator("#quick-replies .chip", has_text="เลือกวันที่").click()
    page.fill("#date-value", "2012-03-15")
    with webhook_done(page):
        page.click("#date-form button[type=submit]")
    wait_for(lambda: events("postback") == 1, "the date postback")

    with webhook_done(page):
        card.get_by_role("button", name="ยืนยัน").click()
    page.locator("#messages .row.user .bubble", has_text="ยืนยันข้อมูล").wait_for()
    wait_for(lambda: events("postback") == 2, "the button postback")

    show_flex()
    page.locator("#quick-replies .chip", has_text="ส่งตำแหน่ง").click()
    assert page.input_value("#lat") == "16.4419"
    page.click("#location-form button[type=submit]")
    page.locator("#messages .row.user .bubble", has_text="📍").wait_for()
