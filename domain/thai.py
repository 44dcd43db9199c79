"""Parsing and formatting of Thai user input for the chatbot.

Field staff type national ID numbers, birth dates, ages and phone numbers on
their phones, in whatever style the keyboard and habit give them: Thai or Arabic
digits, Buddhist-era (พ.ศ.) or Christian-era years, dashes, spaces, abbreviated
month names.  The ``parse_*`` functions accept all of these and return one
canonical value, or raise :class:`InvalidInput` whose message is Thai, ready to
send back to the user, and repeats what was understood so the user can see
which part to fix.  The ``format_*`` functions turn canonical values back into
the forms Thai readers expect.

Pure standard library; no I/O apart from reading the clock in
:func:`now_bangkok`.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

__all__ = [
    "BANGKOK",
    "Birth",
    "InvalidInput",
    "PersonName",
    "TITLE_SEX",
    "be_year",
    "format_national_id",
    "format_phone",
    "format_thai_date",
    "format_thai_datetime",
    "mask_national_id",
    "national_id_checksum_ok",
    "normalize_digits_only",
    "now_bangkok",
    "parse_birth",
    "parse_date",
    "parse_id",
    "parse_national_id",
    "parse_person_name",
    "parse_phone",
    "parse_title",
    "strip_control",
    "to_ascii_digits",
]

BANGKOK = ZoneInfo("Asia/Bangkok")

BE_OFFSET = 543

# Earlier (CE) years are typing mistakes in this domain (the oldest people we
# record are parents and guardians); the bound also keeps date() from failing
# on year 0 or below when someone types e.g. "0000".
EARLIEST_YEAR = 1900


class InvalidInput(ValueError):
    """User input that cannot be accepted; ``message`` is Thai, shown as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --------------------------------------------------------------------------
# Control characters
# --------------------------------------------------------------------------

# C0 (NUL included) and C1 control characters and DEL. No keyboard types them, but a pasted or
# crafted message may carry them: PostgreSQL refuses NUL in text, openpyxl refuses C0 in a cell,
# and they garble logs and terminals. Tab, newline and carriage return are left to the callers'
# whitespace handling.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def strip_control(text: str) -> str:
    """``text`` without control characters (see _CONTROL)."""
    return _CONTROL.sub("", text)


# --------------------------------------------------------------------------
# Digits
# --------------------------------------------------------------------------

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")

# Besides the ASCII hyphen, phone keyboards and copy-paste produce Unicode
# dashes, and Thai text often carries zero-width spaces (U+200B) as invisible
# word breaks, which \s does not match.
_SEPARATORS = re.compile(r"[\s\-.\u2010-\u2015\u2212\u200b]+")

_ASCII_DIGITS = re.compile(r"[0-9]+")
_THAI_DIGIT = re.compile("[๐-๙]")


def to_ascii_digits(text: str) -> str:
    """Replace Thai digits ๐-๙ with 0-9; everything else is left unchanged."""
    # translate() looks up every character, which is slow on Thai text; most text has no Thai digit.
    return text.translate(_THAI_DIGITS) if _THAI_DIGIT.search(text) else text


def normalize_digits_only(text: str) -> str:
    """ASCII digits with the spaces, dashes and dots people group numbers by removed."""
    return _SEPARATORS.sub("", to_ascii_digits(text))


# Ids are PostgreSQL integers: a larger one makes the database raise an error instead of finding nothing.
MAX_ID = 2**31 - 1


def parse_id(value: object) -> int | None:
    """A record id from text anyone could have written (a button's data): 1 to MAX_ID in ASCII digits,
    or an int already read; None for anything else, so the caller answers "not found"."""
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


def _non_digits(text: str) -> str:
    """The distinct characters of ``text`` that are not ASCII digits, in order."""
    return "".join(dict.fromkeys(c for c in text if not "0" <= c <= "9"))


# --------------------------------------------------------------------------
# National ID (เลขประจำตัวประชาชน)
# --------------------------------------------------------------------------

def _id_check_digit(first12: str) -> int:
    total = sum(int(d) * (13 - i) for i, d in enumerate(first12))
    return (11 - total % 11) % 10


def national_id_checksum_ok(digits: str) -> bool:
    """True if ``digits`` is 13 ASCII digits whose last digit is the official check digit.

    The check catches most typing errors but not all: the third digit has
    weight 11, so it never affects the sum modulo 11, and a change that moves
    the remainder between 0 and 10 leaves the check digit at 1 either way.
    """
    return (
        len(digits) == 13
        and _ASCII_DIGITS.fullmatch(digits) is not None
        and _id_check_digit(digits[:12]) == int(digits[12])
    )


