"""The columns an official list may have, by the header names real files give them, and how headers
and names are compared: written the same way, whatever the case, spacing, punctuation or digits."""
from __future__ import annotations

import re

from domain.thai import to_ascii_digits

__all__ = ["COLUMN_ALIASES", "IGNORED_COLUMNS", "REQUIRED_COLUMNS", "SPACES", "header_key", "same_spelling"]

# Every field of ListRow that a column can feed, with the header names seen in ministry, area-office
# and provincial files.  The first name is the one we write and show.  Headers are compared after
# header_key(): case, spaces, dots, dashes, slashes, brackets and asterisks do not matter, so
# "ว/ด/ป เกิด", "วดป.เกิด" and "ว ด ป เกิด" are one alias.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "national_id": (
        "เลขประจำตัวประชาชน", "เลขประจำตัวประชาชน 13 หลัก", "เลขประจำตัว 13 หลัก", "เลขประจำตัว",
        "เลขบัตรประชาชน", "เลขบัตรประจำตัวประชาชน", "เลขที่บัตรประชาชน", "บัตรประชาชน", "เลขประชาชน",
        "รหัสประจำตัวประชาชน", "citizen id", "national id", "id card", "pid", "cid",
    ),
    "title": ("คำนำหน้า", "คำนำหน้าชื่อ", "คำนำหน้านาม", "คำนำ", "prefix", "title"),
    "first_name": ("ชื่อ", "ชื่อจริง", "ชื่อเด็ก", "ชื่อนักเรียน", "first name", "firstname"),
    "last_name": ("นามสกุล", "สกุล", "last name", "lastname", "surname"),
    # One column holding "ด.ช. สมชาย ใจดี": split into title, first and last name.
    "full_name": ("ชื่อ-สกุล", "ชื่อ-นามสกุล", "ชื่อ-สกุลนักเรียน", "ชื่อ-สกุลเด็ก", "full name"),
    "sex": ("เพศ", "sex", "gender"),
    "birth_date": (
        "วันเดือนปีเกิด", "วันเดือนปีเกิด (พ.ศ.)", "วันเกิด", "วันเกิด (พ.ศ.)", "ว/ด/ป เกิด", "วันที่เกิด",
        "เกิดวันที่", "birth date", "date of birth", "dob",
    ),
    "grade": ("ชั้นล่าสุด", "ชั้น", "ระดับชั้น", "ระดับชั้นล่าสุด", "ชั้นเรียน", "ชั้นเรียนล่าสุด", "grade"),
    "previous_school": (
        "โรงเรียนเดิม", "โรงเรียน", "ชื่อโรงเรียน", "โรงเรียนล่าสุด", "สถานศึกษาเดิม", "สถานศึกษา",
        "ชื่อสถานศึกษา", "school",
    ),
    "house_no": ("บ้านเลขที่", "เลขที่", "เลขที่บ้าน", "ที่อยู่ เลขที่", "house no", "house number"),
    "moo": ("หมู่", "หมู่ที่", "ม.", "moo"),
    "subdistrict": ("ตำบล", "ต.", "ตำบล/แขวง", "แขวง", "subdistrict", "tambon"),
    "district": ("อำเภอ", "อ.", "อำเภอ/เขต", "เขต", "district", "amphoe"),
    "province": ("จังหวัด", "จ.", "province"),
    "affiliation": ("สังกัด", "สังกัดเดิม", "affiliation"),
    "group": (
        "กลุ่ม", "กลุ่มเป้าหมาย", "กลุ่มนักเรียน", "ประเภท", "ประเภทนักเรียน", "ทุนเสมอภาค",
        "กลุ่มทุนเสมอภาค", "กสศ.", "group",
    ),
}

# Running numbers many files start with: known, not data, and not worth reporting as unknown.
IGNORED_COLUMNS = ("ลำดับ", "ลำดับที่", "ที่", "no")

# The file must have at least one field of each group, or no row could be found or placed.
REQUIRED_COLUMNS = (("national_id", "first_name", "full_name"), ("subdistrict",), ("district", "province"))

# Whitespace as spreadsheets carry it: zero-width spaces and byte-order marks too.
SPACES = re.compile(r"[\s\u200b\ufeff]+")
_HEADER_NOISE = re.compile(r"[\s\u200b\ufeff.\-_/\\()\[\]{}*:'\"]+")


def same_spelling(text: str) -> str:
    """ASCII digits, and sara am as one character: Thai text sometimes spells it as nikhahit + sara aa,
    which looks the same."""
    return to_ascii_digits(text).replace("\u0e4d\u0e32", "\u0e33")


def header_key(header: str) -> str:
    """A header, or a title cell, as it is compared (see COLUMN_ALIASES)."""
    return _HEADER_NOISE.sub("", same_spelling(header).casefold())
