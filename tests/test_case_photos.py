"""Transcript: "ดูรูป" on a case's card, through the webhook and the photos page: a link that works once,
expires, is made only by the sender, opens nothing for someone who lost the case or the right to it,
nothing at the other kind of link's address or with another deployment's key; every opening audited."""
from __future__ import annotations

import base64
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from domain import access
from helpers import PUBLIC_BASE_URL, bubbles, buttons_of, texts_of, user_row
from line.download_links import PHOTOS, DownloadLinks
from models import AuditEntry, Case, CasePhoto, Download, OutboxMessage, User, utcnow

PHOTO = b"\xff\xd8\xff\xe0 a photo of the child"
PHOTO_LINK = re.compile(r"https?://\S+/photos/\S+")


@pytest.fixture
def case_id(make_case, db):
    case_id = make_case("40010201", "found", first_name="สมศรี", last_name="มีสุข")
    with db.transaction() as session:
        session.add(CasePhoto(case_id=case_id, line_message_id="1", status="stored", content=PHOTO,
                              content_type="image/jpeg"))
        # A photo LINE never gave us is not shown.
        session.add(CasePhoto(case_id=case_id, line_message_id="2", status="failed"))
    return case_id


@pytest.fixture
def coordinator(new_chat, registered):
    return registered(new_chat(), "coordinator", "4001")


def ask_for_link(chat, case_id: int) -> str:
    [card] = [m for m in chat.taps(f"action=case&case={case_id}") if m["type"] == "flex"]
    [reply] = chat.taps(buttons_of(bubbles(card)[0])["ดูรูป"])
    assert "ลิงก์นี้เปิดได้ครั้งเดียว" in reply["text"] and "(1 รูป)" in reply["text"]
    return PHOTO_LINK.search(reply["text"]).group().removeprefix(PUBLIC_BASE_URL)


def photo_views(db) -> list[AuditEntry]:
    with db.transaction() as session:
        return [entry for entry in session.scalars(select(AuditEntry).where(AuditEntry.action == "view"))
                if entry.detail.get("via") == "photos"]


def test_the_link_shows_the_photos_once_and_the_opening_is_audited(coordinator, case_id, client, db):
    path = ask_for_link(coordinator, case_id)
    assert path.startswith("/photos/")
    # LINE's preview, a crawler, a HEAD request: a page with a button and nothing else.
    for _ in range(2):
        preview = client.get(path, headers={"User-Agent": "facebookexternalhit/1.1;line-poker/1.0"})
        assert preview.status_code == 200 and "ดูรูป" in preview.get_data(as_text=True)
        assert base64.b64encode(PHOTO).decode() not in preview.get_data(as_text=True)
        assert "2569" not in preview.get_data(as_text=True) and "สมศรี" not in preview.get_data(as_text=True)
    assert client.head(path).status_code == 200
    assert photo_views(db) == []

    opened = client.post(path)
    page = opened.get_data(as_text=True)
    assert opened.status_code == 200 and f"data:image/jpeg;base64,{base64.b64encode(PHOTO).decode()}" in page
    assert page.count("<img") == 1 and "รูปถ่าย 1 รูป" in page
    assert opened.headers["Cache-Control"] == "no-store" and opened.headers["Referrer-Policy"] == "no-referrer"
    assert "img-src data:" in opened.headers["Content-Security-Policy"]
    [entry] = photo_views(db)
    assert (entry.actor_id, entry.subject_id, entry.area_code, entry.detail["photos"]) == (
        user_row(db, coordinator.user_id).id, str(case_id), "40010201", 1)

    for again in (client.post(path), client.get(path)):
        assert again.status_code == 410 and "หมดอายุหรือถูกใช้ไปแล้ว" in again.get_data(as_text=True)
        assert base64.b64encode(PHOTO).decode() not in again.get_data(as_text=True)
    assert len(photo_views(db)) == 1


def test_no_table_holds_the_link(coordinator, case_id, db):
    path = ask_for_link(coordinator, case_id)
    token = path.rsplit("/", 1)[1]
    with db.transaction() as session:
        assert not any(token in str(messages) for messages in session.scalars(select(OutboxMessage.messages)))
        [row] = session.scalars(select(Download)).all()
        assert token not in row.token_hash and row.content == str(case_id).encode()


