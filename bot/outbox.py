"""Delivering queued LINE messages: once, in order, through LINE's outages.

Handlers never call LINE. They queue messages in the outbox inside their own transaction;
after the commit the webhook hands the new rows to this process's sender threads, so the
webhook answers LINE at once while the slow calls to LINE happen beside it. Rows that a
crashed or busy process left behind, rows waiting for a retry, and rows queued by processes
without a sender (the scheduler, the CLI) are claimed by the pollers of every sending process.

The same messages for many users go as one multicast row per 500 users (queue_multicast).
Pushes wait for the end of the quiet hours, users who blocked the bot are skipped, and each
process keeps to its own rate limit per LINE endpoint (bot.pacing).
"""
from __future__ import annotations

import logging
import os
import random
import threading
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from linebot.v3.messaging import Message
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import OutboxMessage, User, utcnow

from .db import Database
from .line_client import LineClient, LineError
from .pacing import QuietHours, RateLimits

log = logging.getLogger(__name__)

MESSAGES_PER_CALL = 5  # LINE's limit for one reply or push
MULTICAST_LIMIT = 500  # LINE's limit of recipients for one multicast
REPLY_TOKEN_LIFETIME = timedelta(seconds=50)  # LINE documents about a minute; keep a margin
GIVE_UP_AFTER = timedelta(hours=24)
CLAIM_EXPIRES = timedelta(minutes=5)
MAX_BACKOFF_SECONDS = 300


def queue_messages(session: Session, line_user_id: str, messages: list[Message | dict],
                   reply_token: str | None = None) -> OutboxMessage:
    return _queue(session, OutboxMessage(line_user_id=line_user_id, reply_token=reply_token,
                                         messages=_as_dicts(messages)))


def queue_multicast(session: Session, line_user_ids: Iterable[str],
                    messages: list[Message | dict]) -> list[OutboxMessage]:
    """Queue the same messages for many users: one multicast row per MULTICAST_LIMIT users."""
    recipients = list(dict.fromkeys(line_user_ids))  # once each, in order
    payload = _as_dicts(messages)
    if len(recipients) == 1:
        return [queue_messages(session, recipients[0], payload)]
    return [_queue(session, OutboxMessage(recipients=recipients[i:i + MULTICAST_LIMIT], messages=payload))
            for i in range(0, len(recipients), MULTICAST_LIMIT)]


def _as_dicts(messages: list[Message | dict]) -> list[dict]:
    return [m if isinstance(m, dict) else m.to_dict() for m in messages]


def _queue(session: Session, row: OutboxMessage) -> OutboxMessage:
    session.add(row)
    session.flush()
    # The webhook hands every row queued in its transaction to the sender once it commits.
    session.info.setdefault("outbox_ids", []).append(row.id)
    return row


def chunk_retry_key(retry_key: str, chunk: int) -> str:
    return str(uuid.uuid5(uuid.UUID(retry_key), str(chunk)))


