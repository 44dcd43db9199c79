"""Coordinators managing people in their own area: creating invite codes and deactivating users.

A coordinator can only give out, or take away, access inside their own scope (domain.access.covers).
"""
from __future__ import annotations

import re

from sqlalchemy import select

from domain import access, audit, people
from domain.menu_labels import MENU_REGISTER

from chat import flow

from line import richmenu
from chat.menus import requires
from chat.dispatcher import Context, Reply
from chat.flow import Answer, Fill, Finish, Flow, Step, text_answer
from line.messages import text
from domain.thai import InvalidInput, to_ascii_digits
from domain.thai_dates import BANGKOK, format_thai_date
from domain.thai_phones import format_phone, parse_phone
from models import Area, Organisation, User

from chat.menus import main_menu

CONFIRM = "ยืนยัน"
ROLE_CHOICES = {"ผู้แจ้งข้อมูล": "reporter", "ครู": "teacher", "ผู้ประสานงาน": "coordinator"}
MY_AREA = "ทั้งพื้นที่ของฉัน"
WHOLE_COUNTRY = "ทั้งประเทศ"
MY_ORGANISATION = "หน่วยงานเดียวกับฉัน"
NO_ORGANISATION = "ไม่ระบุหน่วยงาน"
USES_CHOICES = ("1", "5", "10", "30")
MAX_USES = 500
TOO_WIDE = ("รหัสเชิญนี้จะให้สิทธิ์กว้างกว่าพื้นที่ของท่าน กรุณาเลือกพื้นที่หรือหน่วยงานที่อยู่ในความรับผิดชอบของท่าน "
            "(ทุกพื้นที่ของหน่วยงานที่เลือกต้องอยู่ในพื้นที่ของท่านด้วย)")
NO_AREA = ("รหัสเชิญนี้ยังไม่ได้กำหนดพื้นที่ ผู้ที่ได้รับเชิญจะไม่เห็นข้อมูลใดเลย "
           "กรุณาย้อนกลับไปเลือกพื้นที่ หรือเลือกหน่วยงานที่มีพื้นที่ดูแล")
_LEVEL_WORDS = re.compile(r"^(?:จังหวัด|จ\.|อำเภอ|อ\.|ตำบล|ต\.)\s*")


def _confirmed(answer: Answer, data: dict) -> Finish:
    if answer.text.strip() != CONFIRM:
        raise InvalidInput(f"กรุณากด \"{CONFIRM}\" หรือ \"{flow.BACK}\" เพื่อแก้ไข หรือ \"{flow.CANCEL}\"")
    return Finish()


# ----------------------------------------------------------------------------- invites

def _role(text_: str) -> str:
    if text_ not in ROLE_CHOICES:
        raise InvalidInput("กรุณาเลือกบทบาทของผู้ที่จะเชิญจากปุ่มด้านล่าง")
    return ROLE_CHOICES[text_]


def _area(answer: Answer, data: dict) -> Fill:
    """The invitee's area code (None: their organisation's areas), and whether they are a national
    coordinator: only a national inviter can make one, by "ทั้งประเทศ" or their own whole area."""
    me = answer.ctx.user
    said = answer.text.strip()
    national = access.scope_prefixes(me) == access.WHOLE_COUNTRY and data["role"] == "coordinator"
    if said == WHOLE_COUNTRY:
        if not national:
            raise InvalidInput("รหัสเชิญทั้งประเทศสร้างได้เฉพาะผู้ประสานงานระดับประเทศ และสำหรับผู้ประสานงานเท่านั้น "
                               "กรุณาพิมพ์รหัสพื้นที่หรือชื่อพื้นที่ค่ะ")
        return Fill(None, {"national": True})
    if said == MY_AREA:
        return Fill(None, {"national": True}) if national else Fill(me.area.code if me.area else None,
                                                                    {"national": False})
    return Fill(named_area_in_scope(answer.ctx.session, me, said).code, {"national": False})


def named_area_in_scope(session, me: User, said: str) -> Area:
    """The area the coordinator named by DOPA code or by name, if it lies in their scope."""
    code = people.normalize_area_code(said)
    if code.isdigit():
        area = people.find_area(session, code)
        if area is None:
            raise InvalidInput(f"ไม่พบรหัสพื้นที่ {code} กรุณาตรวจสอบอีกครั้ง (ตำบลมี 6 หลัก หมู่บ้านมี 8 หลัก)")
    else:
        name = _LEVEL_WORDS.sub("", said)
        found = list(session.scalars(select(Area).where(Area.name == name, access.visible_area_filter(me))
                                     .order_by(Area.code).limit(8)))
        if not found:
            raise InvalidInput(f"ไม่พบพื้นที่ชื่อ “{name}” ในพื้นที่ของท่าน กรุณาพิมพ์รหัสพื้นที่ เช่น 400102")
        if len(found) > 1:
            listed = "\n".join(f"• {access.area_label(a)} รหัส {a.code}" for a in found)
            raise InvalidInput(f"มีหลายพื้นที่ชื่อ “{name}” กรุณาพิมพ์รหัสพื้นที่ที่ต้องการ:\n{listed}")
        area = found[0]
    reason = access.area_refusal(me, area)
    if reason:
        raise InvalidInput(reason)
    return area


