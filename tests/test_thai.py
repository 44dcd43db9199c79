"""Tests for domain.thai and domain.thai_ids, thai_dates and thai_phones: parsing and formatting of Thai user input."""

from dataclasses import FrozenInstanceError
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from domain.thai import InvalidInput, normalize_digits_only, quote, to_ascii_digits
from domain.thai_dates import (
    BANGKOK,
    Birth,
    be_year,
    format_thai_date,
    format_thai_datetime,
    now_bangkok,
    parse_birth,
    parse_date,
)
from domain.thai_ids import format_national_id, mask_national_id, national_id_checksum_ok, parse_national_id
from domain.thai_phones import format_phone, parse_phone

TODAY = date(2026, 11, 23)  # BE 2569
THAI = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


def thai_digits(text: str) -> str:
    return text.translate(THAI)


def check_digit(first12: str) -> int:
    """Independent restatement of the official algorithm, to test against."""
    return (11 - sum(int(d) * (13 - i) for i, d in enumerate(first12)) % 11) % 10


def residue(first12: str) -> int:
    return sum(int(d) * (13 - i) for i, d in enumerate(first12)) % 11


def error_of(func, *args, **kwargs) -> str:
    with pytest.raises(InvalidInput) as info:
        func(*args, **kwargs)
    assert info.value.message == str(info.value)
    return info.value.message


# Check digits computed by hand from the algorithm above.
VALID_IDS = [
    "1103702071838",
    "1234567890121",
    "3100601234565",
    "5600100123452",
    "8100100123451",
    "0000089123450",  # 0-prefix: people without registration status
]


# --------------------------------------------------------------------------
# Digits
# --------------------------------------------------------------------------

def test_to_ascii_digits_converts_every_thai_digit():
    assert to_ascii_digits("๐๑๒๓๔๕๖๗๘๙") == "0123456789"
    assert to_ascii_digits("อายุ ๑๒ ปี") == "อายุ 12 ปี"


def test_normalize_digits_only_drops_grouping():
    assert normalize_digits_only("๑-๑๐๓๗ ๐๒๐๗๑.๘๓-๘") == "1103702071838"
    assert normalize_digits_only("1\u200b103\u2013702") == "1103702"
    assert normalize_digits_only("12ab") == "12ab"


@settings(max_examples=200)
@given(st.text(alphabet=st.characters(exclude_characters="๐๑๒๓๔๕๖๗๘๙")))
def test_to_ascii_digits_is_identity_without_thai_digits(text):
    assert to_ascii_digits(text) == text


@given(st.integers(min_value=0))
def test_to_ascii_digits_reads_thai_numbers(n):
    assert to_ascii_digits(thai_digits(str(n))) == str(n)


# --------------------------------------------------------------------------
# Quoting what someone typed
# --------------------------------------------------------------------------

def test_quote_keeps_a_short_text_and_cuts_a_long_one():
    assert quote("สมชาย") == "“สมชาย”"
    assert quote("ก" * 30) == f"“{'ก' * 30}”"
    assert quote("ก" * 5000) == f"“{'ก' * 29}…”"
    # Never a vowel or tone mark without its letter: "ที่" goes whole or not at all.
    assert quote("ที่" * 20, limit=10) == "“ที่ที่ที่…”"


@given(st.text(), st.integers(min_value=2, max_value=40))
def test_quote_is_never_longer_than_its_limit_and_starts_as_the_text_does(said, limit):
    quoted = quote(said, limit)
    assert quoted.startswith("“") and quoted.endswith("”") and len(quoted) <= limit + 2
    inner = quoted[1:-1]
    assert inner == said or (inner.endswith("…") and said.startswith(inner[:-1]))


@pytest.mark.parametrize("parse, typed", [
    (parse_national_id, "1" * 5000),
    (parse_national_id, "ก" * 5000),
    (parse_phone, "08" + "1" * 4998),
    (parse_phone, "+1" + "2" * 4998),
    (lambda text: parse_date(text, today=TODAY), "1 " + "ก" * 4998 + " 2555"),
    (lambda text: parse_birth(text, today=TODAY), "ก" * 5000),
])
def test_errors_quote_at_most_the_start_of_a_long_answer(parse, typed):
    with pytest.raises(InvalidInput) as caught:
        parse(typed)
    assert len(caught.value.message) < 300, caught.value.message


