"""Single-use, short-lived download links for exports: made here, opened at /download/<token>
(bot/download_page.py).

Nothing stored opens a link. The token is an HMAC of a random nonce, with a key derived from
DATA_ENCRYPTION_KEY (which is never in the database); the downloads row keeps only the token's
SHA-256, and the message announcing the file keeps only the nonce, which the sender turns into the
link as it sends (DownloadLinks.expand: the same link at every retry). A copy of the database, or a
backup of it, opens nothing.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta

from linebot.v3.messaging import TextMessage
from sqlalchemy import update
from sqlalchemy.orm import Session

from models import User, utcnow
from models.download import Download

LINK_LIFETIME = timedelta(minutes=15)
# Where a message's text gets the link, and the key naming the link's nonce in a queued message
# (never sent to LINE: expand() replaces both).
LINK = "{download_link}"
LINK_NONCE = "downloadNonce"


def token_hash(token: str) -> str:
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
        session.add(Download(token_hash=token_hash(self.token(nonce)), filename=filename, content_type=content_type,
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


