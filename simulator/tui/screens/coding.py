"""A coding round: the problem beside a Python editor; run the visible tests, then submit."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Markdown

from simulator.coding.runner import RunReport
from simulator.engine.coding import run_examples, submit_code
from simulator.models import Turn
from simulator.store.transcripts import StoreError
from simulator.tui.screens.interview import InterviewScreen
from simulator.tui.widgets.answer_box import AnswerBox
from simulator.tui.widgets.chat import ChatLog


def report_markdown(report: RunReport, title: str) -> str:
    lines = [f"**{title}: {report.passed}/{report.total} passed** — {report.message}", ""]
    for outcome in report.outcomes:
        mark = "✔" if outcome.passed else "✘"
        lines.append(f"- {mark} `{outcome.call[:70]}`")
        if not outcome.passed:
            if outcome.error:
                lines.append(f"  - error: `{outcome.error}`")
            elif outcome.expected is not None:
                lines.append(
                    f"  - expected `{outcome.expected[:80]}`, got `{(outcome.got or '')[:80]}`"
                )
            if outcome.note:
                lines.append(f"  - {outcome.note}")
    if report.output.strip():
        lines += ["", "Output:", "```", report.output[-800:], "```"]
    return "\n".join(lines)


class CodingScreen(InterviewScreen):
    """The code editor submits to the tests; the words box beside it talks to the interviewer
    (clarifying questions, answers to follow-ups), so words never go out mixed with code."""

    BINDINGS = [
        *InterviewScreen.BINDINGS,
        Binding("f6", "run_examples", "Run examples", id="run-examples", priority=True),
        Binding("f7", "switch_box", "Code ⇄ words", id="switch-box", priority=True),
    ]
    answer_kind = "code"
    hint = (
        "ctrl+j/F5 sends the box you are in: code to the hidden tests, words to the interviewer"
        " · F6 examples · F7 code ⇄ words · F3 asks"
    )

    def compose_body(self) -> ComposeResult:
        question = self.runner.ctx.question
        starter = question.coding.starter if question and question.coding else ""
        with Horizontal(id="coding"):
            with Vertical(id="problem-pane"):
                yield VerticalScroll(Markdown(question.prompt if question else ""), id="problem")
                yield ChatLog(id="chat")
                yield AnswerBox(
                    id="words",
                    placeholder="Words for the interviewer: a question (F3) or an answer (ctrl+j)",
                )
            with Vertical(id="code-pane"):
                yield AnswerBox(starter, language="python", id="answer")
                yield VerticalScroll(
                    Markdown(
                        "F6 runs the visible examples; ctrl+j / F5 in the editor submits to the "
                        "hidden tests. Questions and answers in words go in the box under the "
                        "conversation (F7 switches boxes).",
                        id="results-md",
                    ),
                    id="test-results",
                )

    @property
    def words_box(self) -> AnswerBox:
        return self.query_one("#words", AnswerBox)

    def draft_boxes(self) -> dict[str, AnswerBox]:
        return {"": self.box, "words": self.words_box}

    def restore_draft(self) -> None:
        """The editor holds the code being written, else the last code submitted."""
        last_code = next((t for t in reversed(self.runner.record.turns) if t.kind == "code"), None)
        if last_code is not None:
            self.box.text = last_code.text
        super().restore_draft()

    async def after_reply(self, turn: Turn) -> None:
        await super().after_reply(turn)
        question = self.runner.ctx.question
        if turn.kind == "question" and self.runner.problem_index > 0 and question is not None:
            # The interviewer moved on: show the new problem and its starter code.
            await self.query_one("#problem Markdown", Markdown).update(question.prompt)
            self.box.text = question.coding.starter if question.coding else ""
            self._show("A new problem: F6 runs its examples, ctrl+j / F5 submits.")
            self.notify("Next problem: the statement and starter code are on screen.")
        elif turn.kind == "closing":
            self.words_box.focus()

    def action_switch_box(self) -> None:
        # set_focus at once (not focus(), which waits behind the queued keys): the keys
        # typed after F7 must land in the other box.
        self.set_focus(self.box if self.focused is self.words_box else self.words_box)

    def action_run_examples(self) -> None:
        self.box.after_pending_keys(lambda: self._run_examples(self.box.text))

    @work(exclusive=True, group="tests")
    async def _run_examples(self, code: str) -> None:
        question = self.runner.ctx.question
        if question is None or question.coding is None:
            self.notify("This problem has no runnable tests.", severity="warning")
            return
        self._show("Running the examples…")
        report = await run_examples(question, code)
        self._show(report_markdown(report, "Examples"))

    def _show(self, markdown: str) -> None:
        self.query_one("#results-md", Markdown).update(markdown)

    def action_submit(self) -> None:
        """ctrl+j sends the box the candidate is in: the editor to the tests, words as words."""
        if self.focused is self.words_box:
            box = self.words_box
            box.after_pending_keys(lambda: self.submit("answer", box))
        else:
            self.box.after_pending_keys(self._submit_editor)

    def _submit_editor(self) -> None:
        if self.runner.finished:
            self._finish()
            return
        if self.replying:
            self.notify("Wait for the interviewer first.")
            return
        if self.runner.awaiting_reply:
            self.notify("Waiting for the interviewer: ctrl+r asks again.", severity="warning")
            return
        if self.runner.closing_asked:
            self.words_box.focus()
            self.notify("The interviewer is wrapping up: type your words in the words box.")
            return
        code = self.box.text
        if not code.strip():
            self.notify("The editor is empty.", severity="warning")
            return
        self._submit_code(code)

    @work(exclusive=True, group="tests")
    async def _submit_code(self, code: str) -> None:
        self._show("Running the hidden tests…")
        try:
            turn, report = await submit_code(self.runner, code)
        except StoreError as err:
            self.notify(f"{err}", severity="error", timeout=20)
            turn, report = self.runner.record.turns[-1], None
        if report is not None:
            hidden = report.model_copy(update={"outcomes": []})  # hidden cases stay hidden
            self._show(
                report_markdown(hidden, "Hidden tests")
                + "\n\nThe interviewer will ask you about it now: answer in the words box."
            )
        await self.chat.add_turn(turn)
        self.words_box.focus()
        self._ask("follow")
