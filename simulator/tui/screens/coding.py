"""A coding round: the problem beside a Python editor; run the visible tests, then submit."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Markdown

from simulator.coding.runner import RunReport
from simulator.engine.coding import run_examples, submit_code
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
    BINDINGS = [
        *InterviewScreen.BINDINGS,
        Binding("f6", "run_examples", "Run examples", id="run-examples", priority=True),
        Binding("f7", "explain", "Send as words", id="explain", priority=True),
    ]
    answer_kind = "code"

    def compose_body(self) -> ComposeResult:
        question = self.runner.ctx.question
        starter = question.coding.starter if question and question.coding else ""
        with Horizontal(id="coding"):
            with Vertical(id="problem-pane"):
                yield VerticalScroll(Markdown(question.prompt if question else ""), id="problem")
                yield ChatLog(id="chat")
            with Vertical(id="code-pane"):
                yield AnswerBox(starter, language="python", id="answer")
                yield VerticalScroll(
                    Markdown(
                        "F6 runs the visible examples; ctrl+j / F5 submits "
                        "(hidden tests); F7 sends the editor as words (to "
                        "answer a follow-up).",
                        id="results-md",
                    ),
                    id="test-results",
                )

    async def on_mount(self) -> None:
        await super().on_mount()
        last_code = next((t for t in reversed(self.runner.record.turns) if t.kind == "code"), None)
        if last_code is not None and not self.app.drafts.load(
            self.session.transcript.session_id, self.index
        ):
            self.box.text = last_code.text

    async def on_interview_screen_reply_done(self, message: InterviewScreen.ReplyDone) -> None:
        await super().on_interview_screen_reply_done(message)
        turn = message.turn
        question = self.runner.ctx.question
        if turn is not None and turn.kind == "question" and self.runner.problem_index > 0:
            # The interviewer moved on: show the new problem and its starter code.
            await self.query_one("#problem Markdown", Markdown).update(question.prompt)
            self.box.text = question.coding.starter if question.coding else ""
            self._show("A new problem: F6 runs its examples, ctrl+j / F5 submits.")
            self.notify("Next problem: the statement and starter code are on screen.")

    def action_run_examples(self) -> None:
        self._run_examples(self.box.text)

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
        if self.replying or self.runner.finished:
            self.notify("Wait for the interviewer first.")
            return
        if self.runner.awaiting_reply:
            self.notify("Waiting for the interviewer: ctrl+r asks again.", severity="warning")
            return
        if self.runner.closing_asked:
            self.submit("answer")
            return
        self._submit_code(self.box.text)

    def action_explain(self) -> None:
        text = self.box.text
        self.submit("answer")
        self.box.text = text

    @work(exclusive=True, group="tests")
    async def _submit_code(self, code: str) -> None:
        if not code.strip():
            self.notify("The editor is empty.", severity="warning")
            return
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
                + "\n\nThe interviewer will ask you about it now."
            )
        await self.chat.add_turn(turn)
        self._ask("follow")
