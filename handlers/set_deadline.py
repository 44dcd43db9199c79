"""A coordinator sets a reporting deadline for their area; a user taps "รายงานแล้ว" on a reminder.

A coordinator with an area sets it for that area. One without (an organisation's coordinator, a national
coordinator, an admin) picks the area, inside their scope; only national scope may pick the whole country.

```mermaid
flowchart LR
  title[ชื่อเรื่อง] --> due_date[วันกำหนดส่ง] --> roles[ใครต้องรายงาน] --> area[พื้นที่<br>no area of their own] --> confirm[ยืนยัน] --> saved((บันทึก))
  roles --> confirm
```
"""
from __future__ import annotations

from datetime import date

from linebot.v3.messaging import DatetimePickerAction
from sqlalchemy import func, select

from domain import access, audit, people

from chat import flow
from domain.access import COORDINATORS, REPORTERS
from chat.menus import requires
from domain.deadlines import create_deadline, is_responsible, mark_reported, must_report, parse_days, today_in_bangkok
from chat.dispatcher import Context, Reply
from chat.flow import Answer, Fill, Finish, Flow, Step, WrongKind, text_of
from line.messages import text
from domain.thai import InvalidInput, parse_id
from domain.thai_dates import format_thai_date, parse_date
from models import Deadline

from chat.menus import area_buttons, main_menu, organisation_areas_to_choose
from handlers.manage_people import named_area_in_scope

CONFIRM = "ยืนยัน"

# Who must report, as the coordinator picks it.
ROLE_CHOICES = {
    "ผู้รายงาน": ["reporter"],
    "ครู": ["teacher"],
    "ผู้รายงานและครู": ["reporter", "teacher"],
}
ROLE_NAMES = {"reporter": "ผู้รายงาน (ผู้ใหญ่บ้าน/อปท.)", "teacher": "ครู"}
WHOLE_COUNTRY = "ทั้งประเทศ"
NOT_YOURS = "ไม่พบกำหนดส่งนี้ หรือกำหนดส่งนี้ไม่ได้อยู่ในความรับผิดชอบของท่านค่ะ"

REPORTED_ACTION = "deadline-reported"
REPORTED_LABEL = "รายงานแล้ว"


def parse_title(answer: Answer, data: dict) -> str:
    if answer.kind != "text" or not answer.text:
        raise WrongKind()
    return answer.text


def parse_due_date(answer: Answer, data: dict) -> str:
    """A date from the picker, or typed (BE or CE); today or later. Stored as ISO text in the flow data."""
    today = date.fromisoformat(data["today"])
    if answer.params.get("date"):
        chosen = date.fromisoformat(answer.params["date"])
    elif answer.kind == "text" and answer.text:
        chosen = parse_date(answer.text, today=today, future=True)
    else:
        raise WrongKind()
    if chosen < today:
        raise InvalidInput(f"วันที่ {format_thai_date(chosen)} ผ่านมาแล้ว กรุณาเลือกวันนี้หรือวันข้างหน้า")
    return chosen.isoformat()


def parse_roles(answer: Answer, data: dict) -> list[str]:
    roles = ROLE_CHOICES.get(answer.text)
    if roles is None:
        raise InvalidInput("กรุณาเลือกจากปุ่มด้านล่าง")
    return roles


def parse_area(answer: Answer, data: dict) -> Fill:
    """The deadline's area, by button, DOPA code or name, inside the setter's scope; the whole country
    only for national scope. Stored as the code (None: the whole country)."""
    said, me = text_of(answer), answer.ctx.user
    if said == WHOLE_COUNTRY:
        if access.scope_prefixes(me) != access.WHOLE_COUNTRY:
            raise InvalidInput("กำหนดส่งทั้งประเทศตั้งได้เฉพาะผู้ประสานงานระดับประเทศค่ะ กรุณาเลือกพื้นที่ของท่าน")
        return Fill(None, {"area_name": WHOLE_COUNTRY})
    area = named_area_in_scope(answer.ctx.session, me, said)
    return Fill(area.code, {"area_name": access.area_label(area)})


