"""A village head's free-text message read into the report flow's draft: "ด.ช.สมชาย ใจดี 12 ขวบ บ้านเลขที่ 45
หมู่ 3 ช่วยพ่อทำนา อยากเรียน กศน. แม่ชื่อสมศรี 081-234-5678" gives title, name, age, home, village,
situation, wants and guardian, in the formats handlers.report_child's step parsers store.

Pure (no database): the caller passes what may be matched (Known). Each fact is taken out of the text
once it is read, so a later rule cannot read it again (a house number as an age, "อยู่บ้านหนองไผ่" as the
situation "อยู่บ้าน"). Only a fact read with confidence is returned: the flow asks for anything missing,
and a wrong guess costs more than a question. PyThaiNLP tokenises (relation words such as แม่ or ตา are
whole words, never part of ตาม), reads Thai number words (อายุสิบสอง), normalises spelling (เเ → แ),
knows Thai given and family names (a name without a title) and romanises village names ("Ban Nong Phai").

Long: one reader per fact (IDs, phones, birth, home, village, people, the coordinators' lists), each
small, and the rules that tell the child from the guardian and one child from two.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, Mapping, Sequence

from pythainlp.corpus import thai_family_names, thai_female_names, thai_male_names
from pythainlp.soundex import soundex
from pythainlp.tokenize import word_tokenize
from pythainlp.transliterate import romanize
from pythainlp.util import normalize, thaiword_to_num

from domain.thai import InvalidInput, strip_control, to_ascii_digits
from domain.thai_dates import parse_birth
from domain.thai_ids import parse_national_id
from domain.thai_names import THAI_TITLES, parse_person_name, parse_title, title_pattern
from domain.thai_phones import parse_phone

__all__ = ["Known", "Option", "Parsed", "compact", "looks_like_report", "match_option", "match_village", "parse_report"]

OTHER = "other"  # models.choice.OTHER: the option that needs the reporter's own words
MAX_CHARS = 5000  # LINE's longest text message


@dataclass(frozen=True)
class Option:
    """One option of a coordinators' list, with the words that also mean it."""
    code: str
    label: str
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Known:
    """What a message may be matched against."""
    villages: Sequence[tuple[int, str]]  # (area_id, name as stored, "บ้านหนองไผ่ หมู่ที่ 3")
    lists: Mapping[str, Sequence[Option]]  # "situation" | "reason" | "wants" -> its options
    today: date


@dataclass
class Parsed:
    fields: dict[str, Any]  # step name -> value as the report flow stores it
    children: int  # how many children the text seems to describe: with 2 or more, fields are the first one's


# ------------------------------------------------------------------ words

L = "A-Za-z\u0e01-\u0e2e\u0e30-\u0e3a\u0e40-\u0e45\u0e47-\u0e4e"  # letters of a name: no digits, ฯ or ๆ
MASK = "|"  # what a fact read is replaced by: no rule reads across it
_ID_MARK = "\ue000"  # where a national ID was (a private-use character no keyboard types)
FIRST_NAMES = thai_male_names() | thai_female_names()
FAMILY_NAMES = thai_family_names()
# A guardian's relation as typed -> as kept; ผู้ปกครอง says "guardian" without saying which.
RELATIONS = {"แม่": "แม่", "พ่อ": "พ่อ", "ยาย": "ยาย", "ตา": "ตา", "ปู่": "ปู่", "ย่า": "ย่า", "ป้า": "ป้า",
             "ลุง": "ลุง", "น้า": "น้า", "อา": "อา", "พี่": "พี่", "พี่ชาย": "พี่ชาย", "พี่สาว": "พี่สาว",
             "น้าสาว": "น้า", "มารดา": "แม่", "บิดา": "พ่อ", "คุณแม่": "แม่", "คุณพ่อ": "พ่อ", "คุณยาย": "ยาย",
             "คุณตา": "ตา", "แม่เลี้ยง": "แม่เลี้ยง", "พ่อเลี้ยง": "พ่อเลี้ยง", "ตายาย": "ตายาย",
             "พ่อแม่": "พ่อแม่", "ผู้ปกครอง": None}
# Words no name starts with, that follow a title or "ชื่อ" in reports ("ด.ช. อายุ 12", "ชื่อเล่น").
NOT_A_NAME = re.compile(
    "(?:อายุ|ขวบ|บ้าน|หมู่|เลขที่|เกิด|โทร|เบอร์|ไม่|ช่วย|อยู่|อาศัย|อยาก|ทำงาน|เรียน|กำลัง|ตอนนี้|ปัจจุบัน|"
    "ผู้ปกครอง|ติดต่อ|ชื่อ|นามสกุล|สกุล|และ|กับ|ครับ|ค่ะ|คะ|พบ|แจ้ง|ต้องการ|ประมาณ|ที่|ซึ่ง|ตำบล|อำเภอ|"
    "จังหวัด|วันที่|สถานะ|สาเหตุ|เพราะ|เนื่องจาก|ส่วน|คือ|ออกจาก|ย้าย|ป่วย|พิการ|เด็ก|น้อง|แม่|พ่อ|ยาย|ปู่|"
    "ย่า|ป้า|ลุง|พี่|มารดา|บิดา|เล่น|เลี้ยง|ดูแล|ทำ|ไป|เป็น|ขาย|รับจ้าง|ตาย|เสียชีวิต|ใน|ผม|ดิฉัน|กระผม)")
