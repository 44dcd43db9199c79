"""Tests for domain.thai_places: village names as DOPA writes them and as people type them."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.thai_places import VillageName, mentions_a_place, village_label, village_name, villages_named

VILLAGES = [[1, "บ้านหนองไผ่ หมู่ที่ 3"], [2, "บ้านโคกสี หมู่ที่ 12"], [3, "บ้านหนองไผ่ใต้ หมู่ที่ 4"],
            [4, "ชุมชนริมน้ำ"]]
# Thai letters, vowels and tone marks (no digits, no spaces): a village's name.
name_text = st.text(alphabet="กขคงจฉชซญดตถทธนบปผพฟมยรลวศสหอฮะาิีุูเแโใไ่้์", min_size=1, max_size=40)


@pytest.mark.parametrize("full, expected", [
    ("บ้านหนองไผ่ หมู่ที่ 3", VillageName("หนองไผ่", 3)),
    ("บ้านหนองไผ่ หมู่ 3", VillageName("หนองไผ่", 3)),
    ("บ้านหนองไผ่ ม.๓", VillageName("หนองไผ่", 3)),
    ("หนองไผ่", VillageName("หนองไผ่", None)),
    ("บ้าน", VillageName("บ้าน", None)),
])
def test_village_names_as_the_area_list_writes_them(full, expected):
    assert village_name(full) == expected


@pytest.mark.parametrize("full, label", [
    ("บ้านหนองไผ่ หมู่ที่ 3", "ม.3 หนองไผ่"),
    ("บ้านโคกสี หมู่ที่ 12", "ม.12 โคกสี"),
    ("บ้านหนองบัวแดงน้อยพัฒนา หมู่ที่ 14", "ม.14 หนองบัวแดงน้อย…"),
    ("ชุมชนริมน้ำเจ้าพระยาฝั่งตะวันออก", "ชุมชนริมน้ำเจ้าพระย…"),  # 20 characters, marks counted
])
def test_a_label_puts_the_moo_first_and_cuts_only_the_name(full, label):
    assert village_label(full, 20) == label


@given(name_text, st.integers(min_value=1, max_value=999))
def test_a_label_always_fits_and_keeps_the_number(name, moo):
    label = village_label(f"บ้าน{name} หมู่ที่ {moo}", 20)
    assert len(label) <= 20 and label.startswith(f"ม.{moo} ")


@pytest.mark.parametrize("typed, found", [
    ("ม.3", [1]), ("ม. 3", [1]), ("ม 3", [1]), ("หมู่ 3", [1]), ("หมู่ที่ ๓", [1]), ("หมู่3", [1]),
    ("หนองไผ่", [1]), ("บ้านหนองไผ่", [1]), ("หนองไผ่ หมู่ 3", [1]), ("ม.3 หนองไผ่", [1]),
    ("ม.๑๒", [2]), ("โคกสี", [2]), ("ชุมชนริมน้ำ", [4]),
    ("ม.3 โคกสี", []), ("หมู่ 7", []), ("หนอง", []), ("3", []), ("", []),
])
def test_which_villages_a_typed_answer_names(typed, found):
    assert villages_named(typed, VILLAGES) == found


@pytest.mark.parametrize("address", [
    "12 หมู่ 3", "๔๕ หมู่ ๑ บ้านหลังวัด", "45/1", "หมู่ 3", "ม.3", "บ้านหนองไผ่", "หลังโรงเรียนบ้านโคกสี",
    "อยู่หนองไผ่ใกล้วัด",
])
def test_an_address_that_says_where_the_house_is(address):
    assert mentions_a_place(address, [name for _, name in VILLAGES])


@pytest.mark.parametrize("address", ["อยู่แถวนี้แหละ", "asdf", "ไม่รู้", "โทร 0812345678", "บ้าน"])
def test_an_address_that_does_not(address):
    assert not mentions_a_place(address, [name for _, name in VILLAGES])
