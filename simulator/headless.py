"""Headless play: the answers file drives the interview, the conversation prints as it goes."""

from __future__ import annotations

import sys

from simulator.backends.base import Interviewer, RoundContext
from simulator.catalog import Catalog
from simulator.engine.coding import is_submission, submit_code
from simulator.engine.session import Session
from simulator.models import Question, RoundKind, RoundRecord, Scorecard, Transcript
from simulator.render import Style, debrief_text, scorecard_text, wrap
from simulator.safety import write


class Printer:
    """Every line of a headless session reaches the terminal through `safety.write`: an
    escape sequence in an answer, a quoted answer, a streamed token or a test's output is
    shown as text, never acted on."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.style = Style(sys.stdout)
        self._streaming = False

    def say(self, text: str = "") -> None:
        if not self.quiet:
            write(text)

    def token(self, chunk: str) -> None:
        if self.quiet:
            return
        if not self._streaming:
            write(self.style.bold("Interviewer: "), end="")
            self._streaming = True
        write(chunk, end="")

    def end_turn(self, turn=None) -> None:
        """Close a streamed turn, or print a turn that was not streamed (the engine's own)."""
        if self._streaming and not self.quiet:
            write("\n\n", end="")
        elif turn is not None and turn.role == "interviewer":
            self.say(self.style.bold("Interviewer: ") + turn.text + "\n")
        self._streaming = False

    def grading_progress(self):
        """A sink for the model's grade tokens: one "Grading…" line, counted on a terminal."""
        self.say(self.style.dim("Grading…"))
        written = 0
        live = not self.quiet and sys.stderr.isatty()

        def sink(chunk: str) -> None:
            nonlocal written
            written += len(chunk)
            if live:
                sys.stderr.write(f"\r  the model has written about {written // 4} tokens")
                sys.stderr.flush()

        self._grading_live = live
        return sink

    def end_grading(self) -> None:
        if getattr(self, "_grading_live", False):
            sys.stderr.write("\n")
            sys.stderr.flush()

    def candidate(self, text: str, label: str = "You") -> None:
        self.say(self.style.dim(f"{label}:") + "\n" + wrap(text, indent="  │ ") + "\n")


async def play(session: Session, answers: list[list[str]], quiet: bool = False) -> Transcript:
    """Play every remaining round with its block of answers, then grade and debrief."""
    out = Printer(quiet)
    start = session.next_index
    for index in range(start, len(session.plan)):
        blocks = list(answers[index - start]) if index - start < len(answers) else []
        runner = session.runner(index)
        record = runner.record
        out.say(
            out.style.bold(
                f"── Round {index + 1}/{len(session.plan)}: {record.round} — "
                f"{record.question_title} ({record.minutes} min) ──"
            )
        )
        if (
            not record.turns
            and record.round == "research-presentation"
            and session.transcript.profile.talk_text.strip()
        ):
            await runner.open(on_token=out.token)
            out.end_turn()
            out.candidate("(your talk, from --talk)", label="You")
            await runner.answer(session.transcript.profile.talk_text, on_token=out.token)
            out.end_turn()
        else:
            await runner.open(on_token=out.token)
            out.end_turn()
        while blocks and not runner.finished:
            block = blocks.pop(0)
            if is_submission(block, runner.ctx.question) and not runner.closing_asked:
                out.candidate(block, label="You (code)")
                turn, _ = await submit_code(runner, block)
                if turn.test_summary:
                    out.say(out.style.dim(f"  [hidden tests: {turn.test_summary}]\n"))
            else:
                out.candidate(block)
                runner.record_answer(block)
            reply = await runner.follow_up(on_token=out.token)
            out.end_turn(reply)
            if reply is None or runner.finished:  # the interviewer had the last word
                break
        if not runner.finished:
            runner.end("candidate")
            out.say(out.style.dim("(you ended the round)\n"))
    if hasattr(session.interviewer, "grade_progress"):  # a model grades: show it working
        session.interviewer.grade_progress = out.grading_progress()
    transcript = await session.finish()
    out.end_grading()
    for record in transcript.rounds[start:]:
        if record.scorecard:
            out.say(scorecard_text(record.scorecard, out.style, record.question_title))
    if transcript.debrief:
        out.say(debrief_text(transcript.debrief, out.style))
    out.say(out.style.dim(f"\nSaved {session.store.path_for(transcript.session_id)}"))
    return transcript


async def grade_one(
    catalog: Catalog,
    interviewer: Interviewer,
    round_kind: RoundKind,
    question: Question | None,
    question_text: str,
    answer: str,
) -> Scorecard:
    """Grade one answer to one question with the backend's grader."""
    from simulator.models import Turn

    record = RoundRecord(
        round=round_kind,
        question_id=question.id if question else None,
        question_title=question.title if question else question_text[:80],
        question_prompt=question_text,
        minutes=question.minutes if question else 45,
        turns=[
            Turn(role="interviewer", kind="question", text=question_text),
            Turn(role="candidate", kind="answer", text=answer),
        ],
    )
    ctx = RoundContext(
        catalog=catalog, rubric=catalog.rubric(round_kind), question=question, record=record
    )
    return await interviewer.grade(ctx)
