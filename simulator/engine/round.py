"""One round as a state machine: ask -> answer -> follow-up ... -> closing -> grade.

The runner owns the round's clock and limits; the backend only chooses what to say. Every
turn is appended to the record and persisted before the runner moves on, so a crash loses
at most the answer being typed, and a backend failure loses nothing (retry the reply).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Literal

from simulator.backends.base import Interviewer, RoundContext, TokenSink
from simulator.engine.clock import Clock, answer_cap
from simulator.models import (
    CriterionScore,
    Role,
    Rubric,
    Scorecard,
    Turn,
    TurnKind,
    decision_for,
    now_utc,
)

EndReason = Literal["time", "turns", "candidate", "probes"]


class RoundRunner:
    def __init__(
        self,
        ctx: RoundContext,
        interviewer: Interviewer,
        clock: Clock,
        persist: Callable[[], None],
        max_answers: int | None = None,
    ) -> None:
        self.ctx = ctx
        self.interviewer = interviewer
        self.clock = clock
        self.persist = persist
        # A safety cap on answers; the clock, not a count, ends a round in practice.
        self.max_answers = max_answers or answer_cap(ctx.record.minutes)
        record = ctx.record
        # A resumed round continues its clock from the last recorded turn.
        already = record.turns[-1].elapsed if record.turns else 0.0
        self._started = clock.now() - already
        if ctx.problems:
            ctx.question = ctx.problems[self.problem_index]

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
    def closing_answered(self) -> bool:
        """The interviewer has answered the candidate's reply to the closing turn."""
        closings = [t for t in self.record.turns if t.role == "interviewer" and t.kind == "closing"]
        return len(closings) >= 2

    @property
    def problem_index(self) -> int:
        """Which of the round's problems is under discussion (0 for a round of one)."""
        ids = [q.id for q in self.ctx.problems]
        for turn in reversed(self.record.turns):
            if turn.kind == "question" and turn.question_id in ids:
                return ids.index(turn.question_id)
        return 0

    def _has_next_problem(self) -> bool:
        return self.problem_index + 1 < len(self.ctx.problems)

    def _should_move_on(self) -> bool:
        """Pace a round of several problems: move on when this problem's share of the time is
        spent, or when its code passes every test and two follow-ups have been answered."""
        if not self._has_next_problem():
            return False
        share = self.budget * (self.problem_index + 1) / len(self.ctx.problems)
        if self.elapsed >= share:
            return True
        current = self.ctx.problems[self.problem_index].id
        turns = self.record.turns
        start = max(
            (i for i, t in enumerate(turns) if t.kind == "question" and t.question_id == current),
            default=0,
        )
        solved = [
            i
            for i, t in enumerate(turns[start:], start)
            if t.kind == "code" and t.tests_total and t.tests_passed == t.tests_total
        ]
        if not solved:
            return False
        answers_after = [t for t in turns[solved[-1] + 1 :] if t.role == "candidate"]
        return len(answers_after) >= 2

    def _introduce_next_problem(self) -> Turn:
        problem = self.ctx.problems[self.problem_index + 1]
        ordinal = ("second", "third", "fourth")[self.problem_index]
        self.ctx.question = problem
        text = f"Let's move on to the {ordinal} problem.\n\n{problem.prompt.strip()}"
        return self._append("interviewer", "question", text, question_id=problem.id)

    @property
    def answers_given(self) -> int:
        return sum(1 for t in self.record.turns if t.role == "candidate")

    # -------------------------------------------------------------- moves

    def _append(self, role: Role, kind: TurnKind, text: str, **extra) -> Turn:
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

        After the candidate answers the closing turn, the interviewer answers their question
        (or thanks them) and the round is finished (`finished` is true); None only when the
        round was already over.
        """
        self.record_answer(text, kind, **extra)
        return await self.follow_up(on_token)

    def record_answer(self, text: str, kind: TurnKind = "answer", **extra) -> Turn:
        """Save the candidate's words (synchronously, before anything can fail)."""
        if self.finished:
            raise RuntimeError("the round is over")
        return self._append("candidate", kind, text, **extra)

    async def follow_up(self, on_token: TokenSink | None = None) -> Turn | None:
        """The interviewer's turn after a recorded answer; None when the round is over.

        The turn that answers the candidate's reply to the closing turn finishes the round.
        """
        if self.finished or self.closing_answered:
            self.end(self.record.ended_by or "probes")
            return None
        return await self._reply(on_token)

    async def retry(self, on_token: TokenSink | None = None) -> Turn:
        """Ask the backend again after it failed; the candidate's answer is already saved."""
        if not self.awaiting_reply:
            raise RuntimeError("nothing to retry")
        return await self._reply(on_token)

    async def _reply(self, on_token: TokenSink | None) -> Turn:
        if self.closing_asked:
            return await self._last_word(on_token)
        reason: EndReason | None = None
        if self.elapsed >= self.budget:
            reason = "time"
        elif self.answers_given >= self.max_answers:
            reason = "turns"
        if reason is None and self.record.turns and self._should_move_on():
            return self._introduce_next_problem()
        self.ctx.seconds_left = self.seconds_left
        self.ctx.must_close = reason is not None
        reply = await self.interviewer.reply(self.ctx, on_token)
        if reply.kind == "closing" and reason is None and self._has_next_problem():
            return self._introduce_next_problem()  # nothing left to ask here: next problem
        if reply.kind == "closing":
            self.record.ended_by = reason or "probes"
        question_id = reply.question_id
        if reply.kind == "question" and question_id is None and self.ctx.problems:
            question_id = self.ctx.question.id if self.ctx.question else None
        return self._append(
            "interviewer",
            reply.kind,
            reply.text,
            criterion=reply.criterion,
            question_id=question_id,
        )

    async def _last_word(self, on_token: TokenSink | None) -> Turn:
        """The interviewer answers the candidate's reply to the closing turn (their question,
        briefly, or a thanks); then the round is finished."""
        self.ctx.seconds_left = self.seconds_left
        self.ctx.must_close = True
        reply = await self.interviewer.reply(self.ctx, on_token)
        turn = self._append("interviewer", "closing", reply.text)
        self.end(self.record.ended_by or "probes")
        return turn

    def end(self, by: EndReason = "candidate") -> None:
        if self.finished:
            return
        # After the closing turn the reason it was asked (time, turns, probes) stands.
        if not (self.closing_asked and self.record.ended_by):
            self.record.ended_by = by
        self.record.ended_at = now_utc()
        self.persist()

    async def grade(self) -> Scorecard:
        if len(self.ctx.problems) > 1:
            cards = [await self.interviewer.grade(ctx) for ctx in self._problem_contexts()]
            card = merge_scorecards(cards, self.ctx.rubric)
        else:
            card = await self.interviewer.grade(self.ctx)
        self.record.scorecard = card
        self.persist()
        return card

    def _problem_contexts(self) -> list[RoundContext]:
        """One context per problem, holding the turns spoken while it was under discussion."""
        ids = [q.id for q in self.ctx.problems]
        owned: dict[str, list[Turn]] = {pid: [] for pid in ids}
        current = ids[0]
        for turn in self.record.turns:
            if turn.kind == "question" and turn.question_id in owned:
                current = turn.question_id
            owned[current].append(turn)
        contexts = []
        for problem in self.ctx.problems:
            record = self.record.model_copy(
                update={
                    "turns": owned[problem.id],
                    "question_id": problem.id,
                    "question_title": problem.title,
                    "question_prompt": problem.prompt,
                }
            )
            contexts.append(replace(self.ctx, question=problem, record=record, problems=[]))
        return contexts


