"""Registering: accept the privacy notice, enter an invite code, give a real name and a phone number.

```mermaid
flowchart LR
  follow[follow / "ลงทะเบียน"] --> consent{PDPA notice}
  consent -- ไม่ยอมรับ --> stop([public menu only])
  consent -- ยอมรับ --> code[invite code] --> name[ชื่อ-นามสกุล] --> phone[เบอร์มือถือ] --> confirm{ยืนยัน}
  confirm -- แก้ไข --> name & phone & code
  confirm -- ยืนยัน --> done([role, organisation, area set; rich menu linked])
```

Nothing is written until "ยืนยัน": the invite's use is taken then, atomically, so a code with one
use left cannot let two people in.
"""
from __future__ import annotations

from datetime import datetime

from domain import access, audit, people
from domain.menu_labels import MENU_REGISTER

from chat import flow

from line import richmenu
from chat.dispatcher import Context, Reply
from chat.flow import Answer, Finish, Flow, Goto, Step, Stop, WrongKind, text_answer
from line.messages import text
from domain.thai import InvalidInput
from domain.thai_dates import format_thai_datetime
from domain.thai_phones import format_phone, parse_phone

from chat.menus import main_menu

ACCEPT = "ยอมรับ"
DECLINE = "ไม่ยอมรับ"
CONFIRM = "ยืนยัน"
EDIT_NAME = "แก้ไขชื่อ"
EDIT_PHONE = "แก้ไขเบอร์โทร"
EDIT_CODE = "แก้ไขรหัสเชิญ"

PRIVACY_NOTICE = (
    "ก่อนลงทะเบียน โปรดอ่านการคุ้มครองข้อมูลส่วนบุคคล (PDPA) ค่ะ\n\n"
    "• ข้อมูลที่เก็บ: ชื่อ-นามสกุล เบอร์มือถือ รหัสผู้ใช้ LINE หน่วยงานและพื้นที่ที่ท่านรับผิดชอบ "
    "และข้อมูลเด็กที่ท่านแจ้งหรือติดตาม\n"
    "• เพื่อ: ยืนยันว่าผู้แจ้งเป็นผู้รับผิดชอบในพื้นที่ ติดต่อกลับเมื่อต้องติดตามเด็ก "
    "และส่งข้อมูลเด็กถึงเฉพาะผู้ที่ดูแลเด็กคนนั้น\n"
    "• ผู้ที่เห็นข้อมูล: ผู้ประสานงานโครงการในพื้นที่ของท่าน และหน่วยงานที่รับส่งต่อเด็กเท่านั้น "
    "ไม่เปิดเผยต่อบุคคลอื่น\n"
    "• ขอดู แก้ไข หรือลบข้อมูล: แจ้งผู้ประสานงานที่ให้รหัสเชิญแก่ท่าน "
    "ระบบจะยกเลิกสิทธิ์และลบข้อมูลของท่านตามคำขอ\n\n"
    f"กด \"{ACCEPT}\" เพื่อลงทะเบียนต่อ"
)
DECLINED = ("ไม่เป็นไรค่ะ ท่านยังอ่านข้อมูลโครงการได้จากเมนู "
            f"หากเปลี่ยนใจ พิมพ์ \"{MENU_REGISTER}\" ได้ทุกเมื่อ")
ASK_CODE = ("กรุณาพิมพ์รหัสเชิญ 8 ตัวที่ได้รับจากผู้ประสานงานในพื้นที่ของท่าน เช่น ABCD-2345\n"
            "(พิมพ์ตัวเล็กหรือตัวใหญ่ก็ได้ค่ะ)")
ASK_NAME = "กรุณาพิมพ์ชื่อและนามสกุลจริงของท่าน เช่น สมชาย ใจดี"
ASK_PHONE = "กรุณาพิมพ์เบอร์มือถือของท่าน เช่น 081-234-5678"
ALREADY_REGISTERED = ("ท่านลงทะเบียนแล้วค่ะ ในบทบาท{role} {scope}\n"
                      "หากข้อมูลไม่ถูกต้องหรือต้องการเปลี่ยนบทบาท กรุณาติดต่อผู้ประสานงานในพื้นที่ของท่าน")
LOCKED_OUT = ("ท่านพิมพ์รหัสเชิญไม่ถูกต้อง {tries} ครั้งภายใน 1 ชั่วโมง เพื่อความปลอดภัยของข้อมูลเด็ก "
              "กรุณารอจนถึง {until} (เวลาประเทศไทย) แล้วลองใหม่ หรือติดต่อผู้ประสานงานที่ให้รหัสแก่ท่านค่ะ")
LAST_USE_TAKEN = "ขออภัยค่ะ รหัสเชิญนี้เพิ่งถูกใช้ครบจำนวนหรือหมดอายุไปก่อนท่านยืนยัน ข้อมูลยังไม่ถูกบันทึก"


def _accept(answer: Answer, data: dict) -> str | Stop:
    said = answer.text.strip()
    if said == DECLINE:
        return Stop(DECLINED)
    if said != ACCEPT:
        raise InvalidInput(f"กรุณากด \"{ACCEPT}\" เพื่อลงทะเบียนต่อ หรือ \"{DECLINE}\" หากไม่ต้องการลงทะเบียน")
    return answer.ctx.now.isoformat()