def parse_national_id(text: str) -> str:
    """Read a 13-digit national ID typed in any common style; return 13 ASCII digits.

    First digit 0 is accepted: the Department of Provincial Administration
    issues 0-prefixed numbers to people without registration status, which
    includes many of the children this service looks for.  First digit 9 is
    never issued to the public, so it is treated as a typing mistake.
    """
    digits = normalize_digits_only(text)
    if not digits:
        raise InvalidInput("กรุณาพิมพ์เลขประจำตัวประชาชน 13 หลัก เช่น 1-2345-67890-12-1")
    bad = _non_digits(digits)
    if bad:
        raise InvalidInput(
            f"เลขประจำตัวประชาชนต้องเป็นตัวเลขเท่านั้น แต่พบ “{bad}” "
            "กรุณาพิมพ์ใหม่เป็นตัวเลข 13 หลัก"
        )
    if len(digits) != 13:
        raise InvalidInput(
            f"เลขประจำตัวประชาชนต้องมี 13 หลัก แต่พิมพ์มา {len(digits)} หลัก "
            f"({digits}) กรุณาตรวจสอบอีกครั้ง"
        )
    if digits[0] == "9":
        raise InvalidInput(
            f"เลข {format_national_id(digits)} ขึ้นต้นด้วย 9 ซึ่งไม่ใช่เลขประจำตัวประชาชนที่ใช้ทั่วไป "
            "กรุณาตรวจสอบหลักแรกอีกครั้ง"
        )
    if not national_id_checksum_ok(digits):
        # The expected check digit is deliberately not revealed: the mistake
        # is usually in an earlier digit, and "fixing" the last one would
        # turn a detectable error into a wrong ID that passes.
        raise InvalidInput(
            f"เลข {format_national_id(digits)} ไม่ถูกต้อง: หลักสุดท้าย ({digits[12]}) "
            "ไม่ตรงกับเลขตรวจสอบของ 12 หลักแรก "
            "กรุณาตรวจสอบทุกหลักกับบัตรหรือทะเบียนบ้านอีกครั้ง"
        )
    return digits


def _canonical_id(digits: str) -> str:
    canonical = normalize_digits_only(digits)
    if len(canonical) != 13 or not canonical.isascii() or not canonical.isdigit():
        raise ValueError(f"not a 13-digit national ID: {digits!r}")
    return canonical


def format_national_id(digits: str) -> str:
    """``"1234567890121"`` -> ``"1-2345-67890-12-1"``, the grouping printed on ID cards."""
    d = _canonical_id(digits)
    return f"{d[0]}-{d[1:5]}-{d[5:10]}-{d[10:12]}-{d[12]}"


def mask_national_id(digits: str) -> str:
    """``"1-XXXX-XXXXX-XX-1"``: enough to tell records apart without exposing the ID."""
    d = _canonical_id(digits)
    return f"{d[0]}-XXXX-XXXXX-XX-{d[12]}"


# --------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------

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
            f"ปี “{year_text}” ต้องมี 2 หรือ 4 หลัก กรุณาพิมพ์วันที่ใหม่ {_DATE_EXAMPLE}"
        )
    year = int(year_text)
    if era == "ค":
        if len(year_text) == 2:
            raise InvalidInput(
                f"กรุณาพิมพ์ปี ค.ศ. ให้ครบ 4 หลัก (ได้รับ “{year_text}”) {_DATE_EXAMPLE}"
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
                f"ไม่รู้จักชื่อเดือน “{month_name}” "
                f"กรุณาใช้ชื่อเดือนภาษาไทยหรือตัวเลข {_DATE_EXAMPLE}"
            )
    else:
        return None

    if not 1 <= month <= 12:
        raise InvalidInput(
            f"ไม่มีเดือนที่ {month} เดือนต้องเป็นเลข 1 ถึง 12 (ได้รับ “{text}”) {_DATE_EXAMPLE}"
        )
    year = _ce_year(year_text, era)
    if year < EARLIEST_YEAR:
        raise InvalidInput(
            f"ปี พ.ศ. {year + BE_OFFSET} (จาก “{year_text}”) ดูไม่ถูกต้อง "
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
        raise InvalidInput(f"ไม่เข้าใจวันที่ “{cleaned}” กรุณาพิมพ์วัน/เดือน/ปี {_DATE_EXAMPLE}")
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
                    f"ได้รับแค่ปี “{cleaned}” กรุณาพิมพ์วันเกิดให้ครบ {_DATE_EXAMPLE} "
                    "หรือถ้าไม่ทราบวันเกิด ให้พิมพ์อายุ เช่น 12"
                )
            raise InvalidInput(
                f"ไม่เข้าใจ “{cleaned}” กรุณาพิมพ์วันเกิด {_DATE_EXAMPLE} "
                "หรือพิมพ์อายุเป็นปี เช่น 12"
            )
        birth = Birth(birth_date, age_on(birth_date, today))
        understood = f"เกิดวันที่ {format_thai_date(birth_date)} อายุ {birth.age_years} ปี"
    if not min_age <= birth.age_years <= max_age:
        raise InvalidInput(
            f"{understood} อยู่นอกช่วงที่รับได้ ({min_age}–{max_age} ปี) กรุณาตรวจสอบอีกครั้ง"
        )
    return birth


