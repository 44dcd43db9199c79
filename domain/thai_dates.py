"""Dates as Thais type and read them: Buddhist-era (พ.ศ.) or Christian-era years, Thai month names
full, abbreviated or spoken, Thai digits; a birth date or an age; the time in Bangkok.

The only I/O is reading the clock in :func:`now_bangkok`.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone

from domain.thai import InvalidInput, quote, to_ascii_digits
from models.base import BANGKOK

__all__ = [
    "BANGKOK",
    "BE_OFFSET",
    "Birth",
    "age_on",
    "be_year",
    "format_thai_date",
    "format_thai_date_digits",
    "format_thai_datetime",
    "now_bangkok",
    "parse_birth",
    "parse_date",
]

BE_OFFSET = 543

# Earlier (CE) years are typing mistakes in this domain (the oldest people we
# record are parents and guardians); the bound also keeps date() from failing
# on year 0 or below when someone types e.g. "0000".
EARLIEST_YEAR = 1900

_MONTHS_FULL = (
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
)
_MONTHS_SHORT = (
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
    "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
)
# Spoken forms without the -คม/-ยน/-พันธ์ ending ("มีนา", "ตุลา") are common
# in chat, as is กรกฏาคม spelt with ฏ instead of ฎ.
_MONTHS_SPOKEN = (
    "มกรา", "กุมภา", "มีนา", "เมษา", "พฤษภา", "มิถุนา",
    "กรกฎา", "สิงหา", "กันยา", "ตุลา", "พฤศจิกา", "ธันวา",
)
_MONTH_LOOKUP = {
    name: number
    for number, names in enumerate(zip(_MONTHS_FULL, _MONTHS_SHORT, _MONTHS_SPOKEN), start=1)
    for name in (names[0], names[1].replace(".", ""), names[2])
} | {"กรกฏาคม": 7, "กรกฏา": 7}

_DATE_EXAMPLE = "เช่น 15/3/2555 หรือ 15 มี.ค. 2555"

# พ.ศ. / ค.ศ. with or without dots and spaces.  No month name contains ศ
# directly after พ or ค, so this cannot eat part of a month.
_ERA = re.compile(r"(พ|ค)\s*\.?\s*ศ\s*\.?")
_NUMERIC_DATE = re.compile(r"(\d+)(?:\s*[/\-.]\s*|\s+)(\d+)(?:\s*[/\-.]\s*|\s+)(\d+)")
_TEXT_DATE = re.compile(r"(\d{1,2})\s*([^\d]+?)\s*(\d+)")

# Polite particles that end many chat messages ("12 ปีค่ะ").
_POLITE_TAIL = re.compile(r"\s*(?:ครับ|คับ|ค่ะ|คะ|จ้ะ|จ้า)+$")
# Answers often repeat the question's words: "เกิดวันที่ 15 มี.ค. 2555".
_DATE_LEAD = re.compile(r"^(?:(?:วัน)?เกิด)?\s*(?:วันที่)?\s*")


def _clean(text: str) -> str:
    text = to_ascii_digits(text).replace("\u200b", "")
    text = _POLITE_TAIL.sub("", text.strip())
    return " ".join(text.split())


def be_year(d: date) -> int:
    """The Buddhist-era (พ.ศ.) year of ``d``."""
    return d.year + BE_OFFSET


def format_thai_date(d: date, *, short_month: bool = True) -> str:
    """``"15 มี.ค. 2555"``, or ``"15 มีนาคม 2555"`` with ``short_month=False``; BE year."""
    months = _MONTHS_SHORT if short_month else _MONTHS_FULL
    return f"{d.day} {months[d.month - 1]} {be_year(d)}"


_TO_THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


def format_thai_date_digits(d: date) -> str:
    """``"๑๘ ก.ค. ๒๕๖๕"``: the short date in Thai digits, as official letters write a due date."""
    return format_thai_date(d).translate(_TO_THAI_DIGITS)


def now_bangkok() -> datetime:
    """The current time as an aware datetime in Asia/Bangkok."""
    return datetime.now(BANGKOK)


def format_thai_datetime(dt: datetime) -> str:
    """``"23 พ.ย. 2569 16:40 น."`` in Bangkok time; a naive ``dt`` is taken to be UTC."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    local = dt.astimezone(BANGKOK)
    return f"{format_thai_date(local.date())} {local:%H:%M} น."


def _ce_year(year_text: str, era: str | None) -> int:
    """Turn the year as typed into a Christian-era year.

    Without an era marker a 2-digit year means BE 25xx (how Thais abbreviate),
    and a 4-digit year is BE from 2400 up, CE below: the two ranges do not
    overlap for any date we can meet.  A typed พ.ศ. or ค.ศ. overrides the guess.
    """
    if len(year_text) not in (2, 4):
        raise InvalidInput(
            f"ปี {quote(year_text)} ต้องมี 2 หรือ 4 หลัก กรุณาพิมพ์วันที่ใหม่ {_DATE_EXAMPLE}"
        )
    year = int(year_text)
    if era == "ค":
        if len(year_text) == 2:
            raise InvalidInput(
                f"กรุณาพิมพ์ปี ค.ศ. ให้ครบ 4 หลัก (ได้รับ {quote(year_text)}) {_DATE_EXAMPLE}"
            )
        return year
    if len(year_text) == 2:
        return 2500 + year - BE_OFFSET
    if era == "พ" or year >= 2400:
        return year - BE_OFFSET
    return year


