"""Helpers for every test module (the fixtures are in conftest.py): the apps' settings and throwaway
databases, a LINE user chatting through signed webhooks, waiting for background work, readers of what
the fake LINE platform recorded and of the database, and the conversations several test files walk
through.

The benchmarks use the throwaway-database helpers too (bench/__init__.py puts tests/ on the path).
"""
from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime
from datetime import time as clock_time
from datetime import timedelta
from typing import TypeVar
from urllib.parse import urlsplit

import psycopg
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import JSON, LargeBinary, String, create_engine, func, or_, select, text, update
from werkzeug.serving import WSGIRequestHandler, make_server

import devtools
from bot import create_app
from bot.db_cli import MIGRATIONS, upgrade_database
from devtools.fakeline import FakeLine
from devtools.synthetic import list_table, to_csv
from domain.menu_labels import MENU_REPORT_CHILD
from domain.report_text import Known, Option, Parsed
from domain.thai_dates import BANGKOK, parse_birth
from domain.thai_ids import national_id_checksum_ok
from domain.thai_names import TITLE_SEX
from domain.thai_phones import parse_phone
from line.messages import MAX_ALT_TEXT, MAX_LABEL, MAX_QUICK_REPLIES, MAX_TEXT
from models import Area, Base, Case, CasePhoto, OutboxMessage, User, utcnow

T = TypeVar("T")

# ----------------------------------------------------------------------------- settings

SECRET = "test-channel-secret"
TOKEN = "test-channel-access-token"
PUBLIC_BASE_URL = "https://bot.example.go.th"
# The data encryption key of throwaway databases (tests, benchmarks): public, so never for real data.
THROWAWAY_DATA_KEY = base64.b64encode(bytes(range(64))).decode()
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


# Headless Chromium for the browser tests (the `browser` fixture): no outside traffic of its own.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def app_config(database_url: str, line_base_url: str, **extra) -> dict:
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "LINE_CHANNEL_SECRET": SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
        "LINE_API_BASE_URL": line_base_url,
        "SENDER_THREADS": 4,
        "SENDER_POLL_SECONDS": 0.05,
        "LINE_TIMEOUT_SECONDS": 2.0,
        # Tests that are about quiet hours turn them on with a clock they control; the others
        # must not depend on the time of day they run at.
        "QUIET_HOURS": "",
        # A loading animation only for the tests about it (tests/test_webhook.py): an event of a busy run
        # that took over a second would add a call to what the fake LINE platform recorded.
        "LOADING_AFTER_SECONDS": -1,
        "DATA_ENCRYPTION_KEY": THROWAWAY_DATA_KEY,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        **extra,
    }


@contextlib.contextmanager
def served_simulator(database_url: str) -> Iterator[tuple]:
    """The devtools app (the bot with the simulator) served on a free port, as scripts/run-local serves it:
    its senders reach the fake LINE it mounts, its download links point at itself. Yields (app, base URL)."""
    server = make_server("127.0.0.1", 0, None, threaded=True, request_handler=QuietRequestHandler)
    base_url = f"http://127.0.0.1:{server.server_port}"
    # The app needs the port in its config, so it is built after the socket is bound.
    try:
        app = server.app = devtools.create_app(app_config(database_url, f"{base_url}/fake-line",
                                                          PUBLIC_BASE_URL=base_url))
    except BaseException:
        server.server_close()
        raise
    thread = threading.Thread(target=server.serve_forever, name="simulator-server", daemon=True)
    thread.start()
    try:
        yield app, base_url
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
        shut_down(app)


def shut_down(app) -> None:
    """Stop an app's background workers and close its database connections.

    The sender goes last: a file, photo or class list finished while stopping queues a push, which starts
    the sender again (ensure_started), and a sender left polling would claim the next test's rows."""
    for worker in ("exporter", "photos", "class_lists", "sender"):
        app.extensions[worker].stop()
    app.extensions["db"].dispose()


# ----------------------------------------------------------------------------- throwaway databases

