"""Domain types shared by the catalog, the engine, the backends, the store and the clients.

Everything that crosses a boundary (a YAML file, a transcript on disk, a backend's reply,
the CLI's --json) is one of these pydantic models.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal, TypeGuard, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

RoundKind = Literal[
    "swe-coding",
    "everyday-programming",
    "system-design",
    "ml-system-design",
    "ai-coding",
    "research",
    "research-presentation",
    "behavioral",
]
ROUND_KINDS: tuple[RoundKind, ...] = get_args(RoundKind)
CODING_ROUNDS = frozenset({"swe-coding", "ai-coding"})


def is_round_kind(value: object) -> TypeGuard[RoundKind]:
    """Whether a name from outside (the command line, a form, a file) is a round kind."""
    return value in ROUND_KINDS


Level = Annotated[int, Field(ge=1, le=4)]
Decision = Literal["strong_no_hire", "lean_no_hire", "lean_hire", "strong_hire"]
DECISION_LABELS: dict[str, str] = {
    "strong_no_hire": "Strong no hire",
    "lean_no_hire": "Lean no hire",
    "lean_hire": "Lean hire",
    "strong_hire": "Strong hire",
}

# A signal is a regex; parts joined by " & " must all match within one sentence.
# Matching is case-insensitive and anchored at a word start, so stems work ("normali[sz]").
Signal = str


def now_utc() -> datetime:
    return datetime.now(UTC)


class Strict(BaseModel):
    """Catalog files are written by hand: an unknown key is a typo, not something to ignore."""

    # defer_build: validators are built on first use, not at import (faster app start-up).
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


# ---------------------------------------------------------------- catalog: rubrics, questions


class Criterion(Strict):
    id: str
    name: str
    weight: float = Field(gt=0)
    description: str
    levels: dict[Level, str]
    signals: list[Signal] = []
    """Generic evidence of this criterion, for any question of the round kind."""
    probes: list[str] = []
    """Generic follow-ups for this criterion, used after the question's own."""
    measure: Literal["evidence", "coverage", "communication", "tests"] = "evidence"
    """How the offline grader scores it: the key points and signals of this criterion made
    (evidence), the key points of the whole question made (coverage: does the answer show
    what the question is after), how the answer is put (communication), or the share of
    hidden tests the code passes (tests)."""

    @field_validator("levels")
    @classmethod
    def _all_levels(cls, levels: dict[int, str]) -> dict[int, str]:
        if set(levels) != {1, 2, 3, 4}:
            raise ValueError("levels must describe each of 1, 2, 3 and 4")
        return levels


class Rubric(Strict):
    round: RoundKind
    name: str
    description: str
    criteria: list[Criterion] = Field(min_length=2)
    opening: str = "Let's start."
    closing: str = "Thanks. What questions do you have for me?"
    """Said at the end; the interviewer puts "We're at time." (or why it ends) before it."""

    def overall(self, scores: dict[str, int]) -> float:
        """The weighted mean of criterion scores (criterion id -> 1..4), to two decimals."""
        total = sum(c.weight for c in self.criteria)
        return round(sum(scores[c.id] * c.weight for c in self.criteria) / total, 2)

    def criterion(self, criterion_id: str) -> Criterion:
        for criterion in self.criteria:
            if criterion.id == criterion_id:
                return criterion
        raise KeyError(criterion_id)


class KeyPoint(Strict):
    """One point a strong answer makes, with the words that show it was made."""

    id: str
    text: str
    criterion: str
    signals: list[Signal] = Field(min_length=1)
    depth: Literal["core", "advanced"] = "core"


class Misconception(Strict):
    """A mistake candidates really make; saying it costs points on its criterion."""

    text: str
    criterion: str
    signals: list[Signal] = Field(min_length=1)
    correction: str


class Probe(Strict):
    text: str
    criterion: str
    after: str | None = None
    """A key point id: ask this only once that point has been made (a deeper follow-up)."""


