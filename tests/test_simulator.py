"""The browser simulator: its JSON API drives the real webhook, and its page behaves like LINE for what the
bot uses (rich menu, quick replies, links and URI actions, the Thai date picker, the loading animation).

The browser tests need Debian's chromium (apt-get install chromium; .ci/run installs it) and skip without
it; they run on SQLite only, to keep CI short (the `browser` fixture, tests/conftest.py).
"""
from __future__ import annotations

import base64
import re
import uuid

import pytest
from linebot.v3.messaging import ApiClient, MessagingApi, PushMessageRequest
from sqlalchemy import select

from devtools.fakeline import image_size
from devtools.simulator import user_id_for
from domain import people
from domain.menu_labels import MENU_HELP, MENU_REGISTER, MENU_REPORT_CHILD
from helpers import quick_reply_labels, wait_for
from line.richmenu import MENUS
from models import Area, InboundEvent, RichMenu, User, utcnow

NAME = "ผู้ใหญ่สมชาย"
USER_ID = user_id_for(NAME)


def send(client, **payload) -> dict:
    response = client.post("/simulator/api/send", json={"display_name": NAME, **payload})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def messages(client, user_id: str, after: int = 0) -> dict:
    return client.get(f"/simulator/api/messages?user_id={user_id}&after={after}").get_json()


def test_hello_through_the_simulator_api_gets_the_welcome(simulator):
    app, _ = simulator
    client = app.test_client()
    sent = send(client, text="สวัสดี")
    assert sent["webhook_status"] == 200 and sent["user_id"] == USER_ID

    [welcome] = wait_for(lambda: messages(client, sent["user_id"])["messages"], "the welcome")
    assert welcome["type"] == "text" and "ยินดีต้อนรับ" in welcome["text"]
    assert MENU_HELP in quick_reply_labels(welcome)
    assert messages(client, sent["user_id"], after=1) == {"messages": [], "next": 1, "loading": 0, "rich_menu": None}
    assert app.extensions["fake_line"].replies(), "the bot's reply went over HTTP to the mounted fake"


def test_every_kind_of_input_reaches_the_webhook(simulator):
    app, _ = simulator
    client = app.test_client()
    for payload in ({"follow": True},
                    {"postback": "action=pick_date", "params": {"date": "2012-03-15"}},
                    {"location": {"latitude": 16.4419, "longitude": 102.836, "address": "ขอนแก่น"}},
                    {"image": True}):
        assert send(client, **payload)["webhook_status"] == 200, payload

    def recorded():
        with app.extensions["db"].transaction() as session:
            return list(session.scalars(select(InboundEvent.event_type).where(InboundEvent.line_user_id == USER_ID)))

    assert sorted(wait_for(lambda: len(recorded()) == 4 and recorded(), "four recorded events")) == ["follow", "message", "message", "postback"]
    # Replies go out from several sender threads, so they need not arrive in order.
    wait_for(lambda: any("ยินดีต้อนรับ" in m.get("text", "") for m in messages(client, USER_ID)["messages"]),
             "the welcome for following")


def test_a_file_picked_on_the_page_is_a_file_message_whose_content_line_serves(simulator):
    app, _ = simulator
    client = app.test_client()
    content = "ชื่อ,นามสกุล,ชั้น,ผลการคัดกรอง\nมาลี,ดีใจ,ป.5/1,กลุ่มเสี่ยง\n".encode("utf-8-sig")
    sent = send(client, file={"name": "ป5.csv", "data": base64.b64encode(content).decode()})
    assert sent["webhook_status"] == 200
    fake = app.extensions["fake_line"]
    # The bot's answer to a file from someone not registered: what it takes instead (a school's people import).
    wait_for(lambda: any("ไฟล์" in m.get("text", "") for m in messages(client, USER_ID)["messages"]), "the answer")
    with app.extensions["db"].transaction() as session:
        assert session.scalar(select(InboundEvent.event_type).where(InboundEvent.line_user_id == USER_ID)) == "message"
    assert content in fake.contents().values()
    for bad in ({"name": "", "data": ""}, {"name": "x.csv", "data": "not base64!"}, {"name": "x.csv"}):
        assert client.post("/simulator/api/send", json={"display_name": NAME, "file": bad}).status_code == 400


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


