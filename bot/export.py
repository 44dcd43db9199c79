"""The ministry report: one row per child in a coordinator's scope, as XLSX or CSV.

Asked for in chat ("ส่งออกรายงาน"), the file is made in the background by the Exporter (a national
file takes seconds, too long for the webhook) and handed over as a single-use, short-lived download
link (bot/downloads.py); `flask --app bot export` writes the same file. National IDs appear in full
only for those access.sees_national_ids allows, masked for everyone else. Text a spreadsheet would
run as a formula is neutralised. Every export is audited: who, which scope, how many rows, which format.
"""
from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from openpyxl import Workbook
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import (REFERRAL_STATUSES, SEXES, STATUSES, Area, Case, ChoiceOption, ExportJob, Organisation, Referral,
                    User, case_number, utcnow)
from models.choices import OTHER

from . import access, audit
from .db import Database
from .downloads import LINK, LINK_LIFETIME, DownloadLinks, with_link
from .messages import text
from .official_list import inert
from .outbox import Sender, deliver_here, queue_messages, queued_rows
from .thai import BANGKOK, age_on, be_year, mask_national_id, strip_control
from .worker import QueueWorker

log = logging.getLogger(__name__)

HEADERS = [
    "ลำดับ", "เลขที่เรื่อง", "รหัสจังหวัด", "จังหวัด", "รหัสอำเภอ", "อำเภอ", "รหัสตำบล", "ตำบล", "รหัสหมู่บ้าน",
    "หมู่บ้าน", "เลขประจำตัวประชาชน", "คำนำหน้า", "ชื่อ", "นามสกุล", "เพศ", "วันเดือนปีเกิด", "อายุ (ปี)", "สถานะ",
    "สถานการณ์ปัจจุบัน", "สาเหตุ", "สาเหตุ (หมวดของโครงการ)", "ความต้องการ", "การส่งต่อ/สถานศึกษา",
    "วันที่เปิดเรื่อง", "วันที่ปรับปรุงล่าสุด", "ที่มา",
]
FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
SOURCES = {"report": "แจ้งจากพื้นที่", "import": "รายชื่อจากส่วนกลาง"}
FORGOTTEN = "(ลบข้อมูลส่วนบุคคลตามคำขอ)"
BATCH = 2000  # rows read from the database at a time
COLUMNS = [getattr(Case, name) for name in (
    "id", "created_at", "updated_at", "area_code", "national_id", "title", "first_name", "last_name", "sex",
    "birth_date", "age_years", "status", "situation", "situation_note", "reason", "reason_note", "wants", "source",
    "forgotten_at")]


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content_type: str
    content: bytes
    rows: int


def export_file(session: Session, roots: tuple[str, ...], fmt: str, full_ids: bool, now: datetime) -> ExportFile:
    """The report of the cases under `roots` (area-code prefixes; ("",) is the whole country)."""
    rows = report_rows(session, roots, full_ids, now.astimezone(BANGKOK).date())
    content, count = (to_xlsx if fmt == "xlsx" else to_csv)(HEADERS, rows)
    scope = "-".join(roots) if roots != access.WHOLE_COUNTRY else "all"
    local = now.astimezone(BANGKOK)
    filename = f"pnk-report-{scope[:40]}-{be_year(local.date())}{local:%m%d-%H%M}.{fmt}"
    return ExportFile(filename, FORMATS[fmt], content, count)


def report_rows(session: Session, roots: tuple[str, ...], full_ids: bool, today: date) -> Iterator[list]:
    names = _area_names(session, roots)
    placed = placements(session, roots)
    choices = {(o.list_name, o.code): o for o in session.scalars(select(ChoiceOption))}
    # Columns, not Case objects: a national file is 100,000 cases, and the ORM's bookkeeping for each
    # would take longer than writing the file.
    query = (select(*COLUMNS).where(access.prefix_filter(roots, Case.area_code))
             .order_by(Case.area_code, Case.id).execution_options(yield_per=BATCH))
    for number, case in enumerate(session.execute(query), start=1):
        code = case.area_code or ""
        levels = [(code[:n], names.get(code[:n], "")) if len(code) >= n else ("", "") for n in (2, 4, 6, 8)]
        reason = choices.get(("reason", case.reason))
        yield [
            number, case_number(case.id, case.created_at), *(cell for level in levels for cell in level),
            (case.national_id if full_ids else mask_national_id(case.national_id)) if case.national_id else "",
            case.title or "", case.first_name if not case.forgotten_at else FORGOTTEN, case.last_name,
            SEXES.get(case.sex, ""), _be_date(case.birth_date), _age(case, today),
            STATUSES.get(case.status, case.status),
            _label(choices, "situation", case.situation, case.situation_note),
            _label(choices, "reason", case.reason, case.reason_note),
            reason.official_category if reason and reason.official_category else "",
            _label(choices, "wants", case.wants, None),
            placed.get(case.id, ""),
            _be_date(case.created_at.astimezone(BANGKOK).date()), _be_date(case.updated_at.astimezone(BANGKOK).date()),
            SOURCES.get(case.source, case.source),
        ]


