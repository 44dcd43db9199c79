"""Classes and screening groups as schools write them: "ประถมศึกษาปีที่ ๕ ห้อง ๑", "P5/1" or "ป.5/1" is
one class, written "ป.5/1"; "กลุ่มเสี่ยง", "เสี่ยง" or "2" is one screening group of the student care
system (models.GROUPS). Each parser returns the canonical value or raises InvalidInput in Thai.

Pure: no database, used by the class-list reader and by the chat alike.
"""
from __future__ import annotations

import re

from domain.thai import InvalidInput, quote, strip_control, to_ascii_digits
from models import GROUPS

__all__ = ["LEVELS", "MAX_ROOM", "add_room", "class_sort_key", "parse_class", "parse_group"]

# The levels a school on this list teaches, in order: abbreviation -> (name, last year). Vocational
# colleges (ปวช./ปวส.) report to another office and are not on the watch list.
LEVELS = {"อ": ("อนุบาล", 3), "ป": ("ประถมศึกษา", 6), "ม": ("มัธยมศึกษา", 6)}
MAX_ROOM = 99
# Longer text is no class name, and bounding it keeps int() away from huge digit strings.
_MAX_TYPED = 60

_EXAMPLE = "เช่น ป.5/1 หรือ ม.2/3"
_SPACES = re.compile(r"[\s\u200b\ufeff]+")

# Each level as Thai and English speakers write it; the longer words first, so that "m" does not take
# the start of "mathayom". A year follows, then an optional room after "/" or "ห้อง".
_LEVEL_SPELLINGS = {
    "อ": r"อนุบาล(?:ศึกษา)?(?:\s*ปี(?:ที่)?)?|kindergarten|kg\s*\.?|k\s*\.?|อ\s*\.?",
    "ป": r"ประถม(?:ศึกษา)?(?:\s*ปี(?:ที่)?)?|prathom(?:suksa)?|pratom|p\s*\.?|ป\s*\.?",
    "ม": r"มัธยม(?:ศึกษา)?(?:\s*ปี(?:ที่)?)?|mat{1,2}h?ayom(?:suksa)?|m\s*\.?|ม\s*\.?",
}
_LEVEL_GROUPS = dict(zip(LEVELS, ("k", "p", "m")))
_ROOM_MARK = r"(?:/\s*(?:ห้อง(?:ที่)?)?|ห้อง(?:ที่)?|room)"
_CLASS = re.compile(
    r"(?:ชั้น|ระดับชั้น|class)?\s*"
    r"(?:(?P<grade>grade|gr\s*\.?)|" + "|".join(f"(?P<{_LEVEL_GROUPS[a]}>{p})" for a, p in _LEVEL_SPELLINGS.items())
    + r")\s*(?P<year>[0-9]+)"
    rf"(?:\s*{_ROOM_MARK}\s*(?P<room>[0-9]+))?"
)
_ROOM = re.compile(rf"{_ROOM_MARK}?\s*([0-9]+)")
# Refused with their own reason, so that the school knows what to write instead.
_VOCATIONAL = re.compile(r"ปว[ชสท]|อาชีว|vocational")
_STAGE_ONLY = re.compile(r"(?:ชั้น)?\s*(?:ม|ป|มัธยม|ประถม)(?:ศึกษา)?\s*\.?\s*(?:ตอน)?(?:ต้น|ปลาย)")
_NO_LEVEL = re.compile(r"[0-9]+(?:\s*/\s*[0-9]+)?")
_CANONICAL = re.compile(r"(อ|ป|ม)\.([0-9])(?:/([0-9]{1,2}))?")


def _clean(text: str) -> str:
    return _SPACES.sub(" ", strip_control(to_ascii_digits(text))).strip().casefold()


def parse_class(text: str) -> str:
    """A class as "ป.5" or "ป.5/1" (level, year, optional room), from whatever a teacher wrote."""
    said = _clean(text)
    if not said:
        raise InvalidInput(f"กรุณาระบุชั้น {_EXAMPLE}")
    m = _CLASS.fullmatch(said) if len(said) <= _MAX_TYPED else None
    if m is None:
        raise InvalidInput(_not_understood(text, said))
    year = int(m["year"])
    if m["grade"]:
        # Grades 1-12 count on from ป.1: grade 7 is ม.1.
        if not 1 <= year <= 12:
            raise InvalidInput(f"ชั้น {quote(text)} ไม่มี: Grade มีตั้งแต่ 1 ถึง 12 (ป.1 ถึง ม.6)")
        level, year = ("ป", year) if year <= 6 else ("ม", year - 6)
    else:
        level = next(a for a, group in _LEVEL_GROUPS.items() if m[group])
        name, last = LEVELS[level]
        if not 1 <= year <= last:
            raise InvalidInput(f"ชั้น {quote(text)} ไม่มี: {name}มีชั้น {level}.1 ถึง {level}.{last}")
    room = _room(m["room"], text) if m["room"] else None
    return f"{level}.{year}" + (f"/{room}" if room else "")


