"""A case in chat: its card, who may do what to it, and the one-tap actions on it.

Every postback naming a case goes through `case_for`: the case must exist, lie in the user's area,
be in a status the action applies to, and the user's role must allow the action. Anything else gets
one Thai refusal that never tells whether the case exists, and an audit entry; a forged postback
with another area's case id gets nothing more. CASE_ACTIONS is the table of those actions, so a
card shows exactly the buttons its reader may press. Every card shown is audited as a view.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from linebot.v3.messaging import FlexBubble, PostbackAction
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import access, audit

from chat import flow
from domain.access import COORDINATORS, OUT_OF_SCOPE, REFERRERS, REPORTERS
from chat.menus import requires
from chat.dispatcher import Context, Reply
from chat.flow import Flow
from line.messages import card, flex, text
from line.outbox import queue_messages
from domain.thai import parse_id
from domain.thai_dates import BANGKOK, format_thai_date, now_bangkok
from domain.thai_ids import mask_national_id
from models import (
    OPEN_REFERRAL,
    REFERRAL_STATUSES,
    STATUSES,
    TO_FIND,
    Area,
    Case,
    CaseEvent,
    IllegalTransition,
    Organisation,
    Referral,
    User,
    choice_list,
    organisation_areas,
    record_event,
)

from chat.menus import main_menu
from handlers.report_child import choice_steps

NOT_CLOSED = tuple(status for status in STATUSES if status != "closed")
# The organisations a case's card names as responsible for the child's area.
RESPONSIBLE_KINDS = ("local_government", "school")

EVENT_LABELS = {
    "listed": "นำเข้าจากรายชื่อ",
    "list_updated": "ปรับปรุงจากรายชื่อฉบับใหม่",
    "reported": "แจ้งพบเด็ก",
    "reported_again": "มีผู้แจ้งข้อมูลเพิ่ม",
    "checked_in": "เช็กอิน",
    "referred": "ส่งต่อหน่วยงาน",
    "referral_accepted": "หน่วยงานรับเรื่อง",
    "referral_declined": "หน่วยงานปฏิเสธ",
    "referral_revoked": "ถอนการส่งต่อ",
    "enrolled": "กลับเข้าเรียน",
    "follow_up": "ติดตามผล: ยังเรียนอยู่",
    "follow_up_irregular": "ติดตามผล: มาบ้างไม่มาบ้าง",
    "follow_up_asked": "ส่งคำถามติดตามผลการเรียน",
    "stale_nudged": "เตือนผู้แจ้ง: ไม่มีความคืบหน้า",
    "stale_escalated": "แจ้งผู้ประสานงาน: ไม่มีความคืบหน้า",
    "dropped_out": "หยุดเรียนอีกครั้ง",
    "closed": "ปิดเรื่อง",
    "reopened": "เปิดเรื่องอีกครั้ง",
}


@dataclass(frozen=True)
class CaseAction:
    """Something a user does to one case from its card: who may, and from which statuses."""

    name: str  # the postback's action
    label: str
    statuses: tuple[str, ...]
    roles: tuple[str, ...]
    style: str = "secondary"

    def postback(self, case_id: int) -> PostbackAction:
        return PostbackAction(label=self.label, data=f"action={self.name}&case={case_id}", displayText=self.label)


CASE_ACTIONS = {action.name: action for action in (
    CaseAction("checkin", "เช็กอิน", TO_FIND, REPORTERS, "primary"),
    CaseAction("refer", "ส่งต่อ", ("found",), REFERRERS, "primary"),
    CaseAction("enrol", "กลับเข้าเรียนแล้ว", ("found",), REFERRERS),
    CaseAction("revoke", "ถอนการส่งต่อ", ("referred",), REFERRERS),
    CaseAction("staying", "ยังเรียนอยู่", ("back_in_school", "staying"), REFERRERS, "primary"),
    CaseAction("dropped", "หยุดเรียนอีกครั้ง", ("back_in_school", "staying"), REFERRERS),
    CaseAction("close", "ปิดเรื่อง", NOT_CLOSED, COORDINATORS, "link"),
    CaseAction("reopen", "เปิดเรื่องอีกครั้ง", ("closed",), COORDINATORS, "link"),
)}


# ------------------------------------------------------------------ access

def case_for(ctx: Context, action: str | None, case_id) -> tuple[Case | None, Reply]:
    """The case `case_id` names and None, or None and the refusal to send: the user must see the
    case's area and, for `action` (a CASE_ACTIONS name), have the role and the case the status."""
    case, reason = case_refusal(ctx, action, case_id)
    return (None, [text(reason, *main_menu(ctx.user))]) if reason else (case, None)


