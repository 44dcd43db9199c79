"""The coordinators' dashboard (bot/dashboard.py) through HTTP, as its LIFF page calls it: the ID token the fake
LINE issues, verified at the fake's LINE Login endpoint, then the JSON API with the session it gives."""
from __future__ import annotations

import json
import time
import urllib.request
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from domain import access
from domain import people as directory
from domain.deadlines import create_deadline, today_in_bangkok
from helpers import flex_texts, link_in, wait_for
from models import LISTED, AuditEntry, Case, CaseEvent, ExportJob, User, utcnow

LIFF_ID = "1657000000-testliff"
CHANNEL = "1657000000"


@pytest.fixture
def app(database_url, make_app, line, line_server):
    return make_app(database_url, LIFF_ID=LIFF_ID, LINE_LOGIN_API_BASE_URL=line_server[1])


def session_answer(client, id_token):
    return client.post("/liff/api/session", json={} if id_token is None else {"id_token": id_token})


def signed_in(client, line, chat) -> dict:
    """The Authorization header of a session opened with the chat user's ID token."""
    response = session_answer(client, line.issue_id_token(chat.user_id, CHANNEL, name="LINE name"))
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['session']}"}


@pytest.fixture
def coordinator(new_chat, registered):
    """A coordinator of อำเภอเมืองขอนแก่น (4001)."""
    return registered(new_chat(), "coordinator", "4001", real_name="ผู้ประสานงาน อำเภอเมือง")


def api(client, headers, path, **args):
    response = client.get(f"/liff/api/{path}", headers=headers, query_string=args)
    return response.status_code, response.get_json()


def audits(db, **where) -> list[AuditEntry]:
    with db.transaction() as session:
        return list(session.scalars(select(AuditEntry).filter_by(**where).order_by(AuditEntry.id)))


# ----------------------------------------------------------------------------- the page

def test_the_page_is_an_empty_shell_with_its_settings(client):
    response = client.get("/liff/dashboard?case=1")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for attribute in (f'data-liff-id="{LIFF_ID}"', 'data-api="/liff/api"',
                      'data-tile-url="https://tile.openstreetmap.org/{z}/{x}/{y}.png"',
                      'data-tile-attribution="© OpenStreetMap contributors"'):
        assert attribute in page
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response.headers["X-Robots-Tag"]
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self' https://static.line-scdn.net" in policy
    assert "img-src 'self' data: https://tile.openstreetmap.org" in policy and "connect-src 'self'" in policy


# ----------------------------------------------------------------------------- who gets a session

def test_a_coordinator_gets_a_session(client, line, coordinator):
    response = session_answer(client, line.issue_id_token(coordinator.user_id, CHANNEL))
    assert response.status_code == 200
    body = response.get_json()
    assert body["expires_in"] == 1800 and body["session"]
    assert body["user"] == {"name": "ผู้ประสานงาน อำเภอเมือง", "role": "coordinator",
                            "scope": "อำเภอเมืองขอนแก่น จังหวัดขอนแก่น"}
    [verify] = [call for call in line.calls if call.path == "/oauth2/v2.1/verify"]
    assert verify.json["client_id"] == CHANNEL


def test_no_data_without_a_good_token_of_an_allowed_user(client, line, db, new_chat, registered, coordinator):
    def refused(id_token):
        response = session_answer(client, id_token)
        body = response.get_json()
        assert "session" not in body and body["message"]
        return response.status_code, body["error"]

    assert refused(None) == (401, "no_token")
    assert refused("not a token") == (401, "invalid_token")
    assert refused(line.issue_id_token(coordinator.user_id, "1600000000")) == (401, "invalid_token")
    assert refused(line.issue_id_token(coordinator.user_id, CHANNEL, expires_in=0)) == (401, "expired_token")
    stranger = new_chat()
    stranger.follows()
    assert refused(line.issue_id_token(stranger.user_id, CHANNEL)) == (403, "not_registered")
    assert refused(line.issue_id_token("U" + "9" * 32, CHANNEL)) == (403, "not_registered")
    for role in ("reporter", "teacher"):
        user = registered(new_chat(), role, "4001")
        assert refused(line.issue_id_token(user.user_id, CHANNEL)) == (403, "not_allowed")
    with db.transaction() as session:
        session.execute(update(User).where(User.line_user_id == coordinator.user_id).values(active=False))
    assert refused(line.issue_id_token(coordinator.user_id, CHANNEL)) == (403, "deactivated")


def test_line_login_failing_says_try_again(client, line, coordinator):
    line.fail_next(1, 500, paths="/oauth2/")
    response = session_answer(client, line.issue_id_token(coordinator.user_id, CHANNEL))
    assert response.status_code == 503 and response.get_json()["error"] == "line_unavailable"
    assert "ลองใหม่" in response.get_json()["message"]


