"""Event mixes for the webhook benchmark: what a crowd of users sends, one conversation per user.

A Mix says what one user sends, in order (`conversation`), and optionally what the database must
hold first (`prepare`, e.g. registered users for a report flow). The benchmark interleaves many
users' conversations, one event per webhook request as LINE usually sends them. To add a mix,
write its conversation and `register(Mix(...))` below; `python -m bench.webhook --mix NAME` runs it.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from devtools.fakeline import FakeLine
from devtools.synthetic import SAMPLE_AREAS, generate_list
from domain import people
from domain.menu_labels import MENU_ABOUT, MENU_CHILDREN_TO_FIND, MENU_HELP, MENU_REPORT_CHILD
from domain.official_list.importer import import_rows
from domain.thai_ids import national_id_checksum_ok
from models import User, utcnow
from models.database import Database


@dataclass(frozen=True)
class Mix:
    name: str
    description: str
    # The events one user sends, in order; restarted when it ends.
    conversation: Callable[[FakeLine, str], Iterator[dict]]
    # Called once with the database and every benchmark user id before the load starts.
    prepare: Callable[[Database, list[str]], None] | None = None


MIXES: dict[str, Mix] = {}


def register(mix: Mix) -> Mix:
    MIXES[mix.name] = mix
    return mix


def events(fake: FakeLine, mix: Mix, users: list[str], count: int) -> Iterator[dict]:
    """`count` events: the users take turns, each one step further in their own conversation."""
    talks = {user: mix.conversation(fake, user) for user in users}
    for i in range(count):
        user = users[i % len(users)]
        try:
            yield next(talks[user])
        except StopIteration:
            talks[user] = mix.conversation(fake, user)
            yield next(talks[user])


def write_bodies(fake: FakeLine, mix_name: str, users: list[str], count: int, path: str) -> list[tuple[str, str]]:
    """Write `count` signed webhook requests of a mix to `path`, one "signature<TAB>body" a line as
    bench/webhook.lua reads them; return each event's (webhookEventId, replyToken or "").

    Run where `fake` serves (bench.fakeline_process): LINE accepts only the reply tokens it issued."""
    sent = []
    with open(path, "w", encoding="utf-8") as out:
        for event in events(fake, MIXES[mix_name], users, count):
            body, headers = fake.webhook_request([event])
            out.write(f"{headers['X-Line-Signature']}\t{body.decode('utf-8')}\n")
            sent.append((event["webhookEventId"], event.get("replyToken", "")))
    return sent


def conversation_length(fake: FakeLine, mix_name: str) -> int:
    """How many events one user's conversation of this mix has."""
    return sum(1 for _ in MIXES[mix_name].conversation(fake, "U" + "0" * 32))


def text_steps(fake: FakeLine, user: str) -> Iterator[dict]:
    yield fake.text_event(user, "สวัสดี")
    yield fake.text_event(user, MENU_HELP)
    yield fake.text_event(user, MENU_ABOUT)
    yield fake.text_event(user, "ขอถามหน่อยค่ะ เด็กในหมู่บ้านไม่ได้ไปโรงเรียนมาสองเดือนแล้ว 😢")


def everything_users_do(fake: FakeLine, user: str) -> Iterator[dict]:
    yield fake.follow_event(user)
    yield fake.text_event(user, "สวัสดี")
    yield fake.postback_event(user, "action=menu&value=help")
    yield fake.location_event(user, 16.4419, 102.8360, title="บ้านโนนทัน", address="ต.ในเมือง อ.เมืองขอนแก่น")
    yield fake.sticker_event(user)
    yield fake.text_event(user, MENU_HELP)
    yield fake.unfollow_event(user)


LISTED = 2_000  # children on the list in the checking-in mix