class TestCase(Strict):
    """One call of the candidate's code, compared with the expected value."""

    call: str
    """A Python expression that calls the candidate's code, e.g. `two_sum([2, 7, 11, 15], 9)`."""
    expected: str | None = None
    """A Python expression for the right result; omitted: the reference solution's result."""
    check: str | None = None
    """Instead of equality: an expression over `result` (and `args`) that must be true."""
    tol: float | None = None
    """Absolute and relative tolerance for floats and arrays."""
    note: str | None = None
    """Shown when the test fails: what the case is about (empty input, ties, ...)."""
    tags: list[Literal["edge", "complexity"]] = []
    """`edge`: an edge case the statement names; `complexity`: a size at which only the
    complexity the statement requires finishes. Complexity tests run on their own with a time
    limit derived from the reference's measured time (simulator.coding.hidden)."""


class WrongSolution(Strict):
    """A plausible wrong solution that the hidden tests must catch (mutation testing)."""

    why: str
    """One line: the mistake (off-by-one, wrong tie-break, too slow for the stated size...)."""
    code: str | None = None
    """The whole solution; or else `edits` to the reference."""
    edits: list[tuple[str, str]] = []
    """(old, new) replacements applied to the reference; each `old` occurs exactly once."""

    @model_validator(mode="after")
    def _code_or_edits(self) -> WrongSolution:
        if (self.code is None) == (not self.edits):
            raise ValueError("a wrong solution has either `code` or `edits`, not both")
        return self

    def source(self, reference: str) -> str:
        """The wrong solution's code; ValueError when an edit does not apply exactly once."""
        if self.code is not None:
            return self.code
        text = reference
        for old, new in self.edits:
            if text.count(old) != 1:
                raise ValueError(f"edit {old!r} occurs {text.count(old)} times in the reference")
            text = text.replace(old, new)
        return text


class CodingSpec(Strict):
    entry: str
    """The function (or class) the candidate writes."""
    signature: str
    starter: str
    reference: str
    setup: str = ""
    """Run before the tests, e.g. `import numpy as np`."""
    examples: list[TestCase] = Field(min_length=1)
    """Visible tests the candidate can run as often as they like."""
    tests: list[TestCase] = Field(min_length=3)
    """Hidden tests run on submission."""
    time_limit: float = Field(default=5.0, gt=0, le=60)
    """Wall-clock seconds for the whole test run."""
    complexity: str | None = None
    """The expected time and space complexity, for the follow-up."""
    wrong_solutions: list[WrongSolution] = []
    """Realistic mistakes; `onsite check-problems` fails when one passes every hidden test."""


class NumericFact(Strict):
    """A number a key point carries: where the candidate states it, the candidate's figure is
    checked against `value` instead of crediting any number."""

    criterion: str
    pattern: str
    """A regex with a named group `n` around the candidate's number (units k/M/B/T allowed)."""
    value: float
    tolerance: float = Field(default=0.15, gt=0)
    """Relative: 0.15 accepts 17 to 23 for a value of 20."""
    correction: str


class Question(Strict):
    id: str
    round: RoundKind
    title: str
    prompt: str
    difficulty: Literal["easy", "medium", "hard"] = "medium"
    tags: list[str] = []
    area: str | None = None
    """research: ml-basics, optimization, architectures, regularization, normalization,
    generative, rl, cv, nlp, evaluation, scaling."""
    competencies: list[str] = []
    principles: list[str] = []
    minutes: int = Field(default=45, ge=5, le=120)
    context: str | None = None
    """Facts the interviewer can give when asked (scale numbers, constraints)."""
    key_points: list[KeyPoint] = Field(min_length=1)
    probes: list[Probe] = []
    misconceptions: list[Misconception] = []
    facts: list[NumericFact] = []
    coding: CodingSpec | None = None

    @property
    def slug(self) -> str:
        return self.id.split("/", 1)[-1]


class StudyItem(Strict):
    topic: str
    criteria: list[str] = Field(min_length=1)
    """The rubric criteria this topic strengthens: a weak score on one points here."""
    why: str
    resources: list[str] = Field(min_length=1)
    """Public material by name (book chapter, course lecture, article), with a URL where stable."""


class StudyGuide(Strict):
    round: RoundKind
    summary: str
    items: list[StudyItem] = Field(min_length=3)


class Persona(BaseModel):
    field: str = "machine learning"
    seniority: str = "senior"
    style: str = "friendly but rigorous"

    def describe(self) -> str:
        return f"a {self.seniority} interviewer in {self.field}, {self.style}"