NOT_A_NAME_WORD = {"ตา", "อา", "น้า", "ปี", "คน", "มี", "ได้", "ยัง", "จบ", "ออก", "นะ", "คะ", "จ้า", "จ้ะ"}
# Titles are often glued to the word before ("พบด.ช.สมชาย"); an adult's one inside a word ("ทำนายาย") has
# no name after it and is dropped.
_TITLE = re.compile(title_pattern(bare=True))
_OFFICE = re.compile("นาย(?:ก|อำเภอ|หน้า|จ้าง)|นาง(?:พยาบาล|งาม)")  # not a title: นายก อบต., นายอำเภอ
_WORD = re.compile(f"[A-Za-zก-ฮเ-ไ][{L}]{{1,39}}")  # a name starts with a consonant or a leading vowel
_NAME_MARK = re.compile(r"(?:ชื่อเด็ก|เด็กชื่อ|ชื่อ(?:\s*-?\s*(?:นาม)?สกุล)?)\s*[:：]?\s*")
_NONG = re.compile(r"น้อง(?!สาว|ชาย|คน|ๆ)\s*")
_DOTTED_BARE = re.compile(r"(?<![ก-๙])ด([ชญ])\.")  # "ดช." as "ด.ช."
_NO_SURNAME = re.compile(rf"\s*(?:-|ไม่(?:ทราบ|รู้|มี)(?:นาม)?สกุล)(?![{L}])")
_RELATION_WORD = re.compile(f"(?:{'|'.join(sorted(RELATIONS, key=len, reverse=True))})\\s*")
# Before "ชื่อ": the sender ("ผมชื่อ…") or no name at all ("ไม่มีชื่อในทะเบียน").
_NOT_THE_CHILDS_NAME = re.compile(r"(?:ผม|ฉัน|หนู|กระผม|ไม่มี|ไม่ทราบ|ไม่รู้|ยังไม่มี)\s*$")
# Someone who is not the guardian: the sender or an official; a short word not inside another ("ชื่อสมศรี").
_SENDER = rf"(?:ผู้ใหญ่บ้าน|กำนัน|ผู้แจ้ง|ผู้ช่วย|(?:(?<![{L}])|(?<=เบอร์)|(?<=โทร)|(?<=ของ))(?:ครู|อสม|อบต))\.?"
# Before a phone number, right before or before a name ("ผู้แจ้ง นายมานะ ดีมาก 08…"), or right after it
# ("08… (ผู้ใหญ่บ้าน)"): it is the sender's or an official's, not the guardian's.
_NOT_THE_GUARDIANS_PHONE = re.compile(rf"(?:{_SENDER}|ผม|ดิฉัน|หนู)\s*$")
_SENDERS_NAME_BEFORE = re.compile(rf"{_SENDER}\s*(?:ชื่อ)?\s*(?:{title_pattern(bare=True)})?\s*[{L}]+(?:\s[{L}]+)?\s*$")
_SENDERS_NAME = re.compile(rf"{_SENDER}\s*(?:ชื่อ)?\s*[:：]?\s*$")  # before a name: not the guardian
_SENDER_AFTER = re.compile(rf"[\s(:,]*(?:ของ|เบอร์|โทร)?\s*{_SENDER}")
# Words near an ID that say it is an adult's ("เลขบัตรแม่ …", "นางสมศรี เลขบัตร …"), or the child's after them.
ADULT_WORDS = set(RELATIONS) | {"นาย", "นาง", "นางสาว"}
CHILD_WORDS = {"เด็ก", "ลูก", "หลาน", "น้อง", "เด็กชาย", "เด็กหญิง"}
_BETWEEN = re.compile(r"(?:\s|ชื่อ|คือ|เป็น|คุณ|ของ|[:：,()])*$")  # between a relation and its name

# ------------------------------------------------------------------ numbers

_NUM_WORDS = "(?:ศูนย์|หนึ่ง|เอ็ด|สอง|ยี่|สาม|สี่|ห้า|หก|เจ็ด|แปด|เก้า|สิบ|ร้อย)+"
_NUM_CONTEXT = re.compile(rf"(?<=อายุ)(\s*(?:ประมาณ|ราว)?\s*)({_NUM_WORDS})|({_NUM_WORDS})(?=\s*(?:ขวบ|ปี|คน|พี่น้อง))"
                          rf"|(?<=หมู่)(\s*(?:ที่)?\s*)({_NUM_WORDS})")
_DIGIT_RUN = re.compile(r"[0-9](?:[\s\-.\u2010-\u2015\u2212\u200b]*[0-9])*")  # what parse_national_id reads
_GROUP = re.compile(r"[0-9]+")
_PHONE_SHAPED = re.compile(r"0[689][0-9]{8}|0[2-7][0-9]{7}")
_PHONE_RUN = re.compile(r"(?:\+\s*66\s*)?[0-9](?:(?:\s*[\-.\u2010-\u2015\u2212]\s*|\s+)[0-9]+|[0-9])*")
_PHONE_WORDS = re.compile(r"(?:(?:เบอร์(?:โทร(?:ศัพท์)?)?|โทร(?:ศัพท์)?\.?|ติดต่อ|tel\.?|ได้ที่|ที่|[:：])\s*)+$", re.I)
_ERA = r"(?:(?:พ|ค)\s*\.?\s*ศ\s*\.?\s*)?"
_DATE = re.compile(rf"(?<![\d/])(?:\d{{1,2}}\s*([/\-.])\s*\d{{1,2}}\s*\1\s*{_ERA}\d{{2,4}}|\d{{4}}-\d{{1,2}}-\d{{1,2}}"
                   rf"|\d{{1,2}}\s*[\u0e01-\u0e4e.]{{2,12}}?\s*{_ERA}(?:\d{{4}}|\d{{2}}))(?![\d/])")
