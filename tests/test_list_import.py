"""Importing the ministry's list with `flask --app bot list import`: 25,000 rows, broken files, newer lists.

Nothing is ever half-imported, re-importing changes nothing, and a newer list updates what it says
about each child without touching their history.
"""
from __future__ import annotations

import time
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from devtools.synthetic import broken_list, generate_list, list_table, to_csv, to_xlsx
from domain.official_list import importer as list_import
from models import Area, AuditEntry, Case, CaseEvent, record_event

pytestmark = pytest.mark.usefixtures("areas")


def run(app, *args, input: str | None = None):
    return app.test_cli_runner().invoke(args=["list", "import", *map(str, args)], input=input)


def count(db, model=Case, *where) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def write(tmp_path, rows, name="list.csv", **table) -> str:
    path = tmp_path / name
    path.write_bytes(to_csv(list_table(rows, **table)))
    return path


@pytest.mark.bulk
def test_twenty_five_thousand_rows_import_in_one_go_and_again_change_nothing(app, db, tmp_path):
    rows = generate_list(25_000, seed=7)
    path = tmp_path / "list.csv"
    path.write_bytes(to_csv(list_table(rows), "cp874"))  # XLSX reads slower: docs/performance.md
    started = time.perf_counter()
    result = run(app, path)
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    assert "รายชื่อใหม่ 25,000 คน" in result.output
    # Generous for a shared test machine; docs/performance.md has the measured figures.
    assert elapsed < 30, f"{elapsed:.1f} s"
    assert count(db) == 25_000 and count(db, CaseEvent) == 25_000
    with db.transaction() as session:
        placed = session.scalar(select(func.count()).select_from(Case).join(Area).where(Area.level == "village"))
        assert placed == 25_000
        assert set(session.scalars(select(Case.status).distinct())) == {"to_find"}
    again = run(app, path)
    assert "รายชื่อใหม่ 0 คน, ปรับปรุงข้อมูล 0 คน, ไม่เปลี่ยนแปลง 25,000 คน" in again.output
    assert count(db) == 25_000 and count(db, CaseEvent) == 25_000


def test_a_list_becomes_cases_to_find_in_their_villages(app, db, tmp_path):
    rows = generate_list(30, seed=1)
    result = run(app, write(tmp_path, rows))
    assert result.exit_code == 0 and "รายชื่อใหม่ 30 คน" in result.output
    with db.transaction() as session:
        cases = {c.national_id: c for c in session.scalars(select(Case))}
        for row in rows:
            case = cases[row.national_id]
            assert (case.status, case.source, case.area.code) == ("to_find", "list", row.area_code)
            assert (case.first_name, case.last_name, case.birth_date, case.sex) == (
                row.first_name, row.last_name, row.birth_date, row.sex)
            assert (case.grade, case.previous_school, case.list_group) == (row.grade, row.previous_school, row.group)
            assert case.title in ("เด็กชาย", "เด็กหญิง", "นาย", "นางสาว")  # as reports store them
            assert case.address == f"{row.house_no} หมู่ {row.moo}"
        [event] = cases[rows[0].national_id].events
        assert (event.kind, event.to_status, event.source, event.details["row"]) == ("listed", "to_find", "cli", 2)
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "import"))
        assert (entry.detail["created"], entry.detail["file"], entry.source) == (30, "list.csv", "cli")


def test_a_broken_list_asks_before_importing_the_valid_rows(app, db, tmp_path):
    broken = broken_list(40, seed=2)
    path = tmp_path / "broken.csv"
    path.write_bytes(to_csv(broken.table, "cp874"))  # Thai Windows encoding, as government files often are
    declined = run(app, path, input="n\n")
    assert declined.exit_code == 1 and count(db) == 0
    assert "ไม่ผ่าน 6 แถว" in declined.output and "นำเข้าเฉพาะ 34 แถวที่ถูกต้องหรือไม่" in declined.output
    report = (tmp_path / "broken.csv.errors.csv").read_bytes().decode("utf-8-sig")
    for row, reason in broken.rejected.items():
        assert f"\n{row},ไม่ผ่าน," in report, (row, reason)
    for row in broken.valid:
        assert row.national_id not in report
    accepted = run(app, path, input="y\n")
    assert accepted.exit_code == 0 and "รายชื่อใหม่ 34 คน" in accepted.output
    assert count(db) == len(broken.valid)
    # --yes for scripts; the same file again changes nothing.
    assert "ไม่เปลี่ยนแปลง 34 คน" in run(app, path, "--yes").output


