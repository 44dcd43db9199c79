""""รายชื่อที่ต้องติดตาม": the children in a reporter's area still to find, ten cards at a time.

Typing "ค้นหา สมชาย", a national ID (or four or more of its digits) or a case number searches every
case the reporter may see; sharing a location sorts pinned homes nearest first. Urgent cases (a
safeguarding reason) come first in all three and say so on their card. The page, the search and the
location travel in the "ถัดไป" button's postback, so nothing is kept between pages. Each page is
audited as a view of every case on it.
"""
from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, replace

from linebot.v3.messaging import LocationAction
from sqlalchemy import ColumnElement, Select, and_, bindparam
from sqlalchemy import case as sql_case
from sqlalchemy import func, or_, select, true
from sqlalchemy.orm import Session, contains_eager, load_only

from chat.dispatcher import Context, Reply
from chat.menus import main_menu, requires
from domain import access
from domain.access import REPORTERS
from domain.thai import quote, to_ascii_digits
from domain.thai_names import parse_title
from handlers.act_on_case import CASE_ACTIONS, age_text, distance_km, masked_id, school_text, viewed
from line.messages import MAX_QUICK_REPLIES, Json, card, flex, postback, text
from models import STATUSES, TO_FIND, Case, User

PAGE_SIZE = 10  # cards per carousel (LINE allows 12)
SEARCH = "ค้นหา"
NEXT = "ถัดไป"
NEAR_ME = "ใกล้ฉันก่อน"
HINT = ("พิมพ์ \"ค้นหา\" ตามด้วยชื่อ เช่น ค้นหา สมชาย หรือพิมพ์เลขประจำตัวประชาชน หรือเลขที่เรื่อง\n"
        "กด \"ใกล้ฉันก่อน\" เพื่อส่งตำแหน่งแล้วเรียงจากบ้านที่ใกล้ที่สุด")
NOTHING_LEFT = "ไม่มีรายชื่อที่ต้องติดตามในพื้นที่ของท่านแล้วค่ะ 🎉"
NO_MATCH = "ไม่พบเด็กที่ตรงกับ {} ในพื้นที่ของท่านค่ะ"
MAX_QUERY = 50
URGENT = "⚠️ ต้องช่วยเหลือเร่งด่วน"
# A case number as people quote it, "2569-000123", or national-ID digits (with dashes or spaces).
_CASE_NUMBER = re.compile(r"(\d{4})-(\d{1,9})")
_ID_DIGITS = re.compile(r"\d[\d\s-]{2,}\d")
# Characters that would break the postback's query string; no name or ID has them.
_UNSAFE = re.compile(r"[&=%+#]")


@dataclass(frozen=True)
class ListQuery:
    """One page of the list: which page, the search ("" for the children still to find), and where
    the reporter is (to sort by distance)."""

    page: int = 1
    q: str = ""
    near: tuple[float, float] | None = None

    def postback(self, page: int) -> str:
        data = f"action=todo&page={page}"
        if self.q:
            data += f"&q={self.q}"
        if self.near:
            data += f"&near={self.near[0]:.5f},{self.near[1]:.5f}"
        return data

    @classmethod
    def from_postback(cls, values: dict[str, str]) -> ListQuery:
        """The page a button names; anything malformed (the data can be forged) is the first page."""
        try:
            page = min(max(1, int(values.get("page", "1"))), 10_000)
            near = tuple(float(x) for x in values["near"].split(",")) if values.get("near") else None
        except ValueError:
            page, near = 1, None
        if near and not (len(near) == 2 and abs(near[0]) <= 90 and abs(near[1]) <= 180):
            near = None  # also NaN and infinity
        return cls(page, clean_query(values.get("q", "")), near)


def clean_query(said: str) -> str:
    return " ".join(_UNSAFE.sub(" ", said).split())[:MAX_QUERY]


