"""Referring a found child to an organisation, and that organisation answering, in chat.

A teacher or coordinator taps "ส่งต่อ" on a found child's card, picks the kind of organisation, the
organisation (those serving the child's district) and writes a note. The organisation's registered
users get the case (national ID masked) with "รับเรื่อง" and "ปฏิเสธ" buttons. Accepting asks when
the child started there (a date picker; it can be given later by tapping "รับเรื่อง" again), which
puts the case back in school; declining asks why, and the referrer is told. The referrer, or any
teacher or coordinator of the area, can revoke a referral not yet done. The states are Primero's:
pending, accepted, declined, done, revoked (models/referrals.py).

Receivers act through the referral, not the case's area: a college may serve a whole province.

```mermaid
flowchart LR
    card([ส่งต่อ on a found child's card]) --> kind[ประเภทหน่วยงาน] --> org[หน่วยงาน] --> note[ข้อความ<br>ข้าม skips] --> confirm{ยืนยัน}
    confirm --> pending([pending: receivers pushed])
    pending -->|รับเรื่อง| accepted[accepted] --> date[วันเริ่มเรียน<br>date picker] --> done([done: back in school])
    pending -->|ปฏิเสธ| reason[เหตุผล] --> declined([declined: referrer told, case found again])
    pending -->|ถอนการส่งต่อ| revoked([revoked: case found again])
```
"""
from __future__ import annotations

from datetime import date

from linebot.v3.messaging import DatetimePickerAction, PostbackAction
from sqlalchemy import false, or_, select
from sqlalchemy.orm import Session

from domain import access, audit

from chat import flow
from domain.access import REPORTERS
from chat.menus import requires
from chat.dispatcher import Context, Reply
from chat.flow import Answer, Fill, Finish, Flow, Step, Stop, free_text, text_answer, text_of
from line.messages import MAX_QUICK_REPLIES, card, flex, text
from line.outbox import queue_messages
from domain.thai import InvalidInput, parse_id
from domain.thai_dates import format_thai_date, now_bangkok, parse_date
from domain.thai_phones import format_phone
from models import (
    REFERRAL_KINDS,
    REFERRAL_STATUSES,
    STATUSES,
    Area,
    Case,
    Organisation,
    Referral,
    choice_label,
    choice_list,
    organisation_areas,
)

from handlers import report_child as report
from handlers.act_on_case import (
    REFERRERS, case_for, case_refusal, decide, done, move, receivers, show, start_case_flow, summary_rows, tapped,
    withdraw_referral,
)
from chat.menus import main_menu

CONFIRM = "ยืนยัน"
ACCEPT, DECLINE = "รับเรื่อง", "ปฏิเสธ"
TODAY = "วันนี้"
NOT_STARTED = "ยังไม่เริ่มเรียน"
MAX_ORGANISATIONS = 50  # kept in the flow's data; typing part of a name picks among them
ORGANISATION_BUTTONS = MAX_QUICK_REPLIES - 3  # beside ย้อนกลับ and ยกเลิก


# ------------------------------------------------------------------ whom to refer to

def organisations_for(session: Session, case: Case, kind: str) -> list[Organisation]:
    """Organisations of `kind` serving the child: covering the case's area, or inside its district;
    those covering it first."""
    query = select(Organisation).where(Organisation.kind == kind)
    code = case.area.code if case.area else ""
    if code:
        above = [code[:n] for n in range(2, len(code) + 1, 2)]
        serving = select(organisation_areas.c.organisation_id).join(Area, Area.id == organisation_areas.c.area_id) \
            .where(or_(Area.code.in_(above), Area.code.startswith(code[:4]) if len(code) >= 4 else false()))
        query = query.where(Organisation.id.in_(serving))
    found = session.scalars(query.order_by(Organisation.id).limit(MAX_ORGANISATIONS))
    return sorted(found, key=lambda org: (not any(code.startswith(a.code) for a in org.areas), org.name))


# ------------------------------------------------------------------ the referral flow

def read_kind(answer: Answer, data: dict) -> Fill | Stop:
    said = text_of(answer)
    kind = next((code for code, label in REFERRAL_KINDS.items() if said == label), None)
    if kind is None:
        raise InvalidInput("กรุณาเลือกประเภทหน่วยงานจากปุ่มด้านล่างค่ะ")
    case, reason = case_refusal(answer.ctx, "refer", data["case"])
    if reason:
        return Stop(reason)
    found = organisations_for(answer.ctx.session, case, kind)
    if not found:
        raise InvalidInput(f"ยังไม่มีหน่วยงานประเภท{said}ที่ดูแลพื้นที่ของเด็กในระบบ "
                           "กรุณาเลือกประเภทอื่น หรือขอให้ผู้ประสานงานเพิ่มหน่วยงานก่อนค่ะ")
    return Fill(kind, {"_orgs": [[o.id, o.name] for o in found]})


