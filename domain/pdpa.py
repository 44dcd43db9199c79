"""Data-subject requests under the PDPA: removing a child's personal data on request, keeping the
anonymised statistics (status, area, dates, sex, age, reason, wants, grade) the programme reports.

`flask --app bot pdpa forget CASE_NO` (an administrator) runs forget_case. The audit log keeps the
request itself; it never held names or IDs, only case ids and area codes.
"""
from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from domain import audit
from domain.thai_dates import BANGKOK, age_on
from models import (
    Case,
    CaseEvent,
    CasePhoto,
    CaseTransfer,
    Conversation,
    Download,
    Notice,
    OutboxMessage,
    OutsideReport,
    Referral,
)
from models.case import FORGOTTEN_ID
from models.crypto import cipher_of

# What identifies the child or their family; everything else on the case is statistics. The schools
# name where the child is or was, which with the village, sex and age points at one child; the grade,
# affiliation and list group are categories the programme counts.
PERSONAL_FIELDS = ("title", "first_name", "last_name", "national_id", "birth_date", "guardian_name",
                   "guardian_phone", "address", "latitude", "longitude", "situation_note", "reason_note",
                   "previous_school", "school_name")
# Required columns get an empty value rather than NULL.
EMPTY = {"first_name": "", "last_name": ""}
# Outbox rows not yet delivered: cancelled (never sent) rather than emptied.
QUEUED = ("pending", "sending")
# Drafts and message bodies are encrypted, so they are read and matched here, this many at a time.
BATCH = 500


def forget_case(session: Session, case: Case, now: datetime) -> tuple[list[str], dict[str, int]]:
    """Remove the personal fields of `case`, its photos, the reports about it kept from outside its
    area, the free text of its history and referrals, the drafts, notices and messages that name it
    (queued ones are cancelled) and every export file still stored; keeps a keyed one-way tag of the
    national ID, so that importing the ministry's list again leaves the child forgotten. Returns the
    fields that held something and how many of each other thing went."""
    removed = [name for name in PERSONAL_FIELDS if getattr(case, name) not in (None, "")]
    names_it = _matcher(session, case)  # before the fields it looks for are gone
    if case.national_id:
        case.forgotten_key = cipher_of(session).tag(FORGOTTEN_ID, case.national_id)
    if case.birth_date is not None:
        case.age_years = age_on(case.birth_date, case.created_at.astimezone(BANGKOK).date())
    for name in PERSONAL_FIELDS:
        setattr(case, name, EMPTY.get(name))
    case.forgotten_at = now
    counts = {
        "photos": session.execute(delete(CasePhoto).where(CasePhoto.case_id == case.id)).rowcount,
        # Reports about the child from outside the case's area, kept for its coordinators to review, and
        # reports filed under another case that name this child (a check-in giving another case's ID).
        "outside_reports": _forget_outside_reports(session, case, names_it),
        # The history keeps who did what and when, and the status changes; reports' details and
        # notes hold the child's data as reported.
        "history": session.execute(update(CaseEvent).where(CaseEvent.case_id == case.id)
                                   .values(details=None, note=None)).rowcount,
        # The referrer's note and the receiver's reason for declining are about the child.
        "referrals": session.execute(update(Referral).where(Referral.case_id == case.id)
                                     .values(note=None, reason_note=None)).rowcount,
        # So are a coordinator's note handing the case over and the receiver's reason for not taking it.
        "transfers": session.execute(update(CaseTransfer).where(CaseTransfer.case_id == case.id)
                                     .values(note=None, reason_note=None)).rowcount,
        "drafts": _forget_drafts(session, case, names_it),
        # The notice lines about the case (waiting for a digest, or the log of those sent) name the child.
        "notices": session.execute(delete(Notice).where(Notice.case_id == case.id)).rowcount,
        **_forget_messages(session, names_it),
        # Exports hold many children and do not record whom: every file still stored (waiting for its
        # download, or expired unused) goes; whoever still needs one exports again.
        "export_files": session.execute(update(Download).where(Download.content.is_not(None))
                                        .values(content=None)).rowcount,
    }
    audit.record_cli(session, "forget", "case", case.id, area_code=case.area_code, fields=removed, **counts)
    return removed, counts


def _matcher(session: Session, case: Case):
    """A test of a stored JSON value (a message's body, a draft's answers): does it name this case?
    By what messages and drafts hold: the case number, the name as the case has it and as every report
    and list in its history wrote it, the national ID, the address, the guardian, the phones whatever
    their dashes, or a button (postback) or a flow about the case's id."""
    names = {(case.first_name, case.last_name)} | {
        (details.get("first_name"), details.get("last_name")) for details in session.scalars(
            select(CaseEvent.details).where(CaseEvent.case_id == case.id, CaseEvent.details.is_not(None)))}
    needles = [case.number, case.national_id, case.guardian_name, case.address,
               *(f"{first} {last}" for first, last in names if first and last)]
    needles = [n for n in needles if n and len(n) >= 4]
    phones = [digits for digits in (re.sub(r"\D", "", case.guardian_phone or ""),) if len(digits) >= 9]
    case_button = re.compile(rf"\bcase={case.id}\b")
    name = {"first": case.first_name, "last": case.last_name} if case.first_name else None

    def names_it(value: Any) -> bool:
        if isinstance(value, dict) and (value.get("case") == case.id or (name and value.get("name") == name)):
            return True  # a check-in, referral or closing flow open on the case; a report of the child
        stored = json.dumps(value, ensure_ascii=False)
        digits = re.sub(r"\D", "", stored) if phones else ""
        return (any(n in stored for n in needles) or any(p in digits for p in phones)
                or bool(case_button.search(stored)))

    return names_it


def _forget_outside_reports(session: Session, case: Case, names_it) -> int:
    """Delete the outside reports about the case, and any other that names the child (read here: encrypted)."""
    found = [report_id for report_id, case_id, content in
             _batches(session, OutsideReport.id, OutsideReport.case_id, OutsideReport.content)
             if case_id == case.id or names_it(json.loads(content))]
    if found:
        session.execute(delete(OutsideReport).where(OutsideReport.id.in_(found)))
    return len(found)


def _forget_drafts(session: Session, case: Case, names_it) -> int:
    """Delete the open conversations about the child (the answers are encrypted: read them here)."""
    found = [convo_id for convo_id, data in _batches(session, Conversation.id, Conversation.data) if names_it(data)]
    if found:
        session.execute(delete(Conversation).where(Conversation.id.in_(found)))
    return len(found)


def _forget_messages(session: Session, names_it) -> dict[str, int]:
    """Cancel the queued messages that name the child and empty the others, whatever their status."""
    found: dict[str, list[int]] = {"cancelled": [], "emptied": []}
    for row_id, status, messages in _batches(session, OutboxMessage.id, OutboxMessage.status, OutboxMessage.messages):
        if messages and names_it(messages):
            found["cancelled" if status in QUEUED else "emptied"].append(row_id)
    if found["cancelled"]:
        session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(found["cancelled"]))
                        .values(status="cancelled", messages=[], last_error="cancelled: data-subject deletion"))
    if found["emptied"]:
        session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(found["emptied"])).values(messages=[]))
    return {f"messages_{way}": len(ids) for way, ids in found.items()}


def _batches(session: Session, key, *columns):
    """Every row's key and columns, BATCH rows per query (keyset pagination on the key)."""
    last = None
    while True:
        query = select(key, *columns).order_by(key).limit(BATCH)
        rows = session.execute(query if last is None else query.where(key > last)).all()
        yield from rows
        if len(rows) < BATCH:
            return
        last = rows[-1][0]