def test_the_dashboard_is_off_without_a_liff_id(database_url, make_app, line, coordinator):
    off = make_app(database_url, LIFF_ID="").test_client()
    response = session_answer(off, line.issue_id_token(coordinator.user_id, CHANNEL))
    assert response.status_code == 503 and response.get_json()["error"] == "off"


def test_the_api_wants_a_live_session(app, client, line, db, coordinator, make_case):
    make_case("40010101")
    for headers in ({}, {"Authorization": "Bearer garbage"}, {"Authorization": "Bearer 1.99999999999.forged"}):
        status, body = api(client, headers, "overview")
        assert (status, body["error"]) == (401, "no_session") and "เข้าสู่ระบบ" in body["message"]
    with db.transaction() as session:
        user_id = session.scalar(select(User.id).where(User.line_user_id == coordinator.user_id))
    stale = app.extensions["liff_sessions"].issue(user_id, time.time() - 1801)
    assert api(client, {"Authorization": f"Bearer {stale}"}, "cases")[1]["error"] == "expired_session"
    headers = signed_in(client, line, coordinator)
    assert api(client, headers, "overview")[0] == 200
    with db.transaction() as session:  # deactivated while the page is open
        session.execute(update(User).where(User.id == user_id).values(active=False))
    for path in ("overview", "cases", "map", "cases/1"):
        status, body = api(client, headers, path)
        assert (status, body["error"], body["message"]) == (403, "deactivated", access.DEACTIVATED)


# ----------------------------------------------------------------------------- scope

def test_a_district_coordinator_sees_only_their_district(client, line, db, coordinator, make_case):
    mine = [make_case("40010101", latitude=16.4, longitude=102.8), make_case("40010201"),
            make_case("40010202", status="to_find", latitude=16.41, longitude=102.81)]
    theirs = make_case("40020101", latitude=16.5, longitude=102.6)
    headers = signed_in(client, line, coordinator)

    status, overview = api(client, headers, "overview")
    assert status == 200
    assert overview["totals"] == {"total": 3, "missing": 1, "urgent": 0, "overdue": 0}
    assert {sub["code"] for sub in overview["sub_areas"]} == {"400101", "400102"}
    assert sum(item["count"] for item in overview["by_outcome"]) == 3
    status, listed = api(client, headers, "cases")
    assert sorted(case["id"] for case in listed["cases"]) == sorted(mine) and listed["total"] == 3
    status, pinned = api(client, headers, "map")
    assert {pin["id"] for pin in pinned["pins"]} == {mine[0], mine[2]} and pinned["total"] == pinned["shown"] == 2

    assert api(client, headers, f"cases/{theirs}")[1]["error"] == "not_found"
    for path in ("overview", "cases", "map"):
        status, body = api(client, headers, path, area="4002")
        assert (status, body["error"]) == (404, "not_found")
    assert api(client, headers, "cases/999999")[0] == 404
    assert api(client, headers, "cases/not-a-number")[0] == 404
    assert [entry.subject_id for entry in audits(db, action="denied", subject_type="case")] == [
        str(theirs), "999999", "not-a-number"]


def test_the_deadline_and_the_pins_say_as_much_as_the_chat(client, line, db, coordinator, make_case):
    """The overview's deadline counts the organisations that reported, as the chat's line does; a pin says
    whether its case is urgent or overdue, and the map offers the list's filters."""
    with db.transaction() as session:
        for name, code, area in (("อบต.สำราญ", "LG2", "40010201"), ("อบต.โคกสี", "LG3", "40010202")):
            directory.save_organisation(session, "local_government", name, code, [directory.find_area(session, area)])
        create_deadline(session, title="รายงานผลการติดตามเด็ก รอบที่ 1", due_date=today_in_bangkok(utcnow())
                        + timedelta(days=10), area=directory.find_area(session, "4001"), roles=["reporter"],
                        remind_days=[0], rule="all_checked", org_kinds=("local_government",))
    make_case("40010201", status="to_find", source=LISTED)  # อบต.สำราญ has a child to check; โคกสี none
    urgent = make_case("40010202", urgent=True, latitude=16.4, longitude=102.8)
    overdue = make_case("40010101", status="to_find", days_idle=60, latitude=16.41, longitude=102.81)
    headers = signed_in(client, line, coordinator)

    deadline = api(client, headers, "overview")[1]["deadline"]
    assert (deadline["reported"], deadline["expected"]) == (1, 2)
    assert "รายงานแล้ว 1 จาก 2 แห่ง" in deadline["lines"]
    status, pinned = api(client, headers, "map")
    assert {pin["id"]: (pin["urgent"], pin["overdue"]) for pin in pinned["pins"]} == {
        urgent: (True, False), overdue: (False, True)}
    assert {"statuses", "reasons", "owners"} <= pinned["filters"].keys()


