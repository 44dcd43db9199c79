"""What every benchmark needs: the PostgreSQL server for throwaway databases (helpers.fresh_postgres),
the Procfile's processes, CPU accounting per process, the machine's description, and writing results
to docs/performance.md.
"""
from __future__ import annotations

import contextlib
import os
import platform
import pstats
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from urllib.request import urlopen

import psycopg

from bot import create_app
from bot.db_cli import upgrade_database
from helpers import THROWAWAY_DATA_KEY, fresh_postgres, wait_for

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"
POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL",
                                    os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"))
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def procfile(process_type: str) -> str:
    """The command line of one Procfile process type, exactly as production runs it."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        kind, _, command = line.partition(":")
        if kind.strip() == process_type:
            return command.strip()
    raise KeyError(f"Procfile has no {process_type!r} process")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def venv_env(**extra: str) -> dict[str, str]:
    """The environment for a child process: this venv's tools first on PATH, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in ("WEB_CONCURRENCY", "WEB_THREADS")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    # The Procfile's processes refuse to start on PostgreSQL without a key and a public https address.
    env.setdefault("DATA_ENCRYPTION_KEY", THROWAWAY_DATA_KEY)
    env.setdefault("PUBLIC_BASE_URL", "https://bot.example.go.th")
    env.update(extra)
    return env


def throwaway_app(database_url: str, **settings: object):
    """The app on a benchmark's own database, with the throwaway data key: a benchmark never asks
    for DATA_ENCRYPTION_KEY. TESTING: no LINE channel is needed to time work in-process."""
    return create_app({"DATABASE_URL": database_url, "TESTING": True, "DATA_ENCRYPTION_KEY": THROWAWAY_DATA_KEY,
                       **settings})


@contextlib.contextmanager
def migrated_app(backend: str, **settings: object) -> Iterator:
    """throwaway_app on a new, migrated database: a SQLite file, or ("postgresql") a database of its own
    on the server of POSTGRES_ADMIN_URL; both gone afterwards."""
    with contextlib.ExitStack() as stack:
        if backend == "sqlite":
            url = f"sqlite:///{Path(stack.enter_context(tempfile.TemporaryDirectory())) / 'bench.sqlite3'}"
        else:
            url = stack.enter_context(fresh_postgres(POSTGRES_ADMIN_URL, "bench"))
        app = throwaway_app(url, **settings)
        stack.callback(app.extensions["db"].dispose)
        with app.app_context():
            upgrade_database()
        yield app


def run_release(env: dict[str, str]) -> None:
    """The Procfile's release step (the migrations) against env's DATABASE_URL."""
    subprocess.run(["bash", "-c", procfile("release")], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


class Gunicorn:
    """The Procfile's web process on a loopback port; `app` swaps in another WSGI app (the floor)."""

    def __init__(self, env: dict[str, str], app: str | None = None, log_path: Path | None = None):
        self.port = free_port()
        command = procfile("web").replace("0.0.0.0", "127.0.0.1")
        if app is not None:
            command = command.replace("'bot:create_app()'", shlex.quote(app))
        self.command = command
        self.env = {**env, "PORT": str(self.port)}
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_path: str = "/healthz", timeout: float = 30) -> Gunicorn:
        with open(self.log_path or os.devnull, "ab") as log:
            # exec: the PID we hold is gunicorn's master, so signals reach it and not a shell.
            self.process = subprocess.Popen(["bash", "-c", "exec " + self.command], cwd=ROOT, env=self.env,
                                            stdout=log, stderr=log, start_new_session=True)

        def ready() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}: {self.command}")
            with contextlib.suppress(OSError):
                with urlopen(self.url + ready_path, timeout=2):
                    return len(self.worker_pids()) >= 1
            return False

        wait_for(ready, f"gunicorn to answer {ready_path}", timeout)
        return self

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(p) for p in children.read_text().split()] if children.exists() else []

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> Gunicorn:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU time used so far by these processes (all their threads)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            # Fields after the command name, which may itself contain spaces or parentheses.
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def postgres_pids() -> list[int]:
    """The PostgreSQL server's processes on this machine (for CPU accounting only)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    pids.append(int(entry.name))
    return pids


def machine() -> str:
    """One line describing where the figures were measured."""
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GiB RAM"
    postgres = ""
    with contextlib.suppress(Exception):
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3) as conn:
            postgres = ", PostgreSQL " + conn.execute("SHOW server_version").fetchone()[0].split()[0]
    return (f"{os.cpu_count()} cores ({model}){memory}, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}{postgres}")


def today() -> str:
    return datetime.now(timezone.utc).astimezone().strftime("%Y-%m-%d %H:%M %Z")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table, readable as plain text on a terminal too."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |" for row in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def write_section(name: str, markdown: str, path: Path = DOC) -> None:
    """Replace the text between this benchmark's markers in docs/performance.md (add it if absent),
    so each benchmark rewrites only its own figures."""
    begin, end = f"<!-- BEGIN bench:{name} -->", f"<!-- END bench:{name} -->"
    block = f"{begin}\n{markdown.strip()}\n{end}"
    text = path.read_text() if path.exists() else "# Performance\n"
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def publish(name: str, markdown: str, write: bool) -> None:
    """Print a benchmark's section and, unless told not to, put it in docs/performance.md."""
    print(markdown)
    if write:
        write_section(name, markdown)
        print(f"\nwritten to {DOC.relative_to(ROOT)}", file=sys.stderr)


def dictionary_loaded() -> None:
    """Wait for the Thai dictionary, which the web process loads in the background when it starts:
    in-process timings start after it."""
    for thread in threading.enumerate():
        if thread.name == "thai-dictionary":
            thread.join()


PROJECT_PACKAGES = ("/handlers/", "/chat/", "/domain/", "/line/", "/models/", "/bot/")
# Where a profiled function's own time is counted, by its file's path and its name (for functions in C,
# whose path is "~"): the first part that matches (the SDK's own models/ is the SDK's).
PARTS = (
    ("SQLAlchemy and the database driver", ("sqlalchemy/", "psycopg", "sqlite3")),
    ("the SDK and pydantic (parsing the event, any SDK model)", ("pydantic/", "linebot/")),
    ("encrypting and decrypting fields", ("models/crypto.py", "cryptography")),
    ("JSON", ("json/", "_json")),
    ("the bot's own code", PROJECT_PACKAGES),
)


def profile_parts(stats: pstats.Stats) -> list[tuple[str, float]]:
    """Each function's own time, summed by where it lives (PARTS), as shares of the whole."""
    spent: dict[str, float] = defaultdict(float)
    for (path, _, function), (_, _, own, _, _) in stats.stats.items():
        where = f"{path}:{function}"
        spent[next((name for name, marks in PARTS if any(m in where for m in marks)), "everything else")] += own
    total = sum(spent.values()) or 1
    return sorted(((name, seconds / total) for name, seconds in spent.items()), key=lambda p: -p[1])