def test_the_rich_menu_is_the_one_the_fake_shows_the_user(simulator):
    app, _ = simulator
    client = app.test_client()
    assert client.get("/simulator/api/richmenu").status_code == 400

    # The first ask puts the bot's menus on the fake (`richmenu sync`); a new user sees the default one.
    shown = client.get(f"/simulator/api/richmenu?user_id={USER_ID}").get_json()
    with app.extensions["db"].transaction() as session:
        ids = {m.name: m.line_rich_menu_id for m in session.scalars(select(RichMenu))}
    assert shown["menu"]["richMenuId"] == ids["public"] == messages(client, USER_ID)["rich_menu"]
    assert [a["action"]["label"] for a in shown["menu"]["areas"]][0] == MENU_REGISTER
    image = client.get(shown["image"])
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert image_size(image.data) == MENUS["public"].size

    # The sender links a registered user's menu; from then on that is the one shown.
    bot_api(app).link_rich_menu_id_to_user(USER_ID, ids["reporter"])
    shown = client.get(f"/simulator/api/richmenu?user_id={USER_ID}").get_json()
    assert shown["menu"]["richMenuId"] == ids["reporter"] == messages(client, USER_ID)["rich_menu"]
    assert shown["menu"]["areas"][0]["action"]["text"] == MENU_REPORT_CHILD
    assert client.get("/simulator/api/richmenu/richmenu-unknown/image").status_code == 404
    assert len(app.extensions["fake_line"].rich_menus) == len(MENUS), "synced once, not on every ask"


def test_the_loading_animation_shows_until_the_next_message(simulator):
    app, _ = simulator
    client = app.test_client()
    app.extensions["line"].show_loading(USER_ID, 10)
    assert 9 < messages(client, USER_ID)["loading"] <= 10
    push(app, {"type": "text", "text": "เสร็จแล้ว"})
    assert messages(client, USER_ID)["loading"] == 0


# ----------------------------------------------------------------------------- in Chromium

@pytest.fixture
def page(simulator, browser, tmp_path, request):
    """The simulator's page, chatting as NAME; fails the test on any script error, screenshots it."""
    _, base_url = simulator
    page = browser.new_page(viewport={"width": 480, "height": 860}, locale="th-TH")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base_url}/simulator")
    page.fill("#name", NAME)
    page.click("#start")
    page.wait_for_selector("#text:enabled")
    page.wait_for_function("() => menu.id !== undefined && !menu.loading")
    yield page
    page.screenshot(path=tmp_path / f"{request.node.name}.png")
    assert page.text_content("#status") == ""
    assert errors == []


def bot_api(app) -> MessagingApi:
    """The SDK's client with the bot's channel settings: it calls the fake as the bot's sender would."""
    return MessagingApi(ApiClient(app.extensions["line"].configuration))


def push(app, *messages: dict) -> None:
    """A push from the bot's channel to the simulator's user, through the fake as any push goes."""
    bot_api(app).push_message(PushMessageRequest.from_dict({"to": USER_ID, "messages": list(messages)}),
                              x_line_retry_key=str(uuid.uuid4()))


def caught_up(app, page) -> None:
    """Wait for the bot to have sent everything and the page to have shown it."""
    assert app.extensions["sender"].wait_idle(10)
    delivered = len(app.extensions["fake_line"].messages_to(USER_ID))
    page.wait_for_function("delivered => user.after >= delivered", arg=delivered)


def webhook_done(page):
    """Wait, around an action, for the simulator to have passed its event to the webhook."""
    return page.expect_response(lambda response: response.url.endswith("/simulator/api/send"))


def events(app, kind: str) -> int:
    with app.extensions["db"].transaction() as session:
        return len(list(session.scalars(select(InboundEvent.id).where(
            InboundEvent.line_user_id == USER_ID, InboundEvent.event_type == kind))))


def chip(label: str, action: dict) -> dict:
    return {"type": "action", "action": {"label": label, **action}}


