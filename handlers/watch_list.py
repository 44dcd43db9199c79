""""นักเรียนเฝ้าระวัง": the students on the watch lists this user may see (domain.access.watch_filter), and
one student's card with the buttons a teacher uses every week.

The list holds the students followed (watching, raised). A user whose students are in several schools (a
district's coordinator) first gets each school's counts with a button (action=watchlist&school=ID). A
school's list is ten cards a page (one carousel, "ถัดไป" for the next: action=watchlist&page=N) by class,
and in a class those raised first, then กลุ่มมีปัญหา, กลุ่มเสี่ยง, ปกติ; a class's button narrows it to that
class (action=watchlist&class=ป.5/1). A card: the name, the national ID masked, the class, the group, the
risk factors, the last week's attendance, the home visit due (พ.ศ.), the status, and "ดูข้อมูล".

The student's card (action=student&student=ID): the same with the school, the note and the latest history
lines, and the buttons: this week's attendance (action=attend, one per answer), บันทึกเยี่ยมบ้าน (action=visit),
เปลี่ยนกลุ่ม (action=watch_group), หยุดเรียนแล้ว (action=watch_left), เลิกเฝ้าระวัง (action=watch_end).

Every postback naming a student goes through student_for: one the user may not see (another school's,
another area's, or none at all) gets access's Thai reason, the same whichever, and an audit line. Every
student shown is audited as a view of a "watch_student".
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import date, datetime
from urllib.parse import urlencode

from linebot.v3.messaging import Action, FlexBubble, MessageAction, PostbackAction
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload

from chat.dispatcher import Context, Reply
from chat.menus import main_menu, requires
from domain import access, audit, watch
from domain.access import OUT_OF_SCOPE, WATCHERS
from domain.export import FORGOTTEN
from domain.menu_labels import MENU_ADD_STUDENT
from domain.school_calendar import calendar_for
from domain.school_classes import class_sort_key
from domain.thai import fit_text, parse_id
from domain.thai_dates import BANGKOK, format_thai_date
from domain.thai_ids import mask_national_id
from handlers.case_details import NOTE_SHOWN, ROW_SHOWN
from handlers.children_to_find import NEXT
from handlers.refer_child import case_button
from line.messages import MAX_LABEL, MAX_QUICK_REPLIES, card, flex, text
from models import FOLLOWED, GROUPS, WATCH_STATUSES, Area, ChoiceOption, Organisation, User, WatchEvent, WatchStudent

PAGE_SIZE = 10  # cards a page, one carousel (LINE allows 12)
CLASS_BUTTONS = 6  # classes offered as buttons beside the list; the others are paged through
HISTORY_LINES = 6
SEE = "ดูข้อมูล"
ADD_BUTTON = MessageAction(label=MENU_ADD_STUDENT, text=MENU_ADD_STUDENT)
ALL_CLASSES = "ทุกชั้น"
NOTHING = f"ยังไม่มีนักเรียนในรายชื่อเฝ้าระวังค่ะ กด \"{ADD_BUTTON.label}\" เพื่อเพิ่มนักเรียนทีละคน"
NONE_HERE = "ไม่พบนักเรียนเฝ้าระวังตามที่เลือกค่ะ"
NOT_FOLLOWED = "นักเรียนคนนี้ไม่ได้อยู่ในรายชื่อเฝ้าระวังแล้วค่ะ ({status})"
# In a class: กลุ่มมีปัญหา first.
GROUP_RANK = {"problem": 0, "at_risk": 1, "normal": 2}
# What each history line of a student says; the scheduler's markers of what it asked are not shown.
EVENT_WORDS = {"added": "เพิ่มในรายชื่อเฝ้าระวัง", "imported": "นำเข้าจากรายชื่อชั้นเรียน",
               "joined": "กลับเข้าเรียน (จากเรื่องที่ติดตาม)", "screened": "คัดกรอง", "visit": "เยี่ยมบ้าน",
               "attendance": "การมาเรียน", "raised": "แจ้งผู้ประสานงานแล้ว", "left": "หยุดเรียน เปิดเรื่องติดตามแล้ว",
               "ended": "เลิกเฝ้าระวัง"}


# ------------------------------------------------------------------ access

def student_for(ctx: Context, student_id, tried: str, *, followed: bool = False) -> tuple[WatchStudent | None, Reply]:
    """The student `student_id` names and None, or None and the refusal to send (audited): the user must
    be one of access.WATCHERS and see the student (access.student_refusal). A student who does not exist
    is refused with the same words as one of another school. With `followed`, a student no longer
    followed (off the list, or a case now) is answered with not_followed."""
    number = parse_id(student_id)
    # Locked for the rest of the transaction: two teachers answering for one student take turns.
    student = ctx.session.get(WatchStudent, number, with_for_update=True) if number else None
    if student is None:
        reason = access.refusal(ctx.user, WATCHERS) or OUT_OF_SCOPE
    else:
        reason = access.student_refusal(ctx.user, student)
    if reason:
        if access.is_registered(ctx.user):
            audit.record_chat(ctx, "denied", "watch_student", str(student_id)[:64], tried=tried)
        return None, [text(reason, *main_menu(ctx.user))]
    if followed and student.status not in FOLLOWED:
        return None, not_followed(ctx, student)
    return student, None


def not_followed(ctx: Context, student: WatchStudent) -> Reply:
    """The answer to a button of a student taken off the list, or who became a case, since the card was
    sent: the case's button when there is one."""
    buttons = [case_button(student.case)] if student.case is not None else []
    return [text(NOT_FOLLOWED.format(status=WATCH_STATUSES[student.status]), *watch_choices(ctx.user, *buttons))]


