"""The Interviewer protocol every backend implements, and what the engine hands it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import BaseModel

from simulator.catalog import Catalog
from simulator.models import (
    CandidateProfile,
    Debrief,
    LoopPreset,
    Persona,
    Question,
    RoundRecord,
    Rubric,
    Scorecard,
    TurnKind,
)

TokenSink = Callable[[str], None]


class BackendError(Exception):
    """The backend could not produce a reply; str() is one line for the candidate."""


class InterviewerReply(BaseModel):
    text: str
    kind: TurnKind
    criterion: str | None = None
    question_id: str | None = None


@dataclass
class RoundContext:
    """Everything a backend may look at to take its next turn or grade a round."""

    catalog: Catalog
    rubric: Rubric
    question: Question | None
    record: RoundRecord
    profile: CandidateProfile = field(default_factory=CandidateProfile)
    persona: Persona = field(default_factory=Persona)
    problems: list[Question] = field(default_factory=list)
    """All problems of a round of several; `question` is the one under discussion."""
    seconds_left: float = float("inf")
    must_close: bool = False
    """Time or turns are up: the next turn is the closing one."""

    @property
    def answering_closing_reply(self) -> bool:
        """The candidate has replied to the closing turn: the next turn is the interviewer's
        last word (a brief answer to their question, or thanks), then the round is over."""
        turns = self.record.turns
        closed = any(t.role == "interviewer" and t.kind == "closing" for t in turns)
        return closed and bool(turns) and turns[-1].role == "candidate"

    @property
    def question_text(self) -> str:
        return self.question.prompt if self.question else self.record.question_prompt

    def graded_answers(self) -> str:
        """The candidate's words that are graded: every answer before the closing turn
        (a clarifying question is not an answer)."""
        out: list[str] = []
        for turn in self.record.turns:
            if turn.role == "interviewer" and turn.kind == "closing":
                break
            if turn.role == "candidate" and turn.kind != "clarify":
                out.append(turn.text)
        return "\n\n".join(out)


class Interviewer(Protocol):
    name: str
    model: str | None

    async def reply(self, ctx: RoundContext, on_token: TokenSink | None = None) -> InterviewerReply:
        """The next interviewer turn: the opening question, a follow-up, or the closing."""
        ...

    async def grade(self, ctx: RoundContext) -> Scorecard: ...

    async def debrief(self, loop: LoopPreset | None, rounds: list[RoundRecord]) -> Debrief: ...