def _invite(answer: Answer, data: dict) -> dict:
    if answer.kind not in ("text", "postback") or not answer.text:
        raise WrongKind()
    ctx = answer.ctx
    _refuse_if_locked(ctx)
    try:
        code = people.normalize_invite_code(answer.text)
    except InvalidInput:
        # In the audit log like every wrong attempt, but not counted towards the lock-out: a mistyped
        # format (Thai keyboard, too short, a greeting) cannot be a guess at a real code.
        audit.record_chat(ctx, people.MALFORMED_INVITE, "user", ctx.user.id)
        raise
    invite, why = people.usable_invite(ctx.session, code, ctx.now)
    if invite is None:
        audit.record_chat(ctx, people.WRONG_INVITE, "user", ctx.user.id, why=why)
        _refuse_if_locked(ctx)  # this was the last try allowed
        raise InvalidInput(people.INVITE_UNUSABLE)
    return {
        "invite_id": invite.id,
        "role": people.ROLE_LABELS[invite.role],
        "organisation": invite.organisation.name if invite.organisation else None,
        "scope": access.scope_label_for(invite.role, invite.area, invite.organisation, national=invite.national_scope),
    }


def _refuse_if_locked(ctx: Context) -> None:
    # Even a right code is refused while locked: otherwise guessing would only slow down.
    until = people.invite_lockout(ctx.session, ctx.user, ctx.now)
    if until is not None:
        raise InvalidInput(LOCKED_OUT.format(tries=people.MAX_WRONG_INVITES, until=format_thai_datetime(until)))


def _confirm(answer: Answer, data: dict) -> Finish | Goto:
    edits = {EDIT_NAME: "name", EDIT_PHONE: "phone", EDIT_CODE: "code"}
    said = answer.text.strip()
    if said == CONFIRM:
        return Finish()
    if said in edits:
        return Goto(edits[said], {"_return_to": "confirm"})
    raise InvalidInput(f"กรุณากด \"{CONFIRM}\" หรือเลือกข้อที่ต้องการแก้ไข")


def _summary(data: dict) -> str:
    invite = data["code"]
    lines = [
        "กรุณาตรวจสอบข้อมูลก่อนยืนยันค่ะ",
        f"ชื่อ: {data['name']}",
        f"เบอร์มือถือ: {format_phone(data['phone'])}",
        f"บทบาท: {invite['role']}",
        *([f"หน่วยงาน: {invite['organisation']}"] if invite["organisation"] else []),
        f"พื้นที่: {invite['scope']}",
    ]
    return "\n".join(lines)


def finish_registration(ctx: Context, data: dict) -> Reply:
    user = ctx.user
    if not user.active or access.is_registered(user):
        return start_registration(ctx)  # changed meanwhile (deactivated, or registered from another phone)
    accepted_at = datetime.fromisoformat(data["consent"])
    if not people.register(ctx.session, user, data["code"]["invite_id"], data["name"], data["phone"],
                           accepted_at, ctx.now):
        return [text(LAST_USE_TAKEN), *flow.start(ctx, REGISTER, data, at="code")]
    richmenu.show_menu(ctx.session, user)
    audit.record_chat(ctx, "register", "user", user.id, area_code=user.area.code if user.area else None,
                      role=user.role, invite=data["code"]["invite_id"])
    return [text(f"ลงทะเบียนเรียบร้อยแล้วค่ะ ยินดีต้อนรับคุณ{user.real_name} 🙏\n"
                 f"บทบาท: {data['code']['role']}\nพื้นที่: {access.scope_label(user)}\n\n"
                 "เลือกใช้งานได้จากเมนูด้านล่างค่ะ", *main_menu(user))]


REGISTER = flow.register(Flow(
    name="register",
    steps=[
        Step("consent", PRIVACY_NOTICE, _accept, choices=(ACCEPT, DECLINE)),
        Step("code", ASK_CODE, _invite),
        Step("name", ASK_NAME, text_answer(people.parse_real_name)),
        Step("phone", ASK_PHONE, text_answer(parse_phone)),
        Step("confirm", _summary, _confirm, choices=(CONFIRM, EDIT_NAME, EDIT_PHONE, EDIT_CODE)),
    ],
    finish=finish_registration,
    roles=access.ANYONE,
    cancelled=f"ยกเลิกการลงทะเบียนแล้วค่ะ ข้อมูลที่กรอกไว้ไม่ถูกบันทึก พิมพ์ \"{MENU_REGISTER}\" เพื่อเริ่มใหม่ได้ค่ะ",
))


def start_registration(ctx: Context) -> Reply:
    """"ลงทะเบียน": show the privacy notice, unless this user is registered or deactivated."""
    user = ctx.user
    if not user.active:
        return [text(access.DEACTIVATED, *main_menu(user))]
    if access.is_registered(user):
        return [text(ALREADY_REGISTERED.format(role=people.ROLE_LABELS[user.role], scope=access.scope_label(user)),
                     *main_menu(user))]
    return flow.start(ctx, REGISTER)
