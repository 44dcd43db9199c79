"""Single-use, short-lived links: made here, opened at /download/<token> for an export file
(bot/download_page.py) or at /photos/<token> for a case's photos (bot/photo_page.py).

Nothing stored opens a link. The token is an HMAC of a random nonce, with a key derived from
DATA_ENCRYPTION_KEY (which is never in the database); the downloads row keeps only the token's
SHA-256, and the message announcing the file keeps only the nonce, which the sender turns into the
link as it sends (DownloadLinks.expand: the same link at every retry). A copy of the database, or a
backup of it, opens nothing.

A link's kind (DOWNLOAD, PHOTOS) is signed into its token and kept on its row (a photos link's
content_type is PHOTOS_PAGE, its content the case's id): a link of one kind opens nothing at the
other's address.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from models import User, utcnow
from models.crypto import cipher_of
from models.download import Download

LINK_LIFETIME = timedelta(minutes=15)
# Where a message's text gets the link, and the key naming the link's nonce in a queued message
# (never sent to LINE: expand() replaces both).
LINK = "{download_link}"
LINK_NONCE = "downloadNonce"
LINK_KIND = "downloadKind"
# The kinds of link, each the first part of its address.
DOWNLOAD, PHOTOS = "download", "photos"
# The row of a photos link: its content is the case's id, not a file.
PHOTOS_PAGE = "application/x-case-photos"
# What the links' key is derived for, from DATA_ENCRYPTION_KEY.
KEY_PURPOSE = "download links"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class DownloadLinks:
    """The links of this deployment: signed with `key`, at `base_url` (PUBLIC_BASE_URL, never the
    Host of a request, which whoever sends it chooses). Every server needs the same two."""

    def __init__(self, key: bytes, base_url: str):
        self._key = key
        self.base_url = base_url.rstrip("/")

    @classmethod
    def of(cls, session: Session, base_url: str) -> DownloadLinks:
        """The links of the deployment whose database `session` works on (a handler has no app, but its
        transaction has the key), at `base_url` (PUBLIC_BASE_URL)."""
        return cls(cipher_of(session).derive_key(KEY_PURPOSE), base_url)

    def create(self, session: Session, filename: str, content_type: str, content: bytes,
               created_by: User | None = None, lifetime: timedelta = LINK_LIFETIME, kind: str = DOWNLOAD) -> str:
        """Store a file (for a PHOTOS link: what its page shows); return the nonce of its link, for with_link()."""
        # Random, not the row's id: a database restored from a backup hands the same ids out again,
        # and a link sent before the restore must not open a file made after it.
        nonce = secrets.token_urlsafe(16)
        # Files whose link expired unused are of no use to anyone, and hold children's data: drop them.
        session.execute(update(Download).where(Download.expires_at < utcnow(), Download.content.is_not(None))
                        .values(content=None))
        session.add(Download(token_hash=token_hash(self.token(nonce, kind)), filename=filename,
                             content_type=content_type, content=content,
                             created_by=created_by.id if created_by else None,
                             created_at=utcnow(), expires_at=utcnow() + lifetime))
        return nonce

    def token(self, nonce: str, kind: str = DOWNLOAD) -> str:
        mac = hmac.new(self._key, f"{kind}:{nonce}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def url(self, nonce: str, kind: str = DOWNLOAD) -> str:
        return f"{self.base_url}/{kind}/{self.token(nonce, kind)}"

    def expand(self, messages: list[dict]) -> list[dict]:
        """The messages as LINE gets them: each with_link() message's LINK replaced by its link."""
        return [self._expand(message) if LINK_NONCE in message else message for message in messages]

    def _expand(self, message: dict) -> dict:
        sent = {key: value for key, value in message.items() if key not in (LINK_NONCE, LINK_KIND)}
        sent["text"] = sent["text"].replace(LINK, self.url(message[LINK_NONCE], message.get(LINK_KIND, DOWNLOAD)))
        return sent


def with_link(message: dict, nonce: str, kind: str = DOWNLOAD) -> dict:
    """`message` (line.messages JSON whose text holds LINK) as the outbox keeps it: the sender puts the link in."""
    return {**message, LINK_NONCE: nonce, LINK_KIND: kind}


