"""Input hygiene, limits and start-up, invite-code guessing, and owner-only files (issue 12, points 9-12).

Each test acts as the attacker would: signed webhooks through the chat fixtures, the CLI, a look at the
tables and files. PostgreSQL enforces column lengths and refuses NUL, so these run on both databases.
"""
from __future__ import annotations

import csv
import io
import json
import os
import stat
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, text, update

import devtools
from bot import create_app
from chat import flow
from devtools.synthetic import broken_list, to_csv
from domain import people
from domain.menu_labels import MENU_DEACTIVATE, MENU_INVITE, MENU_SET_DEADLINE
from domain.thai import QUOTED, utf16_length
from domain.thai_dates import format_thai_datetime, now_bangkok
from handlers.check_in import OUTCOMES
from handlers.nudge_organisation import NUDGE_ACTION, ZERO_ACTION
from helpers import SECRET, TOKEN, app_config, flex_texts, plain_answers, quick_reply_labels, shut_down, texts_of, walk
from line.messages import MAX_TEXT
from models import Area, AuditEntry, Case, InboundEvent, Invite, User, utcnow

SORRY = "ขออภัย ระบบขัดข้อง"
TOO_LONG = "ข้อความยาวเกินไป"
# Every C0 and C1 control character but tab, newline and carriage return, and DEL.
CONTROLS = "".join(map(chr, [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]))


def case_number_prefix() -> str:
    return f"{now_bangkok().year + 543}-"


def rows(db, model, *where) -> list:
    with db.transaction() as session:
        return list(session.scalars(select(model).where(*where)))


def assert_polite(reply: list[dict], *expected: str) -> None:
    """A Thai answer within LINE's limits, never the apology for a failure."""
    said = " ".join(texts_of(reply))
    assert reply and SORRY not in said, said
    assert all(utf16_length(t) <= MAX_TEXT for t in texts_of(reply))
    for part in expected:
        assert part in said, said


# ------------------------------------------------------------------ point 9: control characters

def test_control_characters_never_reach_the_tables(chat, registered, db, line):
    registered(chat, "reporter", "400102")
    walk(chat, *plain_answers(name=f"ด.ช. สม\x00ชาย{CONTROLS} ใจ\x1bดี")[:4])  # up to the village
    chat.shares_location(16.43, 102.83, address="12 หมู่ 1\x00\x07 ต.สำราญ")
    for answer in ("อยู่บ้าน ไม่ได้เรียน", "บ้านไกล/เดินทางลำบาก", "กลับเข้าโรงเรียน",
                   "นาง\x00สมศรี\x85 ใจดี 081-234-5678", "ไม่มีรูป"):
        chat.says(answer)
    assert_polite(chat.says("ยืนยัน\x00"), case_number_prefix())
    [case] = rows(db, Case)
    assert (case.first_name, case.last_name, case.guardian_name) == ("สมชาย", "ใจดี", "นางสมศรี ใจดี")
    assert case.address == "12 หมู่ 1 ต.สำราญ"
    # Postback values too: a forged one with NUL and escape characters is read without them.
    [card] = chat.taps(f"action=case&case={case.id}%00%1b")
    assert "สมชาย" in " ".join(flex_texts(card))


def test_imported_list_cells_and_area_names_lose_control_characters(app, db, tmp_path):
    areas_csv = tmp_path / "areas.csv"
    areas_csv.write_text("code,name\n40,ขอน\x00แก่น\x1b\n4001,เมือง\x07ขอนแก่น\n", encoding="utf-8")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["areas", "load", str(areas_csv)]).exit_code == 0
    assert sorted(a.name for a in rows(db, Area)) == ["ขอนแก่น", "เมืองขอนแก่น"]
    listed = tmp_path / "list.csv"
    listed.write_text("ชื่อ,นามสกุล,ชั้นล่าสุด,ตำบล,อำเภอ,จังหวัด\n"
                      "สม\x00ชาย\x9b,ใจ\x01ดี,ป.\x0b6,ในเมือง,เมือง\x1fขอนแก่น,ขอนแก่น\n", encoding="utf-8")
    result = runner.invoke(args=["list", "import", str(listed), "--yes"])
    assert result.exit_code == 0, result.output
    [case] = rows(db, Case)
    assert (case.first_name, case.last_name, case.grade) == ("สมชาย", "ใจดี", "ป.6")


