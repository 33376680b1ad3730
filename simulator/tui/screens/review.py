"""Review: every past session in a table, a filter, and scores per round kind over time."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from simulator.models import DECISION_LABELS
from simulator.store.transcripts import SessionSummary


def progress_series(summaries: list[SessionSummary]) -> dict[str, list[float]]:
    """Scores per round kind, oldest first (practice rounds; a loop counts each of its rounds)."""
    series: dict[str, list[float]] = {}
    for summary in sorted(summaries, key=lambda s: s.created_at):
        for kind, score in zip(summary.rounds, summary.round_scores, strict=False):
            if score is not None:
                series.setdefault(kind, []).append(score)
    return series


class ReviewScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding("slash", "focus_filter", "Filter", id="filter"),
        Binding("e", "export", "Export", id="export"),
        Binding("p", "toggle_plot", "Progress plot", id="plot"),
    ]

    def compose(self) -> ComposeResult:
        yield Static("Past sessions", classes="section")
        yield Input(placeholder="Filter by round, question, decision or date…", id="filter")
        with Vertical(id="review-body"):
            yield DataTable(id="sessions", cursor_type="row", zebra_stripes=True)
            with Vertical(id="plot-pane"):
                yield Static("Scores per round kind over time", classes="section")
                yield Static("", id="plot-empty")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Date", "Round", "Question", "Decision", "Score")
        self.summaries = self.app.store.summaries()
        self._fill("")
        self._plot()
        table.focus()

    def _fill(self, needle: str) -> None:
        table = self.query_one(DataTable)
        table.clear()
        needle = needle.lower().strip()
        for s in self.summaries:
            decision = DECISION_LABELS.get(s.decision or "", s.status.replace("_", " "))
            row = (
                s.created_at.strftime("%Y-%m-%d %H:%M"),
                "loop" if s.kind == "loop" else ", ".join(s.rounds),
                s.title,
                decision,
                f"{s.overall:.2f}" if s.overall is not None else "–",
            )
            if needle and needle not in " ".join(row).lower():
                continue
            table.add_row(*row, key=s.session_id)
        if not table.row_count:
            self.notify(
                "No sessions match." if needle else "No sessions yet: practise a round first."
            )

    def _plot(self) -> None:
        series = progress_series(self.summaries)
        pane = self.query_one("#plot-pane")
        empty = self.query_one("#plot-empty", Static)
        if not any(len(v) >= 1 for v in series.values()):
            empty.update("No graded rounds yet.")
            return
        try:
            from textual_plotext import PlotextPlot
        except ImportError:
            lines = [
                f"{k:<22} " + " ".join(f"{v:.1f}" for v in vals[-12:]) for k, vals in series.items()
            ]
            empty.update("\n".join(lines))
            return
        empty.display = False
        plot = PlotextPlot(id="progress")
        pane.mount(plot)
        plt = plot.plt
        plt.title("overall score (1-4) by session")
        for kind, values in series.items():
            plt.plot(list(range(1, len(values) + 1)), values, label=kind, marker="dot")
        plt.ylim(1, 4)
        plt.xlabel("session")

    @on(Input.Changed, "#filter")
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        from simulator.store.transcripts import StoreError
        from simulator.tui.screens.session_view import SessionScreen

        try:
            transcript = self.app.store.load(str(event.row_key.value))
        except StoreError as err:
            self.notify(str(err), severity="error")
            return
        self.app.push_screen(SessionScreen(transcript))

    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_toggle_plot(self) -> None:
        pane = self.query_one("#plot-pane")
        pane.display = not pane.display

    def action_export(self) -> None:
        from simulator.store.export import to_markdown

        table = self.query_one(DataTable)
        if not table.row_count:
            return
        session_id = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        transcript = self.app.store.load(str(session_id))
        path = self.app.store.root / f"{session_id}.md"
        path.write_text(to_markdown(transcript), encoding="utf-8")
        self.notify(f"Exported to {path}")