@pytest.mark.browser
def test_chatting_and_cards(simulator, page):
    app, _ = simulator
    page.fill("#text", "สวัสดี")
    page.press("#text", "Enter")
    bot_bubbles = page.locator("#messages .row.bot .bubble")
    bot_bubbles.filter(has_text="ยินดีต้อนรับ").wait_for(timeout=15_000)
    assert page.locator("#messages .row.user .bubble").first.text_content() == "สวัสดี"
    page.locator("#quick-replies .chip", has_text=MENU_HELP).click()
    bot_bubbles.filter(has_text="วิธีใช้งาน").wait_for(timeout=15_000)
    assert page.locator("#messages .row.user .bubble").nth(1).text_content() == MENU_HELP

    caught_up(app, page)
    push(app, {"type": "flex", "altText": "บัตรเด็ก", "contents": {
        "type": "bubble",
        "header": {"type": "box", "layout": "vertical", "contents": [
            {"type": "text", "text": "ด.ญ. มะลิ ใจดี", "weight": "bold", "size": "lg"}]},
        "hero": {"type": "video", "url": "https://example.invalid/v.mp4", "previewUrl": "https://example.invalid/v.jpg",
                 "altContent": {"type": "text", "text": "-"}, "aspectRatio": "16:9"},
        "body": {"type": "box", "layout": "vertical", "contents": [{"type": "text", "text": "อายุ 12 ปี"}]},
        "footer": {"type": "box", "layout": "vertical", "contents": [
            {"type": "button", "style": "primary", "action": {"type": "postback", "label": "ยืนยัน",
                                                              "data": "action=confirm", "displayText": "ยืนยันข้อมูล"}}]}}})
    card = page.locator(".flex-bubble").last
    card.wait_for()
    assert "ด.ญ. มะลิ ใจดี" in card.text_content() and "บัตรเด็ก" in card.text_content()  # alt text for video
    with webhook_done(page):
        card.get_by_role("button", name="ยืนยัน").click()
    page.locator("#messages .row.user .bubble", has_text="ยืนยันข้อมูล").wait_for()
    assert events(app, "postback") == 1


@pytest.mark.browser
def test_rich_menu_areas_send_their_action_and_follow_the_users_menu(simulator, page):
    app, _ = simulator
    # LINE's default menu for someone new: the public one, closed ("selected": false) until the bar is tapped.
    assert page.is_hidden("#rich-menu") and page.text_content("#menu-toggle-label") == "เมนู"
    page.click("#menu-toggle")
    help_area = page.locator("#rich-menu").get_by_role("button", name=MENU_HELP)
    help_area.click()
    page.locator("#messages .row.user .bubble", has_text=MENU_HELP).wait_for()
    page.locator("#messages .row.bot .bubble", has_text="วิธีใช้งาน").wait_for(timeout=15_000)
    assert page.locator("#rich-menu img").get_attribute("src").endswith("/image")
    page.click("#menu-toggle")
    assert page.is_hidden("#rich-menu")

    # Linked to the reporter menu (as the sender does after registering): the page switches to it, open.
    # Its picture does not load here, so its areas are labelled tiles.
    page.route("**/simulator/api/richmenu/*/image", lambda route: route.abort())
    with app.extensions["db"].transaction() as session:
        reporter_menu = session.scalar(select(RichMenu.line_rich_menu_id).where(RichMenu.name == "reporter"))
    bot_api(app).link_rich_menu_id_to_user(USER_ID, reporter_menu)
    report_area = page.locator("#rich-menu").get_by_role("button", name=MENU_REPORT_CHILD)
    report_area.wait_for()
    page.wait_for_selector("#rich-menu:not(.with-image)")
    assert page.is_visible("#rich-menu") and page.locator("#rich-menu .rm-area").count() == 4
    assert report_area.text_content() == MENU_REPORT_CHILD
    with webhook_done(page):
        report_area.click()
    page.locator("#messages .row.user .bubble", has_text=MENU_REPORT_CHILD).wait_for()


