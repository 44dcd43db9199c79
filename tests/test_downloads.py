"""Download links: work once, expire, and reveal nothing when wrong."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from helpers import PUBLIC_BASE_URL
from models import Download


def make_link(app, db, lifetime=timedelta(minutes=15)) -> str:
    links = app.extensions["download_links"]
    with db.transaction() as session:
        nonce = links.create(session, "รายงาน.csv", "text/csv; charset=utf-8", "ก,ข\n".encode(), lifetime=lifetime)
    return links.url(nonce)


def test_link_downloads_once(app, db, client):
    url = make_link(app, db)
    assert url.startswith(f"{PUBLIC_BASE_URL}/download/") and len(url.rsplit("/", 1)[1]) >= 40
    path = url.removeprefix(PUBLIC_BASE_URL)
    first = client.post(path)
    assert first.status_code == 200 and first.data == "ก,ข\n".encode()
    assert "attachment" in first.headers["Content-Disposition"] and first.headers["Cache-Control"] == "no-store"
    second = client.post(path)
    assert second.status_code == 410 and "หมดอายุ" in second.get_data(as_text=True)


def test_expired_and_unknown_links_are_gone(app, db, client):
    url = make_link(app, db, lifetime=timedelta(seconds=-1))
    for request in (client.get, client.post):
        assert request(url.removeprefix(PUBLIC_BASE_URL)).status_code == 410
        assert request("/download/not-a-token").status_code == 410


def test_files_of_expired_links_are_dropped_when_the_next_is_made(app, db):
    make_link(app, db, lifetime=timedelta(seconds=-1))
    make_link(app, db)
    with db.transaction() as session:
        assert [d.content is None for d in session.scalars(select(Download).order_by(Download.id))] == [True, False]
