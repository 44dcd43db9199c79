"""Data-subject requests under the PDPA: removing a child's personal data on request, keeping the
anonymised statistics (status, area, dates, sex, age, reason, wants, grade) the programme reports.

`flask --app bot pdpa forget CASE_NO` (an administrator) runs forget_case, and `pdpa forget-student ID`
forget_student for a student on a school's watch list; each forgets the other's record of the same child
too (forget_child). The audit log keeps the request itself; it never held names or IDs, only ids and
area codes.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from domain import audit
from domain.thai_dates import BANGKOK, age_on
from models import (
    Case,
    CaseEvent,
    CasePhoto,
    CaseTransfer,
    ClassListUpload,
    Conversation,
    Download,
    Notice,
    OutboxMessage,
    OutsideReport,
    Referral,
    WatchEvent,
    WatchStudent,
)
from models.case import FORGOTTEN_ID
from models.crypto import cipher_of
from models.watch import FOLLOWED

# What identifies the child or their family; everything else on the case is statistics. The schools
# name where the child is or was, which with the village, sex and age points at one child; the grade,
# affiliation and list group are categories the programme counts.
PERSONAL_FIELDS = ("title", "first_name", "last_name", "national_id", "birth_date", "guardian_name",
                   "guardian_phone", "address", "latitude", "longitude", "situation_note", "reason_note",
                   "previous_school", "school_name")
# What identifies a student on a watch list, or says what makes them at risk (pregnancy, health, the
# family); the school, class, sex, screening group, status and dates are what the numbers count.
STUDENT_FIELDS = ("title", "first_name", "last_name", "national_id", "risk_factors", "risk_note")
# Of a student's history, only what a home visit found is kept: domain.watch_numbers counts the visited.
KEPT_DETAILS = {"visit": ("outcome",)}
# Required columns get an empty value rather than NULL.
EMPTY = {"first_name": "", "last_name": ""}
# Outbox rows not yet delivered: cancelled (never sent) rather than emptied.
QUEUED = ("pending", "sending")
# Drafts and message bodies are encrypted, so they are read and matched here, this many at a time.
BATCH = 500


def forget_case(session: Session, case: Case, now: datetime) -> tuple[list[str], dict[str, int]]:
    """Remove the personal fields of `case`, its photos, the reports about it kept from outside its
    area, the free text of its history and referrals, the drafts, notices and messages that name it
    (queued ones are cancelled), every export file and class list still stored; keeps a keyed one-way tag
    of the national ID, so that importing the ministry's list again leaves the child forgotten. Returns
    the fields that held something and how many of each other thing went."""
    removed = [name for name in PERSONAL_FIELDS if getattr(case, name) not in (None, "")]
    names_it = _case_matcher(session, case)  # before the fields it looks for are gone
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
        "drafts": _forget_drafts(session, names_it),
        # The notice lines about the case (waiting for a digest, or the log of those sent) name the child.
        "notices": session.execute(delete(Notice).where(Notice.case_id == case.id)).rowcount,
        **_forget_messages(session, names_it),
        # Exports hold many children and do not record whom: every file still stored (waiting for its
        # download, or expired unused) goes; whoever still needs one exports again.
        "export_files": session.execute(update(Download).where(Download.content.is_not(None))
                                        .values(content=None)).rowcount,
        "class_lists": _forget_class_lists(session),
    }
    audit.record_cli(session, "forget", "case", case.id, area_code=case.area_code, fields=removed, **counts)
    return removed, counts


def forget_student(session: Session, student: WatchStudent, now: datetime) -> tuple[list[str], dict[str, int]]:
    """Remove the personal fields of a student on a watch list, the notes and details of their history
    (a home visit's outcome stays: the numbers count it) and the drafts and messages that name them
    (queued ones are cancelled), and every class list still stored; a student still followed is taken off
    the list, since nobody can follow a student without a name. Returns the fields that held something and
    how many of each other thing went."""
    removed = [name for name in STUDENT_FIELDS if getattr(student, name) not in (None, "", [])]
    names_it = _student_matcher(student)  # before the fields it looks for are gone
    if student.national_id:
        student.forgotten_key = cipher_of(session).tag(FORGOTTEN_ID, student.national_id)
    for name in STUDENT_FIELDS:
        setattr(student, name, EMPTY.get(name))
    student.forgotten_at = now
    if student.status in FOLLOWED:
        student.status, student.visit_due = "ended", None
        session.add(WatchEvent(student=student, kind="ended", at=now, source="cli"))
    history = 0
    for event in session.scalars(select(WatchEvent).where(WatchEvent.student_id == student.id)):
        kept = {key: event.details[key] for key in KEPT_DETAILS.get(event.kind, ()) if key in (event.details or {})}
        event.note, event.details = None, kept or None
        history += 1
    counts = {"history": history, "drafts": _forget_drafts(session, names_it), **_forget_messages(session, names_it),
              "class_lists": _forget_class_lists(session)}
    audit.record_cli(session, "forget", "watch_student", student.id, area_code=student.area.code, fields=removed,
                     **counts)
    return removed, counts


def forgotten_ids(session: Session, national_ids: Iterable[str]) -> set[str]:
    """Of these national IDs, those of children forgotten on request (their case or their place on a watch
    list keeps only a tag of the ID): an import of a list must leave them forgotten."""
    cipher = cipher_of(session)
    tags = {cipher.tag(FORGOTTEN_ID, national_id): national_id for national_id in set(national_ids)}
    found: set[str] = set()
    keys = list(tags)
    for i in range(0, len(keys), BATCH):
        chunk = keys[i:i + BATCH]
        for column in (Case.forgotten_key, WatchStudent.forgotten_key):
            found.update(tags[tag] for tag in session.scalars(select(column).where(column.in_(chunk))))
    return found


def forget_child(session: Session, now: datetime, *, case: Case | None = None,
                 student: WatchStudent | None = None) -> list[tuple[Case | WatchStudent, list[str], dict[str, int]]]:
    """Forget a child everywhere the programme holds them, from their case or from a student on a list:
    the case, every student on a list who came from it or became it (WatchStudent.case_id), and those with
    the same national ID; each record not forgotten before, with what forget_case or forget_student removed."""
    case = case if case is not None else student.case
    conditions = [WatchStudent.id == student.id] if student is not None else []
    if case is not None:
        conditions.append(WatchStudent.case_id == case.id)
    national_ids = {one.national_id for one in (case, student) if one is not None and one.national_id}
    if national_ids:
        conditions.append(WatchStudent.national_id.in_(national_ids))
    students = session.scalars(select(WatchStudent).where(or_(*conditions), WatchStudent.forgotten_at.is_(None))
                               .order_by(WatchStudent.id)).all()
    done: list[tuple[Case | WatchStudent, list[str], dict[str, int]]] = []
    if case is not None and case.forgotten_at is None:
        done.append((case, *forget_case(session, case, now)))
    done.extend((one, *forget_student(session, one, now)) for one in students)
    return done


def _forget_class_lists(session: Session) -> int:
    """Class lists sent in the chat hold a class of children and their reports may quote a cell: like the
    export files, every one still stored is emptied (one not yet decided is sent again)."""
    return session.execute(update(ClassListUpload)
                           .where(or_(ClassListUpload.content.is_not(None), ClassListUpload.report.is_not(None)))
                           .values(content=None, report=None)).rowcount


def _case_matcher(session: Session, case: Case):
    """A test of a stored JSON value (a message's body, a draft's answers): does it name this case?
    By what messages and drafts hold: the case number, the name as the case has it and as every report
    and list in its history wrote it, the national ID, the address, the guardian, the phones whatever
    their dashes, or a button (postback) or a flow about the case's id."""
    names = {(case.first_name, case.last_name)} | {
        (details.get("first_name"), details.get("last_name")) for details in session.scalars(
            select(CaseEvent.details).where(CaseEvent.case_id == case.id, CaseEvent.details.is_not(None)))}
    needles = [case.number, case.national_id, case.guardian_name, case.address,
               *(f"{first} {last}" for first, last in names if first and last)]
    phones = [digits for digits in (re.sub(r"\D", "", case.guardian_phone or ""),) if len(digits) >= 9]
    return _matcher("case", case.id, needles, phones, case.first_name, case.last_name)


def _student_matcher(student: WatchStudent):
    """The same test for a student on a watch list: their name, national ID, or a button or a flow about
    the student's id."""
    return _matcher("student", student.id, [student.national_id, f"{student.first_name} {student.last_name}"], [],
                    student.first_name, student.last_name)


def _matcher(key: str, key_id: int, needles: list[str | None], phones: list[str], first: str | None,
             last: str | None):
    """Does a stored JSON value name the child: a flow's data whose `key` is `key_id`, a report's name
    {"first", "last"}, any of `needles` (four characters or more) or `phones` anywhere in it, or a button
    with `key`=`key_id`."""
    needles = [n for n in needles if n and len(n) >= 4]
    button = re.compile(rf"\b{key}={key_id}\b")
    name = {"first": first, "last": last} if first else None

    def names_it(value: Any) -> bool:
        if isinstance(value, dict) and (value.get(key) == key_id or (name and value.get("name") == name)):
            return True  # a check-in, referral or closing flow open on the case; a report of the child
        stored = json.dumps(value, ensure_ascii=False)
        digits = re.sub(r"\D", "", stored) if phones else ""
        return (any(n in stored for n in needles) or any(p in digits for p in phones)
                or bool(button.search(stored)))

    return names_it


def _forget_outside_reports(session: Session, case: Case, names_it) -> int:
    """Delete the outside reports about the case, and any other that names the child (read here: encrypted)."""
    found = [report_id for report_id, case_id, content in
             _batches(session, OutsideReport.id, OutsideReport.case_id, OutsideReport.content)
             if case_id == case.id or names_it(json.loads(content))]
    if found:
        session.execute(delete(OutsideReport).where(OutsideReport.id.in_(found)))
    return len(found)


def _forget_drafts(session: Session, names_it) -> int:
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
