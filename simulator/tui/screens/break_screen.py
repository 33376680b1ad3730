"""A short break between the rounds of a loop, as on a real onsite."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Static

from simulator.engine.session import Session
from simulator.store.transcripts import StoreError

BREAK_SECONDS = 5 * 60


class BreakScreen(Screen[None]):
    BINDINGS = [Binding("enter", "continue", "Next round", id="continue", priority=True)]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.left = BREAK_SECONDS

    def compose(self) -> ComposeResult:
        index = self.session.next_index
        planned = self.session.plan[index]
        title = planned.spec.title or planned.spec.round
        with Vertical(id="break"):
            yield Static(f"Round {index} of {len(self.session.plan)} done.", classes="title")
            yield Static(
                f"Next: {title} — {planned.question.title} "
                f"({planned.spec.minutes or planned.question.minutes} minutes).\n\n"
                "Stretch, drink some water. The next round starts when you are ready, or when the "
                "break is over.",
                markup=False,
            )
            yield Static("", id="break-clock")
            yield Button("Start the next round (enter)", id="go", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        # Put the announced round on disk now: a session resumed from this break must play
        # the question announced here, not draw a new one.
        self.session.runner(self.session.next_index)
        try:
            self.session.save()
        except StoreError as err:
            self.notify(str(err), severity="error", timeout=12)
        self._tick()
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        self.query_one("#break-clock", Static).update(
            f"Break: {self.left // 60}:{self.left % 60:02d}"
        )
        if self.left <= 0:
            self.action_continue()
        self.left -= 1

    def on_button_pressed(self) -> None:
        self.action_continue()

    def action_continue(self) -> None:
        if self.is_current:
            self.dismiss(None)
