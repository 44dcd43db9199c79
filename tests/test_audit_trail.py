"""The audit trail of what people do: registering, inviting, deactivating, reporting, being told about a
child, exporting; and a coordinator asking "who looked at this child?" in chat and with the CLI."""
from __future__ import annotations

import re

from sqlalchemy import select

from domain import access
from domain.menu_labels import MENU_DEACTIVATE, MENU_INVITE
from helpers import plain_answers, register, texts_of, walk
from models import AuditEntry, Case


def entries(db, **where) -> list[AuditEntry]:
    with db.transaction() as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        for name, value in where.items():
            query = query.where(getattr(AuditEntry, name) == value)
        return list(session.scalars(query))


def test_inviting_registering_and_deactivating_are_audited(chat, new_chat, registered, invite_code, db):
    coordinator = registered(chat, "coordinator", "4001", phone="0891111111")
    coordinator.says(MENU_INVITE)
    for answer in ("ผู้แจ้งข้อมูล", "ตำบลสำราญ", "ไม่ระบุหน่วยงาน", "1"):
        coordinator.says(answer)
    code = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}", texts_of(coordinator.says("ยืนยัน"))[1]).group()
    village_head = new_chat()
    register(village_head, code, phone="0812345678")
    coordinator.says(MENU_DEACTIVATE)
    coordinator.says("0812345678")
    coordinator.says("ยืนยัน")
    made = [(e.action, e.subject_type, e.area_code, e.actor_id is not None, bool(e.source)) for e in entries(db)]
    assert made == [("create", "invite", "400102", True, True), ("register", "user", "400102", True, True),
                    ("deactivate", "user", "400102", True, True)]
    assert entries(db, action="register")[0].detail["role"] == "reporter"


def test_who_looked_at_this_child(chat, new_chat, registered, db, line, client, run_exports, app):
    reporter = registered(chat, "reporter", "400102", real_name="สมชาย ใจดี")
    coordinator = registered(new_chat(), "coordinator", "4001", real_name="สมหญิง ประสาน", phone="0891111111")
    elsewhere = registered(new_chat(), "coordinator", "4002", real_name="มานะ ไกลบ้าน", phone="0892222222")
    walk(reporter, *plain_answers())
    reporter.says("ยืนยัน")
    with db.transaction() as session:
        case = session.scalar(select(Case))
        number = case.number
    assert [(e.action, e.area_code) for e in entries(db, subject_type="case")] == [
        ("create", "40010201"), ("notified", "40010201")]

    coordinator.taps("action=export&format=csv")
    run_exports()
    elsewhere.taps("action=export&format=csv")  # another district: does not hold this child
    run_exports()
    [answer] = coordinator.says(f"ใครดูเรื่อง {number}")
    lines = answer["text"].splitlines()
    assert lines[0] == f"ประวัติการเข้าถึงเรื่อง {number}" and "ตำบลสำราญ" in lines[1]
    assert "ทั้งหมด 3 รายการ" in lines[2]
    assert "สมชาย ใจดี (ผู้แจ้งข้อมูล): แจ้งพบ (เปิดเรื่อง)" in lines[4]
    assert "สมหญิง ประสาน (ผู้ประสานงาน): ได้รับแจ้งข้อมูลเด็ก" in lines[5]
    assert "สมหญิง ประสาน (ผู้ประสานงาน): ส่งออกรายงานที่มีเด็กคนนี้ (CSV, 1 แถว)" in lines[6]
    assert "มานะ" not in answer["text"] and "สมศรี" not in answer["text"]  # never the child's name

    # Asking was recorded, and shows next time; Thai digits and no dash work too.
    thai_number = number.replace("-", "").translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))
    assert "ดูประวัติการเข้าถึง" in coordinator.says(f"ใครดูเรื่อง{thai_number}")[0]["text"]

    # Outside the coordinator's scope, or no such case: the same answer.
    assert "ไม่พบเรื่องเลขที่" in elsewhere.says(f"ใครดูเรื่อง {number}")[0]["text"]
    assert "ไม่พบเรื่องเลขที่" in coordinator.says("ใครดูเรื่อง 2569-999999")[0]["text"]
    assert "ตามด้วยเลขที่เรื่อง" in coordinator.says("ใครดูเรื่อง")[0]["text"]
    assert texts_of(reporter.says(f"ใครดูเรื่อง {number}")) == [access.NOT_ALLOWED]

    result = app.test_cli_runner().invoke(args=["audit", "case", number])
    assert result.exit_code == 0, result.output
    out = result.output.splitlines()
    assert out[0].startswith(f"case {number} (area 40010201): 5 entries")
    assert [line.split("\t")[2] for line in out[1:]] == ["create", "notified", "export", "view_history",
                                                          "view_history"]
    assert entries(db, action="view_history")[-1].actor_label.startswith("cli:")
    assert "no case" in app.test_cli_runner().invoke(args=["audit", "case", "2569-999999"]).output
