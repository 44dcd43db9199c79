"""The coordinators' dashboard in headless Chromium at a phone's size (360×740), opened from the simulator's
chat as LINE opens a LIFF app: the simulator plays LIFF's part (devtools/static/fake-liff.js), the page
signs in with the fake LINE's ID token and reads the real API (bot/dashboard.py).

A district coordinator sees only their district, filters the list, opens a case and acts (the answer is
in the chat), follows an area link from the chat, and sees the pinned homes on the map; a village head's
token is refused with the server's Thai message and no data. No request leaves 127.0.0.1. The screenshots
go to docs/dashboard-*.png with UPDATE_SCREENSHOTS=1 (commit them), else to the test's tmp folder.
"""
from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest

from devtools import SIMULATOR_LIFF_ID
from devtools.simulator import user_id_for
from domain.menu_labels import MENU_DASHBOARD

pytestmark = pytest.mark.browser

COORDINATOR, REPORTER = "ผอ.สมหญิง", "ผู้ใหญ่สมชาย"
PHONE = {"width": 360, "height": 740}
DOCS = Path(__file__).resolve().parent.parent / "docs"
# Homes in อำเภอเมืองขอนแก่น (4001) and one in บ้านฝาง (4002), another district.
PINNED = {"40010101": (16.4419, 102.8360), "40010201": (16.4012, 102.8755), "40010202": (16.3820, 102.9010)}


@pytest.fixture
def app(simulator):
    """The fixtures that fill the database (areas, make_case, registered) use the simulator's app."""
    return simulator[0]


@pytest.fixture
def district(make_case, registered):
    """A district coordinator of 4001 and a village head, both chatting in the simulator; cases in both
    districts, three of 4001's homes pinned."""
    registered(SimpleNamespace(user_id=user_id_for(COORDINATOR)), "coordinator", "4001", real_name="สมหญิง รักเด็ก")
    registered(SimpleNamespace(user_id=user_id_for(REPORTER)), "reporter", "40010101")
    made = {
        "somchai": make_case("40010101", "found", first_name="สมชาย", last_name="มาเรียน", age_years=12,
                             latitude=PINNED["40010101"][0], longitude=PINNED["40010101"][1]),
        "malee": make_case("40010201", "to_find", first_name="มาลี", last_name="ใจดี", age_years=9, urgent=True,
                           latitude=PINNED["40010201"][0], longitude=PINNED["40010201"][1]),
        "daeng": make_case("40010202", "not_found", days_idle=30, first_name="แดง", last_name="ขยัน",
                           latitude=PINNED["40010202"][0], longitude=PINNED["40010202"][1]),
        "back": make_case("40010101", "back_in_school", first_name="ดำ", last_name="ตั้งใจ"),
        "elsewhere": make_case("40020101", "found", first_name="ฝน", last_name="บ้านฝาง",
                               latitude=16.55, longitude=102.70),
    }
    return made


@pytest.fixture
def refusals() -> list[tuple[int, str]]:
    """The answers of 400 and more a test expects, as (status, path): any other fails it."""
    return []


@pytest.fixture
def phone(simulator, browser, refusals):
    """A phone-sized page of the simulator. Any script error, console error (a Content-Security-Policy
    refusal is one), answer of 400 or more that the test did not expect, or request off this machine
    fails the test."""
    context = browser.new_context(viewport=PHONE, locale="th-TH", device_scale_factor=2)
    requests: list[str] = []
    failed: list[tuple[int, str]] = []
    errors: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    context.on("response", lambda r: failed.append((r.status, urlsplit(r.url).path)) if r.status >= 400 else None)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # The browser logs each answer of 400 and more as an error too: those are checked as answers.
    page.on("console", lambda m: errors.append(m.text) if m.type == "error"
            and not m.text.startswith("Failed to load resource") else None)
    yield page
    context.close()
    outside = [url for url in requests if urlsplit(url).scheme not in ("data", "about", "blob")
               and urlsplit(url).hostname != "127.0.0.1"]
    assert outside == [], "requests that left the machine"
    assert [f for f in failed if f not in refusals] == []
    assert errors == []


def chat_as(page, base_url: str, name: str) -> None:
    page.goto(f"{base_url}/simulator")
    page.evaluate("() => localStorage.clear()")
    page.fill("#name", name)
    page.click("#start")
    page.wait_for_selector("#text:enabled")
    page.wait_for_function("() => menu.id !== undefined && !menu.loading")


def shoot(page, name: str, tmp_path: Path) -> None:
    """The phone's screen as the user sees it: the simulator's LIFF panel over the chat."""
    folder = DOCS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path
    page.screenshot(path=folder / f"dashboard-{name}.png")


