"""Classes and screening groups as teachers type them: "ป.๕/๑" or "ป5/1" is the class "ป.5/1", "กลุ่มเสี่ยง"
or "เสี่ยง" the group "at_risk" (models.GROUPS). Each parser returns the canonical value or raises
InvalidInput in Thai.

The chat's part only; the class-list reader's fuller module (more spellings, rooms in their own column)
takes this one's place with the same two functions.
"""
from __future__ import annotations

import re

from domain.thai import InvalidInput, quote, to_ascii_digits
from models import GROUPS

__all__ = ["parse_class", "parse_group"]

_EXAMPLE = "เช่น ป.5/1 หรือ ม.2/3"
# Each level's abbreviation and its last year: อนุบาล, ประถมศึกษา, มัธยมศึกษา.
_LAST_YEAR = {"อ": 3, "ป": 6, "ม": 6}
_CLASS = re.compile(r"(?:ชั้น)?\s*([อปม])\s*\.?\s*([0-9]{1,2})\s*(?:(?:/|ห้อง)\s*([0-9]{1,2}))?")


def parse_class(text: str) -> str:
    """A class as "ป.5" or "ป.5/1" (level, year, optional room)."""
    said = " ".join(to_ascii_digits(text).split())
    m = _CLASS.fullmatch(said)
    if m is None:
        raise InvalidInput(f"ไม่เข้าใจชั้น {quote(text)} กรุณาพิมพ์ชั้นและห้อง {_EXAMPLE}")
    level, year, room = m[1], int(m[2]), m[3] and int(m[3])
    if not 1 <= year <= _LAST_YEAR[level]:
        raise InvalidInput(f"ชั้น {quote(text)} ไม่มี: มีชั้น {level}.1 ถึง {level}.{_LAST_YEAR[level]} {_EXAMPLE}")
    if room == 0:
        raise InvalidInput(f"ห้องใน {quote(text)} ต้องเป็นเลข 1 ขึ้นไป {_EXAMPLE}")
    return f"{level}.{year}" + (f"/{room}" if room else "")


# A group as typed, without "กลุ่ม" and spaces -> its code.
_GROUP_WORDS = {"ปกติ": "normal", "ไม่เสี่ยง": "normal", "เสี่ยง": "at_risk", "มีปัญหา": "problem", "ปัญหา": "problem"}


def parse_group(text: str) -> str:
    """A screening group's code (a key of models.GROUPS) from "กลุ่มเสี่ยง", "เสี่ยง", "ปกติ"..."""
    key = re.sub(r"^กลุ่ม", "", "".join(text.split()))
    if key not in _GROUP_WORDS:
        raise InvalidInput(f"ไม่เข้าใจกลุ่ม {quote(text)} กรุณาเลือก {', '.join(GROUPS.values())}")
    return _GROUP_WORDS[key]
