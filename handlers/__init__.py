"""What the bot does for each thing a user does, as one routing table read top to bottom.

The first matching route handles the event. Menu commands above the flow route interrupt a
guided conversation; everything below it is an answer while one is open.
"""
from bot import flow
from bot.dispatcher import Route, texts

from . import report, welcome
from .common import MENU_ABOUT, MENU_HELP, MENU_REPORT

ROUTES: list[Route] = [
    Route("follow", welcome.start_following),
    Route("unfollow", welcome.stop_following),
    Route("join", welcome.explain_private_chat_only),
    Route("text", report.report_found_child, texts=texts(MENU_REPORT)),
    Route("*", flow.continue_flow, when=flow.in_flow),
    Route("text", welcome.say_hello, texts=texts("สวัสดี", "สวัสดีครับ", "สวัสดีค่ะ", "สวัสดีค่า", "เริ่ม", "เมนู")),
    Route("text", welcome.read_about, texts=texts(MENU_ABOUT)),
    Route("text", welcome.ask_for_help, texts=texts(MENU_HELP, "help", "วิธีใช้")),
    Route("*", welcome.say_not_understood),
]
