"""What a case's card shows beyond the child, to whom: the family's contacts, the pin, the situation,
the reporter, the owner and the timeline.

Those who act on the case (domain.access.sees_case_details: teachers and coordinators in scope, the
case's owner, its own reporter) get the guardian's name and phone with a tap-to-call button, the
situation, reason and wish in the coordinators' words (with the "other" notes), the reporter and their
phone, the owner, and the timeline newest first with the notes' text and, on the line of a later report
of the child, what it said that the case does not show (another guardian's phone, a new pin, ...). A
village head in scope who is none of these keeps the basic card: the child, the address with a map
button (they visit), the last three history lines without notes. The national ID is masked for
everyone (act_on_case.summary_rows). The card says which of these personal fields it showed, for the audit entry of the view.
"""
from __future__ import annotations

from linebot.v3.messaging import FlexBox, FlexButton, URIAction
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.case_timeline import LATER_REPORTS, event_words
from domain.duplicates import news_of
from domain.thai import fit_text
from domain.thai_dates import BANGKOK, format_thai_date
from domain.thai_phones import format_phone
from line.messages import MAX_LABEL
from models import Case, CaseEvent, User, choice_label
from models.choice import OTHER

MAP_URL = "https://www.google.com/maps/search/?api=1&query={lat:.6f},{lng:.6f}"
NO_OWNER = "ยังไม่มีผู้รับเรื่อง"
# LINE refuses a bubble over 30 KB of JSON, and the SDK sends Thai escaped (6 bytes a letter): a card
# shows the first ROW_SHOWN characters of a value (an address, a note: the export has them whole), and
# the newest lines of the timeline, each note cut, the whole cut again (tests/test_case_card.py checks
# that the longest card fits).
ROW_SHOWN = 200
TIMELINE_LINES = 10
BASIC_LINES = 3
NOTE_SHOWN = 150
TIMELINE_SHOWN = 1200
# The Case columns each personal row shows, named in the audit entry of a view.
BASIC_FIELDS = {"name": ("first_name", "last_name"), "national_id_masked": ("national_id",),
                "birth_date": ("birth_date", "age_years"), "address": ("address",), "pin": ("latitude",),
                "previous_school": ("previous_school",), "school_name": ("school_name",)}
DETAIL_FIELDS = {"guardian_name": ("guardian_name",), "guardian_phone": ("guardian_phone",),
                 "situation_note": ("situation_note",), "reason_note": ("reason_note",)}


def fitted(rows: list) -> list:
    """The card's rows with each value cut to ROW_SHOWN (components, the link buttons, as they are)."""
    return [(row[0], fit_text(row[1], ROW_SHOWN)) if isinstance(row, tuple) else row for row in rows]


def phone_text(digits: str | None) -> str:
    if not digits:
        return "-"
    try:
        return format_phone(digits)
    except ValueError:  # stored before numbers were checked: shown as it was typed
        return digits


def choice_text(session: Session, list_name: str, code: str | None, note: str | None) -> str:
    label = choice_label(session, list_name, code) or "-"
    return f"{label}: {note}" if code == OTHER and note else label


def person_text(user: User | None) -> str:
    if user is None:
        return "-"
    return " ".join(part for part in (user.real_name, f"โทร {phone_text(user.phone)}" if user.phone else None)
                    if part) or "-"


def owner_text(case: Case) -> str:
    parts = [case.owner_org.name if case.owner_org else None, case.owner.real_name if case.owner else None]
    return " · ".join(part for part in parts if part) or NO_OWNER


def detail_rows(session: Session, case: Case) -> list[tuple[str, str]]:
    """The rows only those who act on the case see."""
    rows = []
    if case.guardian_name or case.guardian_phone:
        rows.append(("ผู้ปกครอง", case.guardian_name or "-"))
        rows.append(("โทรศัพท์ผู้ปกครอง", phone_text(case.guardian_phone)))
    rows += [("สถานการณ์", choice_text(session, "situation", case.situation, case.situation_note)),
             ("สาเหตุ", choice_text(session, "reason", case.reason, case.reason_note)),
             ("ความต้องการ", choice_text(session, "wants", case.wants, None)),
             ("ผู้แจ้ง", person_text(case.reporter)),
             ("ผู้รับเรื่อง", owner_text(case))]
    return rows


