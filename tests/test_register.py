"""Transcript: a new follower accepts the privacy notice, registers with an invite code, gets their menu."""
from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select, update

from chat import flow
from domain import access, people
from domain.menu_labels import (
    MENU_ABOUT,
    MENU_AREA_SUMMARY,
    MENU_CHILDREN_TO_FIND,
    MENU_EXPORT_REPORT,
    MENU_HELP,
    MENU_INVITE,
    MENU_MY_AREA_NUMBERS,
    MENU_MY_REPORTS,
    MENU_MY_WORK,
    MENU_NOTICE_SETTINGS,
    MENU_REGISTER,
    MENU_REPORT_CHILD,
)
from helpers import quick_reply_labels, register, texts_of, user_row
from models import Invite, User, utcnow


def invite_row(db, code) -> Invite:
    with db.transaction() as session:
        return session.scalar(select(Invite).where(Invite.code == people.normalize_invite_code(code)))


def test_new_follower_accepts_the_notice_registers_and_gets_the_reporter_menu(chat, db, line, rich_menus,
                                                                               invite_code):
    code = invite_code("reporter", "400101")
    welcome, notice = chat.follows()
    assert "ยินดีต้อนรับ" in welcome["text"]
    for topic in ("ข้อมูลที่เก็บ", "เพื่อ", "ผู้ที่เห็นข้อมูล", "ลบ"):
        assert topic in notice["text"]
    assert quick_reply_labels(notice)[:2] == ["ยอมรับ", "ไม่ยอมรับ"]

    [ask_code] = chat.says("ยอมรับ")
    assert "รหัสเชิญ" in ask_code["text"]
    [ask_name] = chat.says(code)
    assert "ชื่อและนามสกุล" in ask_name["text"]
    [ask_phone] = chat.says("สมหญิง  รักเรียน")
    assert "เบอร์มือถือ" in ask_phone["text"]
    [summary] = chat.says("๐๘๑-๒๓๔-๕๖๗๘")
    for shown in ("สมหญิง รักเรียน", "081-234-5678", "ผู้แจ้งข้อมูล", "ตำบลในเมือง อำเภอเมืองขอนแก่น จังหวัดขอนแก่น"):
        assert shown in summary["text"]
    assert user_row(db, chat.user_id).registered_at is None  # nothing written before "ยืนยัน"

    [done] = chat.says("ยืนยัน")
    assert "ลงทะเบียนเรียบร้อย" in done["text"] and "คุณสมหญิง รักเรียน" in done["text"]
    assert quick_reply_labels(done) == [MENU_REPORT_CHILD, MENU_CHILDREN_TO_FIND, MENU_MY_WORK, MENU_MY_REPORTS,
                                        MENU_MY_AREA_NUMBERS, MENU_NOTICE_SETTINGS, MENU_HELP]
    assert line.user_rich_menu(chat.user_id) == rich_menus["reporter"]

    user = user_row(db, chat.user_id)
    assert (user.role, user.real_name, user.phone) == ("reporter", "สมหญิง รักเรียน", "0812345678")
    assert user.pdpa_accepted_at <= user.registered_at and user.invite_id is not None
    assert invite_row(db, code).uses == 1


def test_a_coordinator_gets_the_coordinator_menu_and_an_organisation_scope(chat, db, line, rich_menus,
                                                                          invite_code, organisations):
    code = invite_code("coordinator", area_code=None, org_code="SPP40-1")
    [done] = register(chat, code)
    assert "พื้นที่ของสพป.ขอนแก่น เขต 1" in done["text"]
    assert MENU_AREA_SUMMARY in quick_reply_labels(done) and MENU_EXPORT_REPORT in quick_reply_labels(done)
    assert line.user_rich_menu(chat.user_id) == rich_menus["coordinator"]
    with db.transaction() as session:
        user = session.scalar(select(User).where(User.line_user_id == chat.user_id))
        assert access.scope_prefixes(user) == ("4001", "4002")


def test_a_teacher_gets_the_teacher_menu(chat, line, rich_menus, invite_code, organisations):
    register(chat, invite_code("teacher", area_code=None, org_code="1040010101"))
    assert line.user_rich_menu(chat.user_id) == rich_menus["teacher"]