def test_an_imported_cell_longer_than_its_column_rejects_its_row(app, db, tmp_path):
    listed = tmp_path / "list.csv"
    listed.write_text(f"ชื่อ,นามสกุล,ตำบล,อำเภอ,จังหวัด\nสมชาย,ใจดี,ในเมือง,เมืองขอนแก่น,ขอนแก่น\n"
                      f"{'ก' * 101},ใจดี,ในเมือง,เมืองขอนแก่น,ขอนแก่น\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["list", "import", str(listed), "--yes"])
    assert result.exit_code == 0, result.output
    assert [c.first_name for c in rows(db, Case)] == ["สมชาย"]
    assert "ยาวเกิน" in (tmp_path / "list.csv.errors.csv").read_text(encoding="utf-8-sig")


def test_stored_control_characters_and_formulas_never_break_or_arm_an_export(app, db, make_case, tmp_path):
    # A value stored before input was cleaned (PostgreSQL never stores NUL).
    stored = CONTROLS.replace("\x00", "") if db.dialect == "postgresql" else CONTROLS
    make_case("40010101", first_name="=cmd|' /C calc'!A0", last_name=f"ใจ{stored}ดี", title="@x",
              school_name="+1\x1b", grade="-1")
    runner = app.test_cli_runner()
    for fmt in ("xlsx", "csv"):
        out = tmp_path / f"report.{fmt}"
        result = runner.invoke(args=["export", "--format", fmt, "--out", str(out)])
        assert result.exit_code == 0, result.output
        if fmt == "xlsx":
            book = load_workbook(out, read_only=True)  # read-only keeps the file open until closed
            cells = [c for row in book.active.iter_rows(values_only=True) for c in row if isinstance(c, str)]
            book.close()
        else:
            cells = [c for row in csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))) for c in row]
        assert "'=cmd|' /C calc'!A0" in cells and "ใจดี" in cells, fmt
        assert not any(c.startswith(("=", "+", "-", "@")) for c in cells), fmt  # formulas start with a quote
        assert not any(ch in CONTROLS for c in cells for ch in c), fmt


# ------------------------------------------------------------------ point 9: every free-text limit

def _report_until(step: str):
    """A reporter at the report flow's `step` (the answers before it from plain_answers)."""
    order = ["name", "national_id", "birth", "village", "home", "situation", "reason", "wants", "guardian"]

    def go(chat, registered, make_case):
        registered(chat, "reporter", "400102")
        answers = plain_answers()[:order.index(step)] if step != "situation_note" else [
            *plain_answers()[:order.index("situation")], "อื่น ๆ"]
        walk(chat, *answers)

    return go


def _check_in(outcome: str):
    def go(chat, registered, make_case):
        registered(chat, "reporter", "400101")
        chat.taps(f"action=checkin&case={make_case('40010101', 'to_find')}")
        chat.says(OUTCOMES[outcome])

    return go


def _referral_note(chat, registered, make_case):
    registered(chat, "coordinator", "4001")
    chat.taps(f"action=refer&case={make_case('40010101', 'found')}")
    chat.says("โรงเรียน")
    chat.says("โรงเรียนบ้านโนนทัน")


def _enrol_school(chat, registered, make_case):
    registered(chat, "coordinator", "4001")
    chat.taps(f"action=enrol&case={make_case('40010101', 'found')}")


def _deadline_title(chat, registered, make_case):
    registered(chat, "coordinator", "4001")
    chat.says(MENU_SET_DEADLINE)


def _invite_area(chat, registered, make_case):
    registered(chat, "coordinator", "4001")
    chat.says(MENU_INVITE)
    chat.says("ผู้แจ้งข้อมูล")


def _deactivate_who(chat, registered, make_case):
    registered(chat, "coordinator", "4001")
    chat.says(MENU_DEACTIVATE)


