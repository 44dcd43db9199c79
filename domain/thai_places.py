"""Village names as the DOPA area list writes them ("บ้านหนองไผ่ หมู่ที่ 3") and as people type them
("ม.3", "หมู่ ๓", "หนองไผ่", "บ้านหนองไผ่"): a short label for a button, which villages a typed
answer names, and whether an address names a place at all.

Pure standard library, like the other domain.thai_* modules.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from domain.thai import cut, to_ascii_digits

__all__ = ["VillageName", "mentions_a_place", "village_label", "village_name", "villages_named"]

# "หมู่ที่ 3", "หมู่ 3", "ม.3", "ม. 3", "ม 3": how a village's number (หมู่) is written.
_MOO = r"(?:หมู่\s*(?:ที่)?|ม\s*\.?)\s*(\d{1,3})"
_MOO_AT_END = re.compile(rf"\s*{_MOO}\s*$")
_TYPED_MOO = re.compile(_MOO)
# Most village names start with บ้าน ("village"); people leave it out.
_VILLAGE_WORD = "บ้าน"
# A house number, "12" or "12/3", on its own (not a piece of a phone number or an ID).
_HOUSE_NUMBER = re.compile(r"(?<!\d)\d{1,4}(?:/\d{1,4})?(?!\d)")
# Shorter names would be found by chance inside other words.
_SHORTEST_PLACE = 2


@dataclass(frozen=True)
class VillageName:
    name: str  # "หนองไผ่": without บ้าน and the หมู่
    moo: int | None  # 3, or None when the name has no หมู่


def _words(text: str) -> str:
    return " ".join(to_ascii_digits(text).split())


def _bare(name: str) -> str:
    """The name without a leading บ้าน (unless that is all of it)."""
    rest = name.removeprefix(_VILLAGE_WORD).strip()
    return rest or name


def village_name(full: str) -> VillageName:
    """"บ้านหนองไผ่ หมู่ที่ 3" as ("หนองไผ่", 3)."""
    text = _words(full)
    moo = _MOO_AT_END.search(text)
    if moo is None:
        return VillageName(_bare(text), None)
    return VillageName(_bare(text[:moo.start()].strip()), int(moo[1]))


def village_label(full: str, limit: int) -> str:
    """"ม.3 หนองไผ่": the หมู่ first, then the name cut to fit `limit` characters (a button's label).
    The number is never cut: it is what tells villages apart."""
    village = village_name(full)
    if village.moo is None:
        return cut(village.name, limit)
    prefix = f"ม.{village.moo} "
    return prefix + cut(village.name, limit - len(prefix))


def villages_named(said: str, villages: Iterable[Sequence]) -> list:
    """The ids of `villages` ((id, full name) pairs) that a typed answer names: by หมู่ ("ม.3",
    "หมู่ที่ ๓"), by name with or without บ้าน ("หนองไผ่"), or both ("หนองไผ่ หมู่ 3")."""
    text = _words(said)
    moo = _TYPED_MOO.search(text)
    number = int(moo[1]) if moo else None
    name = _bare((text[:moo.start()] + " " + text[moo.end():]).strip() if moo else text)
    if number is None and not name:
        return []
    found = []
    for area_id, full in villages:
        village = village_name(full)
        if (number is None or village.moo == number) and (not name or village.name == name):
            found.append(area_id)
    return found


def mentions_a_place(address: str, places: Iterable[str]) -> bool:
    """Whether a typed address says where the house is: a house number or a หมู่ ("12", "45/1",
    "หมู่ 3"), or the name of one of `places` (the villages of the child's area), with or without บ้าน.
    "อยู่แถวนี้แหละ" does not."""
    text = _words(address)
    if _HOUSE_NUMBER.search(text):
        return True
    names = {village_name(place).name for place in places}
    return any(len(name) >= _SHORTEST_PLACE and name in text for name in names)