_BORN = re.compile(r"เกิด[^|]{0,12}$")
_OTHER_DATE = re.compile(r"(?:เมื่อ|ตั้งแต่|ออก|ย้าย|แจ้ง|วันนี้|ถึง)[^|]{0,12}$")
_AGE = re.compile(r"อายุ\s*(?:ประมาณ|ราว\s*ๆ?)?\s*(\d{1,2})(?!\s*[\-/.:]\s*\d)(?!\d)\s*(?:ปี|ขวบ)?"
                  r"|(?<![\d/])(\d{1,2})\s*ขวบ")
# "เด็กไม่ได้เรียน 3 คน", "สองพี่น้อง", "ทั้ง 2 คน"; not ลูก or น้อง ("แม่มีลูก 3 คน", "ดูแลน้อง 2 คน" are
# about the family).
_COUNT = re.compile(r"(?:เด็ก|พี่น้อง)[^|\d]{0,20}?(\d)\s*คน|(\d)\s*พี่น้อง|ทั้ง\s*(\d)\s*คน")
# Before an age, an adult's title and name ("พี่ชาย นายสมหมาย ใจดี อายุ 20"), or a relation and a name
# ("แม่ชื่อสมศรี อายุ 35"): the adult's age.
_NAME_BEFORE = re.compile(rf"(?<![{L}])({title_pattern(bare=True)})?\s*(?:ชื่อ\s*)?[{L}]+(?:\s[{L}]+)?\s*$")
_AGE_AFTER_NAME = re.compile(r"\s*(\d{1,2})\s*(?:ปี|ขวบ)")  # "ด.ช.วินัย มั่นคง 13 ปี"

# ------------------------------------------------------------------ home and village

_MOO = re.compile(rf"(?:หม[ูุ]่?\s*(?:ที่)?|ม\s*\.|(?<![{L}])ม)\s*(\d{{1,2}})(?![\d/])")  # หมุ่: a typo
_GRADE = re.compile(r"(?:ชั้น|จบ|เรียน|ออก|ถึง|ตอน|ระดับ|เทอม|ป\.\d+\s*[-–]?)\s*$")  # ม.3 the class, not หมู่ 3
_HOUSE = re.compile(r"(?:บ้าน\s*เลข\s*ที่?|เลข\s*ที่|บ้าน|(?<![\d/]))\s*(\d{1,4}(?:\s*/\s*\d{1,4})?)(?![\d/])")
_YEAR_BEFORE = re.compile(rf"(?:ปี|ศ\s*\.?|เกิด|(?<![{L}])[มป]\s*\.|ชั้น)\s*$")  # a year, or a class: ม.2
_VILLAGE_MOO = re.compile(r"(?:หมู่(?:ที่)?|ม\.)\s*([0-9๐-๙]+)\s*$")
_VILLAGE_WORD = re.compile(r"^(?:หมู่บ้าน|บ้าน|บ\.)\s*")
_LETTERS = re.compile(f"[{L}]+")  # a soundex match is a whole word: lk82 codes only a name's first sounds
_VILLAGE_MARK = re.compile(r"(?:หมู่บ้าน|บ้าน|บ\.)\s*")
# A short name ("บ้านนา") is a whole word after บ้าน or a space: not the นา of "ทำนา".
_SHORT_NAME_BEFORE = re.compile(rf"(?:(?:หมู่บ้าน|บ้าน|บ\.)\s*|[^{L}])$|^$")
# A school's, a temple's, a subdistrict's name is not the village's: "โรงเรียนบ้านโนนทัน", "ต.สำราญ".
_NOT_VILLAGE = re.compile(r"(?:โรงเรียน|รร\.?|วัด|ต\.|ตำบล|อ\.|อำเภอ|จ\.|จังหวัด)\s*(?:บ้าน)?\s*$")

# ------------------------------------------------------------------ the lists

_COMPACT_NOISE = re.compile(r"[\s.\u200b\-_,/:]+")
# Before a keyword, in _phrases' form ("~" where a space was).
_NEGATED = re.compile(r"(?:ไม่|มิ)(?:ได้|ค่อย)?(?:ไป|มา)?~?$")
_ADULT_SUBJECT = re.compile(r"((?:พ่อเลี้ยง|แม่เลี้ยง|พ่อ|แม่|ผู้ปกครอง|ยาย|ปู่|ย่า|ลุง|ป้า|พี่)+)~?(ที่)?"
                            r"(?:ไป|ก็|ต้อง|เคย)?~?$")
# "ช่วยพ่อทำนา", "ถูกพ่อเลี้ยงทำร้าย": the child works or is hurt, not the father; "ยายที่ป่วย" is grandma.
_CHILD_DOES = re.compile(r"(?:ช่วย|กับ|ดูแล|เลี้ยง|ตาม|ของ|ถูก|โดน)~?$")
# A keyword that is done to someone ("พ่อเลี้ยงทำร้าย"): the adult before it is the doer, the child the one hurt.
_DONE_TO = re.compile("ทำร้าย|ตี|ทุบ|ทารุณ|ล่วงละเมิด|ข่มขืน|ทอดทิ้ง|ทิ้ง")
# "โดนพ่อตี": the doer between โดน/ถูก and the act, taken out so "โดนตี" is read.
_BY_ADULT = re.compile("(ถูก|โดน)(?:พ่อเลี้ยง|แม่เลี้ยง|พ่อ|แม่|ลุง|ป้า|น้า|อา|ปู่|ย่า|ตา|ยาย|พี่)+"
                       "(?=ตี|ทุบ|ทำร้าย|ทารุณ)")


