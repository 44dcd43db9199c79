"""Transcript: coordinators inviting and deactivating people in their own area, in chat and with the CLI."""
from __future__ import annotations

import re

from sqlalchemy import select, update

from domain.menu_labels import MENU_DEACTIVATE, MENU_INVITE, MENU_REGISTER
from helpers import quick_reply_labels, register, user_row
from models import Conversation, Invite, User


def test_a_coordinator_invites_a_village_head_who_then_registers(chat, new_chat, db, line, registered, rich_menus):
    registered(chat, "coordinator", "4001")
    [ask_role] = chat.says(MENU_INVITE)
    assert quick_reply_labels(ask_role)[:3] == ["ผู้แจ้งข้อมูล", "ครู", "ผู้ประสานงาน"]
    chat.says("ผู้แจ้งข้อมูล")
    chat.says("ตำบลสำราญ")  # by name, in the coordinator's district
    chat.says("ไม่ระบุหน่วยงาน")
    [summary] = chat.says("๕")
    assert "ตำบลสำราญ อำเภอเมืองขอนแก่น" in summary["text"] and "5 คน" in summary["text"]
    note, forward = chat.says("ยืนยัน")
    assert "ส่งต่อข้อความถัดไป" in note["text"]
    code = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}", forward["text"]).group()
    with db.transaction() as session:
        invite = session.scalar(select(Invite))
        assert (invite.role, invite.area.code, invite.max_uses) == ("reporter", "400102", 5)
        assert invite.created_by_id == user_row(db, chat.user_id).id

    village_head = new_chat()
    register(village_head, code)
    assert line.user_rich_menu(village_head.user_id) == rich_menus["reporter"]
    with db.transaction() as session:
        user = session.scalar(select(User).where(User.line_user_id == village_head.user_id))
        assert (user.role, user.area.code) == ("reporter", "400102")


def test_an_area_outside_the_coordinators_scope_is_refused_in_thai(chat, registered):
    registered(chat, "coordinator", "4001")
    chat.says(MENU_INVITE)
    chat.says("ผู้แจ้งข้อมูล")
    [refused] = chat.says("400201")  # a subdistrict of the other district
    assert "นอกพื้นที่ที่ท่านรับผิดชอบ" in refused["text"]
    [unknown] = chat.says("409999")
    assert "ไม่พบรหัสพื้นที่ “409999”" in unknown["text"]


def test_an_ambiguous_area_name_lists_the_candidates(chat, registered):
    registered(chat, "coordinator", "40")
    chat.says(MENU_INVITE)
    chat.says("ผู้แจ้งข้อมูล")
    [reply] = chat.says("บ้านฝาง")  # a district and a subdistrict
    assert "มีหลายพื้นที่ชื่อ" in reply["text"] and "รหัส 4002" in reply["text"] and "รหัส 400201" in reply["text"]


def test_an_invite_wider_than_the_coordinators_scope_is_refused(chat, db, registered, organisations):
    registered(chat, "coordinator", None)
    with db.transaction() as session:  # an สพป. coordinator: no area, the office's two districts
        user = session.scalar(select(User).where(User.line_user_id == chat.user_id))
        user.organisation_id = organisations["SPP40-1"]
    chat.says(MENU_INVITE)
    chat.says("ผู้ประสานงาน")
    assert "ทั้งประเทศ" in chat.says("ทั้งประเทศ")[0]["text"]  # not theirs to give
    chat.says("ทั้งพื้นที่ของฉัน")
    [no_area] = chat.says("ไม่ระบุหน่วยงาน")  # no area, no organisation: would give nothing
    assert "ยังไม่ได้กำหนดพื้นที่" in no_area["text"]
    chat.says("หน่วยงานเดียวกับฉัน")
    [summary] = chat.says("1")
    assert "พื้นที่ที่ดูแล: พื้นที่ของสพป.ขอนแก่น เขต 1" in summary["text"]


def test_a_teachers_invite_needs_a_school(chat, registered, organisations):
    registered(chat, "coordinator", "40")
    chat.says(MENU_INVITE)
    chat.says("ครู")
    chat.says("ทั้งพื้นที่ของฉัน")
    assert "ครูต้องสังกัดโรงเรียน" in chat.says("ไม่ระบุหน่วยงาน")[0]["text"]
    assert "ไม่พบหน่วยงานรหัส" in chat.says("9999")[0]["text"]
    assert "ใช้ได้กี่คน" in chat.says("๑๐๔๐๐๑๐๑๐๑")[0]["text"]  # the school's code, in Thai digits


def test_reporters_cannot_invite_or_deactivate(chat, registered):
    registered(chat, "reporter", "400101")
    for command in (MENU_INVITE, MENU_DEACTIVATE):
        assert "ไม่มีสิทธิ์ใช้เมนูนี้" in chat.says(command)[0]["text"]


