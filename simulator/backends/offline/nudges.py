"""What the interviewer says when the last answer is not an answer: "I don't know", an empty
or unreadable reply, a list of terms. Each names what was wrong and what would help."""

from __future__ import annotations

import re

from simulator.analysis.evidence import Analysis
from simulator.analysis.text import words
from simulator.backends.offline.probes import ProbeChoice
from simulator.models import Question

_DONT_KNOW = re.compile(
    r"\b(i\s*(do\s*n[o']?t|dont|don't) know|not sure|no idea|no clue|i'?m not familiar|"
    r"(can'?t|cannot|don'?t) remember|never (heard|used|seen)|i'?d have to (guess|look it up)|"
    r"pass\b|i'?m stuck|i have no|(can'?t|cannot|not that i can) think of)",
    re.IGNORECASE,
)
DONT_KNOW_MAX_WORDS = 25
"""A longer answer that says "not sure" and then reasons is an answer, not an admission."""

_WHAT_WAS_WRONG = {
    "empty": "I didn't get an answer there.",
    "gibberish": "That didn't come through as words I can follow.",
    "too_short": "That's too brief for me to assess.",
    "buzzword_list": "That's a list of terms. Pick the one that matters and tell me how it works.",
    "restated_question": "That mostly restates the question.",
    "off_topic": "That sounds like an answer to a different question.",
}

_ROUND_HINTS = {
    "system-design": "start from the simplest version that works, then say where it breaks first",
    "ml-system-design": "start from what we optimize and what data we have, then a simple model",
    "research": "start from the definition and work a tiny example; two or three numbers will do",
    "research-presentation": "start from what you would tell a colleague in one minute",
    "behavioral": "any real situation works, even a small one: what happened, what you did",
    "swe-coding": "start from a brute force, say its complexity, then see what repeats",
    "ai-coding": "start from the formula, then write it for a single example before vectorising",
    "everyday-programming": "tell me what you would try first, and how you would check it",
}


def admits_not_knowing(text: str) -> bool:
    return bool(_DONT_KNOW.search(text)) and len(words(text)) <= DONT_KNOW_MAX_WORDS


def what_was_wrong(latest: Analysis) -> str:
    for flag in latest.flags:
        if flag in _WHAT_WAS_WRONG:
            return _WHAT_WAS_WRONG[flag]
    return "I need a bit more to go on."


_CRITERION_HINTS = {
    "actions": "start from the first thing you personally did, and go in order",
    "result": "a rough number is fine: hours, days, people or money affected",
    "reflection": "think about what you would tell a new colleague so they avoid it",
    "relevance": "think about why, of all your stories, you picked this one",
    "mechanism": "follow a single example through one training step",
    "tradeoffs": "think about what it costs, and when you would not pay that",
    "practice": "think of the last real training run or system you saw, and its settings",
    "deep-dive": "pick the hardest part and say how it keeps working at ten times the load",
    "reliability": "pick one component and say it dies: what happens next?",
    "architecture": "start from one request and follow it through the system",
    "complexity": "count how many times each element is touched",
    "edge-cases": "think of the smallest and the strangest inputs",
}
_FROM_CONTEXT = frozenset({"estimation", "requirements", "situation", "framing"})


def context_facts(context: str) -> str:
    """The question's facts, as said aloud (without the bank's "If asked:")."""
    facts = re.sub(r"^\s*if asked[^:]*:\s*", "", context.strip(), flags=re.IGNORECASE)
    return " ".join(facts.split())


def hint(round_kind: str, question: Question | None, pending: ProbeChoice | None) -> str:
    """A hint towards the pending question that does not give the answer away: the facts the
    question allows (scale, constraints) when it asks for numbers or scope, else a way to
    start on that kind of question."""
    context = question.context if question else None
    criterion = pending.criterion if pending else ""
    if context and criterion in _FROM_CONTEXT:
        return f"Here's what you can assume: {context_facts(context)} Work from there, roughly."
    # Not the point's name: names like "Click analytics off the redirect path" are answers.
    way_in = _CRITERION_HINTS.get(criterion) or _ROUND_HINTS.get(
        round_kind, "start from what you do know and reason out loud"
    )
    return f"A hint: {way_in}."


def restate(pending_text: str) -> str:
    """The pending question again, short: its last sentence that asks something."""
    asks = [s for s in re.split(r"(?<=[.!?])\s+", pending_text.strip()) if s.endswith("?")]
    if asks:
        return asks[-1]
    first = re.split(r"(?<=[.!?])\s+", pending_text.strip())[0]
    return first