def viewed(ctx: Context, students: list[WatchStudent], via: str, fields: list[str] | None = None) -> None:
    """Audit that these students were shown to the user, with the personal fields a card shows."""
    shown = {} if fields is None else {"fields": fields}
    for student in students:
        audit.record_chat(ctx, "view", "watch_student", student.id, area_code=student.area.code, via=via, **shown)


def watch_choices(user: User, *first: str | Action) -> list[str | Action]:
    """`first`, then adding a student and the main menu, within LINE's quick replies."""
    return [*first, ADD_BUTTON, *main_menu(user)][:MAX_QUICK_REPLIES]


# ------------------------------------------------------------------ what a student's lines say

def factor_labels(session: Session) -> dict[str, str]:
    """The risk factors' labels by code, retired ones included (a student keeps the codes they were given)."""
    return {code: label for code, label in session.execute(
        select(ChoiceOption.code, ChoiceOption.label).where(ChoiceOption.list_name == "risk_factor"))}


def factors_text(student: WatchStudent, labels: dict[str, str]) -> str:
    return ", ".join(labels.get(code, code) for code in student.risk_factors or ()) or "-"


def week_text(week: str) -> str:
    """"2026-W49" as the Monday it starts: "สัปดาห์ที่เริ่ม 30 พ.ย. 2569"."""
    year, number = week.split("-W")
    return f"สัปดาห์ที่เริ่ม {format_thai_date(date.fromisocalendar(int(year), int(number), 1))}"


def last_attendance(student: WatchStudent) -> str:
    weeks = watch.attendance(student)
    if not weeks:
        return "ยังไม่ได้เช็ก"
    week, details = list(weeks.items())[-1]
    return f"{watch.ATTENDANCE[details['answer']]} ({week_text(week)})"


def thai_day(moment: datetime) -> str:
    return format_thai_date(moment.astimezone(BANGKOK).date())


def status_text(student: WatchStudent) -> str:
    status = WATCH_STATUSES[student.status]
    if student.status == "raised" and student.raised_at:
        return f"🔔 {status} ({thai_day(student.raised_at)})"
    return status


def student_rows(student: WatchStudent, labels: dict[str, str], now: datetime) -> list[tuple[str, str]]:
    """The student in a few lines, the national ID masked: for the list's cards and the student's card."""
    rows = [("ชั้น", student.class_name)]
    if student.national_id:
        rows.append(("เลขประจำตัว", mask_national_id(student.national_id)))
    rows += [("กลุ่ม", GROUPS[student.group]), ("ปัจจัยเสี่ยง", factors_text(student, labels)),
             ("มาเรียนล่าสุด", last_attendance(student))]
    if student.visit_due:
        late = " ⏰ เลยกำหนด" if watch.visit_overdue(student, now) else ""
        rows.append(("เยี่ยมบ้านภายใน", f"{format_thai_date(student.visit_due)}{late}"))
    rows.append(("สถานะ", status_text(student)))
    return rows