def organisation_prompt(data: dict) -> str:
    more = "\nหรือพิมพ์ชื่อ (บางส่วน) ของหน่วยงาน" if len(data["_orgs"]) > ORGANISATION_BUTTONS else ""
    return f"เลือกหน่วยงานที่จะส่งต่อค่ะ{more}"


def read_organisation(said: str, data: dict) -> int:
    exact = [org_id for org_id, name in data["_orgs"] if said == name]
    partial = [org_id for org_id, name in data["_orgs"] if said in name]
    if exact or len(partial) == 1:
        return (exact or partial)[0]
    if partial:
        raise InvalidInput(f"มีหลายหน่วยงานที่ชื่อมี “{said}” กรุณาพิมพ์ชื่อให้ครบขึ้นค่ะ")
    raise InvalidInput("ไม่พบหน่วยงานนี้ในรายการ กรุณาเลือกจากปุ่มด้านล่างค่ะ")


def organisation_name(data: dict) -> str:
    return dict(map(tuple, data["_orgs"]))[data["organisation"]]


def confirm_prompt(data: dict) -> str:
    return f"ยืนยันส่งต่อ {data['_name']} ไปยัง {organisation_name(data)} ใช่ไหมคะ"


def confirmed(said: str) -> Finish:
    if said != CONFIRM:
        raise InvalidInput(f"กรุณากด \"{CONFIRM}\" เพื่อส่งต่อ หรือ \"{flow.BACK}\" เพื่อแก้ไขค่ะ")
    return Finish()


def submit_referral(ctx: Context, data: dict) -> Reply:
    """Refer the child, if the referrer still may and the organisation still serves them."""
    case, refused = case_for(ctx, "refer", data["case"])
    if refused:
        return refused
    serving = {o.id: o for o in organisations_for(ctx.session, case, data["kind"])}
    organisation = serving.get(data["organisation"])
    if organisation is None:
        return done(ctx, "หน่วยงานนี้ไม่ได้ดูแลพื้นที่ของเด็กแล้ว กรุณาส่งต่อใหม่อีกครั้งค่ะ")
    refusal = move(ctx, case, "referred", "referred", note=data.get("note"),
                   details={"organisation": organisation.id})
    if refusal:
        return done(ctx, refusal)
    referral = Referral(case=case, organisation=organisation, note=data.get("note"), referred_by=ctx.user,
                        created_at=ctx.now)
    ctx.session.add(referral)
    ctx.session.flush()
    people = receivers(ctx.session, organisation.id)
    for receiver in people:
        queue_messages(ctx.session, receiver.line_user_id, [referral_card(ctx.session, referral)])
        # They see the child through the referral, not their area: the trail says who was shown what.
        audit.record_chat(ctx, "shared", "case", case.id, area_code=case.area.code if case.area else None,
                          shown_to=receiver.id, referral=referral.id)
    reply = f"ส่งต่อเรื่อง {case.number} ไปยัง {organisation.name} แล้วค่ะ รอหน่วยงานตอบรับ จะแจ้งให้ทราบอีกครั้ง"
    if not people:
        reply += ("\nหมายเหตุ: หน่วยงานนี้ยังไม่มีผู้ใช้ที่ลงทะเบียนในระบบ จึงยังไม่ได้รับข้อความ "
                  "กรุณาติดต่อหน่วยงานโดยตรงด้วยค่ะ")
    return done(ctx, reply)


def referral_card(session: Session, referral: Referral):
    """What the receiving organisation sees: the child (ID masked), what they want, the note, who
    referred them, and the buttons to answer."""
    case, by = referral.case, referral.referred_by
    rows = summary_rows(case)
    if case.wants:
        rows.append(("ความต้องการ", choice_label(session, "wants", case.wants)))
    if case.guardian_name or case.guardian_phone:
        rows.append(("ผู้ปกครอง", report.guardian_text({"name": case.guardian_name, "phone": case.guardian_phone})))
    rows += [("ข้อความ", referral.note or "-"),
             ("ส่งต่อโดย", " ".join(p for p in (by.real_name, format_phone(by.phone) if by.phone else None) if p)
              if by else "-")]
    buttons = [("primary", PostbackAction(label=ACCEPT, data=f"action=referral_accept&referral={referral.id}",
                                          displayText=ACCEPT)),
               ("secondary", PostbackAction(label=DECLINE, data=f"action=referral_decline&referral={referral.id}",
                                            displayText=DECLINE))]
    title = f"📨 ส่งต่อเด็กถึง {referral.organisation.name}"
    return flex(f"{title}: เรื่อง {case.number}", card(title, rows, buttons))