def test_a_csv_and_an_xlsx_of_the_same_name_write_their_own_error_reports(app, db, tmp_path):
    broken = broken_list(20, seed=4)
    as_csv, as_xlsx = tmp_path / "list.csv", tmp_path / "list.xlsx"
    as_csv.write_bytes(to_csv(broken.table))
    as_xlsx.write_bytes(to_xlsx(broken.table))
    for path in (as_csv, as_xlsx):
        result = run(app, path, "--dry-run")
        assert result.exit_code == 0 and f"รายงานปัญหาทุกแถว: {path}.errors.csv" in result.output, result.output
    reports = {path.name: path.read_bytes() for path in tmp_path.glob("*.errors.csv")}
    assert sorted(reports) == ["list.csv.errors.csv", "list.xlsx.errors.csv"]
    assert all(f"\n{row},ไม่ผ่าน," in report.decode("utf-8-sig") for report in reports.values() for row in broken.rejected)


def test_a_row_with_an_id_but_no_name_is_imported_with_a_warning_naming_its_row(app, db, tmp_path):
    rows = generate_list(3, seed=5)
    nameless = replace(rows[1], title=None, first_name=None, last_name=None)
    result = run(app, write(tmp_path, [rows[0], nameless, rows[2]]))
    assert result.exit_code == 0, result.output
    assert "ไม่ผ่าน 0 แถว" in result.output and "มีเลขประจำตัวแต่ไม่มีชื่อ 1 แถว" in result.output
    assert "แถว 3 ชื่อ: มีเลขประจำตัวแต่ไม่มีชื่อ" in result.output and "รายชื่อใหม่ 3 คน" in result.output
    with db.transaction() as session:
        assert session.scalar(select(Case.first_name).where(Case.national_id == nameless.national_id)) == ""


def test_dry_run_and_an_errors_path(app, db, tmp_path):
    broken = broken_list(20, seed=4)
    path = tmp_path / "broken.csv"
    path.write_bytes(to_csv(broken.table))
    errors = tmp_path / "out" / "problems.csv"
    errors.parent.mkdir()
    result = run(app, path, "--dry-run", "--errors", errors)
    assert result.exit_code == 0 and "ยังไม่ได้นำเข้า" in result.output
    assert errors.exists() and count(db) == 0