def _registration(step: str):
    def go(chat, registered, make_case, invite_code):
        chat.follows()
        chat.says("ยอมรับ")
        if step != "code":
            chat.says(invite_code())
        if step == "phone":
            chat.says("สมหญิง รักเรียน")

    return go


# (a step, how to reach it, the answer's length): the column's length and one more, or the 5,000
# characters LINE allows where the column is longer than any sensible answer.
FREE_TEXT_STEPS = {
    "report name": (_report_until("name"), 5000),
    "report national ID": (_report_until("national_id"), 5000),
    "report birth date": (_report_until("birth"), 5000),
    "report home": (_report_until("home"), 5000),
    "report situation note (Case.situation_note 500)": (_report_until("situation_note"), 501),
    "report guardian (Case.guardian_name 200)": (_report_until("guardian"), 5000),
    "check-in school (Case.school_name 200)": (_check_in("in_school"), 201),
    "check-in moved to": (_check_in("moved"), 5000),
    "check-in other note": (_check_in("other"), 501),
    "referral note": (_referral_note, 501),
    "back in school: school (Case.school_name 200)": (_enrol_school, 201),
    "deadline title (Deadline.title 200)": (_deadline_title, 201),
    "invite area": (_invite_area, 5000),
    "deactivate: phone": (_deactivate_who, 5000),
    "register code": (_registration("code"), 5000),
    "register name (User.real_name 200)": (_registration("name"), 5000),
    "register phone (User.phone 20)": (_registration("phone"), 5000),
}


@pytest.mark.parametrize("step", FREE_TEXT_STEPS)
def test_an_answer_longer_than_its_column_gets_a_thai_message(step, chat, registered, make_case, invite_code,
                                                              organisations, db):
    reach, length = FREE_TEXT_STEPS[step]
    if step.startswith("register"):
        reach(chat, registered, make_case, invite_code)
    else:
        reach(chat, registered, make_case)
    reply = chat.says("ก" * length)
    assert_polite(reply, TOO_LONG)
    assert "ก" * QUOTED not in " ".join(texts_of(reply))  # only a short prefix is quoted (domain.thai.quote)
    assert all(e.status == "handled" for e in rows(db, InboundEvent))


def test_a_shared_location_with_a_very_long_address_still_saves_the_report(chat, registered, db):
    registered(chat, "reporter", "400102")
    walk(chat, *plain_answers()[:4])
    chat.shares_location(16.43, 102.83, address="ก" * 1000)
    for answer in ("อยู่บ้าน ไม่ได้เรียน", "บ้านไกล/เดินทางลำบาก", "กลับเข้าโรงเรียน", "ข้าม", "ไม่มีรูป"):
        chat.says(answer)
    assert_polite(chat.says("ยืนยัน"), case_number_prefix())
    [case] = rows(db, Case)
    assert case.address == "ก" * Case.address.type.length


def test_an_answer_as_long_as_its_column_is_taken(chat, registered, make_case, db):
    _enrol_school(chat, registered, make_case)
    school = "โรงเรียน" + "ก" * (Case.school_name.type.length - len("โรงเรียน"))
    assert TOO_LONG not in " ".join(texts_of(chat.says(school)))
    chat.says("วันนี้")
    [case] = rows(db, Case)
    assert case.school_name == school


# ------------------------------------------------------------------ point 9: postback ids

@pytest.mark.parametrize("data", [
    "action=case&case=2147483648", "action=case&case=99999999999999999999999999", "action=case&case=-1",
    "action=case&case=0", "action=case&case=๑๒", "action=case&case=1e3", "action=case&case=%2B7",
    "action=checkin&case=2147483648", "action=close&case=9223372036854775808", "action=refer&case=-2147483649",
    "action=referral_accept&referral=2147483648", "action=referral_decline&referral=-5",
    f"action={ZERO_ACTION}&deadline=2147483648", f"action={ZERO_ACTION}&deadline=-1",
    f"action={NUDGE_ACTION}&deadline=2147483648&org=1", f"action={NUDGE_ACTION}&deadline=1&org=-1",
])
def test_postback_ids_outside_the_integer_range_are_refused_politely(data, chat, registered, db):
    registered(chat, "coordinator", "40")
    response = chat.post(chat.line.postback_event(chat.user_id, data))
    assert response.status_code == 200
    assert_polite(chat.line.messages_to(chat.user_id))
    assert [e.status for e in rows(db, InboundEvent)] == ["handled"]