REFER = flow.register(Flow(
    name="referral",
    steps=[
        Step("kind", lambda data: f"ส่งต่อ {data['_name']} ไปยังหน่วยงานประเภทใดคะ", read_kind,
             choices=list(REFERRAL_KINDS.values())),
        Step("organisation", organisation_prompt, lambda answer, data: read_organisation(text_of(answer), data),
             choices=lambda data: [name for _, name in data["_orgs"][:ORGANISATION_BUTTONS]]),
        Step("note", "ข้อความถึงหน่วยงาน เช่น ความต้องการของเด็ก เวลาที่สะดวกให้ติดต่อ หรือกด \"ข้าม\"",
             free_text, skip="ข้าม"),
        Step("confirm", confirm_prompt, text_answer(confirmed), choices=(CONFIRM,)),
    ],
    finish=submit_referral,
    roles=REFERRERS,
    cancelled="ยกเลิกการส่งต่อแล้วค่ะ",
))


@requires(*REFERRERS)
def refer_child(ctx: Context) -> Reply:
    """"ส่งต่อ" on a found child's card."""
    return start_case_flow(ctx, "refer", REFER, lambda case: {"case": case.id, "_name": case.full_name or case.number})


# ------------------------------------------------------------------ the receiver's side

def referral_for(ctx: Context, referral_id, statuses: tuple[str, ...]) -> tuple[Referral | None, Reply]:
    """The referral, if the user belongs to the organisation it was sent to and it is in one of
    `statuses`; else None and what to tell them."""
    number = parse_id(referral_id)
    referral = ctx.session.get(Referral, number, with_for_update=True) if number else None
    reason = access.refusal(ctx.user, REPORTERS)
    if reason is None and (referral is None or ctx.user.organisation_id != referral.organisation_id):
        reason = access.OUT_OF_SCOPE
    if reason:
        if access.is_registered(ctx.user):
            audit.record_chat(ctx, "denied", "referral", str(referral_id)[:64])
        return None, [text(reason, *main_menu(ctx.user))]
    if referral.status not in statuses:
        return None, [text(f"การส่งต่อเรื่อง {referral.case.number} อยู่ในสถานะ “{REFERRAL_STATUSES[referral.status]}” "
                           "แล้วค่ะ", *main_menu(ctx.user))]
    return referral, None


def tell_referrer(ctx: Context, referral: Referral, message: str, *choices) -> None:
    by = referral.referred_by
    if by is not None and by.active and by.following and by.id != ctx.user.id:
        queue_messages(ctx.session, by.line_user_id, [text(message, *choices)])


def case_button(case: Case) -> PostbackAction:
    return PostbackAction(label="ดูเรื่อง", data=f"action=case&case={case.id}", displayText="ดูเรื่อง")


@requires(*REPORTERS)
def accept_referral(ctx: Context) -> Reply:
    """"รับเรื่อง": the organisation takes the child; then, or later, the day they started."""
    referral, refused = referral_for(ctx, ctx.postback.get("referral"), ("pending", "accepted"))
    if refused:
        return refused
    case = referral.case
    if referral.status == "pending":
        decide(ctx, referral, "accepted")
        move(ctx, case, "referral_accepted", None, details={"referral": referral.id})
        tell_referrer(ctx, referral, f"✅ {referral.organisation.name} รับเรื่อง {case.number} ({case.full_name}) แล้วค่ะ",
                      case_button(case))
        note = f"รับเรื่อง {case.number} แล้วค่ะ ผู้ส่งต่อได้รับแจ้งแล้ว"
    else:
        note = f"หน่วยงานของท่านรับเรื่อง {case.number} ไว้แล้วค่ะ"
    return [text(note), *flow.start(ctx, ENROL, {"referral": referral.id, "case": case.id,
                                                 "school": referral.organisation.name})]


def submit_decline(ctx: Context, data: dict) -> Reply:
    referral, refused = referral_for(ctx, data["referral"], ("pending",))
    if refused:
        return refused
    case = referral.case
    decide(ctx, referral, "declined")
    referral.reason, referral.reason_note = data["decline_reason"], data.get("decline_reason_note")
    reason = report.label_of(data, "decline_reason")
    if case.status == "referred":
        move(ctx, case, "referral_declined", "found", note=reason, details={"referral": referral.id})
    tell_referrer(ctx, referral, f"❌ {referral.organisation.name} ไม่รับเรื่อง {case.number} ({case.full_name})\n"
                                 f"เหตุผล: {reason}\nกรุณาส่งต่อหน่วยงานอื่นจากปุ่ม \"ส่งต่อ\" ในเรื่องนี้ค่ะ",
                  case_button(case))
    return done(ctx, f"บันทึกแล้วค่ะ: ไม่รับเรื่อง {case.number} ผู้ส่งต่อได้รับแจ้งเหตุผลแล้ว")