@contextlib.contextmanager
def fresh_postgres(admin_url: str, prefix: str) -> Iterator[str]:
    """A new randomly named database on the server of `admin_url`, dropped afterwards
    (the tests' and the benchmarks' databases)."""
    admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=3)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlsplit(admin_url)._replace(path=f"/{name}").geturl()
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def postgres_unreachable(admin_url: str = POSTGRES_ADMIN_URL, setting: str = "TEST_POSTGRES_URL") -> str | None:
    """Why no PostgreSQL server answers at `admin_url` (a test's reason to skip), or None when one does."""
    try:
        psycopg.connect(admin_url, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        return (f"PostgreSQL not reachable at {urlsplit(admin_url).hostname} (set {setting}): "
                f"{str(exc).strip()[:120]}")
    return None


def postgres_database() -> Iterator[str]:
    """Yield a new database on the local server (TEST_POSTGRES_URL); skip the test when there is none."""
    if reason := postgres_unreachable():
        pytest.skip(reason)
    with fresh_postgres(POSTGRES_ADMIN_URL, "test_bot") as url:
        yield url


class TableEmptier:
    """Empties a PostgreSQL test database between tests as `TRUNCATE <every table> RESTART IDENTITY` would,
    touching only the tables a test wrote to (a row in it, or its id sequence used). TRUNCATE gives every
    table it empties new files, ~10 ms a table here, and it cascades from the areas to nearly every table:
    a third of a PostgreSQL test's time. A superuser (the local test server's) deletes the rows instead,
    with triggers off (session_replication_role), as the append-only audit log refuses DELETE."""

    def __init__(self, url: str, tables: list[str]):
        # pre_ping: a fault test terminates every connection to the database, this one's too.
        self.engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"), pool_pre_ping=True)
        with self.engine.connect() as conn:
            # Each identity or serial sequence with the table that owns it.
            owned = [(sequence, table) for sequence, table in conn.execute(text(
                "SELECT s.oid::regclass::text, t.relname FROM pg_class s"
                " JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass"
                " AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')"
                " JOIN pg_class t ON t.oid = d.refobjid WHERE s.relkind = 'S'")) if table in tables]
            self.superuser = conn.scalar(text("SELECT current_setting('is_superuser') = 'on'"))
        self._written = text(" UNION ALL ".join(
            [f"SELECT '{table}' WHERE EXISTS (SELECT 1 FROM {table})" for table in tables]
            + [f"SELECT '{table}' FROM {sequence} WHERE is_called" for sequence, table in owned]))
        self._restart = text("SELECT setval(s, 1, false) FROM unnest(CAST(:sequences AS regclass[])) AS s")
        self._sequences = [sequence for sequence, _ in owned]

    def empty(self) -> None:
        with self.engine.begin() as conn:
            written = sorted(set(conn.scalars(self._written)))
            if not written:
                return
            if not self.superuser:
                conn.execute(text(f"TRUNCATE {', '.join(written)} RESTART IDENTITY CASCADE"))
                return
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table in written:
                conn.execute(text(f"DELETE FROM {table}"))
            conn.execute(self._restart, {"sequences": self._sequences})

    def dispose(self) -> None:
        self.engine.dispose()


def migrate(url: str) -> None:
    """Bring the database at `url` to the newest migration."""
    app = create_app({"DATABASE_URL": url, "TESTING": True, "DATA_ENCRYPTION_KEY": THROWAWAY_DATA_KEY})
    with app.app_context():
        upgrade_database()
    app.extensions["db"].dispose()


# A small real-looking area tree: Khon Kaen province, two districts, three subdistricts, villages.
AREA_TREE = [
    ("40", "province", "ขอนแก่น", None),
    ("4001", "district", "เมืองขอนแก่น", "40"),
    ("4002", "district", "บ้านฝาง", "40"),
    ("400101", "subdistrict", "ในเมือง", "4001"),
    ("400102", "subdistrict", "สำราญ", "4001"),
    ("400201", "subdistrict", "บ้านฝาง", "4002"),
    ("40010101", "village", "บ้านโนนทัน หมู่ที่ 1", "400101"),
    ("40010201", "village", "บ้านสำราญ หมู่ที่ 1", "400102"),
    ("40010202", "village", "บ้านโคกสี หมู่ที่ 2", "400102"),
    ("40020101", "village", "บ้านฝาง หมู่ที่ 1", "400201"),
]


# ----------------------------------------------------------------------------- waiting

def wait_for(condition: Callable[[], T], what: str | Callable[[], str], timeout: float = 10.0) -> T:
    """Call `condition` until it returns something true, and return that; fail after `timeout` seconds,
    saying what was waited for (`what`, or what it returns then: a process's log, say)."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what() if callable(what) else what}")
        time.sleep(0.05)


# Every app of the running test (the make_app fixture adds them): any of them may deliver a queued
# message (their pollers share the database, like gunicorn workers), so a test waits for all of them
# before reading what LINE got.
LIVE_APPS: list = []


def settle() -> None:
    """Wait until every live app's sender has sent what it took."""
    for app in LIVE_APPS:
        assert app.extensions["sender"].wait_idle(10), "sender did not finish"


def deliver_queued(app, rounds: int = 1) -> None:
    """Send what is due now, as the pollers would, and wait until nothing due is left or in flight
    (the app's own poller thread may have claimed some rows first)."""
    sender = app.extensions["sender"]
    sender.ensure_started()

    def nothing_due() -> bool:
        sender.poll()
        assert sender.wait_idle(20), "sender did not finish"
        with app.extensions["db"].transaction() as session:
            return not session.scalar(select(func.count()).select_from(OutboxMessage).where(or_(
                OutboxMessage.status == "sending",
                (OutboxMessage.status == "pending") & (OutboxMessage.not_before <= sender.clock()))))

    for _ in range(rounds):
        wait_for(nothing_due, "the outbox rows due now to be sent", timeout=20)


# ----------------------------------------------------------------------------- a LINE user

class Chat:
    """One LINE user talking to the bot through signed webhooks, as LINE would send them."""

    def __init__(self, app, client, line: FakeLine, user_id: str):
        self.app, self.client, self.line, self.user_id = app, client, line, user_id

    def post(self, *events: dict):
        body, headers = self.line.webhook_request(list(events))
        response = self.client.post("/callback", data=body, headers=headers)
        settle()
        return response

    def send(self, event: dict) -> list[dict]:
        """Send one event; return the messages the user received because of it."""
        before = len(self.line.messages_to(self.user_id))
        response = self.post(event)
        assert response.status_code == 200, response.get_data(as_text=True)
        return self.line.messages_to(self.user_id)[before:]

    def says(self, text: str) -> list[dict]:
        return self.send(self.line.text_event(self.user_id, text))

    def follows(self) -> list[dict]:
        return self.send(self.line.follow_event(self.user_id))

    def unfollows(self) -> list[dict]:
        return self.send(self.line.unfollow_event(self.user_id))

    def taps(self, data: str, params: dict | None = None) -> list[dict]:
        return self.send(self.line.postback_event(self.user_id, data, params))

    def shares_location(self, latitude: float, longitude: float, address: str | None = None) -> list[dict]:
        return self.send(self.line.location_event(self.user_id, latitude, longitude, address=address))

    def sends_image(self, data: bytes | None = None) -> list[dict]:
        event = self.line.image_event(self.user_id, data) if data else self.line.image_event(self.user_id)
        return self.send(event)

    def sends_sticker(self) -> list[dict]:
        return self.send(self.line.sticker_event(self.user_id))

    def sends_file(self, name: str, data: bytes, size: int | None = None) -> list[dict]:
        """A file message whose content the fake LINE platform then serves; `size` is what the event says
        (the content's length unless given)."""
        event = self.line.file_event(self.user_id, name, len(data) if size is None else size)
        self.line.add_content(event["message"]["id"], data, "application/octet-stream")
        return self.send(event)

    def sends(self, kind: str) -> list[dict]:
        """A voice message, a video or a file: `kind` "audio", "video" or "file"."""
        return self.send(getattr(self.line, f"{kind}_event")(self.user_id))


class QuietRequestHandler(WSGIRequestHandler):
    """A served test app's request handler that does not log every request."""

    def log_request(self, *args, **kwargs) -> None:
        pass


# ----------------------------------------------------------------------------- reading messages

def texts_of(messages: list[dict]) -> list[str]:
    return [m.get("text", "") for m in messages]


def flex_texts(message: dict) -> list[str]:
    """Every text of a Flex message, in order (headers, body, footer buttons' labels)."""
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") in ("text", "span") and "text" in node:
                found.append(node["text"])
            if node.get("type") == "button":
                found.append(node["action"]["label"])
            for key, value in node.items():
                if key != "action":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("contents"))
    return found


