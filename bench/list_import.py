"""Time the official-list reader on generated lists: CSV (UTF-8 with BOM, cp874) and XLSX.

    .venv/bin/python -m bench.list_import                  # 25,000 and 250,000 rows
    .venv/bin/python -m bench.list_import --scale 1 --repeat 5

Parsing includes placing every row in the area tree.  Wall and CPU seconds are both shown: on a busy
machine the CPU time is the steadier figure.  The figures are printed, for docs/performance.md.
"""
from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import date

from devtools.synthetic import SAMPLE_AREAS, generate_list, list_table, to_csv, to_excel_xlsx, to_xlsx
from domain.official_list.list_areas import AreaIndex
from domain.official_list.reader import read_official_list

TODAY = date(2026, 11, 23)
WRITERS = {
    "CSV UTF-8 (BOM)": (lambda table: to_csv(table, "utf-8-sig"), "list.csv"),
    "CSV cp874": (lambda table: to_csv(table, "cp874"), "list.csv"),
    # openpyxl's own output (inline strings, no declared size) is about three times slower to read
    # than a file saved by Excel, which is what people upload.
    "XLSX (Excel)": (to_excel_xlsx, "list.xlsx"),
    "XLSX (openpyxl)": (to_xlsx, "list.xlsx"),
}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = " ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}, load average {load}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=25_000)
    parser.add_argument("--scale", type=int, nargs="+", default=[1, 10], help="multiples of --rows")
    parser.add_argument("--repeat", type=int, default=3, help="runs per file at x1; the best is shown")
    parser.add_argument("--formats", nargs="+", default=list(WRITERS), choices=list(WRITERS))
    args = parser.parse_args()

    areas = AreaIndex(SAMPLE_AREAS)
    print(f"{date.today().isoformat()} · {machine()}")
    print(f"{'format':<16} {'rows':>9} {'MB':>6} {'wall s':>7} {'cpu s':>7} {'rows/s (cpu)':>13} {'µs/row (cpu)':>13}")
    for scale in args.scale:
        rows = generate_list(args.rows * scale, seed=scale, today=TODAY)
        table = list_table(rows)
        for name in args.formats:
            write, filename = WRITERS[name]
            data = write(table)
            # Large runs once: the point at x10 is the slope, not the noise.
            wall, cpu = min(_timed(data, filename, areas) for _ in range(args.repeat if scale == 1 else 1))
            print(f"{name:<16} {len(rows):>9,} {len(data) / 2**20:>6.1f} {wall:>7.2f} {cpu:>7.2f} "
                  f"{len(rows) / cpu:>13,.0f} {cpu / len(rows) * 1e6:>13.1f}", flush=True)


def _timed(data: bytes, filename: str, areas: AreaIndex) -> tuple[float, float]:
    # The upload limits are for people's files; these are ours, and the x10 one is over 50 MB.
    start, start_cpu = time.perf_counter(), time.process_time()
    report = read_official_list(data, filename, areas=areas, today=TODAY, max_bytes=len(data), max_rows=len(data))
    elapsed = time.perf_counter() - start, time.process_time() - start_cpu
    assert not report.errors and report.rows_read == len(report.rows), "the generated list must be valid"
    return elapsed


if __name__ == "__main__":
    main()
