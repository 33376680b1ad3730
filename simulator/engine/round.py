"""One round as a state machine: ask -> answer -> follow-up ... -> closing -> grade.

The runner owns the round's clock and limits; the backend only chooses what to say. Every
turn is appended to the record and persisted before the runner moves on, so a crash loses
at most the answer being typed, and a backend failure loses nothing (retry the reply).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from simulator.backends.base import Interviewer, RoundContext, TokenSink
from simulator.engine.clock import Clock
from simulator.models import Scorecard, Turn, TurnKind, now_utc

EndReason = Literal["time", "turns", "candidate", "probes"]


class RoundRunner:
    def __init__(
        self,
        ctx: RoundContext,
        interviewer: Interviewer,
        clock: Clock,
        persist: Callable[[], None],
        max_answers: int = 8,
    ) -> None:
        self.ctx = ctx
        self.interviewer = interviewer
        self.clock = clock
        self.persist = persist
        self.max_answers = max_answers
        record = ctx.record
        # A resumed round continues its clock from the last recorded turn.
        already = record.turns[-1].elapsed if record.turns else 0.0
        self._started = clock.now() - already

    # -------------------------------------------------------------- state

    @property
    def record(self):
        return self.ctx.record

    @property
    def elapsed(self) -> float:
        return self.clock.now() - self._started

    @property
    def budget(self) -> float:
        return self.record.minutes * 60.0

    @property
    def seconds_left(self) -> float:
        return max(0.0, self.budget - self.elapsed)

    @property
    def finished(self) -> bool:
        return self.record.ended_at is not None

    @property
    def awaiting_reply(self) -> bool:
        """The candidate spoke last and the interviewer has not answered (e.g. it failed)."""
        turns = self.record.turns
        return bool(turns) and turns[-1].role == "candidate" and not self.finished

    @property
    def closing_asked(self) -> bool:
        return any(t.role == "interviewer" and t.kind == "closing" for t in self.record.turns)

    @property
    def answers_given(self) -> int:
        return sum(1 for t in self.record.turns if t.role == "candidate")

    # -------------------------------------------------------------- moves

    def _append(self, role: str, kind: TurnKind, text: str, **extra) -> Turn:
        turn = Turn(role=role, kind=kind, text=text, elapsed=round(self.elapsed, 1), **extra)
        self.record.turns.append(turn)
        self.persist()
        return turn

    async def open(self, on_token: TokenSink | None = None) -> Turn:
        """The interviewer's opening question (or the last unanswered turn, when resuming)."""
        if self.record.turns:
            if self.awaiting_reply:
                return await self._reply(on_token)
            return self.record.turns[-1]
        return await self._reply(on_token)

    async def answer(
        self, text: str, on_token: TokenSink | None = None, kind: TurnKind = "answer", **extra
    ) -> Turn | None:
        """Record the candidate's answer, then get the interviewer's next turn.

        Returns None when the round is over (the candidate answered the closing turn).
        """
        self.record_answer(text, kind, **extra)
        return await self.follow_up(on_token)

    def record_answer(self, text: str, kind: TurnKind = "answer", **extra) -> Turn:
        """Save the candidate's words (synchronously, before anything can fail)."""
        if self.finished:
            raise RuntimeError("the round is over")
        return self._append("candidate", kind, text, **extra)

    async def follow_up(self, on_token: TokenSink | None = None) -> Turn | None:
        """The interviewer's turn after a recorded answer; None when the round is over."""
        if self.closing_asked:
            self.end(self.record.ended_by or "probes")
            return None
        return await self._reply(on_token)

    async def retry(self, on_token: TokenSink | None = None) -> Turn:
        """Ask the backend again after it failed; the candidate's answer is already saved."""
        if not self.awaiting_reply:
            raise RuntimeError("nothing to retry")
        return await self._reply(on_token)

    async def _reply(self, on_token: TokenSink | None) -> Turn:
        reason: EndReason | None = None
        if self.elapsed >= self.budget:
            reason = "time"
        elif self.answers_given >= self.max_answers:
            reason = "turns"
        self.ctx.seconds_left = self.seconds_left
        self.ctx.must_close = reason is not None
        reply = await self.interviewer.reply(self.ctx, on_token)
        if reply.kind == "closing":
            self.record.ended_by = reason or "probes"
        return self._append("interviewer", reply.kind, reply.text, criterion=reply.criterion)

    def end(self, by: EndReason = "candidate") -> None:
        if self.finished:
            return
        # After the closing turn the reason it was asked (time, turns, probes) stands.
        if not (self.closing_asked and self.record.ended_by):
            self.record.ended_by = by
        self.record.ended_at = now_utc()
        self.persist()

    async def grade(self) -> Scorecard:
        card = await self.interviewer.grade(self.ctx)
        self.record.scorecard = card
        self.persist()
        return card