def _parse_date(text: str, today: date, future: bool = False) -> date | None:
    """The date in already-cleaned ``text``; None if it is not shaped like a date at all.

    A date after ``today`` is refused unless ``future`` is set.
    """
    era_match = _ERA.search(text)
    era = era_match.group(1) if era_match else None
    bare = _DATE_LEAD.sub("", _ERA.sub(" ", text).strip(), count=1)

    if m := _NUMERIC_DATE.fullmatch(bare):
        first, second, third = m.groups()
        if len(first) == 4:  # ISO-style year-month-day
            year_text, month, day = first, int(second), int(third)
        else:
            day, month, year_text = int(first), int(second), third
    elif m := _TEXT_DATE.fullmatch(bare):
        day_text, month_name, year_text = m.groups()
        day = int(day_text)
        month = _MONTH_LOOKUP.get(re.sub(r"[\s./\-]", "", month_name))
        if month is None:
            raise InvalidInput(
                f"ไม่รู้จักชื่อเดือน {quote(month_name)} "
                f"กรุณาใช้ชื่อเดือนภาษาไทยหรือตัวเลข {_DATE_EXAMPLE}"
            )
    else:
        return None

    if not 1 <= month <= 12:
        raise InvalidInput(
            f"ไม่มีเดือนที่ {month} เดือนต้องเป็นเลข 1 ถึง 12 (ได้รับ {quote(text)}) {_DATE_EXAMPLE}"
        )
    year = _ce_year(year_text, era)
    if year < EARLIEST_YEAR:
        raise InvalidInput(
            f"ปี พ.ศ. {year + BE_OFFSET} (จาก {quote(year_text)}) ดูไม่ถูกต้อง "
            f"กรุณาตรวจสอบปีอีกครั้ง {_DATE_EXAMPLE}"
        )
    days_in_month = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days_in_month:
        month_label = f"{_MONTHS_SHORT[month - 1]} {year + BE_OFFSET}"
        raise InvalidInput(
            f"ไม่มีวันที่ {day} {month_label} ในปฏิทิน "
            f"(เดือน {month_label} มี {days_in_month} วัน) กรุณาตรวจสอบวันที่อีกครั้ง"
        )
    result = date(year, month, day)
    if result > today and not future:
        raise InvalidInput(
            f"วันที่ {format_thai_date(result)} ยังมาไม่ถึง "
            f"(วันนี้คือ {format_thai_date(today)}) กรุณาตรวจสอบปี พ.ศ. อีกครั้ง"
        )
    return result


def parse_date(text: str, *, today: date, future: bool = False) -> date:
    """Read a past (or today's) date typed in a common Thai or international style;
    with ``future``, any date (a deadline).

    Day-month-year with / - . or spaces ("15/3/2555", "15.3.55"), Thai month
    names full, abbreviated or spoken ("15 มี.ค. 55", "๑๕ มีนาคม พ.ศ. ๒๕๕๕"),
    or ISO year-month-day ("2012-03-15").  See :func:`_ce_year` for years.
    """
    cleaned = _clean(text)
    result = _parse_date(cleaned, today, future)
    if result is None:
        raise InvalidInput(f"ไม่เข้าใจวันที่ {quote(cleaned)} กรุณาพิมพ์วัน/เดือน/ปี {_DATE_EXAMPLE}")
    return result


# --------------------------------------------------------------------------
# Birth date or age
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Birth:
    """A birth date when one was given, and the age in completed years either way."""

    birth_date: date | None
    age_years: int


_AGE = re.compile(r"(?:อายุ\s*)?(\d{1,3})\s*(?:ปี|ขวบ)?")


def age_on(birth: date, today: date) -> int:
    """Age in whole years on `today`."""
    # Someone born on 29 Feb turns a year older on 1 Mar in common years.
    had_birthday = (today.month, today.day) >= (birth.month, birth.day)
    return today.year - birth.year - (0 if had_birthday else 1)


def parse_birth(text: str, *, today: date, min_age: int = 3, max_age: int = 25) -> Birth:
    """Read either a birth date (as :func:`parse_date`) or an age ("12", "12 ปี", "อายุ 12").

    The age, given or computed, must lie in ``[min_age, max_age]``.
    """
    cleaned = _clean(text)
    if m := _AGE.fullmatch(cleaned):
        birth = Birth(None, int(m.group(1)))
        understood = f"อายุ {birth.age_years} ปี"
    else:
        birth_date = _parse_date(cleaned, today)
        if birth_date is None:
            if re.fullmatch(r"\d{4}", cleaned):
                raise InvalidInput(
                    f"ได้รับแค่ปี {quote(cleaned)} กรุณาพิมพ์วันเกิดให้ครบ {_DATE_EXAMPLE} "
                    "หรือถ้าไม่ทราบวันเกิด ให้พิมพ์อายุ เช่น 12"
                )
            raise InvalidInput(
                f"ไม่เข้าใจ {quote(cleaned)} กรุณาพิมพ์วันเกิด {_DATE_EXAMPLE} "
                "หรือพิมพ์อายุเป็นปี เช่น 12"
            )
        birth = Birth(birth_date, age_on(birth_date, today))
        understood = f"เกิดวันที่ {format_thai_date(birth_date)} อายุ {birth.age_years} ปี"
    if not min_age <= birth.age_years <= max_age:
        raise InvalidInput(
            f"{understood} อยู่นอกช่วงที่รับได้ ({min_age}–{max_age} ปี) กรุณาตรวจสอบอีกครั้ง"
        )
    return birth