def compact(text: str) -> str:
    """Text as option keywords are compared: normalised, lower case, without spaces, dots or dashes."""
    return _COMPACT_NOISE.sub("", normalize(to_ascii_digits(text)).lower())


def _phrases(text: str) -> str:
    """A message compacted phrase by phrase, "~" between them: in a report a keyword never spans a space
    ("ไม่มีผู้ดูแล พ่อแม่เสีย" does not say "ดูแลพ่อ"), while a typed answer ("อยู่ บ้าน") may."""
    return "~".join(compact(phrase) for phrase in text.split())


@lru_cache(maxsize=4096)  # the same lists come with every message
def _keys(option: Option) -> tuple[str, ...]:
    return tuple(key for key in (compact(option.label), *map(compact, option.synonyms)) if len(key) >= 2)


def _chosen(said: str, lists: Mapping[str, Sequence[Option]]) -> dict[str, set[str]]:
    """For each list, the options a keyword of which occurs in compacted `said`, neither negated ("ไม่ได้
    ทำงาน") nor said of an adult ("แม่ป่วย"). A keyword inside a longer one of another option, of any list,
    counts for that one only ("ขอทำงานก่อน" is not yet to work)."""
    spans = []
    for list_name, options in lists.items():
        for option in options:
            for key in _keys(option):
                # str.find, not a regular expression per keyword: every answer in a form is read for
                # the other questions too, against a few hundred keywords.
                start = said.find(key)
                while start != -1:
                    if not _not_so(_before(said, start), _DONE_TO.match(key) is not None):
                        spans.append((start, start + len(key), (list_name, option.code)))
                    start = said.find(key, start + len(key))
    spans.sort()
    starts, longest = [span[0] for span in spans], max((e - s for s, e, _ in spans), default=0)
    chosen: dict[str, set[str]] = {list_name: set() for list_name in lists}
    for start, end, (list_name, code) in spans:
        # Only a span starting at most `longest` before this one can hold it.
        around = spans[bisect_left(starts, start - longest):bisect_right(starts, start)]
        if not any(end <= e and e - s > end - start and c != (list_name, code) for s, e, c in around):
            chosen[list_name].add(code)
    return chosen


def _not_so(before: str, done_to: bool = False) -> bool:
    """Whether the words before a keyword deny it ("ไม่ได้ทำงาน") or say it of an adult ("แม่ป่วย", "ยายที่
    ป่วย"; not "ช่วยพ่อทำนา" nor "ถูกพ่อเลี้ยงทำร้าย", which are the child's, nor "พ่อเลี้ยงทำร้าย", an act
    `done_to` the child by the adult)."""
    adult = None if done_to else _ADULT_SUBJECT.search(before)
    return bool(_NEGATED.search(before) or (adult and (adult[2] or not _CHILD_DOES.search(before[:adult.start()]))))


def match_option(text: str, options: Sequence[Option]) -> str | None:
    """The code of the option typed at a button step ("ยากจน", "อยากเรียน กศน"): its label or a synonym
    said whole, found in the text, or the text found in one of them; None unless exactly one fits."""
    said = compact(text)
    if not said:
        return None
    whole = {option.code for option in options if said in _keys(option)}
    if len(whole) == 1:
        return whole.pop()
    codes = _chosen(said, {"": options})[""]
    if not codes and len(said) >= 3:
        codes = {option.code for option in options if any(said in key for key in _keys(option))}
    return codes.pop() if len(codes) == 1 else None


# ------------------------------------------------------------------ reading


def _before(s: str, pos: int) -> str:
    """The words just before `pos`, what the rules that look back read (never the whole text: a long
    message would cost its length at every keyword)."""
    return s[max(0, pos - 30):pos]


class _Text:
    """The message being read: `s`, in which every fact read is masked."""

    def __init__(self, s: str) -> None:
        self.s = s

    def take(self, start: int, end: int) -> None:
        self.s = self.s[:start] + MASK * (end - start) + self.s[end:]


# The titles only children have, and a novice monk's: never a guardian's.
CHILD_TITLES = {title.full for title in THAI_TITLES if title.child} | {"สามเณร"}


@dataclass
class _Person:
    start: int
    end: int
    title: str | None  # as typed
    first: str | None
    last: str | None
    relation: str | None = None
    guardian: bool = False


def _clean(text: str) -> str:
    text = normalize(to_ascii_digits(strip_control(text)).replace("\u200b", ""))
    text = _DOTTED_BARE.sub(r"ด.\1.", " ".join(text.split()))
    return _NUM_CONTEXT.sub(_number, text)


def _number(m: re.Match) -> str:
    lead, words = (m[1], m[2]) if m[2] else (m[4], m[5]) if m[5] else ("", m[3])
    try:
        return f"{lead or ''}{thaiword_to_num(words)}"
    except ValueError:
        return m[0]