def test_a_code_typed_with_thai_digits_spaces_and_lower_case_is_accepted(chat, db, invite_code):
    code = invite_code("reporter")
    with db.transaction() as session:
        session.execute(update(Invite).values(code="WXYZ2345"))
    chat.follows()
    chat.says("ยอมรับ")
    [ask_name] = chat.says(" wxyz - ๒๓๔๕ ")
    assert "ชื่อและนามสกุล" in ask_name["text"], code


def test_bad_codes_are_refused_in_thai_and_the_question_stays(chat, db, invite_code):
    expired = invite_code("reporter")
    with db.transaction() as session:
        session.execute(update(Invite).where(Invite.code == people.normalize_invite_code(expired))
                        .values(expires_at=utcnow() - timedelta(minutes=1)))
    used_up = invite_code("reporter", uses=1)
    with db.transaction() as session:
        session.execute(update(Invite).where(Invite.code == people.normalize_invite_code(used_up)).values(uses=1))
    chat.follows()
    chat.says("ยอมรับ")
    answers = {
        # Unknown, expired and used up get the same answer (tests/test_security_input.py).
        "ABCD-2345": people.INVITE_UNUSABLE,
        "ABC": "รหัสเชิญมีตัวอักษรภาษาอังกฤษและตัวเลข 8 ตัว",
        "ฟหกด๒๓๔๕": "แป้นพิมพ์อาจยังเป็นภาษาไทย",
        expired: people.INVITE_UNUSABLE,
        used_up: people.INVITE_UNUSABLE,
    }
    for typed, refusal in answers.items():
        [reply] = chat.says(typed)
        assert refusal in reply["text"] and "กรุณาพิมพ์รหัสเชิญ" in reply["text"], typed
    [ask_name] = chat.says(invite_code("reporter"))
    assert "ชื่อและนามสกุล" in ask_name["text"]


def test_bad_name_and_phone_are_asked_again(chat, invite_code):
    chat.follows()
    chat.says("ยอมรับ")
    chat.says(invite_code())
    assert "ทั้งชื่อและนามสกุล" in chat.says("สมหญิง")[0]["text"]
    assert "เฉพาะตัวอักษร" in chat.says("สมหญิง 123")[0]["text"]
    chat.says("สมหญิง รักเรียน")
    assert "เบอร์มือถือต้องมี 10 หลัก" in chat.says("08123")[0]["text"]
    assert "เบอร์โทรศัพท์บ้าน" in chat.says("02-123-4567")[0]["text"]
    assert "กรุณาตรวจสอบข้อมูล" in chat.says("0912345678")[0]["text"]


def test_declining_the_notice_keeps_the_public_menu_and_nothing_is_stored(chat, db, line, rich_menus):
    chat.follows()
    [reply] = chat.says("ไม่ยอมรับ")
    assert "ยังอ่านข้อมูลโครงการได้" in reply["text"]
    assert quick_reply_labels(reply) == [MENU_REGISTER, MENU_ABOUT, MENU_HELP]
    user = user_row(db, chat.user_id)
    assert user.pdpa_accepted_at is None and user.role is None
    assert line.user_rich_menu(chat.user_id) is None
    assert line.user_rich_menu(chat.user_id, include_default=True) == rich_menus["public"]
    # Public information stays readable; the notice comes back on "ลงทะเบียน".
    assert "กระทรวงศึกษาธิการ" in chat.says(MENU_ABOUT)[0]["text"]
    assert "PDPA" in chat.says(MENU_REGISTER)[0]["text"]


def test_anything_but_accept_or_decline_repeats_the_notice(chat):
    chat.follows()
    [reply] = chat.says("โอเค")
    assert "กรุณากด \"ยอมรับ\"" in reply["text"] and "PDPA" in reply["text"]


