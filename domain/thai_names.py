"""Names as Thais write them: the one table of titles (คำนำหน้า) with the sex each says, and a name
typed as an optional title, a first name and a surname, in Thai or Latin letters.

Everything else that knows titles takes them from :data:`THAI_TITLES`: the chat's title question and
its sex inference (handlers.report_child), the official-list reader's mapping and its title-in-the-name
pattern (domain.official_list.reader), and the synthetic lists (devtools.synthetic).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.thai import InvalidInput, quote

__all__ = [
    "CHILD_TITLE_AGE",
    "THAI_TITLES",
    "TITLE_SEX",
    "PersonName",
    "Title",
    "is_name_word",
    "parse_person_name",
    "parse_title",
    "title_pattern",
    "title_spelling_key",
]

# เด็กชาย and เด็กหญิง are the titles of children under 15 (the Child Title Act, B.E. 2505).
CHILD_TITLE_AGE = 15


@dataclass(frozen=True)
class Title:
    """One title: written out, abbreviated, the sex it says, and whether only children have it.

    Accepted spellings: ``full``; ``abbreviation`` with its dots, spaces around them allowed and the
    last dot optional when there is another (``ด. ช``); and, where :func:`title_pattern` allows it,
    the abbreviation without dots (``ดช``).
    """

    full: str  # "เด็กชาย": how reports store it and the chat offers it
    abbreviation: str  # "ด.ช."; the full form again for a title never abbreviated (นาย, นาง)
    sex: str  # "male" or "female"
    child: bool = False

    @property
    def listed(self) -> str:
        """The form the official-list reader keeps: a child's title abbreviated as the lists print it
        (ด.ช.), an adult's in full (นางสาว)."""
        return self.abbreviation if self.child else self.full

    @property
    def bare(self) -> str:
        """The abbreviation without its dots ("ดช")."""
        return self.abbreviation.replace(".", "")

    def dotted_pattern(self) -> str | None:
        """A regular expression for the abbreviation with its dots; None when it has none."""
        if "." not in self.abbreviation:
            return None
        letters = [re.escape(part) for part in self.abbreviation.split(".") if part]
        dotted = r"\s*\.\s*".join(letters)
        # "ด.ช" without its last dot is still clearly ด.ช.; "ณร" without its only dot could be a name's start.
        return dotted + (r"\s*\.?" if len(letters) > 1 else r"\s*\.")


# The order is the chat's quick replies; a child's and an adult's title for each sex come first
# (devtools.synthetic takes the first that fits: นางสาว, not นาง, for an unmarried young woman).
THAI_TITLES = (
    Title("เด็กชาย", "ด.ช.", "male", child=True),
    Title("เด็กหญิง", "ด.ญ.", "female", child=True),
    Title("นาย", "นาย", "male"),
    Title("นางสาว", "น.ส.", "female"),
    Title("นาง", "นาง", "female"),
    Title("สามเณร", "ณร.", "male"),
)

# Each title by its full form: the sex it says.
TITLE_SEX = {title.full: title.sex for title in THAI_TITLES}

_KEY_NOISE = re.compile(r"[\s.\u200b]+")


def title_spelling_key(text: str) -> str:
    """A spelling of a title without its dots and spaces: "ด. ช." and "ดช" have the same key."""
    return _KEY_NOISE.sub("", text)


_BY_KEY = {title_spelling_key(spelling): title for title in THAI_TITLES for spelling in (title.full, title.bare)}


def title_pattern(*, bare: bool) -> str:
    """A regular expression for any title at the start of a text, as written (no group of its own).

    With ``bare``, an abbreviation without dots is taken too, but only before a space or the end
    ("ดช สมชาย"): glued to a name, those letters could be its first ones ("ดชา").
    """
    # Longer full forms first, so that นางสาว is not read as นาง + สาว.
    forms = sorted((title.full for title in THAI_TITLES), key=len, reverse=True)
    forms += [p for title in THAI_TITLES if (p := title.dotted_pattern())]
    if bare:
        forms += [f"{re.escape(title.bare)}(?=\\s|$)" for title in THAI_TITLES if title.bare != title.full]
    return "|".join(forms)


