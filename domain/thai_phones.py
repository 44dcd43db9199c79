"""Thai phone numbers: reading a mobile or landline number typed in any common style, and writing it
back grouped as Thais write it."""

from __future__ import annotations

import re

from domain.thai import InvalidInput, non_digits, normalize_digits_only, quote, to_ascii_digits

__all__ = ["format_phone", "parse_phone"]

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
        raise InvalidInput(f"รับเฉพาะเบอร์โทรศัพท์ในประเทศไทย (ได้รับ {quote(number)}) {_PHONE_EXAMPLE}")
    bad = non_digits(number)
    if bad:
        raise InvalidInput(f"{kind}ต้องเป็นตัวเลขเท่านั้น แต่พบ {quote(bad)} {_PHONE_EXAMPLE}")

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
        raise InvalidInput(f"{kind}ต้องขึ้นต้นด้วย 0 (ได้รับ {quote(number)}) {_PHONE_EXAMPLE}")
    # Guess from the second digit what the user was trying to type, so the
    # message names the rule they actually broke.
    second = number[1:2]
    if second and second in "689":
        raise InvalidInput(
            f"เบอร์มือถือต้องมี 10 หลัก แต่พิมพ์มา {len(number)} หลัก ({quote(number)}) {_PHONE_EXAMPLE}"
        )
    if not mobile_only and second and second in "234567":
        raise InvalidInput(
            f"เบอร์โทรศัพท์บ้านต้องมี 9 หลัก แต่พิมพ์มา {len(number)} หลัก ({quote(number)}) "
            "เช่น 02-123-4567"
        )
    if mobile_only:
        raise InvalidInput(
            f"เบอร์มือถือต้องมี 10 หลัก ขึ้นต้นด้วย 06, 08 หรือ 09 (ได้รับ {quote(number)}) {_PHONE_EXAMPLE}"
        )
    raise InvalidInput(
        "ไม่ใช่เบอร์โทรศัพท์ไทย: เบอร์มือถือมี 10 หลักขึ้นต้นด้วย 06, 08 หรือ 09 "
        f"ส่วนเบอร์บ้านมี 9 หลักขึ้นต้นด้วย 02 ถึง 07 (ได้รับ {quote(number)})"
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
