"""What the bot does for each thing a user does, as one routing table read top to bottom.

The first matching route handles the event.
"""
from bot import flow
from bot.deadlines import REPORTED_ACTION
from bot.dispatcher import Route, texts

from . import deadlines, welcome
from .common import MENU_ABOUT, MENU_HELP

ROUTES: list[Route] = [
    Route("follow", welcome.start_following),
    Route("unfollow", welcome.stop_following),
    Route("join", welcome.explain_private_chat_only),
    # One tap on a reminder, answered even in the middle of a form (the form stays where it was).
    Route("postback", deadlines.confirm_reported, action=REPORTED_ACTION),
    Route("*", flow.continue_flow, when=flow.in_flow),
    Route("text", deadlines.start_setting_deadline, texts=texts(deadlines.MENU_SET_DEADLINE, "ตั้งกำหนดส่งรายงาน")),
    Route("text", welcome.say_hello, texts=texts("สวัสดี", "สวัสดีครับ", "สวัสดีค่ะ", "สวัสดีค่า", "เริ่ม", "เมนู")),
    Route("text", welcome.read_about, texts=texts(MENU_ABOUT)),
    Route("text", welcome.ask_for_help, texts=texts(MENU_HELP, "help", "วิธีใช้")),
    Route("*", welcome.say_not_understood),
]
