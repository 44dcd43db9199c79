"""Checking in a child from the list: a reporter visits and records what they found.

Tapping "เช็กอิน" on a child's card (a postback naming the case) opens this flow. "Found" goes on
into the guided report's own questions (handlers/report.py), passing over what the list already
says (name, ID, birth date, sex, village); the other outcomes ask what they need and an optional
pin and photo. The case is checked again (area, status, role) when the check-in is saved.

```mermaid
flowchart TD
    start([เช็กอิน on a card]) --> outcome{ผลการติดตาม}
    outcome -->|พบตัวเด็ก| report[the report's questions<br>not already on the list] --> card{{Flex card}}
    card -->|ยืนยัน| found([found; coordinators told])
    outcome -->|ไม่พบตัว| visit_note[รายละเอียด<br>ข้าม skips]
    outcome -->|ย้ายที่อยู่| moved_to[ย้ายไปที่ไหน<br>ไม่ทราบ skips]
    outcome -->|เรียนอยู่แล้ว| school[เรียนที่ไหน<br>ไม่ทราบ skips]
    outcome -->|อื่น ๆ| other_note[เล่าสั้น ๆ]
    outcome -->|เสียชีวิต| visit_note
    visit_note -->|ไม่พบตัว| pin
    visit_note -->|เสียชีวิต| closed([closed])
    moved_to --> pin
    school --> pin
    other_note --> pin[ปักหมุด<br>ข้าม skips] --> photo[รูปถ่าย<br>ไม่มีรูป skips]
    photo --> saved([not found / moved: handed to the new area's coordinators /<br>back in school / a note])
```
"""
from __future__ import annotations

from linebot.v3.messaging import CameraAction, CameraRollAction, LocationAction
from sqlalchemy import select

from domain import audit

from chat import flow
from domain.access import REPORTERS, area_label, coordinators_covering, in_scope
from chat.menus import requires
from chat.dispatcher import Context, Reply
from chat.flow import Flow, edit_step, free_text, text_answer, text_of
from chat.step import Answer, Step, WrongKind
from line.messages import text
from line.outbox import queue_messages
from domain.people import find_place
from domain.thai import InvalidInput
from models import STATUSES, Area, Case, CasePhoto, find_duplicate

from handlers import report_child as report
from handlers.act_on_case import age_of, case_for, done, move, start_case_flow, summary_rows

OUTCOMES = {
    "found": "พบตัวเด็ก",
    "not_found": "ไม่พบตัว",
    "moved": "ย้ายที่อยู่",
    "in_school": "เรียนอยู่แล้ว",
    "deceased": "เสียชีวิต",
    "other": "อื่น ๆ",
}
# The status each outcome moves the case to; "other" only adds a note to its history.
OUTCOME_STATUS = {"found": "found", "not_found": "not_found", "moved": "moved", "in_school": "back_in_school",
                  "deceased": "closed", "other": None}
# The outcomes that ask for a pin and a photo of the visit ("found" has the report's own).
VISITED = ("not_found", "moved", "in_school", "other")
UNKNOWN = "ไม่ทราบ"
SKIP = "ข้าม"

MOVED_PROMPT = ("เด็กย้ายไปอยู่ที่ไหนคะ พิมพ์ตำบล อำเภอ จังหวัด เช่น ต.บ้านฝาง อ.บ้านฝาง จ.ขอนแก่น\n"
                "ระบบจะส่งเรื่องให้ผู้ประสานงานของพื้นที่ใหม่ ถ้าไม่ทราบ กด \"ไม่ทราบ\"")
SCHOOL_PROMPT = "ตอนนี้เด็กเรียนอยู่ที่ไหนคะ พิมพ์ชื่อสถานศึกษา เช่น โรงเรียนบ้านโนนทัน"
OTHER_PROMPT = "กรุณาเล่าสั้น ๆ ว่าพบอะไรค่ะ"
NOTE_PROMPT = "รายละเอียดเพิ่มเติม (ถ้ามี) พิมพ์ได้เลย หรือกด \"ข้าม\""
PIN_PROMPT = "ปักหมุดตำแหน่งบ้านของเด็ก (ถ้ามี) กด \"ส่งตำแหน่งบ้าน\" หรือกด \"ข้าม\""
PHOTO_PROMPT = "รูปถ่ายการลงพื้นที่ (ถ้ามี) ส่งได้ 1 รูป หรือกด \"ไม่มีรูป\""
CANCELLED = "ยกเลิกการเช็กอินแล้วค่ะ ยังไม่ได้บันทึกอะไร"