def _organisation(answer: Answer, data: dict) -> dict:
    ctx = answer.ctx
    said = answer.text.strip()
    if said == NO_ORGANISATION:
        organisation = None
    elif said == MY_ORGANISATION:
        organisation = ctx.user.organisation
        if organisation is None:
            raise InvalidInput(f"ท่านยังไม่มีหน่วยงานในระบบ กรุณาพิมพ์รหัสหน่วยงาน หรือเลือก \"{NO_ORGANISATION}\"")
    else:
        organisation = people.find_organisation(ctx.session, to_ascii_digits(said))
        if organisation is None:
            raise InvalidInput(f"ไม่พบหน่วยงานรหัส “{said}” กรุณาตรวจสอบรหัสอีกครั้ง")
    if data["role"] == "teacher" and (organisation is None or organisation.kind != "school"):
        raise InvalidInput("ครูต้องสังกัดโรงเรียน กรุณาพิมพ์รหัสโรงเรียน")
    area = people.find_area(ctx.session, data["area"]) if data["area"] else None
    national = data.get("national", False)  # .get: a form begun before national invites existed is not one
    if not access.roots(data["role"], area, organisation, national=national):
        raise InvalidInput(NO_AREA)
    if not access.may_invite(ctx.user, data["role"], area, organisation, national=national):
        raise InvalidInput(TOO_WIDE)
    # Prompts get no database, so the confirmation's words are worked out here.
    return {"id": organisation.id if organisation else None,
            "name": organisation.name if organisation else "ไม่ระบุ",
            "scope": access.scope_label_for(data["role"], area, organisation, national=national)}


def _uses(text_: str) -> int:
    digits = to_ascii_digits(text_).strip()
    if not digits.isdigit() or not 1 <= int(digits) <= MAX_USES:
        raise InvalidInput(f"กรุณาพิมพ์จำนวนคนเป็นตัวเลข 1 ถึง {MAX_USES}")
    return int(digits)


def _invite_summary(data: dict) -> str:
    return "\n".join([
        "สร้างรหัสเชิญตามนี้ใช่ไหมคะ",
        f"บทบาท: {people.ROLE_LABELS[data['role']]}",
        f"หน่วยงาน: {data['organisation']['name']}",
        f"พื้นที่ที่ดูแล: {data['organisation']['scope']}",
        f"ใช้ได้: {data['uses']} คน ภายใน {people.DEFAULT_INVITE_DAYS} วัน",
    ])


def finish_invite(ctx: Context, data: dict) -> Reply:
    area = people.find_area(ctx.session, data["area"]) if data["area"] else None
    organisation_id = data["organisation"]["id"]
    organisation = ctx.session.get(Organisation, organisation_id) if organisation_id else None
    national = data.get("national", False)
    # Checked again: the coordinator's own scope may have changed since that step.
    if not access.may_invite(ctx.user, data["role"], area, organisation, national=national):
        return [text(TOO_WIDE, *main_menu(ctx.user))]
    invite = people.create_invite(ctx.session, data["role"], organisation, area, now=ctx.now,
                                  max_uses=data["uses"], created_by=ctx.user, national=national)
    audit.record_chat(ctx, "create", "invite", invite.id, area_code=area.code if area else None, role=invite.role,
                      organisation=organisation_id, uses=invite.max_uses, national=invite.national_scope)
    forward = (f"รหัสเชิญเข้าใช้ LINE \"พาน้องกลับมาเรียน\": {people.format_invite_code(invite.code)}\n"
               f"บทบาท: {people.ROLE_LABELS[invite.role]}\n"
               f"พื้นที่: {data['organisation']['scope']}\n"
               f"เพิ่มเพื่อนบัญชีนี้ แล้วพิมพ์ \"{MENU_REGISTER}\" และกรอกรหัสนี้ "
               f"ใช้ได้ถึง {format_thai_date(invite.expires_at.astimezone(BANGKOK).date())}")
    return [text(f"สร้างรหัสเชิญแล้วค่ะ ใช้ได้ {invite.max_uses} คน ส่งต่อข้อความถัดไปให้ผู้ที่ท่านต้องการเชิญได้เลย"),
            text(forward, *main_menu(ctx.user))]


