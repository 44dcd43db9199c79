"""Importing a class list sent in the chat: a school's teacher or coordinator sends the XLSX or CSV (the
file `flask watch import` reads), the bot answers at once and line/class_lists.py fetches and reads it in
the background, pushing the report with "นำเข้า" and "ยกเลิก"; a tap puts the valid rows on the school's
watch list (domain.watch_import, as the command does) or drops the file.

Only a teacher or coordinator of a school sends one (access.class_list_school); an admin or an area
office is told to send it from the school's account or use the command. The name and size are checked
before anything is fetched (class_list.file_refusal). Postback action=class_import&upload=ID&do=import|cancel
is answered for the upload's own sender, still of that school, once; any other upload id gets the same
words as one that does not exist. The file's content is emptied once decided (and after UPLOAD_KEPT).
"""
from __future__ import annotations

from chat.dispatcher import Context, Reply
from chat.menus import main_menu, requires
from domain import access, audit, watch
from domain.access import WATCHERS
from domain.menu_labels import MENU_WATCH_LIST
from domain.official_list.class_list import file_refusal, read_class_list
from domain.thai import parse_id, strip_control
from domain.thai_dates import format_thai_datetime
from domain.watch_import import UPLOAD_KEPT, import_students
from handlers.watch_list import watch_choices
from line.class_lists import ACTION
from line.messages import text
from models import ClassListUpload, Organisation

__all__ = ["ACTION", "decide_on_class_list", "send_class_list", "sends_a_file"]

FILENAME_LENGTH = ClassListUpload.filename.type.length
RECEIVED = "ได้รับไฟล์ {filename} แล้ว กำลังตรวจสอบ จะแจ้งผลภายในไม่กี่วินาทีค่ะ"
NOT_A_SCHOOL = ("ขออภัยค่ะ รายชื่อนักเรียนส่งทางแชทได้จากบัญชีของครูหรือผู้ประสานงานของโรงเรียนเท่านั้น "
                "กรุณาให้โรงเรียนส่งไฟล์จากบัญชีของโรงเรียน หรือนำเข้าด้วยคำสั่ง "
                "flask --app bot watch import ไฟล์ --school รหัสโรงเรียน")
NO_AREA = "ขออภัยค่ะ {school} ยังไม่ได้กำหนดพื้นที่ในระบบ จึงยังนำเข้ารายชื่อไม่ได้ กรุณาติดต่อผู้ดูแลระบบ"
NOT_FOUND = "ไม่พบไฟล์รายชื่อนี้ค่ะ"
NO_LONGER_THEIRS = ("ขออภัยค่ะ ท่านไม่ได้เป็นครูหรือผู้ประสานงานของโรงเรียนที่ส่งไฟล์นี้แล้ว จึงนำเข้าไม่ได้ "
                    "ระบบลบไฟล์นี้แล้ว")
DECIDED = {"imported": "ไฟล์ {filename} นำเข้าแล้วเมื่อ {at} ค่ะ",
           "cancelled": "ไฟล์ {filename} ยกเลิกแล้วเมื่อ {at} ค่ะ"}
EXPIRED = ("ไฟล์ {filename} ไม่ได้เก็บไว้แล้วค่ะ (ระบบเก็บไฟล์รายชื่อไว้ {hours} ชั่วโมง) "
           "หากยังต้องการนำเข้า กรุณาส่งไฟล์ใหม่")
CANCELLED = "ยกเลิกแล้วค่ะ ไม่ได้นำเข้ารายชื่อจากไฟล์ {filename} และลบไฟล์แล้ว"


def sends_a_file(ctx: Context) -> bool:
    """A file from someone who follows a watch list: answered here, whatever the file (others are told
    what the bot takes)."""
    return access.refusal(ctx.user, WATCHERS) is None


