"""Exports asked for in chat ("ส่งออกรายงาน"): made in the background, one at a time (a national file
takes seconds, too long for the webhook), and handed over as a single-use download link
(line/download_links.py). The file itself is domain/export.py's.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from domain import access
from domain.export import ExportFile, export_file, job_roots, record_export
from domain.menu_labels import MENU_EXPORT_REPORT
from line.download_links import LINK, LINK_LIFETIME, DownloadLinks, with_link
from line.messages import text
from line.outbox import Sender, deliver_here, queue_messages, queued_rows
from line.worker import QueueWorker
from models import Area, Case, ExportJob, User, utcnow
from models.database import Database

log = logging.getLogger(__name__)

READY = ("📄 ไฟล์รายงาน{label} พร้อมแล้วค่ะ ({rows:,} คน, {fmt})\n{url}\n\n"
         "ลิงก์นี้ดาวน์โหลดได้ครั้งเดียว ภายใน {minutes} นาที ข้อมูลในไฟล์เป็นข้อมูลส่วนบุคคลของเด็ก "
         "กรุณาเก็บรักษาตาม PDPA และอย่าส่งต่อลิงก์หรือไฟล์ในกลุ่มแชท")
FORGET_RETRIES = 3
FAILED = f"ขออภัยค่ะ สร้างไฟล์รายงานไม่สำเร็จ กรุณาลองใหม่อีกครั้งจากเมนู \"{MENU_EXPORT_REPORT}\""


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
            queue_messages(session, user.line_user_id, [text(access.refusal(user, access.REPORTERS)
                                                             or access.OUT_OF_SCOPE)], personal=False)
            self._finish(session, job, "failed", None)
            return
        full_ids = access.sees_national_ids(user)
        file = self._made_without_the_forgotten(session, roots, job.format, full_ids, user)
        if file is None:
            queue_messages(session, user.line_user_id, [text(FAILED)], personal=False)
            self._finish(session, job, "failed", None)
            return
        nonce = self.links.create(session, file.filename, file.content_type, file.content, created_by=user)
        record_export(session, roots, file, full_ids, actor=user, source=f"export-job:{job.id}")
        label = scope_words(session, user, job.area_code)
        # The link itself is made by the sender (line/download_links.py): the outbox row holds no token.
        queue_messages(session, user.line_user_id, [with_link(text(READY.format(
            label=label, rows=file.rows, fmt=job.format.upper(), url=LINK,
            minutes=int(LINK_LIFETIME.total_seconds() // 60))), nonce)])
        self._finish(session, job, "done", file.rows)

    @staticmethod
    def _made_without_the_forgotten(session: Session, roots, fmt: str, full_ids: bool,
                                    viewer: User) -> ExportFile | None:
        """The file, made again when a child's data was forgotten (pdpa forget) while it was being made: a
        national file takes minutes, and what it read before the deletion must not be stored after it.
        None when deletions kept coming (the coordinator asks again)."""
        for _ in range(FORGET_RETRIES):
            # A minute early: the forget ran in another process, whose clock may be a little behind.
            started = utcnow() - timedelta(minutes=1)
            file = export_file(session, roots, fmt, full_ids, utcnow(), viewer)
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