class LoopRound(Strict):
    round: RoundKind
    stage: Literal["screening", "onsite"] = "onsite"
    title: str | None = None
    question: str | None = None
    area: str | None = None
    minutes: int | None = Field(default=None, ge=5, le=120)
    persona: Persona | None = None
    problems: int | None = Field(default=None, ge=1, le=3)
    """Problems in the round; default two for swe-coding ("two mediums in 40 minutes"), else one."""

    @property
    def problem_count(self) -> int:
        return self.problems or (2 if self.round == "swe-coding" else 1)


class LoopPreset(Strict):
    id: str
    name: str
    description: str
    rounds: list[LoopRound] = Field(min_length=1)


class CandidateProfile(BaseModel):
    name: str = ""
    target_role: str = "research engineer"
    specialization: str = ""
    cv_text: str = ""
    talk_text: str = ""


# ---------------------------------------------------------------- sessions: turns, scorecards


Role = Literal["interviewer", "candidate"]
"""Who speaks a turn."""
TurnKind = Literal["question", "probe", "challenge", "clarify", "closing", "answer", "code", "note"]


class Turn(BaseModel):
    role: Role
    kind: TurnKind
    text: str
    at: datetime = Field(default_factory=now_utc)
    elapsed: float = 0.0
    """Seconds since the round started, by the engine's clock."""
    criterion: str | None = None
    """For a probe: the rubric criterion it is after."""
    tests_passed: int | None = None
    tests_total: int | None = None
    """For submitted code: the hidden tests it passed."""
    test_summary: str | None = None
    question_id: str | None = None
    """On an interviewer's question turn: the problem it introduces (rounds of several)."""


class CriterionScore(BaseModel):
    id: str
    name: str
    score: Level
    evidence: list[str] = []
    feedback: str = ""


class Scorecard(BaseModel):
    round: RoundKind
    question_id: str | None
    grader: str
    overall: float
    decision: Decision
    criteria: list[CriterionScore]
    flags: list[str] = []
    strengths: list[str] = []
    improvements: list[str] = []


def decision_for(overall: float) -> Decision:
    if overall < 1.75:
        return "strong_no_hire"
    if overall < 2.5:
        return "lean_no_hire"
    if overall < 3.25:
        return "lean_hire"
    return "strong_hire"


class RoundRecord(BaseModel):
    round: RoundKind
    question_id: str | None
    question_ids: list[str] = []
    """Every problem of the round, in order, when it has several (coding rounds)."""
    question_title: str
    question_prompt: str
    stage: str = "onsite"
    minutes: int
    started_at: datetime = Field(default_factory=now_utc)
    ended_at: datetime | None = None
    ended_by: Literal["time", "turns", "candidate", "probes"] | None = None
    turns: list[Turn] = []
    scorecard: Scorecard | None = None
    persona: Persona | None = None

    @property
    def candidate_turns(self) -> list[Turn]:
        return [t for t in self.turns if t.role == "candidate"]


class RoundSignal(BaseModel):
    round: RoundKind
    question_id: str | None
    stage: str
    overall: float | None
    decision: Decision | None


class Debrief(BaseModel):
    rounds: list[RoundSignal]
    overall: float
    decision: Decision
    summary: str
    focus: list[str]
    """The three things to work on first."""


SCHEMA_VERSION = 1


class Transcript(BaseModel):
    schema_version: int = SCHEMA_VERSION
    session_id: str
    kind: Literal["practice", "loop"]
    loop_id: str | None = None
    loop_name: str | None = None
    loop: LoopPreset | None = None
    """The loop as it was run (a loop file may change or vanish before a resume)."""
    created_at: datetime = Field(default_factory=now_utc)
    updated_at: datetime = Field(default_factory=now_utc)
    status: Literal["in_progress", "complete"] = "in_progress"
    backend: str = "offline"
    model: str | None = None
    profile: CandidateProfile = Field(default_factory=CandidateProfile)
    rounds: list[RoundRecord] = []
    debrief: Debrief | None = None

    @model_validator(mode="after")
    def _loop_has_id(self) -> Transcript:
        if self.kind == "loop" and not self.loop_id:
            raise ValueError("a loop transcript names its loop")
        return self