# ------------------------------------------------------------------ point 9: a data error is answered once

def test_a_value_the_database_refuses_gets_the_apology_once_and_no_redelivery_loop(
        database_url, chat, registered, db, line, caplog):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite does not enforce a column's length")
    registered(chat, "reporter", "400102")
    walk(chat, *plain_answers(photo=None))
    # LINE's message ids are 18 digits; one longer than case_photos.line_message_id (32) reaches the
    # database only when the report is saved, and PostgreSQL refuses it there (a DataError).
    image = line.image_event(chat.user_id)
    image["message"]["id"] = "9" * 40
    chat.send(image)
    chat.says("ยินยอม")  # the family agreed: the photo is kept, so its id is saved
    confirm = line.text_event(chat.user_id, "ยืนยัน")
    first = chat.post(confirm)
    again = chat.post(line.redelivered(confirm))
    assert (first.status_code, again.status_code) == (200, 200)
    replies = texts_of(line.messages_to(chat.user_id))
    assert sum(SORRY in t for t in replies) == 1 and SORRY in replies[-1]
    [failed] = rows(db, InboundEvent, InboundEvent.webhook_event_id == confirm["webhookEventId"])
    assert (failed.status, failed.error) == ("failed", "DataError")
    assert rows(db, Case) == []
    assert "9" * 40 not in caplog.text


def test_ids_longer_than_lines_own_are_ignored_not_redelivered_forever(client, line, db):
    long_user = line.text_event("U" + "f" * 64, "สวัสดี")
    long_id = line.text_event("Unormal", "สวัสดี")
    long_id["webhookEventId"] = "0" * 65
    body, headers = line.webhook_request([long_user, long_id])
    assert client.post("/callback", data=body, headers=headers).status_code == 200
    assert rows(db, InboundEvent) == [] and rows(db, User) == []


def test_sql_parameters_are_never_logged(app):
    assert app.extensions["db"].engine.hide_parameters


# ------------------------------------------------------------------ point 10: limits and start-up

def test_a_body_larger_than_line_ever_sends_is_refused_unread(client, line, db):
    padding = "x" * (1024 * 1024)
    body, headers = line.webhook_request([line.text_event("Ubig", padding)])
    assert len(body) > 1024 * 1024
    assert client.post("/callback", data=body, headers=headers).status_code == 413
    # Chunked, with no length announced: reading stops at the limit.
    chunked = client.post("/callback", input_stream=io.BytesIO(body), headers=headers,
                          environ_overrides={"wsgi.input_terminated": True})
    assert chunked.status_code == 413
    # A length that lies: only that much is read, and the signature does not match it.
    assert client.post("/callback", input_stream=io.BytesIO(body), headers=headers,
                       environ_overrides={"CONTENT_LENGTH": "100"}).status_code == 400
    assert rows(db, InboundEvent) == []


def test_a_deeply_nested_signed_body_is_ignored_with_200(client, line, db):
    for nested in ("[" * 100_000 + "]" * 100_000, '{"events": ' + "[" * 100_000 + "]" * 100_000 + "}",
                   json.dumps({"events": [{"type": "message", "message": [[[[[[[[[[]]]]]]]]]]}]})):
        body = nested.encode()
        response = client.post("/callback", data=body, headers={"X-Line-Signature": line.signature(body),
                                                                "Content-Type": "application/json"})
        assert response.status_code == 200
    assert rows(db, InboundEvent) == []


@pytest.mark.parametrize("missing", ["LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN"])
def test_the_app_refuses_to_start_without_the_line_channel(database_url, line_server, missing):
    config = app_config(database_url, line_server[1], TESTING=False, **{missing: ""})
    with pytest.raises(RuntimeError, match=missing):
        create_app(config)


def test_the_simulator_and_the_tests_start_without_a_line_channel(database_url, make_app):
    assert make_app(database_url, LINE_CHANNEL_SECRET="", LINE_CHANNEL_ACCESS_TOKEN="")  # TESTING
    assert make_app(database_url, factory=devtools.create_app, TESTING=False, LINE_CHANNEL_SECRET="",
                    LINE_CHANNEL_ACCESS_TOKEN="")