def _take_ids(raw: str) -> tuple[list[str], str]:
    """National IDs with a valid check digit, each the 13 digits of whole groups of one run as typed
    (a group shaped like a phone number is never part of one), each replaced by _ID_MARK; an adult's
    (_adults_id) is masked and not returned: it is neither the child's nor another child."""
    found: list[tuple[int, int, str]] = []
    digits = to_ascii_digits(raw)  # one character for one: positions stay
    for run in _DIGIT_RUN.finditer(digits):
        groups = list(_GROUP.finditer(run[0]))
        for i in range(len(groups)):
            size, j = 0, i
            while j < len(groups) and size < 13:
                size, j = size + len(groups[j][0]), j + 1
            window = groups[i:j]
            if size != 13 or (len(window) > 1 and any(_PHONE_SHAPED.fullmatch(g[0]) for g in window)):
                continue
            start, end = run.start() + window[0].start(), run.start() + window[-1].end()
            if found and start < found[-1][1]:
                continue  # overlaps the ID before it
            try:
                found.append((start, end, parse_national_id("".join(g[0] for g in window))))
            except InvalidInput:
                continue
    adults = [_adults_id(digits, start, found[n - 1][1] if n else 0) for n, (start, _, _) in enumerate(found)]
    for (start, end, _), adult in zip(reversed(found), reversed(adults)):
        raw = f"{raw[:start]} {MASK if adult else _ID_MARK} {raw[end:]}"
    return [value for (_, _, value), adult in zip(found, adults) if not adult], raw


def _adults_id(s: str, start: int, since: int) -> bool:
    """Whether the words just before an ID (since the last number) say it is an adult's: an adult after the
    words for an ID ("เลขบัตรประชาชนของแม่", not when a child word follows: "…ของแม่ให้ลูก"), or right before
    them or the ID ("แม่เลขบัตร", "นางสมศรี ใจดี เลขบัตร"; not "ช่วยแม่ทำนา เลขบัตร", the child's)."""
    words = word_tokenize(re.split(r"[0-9]", s[max(since, start - 30):start])[-1], keep_whitespace=False)
    said = [n for n, word in enumerate(words) if "เลข" in word or "บัตร" in word or word in ("ประจำตัว", "ประชาชน")]
    first = said[-1] if said else len(words)
    while first - 1 in said:
        first -= 1
    after = {word: n for n, word in enumerate(words[first:])}
    if max((n for w, n in after.items() if w in ADULT_WORDS), default=-1) > \
            max((n for w, n in after.items() if w in CHILD_WORDS), default=-1):
        return True
    before = words[:first]
    return bool(before) and (before[-1] in ADULT_WORDS or any(w in ("นาย", "นาง", "นางสาว") for w in before[-4:]))


def _take_phones(text: _Text) -> list[tuple[int, int, str]]:
    """Thai phone numbers (as parse_phone reads them): at each digit group, the fewest groups that make one;
    not one said to be the sender's or an official's ("เบอร์ผู้ใหญ่บ้าน 08…")."""
    phones = []
    for run in _PHONE_RUN.finditer(text.s):
        before = _PHONE_WORDS.sub("", _before(text.s, run.start()))
        if _NOT_THE_GUARDIANS_PHONE.search(before) or _SENDER_AFTER.match(text.s, run.end()) or (
                (sender := _SENDERS_NAME_BEFORE.search(before))
                and not any(word in RELATIONS for word in word_tokenize(sender[0], keep_whitespace=False))):
            continue
        groups, i = list(_GROUP.finditer(run[0])), 0
        while i < len(groups):
            start = 0 if i == 0 else groups[i].start()  # the first group keeps a "+66" before it
            for j in range(i, min(i + 4, len(groups))):
                try:
                    digits = parse_phone(run[0][start:groups[j].end()], mobile_only=False)
                except InvalidInput:
                    continue
                phones.append((run.start() + start, run.start() + groups[j].end(), digits))
                i = j
                break
            i += 1
    for start, end, _ in phones:
        text.take(start, end)
    return phones


def _take_births(text: _Text, today: date) -> list[tuple[int, dict]]:
    """Birth dates ("เกิด 15/3/2555", "15 มี.ค. 55"; not "ย้ายมาเมื่อ 1/6/2560") and ages ("12 ขวบ",
    "อายุสิบสอง"), not a relative's ("แม่อายุ 35"), as (position, the birth step's value)."""
    births, pos = [], 0
    while m := _DATE.search(text.s, pos):
        pos = m.start() + 1  # a failed candidate ("12 ขวบ 15") may hide a date starting inside it
        before = _before(text.s, m.start())
        if _OTHER_DATE.search(before) and not _BORN.search(before):
            continue
        try:
            birth = parse_birth(m[0], today=today)
        except InvalidInput:
            continue
        births.append((m.start(), {"date": birth.birth_date.isoformat(), "age": birth.age_years}))
        text.take(m.start(), m.end())
        pos = m.end()
    for m in _AGE.finditer(text.s):
        if _relation_before(text.s, m.start()) or _adult_named_before(text.s, m.start()):
            continue
        try:
            birth = parse_birth(m[1] or m[2], today=today)
        except InvalidInput:
            continue
        births.append((m.start(), {"date": None, "age": birth.age_years}))
        text.take(m.start(), m.end())
    return sorted(births, key=lambda b: b[0])


def _adult_named_before(s: str, pos: int) -> bool:
    """Whether a relation word and a name, or an adult's title and name in a text with a child's title in it
    (else "นายสมศักดิ์ อายุ 17" may be the young man reported), come just before `pos`."""
    name = _NAME_BEFORE.search(_before(s, pos))
    if name is None:
        return False
    if name[1]:
        return parse_title(name[1]) not in CHILD_TITLES and not _OFFICE.match(name[0], name.start(1) - name.start()) \
            and any(parse_title(m[0]) in CHILD_TITLES for m in _TITLE.finditer(s))
    return _relation_before(s, pos - len(name[0])) is not None