def all_text(message: dict) -> str:
    """What a message shows in words: a text's text, or a Flex message's alt text and every text in it."""
    if message.get("type") == "flex":
        return "\n".join([message.get("altText", ""), *flex_texts(message)])
    return message.get("text", "")


def quick_reply_labels(message: dict) -> list[str]:
    return [item["action"]["label"] for item in (message.get("quickReply") or {}).get("items", [])]


# What the dispatcher says when a handler failed.
APOLOGY = "ระบบขัดข้องชั่วคราว"


def checked(reply: list[dict]) -> list[dict]:
    """`reply` within LINE's limits (messages, quick replies, labels, text, alt text), and no apology for a
    failed handler."""
    assert 1 <= len(reply) <= 5, reply
    for message in reply:
        labels = quick_reply_labels(message)
        assert len(labels) <= MAX_QUICK_REPLIES and all(1 <= len(label) <= MAX_LABEL for label in labels), labels
        assert len(message.get("text", "").encode("utf-16-le")) // 2 <= MAX_TEXT
        assert len(message.get("altText", "")) <= MAX_ALT_TEXT
        assert APOLOGY not in all_text(message)
    return reply


def card_rows(message: dict) -> dict[str, str]:
    """A summary card's rows: label -> value (a box of link buttons among them is not a row)."""
    assert message["type"] == "flex", message
    rows = message["contents"]["body"]["contents"]
    return {row["contents"][0]["text"]: row["contents"][1]["text"] for row in rows if row.get("layout") == "baseline"}


