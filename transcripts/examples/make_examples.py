"""Rebuild the example sessions: the two in transcripts/ (a graded round and a loop) and, in
this folder, three rounds (system design, research, behavioral) each played by a strong, a
weak and an "I don't know" candidate.

    python transcripts/examples/make_examples.py

Plays the answers in this folder through the real headless path (`play`) and the offline
interviewer with fixed questions, so a new user can try `onsite review` and `onsite export`
at once. The candidate rounds run on a clock that moves a few minutes per answer, as a real
round does, so the interviewer paces them and closes at time. Then it checks every example
as a reviewer of the interviewer would: no probe asks about a point already made, every
stated mistake is challenged; it exits 1 if one is not.
"""

from __future__ import annotations

import asyncio
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

import simulator.engine.session as session_module  # noqa: E402
from simulator.backends.offline.audit import (  # noqa: E402
    probes_on_points_made,
    unchallenged_mistakes,
)
from simulator.backends.offline.interviewer import OfflineInterviewer  # noqa: E402
from simulator.catalog import load_catalog  # noqa: E402
from simulator.cli import parse_answers  # noqa: E402
from simulator.engine.session import Session  # noqa: E402
from simulator.headless import play  # noqa: E402
from simulator.models import CandidateProfile, Transcript  # noqa: E402
from simulator.store.transcripts import TranscriptStore  # noqa: E402

QUESTIONS = [
    ["research/conv-arithmetic"],
    ["system-design/payment-ledger"],
    ["ai-coding/conv2d"],
    ["behavioral/learning-new-area-fast"],
    ["swe-coding/minimum-window-substring", "swe-coding/two-sum"],
    ["research/object-detection"],
]


CANDIDATE_ROUNDS = {
    # round kind: (question id, minutes an answer takes on the round's clock)
    "system-design": ("system-design/url-shortener", 5.5),
    "research": ("research/dropout", 3.0),
    "behavioral": ("behavioral/biggest-failure", 2.0),
}
CANDIDATES = ("strong", "weak", "dont-know")


class AnswerPacedClock:
    """A clock that moves `seconds` for every answer the candidate has given this session:
    a headless run's own clock barely moves, a real candidate's does."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.session: Session | None = None

    def now(self) -> float:
        if self.session is None:
            return 0.0
        return self.seconds * sum(
            1 for r in self.session.transcript.rounds for t in r.turns if t.role == "candidate"
        )


def play_candidate(catalog, store: TranscriptStore, kind: str, candidate: str) -> Transcript:
    question_id, minutes_per_answer = CANDIDATE_ROUNDS[kind]
    clock = AnswerPacedClock(minutes_per_answer * 60)
    session = Session.practice(
        catalog,
        OfflineInterviewer(),
        store,
        kind,
        question_id=question_id.split("/", 1)[1],
        profile=CandidateProfile(name=f"Example {candidate} candidate"),
        clock=clock,
    )
    clock.session = session
    answers = parse_answers((HERE / "answers" / f"{kind}-{candidate}.txt").read_text())
    return asyncio.run(play(session, answers, quiet=True))


def audit(catalog, transcript: Transcript) -> list[str]:
    """What a reviewer of the interviewer would object to, per round."""
    problems = []
    for record in transcript.rounds:
        question = catalog.question(record.question_id)
        rubric = catalog.rubric(record.round)
        for issue in probes_on_points_made(record, rubric, question):
            problems.append(f"{transcript.session_id}: probe on a point already made, {issue}")
        for issue in unchallenged_mistakes(record, rubric, question):
            problems.append(f"{transcript.session_id}: mistake not challenged, {issue}")
    return problems


def main() -> None:
    catalog = load_catalog()
    store = TranscriptStore(HERE.parent, index=False)
    names = iter(["example-loop-meta-research-engineer", "example-round-url-shortener"])
    session_module.new_session_id = lambda label: next(names)
    profile = CandidateProfile(name="Example Candidate", specialization="computer vision")
    loop = Session.for_loop(
        catalog,
        OfflineInterviewer(),
        store,
        catalog.loops["meta-research-engineer"],
        profile=profile,
        rng=random.Random(3),
    )
    # The answers were written for these questions: pin them whatever the bank holds.
    for planned, ids in zip(loop.plan, QUESTIONS, strict=True):
        planned.question = catalog.question(ids[0])
        planned.extra = [catalog.question(i) for i in ids[1:]]
    loop_answers = parse_answers((HERE / "loop-answers.txt").read_text(), loop=True)
    asyncio.run(play(loop, loop_answers, quiet=True))
    clock = AnswerPacedClock(6.5 * 60)
    practice = Session.practice(
        catalog,
        OfflineInterviewer(),
        store,
        "system-design",
        question_id="url-shortener",
        profile=profile,
        clock=clock,
    )
    clock.session = practice
    asyncio.run(play(practice, parse_answers((HERE / "round-answers.txt").read_text()), quiet=True))
    written = [
        store.path_for(s)
        for s in ("example-loop-meta-research-engineer", "example-round-url-shortener")
    ]
    problems: list[str] = []
    candidates = TranscriptStore(HERE, index=False)
    for kind in CANDIDATE_ROUNDS:
        for candidate in CANDIDATES:
            session_id = f"example-{kind}-{candidate}"
            session_module.new_session_id = lambda label, sid=session_id: sid
            transcript = play_candidate(catalog, candidates, kind, candidate)
            problems += audit(catalog, transcript)
            written.append(candidates.path_for(session_id))
    print("wrote", *written, sep="\n  ")
    if problems:
        print("the interviewer slipped:", *problems, sep="\n  ", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