def case_refusal(ctx: Context, action: str | None, case_id) -> tuple[Case | None, str | None]:
    """case_for's check, with the Thai reason rather than a reply (for a step of a conversation)."""
    case = _load(ctx.session, case_id)
    if case is None:
        reason = access.refusal(ctx.user, REPORTERS) or OUT_OF_SCOPE
    else:
        reason = access.area_refusal(ctx.user, case.area)
    if reason is None and action is not None:
        rule = CASE_ACTIONS[action]
        if ctx.user.role not in rule.roles:
            reason = access.NOT_ALLOWED
        elif case.status not in rule.statuses:
            reason = f"เรื่องนี้อยู่ในสถานะ “{STATUSES[case.status]}” จึงทำรายการ “{rule.label}” ไม่ได้ค่ะ"
    if reason:
        if access.is_registered(ctx.user):
            audit.record_chat(ctx, "denied", "case", str(case_id)[:64], tried=action or "view")
        return None, reason
    return case, None


def _load(session: Session, case_id) -> Case | None:
    number = parse_id(case_id)
    if number is None:
        return None
    # Locked for the rest of the transaction: two people acting on one case at once take turns
    # (PostgreSQL; SQLite has one writer at a time anyway).
    return session.get(Case, number, with_for_update=True)


def allowed_actions(user: User, case: Case) -> list[CaseAction]:
    return [a for a in CASE_ACTIONS.values() if user.role in a.roles and case.status in a.statuses]


def viewed(ctx: Context, cases: list[Case], via: str) -> None:
    """Audit that these cases were shown to the user (a card, a list page, search results)."""
    for case in cases:
        audit.record_chat(ctx, "view", "case", case.id, area_code=case.area.code if case.area else None, via=via)


def move(ctx: Context, case: Case, kind: str, to_status: str | None, *, note: str | None = None,
         details: dict | None = None) -> str | None:
    """Record what happened to the case from this chat message; the Thai refusal when the workflow
    does not allow the status change (someone else changed the case meanwhile), else None."""
    try:
        record_event(ctx.session, case, kind, ctx.user, now=ctx.now, to_status=to_status, note=note,
                     details=details, source=ctx.event.webhook_event_id)
    except IllegalTransition as exc:
        return exc.message
    audit.record_chat(ctx, kind, "case", case.id, area_code=case.area.code if case.area else None,
                      to_status=to_status)
    return None


# ------------------------------------------------------------------ reading a case

def age_of(case: Case) -> int | None:
    """Today's age from the birth date, or the age given when the case was opened."""
    if case.birth_date is None:
        return case.age_years
    today, born = now_bangkok().date(), case.birth_date
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def age_text(case: Case) -> str:
    if case.birth_date:
        return f"{age_of(case)} ปี (เกิด {format_thai_date(case.birth_date)})"
    return f"{case.age_years} ปี" if case.age_years is not None else "ไม่ทราบ"


def masked_id(case: Case) -> str:
    return mask_national_id(case.national_id) if case.national_id else "ไม่ทราบ"


def place_text(case: Case) -> str:
    return access.area_label(case.area) if case.area else "ยังไม่ได้จัดเข้าพื้นที่"


def school_text(case: Case) -> str | None:
    return " ".join(part for part in (case.grade, case.previous_school) if part) or None


def distance_km(case: Case, near: tuple[float, float] | None) -> float | None:
    """Great-circle distance from `near` to the case's pinned home."""
    if near is None or case.latitude is None or case.longitude is None:
        return None
    lat1, lng1, lat2, lng2 = map(math.radians, (near[0], near[1], case.latitude, case.longitude))
    a = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 6371 * 2 * math.asin(math.sqrt(a))


def summary_rows(case: Case) -> list[tuple[str, str]]:
    """The case in a few lines, national ID masked: for cards, lists and notices to other users."""
    rows = [("เลขที่เรื่อง", case.number), ("ชื่อ", case.full_name or "-"), ("เลขประจำตัว", masked_id(case)),
            ("อายุ", age_text(case)), ("พื้นที่", place_text(case))]
    if case.address or case.latitude is not None:
        rows.append(("ที่อยู่", " ".join(p for p in (case.address, "📍" if case.latitude is not None else None) if p)))
    if school_text(case):
        rows.append(("ชั้น/โรงเรียนเดิม", school_text(case)))
    rows.append(("สถานะ", STATUSES[case.status]))
    return rows


def open_referral(session: Session, case: Case) -> Referral | None:
    return session.scalar(select(Referral).where(Referral.case_id == case.id, Referral.status.in_(OPEN_REFERRAL)))


def receivers(session: Session, organisation_id: int) -> list[User]:
    """An organisation's registered, active users who can be reached in LINE (referrals go to them)."""
    return list(session.scalars(
        select(User).where(User.organisation_id == organisation_id, User.active, User.following,
                           User.registered_at.is_not(None), User.role.in_(REPORTERS)).order_by(User.id)))


