"""scripts/run-local: one command runs the web server, the scheduler and a sender, and stops them together."""
from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import urllib.request
from pathlib import Path

import pytest

from helpers import wait_for

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def in_session(sid: int) -> dict[int, str]:
    """The live processes of a session, with their command lines (zombies are already gone for good)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # The command name may hold spaces and brackets: the fields after it are split from the last ")".
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) == sid and fields[0] != "Z":
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return found


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def scheduler_holds_the_lease(database: Path) -> bool:
    if not database.exists():
        return False
    conn = sqlite3.connect(database, timeout=5)
    try:
        return conn.execute("SELECT holder FROM scheduler_leases WHERE holder IS NOT NULL").fetchone() is not None
    except sqlite3.OperationalError:  # the migrations have not made the table yet
        return False
    finally:
        conn.close()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="counts the processes it started through /proc")
def test_run_local_starts_web_scheduler_and_sender_and_stops_them_all(tmp_path):
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("LINE_", "DATABASE_", "QUIET"))}
    env.update(PORT=str(port), INSTANCE_PATH=str(tmp_path), RUN_LOCAL_SETUP="0", SCHEDULER_LEASE_SECONDS="6")
    log = (tmp_path / "run-local.log").open("wb")
    # A session of its own: every process it starts is in it, so none can slip away unseen.
    proc = subprocess.Popen([str(ROOT / "scripts" / "run-local")], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)

    def output() -> str:
        return (tmp_path / "run-local.log").read_text(errors="replace")[-3000:]

    try:
        wait_for(lambda: healthy(port) or proc.poll() is not None, output, timeout=90)
        assert proc.poll() is None, output()
        wait_for(lambda: scheduler_holds_the_lease(tmp_path / "bot.sqlite3"), output, timeout=60)
        commands = in_session(proc.pid)
        assert [c for c in commands.values() if "scheduler run" in c], commands
        assert [c for c in commands.values() if "sender run" in c], commands
        assert [c for c in commands.values() if "devtools run" in c], commands

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) != 0
        wait_for(lambda: not in_session(proc.pid), lambda: f"processes left behind: {in_session(proc.pid)}",
                 timeout=15)
        assert not healthy(port)
    finally:
        if in_session(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        log.close()
