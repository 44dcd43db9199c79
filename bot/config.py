"""Configuration: defaults, then environment variables, then the caller's overrides."""
from __future__ import annotations

import logging
import os
import traceback
from typing import Any
from urllib.parse import urlsplit

from models.crypto import new_key_text

log = logging.getLogger(__name__)

# Every setting the app reads, with its default. Each can be set by an environment
# variable of the same name; README lists them.
DEFAULTS: dict[str, Any] = {
    "LINE_CHANNEL_SECRET": "",
    "LINE_CHANNEL_ACCESS_TOKEN": "",
    # Empty means the SDK's own hosts (api.line.me, api-data.line.me).
    "LINE_API_BASE_URL": "",
    # Empty means an SQLite file in the instance folder.
    "DATABASE_URL": "",
    # The folder of the development database and key; empty means instance/ beside the code.
    "INSTANCE_PATH": "",
    # The coordinators' dashboard, a LIFF app (bot/dashboard.py): its LIFF ID from the LINE Developers console,
    # "<LINE Login channel id>-<suffix>"; "" turns the dashboard off (no button to it, its API answers 503).
    "LIFF_ID": "",
    # Where the dashboard verifies the ID token its page sends: POST {this}/oauth2/v2.1/verify.
    "LINE_LOGIN_API_BASE_URL": "https://api.line.me",
    # The LIFF SDK the page loads (LINE's CDN; the simulator serves a stand-in of its own).
    "LIFF_SDK_URL": "https://static.line-scdn.net/liff/edge/2/sdk.js",
    # The dashboard map's tiles ({z}/{x}/{y}) and their credit line; "" shows the pins on a blank map.
    "MAP_TILE_URL": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    "MAP_TILE_ATTRIBUTION": "© OpenStreetMap contributors",
    # The address users reach this server at (https://bot.example.go.th); download links are built
    # from it. Required in production; development uses DEV_PUBLIC_BASE_URL.
    "PUBLIC_BASE_URL": "",
    # Development defaults (no channel secret needed): set by devtools.create_app, which serves the browser
    # simulator and an in-process fake LINE platform. Never in production.
    "SIMULATOR": False,
    # LINE calls each process keeps in flight, on the sender's event loop (line/outbox.py): calls in
    # flight = rate x latency, so at 100 ms a call 200 carry 2,000 messages/s per process.
    "SENDER_CONNECTIONS": 200,
    # Threads per process for the sender's database work (who may still be told, what was sent):
    # short statements, grouped under load; more threads only add GIL hand-offs.
    "SENDER_THREADS": 8,
    # How often each process looks for queued messages that are due (retries, crashed peers).
    "SENDER_POLL_SECONDS": 2.0,
    "LINE_TIMEOUT_SECONDS": 10.0,
    # An event still being handled after this long shows LINE's loading animation to its user
    # (line/loading.py); 0 shows it for every event, a negative value never.
    "LOADING_AFTER_SECONDS": 1.0,
    # PostgreSQL connections each process keeps open: its web threads and sender threads share them.
    "DATABASE_POOL_SIZE": 30,
    "LOG_LEVEL": "INFO",
    # Sending pace and timing. Bangkok time; "" turns quiet hours off. Replies are never held back.
    "QUIET_HOURS": "20:00-07:00",
    # LINE calls per second per process, for push (and replies); 0 means no limit of our own.
    "LINE_RATE_LIMIT": 200.0,
    # Replies answer events as fast as users send them (LINE cannot send more events than it takes
    # replies for): their own, higher limit per process, so that a busy deadline day is not held back
    # by the pushes' margin.
    "LINE_REPLY_RATE_LIMIT": 1000.0,
    "LINE_MULTICAST_RATE_LIMIT": 20.0,
    # The pushes a month LINE's plan includes (LINE bills per recipient). Past 80 % of it in the Bangkok
    # calendar month, non-urgent notices wait for the evening digest (line/notices.py); 0 means no limit.
    "LINE_MONTHLY_PUSH_ALLOWANCE": 0,
    # Scheduler: only one process acts; the others stand by and take over.
    "SCHEDULER_LEASE_SECONDS": 30.0,
    "SCHEDULER_STANDBY_SECONDS": 5.0,
    # Deadline reminders: days before the date, the Bangkok time of day they go, how often to look.
    "DEADLINE_REMINDER_DAYS": "7,3,1,0",
    "DEADLINE_REMINDER_TIME": "08:00",
    "DEADLINE_CHECK_SECONDS": 300.0,
    # Sent, failed and skipped outbox rows (which hold message text) are deleted after this many days.
    "OUTBOX_RETENTION_DAYS": 30,
    # base64 of 64 random bytes: encrypts national IDs, guardians' phones, photos and exported files
    # (models/crypto.py). Required in production; development makes one in the instance folder.
    "DATA_ENCRYPTION_KEY": "",
    # A case with no change for this many days counts as overdue in the coordinators' area summary.
    "SUMMARY_OVERDUE_DAYS": 14,
    # A late case (past its status's deadline, models.step_deadline) reminds its owner on the first
    # late day, the owning organisation's coordinators this many days later, and one level up after as
    # many days again (scheduler/late_cases.py).
    "ESCALATION_DAYS": 3,
    # The watch list (domain/watch.py): a กลุ่มมีปัญหา student's home visit is due within this many school
    # days (again this many after a visit that did not meet the family); a student is raised after this
    # many weeks in a row of "ไม่มาเลย" or this many days absent in the last four weeks checked, and
    # becomes a dropout case after this many weeks in a row; a child back in school is "staying" after
    # this many full weeks in a row.
    "WATCH_VISIT_DAYS": 10,
    "WATCH_REVISIT_DAYS": 3,
    "WATCH_RAISE_NONE_WEEKS": 2,
    "WATCH_RAISE_ABSENT_DAYS": 8,
    "WATCH_CASE_NONE_WEEKS": 3,
    "WATCH_STAYING_FULL_WEEKS": 4,
}


