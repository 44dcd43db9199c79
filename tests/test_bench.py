"""The benchmark helpers: the scaling curve, the docs writer, and the event mixes."""
from __future__ import annotations

import json
import time
from contextlib import nullcontext

import psycopg
import pytest
from sqlalchemy import func, select

from bench import common, export, scaling, summary
from bench.mixes import MIXES, events
from models import Case


def test_scaling_curve_times_each_size_and_judges_growth():
    prepared = []

    def prepare(size):
        prepared.append(size)
        return nullcontext(size)

    curve = scaling.Curve("sleep", "items", prepare, lambda n: time.sleep(n / 100_000), base=1_000,
                          target_seconds=1)
    points = scaling.measure(curve, (1, 10))
    assert prepared == [1_000, 10_000] and [p.size for p in points] == [1_000, 10_000]
    assert 0.5 < scaling.growth(points) < 1.3
    assert scaling.verdict(points) == "linear or better"
    table = scaling.rows(curve, points)
    assert table[0][5].endswith("met") and table[-1][5] == "linear or better"


def test_quadratic_work_is_called_superlinear():
    points = [scaling.Point(1_000, 0.01), scaling.Point(10_000, 1.0)]
    assert scaling.growth(points) == 2.0 and scaling.verdict(points) == "SUPERLINEAR"


def test_each_benchmark_rewrites_only_its_own_section(tmp_path):
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\nIntro stays.\n")
    common.write_section("a", "first A", doc)
    common.write_section("b", "first B", doc)
    common.write_section("a", "second A", doc)
    text = doc.read_text()
    assert "Intro stays." in text and "second A" in text and "first B" in text and "first A" not in text
    assert text.index("second A") < text.index("first B")


def test_markdown_table_lines_up():
    lines = common.table(["a", "bb"], [[1, 2], ["long", 3]]).splitlines()
    assert lines[0] == "| a    | bb |" and lines[1] == "|------|----|" and len({len(x) for x in lines}) == 1


def test_mixes_interleave_users_and_give_every_event_its_own_id(line):
    users = ["Ualice", "Ubob"]
    made = list(events(line, MIXES["mixed"], users, 20))
    assert [e["source"]["userId"] for e in made[:4]] == ["Ualice", "Ubob", "Ualice", "Ubob"]
    assert len({e["webhookEventId"] for e in made}) == 20
    assert {e["type"] for e in made} >= {"follow", "message", "postback", "unfollow"}
    json.dumps(made)


def test_procfile_has_the_web_and_release_processes():
    assert "gunicorn" in common.procfile("web") and "db upgrade" in common.procfile("release")


def test_summary_benchmark_builds_a_national_tree_and_times_every_scope():
    rows = list(summary.area_rows())
    assert len(rows) == 77 + 77 * 12 + 77 * 12 * 8 + 77 * 12 * 8 * 10
    seen = set()
    for code, _, _, parent in rows:  # parents first, as COPY with foreign keys needs
        assert parent is None or parent in seen
        seen.add(code)
    try:
        psycopg.connect(common.POSTGRES_ADMIN_URL, connect_timeout=3).close()
    except psycopg.OperationalError:
        pytest.skip("PostgreSQL not reachable")
    with summary._stack:
        with summary.cases(2_000) as db:
            for scope in summary.SCOPES:
                summary.timed(scope)(db)
            assert "Aggregate" in "\n".join(summary.explain(db, "province"))
    assert summary._databases == {}
def test_the_checking_in_mix_walks_a_real_check_in(db, line, chat):
    MIXES["checkin"].prepare(db, [chat.user_id])
    replies = [chat.send(event) for event in MIXES["checkin"].conversation(line, chat.user_id)]
    assert replies[0][1]["type"] == "flex" and "(หน้า 2/" in replies[1][0]["text"]
    assert "ผลการติดตาม" in replies[3][0]["text"] and "บันทึกการเช็กอินแล้ว" in replies[-1][0]["text"]


def test_the_report_mix_walks_a_whole_report_of_a_new_child_each_time(db, line, chat):
    MIXES["report"].prepare(db, [chat.user_id])
    for walk in range(2):
        replies = [chat.send(event) for event in MIXES["report"].conversation(line, chat.user_id)]
        assert "ม.1 สำราญ" in json.dumps(replies[3], ensure_ascii=False)  # the village step offers it
        assert "เลขที่เรื่อง" in replies[-1][-1]["text"], replies[-1]
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 2  # two children, two cases


def test_the_one_message_mix_reaches_a_case_with_the_gaps_asked(db, line, chat):
    MIXES["one_message"].prepare(db, [chat.user_id])
    for walk in range(2):
        replies = [chat.send(event) for event in MIXES["one_message"].conversation(line, chat.user_id)]
        assert "ผู้ปกครอง" in replies[0][-1]["text"] and "รูปถ่าย" in replies[1][-1]["text"], replies[:2]
        assert "เลขที่เรื่อง" in replies[-1][-1]["text"], replies[-1]
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 2


def test_the_export_benchmark_times_the_writers_before_and_ours_in_the_same_run():
    markdown = export.main(["--cases", "20", "--no-write"])
    assert all(name in markdown for name in export.WRITERS) and "× openpyxl" in markdown