# --------------------------------------------------------------------------
# National ID
# --------------------------------------------------------------------------

@pytest.mark.parametrize("digits", VALID_IDS)
def test_known_valid_ids(digits):
    assert check_digit(digits[:12]) == int(digits[12])
    assert national_id_checksum_ok(digits)
    assert parse_national_id(digits) == digits


@pytest.mark.parametrize(
    "typed",
    [
        "1103702071838",
        "1-1037-02071-83-8",
        "1 1037 02071 83 8",
        " 1-1037-02071-83-8 ",
        "๑๑๐๓๗๐๒๐๗๑๘๓๘",
        "๑-๑๐๓๗-๐๒๐๗๑-๘๓-๘",
        "๑ ๑๐๓๗ ๐๒๐๗๑ ๘๓ ๘",
        "1-1037-02071.83 8",
        "1–1037–02071–83–8",  # en dashes from autocorrect
    ],
)
def test_parse_national_id_accepts_common_styles(typed):
    assert parse_national_id(typed) == "1103702071838"


def test_checksum_ok_rejects_malformed():
    assert not national_id_checksum_ok("110370207183")
    assert not national_id_checksum_ok("11037020718388")
    assert not national_id_checksum_ok("1-1037-02071-83-8")
    assert not national_id_checksum_ok("๑๑๐๓๗๐๒๐๗๑๘๓๘")
    assert not national_id_checksum_ok("1103702071839")


def test_parse_national_id_wrong_length_says_how_many_digits():
    message = error_of(parse_national_id, "1-1037-02071-83")
    assert "13 หลัก" in message
    assert "12 หลัก" in message
    assert "110370207183" in message
    assert "14 หลัก" in error_of(parse_national_id, "11037020718388")


def test_parse_national_id_rejects_non_digits():
    message = error_of(parse_national_id, "1103702O71838")
    assert "ตัวเลขเท่านั้น" in message
    assert "O" in message


def test_parse_national_id_empty():
    assert "13 หลัก" in error_of(parse_national_id, "  ")


def test_parse_national_id_bad_checksum_echoes_formatted_digits():
    message = error_of(parse_national_id, "๑๑๐๓๗๐๒๐๗๑๘๓๙")
    assert "1-1037-02071-83-9" in message
    assert "หลักสุดท้าย" in message
    assert "(9)" in message
    # The correct check digit is not given away (see parse_national_id).
    assert "8" not in message.replace("1-1037-02071-83-9", "")


def test_parse_national_id_rejects_leading_9_even_with_valid_checksum():
    first12 = "910370207183"
    digits = first12 + str(check_digit(first12))
    assert national_id_checksum_ok(digits)
    message = error_of(parse_national_id, digits)
    assert "ขึ้นต้นด้วย 9" in message
    assert format_national_id(digits) in message


def test_parse_national_id_accepts_leading_0():
    assert parse_national_id("0-0000-89123-45-0") == "0000089123450"


def test_format_and_mask_national_id():
    assert format_national_id("1234567890121") == "1-2345-67890-12-1"
    assert format_national_id("1-2345-67890-12-1") == "1-2345-67890-12-1"
    assert mask_national_id("1234567890121") == "1-XXXX-XXXXX-XX-1"
    with pytest.raises(ValueError):
        format_national_id("123")
    with pytest.raises(ValueError):
        mask_national_id("12345678901ab")


first12_digits = st.builds(
    lambda head, rest: head + rest,
    st.sampled_from("012345678"),
    st.text(alphabet="0123456789", min_size=11, max_size=11),
)
separator = st.sampled_from(["", "", " ", "-", " - ", "  "])


@settings(max_examples=200)
@given(first12_digits)
def test_any_12_digits_with_check_digit_round_trip(first12):
    digits = first12 + str(check_digit(first12))
    assert parse_national_id(digits) == digits
    assert parse_national_id(format_national_id(digits)) == digits