_TYPED_TITLE = re.compile(title_pattern(bare=True))
_ANY_DIGIT = re.compile(r"[0-9๐-๙]")
_NAME_EXAMPLE = "เช่น ด.ช. สมชาย ใจดี"
# Latin letters with their accents: children of hill-tribe and migrant families are often registered
# in Latin letters ("Nguyễn").
_LATIN_LETTERS = r"A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
# What a word of a name is written with: Thai letters, vowels and tone marks (not Thai digits, ฿ or
# ๏ ๚ ๛), Latin letters and combining accents, and the marks names carry: "ณ อยุธยา", "O'Neil",
# "Jean-Luc", a nickname "(บอล)".
_NAME_WORD = re.compile(rf"[\u0e01-\u0e3a\u0e40-\u0e4e{_LATIN_LETTERS}\u0300-\u036f.'’()\-]+")
# A letter a name cannot do without: a Thai consonant (every Thai syllable has one) or a Latin letter.
# Dots, dashes and marks alone ("...", "ๆ") are no name.
_NAME_LETTER = re.compile(rf"[ก-ฮ{_LATIN_LETTERS}]")
# A surname not known is typed as a dash (the name question says so).
_UNKNOWN_SURNAME = "-"


def is_name_word(word: str) -> bool:
    """Whether ``word`` can be a word of a person's name: written only with the characters of Thai or
    Latin names, and at least one letter among them (not an emoji, a number or punctuation)."""
    return _NAME_WORD.fullmatch(word) is not None and _NAME_LETTER.search(word) is not None


@dataclass(frozen=True)
class PersonName:
    title: str | None  # one of TITLE_SEX, or None when none was typed
    first_name: str
    last_name: str


def _title_match(text: str) -> tuple[str | None, int]:
    """The full form of the title at the start of ``text`` and where it ends; (None, 0) without one."""
    m = _TYPED_TITLE.match(text)
    if m is None:
        return None, 0
    return _BY_KEY[title_spelling_key(m[0])].full, m.end()


def parse_title(text: str) -> str | None:
    """A title typed on its own ("ด.ช.", "นางสาว") as its full form; None if ``text`` is not one."""
    cleaned = " ".join(text.replace("\u200b", "").split())
    title, end = _title_match(cleaned)
    return title if title and end == len(cleaned) else None


def parse_person_name(text: str) -> PersonName:
    """Read "ด.ช. สมชาย ใจดี", "เด็กชายสมชาย ใจดี" or "สมชาย ใจดี": an optional title, a first
    name and a surname (everything after the first name; "-" when it is not known), each word in
    Thai or Latin letters (see is_name_word)."""
    cleaned = " ".join(text.replace("\u200b", "").split())
    title, end = _title_match(cleaned)
    rest = cleaned[end:].strip()
    if _ANY_DIGIT.search(rest):
        raise InvalidInput(f"ชื่อและนามสกุลไม่ควรมีตัวเลข (ได้รับ {quote(rest)}) กรุณาพิมพ์ใหม่ {_NAME_EXAMPLE}")
    parts = rest.split()
    # Every word has letters; a dash stands for a surname not known.
    if not all(map(is_name_word, parts[:1] + [part for part in parts[1:] if part != _UNKNOWN_SURNAME])):
        raise InvalidInput(f"ชื่อและนามสกุลต้องเป็นตัวอักษรภาษาไทยหรือภาษาอังกฤษ (ได้รับ {quote(rest)}) "
                           f"กรุณาพิมพ์ใหม่ {_NAME_EXAMPLE}")
    if len(parts) < 2:
        raise InvalidInput(
            f"กรุณาพิมพ์ทั้งชื่อและนามสกุล (ได้รับ {quote(rest or cleaned)}) {_NAME_EXAMPLE} "
            "ถ้าไม่ทราบนามสกุล ให้พิมพ์ - แทน เช่น สมชาย -"
        )
    first, last = parts[0], " ".join(parts[1:])
    if len(first) > 100 or len(last) > 100:
        raise InvalidInput("ชื่อหรือนามสกุลยาวเกินไป กรุณาตรวจสอบอีกครั้ง")
    return PersonName(title, first, last)
