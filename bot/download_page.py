"""/download/<token>: the page behind a download link (line/download_links.py makes the links).

A GET shows a small page with a button and nothing personal; only the button's POST downloads,
marks the link used and drops the file. So LINE's preview of a URL posted in a chat, a HEAD request
or any crawler consumes nothing, and a forwarded link is worthless once used. The page, its headers
and the test of a usable link serve the photos links too (bot/photo_page.py).
"""
from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from flask import Blueprint, Flask, Response
from sqlalchemy import select, update

from domain.access import may_receive_personal
from line.download_links import PHOTOS_PAGE, token_hash
from models import User, utcnow
from models.database import get_db
from models.download import Download

# Both the page and the file: no cache or proxy keeps them, no search engine lists them, and the
# link never leaves in a Referer header.
CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": CSP,
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


def usable(token: str, now: datetime, photos: bool = False):
    """The condition on downloads of the link `token` while it still opens something: an export file's,
    or with `photos` a case's photos' (a link of the other kind is as good as none)."""
    # A file dropped since the link was made (pdpa forget) leaves a link to nothing: gone, not an empty file.
    kind = (Download.content_type == PHOTOS_PAGE) if photos else (Download.content_type != PHOTOS_PAGE)
    return (Download.token_hash == token_hash(token)) & Download.used_at.is_(None) & (Download.expires_at > now) \
        & Download.content.is_not(None) & kind


def page(title: str, body: str, status: int, csp: str = CSP) -> Response:
    return Response(PAGE.format(title=title, body=body), status=status, content_type="text/html; charset=utf-8",
                    headers={**PRIVATE_HEADERS, "Content-Security-Policy": csp})


def gone() -> Response:
    return page("ลิงก์นี้ใช้ไม่ได้แล้ว", GONE_BODY, 410)


@bp.get("/download/<token>")
def download_page(token: str):
    """Reads and changes nothing but whether the link is still good (Flask answers HEAD with this too)."""
    with get_db().transaction() as session:
        good = session.scalar(select(Download.id).where(usable(token, utcnow())))
    return page("ไฟล์รายงาน", READY_BODY, 200) if good else gone()


@bp.post("/download/<token>")
def download(token: str):
    now = utcnow()
    with get_db().transaction() as session:
        # The conditional UPDATE is the claim: of two simultaneous requests only one gets the row.
        claimed = session.scalar(update(Download).where(usable(token, now)).values(used_at=now)
                                 .returning(Download.id))
        if claimed is None:
            return gone()
        row = session.scalar(select(Download).where(Download.id == claimed))
        content, filename, content_type = row.content, row.filename, row.content_type
        row.content = None
        # Whoever asked for the file must still be allowed children's data: a coordinator deactivated
        # after the link reached their chat (a lost phone) downloads nothing. The file goes either way.
        if row.created_by is not None and not may_receive_personal(session.get(User, row.created_by)):
            return gone()
    return Response(content, content_type=content_type, headers={
        **PRIVATE_HEADERS, "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