def search_terms(q: str) -> tuple[str, dict[str, object]]:
    """What a search looks for, and its values: a case number ("number"), a whole national ID ("id"),
    or words each found in the first or last name ("words", titles such as ด.ช. left out).

    National IDs are encrypted with a deterministic cipher (models/crypto.py): a whole ID can be
    looked up, a few of its digits cannot."""
    ascii_q = to_ascii_digits(q)
    if number := _CASE_NUMBER.fullmatch(ascii_q):
        return "number", {"number": int(number.group(2))}
    if _ID_DIGITS.fullmatch(ascii_q):
        return "id", {"national_id": re.sub(r"\D", "", ascii_q)}
    return "words", {f"word{i}": w for i, w in enumerate(w for w in q.split() if not parse_title(w))}


def search_condition(kind: str, words: int) -> ColumnElement[bool]:
    """The condition of a search_terms() kind, its values left as parameters of the same names."""
    if kind == "number":
        return Case.id == bindparam("number")
    if kind == "id":
        return Case.national_id == bindparam("national_id")
    return and_(true(), *(or_(Case.first_name.contains(bindparam(f"word{i}")),
                              Case.last_name.contains(bindparam(f"word{i}"))) for i in range(words)))


# What a card shows (child_bubble) of a case: only these columns are fetched, so a page decrypts no
# personal field it does not show (the address, the notes, the guardian).
SHOWN = load_only(Case.id, Case.status, Case.title, Case.first_name, Case.last_name, Case.national_id,
                  Case.birth_date, Case.age_years, Case.area_id, Case.grade, Case.previous_school, Case.owner_id,
                  Case.latitude, Case.longitude, Case.urgent, Case.created_at)


@functools.lru_cache(maxsize=1024)
def page_statements(prefixes: tuple[str, ...], search: str | None, words: int, near: bool) -> tuple[Select, Select]:
    """The statements of a page of this shape, for a scope (access.scope_prefixes): the page's rows, with
    their area joined and the count as a subquery that reads no row, and the count alone. Built once:
    building a statement and its cache key cost more CPU than running it. The values (the page's
    offset, a search's terms, where the reporter is) are parameters: those of search_terms(), "offset",
    and "lat", "lng" and "scale" for `near`.

    Both filter on the case's own copy of its area's code (models.Case.area_code, indexed with the
    status), so counting needs no join. Urgent (safeguarding) cases come first, however the rest are
    sorted."""
    where = (access.prefix_filter(prefixes, Case.area_code),
             Case.status.in_(TO_FIND) if search is None else search_condition(search, words))
    if near:
        # Squared distance on a flat map scaled at the reporter's latitude: the order of a great-circle
        # sort, in plain SQL that SQLite and PostgreSQL both run. Homes not pinned come last.
        lat, lng, scale = bindparam("lat"), bindparam("lng"), bindparam("scale")
        distance = (Case.latitude - lat) * (Case.latitude - lat) + \
            (Case.longitude - lng) * scale * (Case.longitude - lng) * scale
        order = (Case.urgent.desc(), Case.latitude.is_(None), distance, Case.id)
    else:
        still_to_find = sql_case(*((Case.status == s, i) for i, s in enumerate(TO_FIND)), else_=len(TO_FIND))
        order = (Case.urgent.desc(), still_to_find, Case.area_code, Case.first_name, Case.id)
    count = select(func.count()).select_from(Case).where(*where)
    page = (select(Case, count.scalar_subquery()).outerjoin(Case.area).where(*where).order_by(*order)
            .options(SHOWN, contains_eager(Case.area)).offset(bindparam("offset")).limit(PAGE_SIZE))
    return page, count


def page_of(session: Session, user: User, query: ListQuery) -> tuple[ListQuery, list[Case], int]:
    """The page's cases and how many match in all, in one statement; a page past the end (a list shorter
    than when its button was made) is the last one, found with one more. A case someone owns loads its
    owner when the card names them."""
    search, values = search_terms(query.q) if query.q else (None, {})
    words = len(values) if search == "words" else 0
    if query.near:
        values |= {"lat": query.near[0], "lng": query.near[1], "scale": math.cos(math.radians(query.near[0]))}
    page, count = page_statements(access.scope_prefixes(user), search, words, bool(query.near))
    rows = session.execute(page, {**values, "offset": (query.page - 1) * PAGE_SIZE}).all()
    if not rows and query.page > 1:
        last = max(1, math.ceil(session.scalar(count, values) / PAGE_SIZE))
        return page_of(session, user, replace(query, page=min(query.page - 1, last)))
    return query, [case for case, _ in rows], rows[0][1] if rows else 0