def checkin_flow() -> Flow:
    """The conversation, question by question (registered as CHECKIN below its parsers)."""
    # Found: the guided report's questions, less the list's answers, up to its confirmation card.
    found = flow.reuse([step for step in report.REPORT.steps if step.name != "edit"], when=is_found)
    return Flow(
        name="checkin",
        steps=[
            # Not counted in "n/N": the count starts once the answer tells which questions follow.
            Step("outcome", outcome_prompt, text_answer(read_outcome), choices=list(OUTCOMES.values()),
                 numbered=False),
            Step("moved_to", MOVED_PROMPT, read_place, skip=UNKNOWN, when=outcome_is("moved")),
            Step("school", SCHOOL_PROMPT, free_text, skip=UNKNOWN, when=outcome_is("in_school"),
                 max_length=Case.school_name.type.length),
            Step("other_note", OTHER_PROMPT, free_text, when=outcome_is("other")),
            Step("visit_note", NOTE_PROMPT, free_text, skip=SKIP, when=outcome_is("not_found", "deceased")),
            Step("pin", PIN_PROMPT, read_pin, skip=SKIP, choices=[LocationAction(label="ส่งตำแหน่งบ้าน")],
                 when=outcome_is(*VISITED)),
            Step("visit_photo", PHOTO_PROMPT, report.take_photo, skip="ไม่มีรูป", when=outcome_is(*VISITED),
                 choices=[CameraAction(label="ถ่ายรูป"), CameraRollAction(label="เลือกรูป")]),
            *found,
            *flow.reuse([edit_step("edit", found, return_to="confirm")], when=is_found),
        ],
        finish=submit_checkin,
        cancelled=CANCELLED,
        roles=REPORTERS,
        remind_after=report.REPORT.remind_after,
    )


def outcome_prompt(data: dict) -> str:
    return f"เช็กอิน: {data['_name']}\nผลการติดตามเป็นอย่างไรคะ"


def read_outcome(said: str) -> str:
    for code, label in OUTCOMES.items():
        if said == label:
            return code
    raise InvalidInput("กรุณาเลือกผลการติดตามจากปุ่มด้านล่างค่ะ")


def read_place(answer: Answer, data: dict) -> dict:
    said = text_of(answer)
    place = find_place(answer.ctx.session, said)
    return {"text": said, "area": place.id if place else None}


def read_pin(answer: Answer, data: dict) -> dict:
    if answer.kind != "location":
        if answer.kind == "text":
            raise InvalidInput(f"กรุณากด \"ส่งตำแหน่งบ้าน\" เพื่อปักหมุด หรือกด \"{SKIP}\" ค่ะ")
        raise WrongKind()
    return {"lat": answer.location["latitude"], "lng": answer.location["longitude"]}


def is_found(data: dict) -> bool:
    return data.get("outcome") == "found"


def outcome_is(*outcomes: str):
    return lambda data: data.get("outcome") in outcomes


# ------------------------------------------------------------------ saving

def submit_checkin(ctx: Context, data: dict) -> Reply:
    """Save the check-in on the case, if the user may still check it in and it is still to find."""
    case, refused = case_for(ctx, "checkin", data["case"])
    if refused:
        return refused
    outcome = data["outcome"]
    pin = data.get("pin")
    details = {"outcome": outcome, **({"pin": pin} if pin else {})}
    if outcome == "moved" and data.get("moved_to"):
        details["moved_to"] = data["moved_to"]["text"]
    note = data.get("other_note") or data.get("visit_note") or data.get("school")
    refusal = move(ctx, case, "checked_in", OUTCOME_STATUS[outcome], note=note, details=details)
    if refusal:
        return done(ctx, refusal)
    photo = data.get("photo") or data.get("visit_photo")
    if photo:
        ctx.session.add(CasePhoto(case_id=case.id, line_message_id=photo, sent_by_id=ctx.user.id,
                                  created_at=ctx.now, not_before=ctx.now))
    if pin and outcome != "moved":  # a moved child's old home is not where to look for them
        case.latitude, case.longitude = pin["lat"], pin["lng"]
    saved = f"✅ บันทึกการเช็กอินแล้วค่ะ\nเรื่อง {case.number}: {STATUSES[case.status]}"
    if outcome == "found":
        return found(ctx, case, data, saved)
    if outcome == "moved":
        return done(ctx, saved + "\n" + hand_over(ctx, case, data.get("moved_to") or {}))
    if outcome == "in_school":
        case.school_name = data.get("school")
    elif outcome == "deceased":
        case.closed_reason = "deceased"
    return done(ctx, saved)


