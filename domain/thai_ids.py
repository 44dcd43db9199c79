"""National ID numbers (เลขประจำตัวประชาชน): reading one typed in any common style, its check digit,
and the groupings printed on ID cards and shown masked."""

from __future__ import annotations

import re

from domain.thai import InvalidInput, non_digits, normalize_digits_only, quote

__all__ = ["format_national_id", "mask_national_id", "national_id_checksum_ok", "parse_national_id"]

_ASCII_DIGITS = re.compile(r"[0-9]+")


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
    bad = non_digits(digits)
    if bad:
        raise InvalidInput(
            f"เลขประจำตัวประชาชนต้องเป็นตัวเลขเท่านั้น แต่พบ {quote(bad)} "
            "กรุณาพิมพ์ใหม่เป็นตัวเลข 13 หลัก"
        )
    if len(digits) != 13:
        raise InvalidInput(
            f"เลขประจำตัวประชาชนต้องมี 13 หลัก แต่พิมพ์มา {len(digits)} หลัก "
            f"({quote(digits)}) กรุณาตรวจสอบอีกครั้ง"
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
