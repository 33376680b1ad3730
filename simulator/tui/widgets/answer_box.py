"""The answer editor: a TextArea that grows with its content (a paste keeps every line), and
applies every key in the order it arrived, so text sent in a burst is read whole.

Why the ordering needs care: keys reach the box through its own message queue. A send key is
a priority binding, run by the app as soon as it reads the key, while the keys typed before it
may still wait in the box's queue; and Textual resolves the box's own bindings (backspace,
arrows) only after the key has bubbled up to the app, by which time later letters were
inserted. So the box runs its own bindings itself, in turn, and a sender reads the box through
`after_pending_keys`, which queues the read behind everything already on its way to the box.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import events
from textual.geometry import Offset
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
            soft_wrap=True,  # a long line (a signature, a paste) stays readable at any width
            tab_behavior="indent" if language else "focus",
            show_line_numbers=language is not None,
            **kwargs,
        )

    def scroll_cursor_visible(self, center: bool = False, animate: bool = False) -> Offset:
        """Skip the scroll while the cursor is past the end of the text.

        Textual's undo shrinks the text, then refreshes the scrollbars (which scroll to the
        cursor) before it moves the cursor back: undoing a long paste crashed the app with
        "line index out of bounds". The undo puts the cursor back and scrolls right after."""
        if self.cursor_location[0] >= self.document.line_count:
            return Offset(0, 0)
        return super().scroll_cursor_visible(center=center, animate=animate)

    async def _on_key(self, event: events.Key) -> None:
        """Run this box's own bindings now, in arrival order (TextArea inserts the rest)."""
        if event.is_printable:
            return  # TextArea._on_key, next in the MRO, inserts it
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            if not binding.priority and await self.app.run_action(binding.action, self):
                event.stop()
                event.prevent_default()  # handled: TextArea and the app must not run it again
                self._restart_blink()
                return

    def after_pending_keys(self, callback: Callable[[], object]) -> None:
        """Run `callback` once every key and paste already sent to this box has been applied.

        `call_later` posts to this box's own queue, behind the keys the app forwarded before
        the send key (the app forwards keys in the order it reads them), so the callback sees
        them all; keys typed after it wait until the callback is done.
        """
        self.call_later(callback)
