"""What the bot does for each thing a user does, as one routing table read top to bottom.

The first matching route handles the event.
"""
from bot.dispatcher import Route, texts

from . import welcome
from .common import MENU_ABOUT, MENU_HELP

ROUTES: list[Route] = [
    Route("follow", welcome.start_following),
    Route("unfollow", welcome.stop_following),
    Route("join", welcome.explain_private_chat_only),
    Route("text", welcome.say_hello, texts=texts("สวัสดี", "สวัสดีครับ", "สวัสดีค่ะ", "สวัสดีค่า", "เริ่ม", "เมนู")),
    Route("text", welcome.read_about, texts=texts(MENU_ABOUT)),
    Route("text", welcome.ask_for_help, texts=texts(MENU_HELP, "help", "วิธีใช้")),
    Route("*", welcome.say_not_understood),
]
