"""What the bot does for each thing a user does, as one routing table read top to bottom.

The first matching route handles the event. Commands above the `in_flow` route interrupt a guided
conversation (they start another, or only show information); everything below it is an answer
to the open conversation's question when there is one.
"""
from bot import flow
from bot.deadlines import REPORTED_ACTION
from bot.dispatcher import Route, texts

from . import audit_trail, deadlines, export, register, report, summary, users, welcome
from .common import (
    MENU_ABOUT,
    MENU_AREA_SUMMARY,
    MENU_DEACTIVATE,
    MENU_EXPORT,
    MENU_HELP,
    MENU_INVITE,
    MENU_REGISTER,
    MENU_REPORT,
)

ROUTES: list[Route] = [
    Route("follow", welcome.start_following),
    Route("unfollow", welcome.stop_following),
    Route("join", welcome.explain_private_chat_only),
    Route("text", register.start_registration, texts=texts(MENU_REGISTER)),
    Route("text", users.create_invite, texts=texts(MENU_INVITE)),
    Route("text", users.deactivate_user, texts=texts(MENU_DEACTIVATE)),
    Route("text", report.report_found_child, texts=texts(MENU_REPORT)),
    Route("text", deadlines.start_setting_deadline, texts=texts(deadlines.MENU_SET_DEADLINE, "ตั้งกำหนดส่งรายงาน")),
    # One tap on a reminder, answered even in the middle of a form (the form stays where it was).
    Route("postback", deadlines.confirm_reported, action=REPORTED_ACTION),
    Route("text", summary.show_area_summary, texts=texts(MENU_AREA_SUMMARY)),
    Route("postback", summary.drill_into_area, action="summary"),
    Route("text", export.choose_export_format, texts=texts(MENU_EXPORT)),
    Route("postback", export.request_export, action="export"),
    Route("text", audit_trail.show_case_history, when=audit_trail.asks_who_looked),
    Route("text", welcome.read_about, texts=texts(MENU_ABOUT)),
    Route("text", welcome.ask_for_help, texts=texts(MENU_HELP, "help", "วิธีใช้")),
    Route("*", flow.continue_flow, when=flow.in_flow),
    Route("text", welcome.say_hello, texts=texts("สวัสดี", "สวัสดีครับ", "สวัสดีค่ะ", "สวัสดีค่า", "เริ่ม", "เมนู")),
    Route("*", welcome.say_not_understood),
]
