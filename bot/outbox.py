"""Delivering queued LINE messages: once, in order, through LINE's outages.

Handlers never call LINE. They queue messages in the outbox inside their own transaction;
after the commit the webhook hands the new rows to this process's sender threads, so the
webhook answers LINE at once while the slow calls to LINE happen beside it. Rows that a
crashed or busy process left behind, and rows waiting for a retry, are picked up by a poller.
"""
from __future__ import annotations

import logging
import os
import random
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from linebot.v3.messaging import Message
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import OutboxMessage, utcnow

from .db import Database
from .line_client import UNREACHABLE, LineClient, LineError

log = logging.getLogger(__name__)

MESSAGES_PER_CALL = 5  # LINE's limit for one reply or push
REPLY_TOKEN_LIFETIME = timedelta(seconds=50)  # LINE documents about a minute; keep a margin
GIVE_UP_AFTER = timedelta(hours=24)
CLAIM_EXPIRES = timedelta(minutes=5)
MAX_BACKOFF_SECONDS = 300


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


class Sender:
    def __init__(self, db: Database, client: LineClient, threads: int, poll_seconds: float):
        self.db = db
        self.client = client
        self.threads = threads
        self.poll_seconds = poll_seconds
        self._pid: int | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._poller: threading.Thread | None = None
        self._stop = threading.Event()
        self._busy = 0
        self._idle = threading.Condition()

    def ensure_started(self) -> None:
        # Started lazily in the process that serves requests: threads do not survive a fork.
        if self._pid == os.getpid():
            return
        self._pid = os.getpid()
        self._stop.clear()
        self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix="line-sender")
        self._poller = threading.Thread(target=self._poll_forever, name="line-sender-poll", daemon=True)
        self._poller.start()

    def stop(self) -> None:
        self._stop.set()
        if self._poller:
            self._poller.join()
        if self._executor:
            self._executor.shutdown(wait=True)
        self._pid = None

    def kick(self, outbox_ids: list[int]) -> None:
        self.ensure_started()
        for outbox_id in outbox_ids:
            self._submit(outbox_id)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until no delivery is under way in this process (tests and shutdown)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    def _submit(self, outbox_id: int) -> None:
        with self._idle:
            self._busy += 1
        self._executor.submit(self._deliver_logged, outbox_id)

    def _deliver_logged(self, outbox_id: int) -> None:
        try:
            self.deliver(outbox_id)
        except Exception:
            log.exception("outbox %s: delivery crashed", outbox_id)
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()

    def _poll_forever(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                for outbox_id in self.due_ids():
                    self._submit(outbox_id)
            except Exception:
                log.exception("outbox poll failed")

    def due_ids(self, limit: int = 200) -> list[int]:
        now = utcnow()
        with self.db.transaction() as session:
            # A claim older than CLAIM_EXPIRES belongs to a process that died mid-send.
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.status == "sending", OutboxMessage.claimed_at < now - CLAIM_EXPIRES)
                .values(status="pending")
            )
            return list(session.scalars(
                select(OutboxMessage.id)
                .where(OutboxMessage.status == "pending", OutboxMessage.not_before <= now)
                .order_by(OutboxMessage.id)
                .limit(limit)
            ))

    def _claim(self, outbox_id: int) -> OutboxMessage | None:
        now = utcnow()
        with self.db.transaction() as session:
            return session.scalar(
                update(OutboxMessage)
                .where(OutboxMessage.id == outbox_id, OutboxMessage.status == "pending",
                       OutboxMessage.not_before <= now)
                .values(status="sending", claimed_at=now, attempts=OutboxMessage.attempts + 1)
                .returning(OutboxMessage)
            )

    def deliver(self, outbox_id: int) -> None:
        row = self._claim(outbox_id)
        if row is None:
            return  # another thread or process has it, or it is not due yet
        chunks = [row.messages[i:i + MESSAGES_PER_CALL] for i in range(0, len(row.messages), MESSAGES_PER_CALL)]
        sent = row.chunks_sent
        reply_token = row.reply_token
        try:
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
                    self._record(row.id, chunks_sent=sent)
        except LineError as exc:
            self._record_failure(row, sent, exc)
            return
        self._record(row.id, status="sent", chunks_sent=sent, sent_at=utcnow(), last_error=None)

    def _push(self, row: OutboxMessage, messages: list[dict], chunk: int) -> None:
        try:
            self.client.push(row.line_user_id, messages, chunk_retry_key(row.retry_key, chunk))
        except LineError as exc:
            if exc.status != 409:  # 409: LINE already accepted this retry key
                raise

    def _record(self, outbox_id: int, **values) -> None:
        # A plain Core statement on a connection: the ORM session costs more CPU than the UPDATE.
        with self.db.engine.begin() as connection:
            connection.execute(update(OutboxMessage.__table__).where(OutboxMessage.id == outbox_id).values(**values))

    def _record_failure(self, row: OutboxMessage, sent: int, exc: LineError) -> None:
        retryable = exc.status is None or exc.status == 429 or exc.status >= 500
        if not retryable or utcnow() - row.created_at > GIVE_UP_AFTER:
            log.warning("outbox %s: giving up: %s", row.id, exc)
            self._record(row.id, status="failed", chunks_sent=sent, last_error=str(exc))
            return
        delay = exc.retry_after or min(2 ** row.attempts, MAX_BACKOFF_SECONDS) * random.uniform(0.5, 1.0)
        log.info("outbox %s: retry in %.1fs: %s", row.id, delay, exc)
        self._record(row.id, status="pending", chunks_sent=sent, last_error=str(exc),
                     not_before=utcnow() + timedelta(seconds=delay))