def decide(ctx: Context, referral: Referral, status: str) -> None:
    referral.status, referral.decided_by_id, referral.decided_at = status, ctx.user.id, ctx.now


def withdraw_referral(ctx: Context, case: Case) -> Referral | None:
    """Revoke the case's open referral (revoked, or the case closed), telling the organisation's users."""
    referral = open_referral(ctx.session, case)
    if referral is None:
        return None
    decide(ctx, referral, "revoked")
    for receiver in receivers(ctx.session, referral.organisation_id):
        queue_messages(ctx.session, receiver.line_user_id, [text(
            f"การส่งต่อเรื่อง {case.number} ถึง {referral.organisation.name} ถูกถอนแล้วค่ะ ไม่ต้องดำเนินการต่อ")])
    return referral


def responsible(session: Session, area: Area | None) -> list[Organisation]:
    """The local governments and schools whose areas contain `area`."""
    if area is None:
        return []
    prefixes = [area.code[:n] for n in range(2, len(area.code) + 1, 2)]
    return list(session.scalars(
        select(Organisation).join(organisation_areas).join(Area, Area.id == organisation_areas.c.area_id)
        .where(Organisation.kind.in_(RESPONSIBLE_KINDS), Area.code.in_(prefixes))
        .distinct().order_by(Organisation.kind, Organisation.name)
    ))


def case_card(session: Session, case: Case, user: User) -> FlexBubble:
    """The whole case: summary, where the child is now, the open referral, who is responsible,
    the last few history lines, and the buttons this user may press."""
    rows = summary_rows(case)
    if case.list_group:
        rows.append(("กลุ่ม", case.list_group))
    if case.school_name or case.enrolled_on:
        since = f" ตั้งแต่ {format_thai_date(case.enrolled_on)}" if case.enrolled_on else ""
        rows.append(("เรียนที่", f"{case.school_name or '-'}{since}"))
    referral = open_referral(session, case)
    if referral:
        rows.append(("การส่งต่อ", f"{referral.organisation.name} ({REFERRAL_STATUSES[referral.status]})"))
    orgs = responsible(session, case.area)
    if orgs:
        rows.append(("ผู้รับผิดชอบ", ", ".join(o.name for o in orgs)))
    history = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)
                              .order_by(CaseEvent.id.desc()).limit(3)).all()
    rows.append(("ล่าสุด", "\n".join(event_text(e) for e in history)))
    buttons = [(a.style, a.postback(case.id)) for a in allowed_actions(user, case)]
    return card(f"{case.full_name or case.number}", rows, buttons)


def event_text(event: CaseEvent) -> str:
    when = format_thai_date(event.at.astimezone(BANGKOK).date())
    what = EVENT_LABELS.get(event.kind, event.kind)
    status = f" → {STATUSES[event.to_status]}" if event.to_status and event.from_status else ""
    return f"{when} {what}{status}"


def show(ctx: Context, case: Case, note: str | None = None) -> Reply:
    """The case's card (audited), after an optional note."""
    viewed(ctx, [case], "card")
    message = flex(f"เรื่อง {case.number} {STATUSES[case.status]}", case_card(ctx.session, case, ctx.user),
                   *main_menu(ctx.user))
    return [text(note), message] if note else [message]


def done(ctx: Context, message: str) -> Reply:
    return [text(message, *main_menu(ctx.user))]


# ------------------------------------------------------------------ handlers

@requires(*REPORTERS)
def show_case(ctx: Context) -> Reply:
    """Tapping "ดูเรื่อง" (or a case number typed): the case's card."""
    case, refused = case_for(ctx, None, ctx.postback.get("case"))
    return refused or show(ctx, case)


def tapped(ctx: Context, action: str) -> tuple[Case | None, Reply]:
    """The case a card's button names, checked for `action` (see case_for)."""
    return case_for(ctx, action, ctx.postback.get("case"))


def start_case_flow(ctx: Context, action: str, flow_: Flow, context) -> Reply:
    """A button that opens a conversation about the case: `context(case)` is its starting data."""
    case, refused = tapped(ctx, action)
    return refused or flow.start(ctx, flow_, context(case))


def change(ctx: Context, action: str, kind: str, to_status: str, said: str, **columns) -> Reply:
    """A button that changes the case at once: the history line, `columns` set, and the card again
    after `said` (formatted with the case's number)."""
    case, refused = tapped(ctx, action)
    if refused:
        return refused
    refusal = move(ctx, case, kind, to_status)
    if refusal:
        return done(ctx, refusal)
    for name, value in columns.items():
        setattr(case, name, value)
    if kind == "dropped_out":
        ctx.session.info["dropped_case"] = case.id  # answer_follow_up alerts the coordinators
    return show(ctx, case, said.format(number=case.number))