def test_a_coordinator_deactivates_a_user_in_their_area(chat, new_chat, db, line, registered, rich_menus,
                                                       invite_code):
    coordinator = registered(chat, "coordinator", "4001", phone="0891111111")
    reporter = new_chat()
    register(reporter, invite_code("reporter", "400101"), phone="0812345678")
    assert line.user_rich_menu(reporter.user_id) == rich_menus["reporter"]

    coordinator.says(MENU_DEACTIVATE)
    [confirm] = coordinator.says("081 234 5678")
    assert "สมหญิง รักเรียน" in confirm["text"] and "ตำบลในเมือง" in confirm["text"]
    before = len(line.messages_to(reporter.user_id))
    [done] = coordinator.says("ยืนยัน")
    assert "ระงับการใช้งานของคุณสมหญิง รักเรียน แล้ว" in done["text"]
    [told] = line.messages_to(reporter.user_id)[before:]
    assert "ถูกระงับการใช้งาน" in told["text"]
    assert line.user_rich_menu(reporter.user_id) is None
    assert not user_row(db, reporter.user_id).active
    assert "ถูกระงับการใช้งาน" in reporter.says(MENU_REGISTER)[0]["text"]


def test_a_coordinator_cannot_deactivate_outside_their_area_or_themselves(chat, new_chat, registered):
    coordinator = registered(chat, "coordinator", "4002", phone="0891111111")
    registered(new_chat(), "reporter", "400101", phone="0812345678")
    coordinator.says(MENU_DEACTIVATE)
    assert "ไม่พบผู้ใช้ที่ลงทะเบียนด้วยเบอร์ 081-234-5678 ในพื้นที่ของท่าน" in coordinator.says("0812345678")[0]["text"]
    assert "ตนเอง" in coordinator.says("0891111111")[0]["text"]


# ----------------------------------------------------------------------------- CLI

def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_cli_invite_create_prints_a_code_that_registers(app, chat, db, line, rich_menus, organisations):
    result = run(app, "invite", "create", "--role", "coordinator", "--org", "SPP40-1", "--uses", "2",
                 "--expires-days", "3")
    assert result.exit_code == 0, result.output
    code = result.output.splitlines()[0]
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    register(chat, code)
    assert line.user_rich_menu(chat.user_id) == rich_menus["coordinator"]


def test_cli_invite_create_refuses_what_does_not_exist(app, organisations):
    assert "no organisation" in run(app, "invite", "create", "--role", "reporter", "--org", "NOPE").output
    assert "no area" in run(app, "invite", "create", "--role", "reporter", "--area", "499999").output
    assert "needs a school" in run(app, "invite", "create", "--role", "teacher", "--org", "SPP40-1").output
    assert "would give no area" in run(app, "invite", "create", "--role", "reporter").output


def test_cli_deactivate_activate_and_change_role_move_the_menu(app, chat, db, line, registered, rich_menus,
                                                               deliver_queued):
    registered(chat, "reporter", "400101", phone="0812345678")
    assert run(app, "users", "set-role", chat.user_id, "coordinator", "--area", "4001").exit_code == 0
    deliver_queued()
    assert line.user_rich_menu(chat.user_id) == rich_menus["coordinator"]
    assert run(app, "users", "deactivate", "081-234-5678").exit_code == 0
    deliver_queued()
    assert line.user_rich_menu(chat.user_id) is None
    assert "ถูกระงับการใช้งาน" in line.texts_to(chat.user_id)[-1]
    assert run(app, "users", "activate", chat.user_id).exit_code == 0
    deliver_queued()
    assert line.user_rich_menu(chat.user_id) == rich_menus["coordinator"]
    assert "no user" in run(app, "users", "deactivate", "0899999999").output


def test_cli_organisations_are_created_once_and_updated_by_code(app, db, areas):
    args = ["org", "create", "--kind", "local_government", "--name", "อบต.สำราญ", "--code", "6400102", "--area", "400102"]
    assert run(app, *args).exit_code == 0
    assert run(app, *args[:-1], "400101").exit_code == 0
    listed = run(app, "org", "list").output.strip().splitlines()
    assert len(listed) == 1 and listed[0].endswith("\t400101")
    assert run(app, "org", "create", "--kind", "nope", "--name", "x").exit_code != 0


def test_a_coordinator_deactivated_half_way_is_stopped(chat, db, registered):
    registered(chat, "coordinator", "4001")
    chat.says(MENU_INVITE)
    chat.says("ผู้แจ้งข้อมูล")
    with db.transaction() as session:
        session.execute(update(User).where(User.line_user_id == chat.user_id).values(active=False))
    [stopped] = chat.says("400101")
    assert "ถูกระงับการใช้งาน" in stopped["text"]
    with db.transaction() as session:
        assert session.scalar(select(Invite)) is None
        assert session.scalar(select(Conversation)) is None
