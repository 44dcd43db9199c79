"""Reading the class lists schools send in the chat: from LINE's content API into class_list_uploads.

Never on the webhook's request path (LINE's content API is slow on busy days, and a workbook of a few
thousand students takes a moment to read): the webhook records the file's message id
(handlers/import_class_list.py), and this process's worker thread fetches the bytes, with the photo
fetcher's retries, reads them with the class-list reader and pushes its report to the sender, with the
buttons นำเข้า and ยกเลิก. Nothing is imported here: the sender decides with those buttons.
"""
from __future__ import annotations

import logging

from linebot.v3.messaging import PostbackAction
from sqlalchemy import select, update

from domain.official_list.class_list import ClassListReport, read_class_list
from domain.official_list.list_report import ListFileError
from domain.thai import utf16_length
from line.client import LineClient, LineError
from line.messages import MAX_TEXT, Json, text
from line.outbox import Sender, deliver_here, queue_messages, queued_rows
from line.worker import QueueWorker
from models import ClassListUpload, Organisation, User, utcnow
from models.database import Database

log = logging.getLogger(__name__)

THREADS = 1  # a few files a day per school; reading a workbook is work for the CPU, one at a time is enough
# Postback action=class_import&upload=ID&do=import|cancel (handlers/import_class_list.py answers it).
ACTION = "class_import"
IMPORT, CANCEL = "นำเข้า", "ยกเลิก"
CHOOSE = "กด \"{imp}\" เพื่อเพิ่มนักเรียน {rows:,} คนในรายชื่อเฝ้าระวังของ{school} หรือ \"{cancel}\" ค่ะ"
REFUSED_ROWS = ("ไม่ผ่าน {rejected:,} แถว: นำเข้าเฉพาะ {rows:,} คนที่ข้อมูลถูกต้อง "
                "(แก้แถวที่ไม่ผ่านในไฟล์แล้วส่งใหม่ได้ภายหลัง)")
NO_ROWS = "ไม่มีแถวที่นำเข้าได้ จึงยังไม่ได้นำเข้าอะไรเลย กรุณาแก้ไฟล์ตามรายงานนี้แล้วส่งใหม่ค่ะ"
NOT_FETCHED = ("ขออภัยค่ะ ดึงไฟล์ {filename} จาก LINE ไม่สำเร็จ (ไฟล์อาจหมดอายุใน LINE แล้ว) "
               "กรุณาส่งไฟล์ใหม่อีกครั้ง")


def decision_data(upload_id: int, do: str) -> str:
    return f"action={ACTION}&upload={upload_id}&do={do}"


class ClassListReader(QueueWorker):
    """Fetches and reads the class lists sent in the chat (class_list_uploads) and sends each its report."""

    model = ClassListUpload
    busy_status = "fetching"
    thread_name = "class-list-reader"

    def __init__(self, db: Database, client: LineClient, sender: Sender, poll_seconds: float):
        super().__init__(db, THREADS, poll_seconds)
        self.client = client
        self.sender = sender

    def process(self, row: ClassListUpload) -> None:
        try:
            content = bytes(self.client.message_content(row.line_message_id))
        except LineError as exc:
            if self.record_failure(row, exc):
                self._finish(row, [text(NOT_FETCHED.format(filename=row.filename))])
            return
        try:
            report = read_class_list(content, row.filename)
        except ListFileError as exc:
            # Only the error's class is recorded: its message quotes the file.
            self._finish(row, [text(exc.message)], status="failed", last_error="ListFileError", fetched_at=utcnow())
            return
        if not report.rows:
            self._finish(row, [text(report.as_text(max_length=MAX_TEXT)), text(NO_ROWS)], status="failed",
                         last_error="no rows", fetched_at=utcnow(), rows=0)
            return
        with self.db.transaction() as session:
            school = session.scalar(select(Organisation.name).where(Organisation.id == row.school_id))
        message = report_message(row.id, report, school)
        self._finish(row, [message], status="stored", content=content, rows=len(report.rows), fetched_at=utcnow(),
                     last_error=None)
        log.info("class_list_uploads %s: stored %d bytes, %d rows", row.id, len(content), len(report.rows))

    def _finish(self, row: ClassListUpload, messages: list[Json], **values) -> None:
        """Record `values` and what the sender is told (the row's report) and push `messages` to the
        sender, in one transaction."""
        with self.db.transaction() as session:
            deliver_here(session)
            session.execute(update(ClassListUpload).where(ClassListUpload.id == row.id)
                            .values(report="\n\n".join(message["text"] for message in messages), **values))
            queue_messages(session, session.get(User, row.user_id).line_user_id, messages)
            queued = queued_rows(session)
        self.sender.send_claimed(queued)


def report_message(upload_id: int, report: ClassListReport, school: str) -> Json:
    """The reader's report, what an import would do, and the two buttons, in one text within LINE's limit."""
    rows = len(report.rows)
    tail = [REFUSED_ROWS.format(rejected=report.rejected, rows=rows)] if report.rejected else []
    tail.append(CHOOSE.format(imp=IMPORT, rows=rows, school=school, cancel=CANCEL))
    ending = "\n\n" + "\n".join(tail)
    return text(report.as_text(max_length=MAX_TEXT - utf16_length(ending)) + ending,
                *(PostbackAction(label=label, data=decision_data(upload_id, do), displayText=label)
                  for label, do in ((IMPORT, "import"), (CANCEL, "cancel"))))
