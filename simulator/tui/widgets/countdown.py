"""A countdown for the round: calm, then a warning in the last minutes, then over time."""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Static

WARN_SECONDS = 5 * 60


class Countdown(Static):
    DEFAULT_CSS = """
    Countdown { width: auto; padding: 0 1; text-style: bold; }
    Countdown.-warning { background: $warning 30%; color: $text; }
    Countdown.-over { background: $error 40%; color: $text; }
    """

    seconds_left: reactive[float] = reactive(0.0)

    def watch_seconds_left(self, seconds: float) -> None:
        whole = max(0, int(seconds))
        self.set_class(0 < whole <= WARN_SECONDS, "-warning")
        self.set_class(whole == 0, "-over")
        label = "time's up — wrap up" if whole == 0 else f"{whole // 60:02d}:{whole % 60:02d} left"
        self.update(f"⏱ {label}")
