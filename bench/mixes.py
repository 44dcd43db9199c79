"""Event mixes for the webhook benchmark: what a crowd of users sends, one conversation per user.

A Mix says what one user sends, in order (`conversation`), and optionally what the database must
hold first (`prepare`, e.g. registered users for a report flow). The benchmark interleaves many
users' conversations, one event per webhook request as LINE usually sends them. To add a mix,
write its conversation and `register(Mix(...))` below; `python -m bench.webhook --mix NAME` runs it.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from bot.db import Database
from bot.fakeline import FakeLine


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


def text_steps(fake: FakeLine, user: str) -> Iterator[dict]:
    yield fake.text_event(user, "สวัสดี")
    yield fake.text_event(user, "ช่วยเหลือ")
    yield fake.text_event(user, "เกี่ยวกับโครงการ")
    yield fake.text_event(user, "ขอถามหน่อยค่ะ เด็กในหมู่บ้านไม่ได้ไปโรงเรียนมาสองเดือนแล้ว 😢")


def everything_users_do(fake: FakeLine, user: str) -> Iterator[dict]:
    yield fake.follow_event(user)
    yield fake.text_event(user, "สวัสดี")
    yield fake.postback_event(user, "action=menu&value=help")
    yield fake.location_event(user, 16.4419, 102.8360, title="บ้านโนนทัน", address="ต.ในเมือง อ.เมืองขอนแก่น")
    yield fake.sticker_event(user)
    yield fake.text_event(user, "ช่วยเหลือ")
    yield fake.unfollow_event(user)


register(Mix("text", "text steps: greeting, help, about, free text (every event gets a reply)", text_steps))
register(Mix("mixed", "follow, text, postback, location, sticker, unfollow (all but unfollow get a reply)",
             everything_users_do))