@pytest.mark.parametrize("content, message", [
    (b"", "ว่างเปล่า"),
    (to_csv(broken_list(12, wrong_headers=True).table), "ไม่มีคอลัมน์"),
    (to_csv([["ลำดับ", "หมายเหตุ"]]), "ไม่พบแถวหัวตาราง"),
    (to_xlsx([]), "ไม่พบแถวหัวตาราง"),  # an empty sheet
])
def test_a_file_that_cannot_be_used_imports_nothing(app, db, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    result = run(app, path, "--yes")
    assert result.exit_code == 1 and message in result.output and count(db) == 0


def test_a_file_over_50_mb_is_refused_before_reading(app, db, tmp_path):
    path = tmp_path / "huge.csv"
    with open(path, "wb") as f:
        f.write(to_csv(list_table(generate_list(10))))
        f.truncate(50 * 1024 * 1024 + 1)
    result = run(app, path, "--yes")
    assert result.exit_code == 1 and "เกินขนาดที่รับได้ 50 MB" in result.output and count(db) == 0


def test_a_failure_half_way_leaves_nothing_imported(app, db, tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(list_import, "_update", fail)
    result = run(app, write(tmp_path, generate_list(50)))
    assert result.exit_code == 1 and isinstance(result.exception, RuntimeError)
    assert count(db) == 0 and count(db, CaseEvent) == 0


def test_a_newer_list_updates_the_children_and_keeps_their_history(app, db, tmp_path):
    rows = generate_list(10, seed=9)
    run(app, write(tmp_path, rows))
    with db.transaction() as session:
        # A reporter has already found the third child, in another village than the list says.
        found = session.scalar(select(Case).where(Case.national_id == rows[2].national_id))
        elsewhere = session.scalar(select(Area).where(Area.code == "40020101"))
        record_event(session, found, "checked_in", None, to_status="found")
        found.area, found.address = elsewhere, "บ้านญาติ"
    village = "40010101" if rows[0].area_code != "40010101" else "40010201"
    newer = [
        replace(rows[0], grade="ม.1", previous_school="โรงเรียนใหม่"),  # the list says more
        replace(rows[1], moo=int(village[6:]), subdistrict={"40010101": "ในเมือง", "40010201": "สำราญ"}[village],
                district="เมืองขอนแก่น", area_code=village),  # moved on the list, not yet visited
        replace(rows[2], moo=int(village[6:]), subdistrict={"40010101": "ในเมือง", "40010201": "สำราญ"}[village],
                district="เมืองขอนแก่น", area_code=village, grade="ป.9"),
        *rows[3:8],  # unchanged; rows 8 and 9 are not on the newer list: they stay
        *generate_list(2, seed=99),  # new children
    ]
    result = run(app, write(tmp_path, newer, name="newer.csv"))
    assert "รายชื่อใหม่ 2 คน, ปรับปรุงข้อมูล 3 คน, ไม่เปลี่ยนแปลง 5 คน" in result.output
    assert count(db) == 12
    with db.transaction() as session:
        def case_of(row):
            return session.scalar(select(Case).where(Case.national_id == row.national_id))

        assert (case_of(rows[0]).grade, case_of(rows[0]).previous_school) == ("ม.1", "โรงเรียนใหม่")
        assert case_of(rows[1]).area.code == village
        visited = case_of(rows[2])
        # The field knows better than the list where a found child is; the list's own fields still change.
        assert (visited.area.code, visited.address, visited.grade, visited.status) == (
            "40020101", "บ้านญาติ", "ป.9", "found")
        kinds = [e.kind for e in visited.events]
        assert kinds == ["listed", "checked_in", "list_updated"]
        assert visited.events[-1].details["changed"] == {"grade": [rows[2].grade, "ป.9"]}
        assert case_of(rows[1]).events[-1].details["changed"]["area_id"][1] == case_of(rows[1]).area_id


def test_children_without_an_id_are_matched_by_name_birth_and_area(app, db, tmp_path):
    rows = [replace(r, national_id=None) for r in generate_list(6, seed=11)]
    twice = [*rows, replace(rows[0], row=99)]  # the same child twice in one file
    first = run(app, write(tmp_path, twice))
    assert "รายชื่อใหม่ 6 คน" in first.output and "ซ้ำกันในไฟล์ (นำเข้าครั้งเดียว) 1 แถว" in first.output
    again = run(app, write(tmp_path, rows))
    assert "ไม่เปลี่ยนแปลง 6 คน" in again.output and count(db) == 6
    # A newer list with the IDs fills them in on the same cases.
    with_ids = generate_list(6, seed=11)
    assert "ปรับปรุงข้อมูล 6 คน" in run(app, write(tmp_path, with_ids)).output
    assert count(db) == 6 and count(db, Case, Case.national_id.is_(None)) == 0


def test_an_address_the_area_tree_does_not_fully_know(app, db, tmp_path):
    rows = generate_list(3, seed=12)
    rows[0] = replace(rows[0], subdistrict="ไม่มีตำบลนี้", moo=None)
    rows[1] = replace(rows[1], province="ไม่มีจังหวัดนี้", district="ไม่มี", subdistrict="ไม่มี", moo=None)
    result = run(app, write(tmp_path, rows), "--yes")
    assert "ยังไม่ได้จัดเข้าพื้นที่ 1 คน" in result.output
    with db.transaction() as session:
        def case_of(row):
            return session.scalar(select(Case).where(Case.national_id == row.national_id))

        assert case_of(rows[0]).area.code == rows[0].area_code[:4]  # placed as far as the address reaches
        assert case_of(rows[1]).area is None  # only national coordinators see it
