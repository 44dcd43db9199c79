"""Transcript: a LINE user says hello, follows, asks for help, blocks and comes back, sends what the bot cannot
take."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from domain.menu_labels import MENU_ABOUT, MENU_HELP, MENU_REPORT_CHILD
from handlers import welcome
from helpers import quick_reply_labels, texts_of
from models import User


def user_row(db, line_user_id) -> User:
    with db.transaction() as session:
        return session.scalar(select(User).where(User.line_user_id == line_user_id))


def test_hello_gets_a_thai_welcome_with_quick_replies(chat):
    [welcome] = chat.says("สวัสดี")
    assert "ยินดีต้อนรับ" in welcome["text"] and "พาน้องกลับมาเรียน" in welcome["text"]
    labels = quick_reply_labels(welcome)
    assert MENU_HELP in labels and 1 <= len(labels) <= 13


def test_hello_with_extra_spaces_still_matches(chat):
    assert "ยินดีต้อนรับ" in texts_of(chat.says("  สวัสดี  "))[0]


def test_new_follower_is_welcomed_and_stored(chat, db):
    welcome, privacy_notice = chat.follows()  # registration starts with the notice: tests/test_register.py
    assert "ยินดีต้อนรับ" in welcome["text"] and "PDPA" in privacy_notice["text"]
    assert user_row(db, chat.user_id).following


def test_unfollow_keeps_the_user_marked_inactive_and_refollow_restores(chat, db, line):
    chat.follows()
    assert chat.unfollows() == []
    row = user_row(db, chat.user_id)
    assert not row.following and row.unfollowed_at is not None
    chat.follows()
    assert user_row(db, chat.user_id).following


def test_help_and_about(chat):
    assert "วิธีใช้งาน" in chat.says(MENU_HELP)[0]["text"]
    assert "กระทรวงศึกษาธิการ" in chat.says(MENU_ABOUT)[0]["text"]


def test_anything_else_gets_a_gentle_pointer_not_an_error(chat):
    for reply in (chat.says("อะไรนะ"), chat.sends_sticker(), chat.shares_location(13.75, 100.5),
                  chat.sends_image(), chat.taps("action=unknown")):
        assert len(reply) == 1 and "ยังไม่เข้าใจ" in reply[0]["text"]


def test_reply_uses_the_reply_token_once(chat, line):
    chat.says("สวัสดี")
    assert len(line.replies()) == 1 and line.pushes() == []


def test_fixtures_register_users_in_the_area_tree(chat, registered, db):
    registered(chat, "coordinator", "4001")
    row = user_row(db, chat.user_id)
    assert row.role == "coordinator" and row.registered_at is not None


@pytest.mark.parametrize("kind, name", [("audio", "ข้อความเสียง"), ("video", "วิดีโอ"), ("file", "ไฟล์")])
def test_a_voice_message_video_or_file_is_told_what_the_bot_takes(chat, new_chat, registered, kind, name):
    [reply] = chat.sends(kind)  # not registered: only typing and the menu
    assert reply["text"] == f"ขออภัยค่ะ บอทยังรับ{name}ไม่ได้ {welcome.TAKES_TEXT}"
    assert MENU_HELP in quick_reply_labels(reply)
    reporter = registered(new_chat(), "reporter", "400102")
    [reply] = reporter.sends(kind)  # a reporter also sends photos and locations, and is told where
    assert reply["text"] == f"ขออภัยค่ะ บอทยังรับ{name}ไม่ได้ {welcome.TAKES_TEXT}\n{welcome.TAKES_MORE}"
    assert MENU_REPORT_CHILD in quick_reply_labels(reply)