# --------------------------------------------------------------------------
# Phone numbers
# --------------------------------------------------------------------------

_PHONE_SEPARATORS = re.compile(r"[\s\-.()\u2010-\u2015\u2212\u200b]+")
_MOBILE = re.compile(r"0[689][0-9]{8}")
_LANDLINE = re.compile(r"0[2-7][0-9]{7}")
_PHONE_EXAMPLE = "เช่น 081-234-5678"


def parse_phone(text: str, *, mobile_only: bool = True) -> str:
    """Read a Thai phone number; return its 10 (mobile) or 9 (landline) ASCII digits.

    Landlines (02-7 prefixes, 9 digits) are accepted only with
    ``mobile_only=False``.  An international "+66" prefix is turned into the
    domestic leading 0, also when the user kept that 0 ("+66 081…").
    """
    number = _PHONE_SEPARATORS.sub("", to_ascii_digits(text))
    kind = "เบอร์มือถือ" if mobile_only else "เบอร์โทรศัพท์"
    if not number:
        raise InvalidInput(f"กรุณาพิมพ์{kind} {_PHONE_EXAMPLE}")
    if number.startswith("+66"):
        number = "0" + number[3:].removeprefix("0")
    elif number.startswith("+"):
        raise InvalidInput(f"รับเฉพาะเบอร์โทรศัพท์ในประเทศไทย (ได้รับ “{number}”) {_PHONE_EXAMPLE}")
    bad = _non_digits(number)
    if bad:
        raise InvalidInput(f"{kind}ต้องเป็นตัวเลขเท่านั้น แต่พบ “{bad}” {_PHONE_EXAMPLE}")

    if _MOBILE.fullmatch(number):
        return number
    if _LANDLINE.fullmatch(number):
        if mobile_only:
            raise InvalidInput(
                f"{format_phone(number)} เป็นเบอร์โทรศัพท์บ้าน "
                f"กรุณาพิมพ์เบอร์มือถือ 10 หลัก {_PHONE_EXAMPLE}"
            )
        return number
    if not number.startswith("0"):
        raise InvalidInput(f"{kind}ต้องขึ้นต้นด้วย 0 (ได้รับ “{number}”) {_PHONE_EXAMPLE}")
    # Guess from the second digit what the user was trying to type, so the
    # message names the rule they actually broke.
    second = number[1:2]
    if second and second in "689":
        raise InvalidInput(
            f"เบอร์มือถือต้องมี 10 หลัก แต่พิมพ์มา {len(number)} หลัก (“{number}”) {_PHONE_EXAMPLE}"
        )
    if not mobile_only and second and second in "234567":
        raise InvalidInput(
            f"เบอร์โทรศัพท์บ้านต้องมี 9 หลัก แต่พิมพ์มา {len(number)} หลัก (“{number}”) "
            "เช่น 02-123-4567"
        )
    if mobile_only:
        raise InvalidInput(
            f"เบอร์มือถือต้องมี 10 หลัก ขึ้นต้นด้วย 06, 08 หรือ 09 (ได้รับ “{number}”) {_PHONE_EXAMPLE}"
        )
    raise InvalidInput(
        "ไม่ใช่เบอร์โทรศัพท์ไทย: เบอร์มือถือมี 10 หลักขึ้นต้นด้วย 06, 08 หรือ 09 "
        f"ส่วนเบอร์บ้านมี 9 หลักขึ้นต้นด้วย 02 ถึง 07 (ได้รับ “{number}”)"
    )

