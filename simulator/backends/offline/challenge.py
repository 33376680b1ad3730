"""Challenging a stated mistake: quote it, push back, never give the correction away."""

from __future__ import annotations

from simulator.analysis.text import quote

_PUSH_BACK = (
    "Are you sure about that? Walk me through why it holds.",
    "I'm not convinced. What would have to be true for that to hold?",
    "Let me push back on that. How would you check it?",
)
# Behavioral mistakes are about the story, not a fact: push back on what the story is missing.
_BY_CRITERION = {
    "relevance": "Is that really a failure, though? I'm after a time something went wrong "
    "and it cost something.",
    "actions": "What was your own part in it, though?",
    "reflection": "Really nothing? Looking back, what would you do differently?",
}


def quoted_mistake(sentence: str) -> str:
    """The candidate's words a challenge quotes (also how a challenge is recognised later)."""
    return quote(sentence.strip(), 160).rstrip(".")


def challenge(round_kind: str, criterion: str, sentence: str, earlier: int) -> str:
    """The challenge of one stated mistake; `earlier` challenges vary the wording."""
    push = _PUSH_BACK[earlier % len(_PUSH_BACK)]
    if round_kind == "behavioral" and criterion in _BY_CRITERION:
        push = _BY_CRITERION[criterion]
    return f'You said "{quoted_mistake(sentence)}". {push}'
