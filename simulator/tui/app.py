"""The Textual app: a thin client of the engine, the backends and the store.

`make_app(settings)` is the one factory used by the CLI and by the tests. Screens own their
state; workers post messages; styles live in app.tcss.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from textual.actions import SkipAction
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import ModalScreen, Screen

from simulator.catalog import Catalog, default_catalog
from simulator.config import Settings, remember
from simulator.engine.clock import Clock, SystemClock
from simulator.store.drafts import DraftStore
from simulator.store.transcripts import TranscriptStore

if TYPE_CHECKING:  # the engine and the backends load when a session starts, not at launch
    from simulator.backends.base import Interviewer
    from simulator.engine.session import Session

CODING_ROUNDS = ("swe-coding", "ai-coding")


class OnsiteApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "onsite"
    SUB_TITLE = "mock interviews for research positions"
    BINDINGS = [
        Binding("f1", "help", "Help", id="help"),
        Binding("ctrl+t", "toggle_theme", "Theme", id="theme", show=False),
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
        # Priority, so focus moves as the app reads the key: keys typed right after tab land
        # in the next field (a plain binding runs only after they were handed to this one).
        Binding("tab", "focus_next_now", "Next field", id="focus-next", show=False, priority=True),
        Binding(
            "shift+tab",
            "focus_previous_now",
            "Previous field",
            id="focus-previous",
            show=False,
            priority=True,
        ),
    ]

    def __init__(
        self,
        settings: Settings,
        catalog: Catalog,
        store: TranscriptStore,
        interviewer_factory: Callable[[], Interviewer],
        clock: Clock | None = None,
        session: Session | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.catalog = catalog
        self.store = store
        self.drafts = DraftStore(store.root)
        self.interviewer_factory = interviewer_factory
        self.clock = clock or SystemClock()
        self.initial_session = session
        self._quit_dialog: ModalScreen[bool] | None = None

    # -------------------------------------------------------------- lifecycle

    def on_mount(self) -> None:
        if self.settings.theme != self.theme and self.settings.theme in self.available_themes:
            self.theme = self.settings.theme  # only when it differs: a change restyles everything
        from simulator.tui.screens.home import HomeScreen

        self.push_screen(HomeScreen())
        if self.initial_session is not None:
            self.play(self.initial_session)
        if self.settings.exit_when_ready:  # used by benchmarks/tui_startup.py
            self.call_after_refresh(self._ready_for_benchmark)

    def _ready_for_benchmark(self) -> None:
        """Note when the home screen is on screen and taking keys, then leave."""
        ready_file = self.settings.ready_file
        if ready_file:
            Path(ready_file).write_text(repr(time.time()), encoding="utf-8")
        self.exit()

    # -------------------------------------------------------------- flow of a session

    def play(self, session: Session) -> None:
        """Play the session's next round; after the last one, grade and show the scorecard."""
        index = session.next_index
        if index >= len(session.plan):
            from simulator.tui.screens.scorecard import ScorecardScreen

            self.push_screen(ScorecardScreen(session))
            return
        from simulator.tui.screens.interview import InterviewScreen

        round_screen: type[InterviewScreen] = InterviewScreen
        if session.plan[index].spec.round in CODING_ROUNDS:
            from simulator.tui.screens.coding import CodingScreen

            round_screen = CodingScreen

        def after_round(_: bool | None) -> None:
            if session.next_index < len(session.plan):
                from simulator.tui.screens.break_screen import BreakScreen

                self.push_screen(BreakScreen(session), lambda _: self.play(session))
            else:
                self.play(session)

        self.push_screen(round_screen(session, index), after_round)

    async def action_quit(self) -> None:
        """Quit; in the middle of a round, save the draft first and ask (ctrl+q again, or y,
        quits): the round can be resumed, but a stray ctrl+q should not end it."""
        from simulator.tui.screens.confirm import ConfirmScreen
        from simulator.tui.screens.interview import InterviewScreen

        rounds = [s for s in self.screen_stack if isinstance(s, InterviewScreen)]
        live = rounds[-1] if rounds else None
        asking = self.screen is self._quit_dialog  # ctrl+q twice: quit at once
        if live is None or live.runner.finished or asking:
            if live is not None:
                live.save_draft_now()
            self.exit()
            return

        def ask() -> None:
            live.save_draft_now()
            session_id = live.session.transcript.session_id
            question = (
                "Quit onsite in the middle of this round? Everything you typed is saved; "
                f"`onsite resume {session_id}` goes on from here."
            )
            self._quit_dialog = ConfirmScreen(question)
            self.push_screen(self._quit_dialog, lambda yes: self.exit() if yes else None)

        live.box.after_pending_keys(ask)  # the draft then holds every key typed before ctrl+q

    def new_interviewer(self) -> Interviewer:
        return self.interviewer_factory()

    # -------------------------------------------------------------- actions

    def action_help(self) -> None:
        from simulator.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def _move_focus_now(self, step: int) -> None:
        if isinstance(self.screen, ModalScreen):
            raise SkipAction()  # dialogs and the palette keep Textual's own tab handling
        if step > 0:
            self.screen.focus_next()
        else:
            self.screen.focus_previous()

    def action_focus_next_now(self) -> None:
        self._move_focus_now(1)

    def action_focus_previous_now(self) -> None:
        self._move_focus_now(-1)

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"
        with contextlib.suppress(OSError):
            remember({"theme": self.theme})

    def action_review(self) -> None:
        from simulator.tui.screens.review import ReviewScreen

        self.push_screen(ReviewScreen())

    def action_profile(self) -> None:
        from simulator.tui.screens.profile import ProfileScreen

        self.push_screen(ProfileScreen())

    def get_system_commands(self, screen: Screen):
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Review sessions", "Past sessions, scores and progress", self.action_review
        )
        yield SystemCommand(
            "Edit profile", "Name, target role, specialization, CV, persona", self.action_profile
        )
        yield SystemCommand(
            "Toggle dark/light theme", "Switch and remember the theme", self.action_toggle_theme
        )
        yield SystemCommand("Key bindings", "Show every key binding", self.action_help)
        from simulator.tui.screens.home import HomeScreen

        if isinstance(screen, HomeScreen):  # the screen the palette was opened from
            home = screen
            for kind, rubric in self.catalog.rubrics.items():
                yield SystemCommand(
                    f"Practise: {rubric.name}",
                    f"A {kind} round, unseen question",
                    lambda kind=kind: home.start_practice(kind),
                )
            for loop in self.catalog.loops.values():
                yield SystemCommand(
                    f"Run loop: {loop.name}",
                    loop.description.strip()[:80],
                    lambda loop=loop: home.start_loop(loop),
                )


def _make_interviewer(settings: Settings) -> Interviewer:
    from simulator.backends import make_interviewer

    return make_interviewer(settings)


def make_app(
    settings: Settings | None = None,
    catalog: Catalog | None = None,
    clock: Clock | None = None,
    session: Session | None = None,
    interviewer_factory: Callable[[], Interviewer] | None = None,
) -> OnsiteApp:
    settings = settings or Settings()
    store = TranscriptStore(Path(settings.transcripts_dir))
    return OnsiteApp(
        settings=settings,
        catalog=catalog or default_catalog(),
        store=store,
        interviewer_factory=interviewer_factory or (lambda: _make_interviewer(settings)),
        clock=clock,
        session=session,
    )


def run_app(settings: Settings, session: Session | None = None) -> int:
    make_app(settings, session=session).run()
    return 0