@settings(max_examples=200)
@given(first12_digits, st.booleans(), st.lists(separator, min_size=14, max_size=14))
def test_round_trip_with_thai_digits_and_random_separators(first12, in_thai, seps):
    digits = first12 + str(check_digit(first12))
    shown = thai_digits(digits) if in_thai else digits
    typed = "".join(sep + ch for sep, ch in zip(seps, shown)) + seps[-1]
    assert parse_national_id(typed) == digits


def test_checksum_weaknesses_are_real():
    """The algorithm does not catch every single-digit error; the two gaps."""
    # The third digit has weight 11 = 0 (mod 11): changing it is never caught.
    assert national_id_checksum_ok("1103702071838")
    assert national_id_checksum_ok("1193702071838")
    # Remainders 0 and 10 both give check digit 1.
    a, b = "190000000000", "190000000005"
    assert {residue(a), residue(b)} == {0, 10}
    assert national_id_checksum_ok(a + "1") and national_id_checksum_ok(b + "1")


@settings(max_examples=300)
@given(first12_digits, st.integers(0, 12), st.integers(1, 9))
@example("190000000000", 11, 5)  # residue 0 -> 10: the undetected case
@example("110370207183", 2, 4)  # third digit: never detected
def test_single_digit_change_is_caught_except_known_gaps(first12, position, shift):
    valid = first12 + str(check_digit(first12))
    changed_digit = str((int(valid[position]) + shift) % 10)
    changed = valid[:position] + changed_digit + valid[position + 1 :]
    if position == 12:
        expected_ok = False
    elif position == 2:
        expected_ok = True
    else:
        expected_ok = {residue(first12), residue(changed[:12])} == {0, 10}
    assert national_id_checksum_ok(changed) is expected_ok


# --------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------

MARCH_15_2012 = date(2012, 3, 15)


@pytest.mark.parametrize(
    "typed",
    [
        "15/3/2555",
        "15/03/2555",
        "15-03-2555",
        "15.3.55",
        "15/3/55",
        "15 3 2555",
        "15 / 3 / 2555",
        "15 มี.ค. 55",
        "15 มี.ค. 2555",
        "15 มี.ค 2555",
        "15 มีค 2555",
        "15มีค55",
        "15 มีนา 55",
        "๑๕ มีนาคม ๒๕๕๕",
        "๑๕/๓/๒๕๕๕",
        "15 มีนาคม พ.ศ. 2555",
        "15 มีนาคม พศ 2555",
        "15 มี.ค. ค.ศ. 2012",
        "2012-03-15",
        "2012-3-15",
        "2555-03-15",
        "15/3/2012",
        "วันที่ 15 มี.ค. 2555",
        "เกิดวันที่ 15/3/2555",
        "15/3/2555 ค่ะ",
        "  15 มีนาคม   2555 ",
    ],
)
def test_parse_date_accepts(typed):
    assert parse_date(typed, today=TODAY) == MARCH_15_2012


MONTH_SPELLINGS = [
    (1, ["มกราคม", "ม.ค.", "มค", "มกรา"]),
    (2, ["กุมภาพันธ์", "ก.พ.", "กพ", "กุมภา"]),
    (3, ["มีนาคม", "มี.ค.", "มีค", "มีนา"]),
    (4, ["เมษายน", "เม.ย.", "เมย", "เมษา"]),
    (5, ["พฤษภาคม", "พ.ค.", "พค", "พฤษภา"]),
    (6, ["มิถุนายน", "มิ.ย.", "มิย", "มิถุนา"]),
    (7, ["กรกฎาคม", "ก.ค.", "กค", "กรกฎา", "กรกฏาคม"]),
    (8, ["สิงหาคม", "ส.ค.", "สค", "สิงหา"]),
    (9, ["กันยายน", "ก.ย.", "กย", "กันยา"]),
    (10, ["ตุลาคม", "ต.ค.", "ตค", "ตุลา"]),
    (11, ["พฤศจิกายน", "พ.ย.", "พย", "พฤศจิกา"]),
    (12, ["ธันวาคม", "ธ.ค.", "ธค", "ธันวา"]),
]


