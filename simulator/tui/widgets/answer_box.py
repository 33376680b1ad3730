"""The answer editor: a TextArea that grows with its content (a paste keeps every line)."""

from __future__ import annotations

from textual.widgets import TextArea


class AnswerBox(TextArea):
    DEFAULT_CSS = """
    AnswerBox { height: auto; min-height: 4; max-height: 50%; border: tall $accent 50%; }
    AnswerBox:focus { border: tall $accent; }
    """

    def __init__(self, text: str = "", language: str | None = None, **kwargs) -> None:
        super().__init__(
            text,
            language=language,
            soft_wrap=language is None,
            tab_behavior="indent" if language else "focus",
            show_line_numbers=language is not None,
            **kwargs,
        )