def registered_users(session, users: list[str], area_code: str) -> None:
    """The sample province's areas loaded, and every user a registered reporter for the area `area_code`."""
    people.load_areas(session, [(n, code, name) for n, (code, name) in enumerate(SAMPLE_AREAS.items())])
    area = people.find_area(session, area_code)
    session.add_all(User(line_user_id=user, role="reporter", area_id=area.id, real_name="ผู้ใหญ่บ้าน",
                         phone="0812345678", pdpa_accepted_at=utcnow(), registered_at=utcnow())
                    for user in users)


def listed_children(db: Database, users: list[str], children: int = LISTED) -> None:
    """The sample province's areas, a list of `children` imported, every user a reporter for all of it
    (so that any child may be checked in by any of them)."""
    with db.transaction() as session:
        registered_users(session, users, "40")
        import_rows(session, generate_list(children, seed=1), filename="bench.csv", digest="bench", source="bench")


def checking_in(fake: FakeLine, user: str) -> Iterator[dict]:
    """A village head pages through the list, searches it, and checks a child in as not found."""
    case_id = 1 + sum(map(ord, user)) % LISTED
    yield fake.text_event(user, MENU_CHILDREN_TO_FIND)
    yield fake.postback_event(user, "action=todo&page=2")
    yield fake.text_event(user, "ค้นหา สมชาย")
    yield fake.postback_event(user, f"action=checkin&case={case_id}")
    yield fake.text_event(user, "ไม่พบตัว")
    yield fake.text_event(user, "ข้าม")
    yield fake.text_event(user, "ข้าม")
    yield fake.text_event(user, "ไม่มีรูป")


REPORT_AREA = "400102"  # ต.สำราญ: its few villages are offered as buttons, "ม.1 สำราญ" among them


def reporters(db: Database, users: list[str]) -> None:
    """The sample areas, every user a registered reporter for a subdistrict with a few villages."""
    with db.transaction() as session:
        registered_users(session, users, REPORT_AREA)


_walks = itertools.count(1)


def new_national_id() -> str:
    """A valid 13-digit national ID not used before in this process, so that every walk reports another child."""
    first12 = f"1{next(_walks):011d}"
    return next(first12 + d for d in "0123456789" if national_id_checksum_ok(first12 + d))


def reporting(fake: FakeLine, user: str) -> Iterator[dict]:
    """A village head reports a child found out of school: MENU_REPORT_CHILD, every answer, then "ยืนยัน"."""
    answers = ["ด.ญ. สมศรี มีสุข", new_national_id(), "อายุ 12", "ม.1 สำราญ", "45 หมู่ 1",
               "อยู่บ้าน ไม่ได้เรียน", "บ้านไกล/เดินทางลำบาก", "กลับเข้าโรงเรียน", "ข้าม", "ไม่มีรูป", "ยืนยัน"]
    yield fake.text_event(user, MENU_REPORT_CHILD)
    for answer in answers:
        yield fake.text_event(user, answer)


def reporting_in_one_message(fake: FakeLine, user: str) -> Iterator[dict]:
    """A village head writes the whole report in one message; the bot asks the two gaps (guardian,
    photo), then the card is confirmed."""
    yield fake.text_event(user, f"ด.ญ.สมศรี มีสุข {new_national_id()} อายุ 12 ปี บ้านเลขที่ 45 หมู่ 1 "
                                "อยู่บ้านเฉยๆ บ้านไกล อยากกลับเข้าโรงเรียน")
    for answer in ("ข้าม", "ไม่มีรูป", "ยืนยัน"):
        yield fake.text_event(user, answer)


register(Mix("text", "text steps: greeting, help, about, free text (every event gets a reply)", text_steps))
register(Mix("mixed", "follow, text, postback, location, sticker, unfollow (all but unfollow get a reply)",
             everything_users_do))
register(Mix("checkin", f"village heads: the list of {LISTED:,} children to find, its next page, a search, a check-in",
             checking_in, listed_children))
register(Mix("report", "village heads: the whole guided report of a child found (a new child each time), confirmed",
             reporting, reporters))
register(Mix("one_message", "village heads: a report written in one message, the gaps answered, confirmed",
             reporting_in_one_message, reporters))