@pytest.mark.parametrize(
    ("month", "name"), [(m, n) for m, names in MONTH_SPELLINGS for n in names]
)
def test_parse_date_month_names(month, name):
    assert parse_date(f"1 {name} 2555", today=TODAY) == date(2012, month, 1)
    assert parse_date(f"1 {name} พ.ศ. 2555", today=TODAY) == date(2012, month, 1)


def test_parse_date_year_rules():
    far = date(2400, 1, 1)
    assert parse_date("1/1/2399", today=far) == date(2399, 1, 1)  # below 2400: CE
    assert "พ.ศ. 2400" in error_of(parse_date, "1/1/2400", today=far)  # BE, so 1857 CE: too old
    assert parse_date("1/1/43", today=TODAY) == date(2000, 1, 1)  # 2 digits: BE 25xx
    assert parse_date("1/1/2443", today=TODAY) == date(1900, 1, 1)
    assert parse_date("1/1/1999", today=TODAY) == date(1999, 1, 1)


def test_parse_date_today_is_not_future():
    assert parse_date("23/11/2569", today=TODAY) == TODAY


def test_parse_date_impossible_day_names_the_month_length():
    message = error_of(parse_date, "31/2/2555", today=TODAY)
    assert "31 ก.พ. 2555" in message
    assert "ไม่มี" in message
    assert "29 วัน" in message
    assert "28 วัน" in error_of(parse_date, "29 ก.พ. 2556", today=TODAY)
    assert "วันที่ 0" in error_of(parse_date, "0/3/2555", today=TODAY)
    assert "31 เม.ย. 2555" in error_of(parse_date, "31 เมษายน 2555", today=TODAY)


def test_parse_date_leap_day_exists_in_leap_year():
    assert parse_date("29/2/2555", today=TODAY) == date(2012, 2, 29)


def test_parse_date_bad_month_number():
    message = error_of(parse_date, "15/13/2555", today=TODAY)
    assert "เดือนที่ 13" in message
    assert "1 ถึง 12" in message


def test_parse_date_future_says_what_was_understood():
    message = error_of(parse_date, "15/3/70", today=TODAY)
    assert "15 มี.ค. 2570" in message
    assert "23 พ.ย. 2569" in message
    assert "24 พ.ย. 2569" in error_of(parse_date, "24/11/2569", today=TODAY)
    # A CE year that is in the future is rejected the same way.
    assert "15 มี.ค. 2598" in error_of(parse_date, "15/3/2055", today=TODAY)


def test_parse_date_unknown_month_name_is_echoed():
    message = error_of(parse_date, "15 มีนาย 2555", today=TODAY)
    assert "มีนาย" in message
    assert "15 มี.ค. 2555" in message  # the example


@pytest.mark.parametrize("typed", ["", "hello", "15/3", "พรุ่งนี้", "15/3/2555/1", "2555"])
def test_parse_date_unparseable_shows_example(typed):
    message = error_of(parse_date, typed, today=TODAY)
    assert "15/3/2555" in message


@pytest.mark.parametrize("typed", ["15/3/255", "15/3/5", "15/3/25555"])
def test_parse_date_year_with_wrong_digit_count(typed):
    message = error_of(parse_date, typed, today=TODAY)
    assert "2 หรือ 4 หลัก" in message


def test_parse_date_rejects_implausibly_old_years():
    assert "พ.ศ. 1043" in error_of(parse_date, "15/3/0500", today=TODAY)
    assert "พ.ศ. 2442" in error_of(parse_date, "31/12/2442", today=TODAY)
    error_of(parse_date, "15/3/0000", today=TODAY)


def test_parse_date_two_digit_ce_year_must_be_written_in_full():
    assert "4 หลัก" in error_of(parse_date, "15 มี.ค. ค.ศ. 12", today=TODAY)


dates_in_range = st.dates(min_value=date(1900, 1, 1), max_value=date(2300, 12, 31))


