"""The conversation: interviewer turns as Markdown (streamed), candidate turns as plain text."""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Markdown, Static

from simulator.models import Turn

_KIND_LABEL = {
    "question": "Interviewer",
    "probe": "Interviewer · follow-up",
    "challenge": "Interviewer · challenge",
    "clarify": "Interviewer · clarification",
    "closing": "Interviewer · closing",
}


class TurnView(Widget):
    """One turn with a small header line."""

    DEFAULT_CSS = """
    TurnView { height: auto; margin: 0 0 1 0; }
    TurnView > .turn-head { color: $text-muted; text-style: bold; }
    TurnView.-candidate { padding-left: 2; }
    TurnView.-candidate > .turn-head { color: $accent; }
    TurnView.-candidate > .turn-body { border-left: thick $accent 40%; padding-left: 1; }
    TurnView.-stopped > .turn-head { color: $warning; }
    TurnView > Markdown { margin: 0; padding: 0; }
    """

    def __init__(self, role: str, kind: str, text: str = "", stamp: str = "") -> None:
        classes = "-candidate" if role == "candidate" else "-interviewer"
        super().__init__(classes=classes)
        self.role = role
        self.kind = kind
        self.text = text
        self.stamp = stamp

    def compose(self):
        if self.role == "interviewer":
            head = _KIND_LABEL.get(self.kind, "Interviewer")
        else:
            head = {"code": "You · code", "clarify": "You · question"}.get(self.kind, "You")
        yield Static(f"{head}  {self.stamp}".rstrip(), classes="turn-head", markup=False)
        if self.role == "interviewer":
            yield Markdown(self.text, classes="turn-body")
        else:
            yield Static(Text(self.text), classes="turn-body")

    @property
    def markdown(self) -> Markdown:
        return self.query_one(Markdown)

    def mark_stopped(self, note: str) -> None:
        self.add_class("-stopped")
        self.query_one(".turn-head", Static).update(note)


def stamp(turn: Turn) -> str:
    return f"{int(turn.elapsed // 60):02d}:{int(turn.elapsed % 60):02d}"


class ChatLog(VerticalScroll):
    """Scrolls to the newest turn as it grows, unless the reader scrolled up."""

    DEFAULT_CSS = """
    ChatLog { height: 1fr; padding: 0 1; }
    """

    async def add_turn(self, turn: Turn) -> TurnView:
        view = TurnView(turn.role, turn.kind, turn.text, stamp(turn))
        await self.mount(view)
        self.scroll_end(animate=False)
        return view

    async def start_interviewer_turn(self) -> TurnView:
        view = TurnView("interviewer", "probe", "")
        await self.mount(view)
        self.scroll_end(animate=False)
        return view
