"""The scorecard after a round, or the debrief and every round's scorecard after a loop."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Footer, LoadingIndicator, Markdown, Static

from simulator.backends.base import BackendError
from simulator.engine.session import Session
from simulator.models import DECISION_LABELS, Scorecard, Transcript
from simulator.store.export import debrief_markdown, md_literal, scorecard_markdown
from simulator.tui.screens.base import OnsiteScreen


def compact_scorecard(card: Scorecard) -> list[str]:
    """The scorecard as a list, for a narrow pane (a table would be squeezed unreadable)."""
    out = [f"**{DECISION_LABELS[card.decision]}** — {card.overall:.2f} / 4 ({card.grader})", ""]
    for score in card.criteria:  # candidate words and feedback quoting them: shown as written
        out += [f"**{md_literal(score.name)}: {score.score}/4**", "", md_literal(score.feedback)]
        out += [""] + [f"> “{md_literal(quote)}”" for quote in score.evidence]
        out += [""] if score.evidence else []
    if card.improvements:
        out += ["**Work on**", ""] + [f"- {md_literal(line)}" for line in card.improvements] + [""]
    return out


def results_markdown(transcript: Transcript, compact: bool = False) -> str:
    parts: list[str] = []
    if transcript.debrief:
        parts += debrief_markdown(transcript.debrief)
    for index, record in enumerate(transcript.rounds, 1):
        prefix = f"Round {index}: " if len(transcript.rounds) > 1 else ""
        parts += [f"## {prefix}{md_literal(record.question_title)}", "", f"*{record.round}*", ""]
        if record.scorecard:
            card = record.scorecard
            parts += compact_scorecard(card) if compact else scorecard_markdown(card)
        else:
            parts += ["*Not graded.*", ""]
    return "\n".join(parts)


class ScorecardScreen(OnsiteScreen[None]):
    BINDINGS = [
        Binding("escape,enter", "home", "Home", id="home"),
        Binding("e", "export", "Export Markdown", id="export"),
        Binding("r", "review", "Review", id="review"),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        yield Static("Grading…", id="score-title", markup=False)
        yield LoadingIndicator(id="grading")
        yield VerticalScroll(Markdown("", id="card"), id="card-scroll")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#card-scroll").display = False
        self._grade()

    class GradingProgress(Message):
        """The model has written more of the grades (characters so far)."""

        def __init__(self, written: int) -> None:
            super().__init__()
            self.written = written

    def on_scorecard_screen_grading_progress(self, message: GradingProgress) -> None:
        self.query_one("#score-title", Static).update(
            f"Grading… the model has written about {message.written // 4} tokens"
        )

    @work(exclusive=True, group="grading")
    async def _grade(self) -> None:
        if hasattr(self.session.interviewer, "grade_progress"):  # a model grades: show progress
            written = shown = 0

            def progress(chunk: str) -> None:
                nonlocal written, shown
                written += len(chunk)
                if written - shown >= 200:  # a message per few dozen tokens, not per token
                    shown = written
                    self.post_message(self.GradingProgress(written))

            self.session.interviewer.grade_progress = progress
        try:
            transcript = await self.session.finish()
        except BackendError as err:
            self.query_one("#score-title", Static).update(
                f"Grading failed: {err}. The transcript is saved; grade it later from Review."
            )
            self.query_one("#grading").display = False
            return
        self.query_one("#grading").display = False
        title = "Loop debrief" if transcript.kind == "loop" else "Scorecard"
        self.query_one("#score-title", Static).update(f"{title} · saved as {transcript.session_id}")
        self.query_one("#card-scroll").display = True
        await self.query_one("#card", Markdown).update(results_markdown(transcript))

    def action_home(self) -> None:
        from simulator.tui.screens.home import HomeScreen

        while not isinstance(self.app.screen, HomeScreen) and len(self.app.screen_stack) > 1:
            self.app.pop_screen()
        if isinstance(self.app.screen, HomeScreen):
            self.app.screen.refresh_sessions()

    def action_export(self) -> None:
        from simulator.store.export import to_markdown

        transcript = self.session.transcript
        path = self.session.store.root / f"{transcript.session_id}.md"
        try:
            path.write_text(to_markdown(transcript), encoding="utf-8")
        except OSError as err:
            self.notify(f"Cannot write {path}: {err.strerror}", severity="error")
            return
        self.notify(f"Exported to {path}")

    def action_review(self) -> None:
        self.action_home()
        self.onsite.action_review()
