"""The database handle each app (and each scheduler or sender process) owns."""
from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import Column, MetaData, Table, create_engine, event, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from models.crypto import FieldCipher, attach

log = logging.getLogger(__name__)
T = TypeVar("T")


class Database:
    def __init__(self, url: str, pool_size: int = 10, cipher: FieldCipher | None = None):
        is_sqlite = url.startswith("sqlite")
        # A connection above pool_size is closed when it is given back, and opening a PostgreSQL
        # connection costs ~20 ms of server CPU: size the pool for every thread that uses it.
        # No pre-ping (a round trip before every transaction): a connection found dead is handled
        # where it is used instead (retry_on_lost_connection), and the pool drops its peers.
        options = {"connect_args": {"timeout": 30, "check_same_thread": False}} if is_sqlite else {
            "pool_size": pool_size, "max_overflow": 10}
        # hide_parameters: a statement's values (names, phone numbers) never reach an error message or a log.
        self.engine = create_engine(url, hide_parameters=True, **options)
        if is_sqlite:
            _private_sqlite_file(self.engine.url.database)
            event.listen(self.engine, "connect", _sqlite_pragmas)
        # The encrypted columns (models.crypto) read and write with this key; without one they refuse.
        attach(self.engine, cipher)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits at the end of the block, or rolls back on error."""
        with self.sessions() as session, session.begin():
            yield session

    def retry_on_lost_connection(self, work: Callable[[], T]) -> T:
        """Run `work` (which opens its own transaction); once more if the server had dropped the
        connection it got (a database restart, a failover): nothing of the first try was committed."""
        try:
            return work()
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            log.warning("database connection lost; retrying on a new one")
            return work()

    def ping(self) -> bool:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True

    def insert(self, table):
        """An INSERT that supports on_conflict_do_nothing on both SQLite and PostgreSQL."""
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    def flush_to_file(self) -> None:
        """SQLite: copy the write-ahead log into the database file and empty it, so older versions of
        rows (kept in the log until then) are gone from disk. PostgreSQL keeps them until VACUUM."""
        if self.dialect == "sqlite":
            with self.engine.connect() as conn:
                busy, _, _ = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
            if busy:  # a reader held on to older pages: they go at the next checkpoint
                log.warning("database: write-ahead log not emptied (busy); older row versions remain in it")

    def dispose(self) -> None:
        self.engine.dispose()


def copy_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows with PostgreSQL's COPY, in the session's transaction.

    For tens of thousands of rows, a multi-row INSERT spends most of its time turning thousands of
    placeholders into PostgreSQL's form, in psycopg; COPY streams the values instead. Every row has
    the keys of the first; values go through the columns' own conversions (UTC datetimes, JSON).
    """
    if not rows:
        return
    session.flush()
    dialect = session.get_bind().dialect
    names = list(rows[0])
    convert = [table.c[name].type._cached_bind_processor(dialect) for name in names]
    quote = dialect.identifier_preparer.quote
    sql = f"COPY {quote(table.name)} ({', '.join(map(quote, names))}) FROM STDIN"
    with session.connection().connection.dbapi_connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row([f(row[name]) if f else row[name] for name, f in zip(names, convert)])


def update_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Update many rows by their "id" with PostgreSQL's COPY into a temporary table and one
    UPDATE … FROM it: one statement instead of one per row. Every row has the keys of the first."""
    if not rows:
        return
    names = list(rows[0])
    changes = Table(f"{table.name}_changes", MetaData(), *(Column(name, table.c[name].type) for name in names),
                    prefixes=["TEMPORARY"], postgresql_on_commit="DROP")
    changes.create(session.connection())
    copy_rows(session, changes, rows)
    session.execute(update(table).where(table.c.id == changes.c.id)
                    .values({name: changes.c[name] for name in names if name != "id"}))


@contextmanager
def unprepared(session: Session) -> Iterator[None]:
    """No server-side prepared statements on the session's connection for a while (PostgreSQL).

    psycopg prepares a statement once it has run a few times on a connection, and PostgreSQL may
    then keep one generic plan for it. A bulk job running the same lookup over chunks of thousands
    of keys would keep a plan made for other data (an empty table: scan it all) for good.
    """
    raw = session.connection().connection.dbapi_connection
    if not hasattr(raw, "prepare_threshold"):
        yield
        return
    before, raw.prepare_threshold = raw.prepare_threshold, None
    try:
        yield
    finally:
        raw.prepare_threshold = before


def _private_sqlite_file(path: str | None) -> None:
    """Make the database file readable by its owner only, before SQLite creates it with the umask's
    permissions (0644): SQLite gives its -wal, -shm and -journal files the database file's."""
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    except OSError:
        return  # a folder that does not exist: SQLite's own error says so when the database is used
    for name in (path, *(path + suffix for suffix in ("-wal", "-shm", "-journal"))):
        if os.path.exists(name):
            os.chmod(name, 0o600)  # files made by an earlier version, before this was done


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the web threads read while one writes; the busy timeout makes writers queue
    # instead of failing with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Deleted and overwritten values are zeroed in the file, not left in free space: a data-subject
    # deletion (domain/pdpa.py) must not stay readable in the database file.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def get_db() -> Database:
    return current_app.extensions["db"]
