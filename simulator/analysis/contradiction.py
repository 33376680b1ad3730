"""Claims that flip what the question's own key points assert.

A confident answer's errors are rarely among a question's listed misconceptions ("L2 makes the
loss non-convex", "forward KL is mode-seeking"). Every key point (and every misconception's
correction) is a claim with direction and quality words; a candidate sentence about the same
thing (the point's signals match, or it shares its content words) that gives one of those
scales the other pole, next to the same words, says the opposite. Two flips in one sentence
cancel ("a lower T sharpens it" restates "raising T flattens it").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from simulator.analysis.polarity import Mention, mentions
from simulator.analysis.text import Sentence, content_stems
from simulator.catalog import compile_signal
from simulator.models import KeyPoint, Question

TOPIC_STEMS = 3
"""Content words a sentence shares with a claim to be about the same thing (without signals)."""
ANCHOR_STEMS = 2
"""Words shared around the two direction words: the direction is said of the same thing."""

_HEDGED = re.compile(
    r"\b(might|may|could|possibly|perhaps|sometimes|not necessarily|not always|tends? to|"
    r"in some cases|it depends|depending on|can be|unless)\b|\?",
    re.IGNORECASE,
)
# A sentence reporting or refuting a belief asserts nothing of its own.
_REPORTED = re.compile(
    r"\b(misconception|myth|mistaken(ly)?|a mistake|wrong(ly)?|incorrect(ly)?|false(ly)?|"
    r"(people|some|many|folks|candidates) (often |sometimes |usually )?(think|believe|say|"
    r"assume|claim)|common (belief|claim|pitfall|error)|naive(ly)?|contrary to|tempting|"
    r"one might think|used to think|it'?s not true)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Claim:
    """A statement of the question's own files that a candidate can contradict."""

    text: str
    criterion: str
    signals: tuple[str, ...] = ()
    key_point: KeyPoint | None = None


@dataclass(frozen=True)
class Contradiction:
    claim: Claim
    sentence: Sentence
    said: str
    """The candidate's words that flip the claim ("sharpens")."""


def claims(question: Question) -> list[Claim]:
    out = [Claim(kp.text, kp.criterion, tuple(kp.signals), kp) for kp in question.key_points]
    out += [Claim(m.correction, m.criterion) for m in question.misconceptions]
    return out


@cache
def _claim_mentions(text: str) -> tuple[Mention, ...]:
    # "not always better" is a hedge, not "worse": such mentions are left out of the claim.
    return tuple(
        m
        for m in mentions(text)
        if not re.search(r"\bnot (always|necessarily)\s+(\w+\s+){0,2}$", text[: m.start], re.I)
    )


@cache
def _claim_stems(text: str) -> frozenset[str]:
    return frozenset(content_stems(text))


@cache
def _signal_parts(signal: str) -> tuple[re.Pattern[str], ...]:
    try:
        return tuple(compile_signal(signal))
    except re.error:
        return ()


def _about(sentence: Sentence, claim: Claim) -> bool:
    plain = sentence.plain
    for signal in claim.signals:
        parts = _signal_parts(signal)
        if parts and all(p.search(plain) for p in parts):
            return True
    return len(set(content_stems(sentence.text)) & _claim_stems(claim.text)) >= TOPIC_STEMS


def flipped(sentence: Sentence, claim: Claim) -> str | None:
    """The candidate's words that give one of the claim's scales the opposite pole, when the
    sentence asserts it (not hedged, not reporting a belief) and flips an odd number of times."""
    asserted = _claim_mentions(claim.text)
    if not asserted or _HEDGED.search(sentence.text) or _REPORTED.search(sentence.text):
        return None
    said = mentions(sentence.text)
    if not said or not _about(sentence, claim):
        return None
    # Each of the candidate's direction words is read against the claim's word said of the
    # most nearly the same thing (an agreeing one wins a tie); a claimed direction that some
    # word agrees with is not flipped by another.
    verdicts: dict[int, list[tuple[bool, Mention]]] = {}
    for mention in said:
        scored = [
            (len(mention.context & claimed.context), claimed.pole == mention.pole, index)
            for index, claimed in enumerate(asserted)
            if claimed.scale == mention.scale
        ]
        scored = [s for s in scored if s[0] >= ANCHOR_STEMS]
        if scored:
            _, agrees, index = max(scored)
            verdicts.setdefault(index, []).append((agrees, mention))
    flips = [readings[0][1] for readings in verdicts.values() if not any(a for a, _ in readings)]
    if len(flips) % 2 == 0:
        return None
    return ", ".join(sentence.text[m.start : m.end] for m in flips)


def find(found: list[Sentence], question_claims: list[Claim]) -> list[Contradiction]:
    """At most one contradiction per claim and per sentence, in answer order."""
    out: list[Contradiction] = []
    used: set[int] = set()
    for claim in question_claims:
        for sentence in found:
            if id(sentence) in used:
                continue
            said = flipped(sentence, claim)
            if said:
                out.append(Contradiction(claim, sentence, said))
                used.add(id(sentence))
                break
    return out