def format_phone(digits: str) -> str:
    """``"081-234-5678"`` for mobiles, ``"02-123-4567"`` for Bangkok, ``"053-123-456"`` elsewhere."""
    d = normalize_digits_only(digits)
    if _MOBILE.fullmatch(d):
        return f"{d[:3]}-{d[3:6]}-{d[6:]}"
    if _LANDLINE.fullmatch(d):
        # Bangkok's area code is one digit after the 0; provincial ones are two.
        if d[1] == "2":
            return f"{d[:2]}-{d[2:5]}-{d[5:]}"
        return f"{d[:3]}-{d[3:6]}-{d[6:]}"
    raise ValueError(f"not a Thai phone number: {digits!r}")


# --------------------------------------------------------------------------
# Names (คำนำหน้า ชื่อ นามสกุล)
# --------------------------------------------------------------------------

# The titles a child or young person has, and the sex each one says.
TITLE_SEX = {"เด็กชาย": "male", "เด็กหญิง": "female", "นาย": "male", "นางสาว": "female", "นาง": "female"}

# How people type them. นางสาว comes before นาง so it is not read as นาง + สาว. Abbreviations
# without dots need a space (or the end) after them ("ดช สมชาย"): glued to a name they could be
# its first letters.
_TITLE_FORMS = (
    (r"เด็กชาย|ด\s*\.\s*ช\s*\.?|ดช(?=\s|$)", "เด็กชาย"),
    (r"เด็กหญิง|ด\s*\.\s*ญ\s*\.?|ดญ(?=\s|$)", "เด็กหญิง"),
    (r"นางสาว|น\s*\.\s*ส\s*\.?|นส(?=\s|$)", "นางสาว"),
    (r"นาย", "นาย"),
    (r"นาง", "นาง"),
)
_TITLE = re.compile("|".join(f"(?P<t{i}>{form})" for i, (form, _) in enumerate(_TITLE_FORMS)))
_ANY_DIGIT = re.compile(r"[0-9๐-๙]")
_NAME_EXAMPLE = "เช่น ด.ช. สมชาย ใจดี"


@dataclass(frozen=True)
class PersonName:
    title: str | None  # one of TITLE_SEX, or None when none was typed
    first_name: str
    last_name: str


def _title_match(text: str) -> tuple[str | None, int]:
    """The canonical title at the start of ``text`` and where it ends; (None, 0) without one."""
    m = _TITLE.match(text)
    if m is None:
        return None, 0
    index = int(m.lastgroup[1:])
    return _TITLE_FORMS[index][1], m.end()


def parse_title(text: str) -> str | None:
    """A title typed on its own ("ด.ช.", "นางสาว") as its full form; None if ``text`` is not one."""
    cleaned = " ".join(text.replace("\u200b", "").split())
    title, end = _title_match(cleaned)
    return title if title and end == len(cleaned) else None


def parse_person_name(text: str) -> PersonName:
    """Read "ด.ช. สมชาย ใจดี", "เด็กชายสมชาย ใจดี" or "สมชาย ใจดี": an optional title, a first
    name and a surname (everything after the first name; "-" when it is not known)."""
    cleaned = " ".join(text.replace("\u200b", "").split())
    title, end = _title_match(cleaned)
    rest = cleaned[end:].strip()
    if _ANY_DIGIT.search(rest):
        raise InvalidInput(f"ชื่อและนามสกุลไม่ควรมีตัวเลข (ได้รับ “{rest}”) กรุณาพิมพ์ใหม่ {_NAME_EXAMPLE}")
    parts = rest.split()
    if len(parts) < 2:
        raise InvalidInput(
            f"กรุณาพิมพ์ทั้งชื่อและนามสกุล (ได้รับ “{rest or cleaned}”) {_NAME_EXAMPLE} "
            "ถ้าไม่ทราบนามสกุล ให้พิมพ์ - แทน เช่น สมชาย -"
        )
    first, last = parts[0], " ".join(parts[1:])
    if len(first) > 100 or len(last) > 100:
        raise InvalidInput("ชื่อหรือนามสกุลยาวเกินไป กรุณาตรวจสอบอีกครั้ง")
    return PersonName(title, first, last)


def utf16_length(body: str) -> int:
    """The length LINE measures texts in: UTF-16 code units (an emoji counts two)."""
    return len(body.encode("utf-16-le")) // 2


def fit_text(body: str, limit: int) -> str:
    """Cut a text to ``limit`` (line.messages.MAX_TEXT for a LINE text), counting UTF-16 code units as LINE does."""
    if utf16_length(body) <= limit:
        return body
    cut = body.encode("utf-16-le")[: (limit - 1) * 2].decode("utf-16-le", "ignore")
    return cut + "…"
