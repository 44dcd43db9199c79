"""Fetching the photos reporters send: from LINE's content API into the case_photos table.

Never on the webhook's request path (LINE's content API is slow on busy days): a report records
the image's message id, and this process's worker threads fetch the bytes after the commit, with
the same retries as the outbox. We keep the bytes, never a LINE URL: LINE deletes content after a while.
"""
from __future__ import annotations

import logging

from line.client import LineClient, LineError
from line.worker import QueueWorker
from models import CasePhoto, utcnow
from models.database import Database

log = logging.getLogger(__name__)

THREADS = 2  # photos come one per report: a couple of threads keep up


class PhotoFetcher(QueueWorker):
    model = CasePhoto
    busy_status = "fetching"
    thread_name = "photo-fetcher"

    def __init__(self, db: Database, client: LineClient, poll_seconds: float):
        super().__init__(db, THREADS, poll_seconds)
        self.client = client

    def process(self, row: CasePhoto) -> None:
        try:
            content = bytes(self.client.message_content(row.line_message_id))
        except LineError as exc:
            self.record_failure(row, exc)
            return
        self.record(row.id, status="stored", content=content, content_type=image_type(content),
                    fetched_at=utcnow(), last_error=None)
        log.info("case_photos %s: stored %d bytes", row.id, len(content))


def image_type(content: bytes) -> str:
    """The MIME type of an image from its first bytes (LINE sends JPEG, but a forwarded file may be PNG)."""
    if content.startswith(b"\x89PNG"):
        return "image/png"
    return "image/jpeg"