# ------------------------------------------------------------------ point 11: invite codes

WRONG_CODES = ["ZZZZ-2222", "ZZZZ-2223", "ZZZZ-2224", "ZZZZ-2225", "ZZZZ-2226"]


def at_code_step(chat):
    chat.follows()
    chat.says("ยอมรับ")
    return chat


def backdate_audit_log(db, minutes: int) -> None:
    """Move the audit log an hour into the past, as time would. Its rows are append-only (triggers), so
    the triggers are lifted for this UPDATE, as only the database's owner could."""
    with db.transaction() as session:
        if db.dialect == "postgresql":
            session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        else:
            trigger = session.scalar(text("SELECT sql FROM sqlite_master WHERE name = 'audit_log_no_update'"))
            session.execute(text("DROP TRIGGER audit_log_no_update"))
        for entry in session.scalars(select(AuditEntry)):
            entry.at -= timedelta(minutes=minutes)
        session.flush()
        if db.dialect == "postgresql":
            session.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
        else:
            session.execute(text(trigger))


def wrong_attempts(db, chat) -> list[AuditEntry]:
    with db.transaction() as session:
        user_id = session.scalar(select(User.id).where(User.line_user_id == chat.user_id))
        return list(session.scalars(select(AuditEntry).where(AuditEntry.actor_id == user_id,
                                                             AuditEntry.action == people.WRONG_INVITE)))


def test_five_wrong_codes_lock_a_user_out_for_an_hour_even_with_a_right_code(chat, new_chat, db, invite_code):
    at_code_step(chat)
    for code in WRONG_CODES[:-1]:
        [reply] = chat.says(code)
        assert people.INVITE_UNUSABLE in reply["text"]
    [locked] = chat.says(WRONG_CODES[-1])
    attempts = wrong_attempts(db, chat)
    assert len(attempts) == 5 and {e.detail["why"] for e in attempts} == {"unknown"}
    until = format_thai_datetime(max(e.at for e in attempts) + timedelta(hours=1))
    assert f"กรุณารอจนถึง {until} (เวลาประเทศไทย)" in locked["text"]
    # The right code is refused too, and not counted: the lock is not made longer by trying.
    good = invite_code()
    [still_locked] = chat.says(good)
    assert "กรุณารอจนถึง" in still_locked["text"] and "ชื่อและนามสกุล" not in still_locked["text"]
    assert len(wrong_attempts(db, chat)) == 5
    # Counted per LINE user: someone else registers meanwhile.
    other = at_code_step(new_chat())
    assert "ชื่อและนามสกุล" in other.says(invite_code())[0]["text"]
    # An hour later the code works.
    backdate_audit_log(db, 61)
    assert "ชื่อและนามสกุล" in chat.says(good)[0]["text"]


def test_wrong_codes_spread_over_more_than_an_hour_do_not_lock(chat, db, invite_code):
    at_code_step(chat)
    for code in WRONG_CODES[:4]:
        chat.says(code)
    backdate_audit_log(db, 61)
    [reply] = chat.says(WRONG_CODES[4])
    assert people.INVITE_UNUSABLE in reply["text"] and "กรุณารอจนถึง" not in reply["text"]
    assert "ชื่อและนามสกุล" in chat.says(invite_code())[0]["text"]


def test_text_not_shaped_like_a_code_is_audited_but_never_locks(chat, db, invite_code):
    """A greeting or a Thai-keyboard slip at the code step is in the audit log, yet cannot be a guess."""
    at_code_step(chat)
    [reply] = chat.says("สวัสดีครับ")  # a greeting is not taken for an answer at all (chat/flow.py)
    assert "ค้างอยู่" in reply["text"] and flow.CARRY_ON in quick_reply_labels(reply)
    chat.says(flow.CARRY_ON)
    for said in ["ทดสอบครับ", "ฟหกด-ฟหกด", "AB12", "ZZZZ-2222-EXTRA", "12345"]:
        [reply] = chat.says(said)
        assert "รหัสเชิญมี" in reply["text"] or "แป้นพิมพ์" in reply["text"]
    with db.transaction() as session:
        user_id = session.scalar(select(User.id).where(User.line_user_id == chat.user_id))
        assert session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.actor_id == user_id, AuditEntry.action == people.MALFORMED_INVITE)) == 5
    assert wrong_attempts(db, chat) == []
    assert "ชื่อและนามสกุล" in chat.says(invite_code())[0]["text"]