def _relation_before(s: str, pos: int) -> str | None:
    """The relation word just before `pos` ("แม่ชื่อ…", "เบอร์ยาย 08…") as typed; None without one, or
    when the word before is a fact already read."""
    window = _PHONE_WORDS.sub("", _BETWEEN.sub("", s[max(0, pos - 24):pos]))
    if not window or window[-1] == MASK:
        return None
    words = word_tokenize(window, keep_whitespace=False)
    return words[-1] if words and words[-1] in RELATIONS else None


def _relation_after(s: str, pos: int) -> str | None:
    """The relation word right after a phone number: "081-234-5678 (แม่)", "… ของยาย"."""
    words = word_tokenize(re.sub(r"^[\s(:,]*(?:ของ|เบอร์)?", "", s[pos:pos + 16]), keep_whitespace=False)
    return words[0] if words and words[0] in RELATIONS else None


def _take_home(text: _Text) -> tuple[str | None, list[int]]:
    """The address as typed ("45 หมู่ 3", "12/1 ม.5") when a house number is given, and the
    หมู่ numbers said (ม.3 after ชั้น or จบ, or with หมู่ written out, is a class)."""
    s = text.s
    moos = [m for m in _MOO.finditer(s) if not (m[0].startswith("ม") and _GRADE.search(_before(s, m.start())))]
    if any(moo[0].startswith("ห") for moo in moos):  # "ม.2 หมู่ 1": หมู่ written out, ม.2 is the class
        classes = [moo for moo in moos if moo[0].startswith("ม")]
        moos = [moo for moo in moos if moo not in classes]
        for grade in classes:
            text.take(grade.start(), grade.end())
    address = None
    for house in _HOUSE.finditer(s):
        after = next((moo for moo in moos if moo.start() >= house.end() and not s[house.end():moo.start()].strip()),
                     None)
        if not (house[0][0] in "บเ" or after) or _YEAR_BEFORE.search(_before(s, house.start())) \
                or ("เลข" not in house[0] and _a_year(house[1])):
            continue  # a house number is "บ้านเลขที่ 45", "เลขที่ 45", "บ้าน 45" or "45 หมู่ 3"; not "ปี 2555 ม.3"
        moo = after or (moos[0] if len(moos) == 1 else None)
        address = " ".join(house[1].split())
        address = f"{address} {moo[0]}" if moo else f"บ้านเลขที่ {address}"
        text.take(house.start(), house.end())
        break
    for moo in moos:
        text.take(moo.start(), moo.end())
    return address and address[:100], [int(moo[1]) for moo in moos]


def _a_year(number: str) -> bool:
    """A plausible birth year, พ.ศ. or ค.ศ.: "2555 หมู่ 2" is not a house number unless "บ้านเลขที่"."""
    return number.isdigit() and len(number) == 4 and (2540 <= int(number) <= 2570 or 1997 <= int(number) <= 2027)


@lru_cache(maxsize=4096)  # the reporter's villages come with every message
def _core(name: str) -> str:
    """A village's own name: "บ้านหนองไผ่ หมู่ที่ 3" -> "หนองไผ่"."""
    return _VILLAGE_WORD.sub("", _VILLAGE_MOO.sub("", normalize(to_ascii_digits(name))).strip())


def _named_villages(text: _Text, villages: Sequence[tuple[int, str]]) -> set[int]:
    """Villages named in the text: with or without "บ้าน"/"บ.", else after บ้าน/บ. spelt as it sounds (Thai
    soundex: "หนองไผ", "โคกศรี"), else romanised ("Ban Nong Phai"). Not a school's or a subdistrict's name,
    nor "หนองไผ่" inside "หนองไผ่ล้อม" when that is a village too."""
    s, cores = text.s, [(area_id, _core(name)) for area_id, name in villages]
    found = {area_id: spans for area_id, core in cores if (spans := _written(s, core))}
    if not found:
        marks = [m.end() for m in _VILLAGE_MARK.finditer(s) if not _NOT_VILLAGE.search(_before(s, m.start()))][:50]
        found = {area_id: spans for area_id, core in cores if (spans := _sounded(s, core, marks))}
    if not found and re.search("[A-Za-z]{4}", s):
        latin = re.sub("[^a-z]", "", s.lower())
        found = {area_id: [] for area_id, core in cores if len(roman := romanize(core, engine="royin")) >= 4
                 and roman in latin}
    inside = {area_id for area_id, spans in found.items() if spans and any(
        all(any(s0 <= a and b <= e0 and e0 - s0 > b - a for s0, e0 in other) for a, b in spans)
        for other_id, other in found.items() if other_id != area_id)}
    for spans in found.values():
        for start, end in spans:
            text.take(start, end)
    return set(found) - inside


def _written(s: str, core: str) -> list[tuple[int, int]]:
    """Where a village's name is written as it is; a short one only as a word of its own."""
    if len(core) < 2 or core not in s:
        return []
    return [(m.start(), m.end()) for m in re.finditer(re.escape(core), s)
            if not _NOT_VILLAGE.search(before := _before(s, m.start()))
            and (len(core) >= 4 or (_SHORT_NAME_BEFORE.search(before) and not _LETTERS.match(s, m.end())))]


