"""One past session: the transcript beside its scorecards."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Markdown, Static

from simulator.models import Transcript
from simulator.store.export import round_markdown
from simulator.tui.screens.base import OnsiteScreen
from simulator.tui.screens.scorecard import results_markdown


class SessionScreen(OnsiteScreen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding("e", "export", "Export", id="export"),
    ]

    def __init__(self, transcript: Transcript) -> None:
        super().__init__()
        self.transcript = transcript

    def compose(self) -> ComposeResult:
        t = self.transcript
        yield Static(
            f"{t.session_id} · {t.kind} · {t.status.replace('_', ' ')}",
            classes="section",
            markup=False,
        )
        conversation: list[str] = []
        for index, record in enumerate(t.rounds, 1):
            body = round_markdown(index, record, len(t.rounds) > 1)
            cut = body.index("### Scorecard") if "### Scorecard" in body else len(body)
            conversation += body[:cut]
        with Horizontal(id="session-body"):
            yield VerticalScroll(Markdown("\n".join(conversation)), id="conversation")
            yield VerticalScroll(Markdown(results_markdown(t, compact=True)), id="results")
        yield Footer()

    def action_export(self) -> None:
        from simulator.store.export import to_markdown

        path = self.onsite.store.root / f"{self.transcript.session_id}.md"
        path.write_text(to_markdown(self.transcript), encoding="utf-8")
        self.notify(f"Exported to {path}")
