"""What the interviewer says when the last answer is not an answer: "I don't know", an empty
or unreadable reply, a list of terms. Each names what was wrong and what would help."""

from __future__ import annotations

import re

from simulator.analysis.evidence import Analysis
from simulator.analysis.text import words
from simulator.backends.offline.probes import ProbeChoice, point_label
from simulator.models import Question

_DONT_KNOW = re.compile(
    r"\b(i\s*(do\s*n[o']?t|dont|don't) know|not sure|no idea|no clue|i'?m not familiar|"
    r"(can'?t|cannot|don'?t) remember|never (heard|used|seen)|i'?d have to (guess|look it up)|"
    r"pass\b|i'?m stuck|i have no)",
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


def hint(round_kind: str, question: Question | None, pending: ProbeChoice | None) -> str:
    """A hint towards the pending question that does not give the answer away: the facts the
    question allows (scale, constraints) when it asks for numbers or scope, the name of the
    point it is after, else a way to start."""
    context = (question.context or "").strip() if question else ""
    facts = re.sub(r"^\s*if asked[^:]*:\s*", "", context, flags=re.IGNORECASE)
    criterion = pending.criterion if pending else ""
    if facts and criterion in ("estimation", "requirements", "situation", "framing"):
        return f"Here's what you can assume: {facts} Work from there, roughly."
    point = None
    if pending and pending.point and question:
        point = next((kp for kp in question.key_points if kp.id == pending.point), None)
    label = point_label(point) if point else None
    way_in = _ROUND_HINTS.get(round_kind, "start from what you do know and reason out loud")
    if label:
        return f"A hint: this is about {label[0].lower() + label[1:]}; {way_in}."
    return f"A hint: {way_in}."


def restate(pending_text: str) -> str:
    """The pending question again, short: its last sentence that asks something."""
    asks = [s for s in re.split(r"(?<=[.!?])\s+", pending_text.strip()) if s.endswith("?")]
    if asks:
        return asks[-1]
    first = re.split(r"(?<=[.!?])\s+", pending_text.strip())[0]
    return first
