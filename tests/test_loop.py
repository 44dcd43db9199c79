"""Closing the loop (issue 14), end to end: one child followed from the report to 120 days back in
school, with every push each person received (reporter, owner, district, province and national
coordinators) and nothing else. (A late case escalating in the declared order with a moved clock is in
tests/test_late_cases.py; an urgent report reaching พม. at once in tests/test_urgent.py.)

Time moves: the webhook's handlers act at the dispatcher's clock and the jobs run at the `now` they are
given, both set to the moments of the story (Bangkok times below). Deliveries are real: the sender posts
to the fake LINE platform, and `pushed()` reads what it accepted as pushes (replies are not counted:
they answer what the person just did).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from helpers import bubbles, buttons_of, deliver_queued, flex_texts, in_organisation, plain_answers, walk
from models import Case
from models.base import BANGKOK
from scheduler.jobs import run_job

DAY0 = datetime(2026, 6, 1, 9, 0, tzinfo=BANGKOK)  # a Monday


def at(days: float, hour: int = 9, minute: int = 0) -> datetime:
    return (DAY0 + timedelta(days=days)).replace(hour=hour, minute=minute)


def words(message: dict) -> str:
    """A message's text as a person reads it: a text, or a card's alt text and contents."""
    if message.get("type") == "text":
        return message["text"]
    return " ".join([message.get("altText", ""), *flex_texts(message)])


def pushed(line, chat) -> list[str]:
    """What LINE accepted as pushes (or multicasts) to this person, in order."""
    found = []
    for call in sorted(line.pushes() + line.multicasts(), key=lambda c: c.at):
        targets = [call.json["to"]] if isinstance(call.json["to"], str) else call.json["to"]
        if chat.user_id in targets:
            found += [words(m) for m in call.json["messages"]]
    return found


def run(app, job: str, when: datetime) -> int:
    sent = run_job(job, app, now=when)
    deliver_queued(app)
    return sent


def nights(app, *days: int) -> None:
    """The daily jobs of these days, as the scheduler runs them: late cases at 01:00, the stay-in-school
    checks at 09:00, the evening digest at 18:00."""
    for day in days:
        run(app, "late-cases", at(day, 1))
        run(app, "stay-in-school-follow-ups", at(day, 9))
        run(app, "evening-digest", at(day, 18))


def test_one_child_from_the_report_to_120_days_back_in_school(app, db, line, registered, new_chat, schools, clock):
    reporter = registered(new_chat(), "reporter", "400102", real_name="มานะ ขยันดี", phone="0861111111")
    teacher = in_organisation(db, registered(new_chat(), "teacher", "400102", real_name="ครูวิไล ใจงาม",
                                             phone="0862222222"), schools["samran"])
    district = registered(new_chat(), "coordinator", "4001", real_name="ผอ.อำเภอ")
    province = registered(new_chat(), "coordinator", "40", real_name="ศธจ.ขอนแก่น")
    national = registered(new_chat(), "coordinator", None, real_name="ส่วนกลาง", national=True)
    people = {"reporter": reporter, "owner": teacher, "district": district, "province": province,
              "national": national}

    # Day 0, 09:00: the village head reports a child found out of school.
    clock.move_to(at(0))
    walk(reporter, *plain_answers(name="ด.ช. สมชาย ใจดี"))
    [done] = reporter.says("ยืนยัน")
    deliver_queued(app)
    with db.transaction() as session:
        case = session.scalars(select(Case).order_by(Case.id.desc())).first()
        number, case_id = case.number, case.id
    assert number in done["text"]
    # Only the nearest coordinators are pushed at once, with a button to the case.
    [notice] = pushed(line, district)
    assert "มีการแจ้งพบเด็ก" in notice and number in notice
    assert pushed(line, province) == [] and pushed(line, national) == []

    # 10:00: the district coordinator opens it ("ดูเรื่อง") and assigns it to the school's teacher.
    clock.move_to(at(0, 10))
    [card] = [m for m in district.taps(f"action=case&case={case_id}") if m["type"] == "flex"]
    district.taps(buttons_of(bubbles(card)[0])["มอบหมาย"])
    district.says("ครูวิไล ใจงาม")
    district.says("ข้าม")
    district.says("ยืนยัน")
    deliver_queued(app)
    [offer] = pushed(line, teacher)
    assert number in offer
    # 11:00: she accepts; the coordinator hears so.
    clock.move_to(at(0, 11))
    [offer_message] = [m for m in line.messages_to(teacher.user_id) if m["type"] == "flex"][-1:]
    teacher.taps(buttons_of(bubbles(offer_message)[0])["รับเรื่อง"])
    deliver_queued(app)
    with db.transaction() as session:
        assert session.get(Case, case_id).owner.line_user_id == teacher.user_id
    assert len(pushed(line, district)) == 2 and number in pushed(line, district)[1]

    # The next morning every coordinator gets the summary of their own scope (the higher levels learn
    # of the report there); the evening digest and the late check have nothing for anyone.
    assert run(app, "coordinator-daily-summary", at(1, 7, 30)) == 3
    nights(app, 0, 1)

    # Day 2: the owner records the child back in education, at the community learning centre (no school
    # of the bot's: a school's would put the child on its watch list instead of these follow-ups, see
    # tests/test_watch_return.py); the reporter hears it at once.
    clock.move_to(at(2, 14))
    [card] = [m for m in teacher.taps(f"action=case&case={case_id}") if m["type"] == "flex"]
    teacher.taps(buttons_of(bubbles(card)[0])["กลับเข้าเรียนแล้ว"])
    teacher.says("ศูนย์การเรียนรู้ชุมชนตำบลสำราญ")
    teacher.says("วันนี้")
    deliver_queued(app)
    [news] = pushed(line, reporter)
    assert "กลับเข้าเรียนแล้ว" in news and number in news and "สมชาย" in news and "ใจดี" not in news

    # Stay-in-school checks 7, 30 and 90 days later ask the owner (the first 09:00 after each); each
    # "ยังมาเรียน" is news for the reporter, pushed at once (one a day). On the nights between nothing is due:
    # the case is never late (it left ติดตามพบแล้ว within its 15 days), the digest never has a line.
    nights(app, 2, 3, 9)
    for day, check in ((10, "7 วัน"), (33, "30 วัน"), (93, "90 วัน")):
        nights(app, day)
        question = pushed(line, teacher)[-1]
        assert check in question and "ยังมาเรียนอยู่ไหม" in question
        clock.move_to(at(day, 10))
        teacher.taps(f"action=followup&case={case_id}&answer=yes")
        deliver_queued(app)
        assert "ยังเรียนอยู่" in pushed(line, reporter)[-1]
        nights(app, day + 1, day + 7)
    nights(app, 16, 17, 31, 32, 91, 92, 120, 121, 122)
    with db.transaction() as session:
        assert session.get(Case, case_id).status == "staying"

    # Every push each person received, and nobody else got any.
    got = {who: pushed(line, chat) for who, chat in people.items()}
    assert [len(got[who]) for who in people] == [4, 4, 3, 1, 1], got
    assert ["กลับเข้าเรียนแล้ว" in got["reporter"][0], *("ยังเรียนอยู่" in n for n in got["reporter"][1:])] == [True] * 4
    assert all(number in n and "สมชาย" in n and "ใจดี" not in n for n in got["reporter"])
    assert number in got["owner"][0] and all("ยังมาเรียนอยู่ไหม" in q for q in got["owner"][1:])
    assert "มีการแจ้งพบเด็ก" in got["district"][0] and "สรุป" in got["district"][2]
    assert all("สรุป" in got[who][0] for who in ("province", "national"))  # the morning summary only
    everyone = {chat.user_id for chat in people.values()}
    assert {c.json["to"] for c in line.pushes()} <= everyone and not line.multicasts()
