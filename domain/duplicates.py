"""Is the child being reported already on file? The matches a report looks for while it is being typed:
the same national ID; without an ID case, the same name, birth date and area (exactly, once spelling
is normalised); and, without an ID, a name that sounds the same (Thai soundex) in the same village at
about the same age.

Only cases the reporter may see are ever returned. A child whose case is another area's stays unknown
to the reporter: the report goes on, and when it is saved it reaches that case's coordinators
(models.open_case raises CaseElsewhere; docs/security.md).
"""
from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

from pythainlp.soundex import soundex
from pythainlp.util import normalize
from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from domain.access import in_scope, visible_area_filter
from domain.thai_dates import BANGKOK, age_on
from models import Area, Case, User

# Each engine hears what the other misses: lk82 drops the silent ร (สมศรี ~ สมสี, ศรีสุข ~ สีสุก),
# udom83 the vowel length (สมชาย ~ สมชัย). A name sounds the same when either engine says so.
SOUNDEX_ENGINES = ("lk82", "udom83")
# Ages a year apart are the same child: an age typed is a guess, and a birthday may fall in between.
AGE_BAND = 1
# The surname typed when it is not known (domain.thai_names): any surname may be the real one.
UNKNOWN_SURNAME = "-"
# Soundex is not in SQL, so a village's cases are compared in Python: at most this many, far more
# children than any village reports.
MAX_COMPARED = 2000
# What a report tells of the child's family and situation rather than who the child is, in the groups
# that go together (a pin is both coordinates, a note belongs to its option): what a later report adds.
NEWS_FIELDS = (("guardian_name",), ("guardian_phone",), ("address",), ("latitude", "longitude"),
               ("situation", "situation_note"), ("reason", "reason_note"), ("wants", "wants_note"))


def normal_name(name: str) -> str:
    """A name as it is compared: Unicode NFC, PyThaiNLP's normalize (doubled or misordered vowels and
    tone marks), no zero-width spaces, single spaces, Latin letters case-folded."""
    name = unicodedata.normalize("NFC", name or "").replace("\u200b", "")
    return " ".join(normalize(name).split()).casefold()


def sounds_alike(one: str, other: str) -> bool:
    one, other = normal_name(one).replace(" ", ""), normal_name(other).replace(" ", "")
    if not one or not other:
        return False
    return one == other or any(soundex(one, engine=engine) == soundex(other, engine=engine)
                               for engine in SOUNDEX_ENGINES)


# Built once: a report asks at every answer after the ID.
_CASE_ID_HOLDING = select(Case.id).where(Case.national_id == bindparam("national_id"))


def case_with_id(session: Session, national_id: str) -> Case | None:
    """The case holding this national ID, wherever it is (the caller decides what the user may learn)."""
    # The id first: a new child's ID is nobody's, so the whole row (every sealed field decrypted) is read
    # only when there is one.
    case_id = session.scalar(_CASE_ID_HOLDING, {"national_id": national_id})
    return None if case_id is None else session.get(Case, case_id)


def case_of_child(session: Session, user: User, first: str, last: str, born: date, area_id: int, *,
                  has_id: bool) -> Case | None:
    """The case in the user's scope of the child with this name (after normal_name), birth date and area:
    the child models.find_duplicate would find, spelt a little differently. With `has_id` (the report
    gives a national ID that no case has), only a case without an ID: two IDs tell two children apart."""
    query = select(Case).where(Case.area_id == area_id, Case.birth_date == born).order_by(Case.id)
    if has_id:
        query = query.where(Case.national_id.is_(None))
    wanted = (normal_name(first), normal_name(last))
    for case in session.scalars(query):
        if (normal_name(case.first_name), normal_name(case.last_name)) == wanted and in_scope(user, case.area):
            return case
    return None


def case_sounding_alike(session: Session, user: User, first: str, last: str, age: int, area: Area, *,
                        today: date) -> Case | None:
    """A case in the user's scope, in `area` or under it (the village; the subdistrict when the village
    is not known), of a child whose first name and surname sound like these (an unknown surname
    matches any) and whose age is within AGE_BAND years of `age`; the oldest such case."""
    # Born in the years the band allows (the exact age is checked below), or of an age given instead.
    born_about = Case.birth_date.between(date(today.year - age - AGE_BAND - 1, 1, 1),
                                         date(today.year - age + AGE_BAND, 12, 31))
    rows = session.execute(
        select(Case.id, Case.first_name, Case.last_name, Case.birth_date, Case.age_years, Case.created_at)
        .join(Area, Case.area_id == Area.id)
        .where(Area.code.startswith(area.code), visible_area_filter(user), Case.forgotten_at.is_(None),
               or_(born_about, Case.birth_date.is_(None) & Case.age_years.is_not(None)))
        .order_by(Case.id).limit(MAX_COMPARED))
    for row in rows:
        their_age = case_age(row.birth_date, row.age_years, row.created_at.astimezone(BANGKOK).date(), today)
        if their_age is None or abs(their_age - age) > AGE_BAND or not sounds_alike(row.first_name, first):
            continue
        if UNKNOWN_SURNAME in (last.strip(), row.last_name.strip()) or sounds_alike(row.last_name, last):
            return session.get(Case, row.id)
    return None


def case_age(born: date | None, age_years: int | None, given_on: date, today: date) -> int | None:
    """A case's child's age today: from the birth date, or the age given when the case was opened plus the
    years since; None when neither is known."""
    if born is not None:
        return age_on(born, today)
    return None if age_years is None else age_years + age_on(given_on, today)


def news_of(case: Case | None, details: dict[str, Any]) -> dict[str, Any]:
    """What a report (`details`: Case columns, and the wish's note) says of the family and the situation
    that `case` does not show: each group of NEWS_FIELDS in which it gives a value the case has not.
    Without a case, everything it says of them."""
    news: dict[str, Any] = {}
    for group in NEWS_FIELDS:
        given = {name: details.get(name) for name in group if details.get(name) not in (None, "")}
        if any(value != getattr(case, name, None) for name, value in given.items()):
            news.update(given)
    return news
