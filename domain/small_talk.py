"""Messages that are talk, not an answer: a greeting, thanks, a question to the bot or to someone else.

A form half filled in is often interrupted by such a message ("สวัสดีครับ" after the help text says
"สวัสดี" goes back to the menu, "พรุ่งนี้ประชุมหมู่บ้านกี่โมงครับ" typed into the wrong chat). The flow
engine asks whether to go on instead of taking it as the answer or refusing it (chat/flow.py).
Pure standard library.
"""
from __future__ import annotations

import re

# Typed to get the main menu back (the help text says so); never an answer to a question.
GREETINGS = ("สวัสดี", "สวัสดีครับ", "สวัสดีค่ะ", "สวัสดีค่า", "เริ่ม", "เมนู")

# Greetings and thanks at the start, or a question word anywhere: what people write to each other, not
# what a form asks for. A question mark alone counts too. "โอเค" is not talk: at a card it means yes.
_CHAT = re.compile(
    r"^(?:สวัสดี|หวัดดี|ดีครับ|ดีค่ะ|ขอบคุณ|ขอบใจ|hello|hi\b|555)"
    r"|\?|ไหม|มั้ย|หรือเปล่า|รึเปล่า|หรือยัง|กี่โมง|เมื่อไร|เมื่อไหร่|ที่ไหน|ยังไง|อย่างไร|ทำไม|ใคร",
    re.IGNORECASE,
)


def is_greeting(text: str) -> bool:
    return text.strip() in GREETINGS


def looks_like_chat(text: str) -> bool:
    """True for a message that reads as talk rather than as an answer (callers ask only after the
    answer was refused, or before keeping free text as a note)."""
    return bool(_CHAT.search(text.strip()))


# A question put to someone: ends with a question word or mark, before any polite particle. Asked before
# a free-text answer is kept ("ไม่รู้ว่าทำไมไม่ไปเรียน" is a note; "พรุ่งนี้ประชุมกี่โมงครับ" is not).
_QUESTION_AT_END = re.compile(
    r"(?:\?|ไหม|มั้ย|หรือเปล่า|รึเปล่า|หรือยัง|กี่โมง|เมื่อไร|เมื่อไหร่|ที่ไหน|ยังไง|อย่างไร|ได้ไหม)"
    r"\s*(?:ครับ|คับ|ค่ะ|คะ|จ้ะ|จ้า|จ๊ะ|นะ|ฮะ)*\s*[?!.]*$")
_THANKS = re.compile(r"^(?:ขอบคุณ|ขอบใจ)")


def is_question(text: str) -> bool:
    """A question or thanks: talk, whatever step is open."""
    said = text.strip()
    return bool(_QUESTION_AT_END.search(said) or _THANKS.match(said))
