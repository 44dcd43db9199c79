"""Every benchmark command docs/performance.md documents runs, at a tiny size, as a fresh clone runs it:
`python -m bench.X` from the repository root, in a process of its own. A tiny run never rewrites the
doc's figures.
"""
from __future__ import annotations

import functools
import re
import shutil
import subprocess
import sys

import pytest

from bench import common
from helpers import postgres_unreachable

# Module: (the smallest run its options allow, whether it needs PostgreSQL).
TINY_RUNS = {
    "webhook": (["--seconds", "1", "--users", "1", "--mix", "text", "--no-write"], True),
    "soak": (["--soak-seconds", "3", "--seconds", "1", "--users", "10", "--sample-seconds", "1", "--no-write"], True),
    "summary": (["--smoke"], True),
    "list_import": (["--rows", "50", "--scale", "1", "--repeat", "1"], False),
    "list_import_db": (["--smoke"], True),
    "fakeline_validation": (["--repeat", "1"], False),
    "reminders": (["--users", "10", "--pushes", "10"], True),
    "export": (["--cases", "20", "--no-write"], False),
    "pages": (["--smoke"], True),
    "dashboard": (["--smoke"], True),
    "mix_profile": (["--events", "5", "--users", "2", "--top", "3"], True),
}
DOCUMENTED = re.compile(r"python (?:-m bench\.(\w+)|bench/(\w+)\.py)")


def command(module: str, args: list[str]) -> list[str]:
    return [sys.executable, "-m", f"bench.{module}", *args]


@functools.cache
def missing(module: str) -> str | None:
    """Why this benchmark cannot run here, or None."""
    if module in ("webhook", "soak") and shutil.which("wrk") is None:
        return "wrk is not installed"
    if TINY_RUNS[module][1]:
        return postgres_unreachable(common.POSTGRES_ADMIN_URL, "BENCH_POSTGRES_URL or TEST_POSTGRES_URL")
    return None


@pytest.fixture(scope="module")
def tiny_runs():
    """Every tiny run that can run here, started together: most of each is waiting (a process starting,
    migrations, the fake LINE's latency), so together they take about as long as the slowest."""
    before = common.DOC.read_bytes()
    started = {module: subprocess.Popen(command(module, TINY_RUNS[module][0]), cwd=common.ROOT, text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for module in TINY_RUNS if missing(module) is None}
    yield before, started
    for process in started.values():
        if process.poll() is None:
            process.kill()
            process.communicate()


@pytest.mark.parametrize("module", sorted(TINY_RUNS))
def test_documented_benchmark_runs_at_a_tiny_size_and_leaves_the_doc(tiny_runs, module):
    if reason := missing(module):
        pytest.skip(reason)
    before, started = tiny_runs
    out, err = started[module].communicate(timeout=180)
    assert started[module].returncode == 0, out[-2000:] + err[-4000:]
    assert common.DOC.read_bytes() == before, "a tiny run rewrote docs/performance.md"


def test_webhook_without_wrk_says_so_without_a_traceback():
    if shutil.which("wrk") is not None:
        pytest.skip("wrk is installed: the benchmark itself runs above")
    finished = subprocess.run(command("webhook", TINY_RUNS["webhook"][0]), cwd=common.ROOT, capture_output=True,
                              text=True, timeout=60)
    assert finished.returncode != 0
    assert "needs wrk" in finished.stderr and "Traceback" not in finished.stderr, finished.stderr


def test_every_benchmark_the_doc_names_has_a_tiny_run():
    found = DOCUMENTED.findall(common.DOC.read_text())
    # Run as a script, bench/ alone is on the path and the project's packages do not import.
    assert not [script for _, script in found if script], "document `python -m bench.X`, not bench/X.py"
    assert {module for module, _ in found} == set(TINY_RUNS)