def bubbles(message: dict) -> list[dict]:
    contents = message["contents"]
    return contents["contents"] if contents["type"] == "carousel" else [contents]


def buttons_of(bubble: dict) -> dict[str, str]:
    """Button label -> postback data."""
    return {b["action"]["label"]: b["action"].get("data", "") for b in (bubble.get("footer") or {}).get("contents", [])}


LINK = re.compile(r"https?://\S+/download/\S+")


def link_in(messages: list[dict]) -> str:
    """The one download link among `messages`."""
    [url] = [match.group() for m in messages for match in [LINK.search(m.get("text", ""))] if match]
    return url


# ----------------------------------------------------------------------------- reading the database

def user_row(db, line_user_id: str):
    """The users row of this LINE user, or None."""
    with db.transaction() as session:
        return session.scalar(select(User).where(User.line_user_id == line_user_id))


def cases_in(db, prefix: str = "") -> list[Case]:
    """The cases in the areas whose code starts with `prefix`, oldest first."""
    with db.transaction() as session:
        return list(session.scalars(select(Case).join(Area).where(Area.code.startswith(prefix)).order_by(Case.id)))


def set_status(db, case_id: int, status: str) -> None:
    with db.transaction() as session:
        session.execute(update(Case).where(Case.id == case_id).values(status=status))


def in_organisation(db, chat: Chat, org_id: int) -> Chat:
    """Make the chat's user a member of the organisation."""
    with db.transaction() as session:
        session.execute(update(User).where(User.line_user_id == chat.user_id).values(organisation_id=org_id))
    return chat


def photo_once(db, status: str, timeout: float = 10.0) -> CasePhoto:
    """The report's photo row, once the background fetcher has brought it to `status`."""

    def reached():
        with db.transaction() as session:
            row = session.scalar(select(CasePhoto))
            return row if row is not None and row.status == status else None

    return wait_for(reached, f"the photo to be {status}", timeout)