def event_text(event: WatchEvent, labels: dict[str, str]) -> str:
    """A history line: its date, what happened and its details in words, the note cut."""
    details = event.details or {}
    words = EVENT_WORDS.get(event.kind, event.kind)
    if event.kind in ("added", "imported", "screened") and details.get("group") in GROUPS:
        before = details.get("from_group")
        changed = f"{GROUPS[before]} → " if before in GROUPS and before != details["group"] else ""
        words += f": {changed}{GROUPS[details['group']]}"
    elif event.kind == "attendance" and details.get("answer") in watch.ATTENDANCE:
        words += f" {week_text(details['week'])}: {watch.ATTENDANCE[details['answer']]}"
    elif event.kind == "visit" and details.get("outcome") in watch.VISIT_OUTCOMES:
        words += f": {watch.VISIT_OUTCOMES[details['outcome']]}"
    note = f" ({fit_text(event.note, NOTE_SHOWN)})" if event.note else ""
    return f"{thai_day(event.at)} {words}{note}"


def history_text(student: WatchStudent, labels: dict[str, str]) -> str:
    shown = [event for event in student.events if event.kind in EVENT_WORDS][-HISTORY_LINES:]
    return "\n".join(event_text(event, labels) for event in reversed(shown)) or "-"


# ------------------------------------------------------------------ the student's card

def see_button(student: WatchStudent) -> PostbackAction:
    return PostbackAction(label=SEE, data=f"action=student&student={student.id}", displayText=SEE)


def card_buttons(student: WatchStudent, now: datetime, school_week: bool) -> list[tuple[str, PostbackAction]]:
    """This week's attendance, one button per answer (in a week with school days), and the student's other
    actions; a student who became a case has the case's button instead, one taken off the list none."""
    if student.status == "left" and student.case_id:
        return [("secondary", PostbackAction(label="ดูเรื่อง", data=f"action=case&case={student.case_id}",
                                             displayText="ดูเรื่อง"))]
    if student.status not in FOLLOWED:
        return []
    week = watch.week_of(watch.today(now))
    attend = [("primary" if code == "full" else "secondary",
               PostbackAction(label=label, data=f"action=attend&student={student.id}&week={week}&answer={code}",
                              displayText=f"สัปดาห์นี้: {label}"))
              for code, label in watch.ATTENDANCE.items()] if school_week else []
    others = [("secondary", "บันทึกเยี่ยมบ้าน", "visit"), ("secondary", "เปลี่ยนกลุ่ม", "watch_group"),
              ("link", "หยุดเรียนแล้ว", "watch_left"), ("link", "เลิกเฝ้าระวัง", "watch_end")]
    return [*attend, *[(style, PostbackAction(label=label, data=f"action={action}&student={student.id}",
                                              displayText=label)) for style, label, action in others]]


def student_card(session: Session, student: WatchStudent, now: datetime) -> tuple[FlexBubble, list[str]]:
    """The whole student and their buttons; with the personal fields shown, for the audit."""
    labels = factor_labels(session)
    rows = [("โรงเรียน", student.school.name), *student_rows(student, labels, now)]
    if student.risk_note:
        rows.append(("หมายเหตุ", student.risk_note))
    if student.teacher is not None and student.teacher.real_name:
        rows.append(("ครูผู้ดูแล", student.teacher.real_name))
    if student.case is not None:
        rows.append(("เรื่องที่ติดตาม", student.case.number))
    school_week = calendar_for(session, student.area).has_school_days(watch.today(now))
    if student.status in FOLLOWED:
        week = watch.week_of(watch.today(now))
        rows.append(("เช็กการมาเรียน", f"กดปุ่มด้านล่าง ({week_text(week)})" if school_week
                     else f"{week_text(week)} ไม่มีวันเรียน (ปิดภาคเรียนหรือวันหยุด)"))
    history = history_text(student, labels)
    rows.append(("ความเป็นมา", history))
    # A student forgotten on request (pdpa forget-student) has no name left, and LINE refuses an empty text.
    bubble = card(fit_text(student.full_name or FORGOTTEN, ROW_SHOWN), [(label, fit_text(value, ROW_SHOWN * 3))
                                                          for label, value in rows], card_buttons(student, now, school_week))
    fields = ["name", "class", "group", "risk_factors"]
    fields += ["national_id_masked"] if student.national_id else []
    fields += ["risk_note"] if student.risk_note else []
    fields += ["history_notes"] if any(event.note for event in student.events) else []
    return bubble, fields


