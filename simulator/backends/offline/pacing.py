"""Pacing by the clock: go deeper while time remains, ask one last question near the end,
and close at time, not after a fixed count of answers."""

from __future__ import annotations

from typing import Literal

Phase = Literal["open", "last_question", "close"]

WRAP_UP_SHARE = 0.08
WRAP_UP_MIN_SECONDS = 120.0
MINUTES_PER_PROBE = 3.0
"""About one follow-up exchange every three minutes: the cap on probes a round can ask."""


def wrap_up_seconds(minutes: int) -> float:
    """How close to the end the interviewer stops opening new topics."""
    return max(WRAP_UP_MIN_SECONDS, WRAP_UP_SHARE * minutes * 60)


def max_probes(minutes: int) -> int:
    return max(4, round(minutes / MINUTES_PER_PROBE))


def phase(seconds_left: float, minutes: int, last_question_asked: bool, probes_asked: int) -> Phase:
    """Where the round stands: still open, time for one last question, or time to close."""
    if probes_asked >= max_probes(minutes):
        return "close"
    if seconds_left <= wrap_up_seconds(minutes):
        return "close" if last_question_asked else "last_question"
    return "open"
