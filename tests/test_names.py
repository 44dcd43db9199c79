"""Tests for domain.thai_names: titles as people type them, first name, surname."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.thai import InvalidInput
from domain.thai_names import THAI_TITLES, TITLE_SEX, PersonName, is_name_word, parse_person_name, parse_title

# Thai consonants and vowels in any order, with at least one consonant (a name has one); no digits, no spaces.
name_part = st.text(alphabet="กขคงจฉชซญดตถทธนบปผพฟมยรลวศสหอฮะาิีุูเแโใไ่้์", min_size=1, max_size=20).filter(
    lambda part: any("ก" <= c <= "ฮ" for c in part))
# How each title is typed, and what it means.
TYPED_TITLES = [
    ("เด็กชาย", "เด็กชาย"), ("ด.ช.", "เด็กชาย"), ("ด.ช", "เด็กชาย"), ("ด. ช.", "เด็กชาย"),
    ("เด็กหญิง", "เด็กหญิง"), ("ด.ญ.", "เด็กหญิง"), ("นางสาว", "นางสาว"), ("น.ส.", "นางสาว"),
    ("นาย", "นาย"), ("นาง", "นาง"),
]


@pytest.mark.parametrize("typed, expected", [
    ("ด.ช. สมชาย ใจดี", PersonName("เด็กชาย", "สมชาย", "ใจดี")),
    ("ด.ช.สมชาย ใจดี", PersonName("เด็กชาย", "สมชาย", "ใจดี")),
    ("ดช สมชาย ใจดี", PersonName("เด็กชาย", "สมชาย", "ใจดี")),
    ("เด็กหญิงสมศรี  มีสุข ", PersonName("เด็กหญิง", "สมศรี", "มีสุข")),
    ("น.ส. สมศรี มีสุข", PersonName("นางสาว", "สมศรี", "มีสุข")),
    ("นางสาวสมศรี มีสุข", PersonName("นางสาว", "สมศรี", "มีสุข")),
    ("สมชาย ใจดี", PersonName(None, "สมชาย", "ใจดี")),
    ("สมชาย ณ อยุธยา", PersonName(None, "สมชาย", "ณ อยุธยา")),
    ("สมชาย -", PersonName(None, "สมชาย", "-")),
    # Letters that only look like an abbreviation, glued to the name, stay part of it.
    ("ดชา ใจดี", PersonName(None, "ดชา", "ใจดี")),
])
def test_names_as_people_type_them(typed, expected):
    assert parse_person_name(typed) == expected


@pytest.mark.parametrize("typed, says", [
    ("สมชาย", "ทั้งชื่อและนามสกุล"),
    ("ด.ช.", "ทั้งชื่อและนามสกุล"),
    ("", "ทั้งชื่อและนามสกุล"),
    ("สมชาย ใจดี2", "ไม่ควรมีตัวเลข"),
    ("สมชาย ๑๒", "ไม่ควรมีตัวเลข"),
    ("ก" * 101 + " ใจดี", "ยาวเกินไป"),
    # A name needs Thai or Latin letters.
    ("🙂 🙂", "ตัวอักษรภาษาไทยหรือภาษาอังกฤษ"),
    ("สมชาย 🙂", "ตัวอักษรภาษาไทยหรือภาษาอังกฤษ"),
    ("12345", "ไม่ควรมีตัวเลข"),
    ("...", "ตัวอักษรภาษาไทยหรือภาษาอังกฤษ"),
    ("- -", "ตัวอักษรภาษาไทยหรือภาษาอังกฤษ"),
    ("ด.ช. ๆ ๆ", "ตัวอักษรภาษาไทยหรือภาษาอังกฤษ"),
    ("สมชาย ใจดี ฿", "ตัวอักษรภาษาไทยหรือภาษาอังกฤษ"),
])
def test_bad_names_say_what_is_wrong(typed, says):
    with pytest.raises(InvalidInput) as caught:
        parse_person_name(typed)
    assert says in caught.value.message


@pytest.mark.parametrize("typed, expected", [
    ("Somchai Jaidee", PersonName(None, "Somchai", "Jaidee")),
    ("ด.ญ. Nguyễn Thị Mai", PersonName("เด็กหญิง", "Nguyễn", "Thị Mai")),
    ("ด.ช. สมชาย ใจดี (บอล)", PersonName("เด็กชาย", "สมชาย", "ใจดี (บอล)")),
    ("John O'Neil", PersonName(None, "John", "O'Neil")),
])
def test_names_in_latin_letters_and_with_a_nickname(typed, expected):
    assert parse_person_name(typed) == expected


def test_a_long_wrong_name_is_quoted_only_in_part():
    with pytest.raises(InvalidInput) as caught:
        parse_person_name("สมชาย " + "๑" * 4990)
    assert len(caught.value.message) < 200 and "…”" in caught.value.message


@given(st.text(max_size=60))
def test_whatever_is_typed_a_name_has_letters_or_is_refused_in_thai(typed):
    try:
        name = parse_person_name(typed)
    except InvalidInput as refused:
        assert refused.message and len(refused.message) < 300
        return
    assert is_name_word(name.first_name)
    assert name.last_name == "-" or all(is_name_word(word) for word in name.last_name.split(" "))
    assert not any(c.isdigit() for c in name.first_name + name.last_name)


@given(st.sampled_from(TYPED_TITLES), name_part, name_part, st.sampled_from(["", " ", "  "]))
def test_any_title_form_then_any_name(title, first, last, gap):
    typed, canonical = title
    # Glued to the name only when the title ends in a dot or is written out (how Thai is written).
    gap = gap or ("" if typed.endswith(".") or len(typed) > 3 else " ")
    assert parse_person_name(f"{typed}{gap}{first} {last}") == PersonName(canonical, first, last)


@given(name_part.filter(lambda n: parse_title(n[:6]) is None and not n.startswith(("นา", "ดช", "ดญ", "นส"))),
       name_part)
def test_names_without_a_title_keep_every_letter(first, last):
    assert parse_person_name(f"{first} {last}") == PersonName(None, first, last)


@pytest.mark.parametrize("typed, title", [*TYPED_TITLES, ("ดช", "เด็กชาย"), ("นส", "นางสาว")])
def test_titles_typed_alone(typed, title):
    assert parse_title(typed) == title
    assert title in TITLE_SEX


@pytest.mark.parametrize("typed", ["สมชาย", "ด.ช. สมชาย", "", "ไม่ระบุ"])
def test_not_a_title_alone(typed):
    assert parse_title(typed) is None


@pytest.mark.parametrize("title", THAI_TITLES, ids=lambda t: t.full)
def test_every_title_of_the_table_is_read_in_each_of_its_spellings(title):
    spellings = {title.full, title.abbreviation, title.bare, title.abbreviation.replace(".", ". ")}
    assert {parse_title(spelling) for spelling in spellings} == {title.full}
    assert parse_person_name(f"{title.abbreviation}สมชาย ใจดี") == PersonName(title.full, "สมชาย", "ใจดี")
    assert TITLE_SEX[title.full] == title.sex


def test_a_novice_is_a_title_too_but_not_the_start_of_a_name():
    assert parse_person_name("ณร. สมชาย ใจดี") == PersonName("สามเณร", "สมชาย", "ใจดี")
    assert parse_person_name("ณรงค์ ใจดี") == PersonName(None, "ณรงค์", "ใจดี")
