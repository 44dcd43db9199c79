"""Areas from DOPA CSV files, invite codes as people type them, real names."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from domain import people
from domain.thai import InvalidInput
from models import Area

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "areas" / "40-khon-kaen.csv"
THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


# ----------------------------------------------------------------------------- invite codes

@given(st.text(people.INVITE_ALPHABET, min_size=8, max_size=8), st.booleans(), st.booleans(),
       st.sampled_from(["", " ", "-", " - ", "\u200b"]))
def test_an_invite_code_survives_how_people_retype_it(code, lower, thai_digits, separator):
    typed = f"{code[:4]}{separator}{code[4:]}"
    typed = typed.lower() if lower else typed
    typed = typed.translate(THAI_DIGITS) if thai_digits else typed
    assert people.normalize_invite_code(f"  {typed} ") == code


def test_new_invite_codes_avoid_look_alikes():
    codes = {people.new_invite_code() for _ in range(200)}
    assert len(codes) == 200
    assert not any(set(code) & set("0O1IL") for code in codes)
    assert people.format_invite_code("ABCD2345") == "ABCD-2345"


@pytest.mark.parametrize(("typed", "message"), [
    ("ABCD234", "8 ตัว"),
    ("ABCD23456", "8 ตัว"),
    ("ABCD-O123", "8 ตัว"),  # O and 1 are never in a code
    ("ฟหกดเ้่า", "แป้นพิมพ์อาจยังเป็นภาษาไทย"),
    ("", "8 ตัว"),
])
def test_malformed_invite_codes_get_a_thai_reason(typed, message):
    with pytest.raises(InvalidInput) as raised:
        people.normalize_invite_code(typed)
    assert message in raised.value.message


# ----------------------------------------------------------------------------- names

@pytest.mark.parametrize(("typed", "name"), [
    ("สมชาย ใจดี", "สมชาย ใจดี"),
    ("  นาย สมชาย   ใจดี ", "นาย สมชาย ใจดี"),
    ("Somchai Jaidee", "Somchai Jaidee"),
    ("ณัฐ-พล ศรีสุข", "ณัฐ-พล ศรีสุข"),
])
def test_real_names(typed, name):
    assert people.parse_real_name(typed) == name


@pytest.mark.parametrize("typed", ["", "สมชาย", "สมชาย 123", "😀 ใจดี", "ก " * 60])
def test_not_real_names(typed):
    with pytest.raises(InvalidInput):
        people.parse_real_name(typed)


# ----------------------------------------------------------------------------- area files

@pytest.mark.parametrize(("raw", "code"), [
    ("40", "40"), ("4001", "4001"), ("400101", "400101"), ("40010101", "40010101"),
    ("40000000", "40"), ("40010000", "4001"), ("40010100", "400101"), ("๔๐๐๑", "4001"), (" 4001 ", "4001"),
    ("10", "10"),  # Bangkok keeps its code
])
def test_area_codes_in_short_and_dopa_padded_form(raw, code):
    assert people.normalize_area_code(raw) == code


def test_a_csv_with_thai_headers_in_the_windows_thai_encoding():
    data = "ลำดับ,รหัส,ชื่อ\n1,40,ขอนแก่น\n2,4001,เมืองขอนแก่น\n\n".encode("cp874")
    assert people.read_area_csv(data) == [(2, "40", "ขอนแก่น"), (3, "4001", "เมืองขอนแก่น")]


def test_a_csv_without_a_header_is_code_then_name():
    data = "\ufeff40,ขอนแก่น\n4001,เมืองขอนแก่น\n".encode()
    assert people.read_area_csv(data) == [(1, "40", "ขอนแก่น"), (2, "4001", "เมืองขอนแก่น")]


def test_the_sample_province_loads_once_and_again_changes_nothing(db):
    rows = people.read_area_csv(SAMPLE.read_bytes())
    with db.transaction() as session:
        first = people.load_areas(session, rows)
    with db.transaction() as session:
        again = people.load_areas(session, rows)
        counts = dict(session.execute(select(Area.level, func.count()).group_by(Area.level)).all())
        district = session.scalar(select(Area).where(Area.code == "4001"))
        subdistrict = session.scalar(select(Area).where(Area.code == "400102"))
    assert (first.created, first.updated, first.unchanged) == (226, 0, 0)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 226)
    assert counts == {"province": 1, "district": 26, "subdistrict": 199}
    assert subdistrict.name == "สำราญ" and subdistrict.parent_id == district.id


def test_loading_renames_and_adds_villages_under_loaded_parents(db, areas):
    rows = [(2, "400102", "สำราญ (ใหม่)"), (3, "40010203", "บ้านหนองใหม่")]
    with db.transaction() as session:
        result = people.load_areas(session, rows)
        village = session.scalar(select(Area).where(Area.code == "40010203"))
        assert (village.level, village.parent.name) == ("village", "สำราญ (ใหม่)")
    assert (result.created, result.updated) == (1, 1)


def test_a_file_with_any_bad_line_loads_nothing(db):
    rows = [(2, "40", "ขอนแก่น"), (3, "4001", "เมืองขอนแก่น"), (4, "401", "สามหลัก"), (5, "4003", ""),
            (6, "4001", "ซ้ำ"), (7, "410101", "ไม่มีอำเภอแม่")]
    with db.transaction() as session, pytest.raises(people.AreaFileError) as raised:
        people.load_areas(session, rows)
    problems = raised.value.problems
    assert [p.split(":")[0] for p in problems] == ["line 4", "line 5", "line 6", "line 7"]
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Area)) == 0


def test_cli_areas_load(app, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["areas", "load", str(SAMPLE)])
    assert result.exit_code == 0 and "226 created" in result.output
    assert "226 unchanged" in runner.invoke(args=["areas", "load", str(SAMPLE)]).output
    assert "subdistrict: 199" in runner.invoke(args=["areas", "count"]).output
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name\n12345,ผิด\n", encoding="utf-8")
    result = runner.invoke(args=["areas", "load", str(bad)])
    assert result.exit_code == 1 and "line 2" in result.output and "nothing loaded" in result.output
