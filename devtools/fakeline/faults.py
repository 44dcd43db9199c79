"""Fault injection: LINE failing (500, 429 with Retry-After), answering slowly, or hanging past a timeout."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from http import HTTPStatus

from flask import request

from devtools.fakeline.answers import Answer, error

_FAULT_MESSAGES = {
    429: "The API rate limit has been exceeded. Try again later.",
    500: "An error occurred in the server",
}


@dataclass
class Fault:
    """The next ``remaining`` calls whose path matches fail with ``status`` or hang for ``seconds``."""

    remaining: int
    pattern: re.Pattern | None
    status: int = 500
    retry_after: int | None = None
    seconds: float = 0.0

    def matches(self, path: str) -> bool:
        return self.pattern is None or self.pattern.search(path) is not None


class FaultInjection:
    """FakeLine's fault injection, checked for every authenticated call."""

    # Set up by FakeLine.__init__.
    _lock: threading.Lock
    _latency: float
    _failures: list[Fault]
    _hangs: list[Fault]

    def fail_next(
        self, n: int, status: int = 500, *, retry_after: int | None = None, paths: str | None = None
    ) -> None:
        """Answer the next ``n`` authenticated calls whose path matches ``paths``
        (a regex searched in the path; None = any) with ``status`` and LINE's error body."""
        if n <= 0:
            return
        pattern = re.compile(paths) if paths else None
        with self._lock:
            self._failures.append(Fault(n, pattern, status=status, retry_after=retry_after))

    def set_latency(self, seconds: float) -> None:
        """Every call sleeps this long before it is handled."""
        self._latency = seconds

    def hang_next(self, n: int, seconds: float, *, paths: str | None = None) -> None:
        """Delay the answer to the next ``n`` matching calls by ``seconds``.

        The call takes effect first, as when LINE accepts a request but the
        client times out waiting: a retry with the same retry key gets 409 and
        a reused reply token gets 400, exactly as on the real platform.
        """
        if n <= 0:
            return
        pattern = re.compile(paths) if paths else None
        with self._lock:
            self._hangs.append(Fault(n, pattern, seconds=seconds))

    def _take(self, faults: list[Fault], path: str) -> Fault | None:
        with self._lock:
            for fault in faults:
                if fault.matches(path):
                    fault.remaining -= 1
                    if not fault.remaining:
                        faults.remove(fault)
                    return fault
        return None

    def _injected_failure(self) -> Answer | None:
        fault = self._take(self._failures, request.path)
        if fault is None:
            return None
        message = _FAULT_MESSAGES.get(fault.status) or HTTPStatus(fault.status).phrase
        answer = error(fault.status, message)
        if fault.retry_after is not None:
            answer.headers["Retry-After"] = str(fault.retry_after)
        return answer
