"""The watch list: students still in class whom their school screens as at risk of dropping out
(the student care system's ปกติ / กลุ่มเสี่ยง / กลุ่มมีปัญหา), followed week by week so that someone
acts before the child leaves; and the school terms that say which days are school days.

A student is on one school's list (school_id) in one class; the list is scoped by the school's area
(area_id), like cases. Everything that names the child is encrypted: names and notes with a random
nonce, the national ID deterministically (so an import finds the student again), the risk factors as
encrypted JSON (pregnancy, health and family breakdown are sensitive). What happens to a student is a
WatchEvent line, as a case's history is CaseEvent lines: added, screened, a home visit, a week's
attendance, raised, became a case, and the scheduler's markers of what it asked. A class list a school
sends in the chat waits in class_list_uploads until its sender imports or cancels it.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, WorkQueue, utcnow
from models.case import Case
from models.crypto import EncryptedBytes, EncryptedJSON, EncryptedText, SealedText
from models.directory import Area, Organisation, User

# The student care system's screening groups (ระบบการดูแลช่วยเหลือนักเรียน), in its words.
GROUPS = {"normal": "ปกติ", "at_risk": "กลุ่มเสี่ยง", "problem": "กลุ่มมีปัญหา"}
# watching: followed; raised: the school's coordinator and the area office were told (still followed);
# left: stopped coming and became a dropout case (case_id); ended: taken off the list (moved school,
# finished, no longer at risk).
WATCH_STATUSES = {"watching": "เฝ้าระวัง", "raised": "แจ้งเตือนแล้ว", "left": "หยุดเรียน (เปิดเรื่องแล้ว)",
                  "ended": "เลิกเฝ้าระวัง"}
# Followed by the weekly checks and the home visits.
FOLLOWED = ("watching", "raised")


class WatchStudent(Base):
    __tablename__ = "watch_students"
    __table_args__ = (Index("ix_watch_students_school_status", "school_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    # The school's area: what scopes the student (domain.access.watch_filter).
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    # "ป.5/1", "ม.2/3": as domain.school_classes writes it.
    class_name: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(String(32))
    first_name: Mapped[str] = mapped_column(SealedText("watch_first_name", 100))
    last_name: Mapped[str] = mapped_column(SealedText("watch_last_name", 100))
    sex: Mapped[str | None] = mapped_column(String(8))
    national_id: Mapped[str | None] = mapped_column(EncryptedText("watch_national_id"), index=True)
    group: Mapped[str] = mapped_column(String(16), default="at_risk")  # GROUPS
    # Codes of the "risk_factor" list (models.choice), and the teacher's own words for "อื่น ๆ".
    risk_factors: Mapped[list | None] = mapped_column(EncryptedJSON("watch_risk_factors"))
    risk_note: Mapped[str | None] = mapped_column(SealedText("watch_risk_note", 500))
    status: Mapped[str] = mapped_column(String(16), default="watching")  # WATCH_STATUSES
    # The teacher who follows the student (homeroom or whoever added them); None: the school's teachers.
    teacher_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # The case the student came from (a returned child) or became (stopped coming).
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    # For กลุ่มมีปัญหา: the home visit is due by this day (set from the screening and after each visit).
    visit_due: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    raised_at: Mapped[datetime | None]
    left_at: Mapped[datetime | None]
    forgotten_at: Mapped[datetime | None]
    # A keyed one-way tag of a forgotten student's national ID (models.case.FORGOTTEN_ID, as a case keeps), so
    # that importing the class list again leaves them forgotten.
    forgotten_key: Mapped[str | None] = mapped_column(String(64), index=True)

    school: Mapped[Organisation] = relationship()
    area: Mapped[Area] = relationship()
    teacher: Mapped[User | None] = relationship()
    case: Mapped[Case | None] = relationship()
    events: Mapped[list[WatchEvent]] = relationship(back_populates="student", order_by="WatchEvent.id",
                                                    cascade="all, delete-orphan")

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.title, self.first_name, self.last_name) if part)


class WatchEvent(Base):
    """One line of a watched student's history: who did what, when, with a note and details."""

    __tablename__ = "watch_events"
    __table_args__ = (Index("ix_watch_events_student_kind", "student_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("watch_students.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # None: the system (an import, a scheduled job).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # added | imported | joined | screened | visit | attendance | raised | left | ended
    # | attendance_asked | visit_reminded (the scheduler's markers)
    kind: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(SealedText("watch_event_note"))
    # {"week": "2026-W49", "answer": "none", "absent_days": 5}, {"outcome": "visited"}, {"group": ...}
    details: Mapped[dict | None] = mapped_column(EncryptedJSON("watch_event_details"))
    # The webhookEventId of the chat message that caused it; "cli" for a command.
    source: Mapped[str | None] = mapped_column(String(64))

    student: Mapped[WatchStudent] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class SchoolTerm(Base):
    """A school term (kind "term") or a day or span off inside one (kind "holiday") for an area and
    everything under it; area_id None is the national calendar. The most specific area with rows of a
    school year decides (domain.school_calendar); without any, the national defaults there apply."""

    __tablename__ = "school_terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="term")  # term | holiday
    name: Mapped[str] = mapped_column(String(100))  # "ภาคเรียนที่ 2/2569", "วันพ่อแห่งชาติ"
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)

    area: Mapped[Area | None] = relationship()


class ClassListUpload(WorkQueue, Base):
    """A class list (XLSX or CSV) a school's teacher or coordinator sent in the chat: fetched from LINE and
    read in the background (line/class_lists.py: pending -> fetching -> stored | failed), then imported or
    cancelled by its sender. The file names children, so its content is encrypted and emptied once decided,
    after a day undecided, and by pdpa forget."""

    __tablename__ = "class_list_uploads"
    __table_args__ = (Index("ix_class_list_uploads_due", "status", "not_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    line_message_id: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes | None] = mapped_column(EncryptedBytes("class_list_upload"))
    # The reader's summary as the sender was shown it (it may quote a cell naming a child).
    report: Mapped[str | None] = mapped_column(SealedText("class_list_report"))
    rows: Mapped[int | None]  # the valid rows: the students an import puts on the list
    fetched_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    decision: Mapped[str | None] = mapped_column(String(16))  # imported | cancelled

    user: Mapped[User] = relationship()
    school: Mapped[Organisation] = relationship()
