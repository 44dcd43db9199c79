"""Fixtures: the app on SQLite and on PostgreSQL, the fake LINE platform, and a chatting user."""
from __future__ import annotations

import os
import shutil
import uuid
from urllib.parse import urlsplit

import psycopg
import pytest
from hypothesis import settings
from sqlalchemy import create_engine, select, text

from bench.common import THROWAWAY_DATA_KEY, fresh_postgres
from bot import create_app
from bot.db_cli import upgrade_database
from devtools.fakeline import FakeLine
import helpers
from helpers import SECRET, TOKEN, app_config
from models import Base

# Background sender threads share the CPU with the tests: time limits per example would flake.
settings.register_profile("default", deadline=None)
settings.load_profile("default")

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _postgres_database():
    """Create a database with a random name on the local server; skip when there is none."""
    try:
        psycopg.connect(PG_ADMIN_URL, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        host = urlsplit(PG_ADMIN_URL).hostname
        pytest.skip(f"PostgreSQL not reachable at {host} (set TEST_POSTGRES_URL): {str(exc).strip()[:120]}")
    with fresh_postgres(PG_ADMIN_URL, "test_bot") as url:
        yield url


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def migrated_database(request, tmp_path_factory):
    """One migrated database per backend for the whole run."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'template.sqlite3'}"
        _migrate(url)
        yield url
    else:
        for url in _postgres_database():
            _migrate(url)
            yield url


@pytest.fixture
def database_url(migrated_database, tmp_path):
    """A clean, migrated database for one test: a copy of the SQLite template, or PostgreSQL truncated.

    Emptying by copy or TRUNCATE also works for the append-only audit log, whose triggers refuse DELETE.
    """
    if migrated_database.startswith("sqlite"):
        copy = tmp_path / "test.sqlite3"
        shutil.copyfile(migrated_database.removeprefix("sqlite:///"), copy)
        return f"sqlite:///{copy}"
    engine = create_engine(migrated_database.replace("postgresql://", "postgresql+psycopg://"))
    # Reference data seeded by the migrations (choice lists) stays.
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables if not t.info.get("reference_data"))
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return migrated_database


def _migrate(url: str) -> None:
    app = create_app({"DATABASE_URL": url, "TESTING": True, "DATA_ENCRYPTION_KEY": THROWAWAY_DATA_KEY})
    with app.app_context():
        upgrade_database()
    app.extensions["db"].dispose()


@pytest.fixture(scope="session")
def line_server():
    fake = FakeLine(SECRET, TOKEN)
    base_url = fake.serve()
    yield fake, base_url
    fake.shutdown()


@pytest.fixture
def line(line_server):
    fake, _ = line_server
    fake.reset()
    yield fake
    fake.reset()


# Every app of the running test: any of them may deliver a queued message (their pollers share the
# database, like gunicorn workers), so a test waits for all of them before reading what LINE got.
LIVE_APPS: list = []


def settle() -> None:
    for app in LIVE_APPS:
        assert app.extensions["sender"].wait_idle(10), "sender did not finish"


@pytest.fixture
def make_app(line_server):
    """Build further apps (another worker, a broken database); each is shut down after the test."""

    def make(database_url: str, factory=create_app, **extra):
        LIVE_APPS.append(factory(app_config(database_url, line_server[1], **extra)))
        return LIVE_APPS[-1]

    yield make
    for app in LIVE_APPS:
        helpers.shut_down(app)
    LIVE_APPS.clear()


@pytest.fixture
def app(database_url, make_app, line):
    return make_app(database_url)


@pytest.fixture
def db(app):
    return app.extensions["db"]


@pytest.fixture
def client(app):
    return app.test_client()


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


@pytest.fixture
def chat(app, client, line):
    return Chat(app, client, line, "U" + uuid.uuid4().hex)


@pytest.fixture
def new_chat(app, client, line):
    """Make further users: new_chat() -> Chat."""
    return lambda user_id=None: Chat(app, client, line, user_id or "U" + uuid.uuid4().hex)



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


@pytest.fixture
def areas(db) -> dict[str, int]:
    """The sample area tree in the database; returns area ids by code."""
    from models import Area

    ids: dict[str, int] = {}
    with db.transaction() as session:
        for code, level, name, parent in AREA_TREE:
            area = Area(code=code, level=level, name=name, parent_id=ids.get(parent))
            session.add(area)
            session.flush()
            ids[code] = area.id
    return ids


@pytest.fixture
def registered(db, areas):
    """Make a chat's user a registered, active user with `role` for the area `area_code`; `national=True`
    grants a coordinator the whole country (without it, no area and no organisation is no scope at all)."""
    from models import User, utcnow

    def register(chat: Chat, role: str = "reporter", area_code: str | None = "400101",
                 real_name: str = "สมชาย ใจดี", phone: str = "0812345678", national: bool = False) -> Chat:
        with db.transaction() as session:
            user = session.scalar(select(User).where(User.line_user_id == chat.user_id))
            if user is None:
                user = User(line_user_id=chat.user_id)
                session.add(user)
            user.role, user.real_name, user.phone = role, real_name, phone
            user.area_id = areas[area_code] if area_code else None
            user.national_scope = national
            user.pdpa_accepted_at = user.registered_at = utcnow()
        return chat

    return register


@pytest.fixture
def rich_menus(app, line) -> dict[str, str]:
    """Rich menus synced to the fake LINE platform; returns their LINE ids by menu name."""
    from models import RichMenu

    result = app.test_cli_runner().invoke(args=["richmenu", "sync"])
    assert result.exit_code == 0, result.output
    with app.extensions["db"].transaction() as session:
        return {m.name: m.line_rich_menu_id for m in session.scalars(select(RichMenu))}


@pytest.fixture
def organisations(db, areas) -> dict[str, int]:
    """A primary service area office covering both sample districts and a school in ตำบลในเมือง; ids by code."""
    from domain import people
    from models import Area

    with db.transaction() as session:
        def area(code):
            return session.scalar(select(Area).where(Area.code == code))

        spp = people.save_organisation(session, "primary_service_area", "สพป.ขอนแก่น เขต 1", "SPP40-1",
                                       [area("4001"), area("4002")])
        school = people.save_organisation(session, "school", "โรงเรียนบ้านโนนทัน", "1040010101", [area("400101")])
        return {"SPP40-1": spp.id, "1040010101": school.id}


@pytest.fixture
def invite_code(db, areas):
    """Make an invite: invite_code(role, area_code=None, org_code=None, uses=1, days=14) -> its code as shown."""
    from domain import people
    from models import utcnow

    def make(role: str = "reporter", area_code: str | None = "400101", org_code: str | None = None,
             uses: int = 1, days: int = 14) -> str:
        with db.transaction() as session:
            area = people.find_area(session, area_code) if area_code else None
            org = people.find_organisation(session, org_code) if org_code else None
            invite = people.create_invite(session, role, org, area, now=utcnow(), days=days, max_uses=uses)
            return people.format_invite_code(invite.code)

    return make


@pytest.fixture
def deliver_queued(app):
    """Deliver what a CLI command queued, as the web process's poller would."""
    return lambda: helpers.deliver_queued(app)


@pytest.fixture
def run_exports(app):
    """Make the files asked for and deliver their links, as the exporter's poller would."""
    exporter, sender = app.extensions["exporter"], app.extensions["sender"]

    def run():
        exporter.ensure_started()
        exporter.poll()
        assert exporter.wait_idle(60) and sender.wait_idle(10), "export did not finish"

    return run


@pytest.fixture
def make_case(db, areas):
    """Open a case: make_case(area_code, status="found", days_idle=0, **Case columns) -> its id.

    `days_idle` backdates it (opened and last changed that many days ago), for overdue cases.
    """
    from datetime import timedelta

    from models import open_case, utcnow

    made = []

    def make(area_code: str | None = "40010101", status: str = "found", days_idle: int = 0, **fields) -> int:
        when = utcnow() - timedelta(days=days_idle)
        fields = {"first_name": f"เด็ก{len(made) + 1}", "last_name": "ทดสอบ", "source": "import",
                  "area_id": areas[area_code] if area_code else None, **fields}
        with db.transaction() as session:
            case, _ = open_case(session, fields, None, now=when, status=status, kind="listed")
            session.flush()
            made.append(case.id)
        return made[-1]

    return make
