"""LINE's loading animation (the dots in the chat) for an event whose answer is slow to come.

The dispatcher handles each event inside `LoadingAnimation.while_handling`: when the handling has not
finished after `after` seconds, a timer thread asks LINE once to show the animation, which LINE removes
as soon as the answer arrives. The handling never waits for that call, and a failed call is only logged.
https://developers.line.biz/en/reference/messaging-api/#display-a-loading-indicator
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from line.client import LineClient

log = logging.getLogger(__name__)

# How long LINE shows it at most (5 to 60, in steps of 5): longer than any handling takes, as the
# answer ends it anyway.
SHOWN_SECONDS = 20


class LoadingAnimation:
    def __init__(self, client: LineClient, after: float, seconds: int = SHOWN_SECONDS):
        self.client = client
        # 0 shows it for every event, at once (tests); a negative value never.
        self.after = after
        self.seconds = seconds

    @contextmanager
    def while_handling(self, chat_id: str) -> Iterator[None]:
        """Show the animation in `chat_id` (a user's one-to-one chat) if the block takes longer than `after`."""
        if self.after < 0:
            yield
            return
        timer = threading.Timer(self.after, self._show, args=(chat_id,))
        timer.daemon = True
        timer.name = "loading-animation"
        timer.start()
        try:
            yield
        finally:
            # At 0 it is shown however quick the handling (a test's setting). A timer that has fired
            # is past cancelling: its call goes on in its own thread.
            if self.after > 0:
                timer.cancel()

    def _show(self, chat_id: str) -> None:
        try:
            self.client.show_loading(chat_id, self.seconds)
        except Exception as exc:  # LineError, or anything else: the answer comes anyway
            log.warning("loading animation not shown: %s", exc)