def _sounded(s: str, core: str, marks: list[int]) -> list[tuple[int, int]]:
    """The first word after บ้าน/บ. that sounds like a village's name (lk82 soundex), its length within a
    letter of the name's."""
    if len(core) < 3:
        return []
    sound = soundex(core, engine="lk82")
    for start in marks:
        for end in range(start + len(core) - 1, min(start + len(core) + 1, len(s)) + 1):
            word = s[start:end]
            if _LETTERS.fullmatch(word) and not _LETTERS.match(s, end) and soundex(word, engine="lk82") == sound:
                return [(start, end)]
    return []


def _moo_of(name: str) -> int | None:
    m = _VILLAGE_MOO.search(name)
    return int(to_ascii_digits(m[1])) if m else None


def _village(text: _Text, villages: Sequence[tuple[int, str]], moos: list[int]) -> int | None:
    """The one village the หมู่ numbers and the names in the text agree on; None for none or several."""
    named = _named_villages(text, villages)
    numbered = {area_id for area_id, name in villages if _moo_of(name) in moos}
    both = named & numbered if named and numbered else named or numbered
    return next(iter(both)) if len(both) == 1 else None


def match_village(text: str, villages: Sequence[tuple[int, str]]) -> int | None:
    """The area id of the village a typed answer names ("หมู่ 3", "ม.3", "บ.หนองไผ่", "หนองไผ",
    "Ban Nong Phai"); None unless exactly one fits."""
    read = _Text(_clean(text[:MAX_CHARS]))
    _, moos = _take_home(read)
    return _village(read, villages, moos)


def _name_word(word: str, keywords: set[str]) -> bool:
    said = compact(word)
    return (word not in NOT_A_NAME_WORD and word not in RELATIONS and not NOT_A_NAME.match(word)
            and not any(key in said for key in keywords))


def _name_at(s: str, pos: int, keywords: set[str]) -> tuple[str | None, str | None, int]:
    """The given name and surname starting at `pos` ("สมชาย ใจดี"; glued "สมชายใจดี" when the name lists
    split it); the surname None when there is none; (None, None, pos) without a name."""
    first = _WORD.match(s, pos)
    if first is None or not _name_word(first[0], keywords):
        return None, None, pos
    last = _WORD.match(s, first.end() + 1) if s[first.end():first.end() + 1] == " " else None
    if last and _name_word(last[0], keywords):
        return first[0], last[0], last.end()
    if unknown := _NO_SURNAME.match(s, first.end()):  # "ก้อง ไม่ทราบนามสกุล": the flow's "-"
        return first[0], "-", unknown.end()
    word = first[0]
    for cut in range(len(word) - 2, 1, -1):
        if word[:cut] in FIRST_NAMES and word[cut:] in FAMILY_NAMES:
            return word[:cut], word[cut:], first.end()
    return word, None, first.end()


def _people(text: _Text, keywords: set[str]) -> list[_Person]:
    """Everyone named: after a title, "ชื่อ", or "น้อง" or a relation word followed by a known given name,
    or a known name opening the message. A guardian when a relation word comes first, or an adult's title
    with a child before it or a child's title anywhere ("นางสมศรี … แจ้งว่า ด.ช.ก้อง"); one with a child's title
    never is, the relation before it is the adult's before ("นายสมหมาย เป็นพ่อของ ด.ช.ก้อง"). The sender or
    an official ("ผู้แจ้ง นายมานะ") is left out. A child's title alone ("พบเด็กชายอายุ 12") is a child too."""
    s, found = text.s, []
    for m in _TITLE.finditer(s):
        if _OFFICE.match(s, m.start()):
            continue
        first, last, end = _name_at(s, m.end() + (s[m.end():m.end() + 1] == " "), keywords)
        if first or parse_title(m[0]) in CHILD_TITLES:
            found.append(_Person(m.start(), end if first else m.end(), m[0], first, last))
    for mark, known_only in ((_NAME_MARK, False), (_NONG, True)):
        for m in mark.finditer(s):
            if _NOT_THE_CHILDS_NAME.search(_before(s, m.start())):
                continue
            first, last, end = _name_at(s, m.end(), keywords)
            if first and (not known_only or first in FIRST_NAMES):
                found.append(_Person(m.start(), end, None, first, last))
    for m in _RELATION_WORD.finditer(s):
        first, last, end = _name_at(s, m.end(), keywords)
        if first in FIRST_NAMES and _relation_before(s, m.end()):  # a whole word: ตา, not ตาม
            found.append(_Person(m.end(), end, None, first, last))
    found.sort(key=lambda p: (p.start, -p.end))
    titled_child = any(p.title and parse_title(p.title) in CHILD_TITLES for p in found)
    people: list[_Person] = []
    for person in found:
        if people and person.start < people[-1].end:
            continue
        if _SENDERS_NAME.search(_before(s, person.start)):
            text.take(person.start, person.end)
            continue
        relation = _relation_before(s, person.start)
        child = person.title is not None and parse_title(person.title) in CHILD_TITLES
        adult = person.title is not None and not child
        if child and relation is not None:
            if people and people[-1].guardian and people[-1].relation is None:
                people[-1].relation = RELATIONS.get(relation)
            relation = None
        person.guardian = relation is not None or (adult and (titled_child or any(not p.guardian for p in people)))
        person.relation = RELATIONS.get(relation or "")
        people.append(person)
    if not any(not p.guardian for p in people):
        opening = re.match(r"(?:แจ้ง)?(?:พบ)?(?:เด็ก)?\s*[:：]?\s*", s)
        first, last, end = _name_at(s, opening.end(), keywords)
        if first in FIRST_NAMES and last \
                and not any(p.start < end and opening.end() < p.end for p in people):
            people.insert(0, _Person(opening.end(), end, None, first, last))
    for person in people:
        text.take(person.start, person.end)
    return people