@settings(max_examples=300)
@given(dates_in_range, st.booleans())
def test_format_thai_date_round_trips(d, short_month):
    typed = format_thai_date(d, short_month=short_month)
    assert parse_date(typed, today=date(2300, 12, 31)) == d
    assert parse_date(thai_digits(typed), today=date(2300, 12, 31)) == d


def test_format_thai_date():
    assert format_thai_date(MARCH_15_2012) == "15 มี.ค. 2555"
    assert format_thai_date(MARCH_15_2012, short_month=False) == "15 มีนาคม 2555"
    assert format_thai_date(date(2026, 1, 5)) == "5 ม.ค. 2569"


def test_be_year():
    assert be_year(MARCH_15_2012) == 2555
    assert be_year(date(2026, 11, 23)) == 2569


# --------------------------------------------------------------------------
# Date-times
# --------------------------------------------------------------------------

def test_format_thai_datetime_converts_to_bangkok():
    aware = datetime(2026, 11, 23, 9, 40, tzinfo=timezone.utc)
    assert format_thai_datetime(aware) == "23 พ.ย. 2569 16:40 น."
    assert format_thai_datetime(aware.astimezone(BANGKOK)) == "23 พ.ย. 2569 16:40 น."
    tokyo = timezone(timedelta(hours=9))
    assert format_thai_datetime(datetime(2026, 11, 23, 18, 40, tzinfo=tokyo)) == (
        "23 พ.ย. 2569 16:40 น."
    )


def test_format_thai_datetime_treats_naive_as_utc():
    assert format_thai_datetime(datetime(2026, 11, 23, 9, 40)) == "23 พ.ย. 2569 16:40 น."
    # Crossing midnight moves the date too.
    assert format_thai_datetime(datetime(2026, 12, 31, 20, 5)) == "1 ม.ค. 2570 03:05 น."


def test_now_bangkok_is_aware_and_utc_plus_7():
    now = now_bangkok()
    assert now.utcoffset() == timedelta(hours=7)
    assert abs(now - datetime.now(timezone.utc)) < timedelta(minutes=1)


# --------------------------------------------------------------------------
# Birth date or age
# --------------------------------------------------------------------------

@pytest.mark.parametrize(
    "typed", ["12", "12 ปี", "12ปี", "๑๒ ขวบ", "อายุ 12", "อายุ 12 ปี", "อายุ๑๒ขวบ", "12 ปีค่ะ"]
)
def test_parse_birth_age(typed):
    assert parse_birth(typed, today=TODAY) == Birth(None, 12)


def test_parse_birth_from_date():
    assert parse_birth("15/3/2555", today=TODAY) == Birth(MARCH_15_2012, 14)
    assert parse_birth("๑๕ มีนาคม ๒๕๕๕", today=TODAY) == Birth(MARCH_15_2012, 14)


def test_parse_birth_age_counts_completed_years():
    assert parse_birth("23/11/2555", today=TODAY).age_years == 14  # birthday today
    assert parse_birth("24/11/2555", today=TODAY).age_years == 13  # tomorrow
    leap = "29/2/2555"
    assert parse_birth(leap, today=date(2025, 2, 28)).age_years == 12
    assert parse_birth(leap, today=date(2025, 3, 1)).age_years == 13


def test_parse_birth_age_out_of_range_shows_age_and_range():
    message = error_of(parse_birth, "30", today=TODAY)
    assert "อายุ 30 ปี" in message
    assert "3–25 ปี" in message
    message = error_of(parse_birth, "15/3/2567", today=TODAY)
    assert "15 มี.ค. 2567" in message
    assert "อายุ 2 ปี" in message
    assert "3–25 ปี" in message
    message = error_of(parse_birth, "2", today=TODAY, min_age=6, max_age=18)
    assert "6–18 ปี" in message


def test_parse_birth_range_is_inclusive():
    assert parse_birth("3", today=TODAY).age_years == 3
    assert parse_birth("25", today=TODAY).age_years == 25


