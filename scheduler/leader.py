"""Only one scheduler acts: a database lock that a standby takes over when the active one dies.

PostgreSQL: a session-level advisory lock held on a connection of its own. The server releases
it the moment that connection ends, so a killed scheduler frees it at once.
SQLite: a lease row the holder renews; a standby takes it once it has not been renewed in time.
"""
from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import timedelta

from sqlalchemy import Connection, create_engine, or_, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from models import SchedulerLease, utcnow
from models.database import Database

log = logging.getLogger(__name__)

# Any constant shared by every scheduler of this app; advisory lock keys are per database.
ADVISORY_LOCK_KEY = 0x7061_6E6F_6E67  # "panong"
LEASE_NAME = "scheduler"


class AdvisoryLock:
    def __init__(self, db: Database):
        # Not from the app's pool: this connection lives as long as the leadership does.
        self.engine = create_engine(db.engine.url, poolclass=NullPool, hide_parameters=True)
        self.connection: Connection | None = None

    def try_acquire(self) -> bool:
        try:
            if self.connection is None:
                self.connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            return bool(self.connection.scalar(text("SELECT pg_try_advisory_lock(:key)"),
                                               {"key": ADVISORY_LOCK_KEY}))
        except DBAPIError as exc:
            log.warning("scheduler lock: database unreachable: %s", type(exc.orig).__name__)
            self._close()
            return False

    def still_held(self) -> bool:
        # The lock lives as long as the session: a working connection means it is still ours.
        if self.connection is None:
            return False
        try:
            self.connection.execute(text("SELECT 1"))
            return True
        except DBAPIError:
            self._close()
            return False

    def release(self) -> None:
        if self.connection is not None:
            try:
                self.connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
            except DBAPIError:
                pass  # the connection is gone, and the lock with it
        self._close()
        self.engine.dispose()

    def _close(self) -> None:
        if self.connection is not None:
            self.connection.invalidate()
            self.connection = None


class LeaseLock:
    def __init__(self, db: Database, lease_seconds: float):
        self.db = db
        self.lease = timedelta(seconds=lease_seconds)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def try_acquire(self) -> bool:
        """Take the lease if it is free or expired, or renew it if it is ours."""
        now = utcnow()
        try:
            with self.db.transaction() as session:
                session.execute(self.db.insert(SchedulerLease).values(name=LEASE_NAME, holder=None, expires_at=now)
                                .on_conflict_do_nothing(index_elements=["name"]))
                taken = session.execute(
                    update(SchedulerLease)
                    .where(SchedulerLease.name == LEASE_NAME,
                           or_(SchedulerLease.holder == self.holder, SchedulerLease.expires_at <= now))
                    .values(holder=self.holder, expires_at=now + self.lease)
                ).rowcount
        except DBAPIError as exc:
            log.warning("scheduler lease: database error: %s", type(exc.orig).__name__)
            return False
        return taken == 1

    def still_held(self) -> bool:
        return self.try_acquire()

    def release(self) -> None:
        with self.db.transaction() as session:
            session.execute(update(SchedulerLease)
                            .where(SchedulerLease.name == LEASE_NAME, SchedulerLease.holder == self.holder)
                            .values(holder=None, expires_at=utcnow()))


def leader_lock(db: Database, lease_seconds: float) -> AdvisoryLock | LeaseLock:
    return AdvisoryLock(db) if db.dialect == "postgresql" else LeaseLock(db, lease_seconds)