def placements(session: Session, roots: tuple[str, ...]) -> dict[int, str]:
    """By case id, where each child under `roots` was referred or enrolled, in one query: the latest
    referral's organisation and its status ("วิทยาลัยเทคนิคขอนแก่น, รับเรื่องแล้ว"), and the school the
    case records the child enrolled in, with the date, when that is not the same organisation."""
    rows = session.execute(
        select(Case.id, Case.school_name, Case.enrolled_on, Organisation.name, Referral.status)
        .outerjoin(Referral, Referral.case_id == Case.id)
        .outerjoin(Organisation, Organisation.id == Referral.organisation_id)
        .where(access.prefix_filter(roots, Case.area_code), Referral.id.is_not(None) | Case.school_name.is_not(None))
        .order_by(Case.id, Referral.created_at, Referral.id)
    ).all()
    latest = {case_id: row for case_id, *row in rows}  # the last referral of each case wins
    placed = {}
    for case_id, (school, enrolled_on, organisation, status) in latest.items():
        parts = [f"{organisation}, {REFERRAL_STATUSES.get(status, status)}"] if organisation else []
        if school and school != organisation:
            parts.append(f"เข้าเรียน {school}")
        if enrolled_on and (school or status == "done"):
            parts[-1] += f" ({_be_date(enrolled_on)})"
        placed[case_id] = "; ".join(parts)
    return placed


def _area_names(session: Session, roots: tuple[str, ...]) -> dict[str, str]:
    """Names of every area under `roots` and of the areas above them (a district's province)."""
    above = [root[:n] for root in roots for n in range(2, len(root), 2)]
    within = access.prefix_filter(roots, Area.code)
    return dict(session.execute(select(Area.code, Area.name).where(within | Area.code.in_(above))).all())


def _label(choices: dict, list_name: str, code: str | None, note: str | None) -> str:
    if code is None:
        return ""
    option = choices.get((list_name, code))
    label = option.label if option else code
    return f"{label}: {note}" if code == OTHER and note else label


def _be_date(day: date | None) -> str:
    return f"{day.day:02d}/{day.month:02d}/{be_year(day)}" if day else ""


def _age(case, today: date) -> int | str:
    if case.birth_date:
        return age_on(case.birth_date, today)
    return case.age_years if case.age_years is not None else ""


def _safe(cell):
    # Control characters: openpyxl refuses them (IllegalCharacterError), and no stored value may stop a file.
    return inert(strip_control(cell)) if isinstance(cell, str) else cell


def to_xlsx(headers: list[str], rows: Iterable[list]) -> tuple[bytes, int]:
    """The file and how many rows it holds; rows are written as they come (write-only mode)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("รายงาน")
    sheet.append(headers)
    count = 0
    for count, row in enumerate(rows, start=1):
        sheet.append([_safe(cell) for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), count


def to_csv(headers: list[str], rows: Iterable[list]) -> tuple[bytes, int]:
    """UTF-8 with a BOM: Excel then shows the Thai (it reads a CSV without one in the Windows code page)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    count = 0
    for count, row in enumerate(rows, start=1):
        writer.writerow([_safe(cell) for cell in row])
    return out.getvalue().encode("utf-8-sig"), count


def record_export(session: Session, roots: tuple[str, ...], file: ExportFile, full_ids: bool, *,
                  actor: User | None = None, actor_label: str | None = None, source: str | None = None) -> None:
    audit.record(session, "export", "area", "-".join(roots) or "all", actor=actor, actor_label=actor_label,
                 area_code=roots[0] if len(roots) == 1 and roots[0] else None, source=source,
                 scope=list(roots), rows=file.rows, format=file.filename.rsplit(".", 1)[1],
                 national_ids="full" if full_ids else "masked")


# ----------------------------------------------------------------------------- in the background

READY = ("📄 ไฟล์รายงาน{label} พร้อมแล้วค่ะ ({rows:,} คน, {fmt})\n{url}\n\n"
         "ลิงก์นี้ดาวน์โหลดได้ครั้งเดียว ภายใน {minutes} นาที ข้อมูลในไฟล์เป็นข้อมูลส่วนบุคคลของเด็ก "
         "กรุณาเก็บรักษาตาม PDPA และอย่าส่งต่อลิงก์หรือไฟล์ในกลุ่มแชท")