def _coerce(raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw


def load(overrides: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> dict[str, Any]:
    environ = os.environ if environ is None else environ
    settings = dict(DEFAULTS)
    for key, default in DEFAULTS.items():
        if key in environ:
            settings[key] = _coerce(environ[key], default)
    settings.update(overrides or {})
    return settings


def check_line_channel(settings: dict[str, Any]) -> None:
    """Refuse to start without the channel's secret and token: with an empty secret anyone could sign
    a webhook, and without a token nothing reaches LINE. The simulator and the tests bring their own."""
    if settings["SIMULATOR"] or settings.get("TESTING"):
        return
    # Blank is missing: a secret of spaces (an .env file's "KEY= ") signs webhooks for anyone too.
    missing = [key for key in ("LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN") if not settings[key].strip()]
    if missing:
        raise RuntimeError(f"{' and '.join(missing)} not set: copy them from the LINE Developers console "
                           "(Messaging API channel), or run the simulator (scripts/run-local)")


def private_folder(path: str) -> None:
    """Make `path` (the instance folder) if needed, open to its owner only: it holds the development
    database and key."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    os.chmod(path, 0o700)


def write_private_file(path, content: bytes) -> None:
    """Write a file of children's data (an export, a list's error report) readable by its owner only,
    whatever the umask; an existing file is emptied and closed to others first."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(content)


def database_url(url: str, instance_path: str) -> str:
    """Normalise DATABASE_URL: default to SQLite, and use psycopg 3 for PostgreSQL."""
    if not url:
        private_folder(instance_path)
        return f"sqlite:///{os.path.join(instance_path, 'bot.sqlite3')}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


# scripts/run-local's address: where a development server's download links point unless told otherwise.
DEV_PUBLIC_BASE_URL = "http://127.0.0.1:8000"


def _development(settings: dict[str, Any]) -> bool:
    """The simulator, the tests, or SQLite: anything else is a production server."""
    return bool(settings["SIMULATOR"] or settings.get("TESTING") or settings["DATABASE_URL"].startswith("sqlite"))


def public_base_url(settings: dict[str, Any]) -> str:
    """PUBLIC_BASE_URL, checked: download links are built from it alone, never from a request's Host
    header, which whoever sends the request chooses.

    A production server refuses to start without an https:// address: a link on plain http, opened
    on a phone's network, hands children's data to anyone on the way.
    """
    url = settings["PUBLIC_BASE_URL"].strip()
    development = _development(settings)
    if not url and development:
        return DEV_PUBLIC_BASE_URL
    parts = urlsplit(url)
    schemes = ("https", "http") if development else ("https",)
    if parts.scheme not in schemes or not parts.netloc or parts.query or parts.fragment:
        problem = f"is {url!r}" if url else "is not set"
        raise RuntimeError(f"PUBLIC_BASE_URL {problem}: set it to the public https:// address of this server, "
                           "e.g. https://bot.example.go.th (download links are built from it)")
    return url.rstrip("/")


DEV_KEY_FILE = "data-encryption.key"


def data_encryption_key(settings: dict[str, Any], instance_path: str) -> str:
    """DATA_ENCRYPTION_KEY; in development (simulator, tests, SQLite) a key kept in the instance folder.

    A production server without the key refuses to start: a key made up on the spot would differ
    between servers and restarts, and whatever it encrypted would be lost with it.
    """
    if settings["DATA_ENCRYPTION_KEY"]:
        return settings["DATA_ENCRYPTION_KEY"]
    if not _development(settings):
        raise RuntimeError("DATA_ENCRYPTION_KEY is not set. Make one with: python -c \"import base64, os; "
                           "print(base64.b64encode(os.urandom(64)).decode())\" and keep a copy somewhere safe: "
                           "without it the encrypted data cannot be read")
    path = os.path.join(instance_path, DEV_KEY_FILE)
    private_folder(instance_path)
    try:
        # O_EXCL: of two processes starting at once, one writes the key and both read the same one.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as out:
            out.write(new_key_text())
    os.chmod(path, 0o600)  # also a key file made before it was created this way
    log.warning("DATA_ENCRYPTION_KEY is not set: using the development key in %s (never do this in production)",
                path)
    with open(path) as key_file:
        return key_file.read().strip()


class WithheldMessages(logging.Formatter):
    """Tracebacks with where and what failed, but not the exceptions' messages: a message can quote
    whatever the code was handling (a child's name, an ID), and logs leave the database's protection."""

    def formatException(self, ei) -> str:
        parts = []
        failure: traceback.TracebackException | None = traceback.TracebackException(*ei)
        while failure is not None:
            name = f"{failure.exc_type.__module__}.{failure.exc_type.__qualname__}"
            parts.append("".join(failure.stack.format()) + f"{name} (message withheld)")
            failure = failure.__cause__ or failure.__context__
        return "\nwhich led to:\n".join(reversed(parts))


def configure_logging(level: str) -> None:
    """Like logging.basicConfig (nothing changes where logging is set up already), with WithheldMessages."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(WithheldMessages("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(level)

