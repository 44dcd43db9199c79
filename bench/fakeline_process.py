"""The fake LINE platform in a process of its own, for throughput runs.

Served from the benchmark's own process, the fake competes with it for the GIL and its CPU cannot be
told apart from the benchmark's. Here it runs as `python -m bench.fakeline_process`, a fresh
interpreter that imports only what the fake needs, and the benchmark drives it over a socket pair
(multiprocessing's Connection: pickled messages): each request is a module-level function and its
arguments, run in the child as `function(fake, *args)` — a FakeLine method (`FakeLine.take_calls`)
or a function such as bench.mixes.write_bodies, which builds webhook bodies there, since the reply
tokens they carry must be issued by the fake that will accept them. Results (the recorded calls)
come back the same way.
"""
from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from devtools.fakeline import FakeLine

ROOT = Path(__file__).resolve().parent.parent

# Calls that can be under way at once (each sleeps through the latency in a thread of its own):
# at 100 ms a call, ~5,000 calls/s, more than any sender here keeps in flight.
THREADS = 512


class FakeLineProcess:
    """A FakeLine serving from a child process; `run(function, *args)` runs `function(fake, *args)` there."""

    def __init__(self, channel_secret: str, access_token: str, threads: int = THREADS):
        ours, theirs = socket.socketpair()
        with theirs:
            self.process = subprocess.Popen([sys.executable, "-m", "bench.fakeline_process", str(theirs.fileno())],
                                            cwd=ROOT, pass_fds=[theirs.fileno()])
        self._conn = Connection(ours.detach())
        self._conn.send((channel_secret, access_token, threads))
        self.url: str = self._receive()

    @property
    def pid(self) -> int:
        return self.process.pid

    def send(self, function: Callable[..., Any], *args: Any) -> None:
        """Start `function(fake, *args)` in the child; `receive()` waits for its result. Requests run
        one after another, in the order sent."""
        self._conn.send((function, args))

    def receive(self) -> Any:
        return self._receive()

    def run(self, function: Callable[..., Any], *args: Any) -> Any:
        self.send(function, *args)
        return self.receive()

    def _receive(self) -> Any:
        try:
            ok, result = self._conn.recv()
        except EOFError:
            raise RuntimeError(f"the fake LINE process ended ({self.process.wait()})") from None
        if not ok:
            raise RuntimeError(f"in the fake LINE process:\n{result}")
        return result

    def shutdown(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(OSError):
                self._conn.send(None)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._conn.close()


def serve(conn: Connection) -> None:
    channel_secret, access_token, threads = conn.recv()
    fake = FakeLine(channel_secret, access_token)
    conn.send((True, fake.serve(threads=threads)))
    while (request := conn.recv()) is not None:
        function, args = request
        try:
            conn.send((True, function(fake, *args)))
        except Exception:
            conn.send((False, traceback.format_exc()))
    fake.shutdown()


if __name__ == "__main__":
    serve(Connection(int(sys.argv[1])))
