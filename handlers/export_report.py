""""ส่งออกรายงาน": a user asks for the ministry report of their area as XLSX or CSV.

The file is made in the background (line/export_jobs.py) and its single-use link comes a moment later in
the chat. Every registered role may export its own whole scope (the officer who files the ministry's form
is a reporter: "ส่งออกไฟล์" on "ตัวเลขพื้นที่ของฉัน"), national IDs masked unless access.sees_national_ids.
The export of one area (from the summary card's button) is a coordinator's only, and is checked against
the scope again, like the card's drill-down. Where the user may see students on watch lists, the question
says that the Excel file also has their numbers per school (domain/export.py), and the CSV file not.
"""
from __future__ import annotations

from linebot.v3.messaging import PostbackAction

from chat.dispatcher import Context, Reply
from chat.menus import main_menu, requires
from domain import access
from domain.export import FORMATS, WATCH_SHEET
from domain.watch_numbers import watch_numbers
from handlers.area_summary import area_in_scope
from line.messages import text
from models import ExportJob

FORMAT_LABELS = {"xlsx": "Excel (.xlsx)", "csv": "CSV (UTF-8)"}
PREPARING = ("กำลังเตรียมไฟล์รายงาน{label} ({fmt}) ค่ะ ⏳\n"
             "ระบบจะส่งลิงก์ดาวน์โหลดมาในแชทนี้เมื่อไฟล์พร้อม โดยปกติไม่เกิน 1 นาที")
MASKED_NOTE = "\nเลขประจำตัวประชาชนในไฟล์จะแสดงแบบปิดบางส่วน (สิทธิ์ดูเลขเต็มเฉพาะระดับจังหวัดขึ้นไป)"
WATCH_NOTE = (f"\nไฟล์ Excel มีแผ่นงาน \"{WATCH_SHEET}\" เพิ่มอีกแผ่น: จำนวนนักเรียนเฝ้าระวังรายโรงเรียน "
              "อำเภอ และจังหวัด (ไม่มีรายชื่อ) ส่วนไฟล์ CSV มีเฉพาะรายชื่อเด็ก")


@requires(*access.REPORTERS)
def choose_export_format(ctx: Context) -> Reply:
    """"ส่งออกรายงาน" (or the card's button): what the file will hold, and a choice of format."""
    return request_export(ctx)  # a text has no postback: the format question for the whole scope


@requires(*access.REPORTERS)
def request_export(ctx: Context) -> Reply:
    """A postback action=export[&area=CODE][&format=xlsx|csv]: ask the format, or queue the file."""
    if not access.scope_prefixes(ctx.user):  # nothing to export: no job, no empty file
        return [text(access.NO_SCOPE, *main_menu(ctx.user))]
    code = ctx.postback.get("area")
    label = access.scope_label(ctx.user)
    if code:
        if reason := access.refusal(ctx.user, access.COORDINATORS):  # never offered one area: only the whole scope
            return [text(reason, *main_menu(ctx.user))]
        area = area_in_scope(ctx, code, "export")
        if area is None:
            return [text(access.OUT_OF_SCOPE, *main_menu(ctx.user))]
        # Kept as the area's own code: the button's could be a longer spelling of it ("40010000").
        code, label = area.code, access.area_label(area)
    fmt = ctx.postback.get("format")
    if fmt not in FORMATS:
        return _ask_format(ctx, code, label)
    ctx.session.add(ExportJob(user_id=ctx.user.id, area_code=code, format=fmt, created_at=ctx.now,
                              not_before=ctx.now))
    return [text(PREPARING.format(label=f" {label}", fmt=FORMAT_LABELS[fmt]), *main_menu(ctx.user))]


def _ask_format(ctx: Context, code: str | None, label: str) -> Reply:
    area = f"&area={code}" if code else ""
    choices = [PostbackAction(label=name, data=f"action=export&format={fmt}{area}", displayText=f"ส่งออก {name}")
               for fmt, name in FORMAT_LABELS.items()]
    note = "" if access.sees_national_ids(ctx.user) else MASKED_NOTE
    if watch_numbers(ctx.session, (code,) if code else access.scope_prefixes(ctx.user), ctx.user).any:
        note += WATCH_NOTE
    return [text(f"ส่งออกรายงานรายชื่อเด็กของ {label} (1 แถวต่อเด็ก 1 คน){note}\nเลือกรูปแบบไฟล์ค่ะ", *choices)]