def show_student(ctx: Context, student: WatchStudent, note: str | None = None) -> Reply:
    """The student's card (audited), after an optional note."""
    bubble, fields = student_card(ctx.session, student, ctx.now)
    viewed(ctx, [student], "card", fields)
    message = flex(f"{student.full_name} ({student.class_name}) {WATCH_STATUSES[student.status]}", bubble,
                   *watch_choices(ctx.user))
    return [text(note), message] if note else [message]


@requires(*WATCHERS)
def show_student_card(ctx: Context) -> Reply:
    """"ดูข้อมูล" (action=student&student=ID): the student's card."""
    student, refused = student_for(ctx, ctx.postback.get("student"), "view")
    return refused or show_student(ctx, student)


# ------------------------------------------------------------------ the list

def followed(user: User):
    """The students followed whom `user` may see."""
    return (select(WatchStudent).join(Area, WatchStudent.area_id == Area.id)
            .where(access.watch_filter(user), WatchStudent.status.in_(FOLLOWED)))


def page_of(ctx: Context, pages: int) -> int:
    try:
        return min(max(1, int(ctx.postback.get("page", "1"))), pages)
    except ValueError:
        return 1


def list_data(**params) -> str:
    """A postback of the list, its values (a class's "/", Thai letters) encoded."""
    return urlencode({"action": "watchlist", **{key: value for key, value in params.items() if value is not None}})


def next_page(page: int, pages: int, **params) -> list[PostbackAction]:
    """"ถัดไป" to the page after `page` of the same list, unless it is the last."""
    if page >= pages:
        return []
    return [PostbackAction(label=NEXT, data=list_data(**params, page=page + 1), displayText=NEXT)]


def counts_text(counter: Counter) -> str:
    """"มีปัญหา 1 · เสี่ยง 2 · ปกติ 3 · แจ้งเตือนแล้ว 1" for the groups and statuses counted."""
    parts = [f"{GROUPS[code].removeprefix('กลุ่ม')} {counter[code]:,}" for code in GROUP_RANK if counter[code]]
    if counter["raised"]:
        parts.append(f"แจ้งเตือนแล้ว {counter['raised']:,}")
    return " · ".join(parts)


def counted(session: Session, stmt, *columns) -> dict[tuple, Counter]:
    """Of the students `stmt` selects, how many by `columns`, each a Counter of groups and of "raised"."""
    found: dict[tuple, Counter] = defaultdict(Counter)
    rows = session.execute(stmt.with_only_columns(*columns, WatchStudent.group, WatchStudent.status, func.count())
                           .group_by(*columns, WatchStudent.group, WatchStudent.status))
    for *key, group, status, number in rows:
        found[tuple(key)][group] += number
        found[tuple(key)]["raised"] += number if status == "raised" else 0
    return found


def school_bubble(school: Organisation, counter: Counter) -> FlexBubble:
    total = sum(counter[code] for code in GROUPS)
    button = PostbackAction(label="ดูรายชื่อ", data=list_data(school=school.id),
                            displayText=f"ดูรายชื่อ {school.name}"[:300])
    rows = [("ทั้งหมด", f"{total:,} คน"), *[(label, f"{counter[code]:,} คน") for code, label in GROUPS.items()],
            ("แจ้งเตือนแล้ว", f"{counter['raised']:,} คน")]
    return card(fit_text(school.name, ROW_SHOWN), rows, [("primary" if counter["raised"] else "secondary", button)],
                size="kilo")