def area_choices(data: dict) -> list:
    return [*area_buttons(data["_areas"]), *([WHOLE_COUNTRY] if data["_national"] else [])]


def confirm(answer: Answer, data: dict) -> Finish:
    if answer.text != CONFIRM:
        raise InvalidInput(f"กด \"{CONFIRM}\" เพื่อบันทึก หรือ \"ย้อนกลับ\" เพื่อแก้ไข")
    return Finish()


def date_picker(data: dict) -> list:
    return [DatetimePickerAction(label="เลือกวันที่", data="action=deadline-date", mode="date", min=data["today"])]


def summary(data: dict) -> str:
    roles = " และ ".join(ROLE_NAMES[r] for r in data["roles"])
    return (f"ตรวจสอบก่อนบันทึกค่ะ\n"
            f"เรื่อง: {data['title']}\n"
            f"กำหนดส่ง: {format_thai_date(date.fromisoformat(data['due_date']), short_month=False)}\n"
            f"ผู้ที่ต้องรายงาน: {roles} ในพื้นที่ {data['area_name']}")


def save_deadline(ctx: Context, data: dict) -> Reply:
    code = data.get("area")  # .get: a form begun before the area step existed has none, and is refused
    area = people.find_area(ctx.session, code) if code else None
    # Checked again (the flow checked the role): the setter's scope may have changed since they chose,
    # and an area gone since then must not turn into the whole country.
    if (code and area is None) or not access.in_scope(ctx.user, area):
        return [text(access.OUT_OF_SCOPE, *main_menu(ctx.user))]
    days = parse_days(ctx.config["DEADLINE_REMINDER_DAYS"])
    deadline = create_deadline(ctx.session, title=data["title"], due_date=date.fromisoformat(data["due_date"]),
                               area=area, roles=data["roles"], remind_days=days, created_by=ctx.user)
    count = ctx.session.scalar(select(func.count()).select_from(must_report(deadline).subquery()))
    rounds = ", ".join("เช้าวันกำหนดส่ง" if d == 0 else f"{d} วัน" for d in days)
    return [text(f"บันทึกกำหนดส่งแล้วค่ะ\n\"{deadline.title}\" ภายในวันที่ "
                 f"{format_thai_date(deadline.due_date, short_month=False)}\n"
                 f"ผู้ที่ต้องรายงานตอนนี้มี {count} คน ระบบจะเตือนเฉพาะผู้ที่ยังไม่ได้รายงาน "
                 f"ล่วงหน้า {rounds} เวลา {ctx.config['DEADLINE_REMINDER_TIME']} น.", *main_menu(ctx.user))]


SET_DEADLINE = flow.register(Flow(
    name="deadline",
    steps=[
        Step("title", "ตั้งกำหนดส่งรายงาน\nพิมพ์ชื่อเรื่องที่ต้องรายงาน เช่น \"รายงานผลการติดตามเด็ก รอบที่ 1\"",
             parse_title, max_length=Deadline.title.type.length),
        Step("due_date", "กำหนดส่งวันที่เท่าไรคะ พิมพ์ วัน/เดือน/ปี พ.ศ. เช่น 15/3/2569 หรือกด \"เลือกวันที่\"",
             parse_due_date, choices=date_picker),
        Step("roles", "ใครต้องรายงานบ้างคะ", parse_roles, choices=list(ROLE_CHOICES)),
        Step("area", "ผู้ที่ต้องรายงานอยู่ในพื้นที่ใดคะ เลือกจากปุ่ม หรือพิมพ์รหัสพื้นที่หรือชื่อพื้นที่ "
                     "(ต้องอยู่ในความรับผิดชอบของท่าน)", parse_area, choices=area_choices,
             when=lambda data: data.get("_choose_area", False)),
        Step("confirm", summary, confirm, choices=[CONFIRM]),
    ],
    finish=save_deadline,
    roles=COORDINATORS,
    cancelled="ยกเลิกการตั้งกำหนดส่งแล้วค่ะ",
))


