"""A practice session or a loop: its transcript, its rounds in order, grading and the debrief.

Clients (the headless CLI, the TUI) create a Session, take one RoundRunner at a time, feed it
the candidate's answers, and call `finish()`: rounds are graded concurrently (bounded), then
the loop is debriefed. The transcript is saved after every turn.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field

from simulator.backends.base import Interviewer, RoundContext
from simulator.catalog import Catalog
from simulator.engine.clock import Clock, SystemClock
from simulator.engine.round import RoundRunner
from simulator.engine.select import area_for, choose_question
from simulator.models import (
    CandidateProfile,
    LoopPreset,
    LoopRound,
    Persona,
    Question,
    RoundKind,
    RoundRecord,
    Transcript,
)
from simulator.store.transcripts import TranscriptStore, new_session_id

GRADING_CONCURRENCY = 8
"""Rounds graded at once: a whole loop in one wave, so the debrief waits for the slowest grade."""


@dataclass
class PlannedRound:
    spec: LoopRound
    question: Question
    extra: list[Question] = field(default_factory=list)
    """Further problems of a round of several (a swe-coding round holds two)."""

    @property
    def problems(self) -> list[Question]:
        return [self.question, *self.extra]


def _plan_round(
    catalog: Catalog,
    spec: LoopRound,
    area: str | None,
    seen: set[str],
    rng: random.Random | None,
    question_id: str | None = None,
) -> PlannedRound:
    """Choose the round's question(s), never one already in `seen`; add them to `seen`."""
    questions: list[Question] = []
    for index in range(spec.problem_count):
        wanted = (question_id or spec.question) if index == 0 else None
        question = choose_question(catalog, spec.round, wanted, area, seen, rng)
        if question in questions:  # a bank smaller than the round: ask fewer problems
            break
        questions.append(question)
        seen.add(question.id)
    return PlannedRound(spec, questions[0], questions[1:])


class Session:
    def __init__(
        self,
        transcript: Transcript,
        plan: list[PlannedRound],
        catalog: Catalog,
        interviewer: Interviewer,
        store: TranscriptStore,
        clock: Clock | None = None,
        persona: Persona | None = None,
        max_answers: int | None = None,
        loop: LoopPreset | None = None,
    ) -> None:
        self.transcript = transcript
        self.plan = plan
        self.catalog = catalog
        self.interviewer = interviewer
        self.store = store
        self.clock = clock or SystemClock()
        self.persona = persona or Persona()
        self.max_answers = max_answers
        self.loop = loop

    # -------------------------------------------------------------- construction

    @classmethod
    def practice(
        cls,
        catalog: Catalog,
        interviewer: Interviewer,
        store: TranscriptStore,
        round_kind: RoundKind,
        question_id: str | None = None,
        minutes: int | None = None,
        profile: CandidateProfile | None = None,
        persona: Persona | None = None,
        rng: random.Random | None = None,
        **kwargs,
    ) -> Session:
        profile = profile or CandidateProfile()
        area = area_for(profile.specialization) if round_kind == "research" else None
        spec = LoopRound(round=round_kind, minutes=minutes, persona=persona)
        planned = _plan_round(catalog, spec, area, seen_questions(store), rng, question_id)
        transcript = Transcript(
            session_id=new_session_id(round_kind),
            kind="practice",
            backend=interviewer.name,
            model=interviewer.model,
            profile=profile,
        )
        return cls(
            transcript,
            [planned],
            catalog,
            interviewer,
            store,
            persona=persona,
            **kwargs,
        )

    @classmethod
    def for_loop(
        cls,
        catalog: Catalog,
        interviewer: Interviewer,
        store: TranscriptStore,
        loop: LoopPreset,
        profile: CandidateProfile | None = None,
        persona: Persona | None = None,
        rng: random.Random | None = None,
        **kwargs,
    ) -> Session:
        profile = profile or CandidateProfile()
        seen = seen_questions(store)
        plan: list[PlannedRound] = []
        for spec in loop.rounds:
            area = spec.area or (
                area_for(profile.specialization) if spec.round == "research" else None
            )
            # never the same question twice in one loop
            plan.append(_plan_round(catalog, spec, area, seen, rng))
        transcript = Transcript(
            session_id=new_session_id(loop.id),
            kind="loop",
            loop_id=loop.id,
            loop_name=loop.name,
            loop=loop,
            backend=interviewer.name,
            model=interviewer.model,
            profile=profile,
        )
        return cls(
            transcript, plan, catalog, interviewer, store, persona=persona, loop=loop, **kwargs
        )

    # -------------------------------------------------------------- playing

    def save(self) -> None:
        self.store.save(self.transcript)

    @property
    def next_index(self) -> int:
        """The first round not yet ended (len(plan) when all are)."""
        for index, record in enumerate(self.transcript.rounds):
            if record.ended_at is None:
                return index
        return len(self.transcript.rounds)

    def runner(self, index: int) -> RoundRunner:
        """The runner for round `index`, creating its record on first use."""
        planned = self.plan[index]
        while len(self.transcript.rounds) <= index:
            spec = self.plan[len(self.transcript.rounds)]
            problems = spec.problems
            self.transcript.rounds.append(
                RoundRecord(
                    round=spec.spec.round,
                    question_id=spec.question.id,
                    question_ids=[q.id for q in problems] if len(problems) > 1 else [],
                    question_title=" · ".join(q.title for q in problems),
                    question_prompt=spec.question.prompt,
                    stage=spec.spec.stage if self.transcript.kind == "loop" else "practice",
                    minutes=spec.spec.minutes or min(120, sum(q.minutes for q in problems)),
                    persona=spec.spec.persona or self.persona,
                )
            )
        record = self.transcript.rounds[index]
        ctx = RoundContext(
            catalog=self.catalog,
            rubric=self.catalog.rubric(planned.spec.round),
            question=planned.question,
            record=record,
            profile=self.transcript.profile,
            persona=record.persona or self.persona,
            problems=planned.problems if len(planned.problems) > 1 else [],
        )
        return RoundRunner(ctx, self.interviewer, self.clock, self.save, self.max_answers)

    async def finish(self) -> Transcript:
        """Grade every ended, ungraded round concurrently, then debrief a loop."""
        semaphore = asyncio.Semaphore(GRADING_CONCURRENCY)

        async def grade(index: int) -> None:
            async with semaphore:
                await self.runner(index).grade()

        pending = [i for i, r in enumerate(self.transcript.rounds) if r.scorecard is None]
        await asyncio.gather(*(grade(i) for i in pending))
        if self.transcript.kind == "loop":
            self.transcript.debrief = await self.interviewer.debrief(
                self.loop, self.transcript.rounds
            )
        self.transcript.status = "complete"
        self.save()
        return self.transcript


def seen_questions(store: TranscriptStore) -> set[str]:
    """Question ids the candidate has already practised, from the saved transcripts."""
    return {qid for summary in store.summaries() for qid in summary.question_ids}
