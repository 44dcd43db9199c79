"""Cases: one child out of school, followed until they are back in education and stay there.

A case moves through STATUSES along the arrows of TRANSITIONS only, and every change is also
written to its history (CaseEvent): who, when, from which chat message, what, a note. A
child is one case: the same national ID, or without one the same name and birth date in the same
area, cannot be entered twice (partial unique indexes), so two reporters confirming the same
child at the same moment still make one case; the second report becomes an update of the first,
unless its reporter may not see that case: then it is kept apart for the case's own coordinators
(OutsideReport) and the case is left as it was.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, FetchedValue, Float, ForeignKey, Index, String, false, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import BANGKOK, Base, WorkQueue, utcnow
from models.crypto import EncryptedBytes, EncryptedJSON, EncryptedText, SealedText
from models.directory import Area, Organisation, User

# A case's status, in the programme's words. The list import starts cases at "to_find"; a report
# from the field starts them at "found".
STATUSES = {
    "to_find": "รอติดตาม",
    "found": "ติดตามพบแล้ว",
    "not_found": "ไม่พบตัว",
    "referred": "ส่งต่อหน่วยงานแล้ว",
    "back_in_school": "กลับเข้าเรียนแล้ว",
    "staying": "เรียนต่อเนื่อง",
    "moved": "ย้ายออกนอกพื้นที่",
    "closed": "ปิดเรื่อง",
}

# The workflow: from each status, the statuses a case may move to.
#   to_find -> found -> (referred | back_in_school) -> staying -> closed
# plus not_found and moved (handed to the new area) from the field check-in, dropping out again
# (back to found), a referral declined or revoked (back to found), and closing with a reason, which
# a coordinator can reopen.
TRANSITIONS: dict[str, frozenset[str]] = {
    "to_find": frozenset({"found", "not_found", "moved", "back_in_school", "closed"}),
    "not_found": frozenset({"found", "moved", "back_in_school", "closed"}),
    "moved": frozenset({"found", "not_found", "back_in_school", "closed"}),
    "found": frozenset({"referred", "back_in_school", "moved", "closed"}),
    "referred": frozenset({"found", "back_in_school", "closed"}),
    "back_in_school": frozenset({"staying", "found", "closed"}),
    "staying": frozenset({"found", "closed"}),
    "closed": frozenset({"found"}),
}
# Still to be found in the field: what a reporter's list shows and what a check-in starts from.
TO_FIND = ("to_find", "not_found", "moved")

SEXES = {"male": "ชาย", "female": "หญิง"}

# Case.source: where the case came from: a reporter in LINE, the ministry's list, or a school's watch
# list (a watched student who stopped coming, models.watch).
REPORTED, LISTED, WATCHED = "report", "list", "watch"

# In school, with stay-in-school checks still to come: what the follow-ups ask about.
IN_SCHOOL = ("back_in_school", "staying")


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("uq_cases_national_id", "national_id", unique=True,
              postgresql_where=text("national_id IS NOT NULL"), sqlite_where=text("national_id IS NOT NULL")),
        # Without a national ID, the same name and birth date in the same area is the same child.
        Index("uq_cases_name_birth_area", "area_id", "first_name", "last_name", "birth_date", unique=True,
              postgresql_where=text("national_id IS NULL AND birth_date IS NOT NULL"),
              sqlite_where=text("national_id IS NULL AND birth_date IS NOT NULL")),
        # The coordinators' summaries count by area-code prefix (LIKE '40%', then GROUP BY a prefix);
        # the pattern operator class lets PostgreSQL use the index for LIKE whatever the collation,
        # and the status and date make it covering.
        Index("ix_cases_area_code", "area_code", "status", "updated_at",
              postgresql_ops={"area_code": "varchar_pattern_ops"}),
    )
    # area_code is filled in by the database (see below): after an INSERT or UPDATE the ORM reloads
    # it when read, rather than trusting SQLite's RETURNING, which does not see the trigger's change.
    __mapper_args__ = {"eager_defaults": False}

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(24), default="found", index=True)
    # REPORTED (a reporter in LINE) | LISTED (the ministry's list, imported) | WATCHED (a school's watch list)
    source: Mapped[str] = mapped_column(String(16), default="report")

    title: Mapped[str | None] = mapped_column(String(32))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    sex: Mapped[str | None] = mapped_column(String(8))  # SEXES
    # 13 digits, stored encrypted (deterministic, so the unique index and lookups work).
    national_id: Mapped[str | None] = mapped_column(EncryptedText("national_id"))
    birth_date: Mapped[date | None] = mapped_column(Date)
    # The age given when the birth date was not known, at created_at.
    age_years: Mapped[int | None]

    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    # The area's DOPA code, copied by a database trigger whenever area_id is set (however the row is
    # written: the ORM, a bulk import, SQL), so summaries count by code prefix without a join.
    area_code: Mapped[str | None] = mapped_column(String(8), server_default=FetchedValue(),
                                                  server_onupdate=FetchedValue())
    # The free-text personal fields are encrypted with a random nonce (SQL never looks into them).
    address: Mapped[str | None] = mapped_column(SealedText("address", 500))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)

    # Codes of the coordinators' lists (models.choice), with the reporter's words for "other".
    situation: Mapped[str | None] = mapped_column(String(32))
    situation_note: Mapped[str | None] = mapped_column(SealedText("situation_note", 500))
    reason: Mapped[str | None] = mapped_column(String(32))
    reason_note: Mapped[str | None] = mapped_column(SealedText("reason_note", 500))
    wants: Mapped[str | None] = mapped_column(String(32))

    # From the ministry's list: the last grade and school, the school's affiliation, the list's group
    # (the equity-grant students).
    grade: Mapped[str | None] = mapped_column(String(16))
    # The school names where the child is or was: with the village, sex and age they point at one child.
    previous_school: Mapped[str | None] = mapped_column(SealedText("previous_school", 200))
    affiliation: Mapped[str | None] = mapped_column(String(100))
    list_group: Mapped[str | None] = mapped_column(String(100))

    # Where and since when the child is in education again, and why a closed case was closed
    # (a code of the "close_reason" list).
    school_name: Mapped[str | None] = mapped_column(SealedText("school_name", 200))
    enrolled_on: Mapped[date | None] = mapped_column(Date)
    closed_reason: Mapped[str | None] = mapped_column(String(32))

    guardian_name: Mapped[str | None] = mapped_column(SealedText("guardian_name", 200))
    guardian_phone: Mapped[str | None] = mapped_column(EncryptedText("guardian_phone"))

    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # Who acts on the child: the owning organisation (the local government or school responsible, or
    # the one a transfer moved it to) and, once someone claims or accepts it, the person.
    owner_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # A safeguarding reason (a "reason" option flagged urgent): pushed at once, sorted first everywhere.
    urgent: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the case entered its status (record_event sets it): the per-status deadlines count from here.
    # Nullable only because SQLite cannot add a NOT NULL column in place (migration 0019); always set.
    status_since: Mapped[datetime | None] = mapped_column(default=utcnow)
    # Set by the nightly job when the case has stayed in its status past that status's deadline
    # (models.step_deadline); cleared by the next status change.
    late_since: Mapped[datetime | None]
    # Set when the personal fields were removed on the child's or guardian's request (domain/pdpa.py).
    forgotten_at: Mapped[datetime | None]
    # A keyed one-way tag of the forgotten child's national ID (FORGOTTEN_ID tags), so that the next
    # import of the ministry's list leaves them forgotten instead of bringing them back.
    forgotten_key: Mapped[str | None] = mapped_column(String(64), index=True)

    area: Mapped[Area | None] = relationship()
    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    owner_org: Mapped[Organisation | None] = relationship()
    events: Mapped[list[CaseEvent]] = relationship(back_populates="case", order_by="CaseEvent.id")

    @property
    def number(self) -> str:
        return case_number(self.id, self.created_at)

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.title, self.first_name, self.last_name) if part)


# The purpose of the tag kept of a forgotten child's national ID (models.crypto.FieldCipher.tag).
FORGOTTEN_ID = "forgotten_national_id"

# Every column whose type encrypts it (so a column encrypted later is counted too): kept out of JSON that
# is not itself stored encrypted (the list import's record of what changed).
ENCRYPTED_FIELDS = tuple(column.key for column in Case.__table__.columns
                         if isinstance(column.type, (EncryptedText, SealedText)))
# What a later report of the child fills in on the case when the case has none of it (never overwriting
# what it has), in the groups that go together: a pin is both coordinates, a note belongs to its option.
FILLED_BY_REPORT = (("national_id",), ("title",), ("sex",), ("address",), ("latitude", "longitude"),
                    ("guardian_name",), ("guardian_phone",), ("situation", "situation_note"),
                    ("reason", "reason_note"), ("wants",))


def case_number(case_id: int, created_at: datetime) -> str:
    """The case number people quote: the Buddhist-era year it was opened and its id, "2569-000123"."""
    return f"{created_at.astimezone(BANGKOK).year + 543}-{case_id:06d}"


def case_by_number(session: Session, number: str) -> Case | None:
    """The case whose number is `number` ("2569-000123", ASCII digits), or None; the year must match too."""
    match = re.fullmatch(r"(\d{4})\s*[-/]?\s*(\d{1,9})", number.strip())
    if match is None:
        return None
    case = session.get(Case, int(match.group(2)))
    return case if case is not None and case.number.startswith(match.group(1) + "-") else None


class CaseEvent(Base):
    """One line of a case's history: who did what, when, with a note and any details."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # None: the system (an import, a scheduled job).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # reported | reported_again | status | note | ... (what happened)
    kind: Mapped[str] = mapped_column(String(32))
    # Set when the status changed.
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str | None] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(SealedText("case_event_note"))
    # What was reported or changed (names, the list's old and new values): encrypted like a draft.
    details: Mapped[dict | None] = mapped_column(EncryptedJSON("case_event_details"))
    # The webhookEventId of the chat message that caused it; "cli" for a command; None for older rows.
    source: Mapped[str | None] = mapped_column(String(64))

    case: Mapped[Case] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class CasePhoto(WorkQueue, Base):
    """A photo sent with a report. Its content is fetched from LINE in the background (status:
    pending -> fetching -> stored | failed) and kept here: LINE deletes content after a while."""

    __tablename__ = "case_photos"
    __table_args__ = (Index("ix_case_photos_due", "status", "not_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    line_message_id: Mapped[str] = mapped_column(String(32))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    content: Mapped[bytes | None] = mapped_column(EncryptedBytes("case_photo"))
    content_type: Mapped[str | None] = mapped_column(String(64))
    fetched_at: Mapped[datetime | None]
    # When the reporter said the child's family agreed to the photo (asked with the report); None for
    # photos sent before the question existed.
    consented_at: Mapped[datetime | None]


class OutsideReport(Base):
    """A report about a child whose case the reporter may not see (another area's): kept for that
    case's coordinators to review, and neither attached to the case nor shown to the reporter.
    `content` is what was reported (Case columns as JSON), encrypted with a random nonce."""

    __tablename__ = "outside_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # The webhookEventId of the confirmation that sent it.
    source: Mapped[str | None] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(EncryptedBytes("outside_report"))

    @property
    def fields(self) -> dict[str, Any]:
        return json.loads(self.content)


class CaseElsewhere(Exception):
    """open_case found the child's case, but its caller may not see it; nothing was changed."""

    def __init__(self, case: Case):
        self.case = case
        super().__init__(f"case {case.id} is outside the caller's scope")


class IllegalTransition(ValueError):
    """A status change the workflow does not allow; `message` says so in Thai."""

    def __init__(self, from_status: str, to_status: str):
        self.from_status, self.to_status = from_status, to_status
        allowed = ", ".join(STATUSES[s] for s in STATUSES if s in TRANSITIONS[from_status])
        self.message = (f"เรื่องนี้อยู่ในสถานะ “{STATUSES[from_status]}” จึงเปลี่ยนเป็น “{STATUSES[to_status]}” "
                        f"ไม่ได้ค่ะ (จากสถานะนี้เปลี่ยนได้เป็น: {allowed})")
        super().__init__(f"{from_status} -> {to_status}")


def can_move(case: Case, to_status: str) -> bool:
    return to_status in TRANSITIONS[case.status]


def record_event(session: Session, case: Case, kind: str, actor: User | None, *, now: datetime | None = None,
                 to_status: str | None = None, note: str | None = None,
                 details: dict[str, Any] | None = None, source: str | None = None) -> CaseEvent:
    """Add a line to the case's history; with `to_status`, also move the case to that status, which
    must be the one it has or one TRANSITIONS allows from it (IllegalTransition otherwise). `source`
    is the chat message (webhookEventId) or command that caused it."""
    now = now or utcnow()
    if to_status is not None and to_status not in STATUSES:
        raise ValueError(f"unknown case status {to_status!r}")
    if to_status == case.status:
        to_status = None  # already there (a second "not found" visit): only a line in the history
    if to_status is not None and not can_move(case, to_status):
        raise IllegalTransition(case.status, to_status)
    event = CaseEvent(case=case, kind=kind, actor_id=actor.id if actor else None, at=now, note=note,
                      details=details, source=source)
    if to_status is not None:
        event.from_status, event.to_status = case.status, to_status
        case.status, case.status_since, case.late_since = to_status, now, None
    case.updated_at = now
    session.add(event)
    return event


def find_duplicate(session: Session, fields: dict[str, Any]) -> Case | None:
    """The case the child described by `fields` (Case columns) already has: the same national ID,
    or the same name and birth date in the same area unless both have national IDs (which then
    tell two children apart)."""
    national_id = fields.get("national_id")
    if national_id:
        found = session.scalar(select(Case).where(Case.national_id == national_id))
        if found is not None:
            return found
    if fields.get("birth_date") is None or fields.get("area_id") is None:
        return None
    query = select(Case).where(
        Case.area_id == fields["area_id"], Case.first_name == fields["first_name"],
        Case.last_name == fields["last_name"], Case.birth_date == fields["birth_date"])
    if national_id:
        query = query.where(Case.national_id.is_(None))
    return session.scalar(query.order_by(Case.id).limit(1))


def open_case(session: Session, fields: dict[str, Any], actor: User | None, *, now: datetime | None = None,
              status: str = "found", kind: str = "reported",
              visible: Callable[[Case], bool] | None = None) -> tuple[Case, bool]:
    """Open a case for a child, or find the one they already have; returns (case, created).

    `fields` are Case columns. When the child already has a case, the report is added to it
    (add_report: a history line "reported_again" with the fields as details, what the case lacks
    filled in) and a case still "to find" becomes `status`. Safe against a concurrent transaction opening the same child: the
    unique indexes make the later insert fail, and the case the other one made is used instead.
    With `visible` (may the actor see this case?), a case found that the actor may not see is left
    untouched and CaseElsewhere raised, however it was found (ID, name and birth date, the race).
    """
    now = now or utcnow()
    existing = find_duplicate(session, fields)
    if existing is None:
        case = Case(**fields, status=status, created_at=now, updated_at=now, status_since=now)
        try:
            with session.begin_nested():
                session.add(case)
        except IntegrityError:
            existing = find_duplicate(session, fields)  # committed by the other transaction meanwhile
            if existing is None:
                raise
        else:
            session.add(CaseEvent(case=case, kind=kind, actor_id=actor.id if actor else None, at=now,
                                  to_status=status))
            return case, True
    if visible is not None and not visible(existing):
        raise CaseElsewhere(existing)
    add_report(session, existing, fields, actor, kind=f"{kind}_again", status=status, now=now)
    return existing, False


def add_report(session: Session, case: Case, fields: dict[str, Any], actor: User | None, *, kind: str,
               status: str = "found", now: datetime | None = None, source: str | None = None) -> CaseEvent:
    """Add another report of the child to their case: its history line (`kind`) keeps everything the
    report said, personal details included (`details` is encrypted), what the case lacks is filled in
    (FILLED_BY_REPORT), and a case still "to find" becomes `status`."""
    for group in FILLED_BY_REPORT:
        if all(getattr(case, name) is None for name in group) and any(fields.get(name) for name in group):
            for name in group:
                setattr(case, name, fields.get(name))
    to_status = status if case.status == "to_find" and status != "to_find" else None
    return record_event(session, case, kind, actor, now=now, to_status=to_status, source=source,
                        details=_jsonable(fields, encrypted=True))


def report_outside(session: Session, case: Case, fields: dict[str, Any], actor: User, *, now: datetime,
                   source: str | None) -> OutsideReport:
    """Keep a report about `case` from someone who may not see it, for its coordinators; the case
    itself is not touched (not even its "last changed")."""
    report = OutsideReport(case_id=case.id, reporter_id=actor.id, at=now, source=source,
                           content=json.dumps(_jsonable(fields, encrypted=True), ensure_ascii=False).encode())
    session.add(report)
    return report


def _jsonable(fields: dict[str, Any], *, encrypted: bool = False) -> dict[str, Any]:
    """`fields` for a JSON column; the ENCRYPTED_FIELDS only when the JSON itself is stored encrypted."""
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in fields.items()
            if v is not None and (encrypted or k not in ENCRYPTED_FIELDS)}