def test_an_outsider_cannot_tell_a_missing_an_expired_and_a_used_up_code_apart(new_chat, db, invite_code):
    expired, used_up = invite_code(), invite_code(uses=1)
    with db.transaction() as session:
        session.execute(update(Invite).where(Invite.code == people.normalize_invite_code(expired))
                        .values(expires_at=utcnow() - timedelta(minutes=1)))
        session.execute(update(Invite).where(Invite.code == people.normalize_invite_code(used_up)).values(uses=1))
    answers = {code: texts_of(at_code_step(new_chat()).says(code)) for code in ("ZZZZ-2222", expired, used_up)}
    assert len({tuple(a) for a in answers.values()}) == 1, answers
    assert expired not in str(answers[expired]) and used_up not in str(answers[used_up])
    reasons = sorted(e.detail["why"] for e in rows(db, AuditEntry, AuditEntry.action == people.WRONG_INVITE))
    assert reasons == ["expired", "unknown", "used_up"]


# ------------------------------------------------------------------ point 12: owner-only files

def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def development_app(instance):
    """The app as a developer runs it: SQLite and the key in the instance folder."""
    return create_app({"INSTANCE_PATH": str(instance), "TESTING": True, "DATABASE_URL": "",
                       "DATA_ENCRYPTION_KEY": "", "LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN})


def test_the_sqlite_database_and_the_key_are_readable_by_their_owner_only(tmp_path):
    instance = tmp_path / "instance"
    old_umask = os.umask(0o022)
    try:
        app = development_app(instance)
        try:
            result = app.test_cli_runner().invoke(args=["db", "upgrade"])
            assert result.exit_code == 0, result.output
            with app.extensions["db"].transaction() as session:  # a write: the WAL and its index exist now
                session.add(User(line_user_id="Uowner"))
            database = instance / "bot.sqlite3"
            siblings = [p for p in (instance / "bot.sqlite3-wal", instance / "bot.sqlite3-shm") if p.exists()]
            assert siblings, "no WAL files to check"
            assert mode(instance) == 0o700
            for path in (database, *siblings, instance / "data-encryption.key"):
                assert mode(path) == 0o600, path
        finally:
            shut_down(app)
    finally:
        os.umask(old_umask)


def test_files_left_world_readable_by_an_older_version_are_closed(tmp_path):
    instance = tmp_path / "instance"
    key, database = instance / "data-encryption.key", instance / "bot.sqlite3"
    shut_down(development_app(instance))
    for path in (instance, key, database):
        os.chmod(path, 0o755 if path == instance else 0o644)
    shut_down(development_app(instance))
    assert (mode(instance), mode(key), mode(database)) == (0o700, 0o600, 0o600)


def test_files_of_childrens_data_written_by_the_cli_are_readable_by_their_owner_only(app, make_case, tmp_path):
    """`flask export --out` and the list import's error report hold children's data on disk."""
    make_case("40010101", first_name="สมชาย")
    old = os.umask(0o022)
    try:
        out = tmp_path / "report.csv"
        out.write_text("an older, world-readable file")
        result = app.test_cli_runner().invoke(args=["export", "--format", "csv", "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert stat.S_IMODE(out.stat().st_mode) == 0o600 and "สมชาย" in out.read_bytes().decode("utf-8-sig")
        broken = tmp_path / "list.csv"
        broken.write_bytes(to_csv(broken_list(10, seed=3).table, "utf-8"))
        app.test_cli_runner().invoke(args=["list", "import", str(broken), "--dry-run"])
        errors = tmp_path / "list.csv.errors.csv"
        assert errors.exists() and stat.S_IMODE(errors.stat().st_mode) == 0o600
    finally:
        os.umask(old)