def raw(db, sql: str) -> list[tuple]:
    """What a copy of the database shows: the stored values, through no column type."""
    with db.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def text_columns() -> dict[str, set[str]]:
    """Every column of the schema that can hold text, JSON or bytes, by table."""
    found: dict[str, set[str]] = {}
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            kind = getattr(column.type, "impl", column.type)  # the encrypted types are text and bytes underneath
            if isinstance(kind, (String, JSON, LargeBinary)):
                found.setdefault(table.name, set()).add(column.name)
    return found


def stored_text(db) -> dict[tuple[str, str], list[str]]:
    """Every text column's values, decrypted as the app reads them (whoever has the key sees this much),
    as text: JSON without escapes, bytes as UTF-8 where they are."""
    found: dict[tuple[str, str], list[str]] = {}
    with db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            for name in sorted(text_columns().get(table.name, ())):
                values = session.scalars(select(table.c[name]).where(table.c[name].is_not(None))).all()
                found[table.name, name] = [
                    v.decode("utf-8", "replace") if isinstance(v, bytes) else
                    v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for v in values]
    return found


# ----------------------------------------------------------------------------- conversations

def register(chat, code: str, name: str = "สมหญิง รักเรียน", phone: str = "0812345678") -> list[dict]:
    """Follow, accept the privacy notice and answer every question; return what "ยืนยัน" got."""
    chat.follows()
    chat.says("ยอมรับ")
    chat.says(code)
    chat.says(name)
    chat.says(phone)
    return chat.says("ยืนยัน")


ID = "1101700230708"  # a national ID with a valid check digit
OTHER_ID = "3100500123458"


def answer(chat: Chat, step) -> list[dict]:
    """One answer of a report: a text, or ("location", lat, lng, address), ("image",), ("pick", date)."""
    if isinstance(step, str):
        return chat.says(step)
    kind, *args = step
    if kind == "location":
        return chat.shares_location(args[0], args[1], address=args[2])
    if kind == "image":
        return chat.sends_image(*args)
    if kind == "pick":
        return chat.taps("pick=birth", {"date": args[0]})
    raise ValueError(kind)


def walk(chat: Chat, *steps) -> list[dict]:
    """Start a report and answer each step; return the last reply."""
    reply = chat.says(MENU_REPORT_CHILD)
    for step in steps:
        reply = answer(chat, step)
    return reply


def plain_answers(**changes) -> list:
    """Answers that reach the card (no guardian, no photo); `changes` by step name, None leaves one out.

    In order: name 0, national_id 1, birth 2, village 3, home 4, situation 5, reason 6, wants 7,
    guardian 8, photo 9; a photo sent (("image", ...)) is followed by photo_consent, "ยินยอม" unless changed.
    """
    return [step for step in _plain_steps(changes).values() if step is not None]


ADD_TO_CASE = "เพิ่มข้อมูลให้เรื่องเดิม"


def adding_answers(found_after: str = "national_id", **changes) -> list:
    """The answers of a report of a child already on file that reach the card: told of the child's case
    right after `found_after` ("national_id"; "village" for a case found by name, birth date and area),
    "เพิ่มข้อมูลให้เรื่องเดิม", then only the new details (a case found by ID asks neither the birth nor
    the village). `changes` as plain_answers'."""
    steps = _plain_steps(changes)
    if found_after == "national_id":
        del steps["birth"], steps["village"]
    names = list(steps)
    at = names.index(found_after) + 1
    return [step for step in [*[steps[n] for n in names[:at]], ADD_TO_CASE, *[steps[n] for n in names[at:]]]
            if step is not None]


def _plain_steps(changes: dict) -> dict:
    steps = {"name": "ด.ญ. สมศรี มีสุข", "national_id": ID, "birth": "อายุ 12", "village": "บ้านสำราญ หมู่ที่ 1",
             "home": "45 หมู่ 1", "situation": "อยู่บ้าน ไม่ได้เรียน", "reason": "บ้านไกล/เดินทางลำบาก",
             "wants": "กลับเข้าโรงเรียน", "guardian": "ข้าม", "photo": "ไม่มีรูป"}
    steps.update(changes)
    if isinstance(steps["photo"], tuple):
        steps.setdefault("photo_consent", "ยินยอม")
    return steps


