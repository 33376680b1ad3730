"""Review: every past session in a table, a filter, and scores per round kind over time."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Input, Static

from simulator.models import DECISION_LABELS
from simulator.tui.screens.base import OnsiteScreen

LIST_LIMIT = 500
"""Sessions loaded into the table; full-text search (enter in the filter) reaches them all."""

SERIES_COLORS = [  # (plotext, Rich) names of the same colour, one per round kind
    ("cyan", "cyan"),
    ("magenta", "magenta"),
    ("green", "green"),
    ("yellow", "yellow"),
    ("red", "red"),
    ("blue", "blue"),
    ("orange", "dark_orange"),
    ("white", "white"),
]
PLOT_MIN_HEIGHT = 30
"""Terminal rows from which the progress plot is drawn."""
FIXED_WIDTH = 16 + 14 + 5 + 6 * 2 + 2
"""Date, decision and score columns, cell padding and the scrollbar: what is left is shared
by the round and question columns, so the decision and score are never cut off."""


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


class ReviewScreen(OnsiteScreen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding("slash", "focus_filter", "Filter", id="filter"),
        Binding("e", "export", "Export Markdown", id="export"),
        Binding("h", "export_html", "Export HTML", id="export-html"),
        Binding("p", "toggle_plot", "Progress plot", id="plot"),
    ]

    def compose(self) -> ComposeResult:
        yield Static("Past sessions", classes="section")
        yield Input(
            placeholder="Filter by round, question, decision or date… (enter: search every answer)",
            id="filter",
        )
        with Vertical(id="review-body"):
            yield DataTable(id="sessions", cursor_type="row", zebra_stripes=True)
            with Vertical(id="plot-pane"):
                yield Static("Scores per round kind over time", classes="section")
                yield Static("", id="plot-empty")
                yield Static("", id="plot-legend")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Date", "Decision", "Score", "Round", "Question")
        self._needle = ""
        store = self.onsite.store
        self.summaries = store.summaries(limit=LIST_LIMIT)
        for problem in store.problems[:3]:
            self.notify(problem, severity="warning", timeout=8)
        self._fill("")
        self._plot()
        table.focus()

    def _fill(self, needle: str, only: set[str] | None = None, quiet: bool = False) -> None:
        table = self.query_one(DataTable)
        table.clear()
        needle = needle.lower().strip()
        self._needle, self._only = needle, only
        spare = max(30, self.app.size.width - FIXED_WIDTH)
        round_width = min(24, spare // 3)
        question_width = spare - round_width
        for s in self.summaries:
            if only is not None and s.session_id not in only:
                continue
            decision = DECISION_LABELS.get(s.decision or "", s.status.replace("_", " "))
            rounds = "loop" if s.kind == "loop" else ", ".join(s.rounds)
            row = (
                s.created_at.strftime("%Y-%m-%d %H:%M"),
                decision,
                f"{s.overall:.2f}" if s.overall is not None else "–",
                rounds,
                s.title,
            )
            if only is None and needle and needle not in " ".join(row).lower():
                continue
            shown = (*row[:3], clip(rounds, round_width), clip(s.title, question_width))
            table.add_row(*shown, key=s.session_id)
        if not table.row_count and not quiet:
            self.notify(
                "No sessions match." if needle else "No sessions yet: practise a round first."
            )

    def on_resize(self) -> None:
        if hasattr(self, "summaries"):  # columns share the new width
            self._fill(self._needle, self._only, quiet=True)
        self._fit_plot()

    def _fit_plot(self) -> None:
        """Below PLOT_MIN_HEIGHT rows the plot would be unreadable and squeeze the table:
        the legend line (sessions and last score per kind) stands in for it."""
        compact = self.app.size.height < PLOT_MIN_HEIGHT
        self.query_one("#plot-pane").set_class(compact, "-compact")
        for plot in self.query("#progress"):
            plot.display = not compact

    def _plot(self) -> None:
        progress = self.onsite.store.stats()
        series = {kind: [p.score for p in s.points] for kind, s in progress.rounds.items()}
        pane = self.query_one("#plot-pane")
        empty = self.query_one("#plot-empty", Static)
        if not any(len(v) >= 1 for v in series.values()):
            empty.update("No graded rounds yet.")
            return
        # The legend is a line of its own under the plot: plotext draws its legend over the
        # plot's top-left corner, where a kind with one session has its only point.
        legend = []
        for (kind, values), (_, rich_color) in zip(series.items(), SERIES_COLORS, strict=False):
            sessions = f"{len(values)} session{'s' if len(values) != 1 else ''}"
            legend.append(f"[{rich_color}]●[/]\u00a0{kind} ({sessions}, last {values[-1]:.2f})")
        self.query_one("#plot-legend", Static).update("   ".join(legend))
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
        pane.mount(plot, before="#plot-legend")
        plt = plot.plt
        plt.title("overall score (1-4) by session")
        longest = max(len(values) for values in series.values())
        for (_kind, values), (color, _) in zip(series.items(), SERIES_COLORS, strict=False):
            xs = list(range(1, len(values) + 1))
            plt.plot(xs, values, color=color, marker="●" if len(values) == 1 else "dot")
        plt.xlim(0.5, longest + 0.5)  # a lone point is not drawn on the frame
        plt.ylim(1, 4)
        plt.xlabel("session")
        self._fit_plot()

    @on(Input.Changed, "#filter")
    def _filter(self, event: Input.Changed) -> None:
        # Quiet: the table shows what matches as you type; a toast per key said "No sessions
        # match." while the words were still being typed (enter searches every answer).
        self._fill(event.value, quiet=True)

    @on(Input.Submitted, "#filter")
    def _search(self, event: Input.Submitted) -> None:
        """Full-text search over every turn of every session (the SQLite index)."""
        text = event.value.strip()
        if not text:
            self._fill("")
            return
        hits = self.onsite.store.search(text, limit=200)
        found = {hit.session_id for hit in hits}
        known = {s.session_id for s in self.summaries}
        if found - known:
            self.summaries += self.onsite.store.summaries()  # older sessions than the table holds
        self._fill(text, only=found)
        self.notify(f"{len(found)} session(s) mention {text!r}.")

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        from simulator.store.transcripts import StoreError
        from simulator.tui.screens.session_view import SessionScreen

        try:
            transcript = self.onsite.store.load(str(event.row_key.value))
        except StoreError as err:
            self.notify(str(err), severity="error")
            return
        self.app.push_screen(SessionScreen(transcript))

    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_toggle_plot(self) -> None:
        pane = self.query_one("#plot-pane")
        pane.display = not pane.display

    def action_export(self, html: bool = False) -> None:
        from simulator.store.export import to_markdown
        from simulator.store.html import to_html

        table = self.query_one(DataTable)
        if not table.row_count:
            return
        session_id = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        transcript = self.onsite.store.load(str(session_id))
        path = self.onsite.store.root / f"{session_id}.{'html' if html else 'md'}"
        try:
            path.write_text(
                to_html(transcript) if html else to_markdown(transcript), encoding="utf-8"
            )
        except OSError as err:
            self.notify(f"Cannot write {path}: {err.strerror}", severity="error")
            return
        self.notify(f"Exported to {path}")

    def action_export_html(self) -> None:
        self.action_export(html=True)
