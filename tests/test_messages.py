"""Messages as the outbox stores them: the SDK models' JSON, made without the generated to_dict()."""
from __future__ import annotations

from linebot.v3.messaging import LocationAction, MessageAction, PostbackAction, TextMessage, URIAction

from line.messages import card, flex, text
from line.outbox import _as_dicts


def test_stored_json_is_what_the_sdk_serialises_for_nested_flex_quick_replies_and_actions():
    bubbles = [card(f"เด็กคนที่ {n}", [("อายุ", "12 ปี"), ("พื้นที่", "ต.ในเมือง")],
                    [("primary", PostbackAction(label="เช็กอิน", data=f"action=checkin&case={n}", displayText="เช็กอิน")),
                     ("secondary", URIAction(label="แผนที่", uri="https://maps.google.com/?q=16.4,102.8"))])
               for n in range(10)]
    messages = [
        flex("รายชื่อที่ต้องติดตาม", bubbles, "หน้าถัดไป", MessageAction(label="ค้นหา", text="ค้นหา")),
        text("ส่งตำแหน่งที่พบเด็ก", LocationAction(label="ส่งตำแหน่ง"), "ข้าม"),
        TextMessage(text="ไม่มีปุ่ม"),
        {"type": "text", "text": "เก็บไว้เป็น JSON แล้ว"},
    ]
    assert _as_dicts(messages) == [m if isinstance(m, dict) else m.to_dict() for m in messages]
    assert "quickReply" in _as_dicts(messages)[1] and "quick_reply" not in _as_dicts(messages)[1]
