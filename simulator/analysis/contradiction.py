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
from simulator.catalog import signal_parts
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
    r"\b(misconceptions?|myths?|mistaken(ly)?|(a|common|classic) (mistake|error|pitfall)|"
    r"(is|it'?s|are) (wrong|false|incorrect|not true) (to|that)|wrongly|incorrectly|falsely|"
    r"(people|some|many|folks|candidates) (often |sometimes |usually )?(think|believe|say|"
    r"assume|claim)|common (belief|claim)|naive(ly)?|contrary to|tempting|one might think|"
    r"used to think|it'?s not true)\b",
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


def _about(sentence: Sentence, claim: Claim) -> bool:
    plain = sentence.plain
    for signal in claim.signals:
        if all(p.search(plain) for p in signal_parts(signal)):
            return True
    return len(set(content_stems(sentence.text)) & _claim_stems(claim.text)) >= TOPIC_STEMS


def reading(
    sentence: Sentence, claim: Claim, read_negation: bool = True
) -> tuple[int, list[Mention]]:
    """How many of the sentence's direction words speak to the claim, and which of them flip
    it. Each word is read against the claim's word said of the most nearly the same thing
    (an agreeing one wins a tie); a claimed direction some word agrees with is not flipped."""
    asserted = _claim_mentions(claim.text)
    if not asserted or not _about(sentence, claim):
        return 0, []
    verdicts: dict[int, list[tuple[bool, Mention]]] = {}
    for mention in mentions(sentence.text, read_negation=read_negation):
        scored = [
            (len(mention.context & claimed.context), claimed.pole == mention.pole, index)
            for index, claimed in enumerate(asserted)
            if claimed.scale == mention.scale
        ]
        scored = [s for s in scored if s[0] >= ANCHOR_STEMS]
        if scored:
            _, agrees, index = max(scored)
            verdicts.setdefault(index, []).append((agrees, mention))
    matched = sum(len(v) for v in verdicts.values())
    flips = [readings[0][1] for readings in verdicts.values() if not any(a for a, _ in readings)]
    return matched, flips


def asserts(sentence: Sentence) -> bool:
    """The sentence states something itself: not hedged, not asking, not reporting a belief."""
    return not (_HEDGED.search(sentence.text) or _REPORTED.search(sentence.text))


_SET_ASIDE = re.compile(
    r"\b(could|would|might|one (option|approach|idea)|the (obvious|simple|simplest|first) "
    r"(idea|approach|option|design|thing)|at first)\b[^.;]*,? but\b",
    re.IGNORECASE,
)
_TENTATIVE = re.compile(r"\?\s*$|\b(might|possibly|perhaps|in some cases|not necessarily)\b", re.I)


def sets_aside(sentence: Sentence) -> bool:
    """The sentence names a wrong idea to set it aside ("the naive approach is hash mod N, but
    adding a node remaps every key"; "people often think a 301 counts clicks"), asks about it,
    or only wonders: how a strong candidate talks, not a stated mistake. Narrower than
    `asserts`: a listed misconception said with "can be" or "may" is still a mistake."""
    text = sentence.text
    return bool(_REPORTED.search(text) or _SET_ASIDE.search(text) or _TENTATIVE.search(text))


def says_opposite(flips: list[Mention]) -> bool:
    """Flips on two different scales cancel ("a lower T sharpens it" restates "raising T
    flattens it"); both poles of one scale flipped is a swap ("the high-frequency dimensions
    break, the low ones are safe" where the point says the reverse)."""
    scales = {m.scale for m in flips}
    swapped = any(len({m.pole for m in flips if m.scale == scale}) > 1 for scale in scales)
    odd = sum(sum(m.scale == scale for m in flips) % 2 for scale in scales)
    return swapped or odd % 2 == 1


_NEGATION = re.compile(r"\b(not|never|no|isn't|aren't|doesn't|don't|won't|cannot)\b|n't\b", re.I)


def denies_the_opposite(sentence: Sentence, claim: Claim) -> bool:
    """A negated sentence whose words, read without the negation, flip the claim: "it is not
    the case that raising T sharpens it" denies a wrong statement, it does not contradict."""
    if not _NEGATION.search(sentence.text):
        return False
    matched, flips = reading(sentence, claim, read_negation=False)
    return matched > 0 and says_opposite(flips)


def find(found: list[Sentence], question_claims: list[Claim]) -> list[Contradiction]:
    """Sentences whose best reading (the claim that speaks to most of their direction words,
    a consistent one winning a tie) flips it an odd number of times: two flips cancel ("a
    lower T sharpens it" restates "raising T flattens it"), and a statement one key point
    supports is not made wrong by another. At most one contradiction per claim."""
    out: list[Contradiction] = []
    used: set[int] = set()
    for sentence in found:
        if not asserts(sentence):
            continue
        readings = []
        for index, claim in enumerate(question_claims):
            matched, flips = reading(sentence, claim)
            if matched:
                readings.append((matched, not says_opposite(flips), -index, flips, claim))
        if not readings:
            continue
        _, consistent, index, flips, claim = max(readings, key=lambda r: r[:3])
        if consistent or -index in used:
            continue
        used.add(-index)
        said = ", ".join(sentence.text[m.start : m.end] for m in flips)
        out.append(Contradiction(claim, sentence, said))
    return out