def test_a_district_coordinator_opens_the_dashboard_from_the_chat_and_acts(simulator, district, phone, tmp_path):
    app, base_url = simulator
    chat_as(phone, base_url, COORDINATOR)
    # The coordinators' rich menu has the dashboard's button (LIFF_ID is set in the simulator).
    if phone.is_hidden("#rich-menu"):
        phone.click("#menu-toggle")
    phone.locator("#rich-menu").get_by_role("button", name=MENU_DASHBOARD).click()
    dash = phone.frame_locator("#liff-frame")
    view = dash.locator("#view")

    # The overview of their district: its numbers, the chart, the subdistricts.
    dash.locator("body[data-state=ready]").wait_for()
    assert view.get_by_role("heading", name="อำเภอเมืองขอนแก่น จังหวัดขอนแก่น").is_visible()
    assert dash.locator("#who").text_content() == "สมหญิง รักเด็ก · อำเภอเมืองขอนแก่น จังหวัดขอนแก่น"
    assert view.locator(".tile", has_text="เด็กทั้งหมด").locator(".count").text_content() == "4"
    assert view.locator(".tile", has_text="เร่งด่วน").locator(".count").text_content() == "1"
    assert "รอติดตาม 1" in view.locator("svg.chart").first.get_attribute("aria-label")
    assert "บ้านฝาง" not in view.text_content()
    assert phone.text_content("#liff-title") == "แดชบอร์ดผู้ประสานงาน · พาน้องกลับมาเรียน"
    shoot(phone, "overview", tmp_path)

    # The list: their four children, not the other district's; a filter narrows it.
    dash.locator("#tabs").get_by_role("link", name="รายชื่อเด็ก").click()
    rows = view.locator(".case-row")
    rows.first.wait_for()
    names = rows.locator(".name").all_text_contents()
    assert len(names) == 4 and not any("ฝน" in n for n in names)
    assert any(n.startswith("มาลี ใจดี") for n in names)
    view.get_by_label("สถานะ").select_option(label="ติดตามพบแล้ว")
    view.locator(".count-line", has_text="พบ 1 เรื่อง").wait_for()
    assert rows.locator(".name").all_text_contents() == ["สมชาย มาเรียน (12 ปี)"]
    view.get_by_label("สถานะ").select_option(value="")
    view.get_by_label("เร่งด่วน").check()
    view.locator(".count-line", has_text="พบ 1 เรื่อง").wait_for()
    assert rows.locator(".name").all_text_contents() == ["มาลี ใจดี (9 ปี)"]
    shoot(phone, "list", tmp_path)
    view.get_by_label("เร่งด่วน").uncheck()
    view.locator(".count-line", has_text="พบ 4 เรื่อง").wait_for()

    # A case: the card's rows, its timeline, its buttons; one pressed, the chat has the bot's answer.
    rows.filter(has_text="สมชาย มาเรียน").click()
    view.get_by_role("heading", name="สมชาย มาเรียน").wait_for()
    assert view.locator(".timeline li").count() >= 1
    shoot(phone, "case", tmp_path)
    view.get_by_role("button", name="รับเรื่องนี้").click()
    dash.locator("#notice", has_text="ดูขั้นตอนต่อไปในแชท").wait_for()
    phone.wait_for_selector("#liff", state="hidden")  # in LINE the page closes onto the chat
    phone.locator("#messages .row.bot", has_text="ท่านรับเรื่อง").wait_for(timeout=15_000)

    # A link to an area (the summary card's): LINE carries its query through liff.state to the page.
    phone.evaluate("id => openUri(`https://liff.line.me/${id}?area=400102`)", SIMULATOR_LIFF_ID)
    view.get_by_role("heading", name="ตำบลสำราญ อำเภอเมืองขอนแก่น จังหวัดขอนแก่น").wait_for()
    crumbs = view.locator(".crumbs li").all_text_contents()
    assert crumbs[0] == "อำเภอเมืองขอนแก่น จังหวัดขอนแก่น" and crumbs[-1].startswith("ตำบลสำราญ")

    # The map of the area's pinned homes (no tiles: MAP_TILE_URL is empty in the simulator).
    dash.locator("#tabs").get_by_role("link", name="แผนที่").click()
    view.locator(".count-line", has_text="ปักหมุดแล้ว 2 หลัง").wait_for()
    assert view.locator(".leaflet-interactive").count() == 2
    assert view.locator(".leaflet-tile").count() == 0
    view.get_by_role("button", name="ดูทั้งหมด").click()
    view.locator(".count-line", has_text="ปักหมุดแล้ว 3 หลัง").wait_for()
    assert view.locator(".leaflet-interactive").count() == 3
    shoot(phone, "map", tmp_path)
    view.locator(".leaflet-interactive").first.click()
    dash.locator(".leaflet-popup").get_by_role("link", name="ดูเรื่อง").wait_for()


def test_a_village_heads_token_is_refused_with_no_data(simulator, district, phone, refusals, tmp_path):
    _, base_url = simulator
    refusals.append((403, "/liff/api/session"))
    chat_as(phone, base_url, REPORTER)
    # A reporter's menu has no dashboard button; the LIFF URL opened anyway (a forwarded link).
    assert phone.locator("#rich-menu").get_by_role("button", name=MENU_DASHBOARD).count() == 0
    with phone.expect_response(lambda r: r.url.endswith("/liff/api/session")) as answer:
        phone.evaluate("id => openUri(`https://liff.line.me/${id}`)", SIMULATOR_LIFF_ID)
    assert answer.value.status == 403 and answer.value.json()["error"] == "not_allowed"
    dash = phone.frame_locator("#liff-frame")
    dash.locator("body[data-state=refused]").wait_for()
    refusal = dash.locator(".refused[role=alert]")
    assert "สำหรับผู้ประสานงานเท่านั้น" in refusal.text_content()
    assert dash.locator("#tabs").is_hidden() and dash.locator(".case-row, .tile, .map").count() == 0
    assert dash.locator("#who").text_content() == ""
    shoot(phone, "refused", tmp_path)
    refusal.get_by_role("button", name="กลับไปที่แชท").click()
    phone.wait_for_selector("#liff", state="hidden")
