"""Attacks on scope (issue 12, points 2-4), as the attacker would make them: signed webhooks, the CLI, a look
at the tables. Invites and deadlines stay inside the inviter's scope; missing data never widens a scope;
every flow checks its roles; every postback action refuses another area's ids.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import bindparam, func, select
from sqlalchemy import text as sql
from sqlalchemy import update

import handlers
from bot import create_app
from bot.db_cli import upgrade_database
from chat import flow
from chat.flow import Flow, Step, text_answer
from domain import access, people, watch
from domain.deadlines import create_deadline, today_in_bangkok
from domain.menu_labels import (
    MENU_AREA_SUMMARY,
    MENU_CHILDREN_TO_FIND,
    MENU_EXPORT_REPORT,
    MENU_INVITE,
    MENU_REPORT_CHILD,
    MENU_SET_DEADLINE,
)
from helpers import (
    THROWAWAY_DATA_KEY,
    flex_texts,
    postgres_database,
    quick_reply_labels,
    register,
    shut_down,
    texts_of,
)
from models import (
    ROLES,
    AuditEntry,
    Case,
    CaseEvent,
    CaseTransfer,
    ClassListUpload,
    Conversation,
    Deadline,
    DeadlineReport,
    Download,
    ExportJob,
    Invite,
    Organisation,
    Referral,
    User,
    WatchEvent,
    WatchStudent,
    utcnow,
)
from models.base import UTCDateTime

# ------------------------------------------------------------------ helpers

def user_of(db, chat) -> User:
    with db.transaction() as session:
        return session.scalar(select(User).where(User.line_user_id == chat.user_id))


def set_user(db, chat, **values) -> None:
    with db.transaction() as session:
        session.execute(update(User).where(User.line_user_id == chat.user_id).values(**values))


def count(db, model, *where) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def new_organisation(db, code: str, area_codes: list[str], kind: str = "school") -> int:
    with db.transaction() as session:
        areas = [people.find_area(session, c) for c in area_codes]
        return people.save_organisation(session, kind, f"หน่วยงาน {code}", code, areas).id


def in_organisation(db, chat, registered, org_id: int, role: str = "coordinator"):
    """A coordinator (or teacher) of an organisation: no area of their own."""
    registered(chat, role, None)
    set_user(db, chat, organisation_id=org_id)
    return chat


def cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def be(day) -> str:
    return f"{day.day}/{day.month}/{day.year + 543}"


def start_deadline(chat) -> list[dict]:
    """"ตั้งกำหนดส่ง" up to the form, the question before the area; returns what the last answer got."""
    chat.says(MENU_SET_DEADLINE)
    chat.says("รายงานผลการติดตามเด็ก รอบที่ 1")
    chat.says(be(today_in_bangkok(utcnow()) + timedelta(days=10)))
    chat.says("อปท.")
    chat.says("ผู้รายงาน")
    chat.says("ติดตามครบทุกคน")
    return chat.says("ไม่มี")


# ------------------------------------------------------------------ point 3: scope never fails open

@pytest.mark.parametrize("missing", ["no area, no organisation, no grant", "an organisation without areas"])
def test_a_coordinator_whose_scope_data_is_missing_sees_nothing_not_the_country(
        missing, chat, registered, db, make_case):
    if missing == "an organisation without areas":
        in_organisation(db, chat, registered, new_organisation(db, "MOE", [], kind="ministry"))
    else:
        registered(chat, "coordinator", None)
    secrets = [make_case("40010101", "to_find", first_name="ลับหนึ่ง"),
               make_case("40020101", "to_find", first_name="ลับสอง"),
               make_case(None, "to_find", first_name="ลับสาม")]  # no area: national scope only
    with db.transaction() as session:
        numbers = [session.get(Case, case_id).number for case_id in secrets]

    shown = flex_texts(chat.says(MENU_AREA_SUMMARY)[0])
    assert "ทั้งหมด 0 คน" in shown and "ยังไม่ได้กำหนดพื้นที่" in shown and "ทั้งประเทศ" not in shown
    replies = [chat.says(MENU_CHILDREN_TO_FIND), *(chat.says(number) for number in numbers),
               chat.says("ค้นหา ลับ")]
    assert "ลับ" not in str(replies[0]) and all("ไม่พบเด็กที่ตรงกับ" in r[0]["text"] for r in replies[1:])
    assert texts_of(chat.says(MENU_EXPORT_REPORT)) == [access.NO_SCOPE]
    assert texts_of(chat.taps("action=export&format=csv")) == [access.NO_SCOPE]
    assert texts_of(chat.says(MENU_SET_DEADLINE)) == [access.NO_SCOPE]
    chat.says(MENU_INVITE)
    chat.says("ผู้แจ้งข้อมูล")
    assert "นอกพื้นที่" in chat.says("400101")[0]["text"]
    assert count(db, ExportJob) == count(db, Download) == count(db, Deadline) == count(db, Invite) == 0
    with db.transaction() as session:
        user = session.scalar(select(User).where(User.line_user_id == chat.user_id))
        assert access.scope_prefixes(user) == () and not access.sees_national_ids(user)
        assert user not in access.coordinators_covering(session, None)


def test_rerunning_org_create_without_areas_is_refused_and_keeps_everyones_scope(app, db, chat, registered,
                                                                                organisations):
    in_organisation(db, chat, registered, organisations["SPP40-1"])
    result = cli(app, "org", "create", "--kind", "primary_service_area", "--name", "สพป. ชื่อใหม่", "--code", "SPP40-1")
    assert result.exit_code != 0 and "give its areas again with --area" in result.output
    with db.transaction() as session:
        org = session.get(Organisation, organisations["SPP40-1"])
        assert (org.name, sorted(a.code for a in org.areas)) == ("สพป.ขอนแก่น เขต 1", ["4001", "4002"])
        assert access.scope_prefixes(session.get(User, user_of(db, chat).id)) == ("4001", "4002")
    # Narrowing it is a deliberate act: the areas given again.
    assert cli(app, "org", "create", "--kind", "primary_service_area", "--name", "สพป.ขอนแก่น เขต 1",
               "--code", "SPP40-1", "--area", "4001").exit_code == 0
    with db.transaction() as session:
        assert access.scope_prefixes(session.get(User, user_of(db, chat).id)) == ("4001",)


def test_national_scope_comes_only_from_an_explicit_grant_on_the_cli(app, db, chat, new_chat, areas, registered):
    assert "would give no area" in cli(app, "invite", "create", "--role", "coordinator").output
    assert "only a coordinator" in cli(app, "invite", "create", "--role", "reporter", "--national").output
    assert "only a coordinator" in cli(app, "invite", "create", "--role", "coordinator", "--national",
                                       "--area", "4001").output
    result = cli(app, "invite", "create", "--role", "coordinator", "--national")
    assert result.exit_code == 0 and "whole country" in result.output
    register(chat, result.output.splitlines()[0])
    assert user_of(db, chat).national_scope
    assert "ทั้งประเทศ" in flex_texts(chat.says(MENU_AREA_SUMMARY)[0])

    # set-role gives the grant only when told, and takes it away otherwise.
    other = registered(new_chat(), "reporter", "400101", phone="0899999999")
    result = cli(app, "users", "set-role", other.user_id, "coordinator", "--area", "none")
    assert result.exit_code == 0 and "ยังไม่ได้กำหนดพื้นที่" in result.output
    assert "ทั้งประเทศ" in cli(app, "users", "set-role", other.user_id, "coordinator", "--national").output
    assert user_of(db, other).national_scope
    assert "--national is for the coordinator" in cli(app, "users", "set-role", other.user_id, "reporter",
                                                      "--national").output
    cli(app, "users", "set-role", other.user_id, "coordinator")
    assert not user_of(db, other).national_scope


@pytest.fixture(params=["sqlite", "postgresql"])
def database_at_0010(request, tmp_path):
    """An empty database migrated up to the revision before 0011, and an app on it."""
    if request.param == "sqlite":
        urls = iter([f"sqlite:///{tmp_path / 'old.sqlite3'}"])
    else:
        urls = postgres_database()
    for url in urls:
        app = create_app({"DATABASE_URL": url, "TESTING": True, "DATA_ENCRYPTION_KEY": THROWAWAY_DATA_KEY})
        with app.app_context():
            upgrade_database("0010")
        yield app
        shut_down(app)


def test_the_migration_grants_national_scope_only_to_the_old_rules_deliberate_nationals(database_at_0010):
    app = database_at_0010
    engine = app.extensions["db"].engine
    now = bindparam("now", utcnow(), type_=UTCDateTime())
    with engine.begin() as conn:
        conn.execute(sql("INSERT INTO areas (id, code, level, name) VALUES (1, '40', 'province', 'ขอนแก่น')"))
        conn.execute(sql("INSERT INTO organisations (id, kind, name, code) VALUES (1, 'ministry', 'กระทรวง', 'MOE')"))
        for uid, role, area, org in [("Unational", "coordinator", None, None), ("Uprovince", "coordinator", 1, None),
                                     ("Uemptyorg", "coordinator", None, 1), ("Ureporter", "reporter", None, None),
                                     ("Uadmin", "admin", None, None)]:
            conn.execute(sql("INSERT INTO users (line_user_id, following, created_at, role, area_id, organisation_id, "
                             "active) VALUES (:u, :t, :now, :role, :area, :org, :t)").bindparams(now),
                         {"u": uid, "t": True, "role": role, "area": area, "org": org})
        for code, role, org in [("NATIONAL", "coordinator", None), ("ORGONLY1", "coordinator", 1)]:
            conn.execute(sql("INSERT INTO invites (code, role, organisation_id, max_uses, uses, expires_at, "
                             "created_at) VALUES (:code, :role, :org, 1, 0, :now, :now)").bindparams(now),
                         {"code": code, "role": role, "org": org})
    with app.app_context():
        upgrade_database()
    with engine.begin() as conn:
        granted = {row[0] for row in conn.execute(sql("SELECT line_user_id FROM users WHERE national_scope"))}
        invites = {row[0] for row in conn.execute(sql("SELECT organisation_id FROM invites WHERE national_scope"))}
    assert granted == {"Unational"} and invites == {None}  # the code "NATIONAL", not the organisation's


# ------------------------------------------------------------------ point 2: invites inside the inviter's scope

def test_an_invite_for_an_organisation_reaching_outside_the_district_is_refused(chat, registered, db, organisations):
    registered(chat, "coordinator", "4001")
    straddling = new_organisation(db, "1040020101", ["400101", "400201"])  # a school serving both districts
    chat.says(MENU_INVITE)
    chat.says("ผู้แจ้งข้อมูล")
    chat.says("400101")  # the area lies inside the district ...
    for org_code in ("SPP40-1", "1040020101"):  # ... but these organisations' areas do not, all of them
        [refused] = chat.says(org_code)
        assert "กว้างกว่าพื้นที่ของท่าน" in refused["text"], org_code
    assert "ใช้ได้กี่คน" in chat.says("1040010101")[0]["text"]  # a school inside the district is fine
    chat.says("ยกเลิก")
    assert count(db, Invite) == 0
    # Wherever an invite is made on a coordinator's behalf, the same rule holds.
    with db.transaction() as session:
        district = session.scalar(select(User).where(User.line_user_id == chat.user_id))
        for org_id in (organisations["SPP40-1"], straddling):
            with pytest.raises(ValueError, match="outside the scope"):
                people.create_invite(session, "reporter", session.get(Organisation, org_id),
                                     people.find_area(session, "400101"), now=utcnow(), created_by=district)


def test_the_confirmation_checks_the_inviters_scope_again(chat, registered, db, areas):
    registered(chat, "coordinator", "4001")
    chat.says(MENU_INVITE)
    chat.says("ผู้แจ้งข้อมูล")
    chat.says("400101")
    chat.says("ไม่ระบุหน่วยงาน")
    chat.says("1")
    set_user(db, chat, area_id=areas["4002"])  # moved to the other district meanwhile
    assert "กว้างกว่าพื้นที่ของท่าน" in chat.says("ยืนยัน")[0]["text"]
    assert count(db, Invite) == 0


def test_only_a_national_coordinator_makes_a_national_invite(chat, new_chat, registered, db):
    district = registered(new_chat(), "coordinator", "40")
    district.says(MENU_INVITE)
    [ask_area] = district.says("ผู้ประสานงาน")
    assert "ทั้งประเทศ" not in quick_reply_labels(ask_area)
    assert "เฉพาะผู้ประสานงานระดับประเทศ" in district.says("ทั้งประเทศ")[0]["text"]
    district.says("ทั้งพื้นที่ของฉัน")
    district.says("ไม่ระบุหน่วยงาน")
    district.says("1")
    district.says("ยืนยัน")  # a province coordinator, not a national one

    registered(chat, "coordinator", None, national=True)
    chat.says(MENU_INVITE)
    chat.says("ผู้แจ้งข้อมูล")
    assert "สำหรับผู้ประสานงานเท่านั้น" in chat.says("ทั้งประเทศ")[0]["text"]  # a national reporter: no
    chat.says("ย้อนกลับ")
    [ask_area] = chat.says("ผู้ประสานงาน")
    assert "ทั้งประเทศ" in quick_reply_labels(ask_area)
    chat.says("ทั้งประเทศ")
    chat.says("ไม่ระบุหน่วยงาน")
    assert "พื้นที่ที่ดูแล: ทั้งประเทศ" in chat.says("1")[0]["text"]
    _, forward = chat.says("ยืนยัน")
    with db.transaction() as session:
        assert [(i.area_id is None, i.national_scope) for i in session.scalars(select(Invite).order_by(Invite.id))] \
            == [(False, False), (True, True)]
    invitee = new_chat()
    register(invitee, re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}", forward["text"]).group(), phone="0877777777")
    assert user_of(db, invitee).national_scope


# ------------------------------------------------------------------ point 2: deadlines inside the setter's scope

def test_an_organisation_coordinator_sets_a_deadline_for_one_of_its_areas(chat, registered, db, organisations):
    in_organisation(db, chat, registered, organisations["SPP40-1"])
    [ask_area] = start_deadline(chat)
    assert quick_reply_labels(ask_area) == ["เมืองขอนแก่น", "บ้านฝาง", "ย้อนกลับ", "ยกเลิก"]
    assert "เฉพาะผู้ประสานงานระดับประเทศ" in chat.says("ทั้งประเทศ")[0]["text"]
    assert "นอกพื้นที่" in chat.says("40")[0]["text"]  # the province is wider than the office
    [summary] = chat.taps("value=4002")  # the button: by code, as names repeat (อำเภอ/ตำบลบ้านฝาง)
    assert "อำเภอบ้านฝาง จังหวัดขอนแก่น" in summary["text"]
    assert "บันทึกกำหนดส่งแล้ว" in chat.says("ยืนยัน")[0]["text"]
    with db.transaction() as session:
        assert [d.area.code for d in session.scalars(select(Deadline))] == ["4002"]


def test_a_forged_area_answer_outside_the_organisation_saves_nothing(chat, registered, db, organisations):
    school = in_organisation(db, chat, registered, organisations["1040010101"])  # covers ตำบลในเมือง only
    start_deadline(school)
    assert "นอกพื้นที่" in school.taps("value=4002")[0]["text"]
    school.taps("value=400101")
    # The office's areas change before "ยืนยัน": the choice is checked again.
    new_organisation(db, "1040010101", ["400102"])
    assert texts_of(school.says("ยืนยัน")) == [access.OUT_OF_SCOPE]
    assert count(db, Deadline) == 0


def test_a_district_coordinator_cannot_set_a_national_deadline(chat, new_chat, registered, db):
    registered(chat, "coordinator", "4001")
    [summary] = start_deadline(chat)  # no area question: their own district
    assert "เมืองขอนแก่น" in summary["text"] and "ทั้งประเทศ" not in summary["text"]
    chat.says("ยืนยัน")
    national = registered(new_chat(), "coordinator", None, national=True, phone="0866666666")
    [ask_area] = start_deadline(national)
    assert "ทั้งประเทศ" in quick_reply_labels(ask_area)
    national.says("ทั้งประเทศ")
    national.says("ยืนยัน")
    with db.transaction() as session:
        assert sorted((d.area.code if d.area else "all") for d in session.scalars(select(Deadline))) == ["4001", "all"]


@pytest.mark.parametrize("change", [{"active": False}, {"role": "reporter"}])
def test_a_coordinator_deactivated_or_demoted_half_way_saves_nothing(change, chat, registered, db):
    registered(chat, "coordinator", "4001")
    start_deadline(chat)
    set_user(db, chat, **change)
    [refused] = chat.says("ยืนยัน")
    assert refused["text"] == (access.DEACTIVATED if "active" in change else access.NOT_ALLOWED)
    assert count(db, Deadline) == 0 and count(db, Conversation) == 0


# ------------------------------------------------------------------ point 4: the deadline postbacks

def test_a_forged_zero_report_records_nothing(chat, new_chat, registered, db):
    with db.transaction() as session:
        deadline = create_deadline(session, title="ลับเฉพาะอำเภอ", due_date=today_in_bangkok(utcnow()),
                                   area=people.find_area(session, "4001"), roles=["reporter"], remind_days=[0],
                                   rule="zero_allowed")
        people.save_organisation(session, "local_government", "อบต.ในเมือง", "LG1", [people.find_area(session, "400101")])
        data = f"action=deadline-zero&deadline={deadline.id}"
    attackers = {
        "unregistered": new_chat(),
        "outside the area": registered(new_chat(), "reporter", "400201"),
        "another role": registered(new_chat(), "teacher", "400101"),
        "deactivated": registered(new_chat(), "reporter", "400101"),
    }
    set_user(db, attackers["deactivated"], active=False)
    expected = {"unregistered": access.NOT_REGISTERED, "deactivated": access.DEACTIVATED}
    for who, attacker in attackers.items():
        [reply] = attacker.taps(data)
        assert "ลับเฉพาะอำเภอ" not in reply["text"], who
        assert reply["text"] == expected.get(who, handlers.nudge_organisation.NOT_YOURS), who
    assert count(db, DeadlineReport) == 0
    assert count(db, AuditEntry, AuditEntry.action == "denied", AuditEntry.subject_type == "deadline") == 2
    [thanks] = registered(new_chat(), "reporter", "40010101").taps(data)  # the audience still can
    assert "ขอบคุณ" in thanks["text"] and count(db, DeadlineReport) == 1


# ------------------------------------------------------------------ point 4: every flow declares its roles

def test_every_flow_declares_the_roles_the_engine_checks():
    assert flow.FLOWS, "handlers register their flows on import"
    for name, declared in flow.FLOWS.items():
        assert declared.roles and set(declared.roles) <= {access.UNREGISTERED, *ROLES}, name
    assert flow.FLOWS["register"].roles == access.ANYONE
    assert flow.FLOWS["deadline"].roles == access.COORDINATORS
    step = Step("x", "X?", text_answer(str))
    with pytest.raises(TypeError):
        Flow(name="forgetful", steps=[step], finish=lambda ctx, data: [])  # no roles: the point of the test
    with pytest.raises(ValueError, match="must declare its roles"):
        Flow(name="empty", steps=[step], finish=lambda ctx, data: [], roles=())


def test_a_reporter_deactivated_half_way_through_a_report_is_stopped(chat, registered, db):
    registered(chat, "reporter", "400101")
    chat.says(MENU_REPORT_CHILD)
    chat.says("ด.ช. สมชาย ใจดี")
    set_user(db, chat, active=False)
    assert texts_of(chat.says("ไม่ทราบ")) == [access.DEACTIVATED]
    assert count(db, Conversation) == 0 and count(db, Case) == 0


# ------------------------------------------------------------------ point 4: every postback action, forged

# For each postback action the routing table takes: the data an attacker forges, naming things in
# district 4002 (a case in the status the action needs, its pending referral, a deadline).
FORGED = {
    "deadline-zero": "deadline={deadline}",
    "deadline-card": "deadline={deadline}",
    "deadline-nudge": "deadline={deadline}&org={local_government}",
    "summary": "area=4002",
    "export": "area=4002&format=csv",
    "numbers": "area=4002&as=text",
    "todo": "page=1&q={number}",
    "mine": "page=1",
    "case": "case={found}",
    "checkin": "case={to_find}",
    "refer": "case={found}",
    "enrol": "case={found}",
    "revoke": "case={referred}",
    "staying": "case={back_in_school}",
    "dropped": "case={back_in_school}",
    "followup": "case={back_in_school}&answer=no",
    "close": "case={found}",
    "reopen": "case={closed}",
    "photos": "case={found}",
    "note": "case={found}",
    "referral_accept": "referral={referral}",
    "referral_decline": "referral={referral}",
    "work": "page=1",
    "claim": "case={to_find}",
    "assign": "case={found}",
    "transfer": "case={found}",
    "transfer_accept": "transfer={transfer}",
    "transfer_decline": "transfer={transfer}",
    # A notice setting is the user's own and names nothing of an area: forged, it can only be nonsense.
    "notice": "kind=case_update&mode=loud",
    # The watch list: the other district's school and its student.
    "watchlist": "school={school}",
    "student": "student={student}",
    "watch_group": "student={student}&group=normal",
    "watch_end": "student={student}",
    "attend": "student={student}&week=2026-W49&answer=none",
    "visit": "student={student}",
    "watch_left": "student={student}",
    # A class list the other district's school sent in the chat, waiting for its sender's tap.
    "class_import": "upload={upload}&do=import",
}
REFUSALS = ("นอกพื้นที่", "ไม่มีสิทธิ์", "ลงทะเบียน", "ไม่พบ", "ยังไม่มีเรื่องที่แจ้ง", "ยังไม่มีงาน")


def test_every_postback_action_of_the_routing_table_is_attacked():
    assert set(FORGED) == {route.action for route in handlers.ROUTES if route.kind == "postback"}


@pytest.fixture
def other_district(db, make_case, organisations):
    """Things in district 4002 to forge postbacks about: a case per status, a referral, a deadline and its
    local government."""
    ids = {status: make_case("40020101", status, first_name=f"ลับ{n}")
           for n, status in enumerate(("to_find", "found", "referred", "back_in_school", "closed"))}
    faang = new_organisation(db, "1040020199", ["400201"])
    # The deadline's audience: a local government with a child still to find, a laggard to nudge.
    ids["local_government"] = new_organisation(db, "LG400201", ["400201"], kind="local_government")
    with db.transaction() as session:
        referral = Referral(case_id=ids["referred"], organisation_id=faang, status="pending", created_at=utcnow())
        # The other district's case moving within it: only its coordinators may answer.
        transfer = CaseTransfer(case_id=ids["to_find"], kind="transfer", status="pending", created_at=utcnow(),
                                to_area_id=people.find_area(session, "400201").id)
        session.add_all([referral, transfer])
        deadline = create_deadline(session, title="ลับกำหนดส่ง", due_date=today_in_bangkok(utcnow()),
                                   area=people.find_area(session, "4002"), roles=list(ROLES), remind_days=[0])
        session.flush()
        ids |= {"referral": referral.id, "transfer": transfer.id, "deadline": deadline.id, "number": session.get(Case, ids["found"]).number}
        student, _ = watch.add_student(session, session.get(Organisation, faang),
                                       {"first_name": "ลับนักเรียน", "last_name": "ทดสอบ", "class_name": "ป.5/1",
                                        "group": "problem"}, None, now=utcnow(), rules=watch.Rules())
        uploader = User(line_user_id="Uuploader", role="coordinator", organisation_id=faang, registered_at=utcnow())
        session.add(uploader)
        session.flush()
        upload = ClassListUpload(user_id=uploader.id, school_id=faang, line_message_id="1", filename="ลับ.csv",
                                 content="ชื่อ,ชั้น,กลุ่ม\nลับนักเรียน,ป.5/1,ปกติ".encode(), status="stored", rows=1)
        session.add(upload)
        session.flush()
        ids |= {"school": faang, "student": student.id, "upload": upload.id}
    return ids


def snapshot(db) -> tuple:
    """Everything a forged postback could change."""
    with db.transaction() as session:
        return (sorted(session.execute(select(Case.id, Case.status, Case.school_name, Case.closed_reason,
                                              Case.owner_id, Case.area_id)).all()),
                sorted(session.execute(select(CaseTransfer.id, CaseTransfer.status)).all()),
                session.scalar(select(func.count()).select_from(CaseEvent)),
                sorted(session.execute(select(Referral.id, Referral.status)).all()),
                session.scalar(select(func.count()).select_from(DeadlineReport)),
                session.scalar(select(func.count()).select_from(ExportJob)),
                session.scalar(select(func.count()).select_from(Conversation)),
                sorted(session.execute(select(WatchStudent.id, WatchStudent.status, WatchStudent.group)).all()),
                session.scalar(select(func.count()).select_from(WatchEvent)),
                sorted(session.execute(select(ClassListUpload.id, ClassListUpload.decision,
                                              ClassListUpload.content.is_(None))).all()))


@pytest.mark.parametrize("role", ["reporter", "teacher", "coordinator", "unregistered"])
def test_forged_postbacks_with_another_areas_ids_are_refused(role, chat, registered, db, other_district,
                                                             organisations):
    if role == "teacher":
        in_organisation(db, chat, registered, organisations["1040010101"], role="teacher")
    elif role != "unregistered":
        registered(chat, role, "4001" if role == "coordinator" else "400101")
    before = snapshot(db)
    for action, data in FORGED.items():
        reply = chat.taps(f"action={action}&" + data.format(**other_district))
        assert reply and not any(m["type"] == "flex" for m in reply), (role, action)
        shown = str(reply)
        assert "ลับ" not in shown and other_district["number"] not in shown.replace(
            f"“{other_district['number']}”", ""), (role, action)  # the search echoes the words typed, nothing more
        assert any(word in m.get("text", "") for m in reply for word in REFUSALS), (role, action, reply)
    assert snapshot(db) == before