def found(ctx: Context, case: Case, data: dict, saved: str) -> Reply:
    """The child was found: what the reporter answered fills in the case, as a report would."""
    fields = report.case_fields(data, ctx.user)
    del fields["source"]
    national_id = fields.get("national_id")
    other = ctx.session.scalar(select(Case).where(Case.national_id == national_id)) \
        if national_id and national_id != case.national_id else None
    if other is not None:
        # Another case has this ID: keep it out of this one (one child, one case). When that case is
        # another area's, its coordinators get the check-in to review; the reply is the same either
        # way, and never says which case or where.
        if not in_scope(ctx.user, other.area):
            report.report_elsewhere(ctx, other, fields, data)
        else:
            same_child(ctx, case, other)
        del fields["national_id"]
        saved += "\nเลขประจำตัวที่กรอกยังไม่ได้บันทึกไว้ในเรื่องนี้ ส่งให้ผู้รับผิดชอบตรวจสอบแล้วค่ะ"
    if case.reporter_id is not None:
        del fields["reporter_id"]
    for name, value in fields.items():
        if value is not None:
            setattr(case, name, value)
    report.notify_coordinators(ctx.session, case, ctx.user, created=False, source=ctx.event.webhook_event_id,
                               headline="📋 พบตัวเด็กตามรายชื่อที่ต้องติดตามแล้ว")
    return done(ctx, f"{saved}\n\n{report.NEXT_STEPS}")


def tell_coordinators(ctx: Context, area: Area | None, notice: str) -> None:
    """Push `notice` to the coordinators covering `area`, but not to the one checking in."""
    for coordinator in coordinators_covering(ctx.session, area):
        if coordinator.id != ctx.user.id:
            queue_messages(ctx.session, coordinator.line_user_id, [text(notice)])


def same_child(ctx: Context, case: Case, other: Case) -> None:
    """A check-in gave the national ID of another case the reporter may see: perhaps one child listed
    twice. The coordinators of that case are asked to check; the ID stays on the other case only."""
    notice = (f"📋 เลขประจำตัวที่แจ้งในการเช็กอินเรื่อง {case.number} ตรงกับเรื่อง {other.number} "
              f"อาจเป็นเด็กคนเดียวกัน กรุณาตรวจสอบค่ะ\nแจ้งโดย: {ctx.user.real_name or '-'}")
    tell_coordinators(ctx, other.area, notice)
    audit.record_chat(ctx, "same_id", "case", other.id, area_code=other.area_code, checked_in=case.id)


def hand_over(ctx: Context, case: Case, moved_to: dict) -> str:
    """Give a moved child's case to the area they moved to and tell its coordinators."""
    area = ctx.session.get(Area, moved_to["area"]) if moved_to.get("area") else None
    if area is None:
        return "ยังไม่ทราบพื้นที่ใหม่ ผู้ประสานงานในพื้นที่ของท่านจะติดตามต่อค่ะ"
    there = find_duplicate(ctx.session, {"area_id": area.id, "first_name": case.first_name,
                                         "last_name": case.last_name, "birth_date": case.birth_date,
                                         "national_id": case.national_id})
    if there is None or there.id == case.id:
        case.area = area
        headline = "📦 มีเด็กย้ายเข้ามาในพื้นที่ของท่าน ช่วยติดตามต่อด้วยค่ะ"
    else:
        # The new area lists the child already (one child, one case): this case stays where it was,
        # marked moved, and the new area's coordinators are told that their own case has moved in.
        headline = (f"📦 เด็กในเรื่อง {there.number} ของพื้นที่ท่านย้ายมาจากพื้นที่อื่น (เรื่อง {case.number}) "
                    "ช่วยติดตามต่อด้วยค่ะ")
    notice = "\n".join([headline, *(f"{label}: {value}" for label, value in summary_rows(case)),
                        f"แจ้งโดย: {ctx.user.real_name or '-'}"])
    tell_coordinators(ctx, area, notice)
    return f"ส่งเรื่องให้ผู้ประสานงานของ{area_label(area)} ติดตามต่อแล้วค่ะ"


# ------------------------------------------------------------------ starting

def checkin_context(ctx: Context, case: Case) -> dict:
    """The report flow's context for the case's area, and what the list already says about the
    child, as answers the report's questions will not ask again."""
    known: dict = {}
    if case.first_name:
        known["name"] = {"first": case.first_name, "last": case.last_name}
    if case.title:
        known["title"] = case.title
    if case.national_id:
        known["national_id"] = case.national_id
    if age_of(case) is not None:
        known["birth"] = {"date": case.birth_date.isoformat() if case.birth_date else None, "age": age_of(case)}
    if case.sex:
        known["sex"] = case.sex
    return {**report.report_context(ctx.session, case.area), **known, "_known": sorted(known),
            "case": case.id, "_name": case.full_name or case.number}


CHECKIN = flow.register(checkin_flow())


@requires(*REPORTERS)
def check_in(ctx: Context) -> Reply:
    """"เช็กอิน" on a child's card."""
    return start_case_flow(ctx, "checkin", CHECKIN, lambda case: checkin_context(ctx, case))