def test_back_edit_and_cancel(chat, db, invite_code):
    code = invite_code()
    chat.follows()
    chat.says("ยอมรับ")
    chat.says(code)
    assert "รหัสเชิญ" in chat.says("ย้อนกลับ")[0]["text"]
    chat.says(code)
    chat.says("สมหญิง รักเรียน")
    chat.says("0812345678")
    assert "ชื่อและนามสกุล" in chat.says("แก้ไขชื่อ")[0]["text"]
    [summary] = chat.says("สมศรี มีสุข")
    assert "สมศรี มีสุข" in summary["text"] and "กรุณาตรวจสอบ" in summary["text"]
    [asked] = chat.says("ยกเลิก")  # answers were given: asked once before they are thrown away
    assert "ยกเลิก" in asked["text"] and "ใช่ไหม" in asked["text"]
    [cancelled] = chat.says(flow.CONFIRM_CANCEL)
    assert "ยกเลิกการลงทะเบียน" in cancelled["text"]
    assert user_row(db, chat.user_id).registered_at is None
    assert invite_row(db, code).uses == 0


def test_registering_twice_is_refused_kindly(chat, registered):
    registered(chat, "reporter", "400101")
    [reply] = chat.says(MENU_REGISTER)
    assert "ท่านลงทะเบียนแล้ว" in reply["text"] and "ตำบลในเมือง" in reply["text"]


def test_a_refollowing_registered_user_is_welcomed_back_not_asked_again(chat, db, registered):
    registered(chat, "reporter", "400101")
    chat.unfollows()
    [welcome] = chat.follows()
    assert "ยินดีต้อนรับ" in welcome["text"] and MENU_REPORT_CHILD in quick_reply_labels(welcome)
    assert user_row(db, chat.user_id).following


def test_a_deactivated_user_cannot_register_again(chat, db, registered, invite_code):
    registered(chat, "reporter", "400101")
    with db.transaction() as session:
        session.execute(update(User).where(User.line_user_id == chat.user_id).values(active=False))
    for said in (MENU_REGISTER, MENU_INVITE):
        [reply] = chat.says(said)
        assert "ถูกระงับการใช้งาน" in reply["text"]
        assert quick_reply_labels(reply) == [MENU_ABOUT, MENU_HELP]


def test_unregistered_users_cannot_use_coordinator_commands(chat):
    [reply] = chat.says(MENU_INVITE)
    assert "สำหรับผู้ที่ลงทะเบียนแล้วเท่านั้น" in reply["text"]


def test_registering_in_a_group_does_nothing(app, client, line, db):
    # Joining a group gets the private-chat-only notice (tests/test_webhook.py); members' messages are ignored.
    body, headers = line.webhook_request([line.group_text_event("Cgroup1", "Umember", MENU_REGISTER)])
    assert client.post("/callback", data=body, headers=headers).status_code == 200
    assert app.extensions["sender"].wait_idle(10)
    assert user_row(db, "Umember") is None and line.messages_to("Umember") == []


def test_the_last_use_goes_to_whoever_confirms_first(chat, new_chat, db, line, rich_menus, invite_code):
    code = invite_code(uses=1)
    first, second = chat, new_chat()
    for person in (first, second):
        person.follows()
        person.says("ยอมรับ")
        person.says(code)
        person.says("สมหญิง รักเรียน")
        person.says("0812345678")
    assert "ลงทะเบียนเรียบร้อย" in first.says("ยืนยัน")[0]["text"]
    sorry, ask_code = second.says("ยืนยัน")
    assert "เพิ่งถูกใช้ครบ" in sorry["text"] and "รหัสเชิญ" in ask_code["text"]
    assert user_row(db, second.user_id).registered_at is None
    assert line.user_rich_menu(second.user_id) is None
    assert invite_row(db, code).uses == 1


def test_two_at_once_cannot_both_take_the_last_use(db, invite_code):
    invite_id = invite_row(db, invite_code(uses=1)).id
    start = threading.Barrier(2)
    taken = []

    def take():
        with db.transaction() as session:
            start.wait()
            taken.append(people.take_invite_use(session, invite_id, utcnow()))

    threads = [threading.Thread(target=take) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(taken) == [False, True]


def test_without_synced_menus_registration_still_works(chat, line, invite_code):
    [done] = register(chat, invite_code())
    assert "ลงทะเบียนเรียบร้อย" in done["text"]
    assert line.user_rich_menu(chat.user_id) is None


def test_unregistered_main_menu_offers_registration(chat):
    assert quick_reply_labels(chat.says("สวัสดี")[0])[0] == MENU_REGISTER
    assert texts_of(chat.says(MENU_HELP))[0].count(MENU_REGISTER) == 1
