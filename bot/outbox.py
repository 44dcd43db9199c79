"""Delivering queued LINE messages: once, in order, through LINE's outages.

Handlers never call LINE. They queue messages in the outbox inside their own transaction;
after the commit the webhook hands the new rows to this process's sender threads, so the
webhook answers LINE at once while the slow calls to LINE happen beside it. Rows that a
crashed or busy process left behind, and rows waiting for a retry, are picked up by a poller.
"""
from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from linebot.v3.messaging import Message
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import OutboxMessage, RichMenu, utcnow

from .db import Database
from .line_client import UNREACHABLE, LineClient, LineError
from .worker import QueueWorker

log = logging.getLogger(__name__)

MESSAGES_PER_CALL = 5  # LINE's limit for one reply or push
REPLY_TOKEN_LIFETIME = timedelta(seconds=50)  # LINE documents about a minute; keep a margin


def queue_messages(session: Session, line_user_id: str, messages: list[Message | dict],
                   reply_token: str | None = None) -> OutboxMessage:
    row = OutboxMessage(
        line_user_id=line_user_id,
        reply_token=reply_token,
        messages=[m if isinstance(m, dict) else m.to_dict() for m in messages],
    )
    session.add(row)
    session.flush()
    # The webhook hands every row queued in its transaction to the sender once it commits.
    session.info.setdefault("outbox_ids", []).append(row.id)
    return row


def chunk_retry_key(retry_key: str, chunk: int) -> str:
    return str(uuid.uuid5(uuid.UUID(retry_key), str(chunk)))


class Sender(QueueWorker):
    model = OutboxMessage
    busy_status = "sending"
    thread_name = "line-sender"

    def __init__(self, db: Database, client: LineClient, threads: int, poll_seconds: float):
        super().__init__(db, threads, poll_seconds)
        self.client = client

    def process(self, outbox_id: int) -> None:
        """Deliver one outbox row: the reply first when its token is fresh, then pushes."""
        row = self.claim(outbox_id)
        if row is None:
            return  # another thread or process has it, or it is not due yet
        chunks = [row.messages[i:i + MESSAGES_PER_CALL] for i in range(0, len(row.messages), MESSAGES_PER_CALL)]
        sent = row.chunks_sent
        reply_token = row.reply_token
        try:
            if row.rich_menu is not None:
                self._show_rich_menu(row)
            while sent < len(chunks):
                if reply_token and sent == 0 and utcnow() - row.created_at < REPLY_TOKEN_LIFETIME:
                    try:
                        self.client.reply(reply_token, chunks[0])
                    except LineError as exc:
                        if exc.status != 400:
                            raise
                        if row.last_error and row.last_error.startswith(UNREACHABLE):
                            # Our previous reply got no answer, and LINE now refuses this token well
                            # within its lifetime: that reply was delivered and used it. A push
                            # would show the answer twice.
                            log.info("outbox %s: reply token already used by the unanswered attempt", row.id)
                        else:
                            # Expired or already used: the user still gets the answer, by push.
                            log.info("outbox %s: reply token refused, pushing instead", row.id)
                            reply_token = None
                            continue
                else:
                    self._push(row, chunks[sent], sent)
                sent += 1
                if sent < len(chunks):  # the last chunk is recorded with the status, below
                    self.record(row.id, chunks_sent=sent)
        except LineError as exc:
            self.record_failure(row, exc, chunks_sent=sent)
            return
        self.record(row.id, status="sent", chunks_sent=sent, sent_at=utcnow(), last_error=None)

    def _show_rich_menu(self, row: OutboxMessage) -> None:
        """Link the rich menu the row names (bot.richmenu.show_menu); "" or a menu never synced: the default."""
        with self.db.transaction() as session:
            menu_id = session.scalar(select(RichMenu.line_rich_menu_id).where(RichMenu.name == row.rich_menu))
        if menu_id:
            self.client.link_rich_menu(row.line_user_id, menu_id)
        else:
            self.client.unlink_rich_menu(row.line_user_id)

    def _push(self, row: OutboxMessage, messages: list[dict], chunk: int) -> None:
        try:
            self.client.push(row.line_user_id, messages, chunk_retry_key(row.retry_key, chunk))
        except LineError as exc:
            if exc.status != 409:  # 409: LINE already accepted this retry key
                raise