FORGET_RETRIES = 3
FAILED = "ขออภัยค่ะ สร้างไฟล์รายงานไม่สำเร็จ กรุณาลองใหม่อีกครั้งจากเมนู \"ส่งออกรายงาน\""


def job_roots(user: User | None, area_code: str | None) -> tuple[str, ...]:
    """What an export for `user` of `area_code` (None: their whole scope) may hold now; () nothing."""
    if access.refusal(user, access.COORDINATORS):
        return ()
    prefixes = access.scope_prefixes(user)
    if area_code is None:
        return prefixes
    return (area_code,) if access.code_in_scope(prefixes, area_code) else ()


class Exporter(QueueWorker):
    """Makes the files asked for in chat (export_jobs) and sends each its download link."""

    model = ExportJob
    busy_status = "exporting"
    thread_name = "exporter"
    # A national file of a million children takes minutes (docs/performance.md): never start it twice.
    claim_expires = timedelta(hours=1)

    def __init__(self, db: Database, sender: Sender, poll_seconds: float, links: DownloadLinks):
        super().__init__(db, threads=1, poll_seconds=poll_seconds)  # one file at a time: they are big
        self.sender = sender
        self.links = links

    def process(self, job: ExportJob) -> None:
        try:
            with self.db.transaction() as session:
                deliver_here(session)
                self._export(session, job)
                queued = queued_rows(session)
        except Exception as exc:
            log.exception("export_jobs %s: failed", job.id)
            with self.db.transaction() as session:
                session.execute(update(ExportJob).where(ExportJob.id == job.id)
                                .values(status="failed", last_error=type(exc).__name__, finished_at=utcnow()))
                deliver_here(session)
                user = session.get(User, job.user_id)
                queue_messages(session, user.line_user_id, [text(FAILED)])
                queued = queued_rows(session)
        self.sender.send_claimed(queued)

    def _export(self, session: Session, job: ExportJob) -> None:
        user = session.get(User, job.user_id)
        roots = job_roots(user, job.area_code)
        if not roots:  # deactivated, or their scope changed since they asked
            queue_messages(session, user.line_user_id, [text(access.refusal(user, access.COORDINATORS)
                                                             or access.OUT_OF_SCOPE)], personal=False)
            self._finish(session, job, "failed", None)
            return
        full_ids = access.sees_national_ids(user)
        file = self._made_without_the_forgotten(session, roots, job.format, full_ids)
        if file is None:
            queue_messages(session, user.line_user_id, [text(FAILED)], personal=False)
            self._finish(session, job, "failed", None)
            return
        nonce = self.links.create(session, file.filename, file.content_type, file.content, created_by=user)
        record_export(session, roots, file, full_ids, actor=user, source=f"export-job:{job.id}")
        label = scope_words(session, user, job.area_code)
        # The link itself is made by the sender (bot/downloads.py): the outbox row holds no token.
        queue_messages(session, user.line_user_id, [with_link(text(READY.format(
            label=label, rows=file.rows, fmt=job.format.upper(), url=LINK,
            minutes=int(LINK_LIFETIME.total_seconds() // 60))), nonce)])
        self._finish(session, job, "done", file.rows)

    @staticmethod
    def _made_without_the_forgotten(session: Session, roots, fmt: str, full_ids: bool) -> ExportFile | None:
        """The file, made again when a child's data was forgotten (pdpa forget) while it was being made: a
        national file takes minutes, and what it read before the deletion must not be stored after it.
        None when deletions kept coming (the coordinator asks again)."""
        for _ in range(FORGET_RETRIES):
            # A minute early: the forget ran in another process, whose clock may be a little behind.
            started = utcnow() - timedelta(minutes=1)
            file = export_file(session, roots, fmt, full_ids, utcnow())
            if session.scalar(select(Case.id).where(Case.forgotten_at >= started).limit(1)) is None:
                return file
        return None

    @staticmethod
    def _finish(session: Session, job: ExportJob, status: str, rows: int | None) -> None:
        session.execute(update(ExportJob).where(ExportJob.id == job.id)
                        .values(status=status, rows=rows, finished_at=utcnow()))


def scope_words(session: Session, user: User, area_code: str | None) -> str:
    """" อำเภอเมืองขอนแก่น จังหวัดขอนแก่น": the export's area in Thai, for messages."""
    if area_code is None:
        return f" {access.scope_label(user)}"
    area = session.scalar(select(Area).where(Area.code == area_code))
    return f" {access.area_label(area)}" if area else ""
