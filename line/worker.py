"""Background work on queued rows, beside the webhook: threads (or, for the sender, an event loop)
that take rows a committed transaction claimed for this process (Sender.send_claimed), and a poller
that claims rows due for a retry, queued by processes without workers (the scheduler, the CLI), or
left behind by a process that died mid-work.

The outbox sender (line/outbox.py), the photo fetcher (line/photos.py), the exporter (line/export_jobs.py)
and the class-list reader (line/class_lists.py) are such workers. A
work table has the columns of models.base.WorkQueue; a row goes pending -> busy -> done | failed.
"""
from __future__ import annotations

import asyncio
import logging
import os
import random
import threading
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta

from sqlalchemy import select, true, update

from line.client import LineError
from models import utcnow
from models.database import Database

log = logging.getLogger(__name__)

GIVE_UP_AFTER = timedelta(hours=24)
CLAIM_EXPIRES = timedelta(minutes=5)
MAX_BACKOFF_SECONDS = 300


class QueueWorker:
    """Processes rows of `model` (a WorkQueue table); subclasses say what processing one claimed row means."""

    model: type  # a mapped class with the WorkQueue columns
    busy_status: str  # the status of a row while a thread works on it
    thread_name: str
    # A row busy for longer than this belongs to a process that died: it is done again.
    claim_expires: timedelta = CLAIM_EXPIRES

    def __init__(self, db: Database, threads: int, poll_seconds: float, clock: Callable[[], datetime] = utcnow):
        self.db = db
        self.threads = threads
        self.poll_seconds = poll_seconds
        # Tests move time (quiet hours, long outages) by replacing the clock.
        self.clock = clock
        self._pid: int | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._poller: threading.Thread | None = None
        self._stop = threading.Event()
        self._busy = 0
        self._idle = threading.Condition()
        self._starting = threading.Lock()

    def process(self, row) -> None:
        """Work on a row this process has claimed, and record the outcome."""
        raise NotImplementedError

    def recipient(self, row) -> object:
        """Rows with the same recipient are worked one at a time, oldest first."""
        return row.id

    def claimable(self, now: datetime):
        """A condition on `model` a due row must also meet to be claimed by a poll."""
        return true()

    @property
    def capacity(self) -> int:
        """How many rows this process works on at once."""
        return self.threads

    def _process_in_turn(self, rows: list) -> None:
        for row in rows:
            self.process(row)

    def _start(self, rows: list) -> Future:
        """Start working on rows, one after another."""
        return self._executor.submit(self._process_in_turn, rows)

    def _started(self) -> None:
        """Start what else a subclass works with, in the process that serves (ensure_started)."""

    def _stopping(self) -> None:
        """Before the threads stop: a subclass finishes what it runs beside them."""

    def ensure_started(self) -> None:
        # Started lazily in the process that serves requests: threads do not survive a fork. The
        # webhook's threads all call this; the first one starts the workers.
        with self._starting:
            if self._pid == os.getpid():
                return
            self._stop.clear()
            self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix=self.thread_name)
            self._started()
            self._poller = threading.Thread(target=self._poll_forever, name=f"{self.thread_name}-poll", daemon=True)
            self._poller.start()
            self._pid = os.getpid()

    def stop(self) -> None:
        self._stop.set()
        if self._poller:
            self._poller.join()
        self._stopping()
        if self._executor:
            self._executor.shutdown(wait=True)
        self._pid = None

    def wait_idle(self, timeout: float | None = 10.0) -> bool:
        """Wait until no work is under way in this process (tests and shutdown)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    def _submit(self, rows: list) -> None:
        with self._idle:
            self._busy += 1
        self._start(rows).add_done_callback(lambda done: self._finished(done, rows[0].id))

    def _finished(self, done: Future, first_id: int) -> None:
        if not done.cancelled() and done.exception() is not None:
            log.error("%s %s: crashed", self.model.__tablename__, first_id, exc_info=done.exception())
        with self._idle:
            self._busy -= 1
            self._idle.notify_all()

    def _poll_forever(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                self.poll()
            except Exception:
                log.exception("%s poll failed", self.model.__tablename__)

    def poll(self) -> None:
        """Claim as many due rows as the threads can start on soon, and work on them."""
        with self._idle:
            room = 2 * self.capacity - self._busy
            if room <= 0:
                return
            self._busy += 1  # rows claimed but not yet submitted are work under way too (wait_idle)
        try:
            # Rows for one recipient go one after another, in the order they were queued.
            in_turn: dict = {}
            for row in self.claim_due(room):
                in_turn.setdefault(self.recipient(row), []).append(row)
            for rows in in_turn.values():
                self._submit(rows)
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()

    def claim_due(self, limit: int) -> list:
        """Claim up to `limit` due rows for this process, oldest first.

        On PostgreSQL, FOR UPDATE SKIP LOCKED lets several processes claim at the same moment,
        each taking rows the others have not locked, without waiting for one another. SQLite has
        one writer at a time, so there the single UPDATE is atomic by itself.
        """
        model, now = self.model, self.clock()
        with self.db.transaction() as session:
            # A claim older than claim_expires belongs to a process that died mid-work.
            session.execute(
                update(model)
                .where(model.status == self.busy_status, model.claimed_at < now - self.claim_expires)
                .values(status="pending")
            )
            due = (select(model.id)
                   .where(model.status == "pending", model.not_before <= now, self.claimable(now))
                   .order_by(model.id)
                   .limit(limit)
                   .with_for_update(skip_locked=True))
            return list(session.scalars(
                update(model)
                .where(model.id.in_(due))
                .values(status=self.busy_status, claimed_at=now, attempts=model.attempts + 1)
                .returning(model)
                .execution_options(synchronize_session=False)
            ))

    def record(self, row_id: int, **values) -> None:
        self.write(update(self.model.__table__).where(self.model.id == row_id).values(**values))

    def write(self, *statements) -> None:
        """Run statements in a transaction of their own, on a plain connection: the ORM session
        costs more CPU than the UPDATEs it would send."""
        def run() -> None:
            with self.db.engine.begin() as connection:
                for statement in statements:
                    connection.execute(statement)

        # What LINE accepted must be recorded even across a lost connection, or it is sent again.
        self.db.retry_on_lost_connection(run)

    def record_failure(self, row, exc: LineError, **values) -> bool:
        """Retry later with backoff when LINE may recover (5xx, timeouts, 429), else mark the row failed;
        True when it gave up (the caller may tell someone)."""
        retryable = exc.status is None or exc.status == 429 or exc.status >= 500
        name = self.model.__tablename__
        if not retryable or self.clock() - row.created_at > GIVE_UP_AFTER:
            log.warning("%s %s: giving up: %s", name, row.id, exc)
            self.record(row.id, status="failed", last_error=str(exc), **values)
            return True
        delay = exc.retry_after or min(2 ** row.attempts, MAX_BACKOFF_SECONDS) * random.uniform(0.5, 1.0)
        log.info("%s %s: retry in %.1fs: %s", name, row.id, delay, exc)
        self.record(row.id, status="pending", last_error=str(exc),
                    not_before=self.clock() + timedelta(seconds=delay), **values)
        return False


class EventLoop:
    """An asyncio event loop in a thread of its own, for work that mostly waits on the network;
    any thread hands it coroutines."""

    def __init__(self, name: str):
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def submit(self, coroutine: Coroutine) -> Future:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    def run(self, coroutine: Coroutine):
        """Run a coroutine on the loop and wait for its result (from any thread but the loop's)."""
        return self.submit(coroutine).result()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


class GroupCommit:
    """Writes the items of many coroutines with one call of `write`, the way a database groups commits.

    An item added while a write is under way waits, and the next write takes every item that arrived
    meanwhile. `add` returns only once its own item is written (or raises what the write raised), so
    each item is as durable as with a write of its own; an item alone is written at once, and under
    load one statement serves many rows. `write` blocks, so it runs through `run` (off the loop).
    """

    def __init__(self, write: Callable[[list], None], run: Callable[..., Awaitable]):
        self._write = write
        self._run = run
        self._waiting: list[tuple[object, asyncio.Future]] = []
        self._writer: asyncio.Task | None = None

    async def add(self, item) -> None:
        written = asyncio.get_running_loop().create_future()
        self._waiting.append((item, written))
        if self._writer is None:
            self._writer = asyncio.ensure_future(self._write_all())
        await written

    async def _write_all(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    await self._run(self._write, [item for item, _ in batch])
                except Exception as exc:
                    for _, written in batch:
                        written.set_exception(exc)
                else:
                    for _, written in batch:
                        written.set_result(None)
        finally:
            self._writer = None