def test_drilling_down_to_a_village(client, line, coordinator, make_case):
    for code in ("40010101", "40010201", "40010201", "40010202"):
        make_case(code)
    headers = signed_in(client, line, coordinator)
    overview = api(client, headers, "overview", area="400102")[1]
    assert overview["area"] == {"code": "400102", "label": "ตำบลสำราญ อำเภอเมืองขอนแก่น จังหวัดขอนแก่น"}
    assert [crumb["code"] for crumb in overview["breadcrumbs"]] == [None, "4001", "400102"]
    assert [(sub["code"], sub["total"], sub["drillable"]) for sub in overview["sub_areas"]] == [
        ("40010201", 2, False), ("40010202", 1, False)]
    village = api(client, headers, "overview", area="40010201")[1]
    assert village["totals"]["total"] == 2
    assert [(sub["code"], sub["drillable"]) for sub in village["sub_areas"]] == [("40010201", False)]
    assert village["breadcrumbs"][-1] == {"code": "40010201", "label": "บ้านสำราญ หมู่ที่ 1"}
    assert api(client, headers, "cases", area="40010201")[1]["total"] == 2


# ----------------------------------------------------------------------------- the list's filters

def test_each_filter_and_paging(client, line, db, coordinator, make_case, new_chat, registered):
    helper = registered(new_chat(), "coordinator", "4001", real_name="คนรับเรื่อง")
    plain = [make_case("40010101") for _ in range(21)]
    urgent = make_case("40010101", urgent=True, reason="abuse")
    late = make_case("40010101", days_idle=30, status="to_find")
    poor = make_case("40010201", status="referred", reason="poverty")
    with db.transaction() as session:
        owner_ids = {chat.user_id: session.scalar(select(User.id).where(User.line_user_id == chat.user_id))
                     for chat in (coordinator, helper)}
        session.execute(update(Case).where(Case.id == plain[0]).values(owner_id=owner_ids[coordinator.user_id]))
        session.execute(update(Case).where(Case.id == plain[1]).values(owner_id=owner_ids[helper.user_id]))
    headers = signed_in(client, line, coordinator)

    def ids(**args):
        status, body = api(client, headers, "cases", **args)
        assert status == 200, body
        return [case["id"] for case in body["cases"]]

    first = api(client, headers, "cases")[1]
    assert (first["total"], first["pages"], first["page"], len(first["cases"])) == (24, 2, 1, 20)
    assert first["cases"][0]["id"] == urgent and first["cases"][0]["urgent"]
    assert first["cases"][1]["id"] == late and first["cases"][1]["overdue"]
    second = api(client, headers, "cases", page=2)[1]
    assert len(second["cases"]) == 4 and not {c["id"] for c in second["cases"]} & {c["id"] for c in first["cases"]}
    assert api(client, headers, "cases", page=9)[1]["page"] == 2  # past the end: the last page
    assert ids(status="referred") == [poor]
    assert ids(reason="poverty") == [poor]
    assert ids(urgent=1) == [urgent]
    assert ids(overdue=1) == [late]
    assert ids(owner="me") == [plain[0]]
    assert ids(owner=str(owner_ids[helper.user_id])) == [plain[1]]
    assert len(ids(owner="none", page=2)) == 2
    assert ids(status="to_find", overdue=1) == [late]
    owners = api(client, headers, "cases")[1]["filters"]["owners"]
    assert [o["value"] for o in owners][:2] == ["me", "none"] and {"value": str(owner_ids[helper.user_id]),
                                                                  "label": "คนรับเรื่อง"} in owners
    assert [pin for pin in api(client, headers, "map", urgent=1)[1]["pins"]] == []
    for bad in ({"status": "lost"}, {"reason": "aliens"}, {"urgent": "yes"}, {"overdue": "2"}, {"owner": "x1"},
                {"page": "0"}, {"page": "two"}):
        for path in ("cases", "map") if "page" not in bad else ("cases",):
            status, body = api(client, headers, path, **bad)
            assert (status, body["error"]) == (400, "bad_filter"), (path, bad)
            assert body["message"].startswith("ตัวกรองไม่ถูกต้อง")


# ----------------------------------------------------------------------------- the case page, actions, export

