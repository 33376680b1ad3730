"""A countdown for the round: calm, then a warning in the last minutes, then over time."""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Static

WARN_SECONDS = 5 * 60
"""The warning for a round of normal length (25 minutes or more)."""


def warning_seconds(budget: float) -> float:
    """When to warn that time runs short: five minutes before the end, but never more than a
    fifth of the round (a 5-minute round warns at 1 minute left, a 10-minute one at 2)."""
    fifth = max(60, int(budget / 5) // 60 * 60)
    return min(WARN_SECONDS, fifth)


class Countdown(Static):
    DEFAULT_CSS = """
    Countdown { width: auto; padding: 0 1; text-style: bold; }
    Countdown.-warning { background: $warning 30%; color: $text; }
    Countdown.-over { background: $error 40%; color: $text; }
    """

    seconds_left: reactive[float] = reactive(0.0)
    warn_at: reactive[float] = reactive(float(WARN_SECONDS))

    def watch_seconds_left(self, seconds: float) -> None:
        whole = max(0, int(seconds))
        self.set_class(0 < whole <= self.warn_at, "-warning")
        self.set_class(whole == 0, "-over")
        label = "time's up — wrap up" if whole == 0 else f"{whole // 60:02d}:{whole % 60:02d} left"
        self.update(f"⏱ {label}")
