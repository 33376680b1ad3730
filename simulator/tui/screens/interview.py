"""The interview: the conversation, the answer box, the clock.

The candidate's answer is saved to the transcript before the backend is asked anything, so
a failed or cancelled reply loses nothing: the error is shown and ctrl+r asks again.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Literal

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Footer, Markdown, Static, TextArea
from textual.widgets.markdown import MarkdownStream
from textual.worker import Worker, WorkerState

from simulator.backends.base import BackendError
from simulator.engine.round import RoundRunner
from simulator.engine.session import Session
from simulator.models import Turn, TurnKind
from simulator.store.transcripts import StoreError
from simulator.tui.screens.base import OnsiteScreen
from simulator.tui.widgets.answer_box import AnswerBox
from simulator.tui.widgets.chat import ChatLog, TurnView, stamp
from simulator.tui.widgets.countdown import Countdown, warning_seconds

SEND_HINT = "ctrl+j or F5 sends (ctrl+enter too, where your terminal passes it)"


class InterviewScreen(OnsiteScreen[bool]):
    # The send keys are priority bindings (a TextArea must not swallow them); their actions
    # read the box only through AnswerBox.after_pending_keys, after every key typed before.
    BINDINGS = [
        Binding("ctrl+j", "submit", "Send", id="submit", priority=True),
        Binding("f5", "submit", "Send", id="submit-f5", show=False, priority=True),
        Binding("ctrl+enter", "submit", "Send", id="submit-ctrl-enter", show=False, priority=True),
        Binding("f2", "editor", "$EDITOR", id="editor", priority=True),
        Binding("f3", "clarify", "Ask a question", id="clarify", priority=True),
        Binding("f8", "end_round", "End round", id="end-round", priority=True),
        Binding("escape", "stop_reply", "Stop reply", id="stop-reply"),
        Binding("ctrl+r", "retry", "Retry", id="retry"),
    ]
    answer_kind: Literal["answer", "code"] = "answer"
    hint = f"{SEND_HINT} · F8 ends the round"

    class Token(Message):
        def __init__(self, chunk: str) -> None:
            super().__init__()
            self.chunk = chunk

    class ReplyDone(Message):
        def __init__(self, turn: Turn | None) -> None:
            super().__init__()
            self.turn = turn

    class ReplyFailed(Message):
        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    def __init__(self, session: Session, index: int) -> None:
        super().__init__()
        self.session = session
        self.index = index
        self.runner: RoundRunner = session.runner(index)
        self._stream: MarkdownStream | None = None
        self._stream_view: TurnView | None = None
        self._draft_dirty = False
        self._warned_time = False
        self._warned_soon = False
        self.failed = False

    # -------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        record = self.runner.record
        position = (
            f"Round {self.index + 1}/{len(self.session.plan)} · "
            if len(self.session.plan) > 1
            else ""
        )
        with Horizontal(id="round-bar"):
            yield Static(
                f"{position}{record.round} · {record.question_title}",
                id="round-title",
                markup=False,
            )
            yield Countdown(id="countdown")
        yield from self.compose_body()
        yield Static(self.hint, id="hint")
        yield Footer()

    def compose_body(self) -> ComposeResult:
        yield ChatLog(id="chat")
        yield AnswerBox(id="answer", placeholder="Type your answer…")

    @property
    def chat(self) -> ChatLog:
        return self.query_one(ChatLog)

    @property
    def box(self) -> AnswerBox:
        return self.query_one("#answer", AnswerBox)

    async def on_mount(self) -> None:
        for turn in self.runner.record.turns:
            await self.chat.add_turn(turn)
        self.restore_draft()
        self._tick()
        self.set_interval(1.0, self._tick)
        self.set_interval(2.0, self._save_draft)
        self.box.focus()
        if not self.runner.record.turns:
            self._ask("open")
        elif self.runner.awaiting_reply:
            self._ask("retry")

    def draft_boxes(self) -> dict[str, AnswerBox]:
        """Each box whose text is saved as a draft while typing, by draft part."""
        return {"": self.box}

    def restore_draft(self) -> None:
        """Put back what the candidate was typing when the app stopped."""
        session_id = self.session.transcript.session_id
        for part, box in self.draft_boxes().items():
            draft = self.onsite.drafts.load(session_id, self.index, part)
            if draft and draft != box.text:
                box.text = draft
                self.notify("Restored the text you were typing.")

    # -------------------------------------------------------------- clock and draft

    def _tick(self) -> None:
        left = self.runner.seconds_left
        warn_at = warning_seconds(self.runner.budget)
        countdown = self.query_one(Countdown)
        countdown.warn_at = warn_at
        countdown.seconds_left = left
        if left <= 0 and not self._warned_time and not self.runner.finished:
            self._warned_time = True
            self.notify(
                "Time is up: finish your thought and send it; the interviewer will wrap up.",
                severity="warning",
                timeout=8,
            )
        elif 0 < left <= warn_at and not self._warned_soon and not self.runner.finished:
            self._warned_soon = True
            minutes = round(warn_at / 60)
            self.notify(f"{minutes} minute{'s' if minutes != 1 else ''} left.", timeout=5)

    @on(TextArea.Changed)
    def _draft_changed(self) -> None:
        self._draft_dirty = True

    def save_draft_now(self) -> None:
        """Save every box as it stands (before the app quits)."""
        self._draft_dirty = True
        self._save_draft()

    def _save_draft(self) -> None:
        if self._draft_dirty:
            self._draft_dirty = False
            session_id = self.session.transcript.session_id
            for part, box in self.draft_boxes().items():
                self.onsite.drafts.save(session_id, self.index, box.text, part)

    # -------------------------------------------------------------- talking to the backend

    @property
    def replying(self) -> bool:
        return any(w.is_running for w in self.workers if w.group == "backend")

    @work(exclusive=True, group="backend")
    async def _ask(self, mode: Literal["open", "follow", "retry"]) -> None:
        def on_token(chunk: str) -> None:
            self.post_message(self.Token(chunk))

        turn: Turn | None  # follow_up gives None when the round is over
        try:
            if mode == "open":
                turn = await self.runner.open(on_token)
            elif mode == "retry":
                turn = await self.runner.retry(on_token)
            else:
                turn = await self.runner.follow_up(on_token)
        except (BackendError, StoreError) as err:
            self.post_message(self.ReplyFailed(str(err)))
            return
        self.post_message(self.ReplyDone(turn))

    async def on_interview_screen_token(self, message: Token) -> None:
        if self._stream is None or self._stream_view is None:
            self._stream_view = await self.chat.start_interviewer_turn()
            self._stream = Markdown.get_stream(self._stream_view.markdown)
        await self._stream.write(message.chunk)
        self.chat.scroll_end(animate=False)

    async def _close_stream(self) -> TurnView | None:
        view, stream = self._stream_view, self._stream
        self._stream_view = self._stream = None
        if stream is not None:
            await stream.stop()
        return view

    async def on_interview_screen_reply_done(self, message: ReplyDone) -> None:
        # Subclasses extend `after_reply`, never this handler: Textual calls the handler of
        # every class in the MRO, so an override calling super() would show each turn twice.
        view = await self._close_stream()
        if view is not None:
            await view.remove()
        self.failed = False
        self.refresh_bindings()
        if message.turn is not None:
            await self.chat.add_turn(message.turn)
        if self.runner.finished:  # the engine says the round is over
            self._round_over(message.turn)
            return
        if message.turn is not None:
            await self.after_reply(message.turn)

    async def after_reply(self, turn: Turn) -> None:
        if turn.kind == "closing":
            self.notify(
                "The interviewer is wrapping up: ask your questions (or say thanks) and send; "
                "F8 ends the round.",
                timeout=8,
            )

    def _round_over(self, last: Turn | None) -> None:
        """The round is finished: leave at once, or first let the candidate read the last word."""
        if last is None or last.role != "interviewer":
            self._finish()
            return
        for box in self.query(AnswerBox):
            box.read_only = True
        self.query_one("#hint", Static).update(
            "The round is over: ctrl+j, F5 or F8 shows your scorecard."
        )
        self.notify("The interviewer has answered: ctrl+j shows your scorecard.", timeout=8)

    async def on_interview_screen_reply_failed(self, message: ReplyFailed) -> None:
        view = await self._close_stream()
        if view is not None:
            view.mark_stopped("Interviewer · reply failed")
        self.failed = True
        self.refresh_bindings()
        self.notify(
            f"{message.error}\nYour answer is saved. Press ctrl+r to try again.",
            severity="error",
            timeout=12,
        )

    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "backend" and event.state == WorkerState.CANCELLED:
            view = await self._close_stream()
            if view is not None:
                view.mark_stopped("Interviewer · stopped")
            self.failed = True
            self.refresh_bindings()
            self.notify("Reply stopped. Your answer is saved; ctrl+r asks again.", timeout=6)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "retry":
            return self.failed and self.runner.awaiting_reply
        if action == "stop_reply":
            return self.replying
        return True

    # -------------------------------------------------------------- actions

    def action_submit(self) -> None:
        self.box.after_pending_keys(lambda: self.submit(self.answer_kind, self.box))

    def action_clarify(self) -> None:
        box = self.words_box
        box.after_pending_keys(lambda: self._clarify(box))

    @property
    def words_box(self) -> AnswerBox:
        """The box holding words for the interviewer (questions, answers in words)."""
        return self.box

    def _clarify(self, box: AnswerBox) -> None:
        if self.runner.finished:
            self._finish()
            return
        if not box.text.strip():
            self.notify("Type your question for the interviewer first, then press F3.")
            return
        self.submit("clarify", box)

    def submit(self, kind: TurnKind, box: AnswerBox, **extra) -> bool:
        """Send what `box` holds (call it through `box.after_pending_keys`). True when sent."""
        if self.runner.finished:
            self._finish()  # the round is over and its last words were read
            return False
        text = box.text.strip("\n")
        if not text.strip():
            self.notify("Type an answer first.", severity="warning")
            return False
        if self.replying:
            self.notify("The interviewer is still talking (Esc stops the reply).")
            return False
        if self.runner.awaiting_reply:
            self.notify("Waiting for the interviewer: ctrl+r asks again.", severity="warning")
            return False
        try:
            turn = self.runner.record_answer(text, kind, **extra)  # on disk before anything else
        except StoreError as err:
            # The transcripts folder is read-only or full: the store kept a copy elsewhere.
            self.notify(f"{err}", severity="error", timeout=20)
            turn = self.runner.record.turns[-1]
        if kind != "code":  # code stays in the editor to be improved
            box.clear()
        self._draft_dirty = True  # the next save drops the sent text from the draft
        self._save_draft()
        self.run_worker(self.chat.add_turn(turn))
        self._ask("follow")
        return True

    def action_stop_reply(self) -> None:
        self.workers.cancel_group(self, "backend")

    def action_retry(self) -> None:
        if self.runner.awaiting_reply and not self.replying:
            self._ask("retry")

    def action_end_round(self) -> None:
        self.box.after_pending_keys(self._confirm_end)  # the draft then holds every key typed

    def _confirm_end(self) -> None:
        from simulator.tui.screens.confirm import ConfirmScreen

        if self.runner.finished:
            self._finish()
            return

        def decided(yes: bool | None) -> None:
            if yes:
                self.workers.cancel_group(self, "backend")
                self.runner.end("candidate")
                self._finish()

        self.app.push_screen(ConfirmScreen("End this round now and go to grading?"), decided)

    def _finish(self) -> None:
        if not self.is_current:  # already leaving (a second key, a timer)
            return
        self._save_draft()
        self.dismiss(True)

    def action_editor(self) -> None:
        box = self.focused if isinstance(self.focused, AnswerBox) else self.box
        box.after_pending_keys(lambda: self._edit_in_editor(box))

    def _edit_in_editor(self, box: AnswerBox) -> None:
        editor = self.onsite.settings.editor or "vi"
        try:
            command = shlex.split(editor)
        except ValueError:
            command = []
        if not command or shutil.which(command[0]) is None:
            # Checked before suspending: a failure inside suspend() would leave the terminal
            # handed over, a blank screen that no longer reads keys.
            self.notify(
                f"Editor not found: {editor!r}. Set $VISUAL or $EDITOR to an installed editor; "
                "your text is still here.",
                severity="error",
                timeout=10,
            )
            return
        suffix = ".py" if box.language == "python" else ".md"
        with tempfile.NamedTemporaryFile("w", suffix=suffix, delete=False, encoding="utf-8") as tmp:
            tmp.write(box.text)
        path = Path(tmp.name)
        failure: str | None = None
        try:
            with self.app.suspend():
                try:  # nothing may escape the block: the app must take the terminal back
                    status = subprocess.call([*command, str(path)])
                except OSError as err:
                    failure = f"Cannot run {editor}: {err.strerror or err}"
                else:
                    if status != 0:
                        failure = f"{editor} exited with status {status}; your text is unchanged"
        except Exception as err:  # no terminal to hand over (tests, web): say so, keep the text
            failure = f"Cannot open {editor}: {err}"
        try:
            if failure is None:
                box.text = path.read_text(encoding="utf-8").rstrip("\n")
        finally:
            path.unlink(missing_ok=True)
        if failure:
            self.notify(failure, severity="error", timeout=10)
        box.focus()


__all__ = ["InterviewScreen", "stamp"]