def send_class_list(ctx: Context) -> Reply:
    """A file message outside any form: record it for line/class_lists.py to fetch, and say so at once."""
    school, refused = _school(ctx)
    message = ctx.event.message
    filename = stored_name(strip_control(message.file_name or ""))
    refused = refused or file_refusal(filename, message.file_size or 0)
    if refused:
        return [text(refused, *main_menu(ctx.user))]
    ctx.session.add(ClassListUpload(user_id=ctx.user.id, school_id=school.id, line_message_id=message.id,
                                    filename=filename, created_at=ctx.now))
    return [text(RECEIVED.format(filename=filename))]


@requires(*WATCHERS)
def decide_on_class_list(ctx: Context) -> Reply:
    """"นำเข้า" or "ยกเลิก" under a class list's report."""
    number = parse_id(ctx.postback.get("upload"))
    upload = ctx.session.get(ClassListUpload, number, with_for_update=True) if number else None
    do = ctx.postback.get("do")
    if upload is None or upload.user_id != ctx.user.id or upload.status != "stored" or do not in ("import", "cancel"):
        audit.record_chat(ctx, "denied", "class_list_upload", str(ctx.postback.get("upload", ""))[:64], tried=do)
        return [text(NOT_FOUND, *main_menu(ctx.user))]
    if upload.decision is not None:
        return [text(DECIDED[upload.decision].format(filename=upload.filename, at=format_thai_datetime(
            upload.decided_at)), *watch_choices(ctx.user))]
    school, refused = _school(ctx)
    if school is None or school.id != upload.school_id:
        upload.content = None
        return [text(NO_LONGER_THEIRS, *main_menu(ctx.user))]
    if refused:
        return [text(refused, *main_menu(ctx.user))]
    if upload.content is None or ctx.now - upload.created_at > UPLOAD_KEPT:
        upload.content = None
        return [text(EXPIRED.format(filename=upload.filename, hours=int(UPLOAD_KEPT.total_seconds() // 3600)),
                     *watch_choices(ctx.user))]
    content, upload.content = upload.content, None
    upload.decision, upload.decided_at = ("imported" if do == "import" else "cancelled"), ctx.now
    if do == "cancel":
        return [text(CANCELLED.format(filename=upload.filename), *watch_choices(ctx.user))]
    return import_stored(ctx, upload, school, content)


def import_stored(ctx: Context, upload: ClassListUpload, school: Organisation, content: bytes) -> Reply:
    """Read the stored file again and put its valid rows on the school's list; audited as the command's
    import is. A teacher who sent it follows the students."""
    report = read_class_list(content, upload.filename)  # read once already: it reads again
    result = import_students(ctx.session, school, report.rows, now=ctx.now, rules=watch.Rules.from_config(ctx.config),
                             teacher=ctx.user if ctx.user.role == "teacher" else None, actor=ctx.user,
                             source=ctx.event.webhook_event_id)
    audit.record_chat(ctx, "import", "watch_list", school.id, area_code=watch.school_area(school).code,
                      file=upload.filename, upload=upload.id, added=result.added, updated=result.updated,
                      unchanged=result.unchanged, rejected=report.rejected)
    # The list first: what the import put there.
    return [text(result.as_text(), MENU_WATCH_LIST,
                 *(choice for choice in watch_choices(ctx.user) if choice != MENU_WATCH_LIST))]


def _school(ctx: Context) -> tuple[Organisation | None, str | None]:
    """The user's school and None, or the school (or None) and why a class list of it cannot be imported."""
    school = access.class_list_school(ctx.user)
    if school is None:
        return None, NOT_A_SCHOOL
    if watch.school_area(school) is None:
        return school, NO_AREA.format(school=school.name)
    return school, None


def stored_name(filename: str) -> str:
    """The file's name within its column, its end (the extension) kept."""
    if len(filename) <= FILENAME_LENGTH:
        return filename
    return filename[:FILENAME_LENGTH - 11] + "…" + filename[-10:]