def link_buttons(case: Case, full: bool) -> FlexBox | None:
    """Tap to call the guardian (for those who see the phone) and the pin on a map (for everyone who
    sees the card: the village head visits); None when there is neither."""
    actions = []
    if full and case.guardian_phone:
        actions.append(URIAction(label="📞 โทรหาผู้ปกครอง"[:MAX_LABEL], uri=f"tel:{case.guardian_phone}"))
    if case.latitude is not None and case.longitude is not None:
        actions.append(URIAction(label="🗺️ เปิดแผนที่", uri=MAP_URL.format(lat=case.latitude, lng=case.longitude)))
    if not actions:
        return None
    return FlexBox(layout="horizontal", spacing="sm", contents=[
        FlexButton(style="secondary", height="sm", action=action) for action in actions])


def timeline(session: Session, case: Case, full: bool) -> tuple[tuple[str, str], bool]:
    """The history row, newest first: for those who act on the case the last TIMELINE_LINES with who
    did it and the notes' text, for the others the last BASIC_LINES as words only; and whether a
    note was shown."""
    lines = timeline_lines(session, case, full)
    text = "\n".join(" ".join([when, words, *([f"({who})"] if who else [])]) for when, words, who, _ in lines)
    if len(text) > TIMELINE_SHOWN:
        text = text[:TIMELINE_SHOWN].rsplit("\n", 1)[0] + "\n…"
    notes = any(noted for *_, noted in lines)
    return ("ความเป็นมา" if full else "ล่าสุด", text or "-"), notes


def timeline_lines(session: Session, case: Case, full: bool) -> list[tuple[str, str, str | None, bool]]:
    """The timeline's lines, newest first (the card's, and the dashboard's case page): (date, what happened,
    who did it or None, whether it showed a note or a later report's words), as `timeline` says."""
    events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)
                             .order_by(CaseEvent.id.desc()).limit(TIMELINE_LINES if full else BASIC_LINES)).all()
    reported = {event.id: report_words(session, news_of(case, event.details)) for event in events
                if full and event.kind in LATER_REPORTS and event.details}
    return [(*event_parts(event, full, reported.get(event.id)), full and bool(event.note or reported.get(event.id)))
            for event in events]


def event_text(event: CaseEvent, full: bool = False, reported: str | None = None) -> str:
    """A history line: its date, what happened, and for those who act on the case its note (or `reported`,
    what a later report said) and who did it."""
    when, words, who = event_parts(event, full, reported)
    return f"{when} {words}" + (f" ({who})" if who else "")


def event_parts(event: CaseEvent, full: bool = False, reported: str | None = None) -> tuple[str, str, str | None]:
    """event_text's parts: the date, what happened (with the note for those who act on the case), who did it."""
    when = format_thai_date(event.at.astimezone(BANGKOK).date())
    words = event_words(event.kind, event.from_status, event.to_status, event.note or reported,
                        NOTE_SHOWN if full else 0)
    who = event.actor.real_name if full and event.actor is not None and event.actor.real_name else None
    return when, words, who


def report_words(session: Session, details: dict) -> str:
    """What a report said of the child's family and situation (domain.duplicates.NEWS_FIELDS), in one line:
    "ผู้ปกครอง นางสมศรี ใจดี โทร 081-234-5678 · ที่อยู่ 45 หมู่ 1 · 📍 16.43000,102.83000 · ความต้องการ: …"."""
    parts = []
    guardian = " ".join(part for part in (details.get("guardian_name"), details.get("guardian_phone")
                                          and f"โทร {phone_text(details['guardian_phone'])}") if part)
    if guardian:
        parts.append(f"ผู้ปกครอง {guardian}")
    if details.get("address"):
        parts.append(f"ที่อยู่ {details['address']}")
    if details.get("latitude") is not None and details.get("longitude") is not None:
        parts.append(f"📍 {details['latitude']:.5f},{details['longitude']:.5f}")
    for list_name, label in (("situation", "สถานการณ์"), ("reason", "สาเหตุ"), ("wants", "ความต้องการ")):
        code, note = details.get(list_name), details.get(f"{list_name}_note")
        if code or note:
            parts.append(f"{label}: {choice_text(session, list_name, code, note) if code else note}")
    return " · ".join(parts)


def shown_fields(case: Case, full: bool, notes: bool) -> list[str]:
    """The personal fields a card of `case` shows (those holding something), for the audit entry."""
    fields = {**BASIC_FIELDS, **(DETAIL_FIELDS if full else {})}
    shown = [name for name, columns in fields.items() if any(getattr(case, c) not in (None, "") for c in columns)]
    if full:
        shown += [name for name, user in (("reporter", case.reporter), ("owner", case.owner)) if user is not None]
        shown += ["history_notes"] if notes else []
    return shown
