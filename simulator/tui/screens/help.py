"""Every key binding, grouped by screen, from the bindings themselves (so it never goes stale)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown


def _rows(bindings: list[BindingType]) -> list[str]:
    rows = []
    for binding in bindings:
        if not isinstance(binding, Binding):
            continue  # the tuple shorthand; none of ours use it
        rows.append(f"| `{binding.key}` | {binding.description or binding.action} |")
    return rows


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        from simulator.tui.app import OnsiteApp
        from simulator.tui.screens.coding import CodingScreen
        from simulator.tui.screens.home import HomeScreen
        from simulator.tui.screens.interview import InterviewScreen
        from simulator.tui.screens.review import ReviewScreen

        parts = [
            "# Keys",
            "",
            "Answers are sent with **ctrl+j** or **F5** in every terminal (ctrl+enter too, "
            "where the terminal passes it on; tmux and many terminals do not). "
            "Long answers: **F2** opens `$EDITOR`. The mouse works but is never needed.",
            "",
        ]
        for title, cls in (
            ("Everywhere", OnsiteApp),
            ("Home", HomeScreen),
            ("Interview", InterviewScreen),
            ("Coding", CodingScreen),
            ("Review", ReviewScreen),
        ):
            parts += [
                f"## {title}",
                "",
                "| Key | Action |",
                "| --- | --- |",
                *_rows(cls.BINDINGS),
                "",
            ]
        parts += [
            "`ctrl+p` opens the command palette: practise a round, run a loop, review, "
            "edit the profile, switch theme."
        ]
        with VerticalScroll(id="help"):
            yield Markdown("\n".join(parts))