def refer(chat: Chat, case_id: int, kind: str, organisation: str, note: str = "ข้าม") -> list[dict]:
    """Refer a case to an organisation of `kind`; return what "ยืนยัน" got."""
    chat.taps(f"action=refer&case={case_id}")
    chat.says(kind)
    chat.says(organisation)
    chat.says(note)
    return chat.says("ยืนยัน")


def import_list(app, tmp_path, rows) -> None:
    """Import these list rows as `flask list import` does."""
    path = tmp_path / "list.csv"
    path.write_bytes(to_csv(list_table(rows)))
    result = app.test_cli_runner().invoke(args=["list", "import", str(path)])
    assert result.exit_code == 0, result.output


# ----------------------------------------------------------------------------- free-text reports

def seeded_lists() -> dict[str, list[Option]]:
    """The situation, reason and wants lists as the migrations seed them, with their synonyms (0022)."""
    labels: dict[str, dict[str, str]] = {}
    synonyms: dict[str, dict[str, list[str]]] = {}
    for script in reversed(list(ScriptDirectory(MIGRATIONS).walk_revisions())):
        for list_name, options in getattr(script.module, "SEED", {}).items():
            labels.setdefault(list_name, {}).update((code, label) for code, label, *_ in options)
        synonyms.update(getattr(script.module, "SYNONYMS", {}))
    return {list_name: [Option(code, label, tuple(synonyms[list_name].get(code, ())))
                        for code, label in labels[list_name].items()]
            for list_name in ("situation", "reason", "wants")}


# What domain.report_text may match a message against: villages with หมู่ numbers, one name inside another's,
# one short enough to be inside words ("ทำนา").
REPORT_KNOWN = Known(villages=[(11, "บ้านหนองไผ่ หมู่ที่ 3"), (12, "บ้านโคกสี หมู่ที่ 2"), (13, "บ้านดอนหัน หมู่ที่ 5"),
                               (14, "บ้านสำราญ หมู่ที่ 1"), (15, "บ้านหนองไผ่ล้อม หมู่ที่ 7"),
                               (16, "บ้านนา หมู่ที่ 4")],
                     lists=seeded_lists(), today=date(2026, 11, 23))


def check_parsed(parsed: Parsed, known: Known = REPORT_KNOWN) -> None:
    """Every field is in the format the report flow's step parsers store (handlers.report_child)."""
    fields = parsed.fields
    assert parsed.children >= 0 and fields.keys() <= {"title", "name", "national_id", "birth", "village", "home",
                                                      "situation", "reason", "wants", "guardian"}, parsed
    assert fields.get("title", "เด็กชาย") in TITLE_SEX
    if "name" in fields:
        assert fields["name"].keys() == {"first", "last"} and all(fields["name"].values())
    assert national_id_checksum_ok(fields.get("national_id", "1103702071838"))
    if "birth" in fields:
        birth = fields["birth"]
        assert parse_birth(birth["date"] or str(birth["age"]), today=known.today).age_years == birth["age"]
    assert fields.get("village", known.villages[0][0]) in dict(known.villages)
    assert 0 < len(fields.get("home", {"address": "-"})["address"]) <= 100
    for list_name, options in known.lists.items():
        assert fields.get(list_name, options[0].code) in {option.code for option in options}
    if "guardian" in fields:
        guardian = fields["guardian"]
        assert guardian.keys() == {"name", "phone", "relation"} and (guardian["name"] or guardian["phone"])
        assert guardian["phone"] is None or parse_phone(guardian["phone"], mobile_only=False) == guardian["phone"]


# ----------------------------------------------------------------------------- time

class MovableClock:
    """Real time shifted to a chosen moment, so rows queued just now are already due."""

    def __init__(self):
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def move_to(self, moment: datetime) -> None:
        self.offset = moment - utcnow()


def next_evening() -> datetime:
    """The next 21:30 in Bangkok, at least a minute from now."""
    now = utcnow().astimezone(BANGKOK) + timedelta(minutes=1)
    moment = datetime.combine(now.date(), clock_time(21, 30), tzinfo=BANGKOK)
    return moment if moment > now else moment + timedelta(days=1)