def merge_scorecards(cards: list[Scorecard], rubric: Rubric) -> Scorecard:
    """One scorecard for a round of several problems: each criterion the mean of the problems'
    (an unattempted problem counts, with its 1s), evidence and feedback from each."""
    merged: list[CriterionScore] = []
    for index, criterion in enumerate(rubric.criteria):
        scores = [card.criteria[index] for card in cards]
        feedback = " ".join(
            f"Problem {i}: {s.feedback}" for i, s in enumerate(scores, 1) if s.feedback
        )
        evidence = [quote for s in scores for quote in s.evidence][:3]
        level = round(sum(s.score for s in scores) / len(scores) + 1e-9)
        merged.append(
            CriterionScore(
                id=criterion.id,
                name=criterion.name,
                score=level,
                evidence=evidence,
                feedback=feedback,
            )
        )
    overall = rubric.overall({s.id: s.score for s in merged})
    # A problem never reached is not an empty answer to the round: say what it is.
    flags = list(
        dict.fromkeys(
            "problem_not_attempted" if f == "empty" else f for card in cards for f in card.flags
        )
    )
    return Scorecard(
        round=rubric.round,
        question_id=cards[0].question_id,
        grader=cards[0].grader,
        overall=overall,
        decision=decision_for(overall),
        criteria=merged,
        flags=flags,
        strengths=list(dict.fromkeys(x for card in cards for x in card.strengths))[:3],
        improvements=list(dict.fromkeys(x for card in cards for x in card.improvements))[:3],
    )
