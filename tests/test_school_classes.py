"""Tests for domain.school_classes: classes and screening groups as schools write them."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.school_classes import LEVELS, MAX_ROOM, add_room, class_sort_key, parse_class, parse_group
from domain.thai import InvalidInput
from models import GROUPS, WatchStudent

THAI = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


def refused(parse, text: str) -> str:
    with pytest.raises(InvalidInput) as info:
        parse(text)
    return info.value.message


@pytest.mark.parametrize("typed, name", [
    ("ป.5/1", "ป.5/1"),
    ("ป5/1", "ป.5/1"),
    ("ป. 5 / 1", "ป.5/1"),
    ("ป.๕/๑", "ป.5/1"),
    ("  ป.5/1  ", "ป.5/1"),
    ("ป.5/01", "ป.5/1"),
    ("ประถมศึกษาปีที่ 5/1", "ป.5/1"),
    ("ประถมศึกษาปีที่5", "ป.5"),
    ("ประถม 5 ห้อง 1", "ป.5/1"),
    ("ชั้น ป.5 ห้อง 1", "ป.5/1"),
    ("ชั้นประถมศึกษาปีที่ ๖ ห้องที่ ๒", "ป.6/2"),
    ("ป.5 / ห้อง 1", "ป.5/1"),
    ("มัธยมศึกษาปีที่ 2", "ม.2"),
    ("มัธยม 3/4", "ม.3/4"),
    ("ม.2/3", "ม.2/3"),
    ("ม 6/12", "ม.6/12"),
    ("ระดับชั้น ม.1", "ม.1"),
    ("อนุบาล 2", "อ.2"),
    ("อนุบาลปีที่ 3/1", "อ.3/1"),
    ("อ.1", "อ.1"),
    ("P.5/1", "ป.5/1"),
    ("p5", "ป.5"),
    ("M2/3", "ม.2/3"),
    ("Prathom 4", "ป.4"),
    ("Mathayom 3/2", "ม.3/2"),
    ("K2", "อ.2"),
    ("KG.3", "อ.3"),
    ("Grade 5", "ป.5"),
    ("grade 7", "ม.1"),
    ("Grade 12/3", "ม.6/3"),
    ("ป.6/99", "ป.6/99"),
    ("ป.\u200b5/1", "ป.5/1"),
])
def test_classes_as_teachers_write_them(typed, name):
    assert parse_class(typed) == name


@pytest.mark.parametrize("typed, fragment", [
    ("", "กรุณาระบุชั้น"),
    ("   ", "กรุณาระบุชั้น"),
    ("ม.ต้น", "บอกไม่ได้ว่าเป็นชั้นปีใด"),
    ("มัธยมปลาย", "บอกไม่ได้ว่าเป็นชั้นปีใด"),
    ("ปวช.1", "อาชีวศึกษา"),
    ("ปวส. 2/1", "อาชีวศึกษา"),
    ("5/1", "ไม่ได้บอกระดับ"),
    ("5", "ไม่ได้บอกระดับ"),
    ("ป.7", "ป.1 ถึง ป.6"),
    ("ป.0", "ป.1 ถึง ป.6"),
    ("ม.7/1", "ม.1 ถึง ม.6"),
    ("อ.4", "อ.1 ถึง อ.3"),
    ("Grade 13", "1 ถึง 12"),
    ("ป.5/0", "1 ถึง 99"),
    ("ป.5/100", "1 ถึง 99"),
    ("ห้องสมุด", "ไม่เข้าใจชั้น"),
    ("เตรียมอนุบาล", "ไม่เข้าใจชั้น"),
    ("ป.5-1", "ไม่เข้าใจชั้น"),
    ("ป." + "5" * 5000, "ไม่เข้าใจชั้น"),
])
def test_what_is_not_a_class_is_refused_in_thai(typed, fragment):
    assert fragment in refused(parse_class, typed)


def test_refusal_quotes_what_was_typed_and_gives_an_example():
    message = refused(parse_class, "ชั้นเรียนที่ห้า")
    assert "“ชั้นเรียนที่ห้า”" in message and "ป.5/1" in message


def every_class() -> list[str]:
    years = [f"{level}.{year}" for level, (_, last) in LEVELS.items() for year in range(1, last + 1)]
    return years + [f"{name}/{room}" for name in years for room in range(1, MAX_ROOM + 1)]


def test_every_canonical_class_reads_back_as_itself_and_fits_the_column():
    names = every_class()
    assert len(names) == 15 * 100
    assert all(parse_class(name) == name for name in names)
    assert max(map(len, names)) <= WatchStudent.class_name.type.length


def test_classes_sort_by_level_then_year_then_room():
    names = ["ม.1", "ป.5/10", "ป.5/2", "ป.5", "อ.3", "ป.1/1", "ม.6/1", "อ.1", "ป.10?"]
    assert sorted(names, key=class_sort_key) == ["อ.1", "อ.3", "ป.1/1", "ป.5", "ป.5/2", "ป.5/10", "ม.1", "ม.6/1",
                                                 "ป.10?"]
    assert sorted(every_class(), key=class_sort_key) == sorted(
        every_class(), key=lambda n: (list(LEVELS).index(n[0]), int(n[2]), int(n.partition("/")[2] or 0)))


@pytest.mark.parametrize("name, room, joined", [
    ("ป.5", "1", "ป.5/1"), ("ป.5", "๒", "ป.5/2"), ("ป.5", "ห้อง 3", "ป.5/3"), ("ม.2", "/4", "ม.2/4"),
    ("ม.2", "ห้องที่ 10", "ม.2/10"), ("ป.5", "ป.5/3", "ป.5/3"), ("ป.5/1", "1", "ป.5/1"),
])
def test_a_room_column_is_joined_to_the_class(name, room, joined):
    assert add_room(name, room) == joined


@pytest.mark.parametrize("name, room, fragment", [
    ("ป.5/1", "2", "ไม่ตรงกับชั้น ป.5/1"), ("ป.5", "ป.6/1", "ไม่เข้าใจห้อง"), ("ป.5", "ก", "ไม่เข้าใจห้อง"),
    ("ป.5", "0", "1 ถึง 99"), ("ป.5", "ป.5", "ไม่เข้าใจห้อง"),
])
def test_a_room_that_does_not_fit_is_refused(name, room, fragment):
    assert fragment in refused(lambda r: add_room(name, r), room)


@pytest.mark.parametrize("typed, group", [
    ("ปกติ", "normal"), ("กลุ่มปกติ", "normal"), ("normal", "normal"), ("1", "normal"), ("๑", "normal"),
    ("Normal", "normal"), ("ไม่เสี่ยง", "normal"),
    ("เสี่ยง", "at_risk"), ("กลุ่มเสี่ยง", "at_risk"), ("กลุ่ม เสี่ยง", "at_risk"), ("at risk", "at_risk"),
    ("At-Risk", "at_risk"), ("2", "at_risk"), ("กลุ่มที่ 2", "at_risk"),
    ("มีปัญหา", "problem"), ("กลุ่มมีปัญหา", "problem"), ("ช่วยเหลือ", "problem"), ("3", "problem"),
    ("ต้องได้รับการช่วยเหลือ", "problem"), ("problem", "problem"),
])
def test_screening_groups_as_schools_write_them(typed, group):
    assert parse_group(typed) == group


@pytest.mark.parametrize("typed, fragment", [
    ("", "กรุณาระบุกลุ่ม"), ("กลุ่ม", "กรุณาระบุกลุ่ม"), ("4", "ไม่เข้าใจกลุ่ม"), ("เสี่ยงสูง", "ไม่เข้าใจกลุ่ม"),
    ("ดี", "ไม่เข้าใจกลุ่ม"),
])
def test_unknown_groups_are_refused_naming_the_three(typed, fragment):
    message = refused(parse_group, typed)
    assert fragment in message and "ปกติ, กลุ่มเสี่ยง หรือ กลุ่มมีปัญหา" in message


def test_every_group_label_reads_as_its_code():
    assert {parse_group(label) for label in GROUPS.values()} == set(GROUPS)
    assert all(parse_group(code.replace("_", " ")) == code for code in GROUPS)


# Pieces of class names, so that generated text often comes close to one.
PIECES = ["ป", "ม", "อ", ".", " ", "/", "ห้อง", "ที่", "ชั้น", "ประถม", "มัธยม", "ศึกษา", "ปี", "อนุบาล", "P", "m",
          "k", "Grade", "ปวช", "ต้น", "-", "\u200b", "0", "1", "5", "6", "9", "12", "99", "100"]
near_classes = st.lists(st.sampled_from(PIECES), max_size=8).map("".join)
texts = st.one_of(st.text(max_size=30), near_classes)


def outcome(parse, text: str) -> str:
    try:
        return parse(text)
    except InvalidInput as exc:
        assert exc.message
        return "refused"


@given(texts)
def test_parse_class_raises_nothing_but_invalid_input(text):
    outcome(parse_class, text)


@given(texts)
def test_a_class_read_reads_back_as_itself(text):
    if (name := outcome(parse_class, text)) != "refused":
        assert parse_class(name) == name
        assert class_sort_key(name)[0] < len(LEVELS)


@given(texts)
def test_thai_digits_read_as_ascii_digits(text):
    assert outcome(parse_class, text.translate(THAI)) == outcome(parse_class, text)
    assert outcome(parse_group, text.translate(THAI)) == outcome(parse_group, text)


@given(st.sampled_from(every_class()[:15]), texts)
def test_add_room_raises_nothing_but_invalid_input_and_gives_a_class(name, room):
    if (joined := outcome(lambda r: add_room(name, r), room)) != "refused":
        assert parse_class(joined) == joined and joined.startswith(name + "/")


@given(texts)
def test_parse_group_gives_a_group_or_invalid_input(text):
    assert outcome(parse_group, text) in {*GROUPS, "refused"}
