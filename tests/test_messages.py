"""Messages as line.messages builds them, plain JSON: what the SDK's models make of the same message, key for
key and in the same order; and SDK models as the outbox stores them, made without the generated to_dict()."""
from __future__ import annotations

import json

from linebot.v3.messaging import (
    FlexSeparator,
    FlexText,
    LocationAction,
    Message,
    MessageAction,
    PostbackAction,
    TextMessage,
    URIAction,
)

from line.messages import area_bubble, as_json, card, flex, postback, text, with_quick_replies


def as_the_sdk_makes_it(message: dict) -> str:
    """The message parsed into the SDK's models, then serialised by them."""
    return json.dumps(Message.from_dict(message).to_dict(), ensure_ascii=False)


def same_as_the_sdk(message: dict) -> bool:
    return json.dumps(message, ensure_ascii=False) == as_the_sdk_makes_it(message)


def list_page() -> dict:
    """A page of the list of children to find: a carousel of cards with buttons, under quick replies."""
    bubbles = [card(f"เด็กคนที่ {n}", [("อายุ", "12 ปี"), ("พื้นที่", "ต.ในเมือง"), ("ระยะทาง", "")],
                    [("primary", postback("เช็กอิน", f"action=checkin&case={n}", "เช็กอิน")),
                     ("secondary", URIAction(label="แผนที่", uri="https://maps.google.com/?q=16.4,102.8"))], size="kilo")
               for n in range(10)]
    return flex("รายชื่อที่ต้องติดตาม", bubbles, postback("ถัดไป", "action=todo&page=2", "ถัดไป"),
                LocationAction(label="ใกล้ฉันก่อน"), MessageAction(label="ค้นหา", text="ค้นหา"), "แจ้งพบเด็ก")


def test_a_list_page_is_the_json_the_sdk_makes_of_it():
    page = list_page()
    assert same_as_the_sdk(page)
    assert page["contents"]["type"] == "carousel" and len(page["contents"]["contents"]) == 10
    # An empty value is shown as "-", as LINE refuses an empty text.
    assert page["contents"]["contents"][0]["body"]["contents"][2]["contents"][1]["text"] == "-"


def test_texts_cards_and_area_bubbles_are_the_json_the_sdk_makes_of_them():
    one_card = card("เรื่อง 2569-000001", [("อายุ", 12), FlexText(text="บรรทัดอิสระ", size="xs", wrap=True),
                                            {"type": "separator", "margin": "lg"}])
    figures = area_bubble("สรุปพื้นที่", "ต.ในเมือง", "1 ธ.ค. 2569 08:00 น.",
                          [FlexText(text="ทั้งหมด 12 คน", weight="bold", size="xl"), FlexSeparator(margin="lg")],
                          [{"type": "button", "style": "primary", "action": postback("ส่งออกรายงาน", "action=export"),
                            "height": "sm"}])
    messages = [
        text("ส่งตำแหน่งที่พบเด็ก", LocationAction(label="ส่งตำแหน่ง"), "ข้าม"),
        text("ไม่มีปุ่ม"),
        flex("การ์ดเดียว", one_card),
        flex("สรุปพื้นที่", figures, "ช่วยเหลือ"),
    ]
    assert all(same_as_the_sdk(m) for m in messages)
    assert "quickReply" not in messages[1] and "footer" not in one_card
    assert one_card["body"]["contents"][0]["contents"][1]["text"] == "12"  # coerced, as the models did


def test_quick_replies_added_afterwards_sit_where_the_sdk_puts_them():
    assert with_quick_replies(flex("การ์ด", card("ชื่อ", [])), "ยืนยัน", "ยกเลิก") == \
        flex("การ์ด", card("ชื่อ", []), "ยืนยัน", "ยกเลิก")
    assert same_as_the_sdk(with_quick_replies(text("เลือก", "ก"), "ข"))


def test_sdk_models_are_stored_as_the_sdk_serialises_them():
    messages = [
        Message.from_dict(list_page()),
        TextMessage(text="ส่งตำแหน่งที่พบเด็ก", quickReply={"items": [
            {"type": "action", "action": PostbackAction(label="ข้าม", data="skip", displayText="ข้าม")}]}),
        TextMessage(text="ไม่มีปุ่ม"),
        {"type": "text", "text": "เก็บไว้เป็น JSON แล้ว"},
    ]
    stored = [as_json(m) for m in messages]
    assert stored == [m if isinstance(m, dict) else m.to_dict() for m in messages]
    assert "quickReply" in stored[1] and "quick_reply" not in stored[1]
