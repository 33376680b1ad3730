"""Checks a finished round's conversation the way a reviewer of the interviewer would: did a
probe ask about a point the candidate had already made, and was every stated mistake
challenged? Both use the grader's own detection (`analyze`). For tests and the examples."""

from __future__ import annotations

from simulator.analysis.evidence import analyze
from simulator.backends.offline.challenge import quoted_mistake
from simulator.backends.offline.probes import already_made, probe_in
from simulator.models import Question, RoundRecord, Rubric


def _answers_before(record: RoundRecord, index: int) -> str:
    return "\n\n".join(
        t.text
        for t in record.turns[:index]
        if t.role == "candidate" and t.kind not in ("clarify", "code")
    )


def probes_on_points_made(record: RoundRecord, rubric: Rubric, question: Question) -> list[str]:
    """Each probe that asked for a point (or a whole criterion) already made before it."""
    found = []
    for index, turn in enumerate(record.turns):
        if turn.role != "interviewer" or turn.kind != "probe":
            continue
        choice = probe_in(turn.text, rubric, question)
        if choice is None:
            continue
        seen = analyze(_answers_before(record, index), rubric, question)
        if already_made(choice, question, seen):
            found.append(f"turn {index}: {choice.text!r} after {choice.point or choice.criterion}")
    return found


def unchallenged_mistakes(record: RoundRecord, rubric: Rubric, question: Question) -> list[str]:
    """Each misconception the candidate stated that no later turn challenged."""
    turns = record.turns
    closing = next(
        (i for i, t in enumerate(turns) if t.role == "interviewer" and t.kind == "closing"),
        len(turns),
    )
    challenged: set[str] = set()
    missed: dict[str, str] = {}
    for index, turn in enumerate(turns[:closing]):
        if turn.role != "candidate" or turn.kind in ("clarify", "code"):
            continue
        later = [
            t.text for t in turns[index + 1 :] if t.role == "interviewer" and t.kind == "challenge"
        ]
        for mistake, sentence in analyze(turn.text, rubric, question).mistakes:
            if any(quoted_mistake(sentence.text) in text for text in later):
                challenged.add(mistake.text)
            else:
                missed.setdefault(mistake.text, f"turn {index}: {sentence.text!r}")
    return [where for text, where in missed.items() if text not in challenged]