@pytest.mark.browser
def test_links_in_messages_and_uri_actions(simulator, page):
    app, base_url = simulator
    form = f"{base_url}/simulator/api/clock?form=1&x=2"
    push(app, {"type": "text", "text": f"กรอกแบบฟอร์มที่ {form}. ขอบคุณครับ <b>ตัวหนา</b> <img src=x onerror=alert(1)>"},
         {"type": "template", "altText": "ลิงก์", "template": {"type": "buttons", "text": "ลิงก์", "actions": [
             {"type": "uri", "label": "เปิดแบบฟอร์ม", "uri": form},
             {"type": "uri", "label": "โทร 1300", "uri": "tel:1300"}]}})
    link = page.locator("#messages .row.bot .bubble a.link")
    link.wait_for()
    assert link.get_attribute("href") == form and link.get_attribute("target") == "_blank"
    assert link.text_content() == form  # the full stop after the address is not part of it
    text = page.locator("#messages .row.bot .bubble").filter(has_text="ขอบคุณครับ")
    assert "<b>ตัวหนา</b> <img src=x onerror=alert(1)>" in text.text_content()
    assert page.locator("#messages b, #messages .bubble img").count() == 0

    with page.expect_popup() as popup:
        link.click()
    popup.value.wait_for_load_state()
    assert popup.value.url == form
    with page.expect_popup() as popup:
        page.get_by_role("button", name="เปิดแบบฟอร์ม").click()
    popup.value.wait_for_load_state()
    assert popup.value.url == form
    page.get_by_role("button", name="โทร 1300").click()
    assert page.locator(".note a").last.get_attribute("href") == "tel:1300"


@pytest.mark.browser
def test_quick_replies_stay_above_the_input_as_line_keeps_them(simulator, page):
    app, _ = simulator
    for first in (1, 6):  # enough to fill the list, so that it scrolls
        push(app, *[{"type": "text", "text": f"ข้อความที่ {i}\nบรรทัดสอง\nบรรทัดสาม"} for i in range(first, first + 5)])
    push(app, *[{"type": "text", "text": f"ข้อความที่ {i}"} for i in range(11, 15)],
         {"type": "text", "text": "เลือกได้เลย", "quickReply": {"items": [
             chip("ส่งตำแหน่ง", {"type": "location"}), chip("ตกลง", {"type": "message", "text": "ตกลง"})]}})
    chips = page.locator("#quick-replies .chip")
    chips.first.wait_for()

    # The newest message is above the chip bar, inside the scrolled list, not under the bar.
    last_in_sight = """() => { const list = document.querySelector('#messages').getBoundingClientRect();
        const last = document.querySelector('#messages .row:last-child').getBoundingClientRect();
        const bar = document.querySelector('#quick-replies').getBoundingClientRect();
        return last.bottom <= list.bottom + 1 && last.bottom <= bar.top + 1 && last.top >= list.top; }"""
    page.wait_for_function(last_in_sight, timeout=3000)
    last = page.locator("#messages .row").last
    assert "เลือกได้เลย" in last.text_content()
    box, bar = last.bounding_box(), page.locator("#quick-replies").bounding_box()
    assert box["y"] + box["height"] <= bar["y"] + 1
    assert page.evaluate("() => { const l = document.querySelector('#messages'); return l.scrollHeight > l.clientHeight; }")

    # Opening a picker from a chip and cancelling it, or the loading animation, leave the chips.
    chips.filter(has_text="ส่งตำแหน่ง").click()
    page.click("#location-form .cancel")
    app.extensions["line"].show_loading(USER_ID, 5)
    page.locator("#typing").wait_for()
    page.click("#menu-toggle")
    assert chips.count() == 2
    page.wait_for_function(last_in_sight, timeout=3000)

    # A new message without quick replies ends them (the chips' message is no longer the last) ...
    push(app, {"type": "text", "text": "แจ้งเตือน"})
    page.locator("#messages .row.bot .bubble", has_text="แจ้งเตือน").wait_for()
    assert chips.count() == 0 and page.locator("#typing").count() == 0
    # ... one with its own brings those, and the user's own message ends them.
    push(app, {"type": "text", "text": "ต่อไหม", "quickReply": {"items": [chip("ต่อ", {"type": "message", "text": "ต่อ"})]}})
    chips.filter(has_text="ต่อ").wait_for()
    page.fill("#text", "พิมพ์เอง")
    with webhook_done(page):
        page.press("#text", "Enter")
        assert chips.count() == 0  # at once, before the bot's answer can bring chips of its own


