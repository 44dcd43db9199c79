"""Thai text as people type it: the error they are shown, Thai digits, control characters, record
ids from button data, the length LINE measures texts in, and someone's text quoted back to them.

Field staff type on their phones in whatever style the keyboard and habit give them.  The parsers of
this module and of domain.thai_ids, domain.thai_phones, domain.thai_dates and domain.thai_names accept
all of these and return one canonical value, or raise :class:`InvalidInput` whose message is Thai,
ready to send back to the user, and repeats what was understood so the user can see which part to fix.

Pure standard library, like the other domain.thai_* modules.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "InvalidInput",
    "MAX_ID",
    "cut",
    "fit_text",
    "non_digits",
    "normalize_digits_only",
    "parse_id",
    "quote",
    "strip_control",
    "to_ascii_digits",
    "utf16_length",
]


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


def non_digits(text: str) -> str:
    """The distinct characters of ``text`` that are not ASCII digits, in order."""
    return "".join(dict.fromkeys(c for c in text if not "0" <= c <= "9"))


# --------------------------------------------------------------------------
# Length as LINE counts it
# --------------------------------------------------------------------------

def utf16_length(body: str) -> int:
    """The length LINE measures texts in: UTF-16 code units (an emoji counts two)."""
    return len(body.encode("utf-16-le")) // 2


def fit_text(body: str, limit: int) -> str:
    """Cut a text to ``limit`` (line.messages.MAX_TEXT for a LINE text), counting UTF-16 code units as LINE does."""
    if utf16_length(body) <= limit:
        return body
    cut = body.encode("utf-16-le")[: (limit - 1) * 2].decode("utf-16-le", "ignore")
    return cut + "…"


# --------------------------------------------------------------------------
# Cutting and quoting what someone typed
# --------------------------------------------------------------------------

# Characters of someone's text an error message repeats: enough to see which answer it is about.
QUOTED = 30


def cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, ending in "…" when it was longer. The cut never leaves
    a Thai vowel or tone mark without its letter (nor an accent without its Latin one)."""
    if len(text) <= limit:
        return text
    end = limit - 1
    while end > 0 and unicodedata.category(text[end]) == "Mn":
        end -= 1
    return text[:end].rstrip() + "…"


def quote(said: str, limit: int = QUOTED) -> str:
    """``said`` in quotation marks for a message, cut to ``limit`` characters (see cut).

    An answer can be 5,000 characters, LINE's whole limit: quoted in full, it would push the
    question that follows it out of the message.
    """
    return f"“{cut(said, limit)}”"
