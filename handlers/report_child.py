"""Reporting a child found out of school: the guided report, one question at a time.

A registered reporter taps "แจ้งพบเด็ก"; the flow below asks about the child, shows every answer
on a card to confirm, and opens a case (or adds the report to the case the child already has),
telling the coordinators responsible for the area. Steps marked (if …) are asked only then.

```mermaid
flowchart TD
    start([แจ้งพบเด็ก]) --> name[ชื่อ-นามสกุล<br>with or without title]
    name -->|no title typed| title[คำนำหน้า]
    name --> national_id
    title --> national_id[เลขประจำตัวประชาชน<br>ไม่ทราบ skips]
    national_id --> birth[วันเกิด or อายุ<br>date picker]
    birth -->|title tells no sex| sex[เพศ]
    birth --> area
    sex --> area[พื้นที่<br>if the reporter has no area of their own]
    area --> village[หมู่บ้าน<br>if the area has a few]
    village --> home[ที่อยู่: location or house no./หมู่]
    home --> situation[สถานการณ์ปัจจุบัน] -->|อื่น ๆ| situation_note[รายละเอียด]
    situation --> reason[สาเหตุหลัก] -->|อื่น ๆ| reason_note[รายละเอียด]
    situation_note --> reason
    reason --> wants[ความต้องการ]
    reason_note --> wants
    wants --> guardian[ผู้ปกครอง + เบอร์<br>ข้าม skips] --> photo[รูปถ่าย<br>ไม่มีรูป skips]
    photo --> confirm{{Flex card}}
    confirm -->|ยืนยัน| done([case number + what happens next;<br>coordinators told])
    confirm -->|แก้ไข| edit[pick a field] -->|answer it| confirm
```
"ยกเลิก" and "ย้อนกลับ" work at every step (bot/flow.py). A draft idle for 3 hours gets one
reminder and is dropped after 24 (flow.remind_idle_drafts, run by the scheduler).
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from linebot.v3.messaging import (
    CameraAction,
    CameraRollAction,
    DatetimePickerAction,
    LocationAction,
    Message,
    MessageAction,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import access, audit

from chat import flow
from domain.access import REPORTERS, coordinators_covering, in_scope, refusal, scope_label
from chat.menus import requires
from chat.dispatcher import Context, Reply, normalize_text
from chat.flow import Answer, Fill, Finish, Flow, Goto, Step, WrongKind, free_text, text_answer, text_of
from line.messages import MAX_QUICK_REPLIES, card, flex, text
from line.outbox import queue_messages
from domain.thai import InvalidInput, to_ascii_digits
from domain.thai_dates import format_thai_date, now_bangkok, parse_birth
from domain.thai_ids import mask_national_id, parse_national_id
from domain.thai_names import TITLE_SEX, parse_person_name, parse_title
from domain.thai_phones import format_phone, parse_phone
from models import (
    SEXES,
    STATUSES,
    Area,
    Case,
    CaseElsewhere,
    CasePhoto,
    User,
    choice_list,
    open_case,
    report_outside,
)
from models.choice import OTHER

from chat.menus import area_buttons, main_menu, organisation_areas_to_choose
from handlers.manage_people import named_area_in_scope

# The coordinators' lists (models.choice) this flow asks from, each a step of the same name.
LISTS = ("situation", "reason", "wants")
# The lists whose "อื่น ๆ" details a case keeps (Case.situation_note, Case.reason_note).
NOTED = ("situation", "reason")
# Village buttons that fit beside "ไม่แน่ใจ", "ย้อนกลับ" and "ยกเลิก"; with more, the reporter's area is used.
MAX_VILLAGE_BUTTONS = MAX_QUICK_REPLIES - 3
CONFIRM, EDIT = "ยืนยัน", "แก้ไข"
UNKNOWN = "ไม่ทราบ"
NO_ID_WORDS = {"ไม่มี", "ไม่รู้"}  # typed instead of tapping "ไม่ทราบ"

INTRO = ("เริ่มแจ้งพบเด็กค่ะ 📝 ตอบทีละข้อ ใช้เวลาประมาณ 2 นาที\n"
         "พิมพ์ \"ย้อนกลับ\" เพื่อแก้ข้อก่อนหน้า หรือ \"ยกเลิก\" ได้ทุกเมื่อ")
RESUMING = "ท่านมีรายการแจ้งพบเด็กที่กรอกค้างไว้ ทำต่อจากข้อล่าสุดได้เลยค่ะ (หรือพิมพ์ \"ยกเลิก\" เพื่อเริ่มใหม่)"
REMINDER = ("รายการแจ้งพบเด็กที่ท่านกรอกไว้ยังไม่เสร็จค่ะ ตอบคำถามด้านล่างเพื่อทำต่อ "
            "ข้อมูลที่กรอกไว้จะถูกเก็บไว้ 24 ชั่วโมงนับจากที่ตอบล่าสุด")
CANCELLED = "ยกเลิกการแจ้งแล้วค่ะ ข้อมูลที่กรอกไว้ไม่ถูกบันทึก"

NAME_PROMPT = ("1/9 ชื่อและนามสกุลของเด็ก\n"
               "พิมพ์พร้อมคำนำหน้าได้เลย เช่น ด.ช. สมชาย ใจดี")
TITLE_PROMPT = "คำนำหน้าของเด็กคือข้อใดคะ"
ID_PROMPT = ("2/9 เลขประจำตัวประชาชน 13 หลักของเด็ก\n"
             "พิมพ์ติดกันหรือมีขีดก็ได้ ถ้าไม่ทราบหรือไม่มี กด \"ไม่ทราบ\"")
BIRTH_PROMPT = ("3/9 วันเกิดของเด็ก เช่น 15/3/2555 หรือ 15 มี.ค. 55\n"
                "ถ้าไม่ทราบวันเกิด พิมพ์อายุเป็นปี เช่น 12 หรือกด \"เลือกจากปฏิทิน\"")
SEX_PROMPT = "เพศของเด็ก"
HOME_PROMPT = ("4/9 บ้านที่เด็กอาศัยอยู่\n"
               "กด \"ส่งตำแหน่งบ้าน\" เพื่อปักหมุดบนแผนที่ หรือพิมพ์บ้านเลขที่และหมู่ เช่น 12 หมู่ 3")
SITUATION_PROMPT = "5/9 ตอนนี้เด็กทำอะไรอยู่คะ"
REASON_PROMPT = "6/9 สาเหตุหลักที่เด็กไม่ได้เรียนคืออะไรคะ"
WANTS_PROMPT = "7/9 เด็กหรือครอบครัวต้องการอะไรคะ"
OTHER_PROMPT = "กรุณาพิมพ์รายละเอียดสั้น ๆ ค่ะ"
GUARDIAN_PROMPT = ("8/9 ชื่อและเบอร์โทรของผู้ปกครอง (ถ้ามี)\n"
                   "เช่น นางสมศรี ใจดี 081-234-5678 หรือกด \"ข้าม\"")
PHOTO_PROMPT = ("9/9 รูปถ่ายของเด็ก (ถ้ามี) ส่งรูปได้เลย 1 รูป\n"
                "ถ่ายเมื่อเด็กและผู้ปกครองยินยอมเท่านั้น ถ้าไม่มี กด \"ไม่มีรูป\"")
CARD_TITLE = "ตรวจสอบข้อมูลก่อนยืนยัน"

NEXT_STEPS = ("ขั้นต่อไป\n"
              "• ผู้ประสานงานในพื้นที่ได้รับแจ้งแล้ว และจะตรวจสอบข้อมูล\n"
              "• ผู้ประสานงานหรือครูจะติดต่อครอบครัว เพื่อหาการเรียนที่เหมาะกับน้อง\n"
              "• กรุณาจดเลขที่เรื่องไว้ใช้อ้างอิงค่ะ")
# When the child's case is another area's: no case number, name or status of it, only that the
# report went to whoever is responsible (the words a new report's reply also opens with).
SENT_FOR_REVIEW = ("✅ บันทึกการแจ้งเรียบร้อยแล้วค่ะ\n"
                   "ส่งให้ผู้รับผิดชอบตรวจสอบแล้ว ผู้ประสานงานหรือครูจะติดต่อครอบครัว "
                   "เพื่อหาการเรียนที่เหมาะกับน้องค่ะ ขอบคุณค่ะ")


# ------------------------------------------------------------------ parsers

def read_name(text: str) -> dict | Fill:
    name = parse_person_name(text)
    answer = {"first": name.first_name, "last": name.last_name}
    # A typed title answers the title question as well; without one the earlier title stays.
    return Fill(answer, {"title": name.title}) if name.title else answer


def read_title(text: str) -> str:
    title = parse_title(text)
    if title is None:
        raise InvalidInput("กรุณาเลือกคำนำหน้าจากปุ่มด้านล่างค่ะ")
    return title


def read_national_id(text: str) -> str | None:
    return None if text in NO_ID_WORDS else parse_national_id(text)


def read_birth(answer: Answer, data: dict) -> dict:
    picked = answer.params.get("date")  # from the date picker, "2012-03-15"
    birth = parse_birth(picked or text_of(answer), today=now_bangkok().date())
    return {"date": birth.birth_date.isoformat() if birth.birth_date else None, "age": birth.age_years}


def read_sex(text: str) -> str:
    for code, label in SEXES.items():
        if text == label:
            return code
    raise InvalidInput("กรุณาเลือกเพศจากปุ่มด้านล่างค่ะ")


def read_area(answer: Answer, data: dict) -> Fill:
    """For a reporter without an area of their own (a school's teacher, a national coordinator): the
    area the child lives in, by button, DOPA code or name, inside their scope; the villages follow it."""
    ctx = answer.ctx
    area = named_area_in_scope(ctx.session, ctx.user, text_of(answer))
    return Fill(area.id, report_context(ctx.session, area))


def read_village(answer: Answer, data: dict) -> int:
    said = text_of(answer)
    moo = re.fullmatch(r"(?:หมู่(?:ที่)?|ม\.)\s*(\d+)", to_ascii_digits(said))
    for area_id, name in data["_villages"]:
        if said == normalize_text(name) or (moo and re.search(rf"หมู่(?:ที่)?\s*{moo.group(1)}$", name)):
            return area_id
    raise InvalidInput("กรุณาเลือกหมู่บ้านจากปุ่มด้านล่างค่ะ")


def read_home(answer: Answer, data: dict) -> dict:
    if answer.kind == "location":
        where = answer.location
        # LINE writes the address; cut to Case.address in case it ever writes a longer one.
        address = where.get("address") and where["address"][:Case.address.type.length]
        return {"lat": where["latitude"], "lng": where["longitude"], "address": address}
    address = text_of(answer)
    if not re.search(r"[0-9๐-๙\u0e01-\u0e2e]", address) or len(address) > 300:
        raise InvalidInput("กรุณาพิมพ์บ้านเลขที่และหมู่ เช่น 12 หมู่ 3 หรือกดปุ่ม \"ส่งตำแหน่งบ้าน\"")
    return {"address": address}


def choose_from(list_name: str):
    """A parser of one of the coordinators' lists: the code of the option whose label was sent."""

    def choose(answer: Answer, data: dict) -> str:
        said = text_of(answer)
        for code, label in data["_lists"][list_name]:
            if said == normalize_text(label):
                return code
        raise InvalidInput("กรุณาเลือกคำตอบจากปุ่มด้านล่างค่ะ")

    return choose


# A phone number somewhere in the text: a digit, then digits and separators, then a digit.
_PHONE_IN_TEXT = re.compile(r"\+?[0-9๐-๙][0-9๐-๙\s\-().]{6,}[0-9๐-๙]")


def read_guardian(text: str) -> dict:
    found = _PHONE_IN_TEXT.search(text)
    phone = parse_phone(found.group(), mobile_only=False) if found else None
    name = (text[:found.start()] + " " + text[found.end():] if found else text).strip(" ,:-")
    if re.search(r"[0-9๐-๙]", name):
        raise InvalidInput("ไม่เข้าใจเบอร์โทร กรุณาพิมพ์ชื่อแล้วตามด้วยเบอร์ เช่น นางสมศรี ใจดี 081-234-5678")
    if len(name) > 200:
        raise InvalidInput("ชื่อผู้ปกครองยาวเกินไป กรุณาตรวจสอบอีกครั้งค่ะ")
    return {"name": " ".join(name.split()) or None, "phone": phone}


def take_photo(answer: Answer, data: dict) -> str:
    if answer.kind == "image":
        return answer.message_id
    if answer.kind == "text":
        raise InvalidInput("กรุณาส่งรูปถ่ายของเด็ก 1 รูป หรือกด \"ไม่มีรูป\" ค่ะ")
    raise WrongKind()


def confirm_or_edit(text: str) -> Finish | Goto:
    if text == CONFIRM:
        return Finish()
    if text == EDIT:
        return Goto("edit")
    raise InvalidInput(f"กรุณากด \"{CONFIRM}\" เพื่อส่งการแจ้ง หรือ \"{EDIT}\" เพื่อแก้ไขข้อมูลค่ะ")


# ------------------------------------------------------------- the answers

def sex_of(data: dict) -> str | None:
    return TITLE_SEX.get(data.get("title")) or data.get("sex")


def area_name(data: dict) -> str:
    villages = dict(map(tuple, data["_villages"]))
    return villages.get(data.get("village")) or data["_area_name"] or "-"


def label_of(data: dict, list_name: str) -> str:
    code = data.get(list_name)
    label = dict(map(tuple, data["_lists"][list_name])).get(code, "-")
    note = data.get(f"{list_name}_note") if code == OTHER else None
    return f"{label}: {note}" if note else label


def birth_text(birth: dict) -> str:
    if birth["date"]:
        return f"{format_thai_date(date.fromisoformat(birth['date']))} (อายุ {birth['age']} ปี)"
    return f"อายุ {birth['age']} ปี"


def home_text(home: dict) -> str:
    pin = "📍 ปักหมุดตำแหน่งแล้ว" if "lat" in home else ""
    return "\n".join(part for part in (home.get("address"), pin) if part) or "-"


def guardian_text(guardian: dict | None) -> str:
    if not guardian:
        return "-"
    phone = format_phone(guardian["phone"]) if guardian["phone"] else None
    return " ".join(part for part in (guardian["name"], phone) if part)


def full_name(data: dict) -> str:
    return " ".join(part for part in (data.get("title"), data["name"]["first"], data["name"]["last"]) if part)


def summary(data: dict) -> list[tuple[str, str]]:
    """Every answer as (label, value) for the card; the national ID masked."""
    national_id = data.get("national_id")
    return [
        ("ชื่อ", full_name(data)),
        ("เลขประจำตัว", mask_national_id(national_id) if national_id else UNKNOWN),
        ("วันเกิด/อายุ", birth_text(data["birth"])),
        ("เพศ", SEXES.get(sex_of(data), "ไม่ระบุ")),
        ("พื้นที่", area_name(data)),
        ("ที่อยู่", home_text(data["home"])),
        ("สถานการณ์", label_of(data, "situation")),
        ("สาเหตุหลัก", label_of(data, "reason")),
        ("ความต้องการ", label_of(data, "wants")),
        ("ผู้ปกครอง", guardian_text(data.get("guardian"))),
        ("รูปถ่าย", "มี 1 รูป" if data.get("photo") else "ไม่มี"),
    ]


def summary_card(data: dict) -> Message:
    buttons = [(style, MessageAction(label=label, text=label))
               for style, label in (("primary", CONFIRM), ("secondary", EDIT), ("link", flow.CANCEL))]
    return flex(f"{CARD_TITLE}: {full_name(data)}", card(CARD_TITLE, summary(data), buttons))


# ----------------------------------------------------------------- choices

def birth_picker(data: dict) -> list[DatetimePickerAction]:
    today = now_bangkok().date()
    return [DatetimePickerAction(label="เลือกจากปฏิทิน", data="pick=birth", mode="date",
                                 initial=today.replace(year=today.year - 10, day=1).isoformat(),
                                 max=today.isoformat(), min=today.replace(year=today.year - 26, day=1).isoformat())]


def labels(list_name: str):
    return lambda data: [label for _, label in data["_lists"][list_name]]


def choice_steps(list_name: str, prompt: str, edit_label: str | None = None) -> list[Step]:
    """Ask from one of the coordinators' lists; choosing "อื่น ๆ" then asks for the details."""
    return [
        Step(list_name, prompt, choose_from(list_name), choices=labels(list_name), edit_label=edit_label),
        # Case.situation_note and reason_note are 500 characters, the engine's default max_length.
        Step(f"{list_name}_note", OTHER_PROMPT, free_text, when=lambda data: data.get(list_name) == OTHER),
    ]


# -------------------------------------------------------------------- flow

def submit_report(ctx: Context, data: dict) -> Reply:
    """The reporter confirmed: open the case (or update the child's existing one), tell coordinators."""
    reason = refusal(ctx.user, REPORTERS)  # deactivated while filling in
    if reason:
        return [text(reason, *main_menu(ctx.user))]
    fields = case_fields(data, ctx.user)
    try:
        case, created = open_case(ctx.session, fields, ctx.user, now=ctx.now,
                                  visible=lambda case: in_scope(ctx.user, case.area))
    except CaseElsewhere as elsewhere:
        # The child's case is another area's: the reporter learns nothing of it, and it is not changed.
        report_elsewhere(ctx, elsewhere.case, fields, data)
        return [text(SENT_FOR_REVIEW, *main_menu(ctx.user))]
    if data.get("photo"):
        ctx.session.add(CasePhoto(case_id=case.id, line_message_id=data["photo"], sent_by_id=ctx.user.id,
                                  created_at=ctx.now, not_before=ctx.now))
    audit.record_chat(ctx, "create" if created else "report_again", "case", case.id, area_code=case.area_code)
    notify_coordinators(ctx.session, case, ctx.user, created, ctx.event.webhook_event_id)
    if not in_scope(ctx.user, case.area) and case.area is not None:
        # The reporter's area changed while the draft waited: the new case is the old area's, whose
        # coordinators were told; the reporter, no longer responsible there, gets no number to follow.
        return [text(SENT_FOR_REVIEW, *main_menu(ctx.user))]
    if created:
        reply = f"✅ บันทึกการแจ้งเรียบร้อยแล้วค่ะ\nเลขที่เรื่อง {case.number}\n\n{NEXT_STEPS}"
    else:
        reply = (f"เด็กคนนี้มีในระบบแล้วค่ะ: เลขที่เรื่อง {case.number} ({STATUSES[case.status]})\n"
                 "ระบบได้บันทึกสิ่งที่ท่านแจ้งเป็นข้อมูลเพิ่มเติมของเรื่องเดิม และแจ้งผู้ประสานงานแล้ว "
                 "ไม่ต้องแจ้งซ้ำค่ะ ขอบคุณค่ะ")
    return [text(reply, *main_menu(ctx.user))]


def report_elsewhere(ctx: Context, case: Case, fields: dict[str, Any], data: dict) -> None:
    """Keep a report about another area's case for that case's coordinators and push it to them.

    They get what was reported and by whom, to compare with their case; the photo is not attached
    to a case its sender may not see (they can ask the reporter for it)."""
    source = ctx.event.webhook_event_id
    report_outside(ctx.session, case, fields, ctx.user, now=ctx.now, source=source)
    audit.record_chat(ctx, "report_outside", "case", case.id, area_code=case.area_code)
    reporter = ctx.user
    lines = [
        "📋 มีการแจ้งจากนอกพื้นที่ของท่าน กรุณาตรวจสอบค่ะ",
        f"ข้อมูลตรงกับเรื่อง {case.number} ในพื้นที่ของท่าน ระบบยังไม่ได้เปลี่ยนแปลงเรื่องนี้ "
        "และไม่ได้แจ้งเลขที่เรื่องหรือข้อมูลของเรื่องให้ผู้แจ้งทราบ",
        "",
        "สิ่งที่แจ้ง",
        *(f"{label}: {value}" for label, value in summary(data)),
        "",
        f"ผู้แจ้ง: {reporter.real_name or '-'}" + (f" โทร {format_phone(reporter.phone)}" if reporter.phone else ""),
        f"พื้นที่ของผู้แจ้ง: {scope_label(reporter)}",
    ]
    for coordinator in coordinators_covering(ctx.session, case.area):
        queue_messages(ctx.session, coordinator.line_user_id, [text("\n".join(lines))])
        audit.record(ctx.session, "notified", "case", case.id, actor=coordinator, area_code=case.area_code,
                     source=source)


def case_fields(data: dict, reporter: User) -> dict[str, Any]:
    """The report's answers as Case columns."""
    birth, home, guardian = data["birth"], data["home"], data.get("guardian") or {}
    return {
        "source": "report",
        "reporter_id": reporter.id,
        "title": data.get("title"),
        "first_name": data["name"]["first"],
        "last_name": data["name"]["last"],
        "sex": sex_of(data),
        "national_id": data.get("national_id"),
        "birth_date": date.fromisoformat(birth["date"]) if birth["date"] else None,
        "age_years": None if birth["date"] else birth["age"],
        "area_id": data.get("village") or data["_area"],
        "address": home.get("address"),
        "latitude": home.get("lat"),
        "longitude": home.get("lng"),
        **{list_name: data.get(list_name) for list_name in LISTS},
        **{f"{list_name}_note": data.get(f"{list_name}_note") if data.get(list_name) == OTHER else None
           for list_name in NOTED},
        "guardian_name": guardian.get("name"),
        "guardian_phone": guardian.get("phone"),
    }


def notify_coordinators(session: Session, case: Case, reporter: User, created: bool, source: str | None,
                        headline: str | None = None) -> None:
    """A short notice, in this transaction, to every coordinator whose scope covers the case's area;
    each one that receives the child's details is in the audit log."""
    headline = headline or ("📋 มีการแจ้งพบเด็กในพื้นที่ของท่าน" if created else "📋 มีผู้แจ้งข้อมูลเพิ่มเติม")
    born = (f"เกิด {format_thai_date(case.birth_date)}" if case.birth_date
            else f"อายุ {case.age_years} ปี" if case.age_years is not None else "")
    lines = [
        headline,
        f"เลขที่เรื่อง {case.number}",
        f"{case.full_name} {born}".strip(),
        f"เลขประจำตัว {mask_national_id(case.national_id) if case.national_id else UNKNOWN}",
        f"พื้นที่: {case.area.name if case.area else '-'}",
        f"ผู้แจ้ง: {reporter.real_name or '-'}" + (f" โทร {format_phone(reporter.phone)}" if reporter.phone else ""),
    ]
    for coordinator in coordinators_covering(session, case.area):
        if coordinator.id != reporter.id:
            queue_messages(session, coordinator.line_user_id, [text("\n".join(lines))])
            audit.record(session, "notified", "case", case.id, actor=coordinator, area_code=case.area_code,
                         source=source)


def report_context(session: Session, area: Area | None) -> dict:
    """What the flow needs from the database, read once when it starts: the area the child is in
    (the reporter's), its villages when there are few enough for buttons, and the coordinators' lists."""
    villages = []
    if area is not None and area.level != "village":
        villages = session.execute(
            select(Area.id, Area.name).where(Area.level == "village", Area.code.startswith(area.code))
            .order_by(Area.code).limit(MAX_VILLAGE_BUTTONS + 1)
        ).all()
    return {
        "_area": area.id if area else None,
        "_area_name": area.name if area else None,
        "_villages": [[area_id, name] for area_id, name in villages] if len(villages) <= MAX_VILLAGE_BUTTONS else [],
        "_lists": {list_name: [list(option) for option in choice_list(session, list_name)] for list_name in LISTS},
    }


REPORT = flow.register(Flow(
    name="report",
    steps=[
        Step("name", NAME_PROMPT, text_answer(read_name), edit_label="ชื่อ-นามสกุล"),
        Step("title", TITLE_PROMPT, text_answer(read_title), choices=list(TITLE_SEX), skip="ไม่ระบุ",
             when=lambda data: "title" not in data),
        Step("national_id", ID_PROMPT, text_answer(read_national_id), skip=UNKNOWN,
             edit_label="เลขประจำตัวประชาชน"),
        Step("birth", BIRTH_PROMPT, read_birth, choices=birth_picker, edit_label="วันเกิด/อายุ"),
        Step("sex", SEX_PROMPT, text_answer(read_sex), choices=list(SEXES.values()), edit_label="เพศ",
             when=lambda data: data.get("title") not in TITLE_SEX),
        Step("area", "เด็กอาศัยอยู่ในพื้นที่ใดคะ เลือกจากปุ่ม หรือพิมพ์รหัสหรือชื่อตำบล", read_area,
             choices=lambda data: area_buttons(data.get("_areas", [])), when=lambda data: data["_area"] is None),
        Step("village", "เด็กอาศัยอยู่หมู่บ้านใดคะ", read_village, skip="ไม่แน่ใจ", edit_label="หมู่บ้าน",
             choices=lambda data: [name for _, name in data["_villages"]], when=lambda data: bool(data["_villages"])),
        Step("home", HOME_PROMPT, read_home, choices=[LocationAction(label="ส่งตำแหน่งบ้าน")],
             edit_label="ที่อยู่"),
        *choice_steps("situation", SITUATION_PROMPT, edit_label="สถานการณ์"),
        *choice_steps("reason", REASON_PROMPT, edit_label="สาเหตุ"),
        *choice_steps("wants", WANTS_PROMPT, edit_label="ความต้องการ"),
        Step("guardian", GUARDIAN_PROMPT, text_answer(read_guardian), skip="ข้าม", edit_label="ผู้ปกครอง"),
        Step("photo", PHOTO_PROMPT, take_photo, skip="ไม่มีรูป", edit_label="รูปถ่าย",
             choices=[CameraAction(label="ถ่ายรูป"), CameraRollAction(label="เลือกรูป")]),
        Step("confirm", CARD_TITLE, text_answer(confirm_or_edit), choices=(CONFIRM, EDIT), card=summary_card),
        flow.edit_step("edit", flow="report", return_to="confirm"),
    ],
    finish=submit_report,
    roles=REPORTERS,
    cancelled=CANCELLED,
    remind_after=timedelta(hours=3),
    reminder=REMINDER,
))


@requires(*REPORTERS)
def report_found_child(ctx: Context) -> Reply:
    """"แจ้งพบเด็ก": start a report, or pick up the one the reporter left unfinished."""
    draft = flow.conversation(ctx)
    if draft is not None and draft.flow == REPORT.name and not REPORT.timed_out(draft, ctx.now):
        return flow.resume(ctx, RESUMING)
    if not access.scope_prefixes(ctx.user):
        return [text(access.NO_SCOPE, *main_menu(ctx.user))]
    data = report_context(ctx.session, ctx.user.area or _only_area(ctx.user))
    if data["_area"] is None:  # asked at the "area" step; its buttons are worked out here (prompts get no database)
        data["_areas"] = organisation_areas_to_choose(ctx.user)
    return [text(INTRO), *flow.start(ctx, REPORT, data)]


def _only_area(user: User) -> Area | None:
    """The one area of the reporter's organisation, when it has exactly one (a local government's
    subdistrict): nothing to ask."""
    areas = user.organisation.areas if user.organisation else []
    return areas[0] if len(areas) == 1 and access.in_scope(user, areas[0]) else None