@pytest.mark.browser
def test_the_date_picker_shows_buddhist_years_and_sends_the_christian_date(simulator, page):
    app, _ = simulator
    picker = {"type": "datetimepicker", "data": "pick=birth", "mode": "date",
              "initial": "2012-03-15", "min": "2005-03-10", "max": "2019-12-31"}
    push(app, {"type": "text", "text": "วันเกิด", "quickReply": {"items": [
        chip("เลือกจากปฏิทิน", picker), chip("ไม่ทราบ", {"type": "message", "text": "ไม่ทราบ"})]}})
    page.locator("#quick-replies .chip", has_text="เลือกจากปฏิทิน").click()
    assert page.text_content("#date-preview") == "วันพฤหัสบดีที่ 15 มีนาคม พ.ศ. 2555"
    years = page.locator("#date-year option").all_text_contents()
    assert years[0] == "2562" and years[-1] == "2548" and len(years) == 15
    assert "ตั้งแต่ 10 มีนาคม พ.ศ. 2548" in page.text_content("#date-range")
    assert page.locator("#quick-replies .chip").count() == 2, "a date chip's chips stay while its picker is open"

    # Only dates from min to max: in the first year the months start at March, and its first days are gone.
    page.select_option("#date-year", label="2548")
    assert page.locator("#date-month option").first.text_content() == "มีนาคม"
    assert page.input_value("#date-month") == "3" and page.locator("#date-day option").first.text_content() == "10"
    # A day the new month does not have becomes its last: 31 January 2555, then February (a leap year).
    page.select_option("#date-year", label="2555")
    page.select_option("#date-month", label="มกราคม")
    page.select_option("#date-day", label="31")
    page.select_option("#date-month", label="กุมภาพันธ์")
    assert page.text_content("#date-preview") == "วันพุธที่ 29 กุมภาพันธ์ พ.ศ. 2555"

    with page.expect_request(lambda r: r.url.endswith("/simulator/api/send")) as sent, webhook_done(page):
        page.click("#date-form button[type=submit]")
    assert sent.value.post_data_json["postback"] == "pick=birth"
    assert sent.value.post_data_json["params"] == {"date": "2012-02-29"}
    assert events(app, "postback") == 1
    assert page.locator(".note", has_text="เลือก 29 กุมภาพันธ์ พ.ศ. 2555").count() == 1


@pytest.mark.browser
def test_the_loading_animation_shows_until_the_bots_message(simulator, page):
    app, _ = simulator
    app.extensions["line"].show_loading(USER_ID, 20)
    page.locator("#typing .dot").first.wait_for()
    push(app, {"type": "text", "text": "ได้ข้อมูลแล้ว"})
    page.locator("#messages .row.bot .bubble", has_text="ได้ข้อมูลแล้ว").wait_for()
    assert page.locator("#typing").count() == 0


@pytest.mark.browser
def test_a_school_coordinator_sends_a_class_list_with_the_paperclip_and_imports_it(simulator, page):
    app, _ = simulator
    with app.extensions["db"].transaction() as session:  # the simulator's user: a school's coordinator
        ids: dict[str, int] = {}
        for code, level, name in (("40", "province", "ขอนแก่น"), ("4001", "district", "เมืองขอนแก่น"),
                                  ("400101", "subdistrict", "ในเมือง")):
            area = Area(code=code, level=level, name=name, parent_id=ids.get(code[:-2]))
            session.add(area)
            session.flush()
            ids[code] = area.id
        school = people.save_organisation(session, "school", "โรงเรียนบ้านโนนทัน", "1040010101",
                                          [session.get(Area, ids["400101"])])
        user = session.scalar(select(User).where(User.line_user_id == USER_ID)) or User(line_user_id=USER_ID)
        session.add(user)
        user.role, user.organisation, user.real_name = "coordinator", school, "ครูสมศรี"
        user.pdpa_accepted_at = user.registered_at = utcnow()
    page.set_input_files("#file", files=[{"name": "ป5.csv", "mimeType": "text/csv", "buffer": (
        "ชื่อ,นามสกุล,ชั้น,ผลการคัดกรอง\nมาลี,ดีใจ,ป.5/1,กลุ่มเสี่ยง\nสมชาย,ใจดี,ป.5/1,ปกติ\n").encode("utf-8-sig")}])
    assert page.locator("#messages .row.user .bubble").last.text_content() == "📎 ป5.csv"
    page.locator("#quick-replies .chip", has_text="นำเข้า").wait_for(timeout=15_000)
    assert "ป.5/1" in page.locator("#messages .row.bot .bubble").last.text_content()
    page.locator("#quick-replies .chip", has_text="นำเข้า").click()
    page.locator("#messages .row.bot .bubble", has_text="เพิ่ม 2 คน").wait_for(timeout=15_000)
