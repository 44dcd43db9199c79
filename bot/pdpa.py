"""Data-subject requests under the PDPA: removing a child's personal data on request, keeping the
anonymised statistics (status, area, dates, sex, age, reason, wants) the programme reports.

`flask --app bot pdpa forget CASE_NO` (an administrator) runs forget_case. The audit log keeps the
request itself; it never held names or IDs, only case ids and area codes.
"""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Text, cast, delete, or_, update
from sqlalchemy.orm import Session

from models import Case, CaseEvent, CasePhoto, OutboxMessage, OutsideReport

from . import audit
from .thai import BANGKOK, age_on

# What identifies the child or their family; everything else on the case is statistics.
PERSONAL_FIELDS = ("title", "first_name", "last_name", "national_id", "birth_date", "guardian_name",
                   "guardian_phone", "address", "latitude", "longitude", "situation_note", "reason_note")
# Required columns get an empty value rather than NULL.
EMPTY = {"first_name": "", "last_name": ""}


def forget_case(session: Session, case: Case, now: datetime) -> list[str]:
    """Remove the personal fields of `case`, its photos, its history's details and notes, the reports
    about it kept from outside its area, and the sent messages that named it; returns the fields
    that held something."""
    removed = [name for name in PERSONAL_FIELDS if getattr(case, name) not in (None, "")]
    full_name = f"{case.first_name} {case.last_name}"
    if case.birth_date is not None:
        case.age_years = age_on(case.birth_date, case.created_at.astimezone(BANGKOK).date())
    for name in PERSONAL_FIELDS:
        setattr(case, name, EMPTY.get(name))
    case.forgotten_at = now
    photos = session.execute(delete(CasePhoto).where(CasePhoto.case_id == case.id)).rowcount
    outside = session.execute(delete(OutsideReport).where(OutsideReport.case_id == case.id)).rowcount
    # The history keeps who did what and when, and the status changes; reports' details and
    # notes hold the child's data as reported.
    session.execute(update(CaseEvent).where(CaseEvent.case_id == case.id).values(details=None, note=None))
    # Messages already delivered that named the child (the reporter's card, the coordinators' notices)
    # are kept no longer; queued ones still go.
    sent = cast(OutboxMessage.messages, Text)
    scrubbed = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status.in_(("sent", "failed")),
               or_(*(sent.contains(needle) for needle in _stored_forms(case.number, full_name))))
        .values(messages=[])
    ).rowcount
    audit.record_cli(session, "forget", "case", case.id, area_code=case.area_code, fields=removed, photos=photos,
                     outside_reports=outside, messages=scrubbed)
    return removed


def _stored_forms(*texts: str) -> set[str]:
    """Each text as it appears in stored JSON: as is (PostgreSQL's JSONB) and escaped (SQLite's JSON text)."""
    return {form for t in texts for form in (t, json.dumps(t)[1:-1])}