def test_the_case_page_is_the_chats_card(client, line, coordinator, make_case):
    case_id = make_case("40010101", status="back_in_school", national_id="1101700230708",
                        guardian_phone="0812345678")
    headers = signed_in(client, line, coordinator)
    status, page = api(client, headers, f"cases/{case_id}")
    assert status == 200
    card = coordinator.taps(f"action=case&case={case_id}")[-1]
    shown = flex_texts(card)
    rows = dict(page["case"]["rows"])
    assert rows["เลขประจำตัว"] != "1101700230708" and rows["เลขประจำตัว"] in shown
    assert all(label in shown and value in shown for label, value in page["case"]["rows"])
    assert [a["label"] for a in page["actions"]] == [label for label in shown if label in
                                                      {a["label"] for a in page["actions"]}]
    assert "ยังเรียนอยู่" in [a["label"] for a in page["actions"]]
    assert page["timeline"][0]["words"] and page["timeline"][0]["at"].endswith("25" + page["timeline"][0]["at"][-2:])


def test_an_action_from_the_page_is_the_chats_postback(client, line, db, coordinator, make_case):
    case_id = make_case("40010101", status="back_in_school")
    headers = signed_in(client, line, coordinator)
    response = client.post(f"/liff/api/cases/{case_id}/actions/staying", headers=headers)
    assert response.status_code == 200
    assert response.get_json() == {"ok": True, "message": "รับคำสั่งแล้ว ดูขั้นตอนต่อไปในแชท"}
    said = wait_for(lambda: line.texts_to(coordinator.user_id), "the answer in the chat")
    assert any("เรียนต่อเนื่อง" in text for text in said)
    [push] = [call for call in line.pushes() if call.json["to"] == coordinator.user_id]
    assert push.headers.get("X-Line-Retry-Key")
    assert not [call for call in line.replies()]
    with db.transaction() as session:
        assert session.get(Case, case_id).status == "staying"
        event = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)
                                .order_by(CaseEvent.id.desc())).first()
        assert (event.kind, event.to_status, event.actor.line_user_id) == ("follow_up", "staying",
                                                                           coordinator.user_id)
    # Not offered on this case any more (it is staying now), nor ever offered (reopen on an open case).
    for action in ("reopen", "no-such-action"):
        response = client.post(f"/liff/api/cases/{case_id}/actions/{action}", headers=headers)
        assert response.status_code == 403 and response.get_json()["error"] == "not_offered"


def test_export_queues_the_chats_export(client, line, db, coordinator, make_case, run_exports):
    make_case("40010201")
    headers = signed_in(client, line, coordinator)
    response = client.post("/liff/api/export", headers=headers, json={"area": "400102"})
    assert response.status_code == 200 and response.get_json()["ok"]
    with db.transaction() as session:
        [job] = session.scalars(select(ExportJob)).all()
        assert (job.area_code, job.format) == ("400102", "xlsx")
    run_exports()
    assert link_in(line.messages_to(coordinator.user_id))
    response = client.post("/liff/api/export", headers=headers, json={"area": "4002"})
    assert response.status_code == 404
    assert client.post("/liff/api/export", json={"area": None}).status_code == 401


def test_every_view_is_audited(client, line, db, coordinator, make_case):
    pinned = make_case("40010101", latitude=16.4, longitude=102.8)
    other = make_case("40010201")
    headers = signed_in(client, line, coordinator)
    api(client, headers, "overview", area="4001")
    api(client, headers, "cases")
    api(client, headers, "map")
    api(client, headers, f"cases/{other}")
    [summary] = audits(db, action="summary")
    assert (summary.source, summary.subject_id, summary.detail["via"]) == ("liff", "4001", "liff")
    views = [(e.subject_id, e.detail["via"], e.source, tuple(e.detail.get("fields", ())))
             for e in audits(db, action="view")]
    assert sorted(views[:2]) == sorted([(str(pinned), "liff", "liff", ("name", "birth_date")),
                                        (str(other), "liff", "liff", ("name", "birth_date"))])
    assert views[2] == (str(pinned), "liff", "liff", ("pin",))
    assert views[3][0] == str(other) and "name" in views[3][3]
    assert len(views) == 4


def test_the_simulator_verifies_with_its_own_fake_line(simulator, new_chat, registered):
    app, base_url = simulator
    assert (app.config["LIFF_ID"], app.config["MAP_TILE_URL"]) == ("1657000000-simulatr", "")
    assert app.config["LIFF_SDK_URL"] == "/simulator/static/fake-liff.js"
    coordinator = registered(new_chat(), "coordinator", "4001")
    id_token = app.extensions["fake_line"].issue_id_token(coordinator.user_id, "1657000000")
    request = urllib.request.Request(f"{base_url}/liff/api/session", data=json.dumps({"id_token": id_token}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.loads(response.read())["user"]["role"] == "coordinator"
    with urllib.request.urlopen(f"{base_url}/liff/dashboard", timeout=10) as response:
        policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "img-src 'self' data:;" in policy
