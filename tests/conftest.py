"""Fixtures, and only fixtures (helpers are in helpers.py): the app on SQLite and on PostgreSQL, the fake
LINE platform, chatting users, areas, organisations, listed children, and the served simulator."""
from __future__ import annotations

import logging
import shutil
import uuid
from datetime import timedelta

import pytest
from hypothesis import settings
from sqlalchemy import select

import helpers  # helpers.deliver_queued, which the fixture of that name wraps
from bot import create_app
from devtools.fakeline import FakeLine
from devtools.synthetic import generate_list
from domain import people
from helpers import (
    AREA_TREE,
    CHROMIUM_ARGS,
    LIVE_APPS,
    SECRET,
    TOKEN,
    Chat,
    MovableClock,
    TableEmptier,
    app_config,
    cases_in,
    import_list,
    migrate,
    postgres_database,
    served_simulator,
    shut_down,
)
from models import LISTED, Area, Base, FollowUpRound, RichMenu, StepDeadline, User, open_case, utcnow

# Background sender threads share the CPU with the tests: time limits per example would flake.
settings.register_profile("default", deadline=None)
settings.load_profile("default")


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def migrated_database(request, tmp_path_factory):
    """One migrated database per backend for the whole run."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'template.sqlite3'}"
        migrate(url)
        yield url
    else:
        for url in postgres_database():
            migrate(url)
            yield url


@pytest.fixture(scope="session")
def table_emptier(migrated_database):
    """PostgreSQL's way of cleaning the database between tests (helpers.TableEmptier); None on SQLite."""
    if migrated_database.startswith("sqlite"):
        yield None
        return
    # Reference data seeded by the migrations (choice lists) stays.
    emptier = TableEmptier(migrated_database, [t.name for t in Base.metadata.sorted_tables
                                               if not t.info.get("reference_data")])
    yield emptier
    emptier.dispose()


@pytest.fixture
def database_url(migrated_database, table_emptier, tmp_path):
    """A clean, migrated database for one test: a copy of the SQLite template, or PostgreSQL emptied of
    what the last test wrote (table_emptier)."""
    if table_emptier is None:
        copy = tmp_path / "test.sqlite3"
        shutil.copyfile(migrated_database.removeprefix("sqlite:///"), copy)
        return f"sqlite:///{copy}"
    table_emptier.empty()
    return migrated_database


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


@pytest.fixture
def make_app(line_server):
    """Build further apps (another worker, a broken database); each is shut down after the test."""

    def make(database_url: str, factory=create_app, **extra):
        LIVE_APPS.append(factory(app_config(database_url, line_server[1], **extra)))
        return LIVE_APPS[-1]

    yield make
    for app in LIVE_APPS:
        shut_down(app)
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


@pytest.fixture
def chat(app, client, line):
    return Chat(app, client, line, "U" + uuid.uuid4().hex)


@pytest.fixture
def new_chat(app, client, line):
    """Make further users: new_chat() -> Chat."""
    return lambda user_id=None: Chat(app, client, line, user_id or "U" + uuid.uuid4().hex)



@pytest.fixture
def areas(db) -> dict[str, int]:
    """The sample area tree in the database; returns area ids by code."""
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
    result = app.test_cli_runner().invoke(args=["richmenu", "sync"])
    assert result.exit_code == 0, result.output
    with app.extensions["db"].transaction() as session:
        return {m.name: m.line_rich_menu_id for m in session.scalars(select(RichMenu))}


@pytest.fixture
def organisations(db, areas) -> dict[str, int]:
    """A primary service area office covering both sample districts and a school in ตำบลในเมือง; ids by code."""
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
    def make(role: str = "reporter", area_code: str | None = "400101", org_code: str | None = None,
             uses: int = 1, days: int = 14) -> str:
        with db.transaction() as session:
            area = people.find_area(session, area_code) if area_code else None
            org = people.find_organisation(session, org_code) if org_code else None
            invite = people.create_invite(session, role, org, area, now=utcnow(), days=days, max_uses=uses)
            return people.format_invite_code(invite.code)

    return make