def add_room(class_name: str, room: str) -> str:
    """A class (as parse_class writes it) with the room of a file that keeps rooms in a column of their
    own: "ป.5" and "1" -> "ป.5/1".  The room cell may also hold the whole class ("ป.5/1"); it must then
    agree with the class, as must a room the class already has."""
    level_year, _, written = class_name.partition("/")
    if m := _ROOM.fullmatch(_clean(room)):
        number = _room(m[1], room)
    else:
        try:
            whole_year, _, whole_room = parse_class(room).partition("/")
        except InvalidInput:
            whole_year = whole_room = ""
        if whole_year != level_year or not whole_room:
            raise InvalidInput(f"ไม่เข้าใจห้อง {quote(room)} ของชั้น {class_name} กรุณาเขียนห้องเป็นเลข เช่น 1")
        number = int(whole_room)
    if written and int(written) != number:
        raise InvalidInput(f"ห้อง {quote(room)} ไม่ตรงกับชั้น {class_name}")
    return f"{level_year}/{number}"


def _room(digits: str, text: str) -> int:
    number = int(digits)
    if not 1 <= number <= MAX_ROOM:
        raise InvalidInput(f"ห้องใน {quote(text)} ต้องเป็นเลข 1 ถึง {MAX_ROOM} {_EXAMPLE}")
    return number


def _not_understood(text: str, said: str) -> str:
    if _VOCATIONAL.search(said):
        return (f"ชั้น {quote(text)} เป็นระดับอาชีวศึกษา ซึ่งไม่อยู่ในรายชื่อเฝ้าระวังนี้ "
                "(รับอนุบาล ประถมศึกษา และมัธยมศึกษา)")
    if _STAGE_ONLY.fullmatch(said):
        return f"{quote(text)} บอกไม่ได้ว่าเป็นชั้นปีใด กรุณาระบุชั้นปีและห้อง {_EXAMPLE}"
    if _NO_LEVEL.fullmatch(said):
        return f"ชั้น {quote(text)} ไม่ได้บอกระดับ กรุณาเขียน ป. หรือ ม. นำหน้า {_EXAMPLE}"
    return (f"ไม่เข้าใจชั้น {quote(text)} กรุณาเขียนชั้นและห้อง {_EXAMPLE} "
            "(อนุบาล อ.1–อ.3 ประถม ป.1–ป.6 มัธยม ม.1–ม.6)")


def class_sort_key(name: str) -> tuple[int, int, int, str]:
    """Orders classes อ before ป before ม, then by year, then by room (a class without a room first);
    a name that is not canonical goes last."""
    m = _CANONICAL.fullmatch(name)
    if m is None:
        return len(LEVELS), 0, 0, name
    return list(LEVELS).index(m[1]), int(m[2]), int(m[3] or 0), name


# Screening results as schools write them (after _group_key) -> models.GROUPS code. The numbers are
# the groups' order in the student care system's forms.
_GROUP_WORDS = {
    "normal": ("ปกติ", "ไม่เสี่ยง", "ไม่มีปัญหา", "normal", "1"),
    "at_risk": ("เสี่ยง", "atrisk", "risk", "2"),
    "problem": ("มีปัญหา", "ปัญหา", "ช่วยเหลือ", "ต้องช่วยเหลือ", "ต้องได้รับการช่วยเหลือ", "problem", "3"),
}
_GROUP_NOISE = re.compile(r"[\s\u200b\ufeff.\-_()]+")
_GROUP_PREFIX = re.compile(r"^(?:กลุ่ม(?:ที่)?|group)")


def _group_key(text: str) -> str:
    return _GROUP_PREFIX.sub("", _GROUP_NOISE.sub("", strip_control(to_ascii_digits(text)).casefold()))


_GROUP_BY_KEY = {_group_key(word): code for code, words in _GROUP_WORDS.items() for word in words}
*_FIRST_GROUPS, _LAST_GROUP = GROUPS.values()
_GROUP_CHOICES = f"{', '.join(_FIRST_GROUPS)} หรือ {_LAST_GROUP}"


def parse_group(text: str) -> str:
    """A screening group's code (a key of models.GROUPS) from "กลุ่มเสี่ยง", "เสี่ยง", "at risk", "2"..."""
    key = _group_key(text)
    if not key:
        raise InvalidInput(f"กรุณาระบุกลุ่มจากการคัดกรอง: {_GROUP_CHOICES}")
    code = _GROUP_BY_KEY.get(key)
    if code is None:
        raise InvalidInput(f"ไม่เข้าใจกลุ่ม {quote(text)} กรุณาใช้ {_GROUP_CHOICES} (หรือเลข 1, 2, 3 ตามลำดับ)")
    return code