INVITE = flow.register(Flow(
    name="invite",
    steps=[
        Step("role", "จะเชิญผู้ใช้ในบทบาทใดคะ", text_answer(_role), choices=tuple(ROLE_CHOICES)),
        Step("area", "ผู้ที่ได้รับเชิญดูแลพื้นที่ใดคะ พิมพ์รหัสพื้นที่หรือชื่อตำบล/หมู่บ้าน "
                     f"หรือเลือก \"{MY_AREA}\"", _area,
             choices=lambda data: (MY_AREA, WHOLE_COUNTRY) if data.get("_national") else (MY_AREA,)),
        Step("organisation", "สังกัดหน่วยงานใดคะ พิมพ์รหัสหน่วยงาน (เช่น รหัสโรงเรียน) หรือเลือกจากปุ่ม",
             _organisation, choices=(MY_ORGANISATION, NO_ORGANISATION)),
        Step("uses", "รหัสนี้ใช้ได้กี่คนคะ", text_answer(_uses), choices=USES_CHOICES),
        Step("confirm", _invite_summary, _confirmed, choices=(CONFIRM,)),
    ],
    finish=finish_invite,
    cancelled="ยกเลิกการสร้างรหัสเชิญแล้วค่ะ",
    roles=access.COORDINATORS,
))


@requires(*access.COORDINATORS)
def create_invite(ctx: Context) -> Reply:
    return flow.start(ctx, INVITE, {"_national": access.scope_prefixes(ctx.user) == access.WHOLE_COUNTRY})


# ----------------------------------------------------------------------------- deactivation

def _target(answer: Answer, data: dict) -> dict:
    ctx = answer.ctx
    phone = parse_phone(answer.text)
    # Users outside the coordinator's scope are reported as not found: their existence is not theirs to know.
    found = [user for user in people.find_users(ctx.session, phone)
             if user.role != "admin" and access.manages(ctx.user, user)]
    if not found:
        raise InvalidInput(f"ไม่พบผู้ใช้ที่ลงทะเบียนด้วยเบอร์ {format_phone(phone)} ในพื้นที่ของท่าน")
    if len(found) > 1:
        raise InvalidInput(f"มีผู้ใช้ในพื้นที่ของท่าน {len(found)} คนที่ลงทะเบียนด้วยเบอร์ {format_phone(phone)} "
                           "จึงระบุตัวจากเบอร์ไม่ได้ กรุณาแจ้งผู้ดูแลระบบให้ระงับด้วยรหัสผู้ใช้ LINE ค่ะ")
    [target] = found
    if target.id == ctx.user.id:
        raise InvalidInput("ไม่สามารถระงับบัญชีของตนเองได้ค่ะ")
    if not target.active:
        raise InvalidInput(f"บัญชีของคุณ{target.real_name} ถูกระงับอยู่แล้วค่ะ")
    return {"id": target.id, "name": target.real_name, "role": people.ROLE_LABELS[target.role],
            "scope": access.scope_label(target)}


def finish_deactivation(ctx: Context, data: dict) -> Reply:
    target = ctx.session.get(User, data["who"]["id"])
    if not access.manages(ctx.user, target):
        return [text(access.OUT_OF_SCOPE, *main_menu(ctx.user))]
    richmenu.set_active(ctx.session, target, False)
    audit.record_chat(ctx, "deactivate", "user", target.id, area_code=target.area.code if target.area else None)
    return [text(f"ระงับการใช้งานของคุณ{target.real_name} แล้วค่ะ", *main_menu(ctx.user))]


DEACTIVATE = flow.register(Flow(
    name="deactivate",
    steps=[
        Step("who", "พิมพ์เบอร์มือถือของผู้ใช้ที่ต้องการระงับการใช้งานค่ะ", _target),
        Step("confirm", lambda d: f"ยืนยันระงับการใช้งานของคุณ{d['who']['name']} "
                                  f"({d['who']['role']}, {d['who']['scope']}) ใช่ไหมคะ",
             _confirmed, choices=(CONFIRM,)),
    ],
    finish=finish_deactivation,
    cancelled="ยกเลิกการระงับผู้ใช้แล้วค่ะ",
    roles=access.COORDINATORS,
))


@requires(*access.COORDINATORS)
def deactivate_user(ctx: Context) -> Reply:
    return flow.start(ctx, DEACTIVATE)