@pytest.fixture
def no_handler_failed(caplog):
    """Fail the test if any handler raised or the database refused a write (the dispatcher logs it and
    apologises to the user): for the acceptance transcripts, where a polite apology must not hide a bug."""
    caplog.set_level(logging.ERROR, logger="chat.dispatcher")
    yield
    failed = [r.getMessage() for r in caplog.records if "handler failed" in r.getMessage()
              or "database refused" in r.getMessage()]
    assert not failed, failed


@pytest.fixture
def clock(app) -> MovableClock:
    """The time the webhook's handlers act at, moved by the test (jobs take their `now` instead)."""
    moved = MovableClock()
    app.extensions["dispatcher"].clock = moved
    return moved


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
    made = []

    def make(area_code: str | None = "40010101", status: str = "found", days_idle: int = 0, **fields) -> int:
        when = utcnow() - timedelta(days=days_idle)
        fields = {"first_name": f"เด็ก{len(made) + 1}", "last_name": "ทดสอบ", "source": LISTED,
                  "area_id": areas[area_code] if area_code else None, **fields}
        with db.transaction() as session:
            case, _ = open_case(session, fields, None, now=when, status=status, kind="listed")
            session.flush()
            made.append(case.id)
        return made[-1]

    return make


@pytest.fixture
def schools(db, areas, organisations) -> dict[str, int]:
    """Besides the fixture's school in ตำบลในเมือง: one in ตำบลสำราญ, a สกร. office for the district
    and a school in the other district."""
    with db.transaction() as session:
        def area(code):
            return people.find_area(session, code)

        made = {
            "samran": people.save_organisation(session, "school", "โรงเรียนบ้านสำราญ", "1040010201", [area("400102")]),
            "skr": people.save_organisation(session, "learning_promotion", "สกร.อำเภอเมืองขอนแก่น", "SKR4001",
                                            [area("4001")]),
            "faang": people.save_organisation(session, "school", "โรงเรียนบ้านฝาง", "1040020101", [area("400201")]),
        }
        return {"nontan": organisations["1040010101"], **{k: v.id for k, v in made.items()}}


@pytest.fixture
def listed(app, tmp_path, db, areas):
    """Twelve children of the sample province imported from a list; returns the cases in ตำบลสำราญ."""
    import_list(app, tmp_path, generate_list(12, seed=3))
    samran = cases_in(db, "400102")
    assert len(samran) >= 2 and cases_in(db, "4002")
    return samran


@pytest.fixture
def simulator(database_url):
    """The devtools app (the bot with the simulator), served on a free port: its senders reach the fake it mounts."""
    with served_simulator(database_url) as served:
        yield served


@pytest.fixture
def browser(database_url):
    """Headless Chromium through Playwright (Debian's chromium, apt-get install chromium), for the browser
    tests; they are skipped, saying why, on PostgreSQL (to keep CI short), without Chromium, or when
    Playwright cannot start it."""
    if not database_url.startswith("sqlite"):
        pytest.skip("the browser tests run on SQLite only, to keep CI short")
    chromium = shutil.which("chromium")
    if not chromium:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    # Imported here: only these tests need playwright, and only where Chromium is (skipped above otherwise).
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        try:
            launched = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        except PlaywrightError as exc:
            pytest.skip(f"Playwright cannot launch {chromium}: {str(exc).splitlines()[0]}")
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def reference_rows(db):
    """The deadlines and rounds are reference data that PostgreSQL tests keep: put them back afterwards."""
    with db.transaction() as session:
        deadlines = [(r.status, r.days, r.action, r.active) for r in session.scalars(select(StepDeadline))]
        rounds = [(r.day, r.active) for r in session.scalars(select(FollowUpRound))]
    yield
    with db.transaction() as session:
        session.execute(StepDeadline.__table__.delete())
        session.execute(FollowUpRound.__table__.delete())
        session.add_all(StepDeadline(status=s, days=d, action=a, active=on) for s, d, a, on in deadlines)
        session.add_all(FollowUpRound(day=d, active=on) for d, on in rounds)