def _guardian(people: list[_Person], phones: list[tuple[int, int, str]], s: str) -> dict | None:
    """The guardian's name, phone and relation, when a name or a phone was given."""
    named = next((p for p in people if p.guardian and p.first), None)
    phone = phones[0] if phones else None
    if named is None and phone is None:
        return None
    relation = named.relation if named else None
    if relation is None and phone is not None:
        relation = RELATIONS.get(_relation_before(s, phone[0]) or _relation_after(s, phone[1]) or "")
    name = named and " ".join(part for part in ((named.title or "") + named.first, named.last) if part)
    return {"name": name or None, "phone": phone[2] if phone else None, "relation": relation}


def _children(people: list[_Person], ids: list[str], births: list[tuple[int, dict]], s: str) -> list[int]:
    """Where each child the text describes starts, by their names, IDs or ages, whichever tell more
    ("สมชาย 12 ขวบ กับน้องสาว 9 ขวบ" is two); ages a year apart are one child's (a birth date and an age).
    "เด็ก 3 คน" adds children without a start."""
    named: dict[str, int] = {}
    for person in people:
        if not person.guardian:
            named.setdefault(person.first or f"#{person.start}", person.start)
    marks = [m.start() for m in re.finditer(_ID_MARK, s)]
    distinct_ids = [pos for n, pos in enumerate(marks) if ids[n] not in ids[:n]]
    ages: list[tuple[int, int]] = []
    for pos, birth in births:
        if all(abs(birth["age"] - age) > 1 for _, age in ages):
            ages.append((pos, birth["age"]))
    counted = max((int(next(g for g in m.groups() if g)) for m in _COUNT.finditer(s)), default=0)
    starts = sorted(max((list(named.values()), distinct_ids, [pos for pos, _ in ages]), key=len))
    return starts + [len(s)] * max(0, counted - len(starts))


def parse_report(text: str, known: Known) -> Parsed:
    """What a free-text report says about a child, as the report flow's draft fields (see the module)."""
    ids, rest = _take_ids(text[:MAX_CHARS].replace(_ID_MARK, "?"))
    read = _Text(_clean(rest))
    keywords = {key for options in known.lists.values() for option in options for key in _keys(option)
                if len(key) >= 4}
    phones = _take_phones(read)
    births = _take_births(read, known.today)
    address, moos = _take_home(read)
    village = _village(read, known.villages, moos)
    people = _people(read, keywords)
    starts = _children(people, ids, births, read.s)
    # With two children or more, what is one child's is taken from the first one's part of the text (the
    # caller asks about the others); home, village and guardian are the household's.
    end = starts[1] if len(starts) > 1 else len(read.s)
    fields: dict[str, Any] = {}
    child = next((p for p in people if not p.guardian and p.start < end), None)
    if child and child.title:
        fields["title"] = parse_title(child.title)
    if child and child.first and child.last:
        name = parse_person_name(f"{child.first} {child.last}")
        fields["name"] = {"first": name.first_name, "last": name.last_name}
    own_ids = {ids[n] for n, m in enumerate(re.finditer(_ID_MARK, read.s)) if m.start() < end}
    if len(own_ids) == 1:
        fields["national_id"] = own_ids.pop()
    own = [birth for pos, birth in births if pos < end]
    if child and child.first and not own and (after := _AGE_AFTER_NAME.match(read.s, child.end)):
        with suppress(InvalidInput):  # out of range: not an age
            own = [{"date": None, "age": parse_birth(after[1], today=known.today).age_years}]
    if own and all(abs(birth["age"] - own[0]["age"]) <= 1 for birth in own):
        fields["birth"] = next((birth for birth in own if birth["date"]), own[0])
    if village is not None:
        fields["village"] = village
    if address:
        fields["home"] = {"address": address}
    said = _BY_ADULT.sub(r"\1", _phrases(read.s[:end]))
    lists = {list_name: [option for option in options if option.code != OTHER]
             for list_name, options in known.lists.items()}
    for list_name, codes in _chosen(said, lists).items():
        if len(codes) == 1:
            fields[list_name] = codes.pop()
    if guardian := _guardian(people, phones, read.s):
        fields["guardian"] = guardian
    parsed = Parsed(fields, len(starts))
    parsed.children = parsed.children or int(looks_like_report(parsed))
    return parsed


def looks_like_report(parsed: Parsed) -> bool:
    """Enough of a report to start one outside any flow: an ID; several children, one with a name or an
    age; a child's title or a name with one more fact about the child (with a child's title, a guardian's
    phone is one; "นายสมชาย ใจดี 08…" may be the sender); or an age with two more ("เด็ก 12 ขวบ หมู่ 3
    ช่วยพ่อทำนา"). Not chat."""
    fields = parsed.fields
    facts = fields.keys() - {"title", "name"}
    if "national_id" in fields:
        return True
    if parsed.children > 1:
        return bool(fields.keys() & {"title", "name", "birth"})
    if fields.get("title") in CHILD_TITLES:
        return bool(facts)
    if "name" in fields:
        return bool(facts - {"guardian"})
    return "birth" in fields and len(facts) >= 3


def warm_up() -> None:
    """Load PyThaiNLP's dictionary (about a second, once per process) before the first user's message
    needs it: the web process calls this in the background when it starts."""
    parse_report("ด.ช.สมชาย ใจดี 12 ขวบ หมู่ 1", Known(villages=(), lists={}, today=date(2000, 1, 1)))
