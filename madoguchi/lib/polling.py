"""The one polling loop of the long-running commands (worker, relay): a pass, then a wait,
until SIGTERM or SIGINT; a pass that fails is logged and the loop goes on. Django-free."""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class Loop:
    """``run(one_pass)`` calls ``one_pass()`` until stopped; it returns the seconds to wait
    before the next pass. A signal ends the wait at once and the loop after the pass."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.stopping = False

    def stop(self, *_: object) -> None:
        self.stopping = True

    def run(self, one_pass: Callable[[], float]) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        while not self.stopping:
            try:
                wait = one_pass()
            except Exception:
                log.exception("%s: the pass failed; trying again after a pause", self.name)
                wait = 10.0
            deadline = time.monotonic() + wait
            while not self.stopping and time.monotonic() < deadline:
                time.sleep(0.2)


class Every:
    """True once every ``seconds`` (first call included): for hourly work inside a pass."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.next_at = 0.0

    def due(self) -> bool:
        now = time.monotonic()
        if now < self.next_at:
            return False
        self.next_at = now + self.seconds
        return True