DECLINE_FLOW = flow.register(Flow(
    name="referral_decline",
    steps=report.choice_steps("decline_reason", "ไม่รับเรื่องนี้เพราะอะไรคะ เลือกเหตุผลจากปุ่มด้านล่าง"),
    finish=submit_decline,
    roles=REPORTERS,
    cancelled="ยกเลิกแล้วค่ะ การส่งต่อยังรอการตอบรับจากหน่วยงานของท่าน",
))


@requires(*REPORTERS)
def decline_referral(ctx: Context) -> Reply:
    """"ปฏิเสธ": the organisation cannot take the child; the referrer is told why."""
    referral, refused = referral_for(ctx, ctx.postback.get("referral"), ("pending",))
    if refused:
        return refused
    lists = {"decline_reason": [list(o) for o in choice_list(ctx.session, "decline_reason")]}
    return flow.start(ctx, DECLINE_FLOW, {"referral": referral.id, "_lists": lists})


@requires(*REFERRERS)
def revoke_referral(ctx: Context) -> Reply:
    """"ถอนการส่งต่อ": the referral is withdrawn and the case is found again, to refer elsewhere."""
    case, refused = tapped(ctx, "revoke")
    if refused:
        return refused
    referral = withdraw_referral(ctx, case)
    refusal = move(ctx, case, "referral_revoked", "found", details={"referral": referral.id if referral else None})
    return done(ctx, refusal) if refusal else show(ctx, case, f"ถอนการส่งต่อเรื่อง {case.number} แล้วค่ะ")


# ------------------------------------------------------------------ back in school

def read_start_date(answer: Answer, data: dict) -> str:
    picked = answer.params.get("date")
    today = now_bangkok().date()
    said = picked or text_of(answer)
    return (today if said == TODAY else parse_date(said, today=today)).isoformat()


def start_date_choices(data: dict) -> list:
    today = now_bangkok().date()
    return [DatetimePickerAction(label="เลือกจากปฏิทิน", data="pick=enrolled_on", mode="date",
                                 initial=today.isoformat(), max=today.isoformat(),
                                 min=today.replace(year=today.year - 1).isoformat()), TODAY]


def submit_enrolment(ctx: Context, data: dict) -> Reply:
    """Record the child back in school: through an accepted referral, or directly from the card."""
    on = date.fromisoformat(data["enrolled_on"]) if data.get("enrolled_on") else None
    if data.get("referral"):
        referral, refused = referral_for(ctx, data["referral"], ("accepted",))
        if refused:
            return refused
        case = referral.case
        if on is None:
            return done(ctx, f"เมื่อเด็กเริ่มเรียนแล้ว กด \"{ACCEPT}\" ในข้อความส่งต่อเรื่อง {case.number} "
                             "อีกครั้งเพื่อบันทึกวันเริ่มเรียนค่ะ")
        decide(ctx, referral, "done")
        referral.enrolled_on = on
    else:
        case, refused = case_for(ctx, "enrol", data["case"])
        if refused:
            return refused
        referral = None
    if case.status == "referred" or referral is None:
        refusal = move(ctx, case, "enrolled", "back_in_school", note=data["school"],
                       details={"referral": referral.id if referral else None,
                                "enrolled_on": on.isoformat() if on else None})
        if refusal:
            return done(ctx, refusal)
    case.school_name, case.enrolled_on = data["school"], on
    since = f" ตั้งแต่ {format_thai_date(on)}" if on else ""
    if referral:
        tell_referrer(ctx, referral, f"🎒 {case.full_name} (เรื่อง {case.number}) เริ่มเรียนที่ {data['school']}"
                                     f"{since} แล้วค่ะ", case_button(case))
    return done(ctx, f"✅ บันทึกแล้วค่ะ: เรื่อง {case.number} {STATUSES[case.status]} ที่ {data['school']}{since}")


ENROL = flow.register(Flow(
    name="enrol",
    steps=[
        Step("school", "เด็กกลับไปเรียนที่ไหนคะ พิมพ์ชื่อสถานศึกษา", free_text,
             when=lambda data: not data.get("referral"), max_length=Case.school_name.type.length),
        Step("enrolled_on", "เด็กเริ่มเรียนวันไหนคะ เลือกจากปฏิทิน หรือพิมพ์วันที่ เช่น 1/6/2569",
             read_start_date, choices=start_date_choices, skip=NOT_STARTED),
    ],
    finish=submit_enrolment,
    roles=REPORTERS,
    cancelled="ยกเลิกแล้วค่ะ ยังไม่ได้บันทึกวันเริ่มเรียน",
))


@requires(*REFERRERS)
def record_back_in_school(ctx: Context) -> Reply:
    """"กลับเข้าเรียนแล้ว" on a found child's card: back in school without a referral."""
    return start_case_flow(ctx, "enrol", ENROL, lambda case: {"case": case.id})
