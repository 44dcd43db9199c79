"""LINE's loading animation (the dots in the chat) for an event whose answer is slow to come.

The dispatcher handles each event inside `LoadingAnimation.while_handling`: when the handling has not
finished after `after` seconds, LINE is asked once to show the animation, which LINE removes as soon
as the answer arrives. The handling never waits for that call, and a failed call is only logged.
https://developers.line.biz/en/reference/messaging-api/#display-a-loading-indicator

One watcher thread per process looks at the events under way a few times a second, instead of a
timer thread per event: starting a thread cost more CPU than handling a text step.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from line.client import LineClient

log = logging.getLogger(__name__)

# How long LINE shows it at most (5 to 60, in steps of 5): longer than any handling takes, as the
# answer ends it anyway.
SHOWN_SECONDS = 20
# How often the watcher looks: the animation may start this much later than `after`.
LOOK_EVERY_SECONDS = 0.1


class _Handling:
    __slots__ = ("chat_id", "due", "done")

    def __init__(self, chat_id: str, due: float):
        self.chat_id, self.due, self.done = chat_id, due, False


class LoadingAnimation:
    def __init__(self, client: LineClient, after: float, seconds: int = SHOWN_SECONDS):
        self.client = client
        # 0 shows it for every event, at once (tests); a negative value never.
        self.after = after
        self.seconds = seconds
        # Events under way in the order they started, which is the order they fall due.
        self._under_way: deque[_Handling] = deque()
        self._changed = threading.Condition()
        self._pid: int | None = None
        self._calls: ThreadPoolExecutor | None = None

    @contextmanager
    def while_handling(self, chat_id: str) -> Iterator[None]:
        """Show the animation in `chat_id` (a user's one-to-one chat) if the block takes longer than `after`."""
        if self.after < 0:
            yield
            return
        handling = _Handling(chat_id, time.monotonic() + self.after)
        with self._changed:
            self._ensure_watching()
            self._under_way.append(handling)
            if len(self._under_way) == 1:
                self._changed.notify()
        try:
            yield
        finally:
            handling.done = True

    def _ensure_watching(self) -> None:
        # Threads do not survive a fork: started in the process that handles the events.
        if self._pid == os.getpid():
            return
        self._pid = os.getpid()
        self._under_way.clear()
        # LINE may be slow to answer: the calls wait on their own threads, not the watcher.
        self._calls = ThreadPoolExecutor(4, thread_name_prefix="loading-animation")
        threading.Thread(target=self._watch, name="loading-watcher", daemon=True).start()

    def _watch(self) -> None:
        while True:
            with self._changed:
                while not self._under_way:
                    self._changed.wait()
                wait = self._under_way[0].due - time.monotonic()
                if wait > 0:
                    self._changed.wait(max(wait, LOOK_EVERY_SECONDS))
                    continue
                handling = self._under_way.popleft()
            # At 0 it is shown however quick the handling (a test's setting).
            if not handling.done or self.after == 0:
                self._calls.submit(self._show, handling.chat_id)

    def _show(self, chat_id: str) -> None:
        try:
            self.client.show_loading(chat_id, self.seconds)
        except Exception as exc:  # LineError, or anything else: the answer comes anyway
            log.warning("loading animation not shown: %s", exc)
