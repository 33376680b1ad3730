"""The interviewer's first words after an answer: name what the candidate actually said.

Never a stock "Right." or "Let's push on that.": the acknowledgement names the point made
(by its label, with the candidate's own words) or quotes what was said and asks for more.
"""

from __future__ import annotations

from simulator.analysis.evidence import Analysis
from simulator.analysis.text import quote
from simulator.backends.offline.probes import point_label
from simulator.models import Question, Rubric

QUOTE_CHARS = 90


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _said(text: str) -> str:
    return f'"{quote(text.strip().rstrip("."), QUOTE_CHARS)}"'


def new_points(before: Analysis, latest: Analysis, question: Question | None) -> list:
    """The key points the latest answer makes that no earlier answer made, in bank order."""
    if question is None:
        return []
    return [
        kp for kp in question.key_points if kp.id in latest.covered and kp.id not in before.covered
    ]


def acknowledge(
    rubric: Rubric, question: Question | None, before: Analysis, latest: Analysis, tough: bool
) -> str:
    """One or two sentences saying what the last answer added, specifically."""
    made = new_points(before, latest, question)
    if made:
        labels = [point_label(kp) for kp in made]
        named = [_lower_first(label) for label in labels if label]
        first = latest.covered[made[0].id]
        if named:
            listed = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
            lead = "OK" if tough else "Good"
            return f"{lead}, that covers {listed}: {_said(first.text)}."
        criterion = rubric.criterion(made[0].criterion).name
        lead = "Noted" if tough else "That helps"
        return f"{lead}: {_said(first.text)} tells me about {_lower_first(criterion)}."
    if latest.covered:  # points made again: say so instead of pretending it is new
        point = next(iter(latest.covered.values()))
        return f"You made that point already ({_said(point.text)})."
    generic = [s for hits in latest.generic.values() for s in hits]
    if generic:
        return f"You mentioned {_said(generic[0].text)}."
    if not latest.sentences:
        return ""
    said = _said(latest.sentences[0].text)
    if tough:
        return f"{said} is still general."
    return f"I follow {said}, but it's still general for this problem."