def test_parse_birth_passes_on_date_errors():
    assert "29 วัน" in error_of(parse_birth, "31/2/2555", today=TODAY)
    assert "ยังมาไม่ถึง" in error_of(parse_birth, "1/1/2570", today=TODAY)


def test_parse_birth_year_only_asks_for_full_date_or_age():
    message = error_of(parse_birth, "2555", today=TODAY)
    assert "2555" in message
    assert "อายุ" in message


def test_parse_birth_unparseable_shows_both_forms():
    message = error_of(parse_birth, "ไม่ทราบ", today=TODAY)
    assert "ไม่ทราบ" in message
    assert "15/3/2555" in message
    assert "12" in message


def test_birth_is_frozen():
    with pytest.raises(FrozenInstanceError):
        Birth(None, 12).age_years = 13  # type: ignore[misc]


# --------------------------------------------------------------------------
# Phone numbers
# --------------------------------------------------------------------------

@pytest.mark.parametrize(
    "typed",
    [
        "0812345678",
        "081-234-5678",
        "081 234 5678",
        "08-1234-5678",
        "๐๘๑-๒๓๔-๕๖๗๘",
        "+66812345678",
        "+66 81 234 5678",
        "+66-81-234-5678",
        "+660812345678",
        "(081) 234-5678",
    ],
)
def test_parse_phone_accepts_mobile_styles(typed):
    assert parse_phone(typed) == "0812345678"


@pytest.mark.parametrize("prefix", ["06", "08", "09"])
def test_parse_phone_mobile_prefixes(prefix):
    assert parse_phone(prefix + "12345678") == prefix + "12345678"


@pytest.mark.parametrize(
    ("typed", "digits"),
    [("02-123-4567", "021234567"), ("053-123-456", "053123456"), ("+66 2 123 4567", "021234567")],
)
def test_parse_phone_landline_when_allowed(typed, digits):
    assert parse_phone(typed, mobile_only=False) == digits
    assert parse_phone("0812345678", mobile_only=False) == "0812345678"


def test_parse_phone_landline_rejected_for_mobile_only():
    message = error_of(parse_phone, "02-123-4567")
    assert "02-123-4567" in message
    assert "มือถือ" in message


@pytest.mark.parametrize(
    ("typed", "kwargs", "expected"),
    [
        ("", {}, "กรุณาพิมพ์"),
        ("081234567", {}, "9 หลัก"),
        ("08123456789", {}, "11 หลัก"),
        ("081234567", {"mobile_only": False}, "เบอร์มือถือต้องมี 10 หลัก"),
        ("0212345", {"mobile_only": False}, "เบอร์โทรศัพท์บ้านต้องมี 9 หลัก"),
        ("0712345678", {}, "06, 08 หรือ 09"),
        ("0112345678", {"mobile_only": False}, "ไม่ใช่เบอร์โทรศัพท์ไทย"),
        ("812345678", {}, "ขึ้นต้นด้วย 0"),
        ("+1 555 123 4567", {}, "ประเทศไทย"),
        ("08l-234-5678", {}, "“l”"),
    ],
)
def test_parse_phone_rejections(typed, kwargs, expected):
    assert expected in error_of(parse_phone, typed, **kwargs)


def test_format_phone():
    assert format_phone("0812345678") == "081-234-5678"
    assert format_phone("021234567") == "02-123-4567"
    assert format_phone("053123456") == "053-123-456"
    with pytest.raises(ValueError):
        format_phone("12345")


mobiles = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(["06", "08", "09"]),
    st.text(alphabet="0123456789", min_size=8, max_size=8),
)


@settings(max_examples=200)
@given(mobiles, st.sampled_from(["plain", "formatted", "+66", "thai", "spaced"]))
def test_parse_phone_accepts_every_valid_mobile(mobile, style):
    typed = {
        "plain": mobile,
        "formatted": format_phone(mobile),
        "+66": "+66" + mobile[1:],
        "thai": thai_digits(format_phone(mobile)),
        "spaced": " ".join(mobile),
    }[style]
    assert parse_phone(typed) == mobile
    assert parse_phone(typed, mobile_only=False) == mobile
