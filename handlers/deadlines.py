"""A coordinator sets a reporting deadline for their area; a user taps "รายงานแล้ว" on a reminder.

```mermaid
flowchart LR
  title[ชื่อเรื่อง] --> due_date[วันกำหนดส่ง] --> roles[ใครต้องรายงาน] --> confirm[ยืนยัน] --> saved((บันทึก))
```
"""
from __future__ import annotations

from datetime import date

from linebot.v3.messaging import DatetimePickerAction
from sqlalchemy import func, select

from bot import flow
from bot.access import COORDINATORS, requires
from bot.deadlines import create_deadline, mark_reported, must_report, parse_days, today_in_bangkok
from bot.dispatcher import Context, Reply
from bot.flow import Answer, Finish, Flow, Step, WrongKind
from bot.messages import text
from bot.thai import InvalidInput, format_thai_date, parse_date, parse_id
from models import Deadline, DeadlineReport

from .common import main_menu

MENU_SET_DEADLINE = "ตั้งกำหนดส่ง"
CONFIRM = "ยืนยัน"

# Who must report, as the coordinator picks it.
ROLE_CHOICES = {
    "ผู้รายงาน": ["reporter"],
    "ครู": ["teacher"],
    "ผู้รายงานและครู": ["reporter", "teacher"],
}
ROLE_NAMES = {"reporter": "ผู้รายงาน (ผู้ใหญ่บ้าน/อปท.)", "teacher": "ครู"}


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
    days = parse_days(ctx.config["DEADLINE_REMINDER_DAYS"])
    deadline = create_deadline(ctx.session, title=data["title"], due_date=date.fromisoformat(data["due_date"]),
                               area=ctx.user.area, roles=data["roles"], remind_days=days, created_by=ctx.user)
    count = ctx.session.scalar(select(func.count()).select_from(must_report(deadline).subquery()))
    rounds = ", ".join("เช้าวันกำหนดส่ง" if d == 0 else f"{d} วัน" for d in days)
    return [text(f"บันทึกกำหนดส่งแล้วค่ะ\n\"{deadline.title}\" ภายในวันที่ "
                 f"{format_thai_date(deadline.due_date, short_month=False)}\n"
                 f"ผู้ที่ต้องรายงานตอนนี้มี {count} คน ระบบจะเตือนเฉพาะผู้ที่ยังไม่ได้รายงาน "
                 f"ล่วงหน้า {rounds} เวลา {ctx.config['DEADLINE_REMINDER_TIME']} น.", *main_menu())]


SET_DEADLINE = flow.register(Flow(
    name="deadline",
    steps=[
        Step("title", "ตั้งกำหนดส่งรายงาน\nพิมพ์ชื่อเรื่องที่ต้องรายงาน เช่น \"รายงานผลการติดตามเด็ก รอบที่ 1\"",
             parse_title, max_length=Deadline.title.type.length),
        Step("due_date", "กำหนดส่งวันที่เท่าไรคะ พิมพ์ วัน/เดือน/ปี พ.ศ. เช่น 15/3/2569 หรือกด \"เลือกวันที่\"",
             parse_due_date, choices=date_picker),
        Step("roles", "ใครต้องรายงานบ้างคะ", parse_roles, choices=list(ROLE_CHOICES)),
        Step("confirm", summary, confirm, choices=[CONFIRM]),
    ],
    finish=save_deadline,
    cancelled="ยกเลิกการตั้งกำหนดส่งแล้วค่ะ",
))


@requires(*COORDINATORS)
def start_setting_deadline(ctx: Context) -> Reply:
    area = ctx.user.area
    data = {"today": today_in_bangkok(ctx.now).isoformat(), "area_name": area.name if area else "ทั้งประเทศ"}
    return flow.start(ctx, SET_DEADLINE, data)


def confirm_reported(ctx: Context) -> Reply:
    """The "รายงานแล้ว" button on a reminder: no more reminders for this deadline."""
    deadline_id = parse_id(ctx.postback.get("deadline"))
    deadline = ctx.session.get(Deadline, deadline_id) if deadline_id else None
    if deadline is None:
        return [text("ไม่พบกำหนดส่งนี้แล้วค่ะ อาจถูกยกเลิกไปแล้ว", *main_menu())]
    title = f"\"{deadline.title}\""
    if mark_reported(ctx.session, ctx.user, deadline.id, ctx.now):
        return [text(f"ขอบคุณค่ะ บันทึกแล้วว่าท่านรายงานเรื่อง {title} แล้ว จะไม่มีการเตือนเรื่องนี้อีก", *main_menu())]
    reported = ctx.session.scalar(select(DeadlineReport.id).where(
        DeadlineReport.deadline_id == deadline.id, DeadlineReport.user_id == ctx.user.id))
    if reported:
        return [text(f"บันทึกไว้แล้วค่ะว่าท่านรายงานเรื่อง {title} แล้ว", *main_menu())]
    return [text(f"เรื่อง {title} ไม่ได้อยู่ในความรับผิดชอบของท่านค่ะ", *main_menu())]