def child_bubble(case: Case, user: User, near: tuple[float, float] | None) -> Json:
    rows = [*([("เร่งด่วน", URGENT)] if case.urgent else []), ("เลขประจำตัว", masked_id(case)),
            ("อายุ", age_text(case)), ("พื้นที่", case.area.name if case.area else "-")]
    if school := school_text(case):
        rows.append(("โรงเรียนเดิม", school))
    rows.append(("สถานะ", STATUSES[case.status]))
    # The id first: most cases on the list have no owner, and the relationship costs a lookup each.
    if case.owner_id is not None and case.owner is not None:  # so that two people do not visit the same child
        rows.append(("มีผู้รับเรื่องแล้ว", case.owner.real_name or "-"))
    if (km := distance_km(case, near)) is not None:
        rows.append(("ระยะทาง", f"{km:,.1f} กม."))
    checkin = CASE_ACTIONS["checkin"]
    buttons = [(checkin.style, checkin.postback(case.id))] if case.status in checkin.statuses else []
    buttons.append(("secondary", postback("ดูเรื่อง", f"action=case&case={case.id}", "ดูเรื่อง")))
    return card(case.full_name or case.number, rows, buttons, size="kilo")


def list_page(ctx: Context, query: ListQuery) -> Reply:
    query, cases, total = page_of(ctx.session, ctx.user, query)
    viewed(ctx, cases, "search" if query.q else "list")
    if not cases:
        empty = NO_MATCH.format(quote(query.q)) if query.q else NOTHING_LEFT
        return [text(f"{empty}\n\n{HINT}", LocationAction(label=NEAR_ME), *main_menu(ctx.user))]
    pages = math.ceil(total / PAGE_SIZE)
    title = f"ผลการค้นหา {quote(query.q)}" if query.q else "รายชื่อที่ต้องติดตามในพื้นที่ของท่าน"
    order = " เรียงจากใกล้ที่สุด" if query.near else ""
    heading = f"{title}: {total:,} คน (หน้า {query.page}/{pages}){order}"
    more = [postback(NEXT, query.postback(query.page + 1), NEXT)] \
        if query.page < pages else []
    choices = [*more, LocationAction(label=NEAR_ME), *main_menu(ctx.user)][:MAX_QUICK_REPLIES]
    bubbles = [child_bubble(case, ctx.user, query.near) for case in cases]
    return [text(f"{heading}\n{HINT}"), flex(heading, bubbles, *choices)]


# ------------------------------------------------------------------ handlers

def is_search(ctx: Context) -> bool:
    return ctx.text == SEARCH or ctx.text.startswith(SEARCH + " ")


def looks_like_id_or_number(ctx: Context) -> bool:
    """Digits typed outside a conversation by a reporter: a national ID or a case number."""
    said = to_ascii_digits(ctx.text)
    return bool(_CASE_NUMBER.fullmatch(said) or _ID_DIGITS.fullmatch(said)) and \
        access.refusal(ctx.user, REPORTERS) is None


def is_reporter(ctx: Context) -> bool:
    return access.refusal(ctx.user, REPORTERS) is None


@requires(*REPORTERS)
def show_list(ctx: Context) -> Reply:
    """"รายชื่อที่ต้องติดตาม": the first page."""
    return list_page(ctx, ListQuery())


@requires(*REPORTERS)
def show_next_page(ctx: Context) -> Reply:
    """"ถัดไป": the page the button names, of the same list or search."""
    return list_page(ctx, ListQuery.from_postback(ctx.postback))


@requires(*REPORTERS)
def search(ctx: Context) -> Reply:
    """"ค้นหา สมชาย", or digits typed on their own."""
    q = clean_query(ctx.text.removeprefix(SEARCH))
    if not q:
        return [text(HINT, *main_menu(ctx.user))]
    return list_page(ctx, ListQuery(q=q))


def list_nearest(ctx: Context) -> Reply:
    """A location shared outside a conversation: the list, nearest pinned homes first."""
    where = ctx.event.message
    return list_page(ctx, ListQuery(near=(where.latitude, where.longitude)))
