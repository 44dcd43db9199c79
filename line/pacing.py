"""When and how fast the sender may call LINE: quiet hours, and a rate limit per endpoint.

Both are shared-nothing: each process paces itself, so the configured rates are per process and
the operator keeps (number of sending processes × rate) under LINE's limit (README, Scaling out).
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from datetime import time as clock_time
from datetime import timedelta

from domain.thai_dates import BANGKOK


@dataclass(frozen=True)
class QuietHours:
    """A nightly window, in Bangkok time, in which nothing is pushed; start may be after end (20:00-07:00)."""

    start: clock_time
    end: clock_time

    @classmethod
    def parse(cls, setting: str) -> QuietHours | None:
        """ "20:00-07:00" -> QuietHours; "" -> None (no quiet hours)."""
        if not setting.strip():
            return None
        start, end = (clock_time.fromisoformat(part.strip()) for part in setting.split("-"))
        return cls(start, end)

    def contains(self, local: clock_time) -> bool:
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def release(self, now: datetime) -> datetime | None:
        """When a push held back at `now` may go (an aware datetime), or None when it may go now."""
        local = now.astimezone(BANGKOK)
        if not self.contains(local.time()):
            return None
        morning = datetime.combine(local.date(), self.end, tzinfo=BANGKOK)
        if morning <= local:
            morning = datetime.combine(local.date() + timedelta(days=1), self.end, tzinfo=BANGKOK)
        return morning


class TokenBucket:
    """At most `rate` calls a second: a token bucket one token deep, shared by the sender's coroutines.

    The caller sleeps while holding the lock, and the next call's time is counted from when this
    one really goes: a coroutine that wakes late (a busy CPU) cannot bunch up with the next, so any
    one-second window holds at most rate + 1 calls.
    """

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable] = asyncio.sleep):
        self.interval = 1.0 / rate
        self.clock = clock
        self.sleep = sleep
        self._next = clock()
        # An asyncio lock belongs to the loop it first waited on; a sender that restarts has a new loop.
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    async def take(self) -> None:
        """Wait until a call may be made, and count it."""
        loop = asyncio.get_running_loop()
        if self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        async with self._lock:
            wait = self._next - self.clock()
            if wait > 0:
                await self.sleep(wait)
            self._next = max(self.clock(), self._next) + self.interval


class RateLimits:
    """One token bucket per LINE endpoint the sender calls; LINE limits each endpoint separately."""

    def __init__(self, per_second: dict[str, float]):
        self.buckets = {endpoint: TokenBucket(rate) for endpoint, rate in per_second.items() if rate > 0}

    async def take(self, endpoint: str) -> None:
        bucket = self.buckets.get(endpoint)
        if bucket is not None:
            await bucket.take()
