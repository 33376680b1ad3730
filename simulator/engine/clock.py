"""Clocks the engine reads; tests inject a FakeClock so nothing ever sleeps."""

from __future__ import annotations

import time
from typing import Protocol

MINUTES_PER_ANSWER = 1.5
"""The quickest pace a real exchange keeps: the cap on answers is the round's minutes over it."""


def answer_cap(minutes: int) -> int:
    """The most answers a round of these minutes takes before it closes whatever the clock
    says: a safety net (a headless run's clock barely moves), not the pacing itself."""
    return max(8, round(minutes / MINUTES_PER_ANSWER))


class Clock(Protocol):
    def now(self) -> float:
        """Seconds, monotonic."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.monotonic()


class FakeClock:
    def __init__(self, start: float = 0.0) -> None:
        self.t = start

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds
