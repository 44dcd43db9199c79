"""Single-use, short-lived download links for exports: /download/<token>.

Nothing stored opens a link. The token is an HMAC of a random nonce, with a key derived from
DATA_ENCRYPTION_KEY (which is never in the database); the downloads row keeps only the token's
SHA-256, and the message announcing the file keeps only the nonce, which the sender turns into the
link as it sends (DownloadLinks.expand: the same link at every retry). A copy of the database, or a
backup of it, opens nothing.

A GET shows a small page with a button and nothing personal; only the button's POST downloads,
marks the link used and drops the file. So LINE's preview of a URL posted in a chat, a HEAD request
or any crawler consumes nothing, and a forwarded link is worthless once used.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from urllib.parse import quote

from flask import Blueprint, Response
from linebot.v3.messaging import TextMessage
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import User, utcnow
from models.downloads import Download

from .db import get_db
from .outbox import may_receive_personal

LINK_LIFETIME = timedelta(minutes=15)
# Where a message's text gets the link, and the key naming the link's nonce in a queued message
# (never sent to LINE: expand() replaces both).
LINK = "{download_link}"
LINK_NONCE = "downloadNonce"

# Both the page and the file: no cache or proxy keeps them, no search engine lists them, and the
# link never leaves in a Referer header.
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'",
}
PAGE = """<!doctype html>
<html lang="th">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>{title} · พาน้องกลับมาเรียน</title>
<style>body{{font-family:sans-serif;max-width:30rem;margin:2rem auto;padding:0 1rem;line-height:1.6}}
button{{font-size:1.2rem;padding:.8rem 2rem}}</style>
</head>
<body>
<h1>{title}</h1>
{body}
</body>
</html>
"""
READY_BODY = """<p>ลิงก์นี้ดาวน์โหลดได้ครั้งเดียว กดปุ่มเมื่อพร้อมบันทึกไฟล์</p>
<form method="post"><button type="submit">ดาวน์โหลดไฟล์</button></form>
<p>ข้อมูลในไฟล์เป็นข้อมูลส่วนบุคคลของเด็ก กรุณาเก็บรักษาตาม PDPA และอย่าส่งต่อลิงก์หรือไฟล์</p>"""
GONE_BODY = "<p>ลิงก์นี้หมดอายุหรือถูกใช้ไปแล้ว กรุณาขอลิงก์ใหม่จากแชท</p>"

bp = Blueprint("downloads", __name__)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class DownloadLinks:
    """The links of this deployment: signed with `key`, at `base_url` (PUBLIC_BASE_URL, never the
    Host of a request, which whoever sends it chooses). Every server needs the same two."""

    def __init__(self, key: bytes, base_url: str):
        self._key = key
        self.base_url = base_url.rstrip("/")

    def create(self, session: Session, filename: str, content_type: str, content: bytes,
               created_by: User | None = None, lifetime: timedelta = LINK_LIFETIME) -> str:
        """Store a file; return the nonce of its link, for with_link()."""
        # Random, not the row's id: a database restored from a backup hands the same ids out again,
        # and a link sent before the restore must not open a file made after it.
        nonce = secrets.token_urlsafe(16)
        # Files whose link expired unused are of no use to anyone, and hold children's data: drop them.
        session.execute(update(Download).where(Download.expires_at < utcnow(), Download.content.is_not(None))
                        .values(content=None))
        session.add(Download(token_hash=_hash(self.token(nonce)), filename=filename, content_type=content_type,
                             content=content, created_by=created_by.id if created_by else None,
                             created_at=utcnow(), expires_at=utcnow() + lifetime))
        return nonce

    def token(self, nonce: str) -> str:
        mac = hmac.new(self._key, f"download:{nonce}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def url(self, nonce: str) -> str:
        return f"{self.base_url}/download/{self.token(nonce)}"

    def expand(self, messages: list[dict]) -> list[dict]:
        """The messages as LINE gets them: each with_link() message's LINK replaced by its link."""
        return [self._expand(message) if LINK_NONCE in message else message for message in messages]

    def _expand(self, message: dict) -> dict:
        sent = {key: value for key, value in message.items() if key != LINK_NONCE}
        sent["text"] = sent["text"].replace(LINK, self.url(message[LINK_NONCE]))
        return sent


def with_link(message: TextMessage, nonce: str) -> dict:
    """`message` (whose text holds LINK) as the outbox keeps it: the sender puts the link in."""
    return {**message.dict(by_alias=True, exclude_none=True), LINK_NONCE: nonce}


def _usable(token: str, now: datetime):
    # A file dropped since the link was made (pdpa forget) leaves a link to nothing: gone, not an empty file.
    return (Download.token_hash == _hash(token)) & Download.used_at.is_(None) & (Download.expires_at > now) \
        & Download.content.is_not(None)


def _page(title: str, body: str, status: int) -> Response:
    return Response(PAGE.format(title=title, body=body), status=status, content_type="text/html; charset=utf-8",
                    headers=PRIVATE_HEADERS)


def _gone() -> Response:
    return _page("ลิงก์นี้ใช้ไม่ได้แล้ว", GONE_BODY, 410)


@bp.get("/download/<token>")
def download_page(token: str):
    """Reads and changes nothing but whether the link is still good (Flask answers HEAD with this too)."""
    with get_db().transaction() as session:
        usable = session.scalar(select(Download.id).where(_usable(token, utcnow())))
    return _page("ไฟล์รายงาน", READY_BODY, 200) if usable else _gone()


@bp.post("/download/<token>")
def download(token: str):
    now = utcnow()
    with get_db().transaction() as session:
        # The conditional UPDATE is the claim: of two simultaneous requests only one gets the row.
        claimed = session.scalar(update(Download).where(_usable(token, now)).values(used_at=now)
                                 .returning(Download.id))
        if claimed is None:
            return _gone()
        row = session.scalar(select(Download).where(Download.id == claimed))
        content, filename, content_type = row.content, row.filename, row.content_type
        row.content = None
        # Whoever asked for the file must still be allowed children's data: a coordinator deactivated
        # after the link reached their chat (a lost phone) downloads nothing. The file goes either way.
        if row.created_by is not None and not may_receive_personal(session.get(User, row.created_by)):
            return _gone()
    return Response(content, content_type=content_type, headers={
        **PRIVATE_HEADERS, "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})
