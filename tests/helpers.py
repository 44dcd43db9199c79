"""Test settings and small readers of the messages the fake LINE platform recorded."""
from __future__ import annotations

import time

from bench.common import THROWAWAY_DATA_KEY

SECRET = "test-channel-secret"
TOKEN = "test-channel-access-token"
PUBLIC_BASE_URL = "https://bot.example.go.th"


def app_config(database_url: str, line_base_url: str, **extra) -> dict:
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "LINE_CHANNEL_SECRET": SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
        "LINE_API_BASE_URL": line_base_url,
        "SENDER_THREADS": 4,
        "SENDER_POLL_SECONDS": 0.05,
        "LINE_TIMEOUT_SECONDS": 2.0,
        # Tests that are about quiet hours turn them on with a clock they control; the others
        # must not depend on the time of day they run at.
        "QUIET_HOURS": "",
        "DATA_ENCRYPTION_KEY": THROWAWAY_DATA_KEY,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        **extra,
    }


def shut_down(app) -> None:
    """Stop an app's background workers and close its database connections."""
    for worker in ("sender", "photos", "exporter"):
        app.extensions[worker].stop()
    app.extensions["db"].dispose()


def texts_of(messages: list[dict]) -> list[str]:
    return [m.get("text", "") for m in messages]


def flex_texts(message: dict) -> list[str]:
    """Every text of a Flex message, in order (headers, body, footer buttons' labels)."""
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") in ("text", "span") and "text" in node:
                found.append(node["text"])
            if node.get("type") == "button":
                found.append(node["action"]["label"])
            for key, value in node.items():
                if key != "action":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("contents"))
    return found


def quick_reply_labels(message: dict) -> list[str]:
    return [item["action"]["label"] for item in (message.get("quickReply") or {}).get("items", [])]


def user_row(db, line_user_id: str):
    """The users row of this LINE user, or None."""
    from sqlalchemy import select

    from models import User

    with db.transaction() as session:
        return session.scalar(select(User).where(User.line_user_id == line_user_id))


def register(chat, code: str, name: str = "สมหญิง รักเรียน", phone: str = "0812345678") -> list[dict]:
    """Follow, accept the privacy notice and answer every question; return what "ยืนยัน" got."""
    chat.follows()
    chat.says("ยอมรับ")
    chat.says(code)
    chat.says(name)
    chat.says(phone)
    return chat.says("ยืนยัน")
def deliver_queued(app, rounds: int = 1) -> None:
    """Send what is due now, as the pollers would, and wait until nothing due is left or in flight
    (the app's own poller thread may have claimed some rows first)."""
    from sqlalchemy import func, or_, select

    from models import OutboxMessage, utcnow

    sender = app.extensions["sender"]
    sender.ensure_started()
    for _ in range(rounds):
        deadline = time.monotonic() + 20
        while True:
            sender.poll()
            assert sender.wait_idle(20), "sender did not finish"
            with app.extensions["db"].transaction() as session:
                left = session.scalar(select(func.count()).select_from(OutboxMessage).where(or_(
                    OutboxMessage.status == "sending",
                    (OutboxMessage.status == "pending") & (OutboxMessage.not_before <= sender.clock()))))
            if not left:
                break
            assert time.monotonic() < deadline, f"{left} outbox rows still due"
            time.sleep(0.02)