@requires(*REFERRERS)
def confirm_still_in_school(ctx: Context) -> Reply:
    """"ยังเรียนอยู่": a follow-up found the child still in school."""
    return change(ctx, "staying", "follow_up", "staying", "บันทึกการติดตามผลแล้วค่ะ: เรื่อง {number} เรียนต่อเนื่อง")


@requires(*REFERRERS)
def report_dropped_out(ctx: Context) -> Reply:
    """"หยุดเรียนอีกครั้ง": the child left school again; the case goes back to "found"."""
    return change(ctx, "dropped", "dropped_out", "found", "บันทึกแล้วค่ะ: เรื่อง {number} กลับเป็น “ติดตามพบแล้ว” "
                  "เพื่อหาทางเรียนที่เหมาะกับน้องอีกครั้ง", enrolled_on=None)


FOLLOW_UP_ANSWERED = {"yes": "ยังมาเรียน", "some": "มาบ้างไม่มาบ้าง", "no": "หยุดเรียนอีกแล้ว"}


@requires(*REFERRERS)
def answer_follow_up(ctx: Context) -> Reply:
    """An answer to the scheduled "ยังมาเรียนอยู่ไหม?" (scheduler/followups.py), postback
    action=followup&case=ID&answer=yes|some|no, checked like the card's buttons (case_for):
    yes → "staying"; some → a history line only, the case stays followed; no → back to "found"
    (as "หยุดเรียนอีกครั้ง"), and the area's coordinators are told by push."""
    answer = ctx.postback.get("answer")
    if answer == "yes":
        return confirm_still_in_school(ctx)
    if answer == "some":
        case, refused = tapped(ctx, "staying")
        if refused:
            return refused
        refusal = move(ctx, case, "follow_up_irregular", None, note=FOLLOW_UP_ANSWERED["some"])
        return done(ctx, refusal) if refusal else show(
            ctx, case, f"บันทึกแล้วค่ะ: เรื่อง {case.number} มาเรียนบ้างไม่มาบ้าง ช่วยติดตามน้องอย่างใกล้ชิดนะคะ")
    if answer == "no":
        reply = report_dropped_out(ctx)
        dropped = ctx.session.info.pop("dropped_case", None)  # set by change() when the move was made
        if dropped is not None:
            case = ctx.session.get(Case, dropped)
            said = (f"แจ้งเตือน: เรื่อง {case.number} {case.full_name} หยุดเรียนอีกแล้ว "
                    f"(แจ้งโดย {ctx.user.real_name or 'ผู้ติดตาม'}) เรื่องกลับเป็น “{STATUSES['found']}” ค่ะ")
            for coordinator in access.coordinators_covering(ctx.session, case.area):
                if coordinator.id != ctx.user.id:
                    queue_messages(ctx.session, coordinator.line_user_id, [text(said)])
        return reply
    return done(ctx, "ไม่เข้าใจคำตอบนี้ค่ะ")


@requires(*COORDINATORS)
def reopen_case(ctx: Context) -> Reply:
    """"เปิดเรื่องอีกครั้ง": a coordinator reopens a closed case."""
    return change(ctx, "reopen", "reopened", "found", "เปิดเรื่อง {number} อีกครั้งแล้วค่ะ", closed_reason=None)


# ------------------------------------------------------------------ closing a case

def close_context(session: Session, case: Case) -> dict:
    return {"case": case.id, "_lists": {"close_reason": [list(o) for o in choice_list(session, "close_reason")]}}


def submit_close(ctx: Context, data: dict) -> Reply:
    case, refused = case_for(ctx, "close", data["case"])
    if refused:
        return refused
    reason, note = data["close_reason"], data.get("close_reason_note")
    refusal = move(ctx, case, "closed", "closed", note=note, details={"reason": reason})
    if refusal:
        return done(ctx, refusal)
    withdraw_referral(ctx, case)
    case.closed_reason = reason
    return show(ctx, case, f"ปิดเรื่อง {case.number} แล้วค่ะ")


CLOSE = flow.register(Flow(
    name="close_case",
    steps=choice_steps("close_reason", "ปิดเรื่องนี้เพราะอะไรคะ เลือกเหตุผลจากปุ่มด้านล่าง"),
    finish=submit_close,
    roles=COORDINATORS,
    cancelled="ยกเลิกแล้วค่ะ เรื่องนี้ยังไม่ถูกปิด",
))


@requires(*COORDINATORS)
def close_case(ctx: Context) -> Reply:
    """"ปิดเรื่อง": a coordinator closes a case with one of the coordinators' reasons."""
    return start_case_flow(ctx, "close", CLOSE, lambda case: close_context(ctx.session, case))
