"""The interviewer's first words after an answer: name what the candidate actually said.

Never a stock "Right." or "Let's push on that.": the acknowledgement names the point made
(by its label, with the candidate's own words) or quotes what was said and asks for more.
"""

from __future__ import annotations

from simulator.analysis.evidence import Analysis
from simulator.analysis.text import quote
from simulator.backends.offline.probes import mid_sentence, point_label
from simulator.models import Question, Rubric

QUOTE_CHARS = 90


def said(text: str) -> str:
    """The candidate's words, quoted: the whole sentence if short, else its first clause(s)."""
    text = text.strip().rstrip(".")
    if len(text) <= QUOTE_CHARS:
        return f'"{text}"'
    cut = max(text.rfind(mark, 0, QUOTE_CHARS) for mark in (",", ";", ":", " (", " so ", " and "))
    short = text[:cut] if cut >= 30 else quote(text, QUOTE_CHARS)
    return f'"{short.rstrip(" ,;:")}…"'


def new_points(before: Analysis, latest: Analysis, question: Question | None) -> list:
    """The key points the latest answer makes that no earlier answer made, in bank order."""
    if question is None:
        return []
    return [
        kp for kp in question.key_points if kp.id in latest.covered and kp.id not in before.covered
    ]


_POINT_MADE = (
    "Good: {said}.",
    "OK, {said}; that helps.",
    "Noted: {said}.",
    "Good, {said}.",
)


def acknowledge(
    rubric: Rubric,
    question: Question | None,
    before: Analysis,
    latest: Analysis,
    tough: bool,
    turn: int = 0,
) -> str:
    """One or two sentences saying what the last answer added, specifically; `turn` (the
    interviewer's turn count) varies the wording."""
    made = new_points(before, latest, question)
    if made:
        labels = [point_label(kp) for kp in made]
        named = [mid_sentence(label) for label in labels if label]
        first = latest.covered[made[0].id]
        if named:
            listed = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
            lead = "OK" if tough else "Good"
            return f"{lead}, that covers {listed}: {said(first.text)}."
        # Quote what was heard; a count of further points ("You made 2 more points there")
        # reads as bookkeeping, not as an interviewer listening.
        text = _POINT_MADE[turn % len(_POINT_MADE)].format(said=said(first.text))
        return text[0].upper() + text[1:]
    # Nothing new for the rubric: quote what was said, so the candidate knows it was heard.
    hits = [s for hits in latest.generic.values() for s in hits]
    heard = next(iter(latest.covered.values()), None) or (hits[0] if hits else None)
    if heard is not None:
        return f"You mentioned {said(heard.text)}."
    if not latest.sentences:
        return ""
    quoted = said(latest.sentences[0].text)
    if tough:
        return f"{quoted} is still general."
    return f"I follow {quoted}, but it's still general for this problem."