class Sender:
    def __init__(self, db: Database, client: LineClient, threads: int, poll_seconds: float,
                 quiet_hours: QuietHours | None = None, rate_limits: RateLimits | None = None,
                 clock: Callable[[], datetime] = utcnow):
        self.db = db
        self.client = client
        self.threads = threads
        self.poll_seconds = poll_seconds
        self.quiet_hours = quiet_hours
        self.rate_limits = rate_limits or RateLimits({})
        # Tests move time (quiet hours, long outages) by replacing the clock.
        self.clock = clock
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
            self._submit(self.deliver, outbox_id)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until no delivery is under way in this process (tests and shutdown)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    def _submit(self, work: Callable, arg) -> None:
        with self._idle:
            self._busy += 1
        self._executor.submit(self._logged, work, arg)

    def _logged(self, work: Callable, arg) -> None:
        try:
            work(arg)
        except Exception:
            log.exception("outbox %s: delivery crashed", getattr(arg, "id", arg))
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()

    def _poll_forever(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                self.poll()
            except Exception:
                log.exception("outbox poll failed")

    def poll(self) -> None:
        """Claim as many due rows as the threads can start on soon, and send them."""
        with self._idle:
            room = 2 * self.threads - self._busy
            if room <= 0:
                return
            self._busy += 1  # rows claimed but not yet submitted are work under way too (wait_idle)
        try:
            for row in self.claim_due(room):
                self._submit(self._send, row)
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()

    def claim_due(self, limit: int) -> list[OutboxMessage]:
        """Claim up to `limit` due rows for this process, oldest first.

        On PostgreSQL, FOR UPDATE SKIP LOCKED lets several sending processes claim at the same
        moment, each taking rows the others have not locked, without waiting for one another.
        SQLite has one writer at a time, so there the single UPDATE is atomic by itself.
        """
        now = self.clock()
        with self.db.transaction() as session:
            # A claim older than CLAIM_EXPIRES belongs to a process that died mid-send.
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.status == "sending", OutboxMessage.claimed_at < now - CLAIM_EXPIRES)
                .values(status="pending")
            )
            due = (select(OutboxMessage.id)
                   .where(OutboxMessage.status == "pending", OutboxMessage.not_before <= now)
                   .order_by(OutboxMessage.id)
                   .limit(limit)
                   .with_for_update(skip_locked=True))
            return list(session.scalars(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(due))
                .values(status="sending", claimed_at=now, attempts=OutboxMessage.attempts + 1)
                .returning(OutboxMessage)
                .execution_options(synchronize_session=False)
            ))

    def _claim(self, outbox_id: int) -> OutboxMessage | None:
        now = self.clock()
        with self.db.transaction() as session:
            claimed = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == outbox_id, OutboxMessage.status == "pending",
                       OutboxMessage.not_before <= now)
                .values(status="sending", claimed_at=now, attempts=OutboxMessage.attempts + 1)
            ).rowcount
            return session.get(OutboxMessage, outbox_id) if claimed else None

    def deliver(self, outbox_id: int) -> None:
        row = self._claim(outbox_id)
        if row is not None:  # else another thread or process has it, or it is not due yet
            self._send(row)

    def _send(self, row: OutboxMessage) -> None:
        """Deliver a row this process has claimed."""
        if self._held_for_quiet_hours(row):
            return
        recipients = self._reachable(row)
        if not recipients:
            log.info("outbox %s: skipped, blocked by its recipients", row.id)
            self._record(row.id, status="skipped", last_error="blocked by the recipient")
            return
        chunks = [row.messages[i:i + MESSAGES_PER_CALL] for i in range(0, len(row.messages), MESSAGES_PER_CALL)]
        sent = row.chunks_sent
        reply_token = row.reply_token
        try:
            while sent < len(chunks):
                if reply_token and sent == 0 and self.clock() - row.created_at < REPLY_TOKEN_LIFETIME:
                    try:
                        self.rate_limits.take("reply")
                        self.client.reply(reply_token, chunks[0])
                    except LineError as exc:
                        if exc.status != 400:
                            raise
                        # Expired or already used: the user still gets the answer, by push.
                        log.info("outbox %s: reply token refused, pushing instead", row.id)
                        reply_token = None
                        continue
                else:
                    self._push(row, recipients, chunks[sent], sent)
                sent += 1
                if sent < len(chunks):  # the last one is recorded together with "sent", one write less
                    self._record(row.id, chunks_sent=sent)
        except LineError as exc:
            self._record_failure(row, sent, exc)
            return
        self._record(row.id, status="sent", chunks_sent=sent, sent_at=self.clock(), last_error=None)

    def _held_for_quiet_hours(self, row: OutboxMessage) -> bool:
        """Hold a push until the morning; a reply answers what the user just said, so it goes at once."""
        morning = self.quiet_hours.release(self.clock()) if self.quiet_hours and not row.reply_token else None
        if morning is None:
            return False
        log.info("outbox %s: quiet hours, held until %s", row.id, morning.isoformat())
        # Waiting is not a failed attempt: keep the backoff where it was.
        self._record(row.id, status="pending", not_before=morning, attempts=row.attempts - 1)
        return True

    def _reachable(self, row: OutboxMessage) -> list[str]:
        """The row's recipients, without the users who have blocked the bot since it was queued."""
        targets = row.recipients or [row.line_user_id]
        if row.reply_token:
            return targets  # they have just written to us
        with self.db.transaction() as session:
            blocked = set(session.scalars(
                select(User.line_user_id).where(User.line_user_id.in_(targets), User.following.is_(False))))
        return [t for t in targets if t not in blocked]

    def _push(self, row: OutboxMessage, recipients: list[str], messages: list[dict], chunk: int) -> None:
        retry_key = chunk_retry_key(row.retry_key, chunk)
        try:
            if row.recipients is None:
                self.rate_limits.take("push")
                self.client.push(recipients[0], messages, retry_key)
            else:
                self.rate_limits.take("multicast")
                self.client.multicast(recipients, messages, retry_key)
        except LineError as exc:
            if exc.status != 409:  # 409: LINE already accepted this retry key
                raise

    def _record(self, outbox_id: int, **values) -> None:
        with self.db.transaction() as session:
            session.execute(update(OutboxMessage).where(OutboxMessage.id == outbox_id).values(**values))

    def _record_failure(self, row: OutboxMessage, sent: int, exc: LineError) -> None:
        retryable = exc.status is None or exc.status == 429 or exc.status >= 500
        if not retryable or self.clock() - row.created_at > GIVE_UP_AFTER:
            log.warning("outbox %s: giving up: %s", row.id, exc)
            self._record(row.id, status="failed", chunks_sent=sent, last_error=str(exc))
            return
        delay = exc.retry_after or min(2 ** row.attempts, MAX_BACKOFF_SECONDS) * random.uniform(0.5, 1.0)
        log.info("outbox %s: retry in %.1fs: %s", row.id, delay, exc)
        self._record(row.id, status="pending", chunks_sent=sent, last_error=str(exc),
                     not_before=self.clock() + timedelta(seconds=delay))