def test_an_expired_link_shows_nothing(coordinator, case_id, client, db):
    path = ask_for_link(coordinator, case_id)
    with db.transaction() as session:
        session.execute(update(Download).values(expires_at=utcnow() - timedelta(seconds=1)))
    for request in (client.get, client.post):
        assert request(path).status_code == 410
    assert photo_views(db) == []


def test_links_of_the_other_kind_or_another_key_open_nothing(app, coordinator, case_id, client, db):
    path = ask_for_link(coordinator, case_id)
    token = path.rsplit("/", 1)[1]
    # The photos token at the export's address, an export's token at the photos' address.
    assert client.get(f"/download/{token}").status_code == 410
    assert client.post(f"/download/{token}").status_code == 410
    links = app.extensions["download_links"]
    with db.transaction() as session:
        nonce = links.create(session, "รายงาน.csv", "text/csv", b"a,b\n")
    assert client.post(f"/photos/{links.token(nonce)}").status_code == 410
    assert client.post(links.url(nonce).removeprefix(PUBLIC_BASE_URL)).data == b"a,b\n"  # still good where it belongs
    # The nonce the queued message keeps, as a token or signed with another deployment's key: nothing.
    with db.transaction() as session:
        [nonce] = [m["downloadNonce"] for messages in session.scalars(select(OutboxMessage.messages))
                   for m in messages if "downloadNonce" in m and m.get("downloadKind") == PHOTOS]
    assert links.token(nonce, PHOTOS) == token
    other = DownloadLinks(b"k" * 32, PUBLIC_BASE_URL)
    for forged in (nonce, other.token(nonce, PHOTOS), links.token(nonce)):
        assert client.post(f"/photos/{forged}").status_code == 410
    assert client.post(path).status_code == 200  # the real one still works, once
    assert len(photo_views(db)) == 1


def test_a_user_deactivated_or_moved_away_after_the_link_was_sent_sees_nothing(coordinator, case_id, client, db,
                                                                                areas):
    first, second = ask_for_link(coordinator, case_id), ask_for_link(coordinator, case_id)
    with db.transaction() as session:
        session.execute(update(User).where(User.line_user_id == coordinator.user_id).values(area_id=areas["4002"]))
    assert client.post(first).status_code == 410
    with db.transaction() as session:
        session.execute(update(User).where(User.line_user_id == coordinator.user_id)
                        .values(area_id=areas["4001"], active=False))
    assert client.post(second).status_code == 410
    assert photo_views(db) == []
    with db.transaction() as session:
        denied = session.scalars(select(AuditEntry).where(AuditEntry.action == "denied")).all()
        assert [(e.subject_id, e.detail["tried"]) for e in denied] == [(str(case_id), "photos")] * 2


def test_who_may_ask_for_the_photos(new_chat, registered, case_id, db, make_case):
    village_head = registered(new_chat(), "reporter", "400102")
    assert texts_of(village_head.taps(f"action=photos&case={case_id}")) == [access.NOT_ALLOWED]
    elsewhere = registered(new_chat(), "coordinator", "4002")
    assert texts_of(elsewhere.taps(f"action=photos&case={case_id}")) == [access.OUT_OF_SCOPE]
    # The owner may, whatever their role.
    with db.transaction() as session:
        session.execute(update(Case).where(Case.id == case_id).values(owner_id=user_row(db, village_head.user_id).id))
    assert PHOTO_LINK.search(village_head.taps(f"action=photos&case={case_id}")[0]["text"])
    # A case without photos: no button, and a forged tap says so.
    teacher = registered(new_chat(), "teacher", "400102")
    bare = make_case("40010201", "found", first_name="ไม่มีรูป")
    [card] = [m for m in teacher.taps(f"action=case&case={bare}") if m["type"] == "flex"]
    assert "ดูรูป" not in buttons_of(bubbles(card)[0])
    assert "ยังไม่มีรูปถ่าย" in teacher.taps(f"action=photos&case={bare}")[0]["text"]
    with db.transaction() as session:
        assert session.scalar(select(Download.id).where(Download.filename.like("%" + str(bare)))) is None


def test_forgetting_the_case_drops_the_link(app, coordinator, case_id, client, db):
    path = ask_for_link(coordinator, case_id)
    with db.transaction() as session:
        number = session.get(Case, case_id).number
    result = app.test_cli_runner().invoke(args=["pdpa", "forget", number, "--yes"])
    assert result.exit_code == 0, result.output
    assert client.post(path).status_code == 410
