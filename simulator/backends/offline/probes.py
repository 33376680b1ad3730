"""Which follow-up to ask next: the one place the probe choice is made.

Used by the offline interviewer and available to any backend (an LLM backend can take the
criterion of `choose_probe` as its hint). "Which key points were made" always comes from
`simulator.analysis.evidence.analyze`, the same detection the grader uses, so the interviewer
never asks about a point the grader already credits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from simulator.analysis.evidence import Analysis
from simulator.analysis.text import content_stems
from simulator.models import KeyPoint, Question, Rubric

GENERIC_HITS_FOR_COVERED = 2
"""A criterion without key points of its own counts as covered after this many generic hits."""


@dataclass(frozen=True)
class ProbeChoice:
    text: str
    criterion: str
    point: str | None = None
    """The key point the probe asks about (None: the criterion as a whole)."""


def point_label(point: KeyPoint) -> str | None:
    """The short name a key point is written under ("Traffic estimate - about ..."), if any."""
    head, sep, _ = point.text.partition(" - ")
    head = head.strip()
    if not sep or len(head.split()) > 6 or head.split()[0].lower() in _QUESTION_WORDS:
        return None
    if not _NAME.fullmatch(head) or head.count("(") != head.count(")"):
        return None  # "output size = floor((W" is a formula cut at its minus sign, not a name
    names = head.lower().split()
    if len(names) > 4 or head[0].islower():
        return None
    verb_led = names[0].endswith("ed") or (len(names) > 1 and names[1] in _VERB_OBJECT)
    verb_led |= any(n.endswith(("es", "ed")) and n not in _PLURALS for n in names[1:])
    if verb_led or names[0] in _NOT_A_NAME_START or _NOT_IN_A_NAME & set(names):
        return None  # "Explains why truncation helps" is a claim, not the name of a topic
    return head


_NAME = re.compile(r"[A-Za-z][A-Za-z' ,/()-]*")


def mid_sentence(label: str) -> str:
    """ "Traffic estimate" reads "traffic estimate" mid-sentence; "KV cache" stays."""
    first = label.split(" ", 1)[0]
    if len(first) > 1 and first.isupper():
        return label
    return label[:1].lower() + label[1:]


_QUESTION_WORDS = frozenset({"what", "how", "why", "when", "who", "which", "where"})


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


_NOT_A_NAME_START = _wordset(
    "in on at for with by still put watch explains prevents shows justifies reproduces "
    "states build uses names gives notes knows applies keeps returns treats describes "
    "identifies proposes separates computes handles avoids checks measures asks takes owns "
    "admits chose tells runs sets makes picks says recognises recognizes distinguishes "
    "quantifies understands gathers answers reaches reads rolls ends"
)
_NOT_IN_A_NAME = _wordset(
    "is are was were be cannot can can't will would should must does do doesn't helps"
)
_VERB_OBJECT = _wordset("the a an each both out up down")
_PLURALS = _wordset("features messages caches indexes queues pipelines images batches nodes")
"""A second word like these after the first ("Reads each traceback") makes a verb phrase."""


def shared_words(a: set[str], b: set[str]) -> int:
    """Content words in common, a word matching its own inflections ("key"/"keys",
    "generat"/"gener"): the stems are cut short, so one being a prefix of the other counts."""
    return sum(
        1
        for x in a
        if any(len(min(x, y, key=len)) >= 3 and (x.startswith(y) or y.startswith(x)) for y in b)
    )


def probe_target(question: Question | None, criterion: str, text: str, after: str | None = None):
    """The key point a probe's words ask about: the point of its criterion sharing the most
    content words with it (at least two; one for a very short probe), other than the point
    it follows up on."""
    if question is None:
        return None
    asked = set(content_stems(text))
    best: tuple[int, KeyPoint] | None = None
    for point in question.key_points:
        if point.criterion != criterion or point.id == after:
            continue
        shared = shared_words(asked, set(content_stems(point.text)))
        if (shared >= 2 or (shared and len(asked) <= 3)) and (best is None or shared > best[0]):
            best = (shared, point)
    return best[1] if best else None


def uncovered_label_probe(point: KeyPoint) -> str | None:
    """A follow-up naming a key point not yet touched, when the bank has no probe for it."""
    label = point_label(point)
    if label is None:
        return None
    return f"We haven't talked about {mid_sentence(label)} yet. How would you handle it?"


def criterion_covered(criterion: str, question: Question | None, seen: Analysis) -> float:
    """The share of a criterion already shown: its key points made, else its generic hits."""
    own = [kp for kp in (question.key_points if question else []) if kp.criterion == criterion]
    if own:
        return len(seen.covered_points(own)) / len(own)
    return min(1.0, len(seen.generic.get(criterion, [])) / GENERIC_HITS_FOR_COVERED)


def already_made(choice: ProbeChoice, question: Question | None, seen: Analysis) -> bool:
    """Would asking this probe ask for something the candidate has already said?"""
    if choice.point is not None:
        return choice.point in seen.covered
    return criterion_covered(choice.criterion, question, seen) >= 1.0


_CANDIDATES: dict[tuple[int, int], tuple[Rubric, Question | None, list]] = {}
"""candidate_probes per (rubric, question) object: the same every turn of a round, and matching
probe words to key points is the costliest part of choosing one. The entry holds the objects,
so their ids cannot be reused while it lives."""


def candidate_probes(
    rubric: Rubric, question: Question | None
) -> list[tuple[ProbeChoice, str | None, bool]]:
    """Every probe the round could ask, with the point it must follow (if any) and whether it
    is the question's own (asked before the rubric's generic ones)."""
    key = (id(rubric), id(question))
    cached = _CANDIDATES.get(key)
    if cached is not None:
        return list(cached[2])
    out = _candidate_probes(rubric, question)
    if len(_CANDIDATES) >= 256:
        _CANDIDATES.clear()
    _CANDIDATES[key] = (rubric, question, out)
    return list(out)


def _candidate_probes(
    rubric: Rubric, question: Question | None
) -> list[tuple[ProbeChoice, str | None, bool]]:
    out: list[tuple[ProbeChoice, str | None, bool]] = []
    for probe in question.probes if question else []:
        target = probe_target(question, probe.criterion, probe.text, probe.after)
        choice = ProbeChoice(probe.text, probe.criterion, target.id if target else None)
        out.append((choice, probe.after, True))
    for criterion in rubric.criteria:
        for text in criterion.probes:
            target = probe_target(question, criterion.id, text)
            out.append(
                (ProbeChoice(text, criterion.id, target.id if target else None), None, False)
            )
    for point in question.key_points if question else []:
        label_probe = uncovered_label_probe(point)
        if label_probe and not any(c.point == point.id for c, _, _ in out):
            out.append((ProbeChoice(label_probe, point.criterion, point.id), None, False))
    return out


def choose_probe(
    rubric: Rubric,
    question: Question | None,
    seen: Analysis,
    asked: list[str],
    avoid: frozenset[str] = frozenset(),
    only: frozenset[str] | None = None,
) -> ProbeChoice | None:
    """The next follow-up: on the most important criterion not yet covered, never one already
    asked (`asked`: the interviewer's earlier turns), never about a point already made, and
    never about a point or criterion in `avoid` (one the candidate could not answer: then the
    question's own probes come first, as they stand on their own); with `only`, among those
    criteria alone."""

    def was_asked(text: str) -> bool:  # asked turns may carry an acknowledgement first
        return any(text in turn for turn in asked)

    order = {c.id: i for i, c in enumerate(rubric.criteria)}
    weight = {c.id: c.weight for c in rubric.criteria}
    best: tuple[float, ProbeChoice] | None = None
    for choice, after, own in candidate_probes(rubric, question):
        if choice.criterion not in order or was_asked(choice.text):
            continue
        if only is not None and choice.criterion not in only:
            continue
        if choice.point in avoid or choice.criterion in avoid:
            continue
        if already_made(choice, question, seen):
            continue
        if after and after not in seen.covered:
            continue
        coverage = criterion_covered(choice.criterion, question, seen)
        # A deeper follow-up on a point just made is what a good interviewer asks next;
        # the question's own probes come before the rubric's generic ones.
        bonus = 0.35 if after else (0.1 if own else 0.0)
        if avoid and own:  # a fresh start: generic probes ("Why does that happen?") lean on
            bonus += 0.6  # an answer the candidate did not give
        priority = (
            weight[choice.criterion] * (1 - coverage) + bonus - order[choice.criterion] * 0.001
        )
        if best is None or priority > best[0]:
            best = (priority, choice)
    return best[1] if best else None


def probe_in(text: str, rubric: Rubric, question: Question | None) -> ProbeChoice | None:
    """The probe an interviewer turn asked, recognised from its words (None for other turns)."""
    for choice, _, _ in candidate_probes(rubric, question):
        if choice.text in text:
            return choice
    return None
