"""Single-use, short-lived download links for exports: GET /download/<token>.

The token is 32 random bytes; the database keeps only its SHA-256. The first successful
download marks the link used and drops the file, so a forwarded link is worthless.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from urllib.parse import quote

from flask import Blueprint, Response, current_app, has_request_context, request
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import User, utcnow
from models.downloads import Download

from .db import get_db

LINK_LIFETIME = timedelta(minutes=15)

bp = Blueprint("downloads", __name__)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def public_base_url() -> str:
    """The address users reach this server at: PUBLIC_BASE_URL, or else the host of this request."""
    return current_app.config["PUBLIC_BASE_URL"] or (request.host_url if has_request_context() else "")


def create_link(session: Session, filename: str, content_type: str, content: bytes,
                created_by: User | None = None, lifetime: timedelta = LINK_LIFETIME,
                base_url: str | None = None) -> str:
    """Store a file and return the absolute URL that downloads it once.

    Background work, which has no request or app, passes the `base_url` public_base_url() gave when
    the work was asked for.
    """
    token = secrets.token_urlsafe(32)
    # Files whose link expired unused are of no use to anyone, and hold children's data: drop them.
    session.execute(update(Download).where(Download.expires_at < utcnow(), Download.content.is_not(None))
                    .values(content=None))
    session.add(Download(token_hash=_hash(token), filename=filename, content_type=content_type,
                         content=content, created_by=created_by.id if created_by else None,
                         created_at=utcnow(), expires_at=utcnow() + lifetime))
    # LINE users open the link in their phone's browser, so it must be the public address.
    base = public_base_url() if base_url is None else base_url
    return f"{base.rstrip('/')}/download/{token}"


@bp.get("/download/<token>")
def download(token: str):
    now = utcnow()
    with get_db().transaction() as session:
        # The conditional UPDATE is the claim: of two simultaneous requests only one gets the row.
        claimed = session.scalar(
            update(Download)
            .where(Download.token_hash == _hash(token), Download.used_at.is_(None), Download.expires_at > now)
            .values(used_at=now)
            .returning(Download.id)
        )
        if claimed is None:
            return Response("ลิงก์นี้หมดอายุหรือถูกใช้ไปแล้ว กรุณาขอลิงก์ใหม่จากแชท", status=410,
                            content_type="text/plain; charset=utf-8")
        row = session.scalar(select(Download).where(Download.id == claimed))
        content, filename, content_type = row.content, row.filename, row.content_type
        row.content = None
    return Response(content, content_type=content_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "no-store",
    })