@requires(*COORDINATORS)
def start_setting_deadline(ctx: Context) -> Reply:
    """"ตั้งกำหนดส่ง": for the coordinator's own area, or one they pick when they have none of their own."""
    me, prefixes = ctx.user, access.scope_prefixes(ctx.user)
    if not prefixes:
        return [text(access.NO_SCOPE, *main_menu(me))]
    data = {"today": today_in_bangkok(ctx.now).isoformat()}
    national = prefixes == access.WHOLE_COUNTRY
    if me.area is not None and not national:
        data |= {"_choose_area": False, "area": me.area.code, "area_name": me.area.name}
    else:
        # Prompts get no database, so the buttons (an organisation's own areas, when few) are worked out here.
        data |= {"_choose_area": True, "_national": national,
                 "_areas": [] if national else organisation_areas_to_choose(me)}
    return flow.start(ctx, SET_DEADLINE, data)


def confirm_reported(ctx: Context) -> Reply:
    """The "รายงานแล้ว" button on a reminder: no more reminders for this deadline. Only for an active
    registered user in the deadline's audience; anyone else, a forged id included, learns nothing about it."""
    reason = access.refusal(ctx.user, REPORTERS)
    if reason:
        return [text(reason, *main_menu(ctx.user))]
    deadline_id = parse_id(ctx.postback.get("deadline"))
    deadline = ctx.session.get(Deadline, deadline_id) if deadline_id else None
    if deadline is None or not is_responsible(ctx.user, deadline):
        audit.record_chat(ctx, "denied", "deadline", ctx.postback.get("deadline", "")[:64])
        return [text(NOT_YOURS, *main_menu(ctx.user))]
    title = f"\"{deadline.title}\""
    if mark_reported(ctx.session, ctx.user, deadline.id, ctx.now):
        return [text(f"ขอบคุณค่ะ บันทึกแล้วว่าท่านรายงานเรื่อง {title} แล้ว จะไม่มีการเตือนเรื่องนี้อีก",
                     *main_menu(ctx.user))]
    return [text(f"บันทึกไว้แล้วค่ะว่าท่านรายงานเรื่อง {title} แล้ว", *main_menu(ctx.user))]


def when_due(due_date: date, today: date) -> str:
    days = (due_date - today).days
    return {0: "วันนี้", 1: "พรุ่งนี้"}.get(days, f"อีก {days} วัน")


def reminder_message(deadline: Deadline, today: date) -> dict:
    """The same card for everyone in the round (no names), so it can go by multicast."""
    due = format_thai_date(deadline.due_date, short_month=False)
    when = when_due(deadline.due_date, today)
    return {
        "type": "flex",
        "altText": f"เตือนกำหนดส่ง: {deadline.title} ภายในวันที่ {due} ({when})",
        "contents": {
            "type": "bubble",
            "body": {"type": "box", "layout": "vertical", "spacing": "md", "contents": [
                {"type": "text", "text": "⏰ เตือนกำหนดส่งรายงาน", "weight": "bold", "size": "sm",
                 "color": "#C0392B"},
                {"type": "text", "text": deadline.title, "weight": "bold", "size": "lg", "wrap": True},
                {"type": "text", "text": f"กำหนดส่งภายในวันที่ {due} ({when})", "wrap": True},
                {"type": "text", "text": "ท่านยังไม่ได้แจ้งว่ารายงานเรื่องนี้แล้ว เมื่อรายงานแล้ว "
                                         "กดปุ่มด้านล่างเพื่อหยุดการแจ้งเตือนค่ะ",
                 "wrap": True, "size": "sm", "color": "#666666"},
            ]},
            "footer": {"type": "box", "layout": "vertical", "contents": [
                {"type": "button", "style": "primary", "action": {
                    "type": "postback", "label": REPORTED_LABEL, "displayText": REPORTED_LABEL,
                    "data": f"action={REPORTED_ACTION}&deadline={deadline.id}"}},
            ]},
        },
    }
