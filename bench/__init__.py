"""Benchmarks, each run as a module from the repository root: `python -m bench.webhook` (webhook
throughput and latency), `python -m bench.reminders`, ...; bench.scaling for curves.

They share the tests' helpers for throwaway databases (tests/helpers.py: THROWAWAY_DATA_KEY,
fresh_postgres), so the package puts tests/ on the import path once, for every benchmark.
"""
import sys
from pathlib import Path

TESTS = str(Path(__file__).resolve().parent.parent / "tests")
if TESTS not in sys.path:
    sys.path.append(TESTS)
