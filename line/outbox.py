"""Delivering queued LINE messages: once, in order, through LINE's outages.

Handlers never call LINE. They queue messages in the outbox inside their own transaction;
after the commit the webhook hands the new rows to this process's sender threads, so the
webhook answers LINE at once while the slow calls to LINE happen beside it. Rows that a
crashed or busy process left behind, rows waiting for a retry, and rows queued by processes
without a sender (the scheduler, the CLI) are claimed by the pollers of every sending process
(line/worker.py).

The same messages for many users go as one multicast row per 500 users (queue_multicast).
Pushes wait for the end of the quiet hours, users who blocked the bot are skipped, so are users
no longer registered and active for a row that may name a child (OutboxMessage.personal), and each
process keeps to its own rate limit per LINE endpoint (line.pacing).
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from datetime import datetime, timedelta
from functools import partial

from linebot.v3.messaging import Message
from sqlalchemy import exists, insert, or_, select, update
from sqlalchemy.orm import Session, aliased

from domain import access
from line.client import UNREACHABLE, AsyncLineClient, LineClient, LineError
from line.messages import as_json
from line.pacing import QuietHours, RateLimits
from line.worker import EventLoop, GroupCommit, QueueWorker
from models import OutboxMessage, RichMenu, User, utcnow
from models.database import Database

log = logging.getLogger(__name__)

MESSAGES_PER_CALL = 5  # LINE's limit for one reply or push
MULTICAST_LIMIT = 500  # LINE's limit of recipients for one multicast
REPLY_TOKEN_LIFETIME = timedelta(seconds=50)  # LINE documents about a minute; keep a margin
DELIVER_HERE, QUEUED = "outbox_deliver_here", "outbox_queued"


def queue_messages(session: Session, line_user_id: str, messages: list[Message | dict],
                   reply_token: str | None = None, personal: bool = True, *, retry_key: str | None = None,
                   rich_menu: str | None = None) -> OutboxMessage:
    """Queue messages for one user. `personal=False` only for messages meant for anyone, even someone
    unregistered or deactivated (see domain.access.may_receive_personal); otherwise the sender checks the
    recipient is still registered and active right before it sends. A `retry_key` made from what the
    row is about (a day's digest) makes LINE take it once however often it is queued; `rich_menu` also
    shows the user that menu (line.richmenu.show_menu)."""
    return _queue(session, line_user_id=line_user_id, reply_token=reply_token,
                  messages=[as_json(m) for m in messages], personal=personal, retry_key=retry_key,
                  rich_menu=rich_menu)


def queue_multicast(session: Session, line_user_ids: Iterable[str], messages: list[Message | dict],
                    personal: bool = True, *, retry_key: str | None = None) -> list[OutboxMessage]:
    """Queue the same messages for many users: one multicast row per MULTICAST_LIMIT users (the first
    with `retry_key`, when given)."""
    recipients = list(dict.fromkeys(line_user_ids))  # once each, in order
    payload = [as_json(m) for m in messages]
    if len(recipients) == 1:
        return [queue_messages(session, recipients[0], payload, personal=personal, retry_key=retry_key)]
    return [_queue(session, recipients=recipients[i:i + MULTICAST_LIMIT], messages=payload, personal=personal,
                   retry_key=retry_key if i == 0 else None)
            for i in range(0, len(recipients), MULTICAST_LIMIT)]


_INSERT = insert(OutboxMessage.__table__).returning(OutboxMessage.id)


def _queue(session: Session, *, retry_key: str | None, **values) -> OutboxMessage:
    """Insert one row with every column given, and return it as the sender reads it.

    A Core INSERT on the session's connection, not session.add: the ORM's flush cost a third of the
    CPU of a whole text step. The row returned is not in the session (nothing changes it afterwards).
    """
    now = utcnow()
    row = dict(line_user_id=None, recipients=None, reply_token=None, rich_menu=None, status="pending",
               attempts=0, claimed_at=None, chunks_sent=0, pushes=0, retry_key=retry_key or str(uuid.uuid4()),
               created_at=now, not_before=now, last_error=None, sent_at=None) | values
    if session.info.get(DELIVER_HERE):
        # Claimed in the same transaction that queues it: the webhook's process sends it right
        # after the commit, without a transaction of its own to claim it.
        row.update(status="sending", claimed_at=now, attempts=1)
    queued = OutboxMessage(id=session.connection().scalar(_INSERT, row), **row)
    session.info.setdefault(QUEUED, []).append(queued)
    return queued


def deliver_here(session: Session) -> None:
    """Mark a transaction whose queued rows this process will send once it commits (send_claimed)."""
    session.info[DELIVER_HERE] = True


def queued_rows(session: Session) -> list[OutboxMessage]:
    return session.info.get(QUEUED, [])


def chunk_retry_key(retry_key: str, chunk: int) -> str:
    return str(uuid.uuid5(uuid.UUID(retry_key), str(chunk)))


class Sender(QueueWorker):
    """Delivers outbox rows on an event loop (line.worker.EventLoop): up to `connections` LINE calls in
    flight at once through the SDK's asyncio client, the database's part (who may still be told, what
    was sent) on the worker's threads. A thread per call in flight would hand the GIL around a hundred
    threads at a thousand replies a second."""

    model = OutboxMessage
    busy_status = "sending"
    thread_name = "line-sender"

    def __init__(self, db: Database, client: LineClient, threads: int, poll_seconds: float,
                 connections: int = 200, quiet_hours: QuietHours | None = None,
                 rate_limits: RateLimits | None = None, clock: Callable[[], datetime] = utcnow,
                 prepare: Callable[[list[dict]], list[dict]] | None = None):
        super().__init__(db, threads, poll_seconds, clock)
        self.client = client
        self.connections = connections
        # Turns a row's stored messages into what LINE gets, at every attempt: what must not be
        # stored (a download link, line.download_links) is only made here.
        self.prepare = prepare or (lambda messages: messages)
        self.quiet_hours = quiet_hours
        self.rate_limits = rate_limits or RateLimits({})
        # Under load many replies are accepted in the same few milliseconds: one UPDATE records them.
        self._sent = GroupCommit(self._record_sent, self._blocking)
        self._loop: EventLoop | None = None
        self._line: AsyncLineClient | None = None

    @property
    def capacity(self) -> int:
        return self.connections

    def _started(self) -> None:
        self._loop = EventLoop(self.thread_name)
        self._line = self._loop.run(self.client.connect_async(self.connections))

    def _stopping(self) -> None:
        # The calls under way finish (or time out); what is claimed but not started goes back after
        # CLAIM_EXPIRES.
        self.wait_idle(3 * self.client.timeout)
        if self._loop:
            self._loop.run(self._line.close())
            self._loop.close()
            self._loop = None

    def _start(self, rows: list[OutboxMessage]) -> Future:
        return self._loop.submit(self._deliver_in_turn(rows))

    def _blocking(self, fn: Callable, *args):
        """Run database work on the worker's threads, off the event loop."""
        return asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def send_claimed(self, rows: list[OutboxMessage]) -> None:
        """Send rows a committed transaction queued already claimed (deliver_here), each user's in order."""
        self.ensure_started()
        in_turn: dict = {}
        for row in rows:
            in_turn.setdefault(self.recipient(row), []).append(row)
        for user_rows in in_turn.values():
            self._submit(user_rows)

    def recipient(self, row: OutboxMessage) -> object:
        return row.line_user_id or ("multicast", row.id)

    def claimable(self, now: datetime):
        # Only a user's oldest row that is due or on its way can be claimed: the next one waits
        # for it, whichever thread or process has it, so the user reads messages in queued order.
        earlier = aliased(OutboxMessage)
        return ~exists().where(
            earlier.line_user_id == OutboxMessage.line_user_id, earlier.id < OutboxMessage.id,
            or_(earlier.status == "sending", (earlier.status == "pending") & (earlier.not_before <= now)))

    def process(self, row: OutboxMessage) -> None:
        """Deliver one claimed row and wait for it (another process's claim, in tests)."""
        self.ensure_started()
        self._loop.run(self._deliver(row))

    async def _deliver_in_turn(self, rows: list[OutboxMessage]) -> None:
        for row in rows:
            await self._deliver(row)

    async def _deliver(self, row: OutboxMessage) -> None:
        """Deliver a claimed row: its rich menu, then the reply when its token is fresh, then pushes."""
        morning = self._quiet_hours_end(row)
        if morning is not None:
            log.info("outbox %s: quiet hours, held until %s", row.id, morning.isoformat())
            # Waiting is not a failed attempt: keep the backoff where it was.
            await self._blocking(partial(self.record, row.id, status="pending", not_before=morning,
                                         attempts=row.attempts - 1))
            return
        # They have just written to us, and the dispatcher set `personal` from their registration in
        # the transaction that built this answer. A row whose token has expired goes by push, maybe
        # much later, and is checked like any push.
        fresh = self._reply_token_fresh(row)
        recipients = [row.line_user_id] if fresh else await self._blocking(self._reachable, row)
        if recipients is None:
            log.info("outbox %s: cancelled while claimed, not sent", row.id)
            return
        if not recipients:
            reason = "no recipient registered and active" if row.personal else "blocked by the recipient"
            log.info("outbox %s: skipped, %s", row.id, reason)
            await self._blocking(partial(self.record, row.id, status="skipped", last_error=reason))
            return
        messages = self.prepare(row.messages)
        chunks = [messages[i:i + MESSAGES_PER_CALL] for i in range(0, len(messages), MESSAGES_PER_CALL)]
        sent = row.chunks_sent
        # What LINE bills: one per recipient of each push or multicast call (replies are free),
        # added to what earlier attempts of this row pushed.
        pushes = row.pushes
        reply_token = row.reply_token if fresh else None
        try:
            if row.rich_menu is not None:
                await self._show_rich_menu(row)
            while sent < len(chunks):
                if reply_token and sent == 0:
                    try:
                        await self.rate_limits.take("reply")
                        await self._line.reply(reply_token, chunks[0])
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
                    await self._push(row, recipients, chunks[sent], sent)
                    pushes += len(recipients)
                sent += 1
                if sent < len(chunks):  # the last chunk is recorded together with "sent", one write less
                    await self._blocking(partial(self.record, row.id, chunks_sent=sent, pushes=pushes))
        except LineError as exc:
            await self._blocking(partial(self.record_failure, row, exc, chunks_sent=sent, pushes=pushes))
            return
        await self._sent.add((row.id, sent, pushes))

    def _reply_token_fresh(self, row: OutboxMessage) -> bool:
        return bool(row.reply_token) and self.clock() - row.created_at < REPLY_TOKEN_LIFETIME

    def _record_sent(self, rows: list[tuple[int, int, int]]) -> None:
        # One UPDATE per (chunks, pushes) pair: under load almost every row is a one-chunk reply (0 pushes).
        by_outcome: dict[tuple[int, int], list[int]] = {}
        for row_id, chunks, pushes in rows:
            by_outcome.setdefault((chunks, pushes), []).append(row_id)
        table = OutboxMessage.__table__
        # Only rows still ours: one cancelled meanwhile (pdpa forget) stays cancelled.
        self.write(*[update(table).where(table.c.id.in_(ids), table.c.status == self.busy_status)
                     .values(status="sent", chunks_sent=chunks, pushes=pushes, sent_at=self.clock(), last_error=None)
                     for (chunks, pushes), ids in by_outcome.items()])

    def _quiet_hours_end(self, row: OutboxMessage) -> datetime | None:
        """When a push held for the night may go; None when it may go now. A reply answers what the
        user just said, and a rich menu change is silent, so those go at once."""
        if self.quiet_hours is None or row.reply_token or not row.messages:
            return None
        return self.quiet_hours.release(self.clock())

    def _reachable(self, row: OutboxMessage) -> list[str] | None:
        """The row's recipients, without the users who have blocked the bot since it was queued and,
        when the row may name a child, without anyone no longer registered and active (deactivated
        overnight, say) or unknown; None when the row was cancelled meanwhile. One transaction."""
        targets = row.recipients or [row.line_user_id]
        with self.db.transaction() as session:
            # Cancelled since it was claimed (pdpa forget found the child in it): it names someone
            # who must not be named any more.
            if session.scalar(select(OutboxMessage.status).where(OutboxMessage.id == row.id)) != self.busy_status:
                return None
            # The columns access.may_receive_personal reads, not whole users: cheaper on the push path.
            users = {user.line_user_id: user for user in session.execute(
                select(User.line_user_id, User.following, User.active, User.role, User.registered_at)
                .where(User.line_user_id.in_(targets)))}

        def reachable(target: str) -> bool:
            user = users.get(target)
            if user is None:
                return not row.personal  # a group chat, or no one we know
            return user.following and (not row.personal or access.may_receive_personal(user))

        return [t for t in targets if reachable(t)]

    def _rich_menu_id(self, name: str) -> str | None:
        with self.db.transaction() as session:
            return session.scalar(select(RichMenu.line_rich_menu_id).where(RichMenu.name == name))

    async def _show_rich_menu(self, row: OutboxMessage) -> None:
        """Link the rich menu the row names (line.richmenu.show_menu); "" or a menu never synced: the default."""
        menu_id = await self._blocking(self._rich_menu_id, row.rich_menu)
        if menu_id:
            await self._line.link_rich_menu(row.line_user_id, menu_id)
        else:
            await self._line.unlink_rich_menu(row.line_user_id)

    async def _push(self, row: OutboxMessage, recipients: list[str], messages: list[dict], chunk: int) -> None:
        retry_key = chunk_retry_key(row.retry_key, chunk)
        try:
            if row.recipients is None:
                await self.rate_limits.take("push")
                await self._line.push(recipients[0], messages, retry_key)
            else:
                await self.rate_limits.take("multicast")
                await self._line.multicast(recipients, messages, retry_key)
        except LineError as exc:
            if exc.status != 409:  # 409: LINE already accepted this retry key
                raise