def show_schools(ctx: Context, by_school: dict[int, Counter]) -> Reply:
    """Each school's counts, those with students raised first, ten a page."""
    schools = ctx.session.scalars(select(Organisation).where(Organisation.id.in_(by_school))).all()
    schools = sorted(schools, key=lambda school: (-by_school[school.id]["raised"], school.name))
    pages = math.ceil(len(schools) / PAGE_SIZE)
    page = page_of(ctx, pages)
    shown = schools[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    total = sum(sum(counter[code] for code in GROUPS) for counter in by_school.values())
    heading = f"นักเรียนเฝ้าระวัง {total:,} คน ใน {len(schools):,} โรงเรียน (หน้า {page}/{pages})"
    return [text(f"{heading}\nเลือกโรงเรียนเพื่อดูรายชื่อ"),
            flex(heading, [school_bubble(school, by_school[school.id]) for school in shown],
                 *watch_choices(ctx.user, *next_page(page, pages)))]


def list_bubble(student: WatchStudent, labels: dict[str, str], now: datetime) -> FlexBubble:
    raised = student.status == "raised"
    title = f"{'🔔 ' if raised else ''}{student.full_name}"
    return card(fit_text(title, ROW_SHOWN), student_rows(student, labels, now),
                [("primary" if raised else "secondary", see_button(student))], size="kilo")


def class_buttons(classes: list[str], school_id: int | None, shown: str | None) -> list[PostbackAction]:
    """A button per class (the first few) to narrow the list to it; "ทุกชั้น" back from one."""
    if shown is not None:
        return [PostbackAction(label=ALL_CLASSES, data=list_data(school=school_id), displayText=ALL_CLASSES)]
    return [PostbackAction(label=name[:MAX_LABEL], data=list_data(school=school_id, **{"class": name}),
                           displayText=f"ชั้น {name}") for name in classes[:CLASS_BUTTONS]] if len(classes) > 1 else []


@requires(*WATCHERS)
def show_watch_list(ctx: Context) -> Reply:
    """"นักเรียนเฝ้าระวัง" (or its buttons: a school, a class, the next page)."""
    asked = ctx.postback
    stmt = followed(ctx.user)
    if "school" not in asked and "class" not in asked:
        by_school = {key[0]: counter for key, counter in counted(ctx.session, stmt, WatchStudent.school_id).items()}
        if len(by_school) > 1:
            return show_schools(ctx, by_school)
    school_id = parse_id(asked.get("school")) if "school" in asked else None
    if "school" in asked:
        stmt = stmt.where(WatchStudent.school_id == (school_id or 0))  # a forged id: nobody
    by_class = {key[0]: counter for key, counter in counted(ctx.session, stmt, WatchStudent.class_name).items()}
    class_name = asked.get("class")
    if class_name is not None:
        stmt = stmt.where(WatchStudent.class_name == class_name[:WatchStudent.class_name.type.length])
    total = ctx.session.scalar(select(func.count()).select_from(stmt.subquery()))
    if not total:
        chosen = "school" in asked or "class" in asked
        return [text(NONE_HERE if chosen else NOTHING, *watch_choices(ctx.user))]
    pages = math.ceil(total / PAGE_SIZE)
    page = page_of(ctx, pages)
    rank = case(GROUP_RANK, value=WatchStudent.group, else_=len(GROUP_RANK))
    students = list(ctx.session.scalars(
        stmt.options(selectinload(WatchStudent.events), selectinload(WatchStudent.school),
                     selectinload(WatchStudent.area))
        .order_by(WatchStudent.class_name, (WatchStudent.status == "raised").desc(), rank, WatchStudent.id)
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
    viewed(ctx, students, "watch_list")
    labels = factor_labels(ctx.session)
    school = students[0].school.name if school_id or len({s.school_id for s in students}) == 1 else None
    lines = [f"นักเรียนเฝ้าระวัง{f' {school}' if school else ''}{f' ชั้น {class_name}' if class_name else ''} "
             f"{total:,} คน (หน้า {page}/{pages})"]
    if class_name is None:
        lines += [f"• {name}: {sum(counter[code] for code in GROUPS):,} คน ({counts_text(counter)})"
                  for name, counter in sorted(by_class.items(), key=lambda item: class_sort_key(item[0]))]
    choices = [*next_page(page, pages, school=school_id, **{"class": class_name}),
               *class_buttons(sorted(by_class, key=class_sort_key), school_id, class_name)]
    return [text("\n".join(lines)), flex(lines[0], [list_bubble(student, labels, ctx.now) for student in students],
                                         *watch_choices(ctx.user, *choices))]
