"""Cheap tricks that fool a key-point matcher, detected so the grader can cap them.

Each detector looks at how the answer is written, not at what a particular question is about:
- copied text: sentences whose word sequences come from the question's own files (key points,
  probes, misconceptions, context, rubric descriptors, study notes);
- fragment lists: runs of very short sentences, or sentences with no verb at all
  ("Variance grows with d_k. Softmax saturates. Unit variance.", "There is X.");
- repetition: the same sentences again and again (a low compression ratio);
- keyword density: far more key points per word than a person explaining them can fit.

Every detector was measured on honest answers (terse ones included) as well as on tricks;
the thresholds sit where the honest ones stay well clear.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from dataclasses import dataclass

from simulator.analysis.text import Sentence, content_stems, stem, words

FLAG_COPIED = "copied_text"
FLAG_FRAGMENTS = "fragment_list"
FLAG_REPETITION = "repetition"
FLAG_STUFFING = "keyword_stuffing"
GAMING_FLAGS = (FLAG_COPIED, FLAG_FRAGMENTS, FLAG_REPETITION, FLAG_STUFFING)

GAMING_CAP = 2
"""A criterion's highest level when the answer games the grader: lean no hire at best."""

GAMING_REASON = {
    FLAG_COPIED: "Much of the answer is copied from the question's own notes, not your words.",
    FLAG_FRAGMENTS: "The answer is a list of fragments or terms: each point needs its reason.",
    FLAG_REPETITION: "The answer repeats itself: saying a point again adds nothing.",
    FLAG_STUFFING: "Key terms packed far more densely than any explanation can carry them.",
}

# ------------------------------------------------------------------ copied text

NGRAM = 4
"""Content-stem 4-grams: long enough that two honest people rarely share one by chance."""


def _ngrams(stems: list[str], n: int = NGRAM) -> set[tuple[str, ...]]:
    return {tuple(stems[i : i + n]) for i in range(len(stems) - n + 1)}


def source_ngrams(texts: list[str]) -> frozenset[tuple[str, ...]]:
    grams: set[tuple[str, ...]] = set()
    for text in texts:
        grams |= _ngrams(content_stems(text))
    return frozenset(grams)


def copied_share(sentence: Sentence, source: frozenset[tuple[str, ...]]) -> float:
    """The share of the sentence's content 4-grams that also occur in the source texts."""
    grams = _ngrams(content_stems(sentence.text))
    if not grams:
        return 0.0
    return sum(g in source for g in grams) / len(grams)


def copied_sentences(
    found: list[Sentence], source: frozenset[tuple[str, ...]], threshold: float = 0.5
) -> list[Sentence]:
    return [s for s in found if copied_share(s, source) >= threshold]


# ------------------------------------------------------------------ predicates and reasoning

_AUX = (
    r"is|are|was|were|be|been|being|am|isn't|aren't|wasn't|weren't|has|have|had|hasn't|haven't|"
    r"do|does|did|don't|doesn't|didn't|can|can't|cannot|could|will|won't|would|should|may|might|"
    r"must|shall|'s|'re|'ll|'d|'ve|’s|’re|’ll|’d|’ve"
)
_AUX_RE = re.compile(rf"(?:\b(?:{_AUX})\b|\w(?:'s|'re|'ll|'d|'ve|’s|’re|’ll|’d|’ve)\b)", re.I)
_PRONOUN_SUBJECT = re.compile(r"\b(i|we|you|they|it|he|she|this|that|which|who)\s+\w+", re.I)
_VERB_SUFFIX = re.compile(r"\b[a-z]{3,}(?:ed|es|izes|ises|ates|ens)\b", re.I)
_EXISTENTIAL = re.compile(
    r"^\s*(?:[-*•]\s*)?(?:there (?:is|are|'s)|we (?:have|need|use|add)|also|plus|and|then|"
    r"it (?:has|uses|needs)|you (?:have|need|use))\b\s*",
    re.IGNORECASE,
)

REASONING = re.compile(
    r"\b(because|since|so that|so|thus|hence|therefore|which means|meaning|means|which|"
    r"otherwise|unless|whereas|while|but|although|though|instead|rather than|at the cost of|"
    r"in exchange|trade-?off|the price|cost(s|ing)?|leads? to|lead(s|ing)? to|causes?|caused|"
    r"results? in|makes?|keeps?|lets?|allows?|prevents?|avoids?|to avoid|in order to|so as to|"
    r"stops?|ensures?|guarantees?|acts? (as|like)|equivalent|"
    r"if|when|once|until|unless|until|per|each|every|by|as)\b|->|→|=>|=|≈|~",
    re.IGNORECASE,
)
"""Words that tie a claim to its reason, consequence, condition or trade-off."""


_WORKED = re.compile(r"\d\s*[x×*/+^]\s*\(?\d|[=≈]\s*\(?\d")


def has_predicate(sentence: Sentence) -> bool:
    """A crude test for a clause: an auxiliary, a pronoun subject with a verb, or a verb-like
    word after the first; "Unit variance." and "Token bucket, Redis, Lua." have none."""
    text = sentence.text
    if _AUX_RE.search(text) or _PRONOUN_SUBJECT.search(text):
        return True
    tokens = words(text)
    if len(tokens) < 2:
        return False
    rest = " ".join(tokens[1:])
    return bool(_VERB_SUFFIX.search(rest)) or bool(
        re.search(r"\b[a-z]{3,}s\b", " ".join(tokens[1:3]))
    )


def is_bare(sentence: Sentence) -> bool:
    """A point stated without its reason: a fragment, a term list, or a very short claim with
    no word tying it to a cause, a consequence or a trade-off."""
    stripped = _EXISTENTIAL.sub("", sentence.text)
    tokens = words(stripped)
    if _WORKED.search(stripped):  # a computation shows its work: "73,728 x 56 x 56 ≈ 231M"
        return False
    if len(tokens) <= 4:
        return True
    if stripped != sentence.text and len(tokens) <= 8:  # "There is consistent hashing."
        return True
    if len(tokens) <= 8 and not has_predicate(Sentence(stripped, 0, len(stripped))):
        return True
    if len(tokens) <= 7 and not REASONING.search(stripped):
        return True
    segments = re.split(r"[,;/]|\band\b|\bor\b", stripped)
    # "Token bucket, sliding window, Redis, Lua scripts and consistent hashing."
    return len(segments) >= 4 and len(tokens) <= 3 * len(segments)


# ------------------------------------------------------------------ the detectors


@dataclass(frozen=True)
class GamingFinding:
    flag: str
    reason: str
    """One line for the scorecard, with the figure that triggered it."""


def fragment_finding(found: list[Sentence]) -> GamingFinding | None:
    """Most sentences are fragments (or run in a row of very short ones)."""
    if len(found) < 3:
        return None
    lengths = [len(words(s.text)) for s in found]
    bare = sum(is_bare(s) for s in found)
    short_run = longest = 0
    for n in lengths:
        short_run = short_run + 1 if n <= 6 else 0
        longest = max(longest, short_run)
    total = sum(lengths)
    bare_words = sum(n for s, n in zip(found, lengths, strict=True) if is_bare(s))
    if len(found) >= 4 and bare / len(found) >= 0.6 and bare_words / max(1, total) >= 0.4:
        return GamingFinding(
            FLAG_FRAGMENTS,
            f"{bare} of {len(found)} sentences are fragments or bare terms with no reason given.",
        )
    if longest >= 4 and longest / len(found) >= 0.4:
        return GamingFinding(FLAG_FRAGMENTS, f"{longest} very short sentences in a row.")
    return None


def repetition_finding(text: str, found: list[Sentence]) -> GamingFinding | None:
    """The same sentences again: many repeats, or text that compresses far better than prose."""
    if len(words(text)) < 60:
        return None
    keys = [" ".join(words(s.text)) for s in found if len(words(s.text)) >= 3]
    counts = Counter(keys)
    repeated = sum(n - 1 for n in counts.values() if n > 1)
    raw = text.encode("utf-8")
    ratio = len(zlib.compress(raw, 9)) / max(1, len(raw))
    if keys and repeated / len(keys) >= 0.3:
        return GamingFinding(
            FLAG_REPETITION, f"{repeated} of {len(keys)} sentences repeat an earlier one."
        )
    if len(raw) >= 1500 and ratio < 0.22:
        return GamingFinding(
            FLAG_REPETITION, f"The text compresses to {ratio:.0%} of its size: it repeats itself."
        )
    return None


def stuffing_finding(tokens: list[str], hits: int, found: list[Sentence]) -> GamingFinding | None:
    """Many key points per word with almost nothing tying them together: a terse expert packs
    points densely too, but gives each its because, so, which or trade-off."""
    n = len(tokens)
    if hits < 4 or n == 0:
        return None
    density = hits * 100 / n
    reasons = sum(reasoning_count(s.text) for s in found) * 100 / n
    if density >= STUFFING_DENSITY and reasons < STUFFING_REASONING:
        return GamingFinding(
            FLAG_STUFFING,
            f"{hits} key points in {n} words with {reasons:.1f} reasoning words per 100: "
            "named, not explained.",
        )
    return None


CONTRAST = re.compile(
    r"\b(not|never|only|then|before|after|until|vs|versus)\b|n't\b|\s[-–—]\s|:\s", re.IGNORECASE
)
"""How a terse expert ties points together without "because": a contrast ("not CTR", "never
after"), an order ("then", "before"), an aside after a dash or a colon giving the reason."""


def reasoning_count(text: str) -> int:
    """Reasoning words plus contrasts, orderings and explaining asides: a term list has none."""
    return len(REASONING.findall(text)) + len(CONTRAST.findall(text))


STUFFING_DENSITY = 5.0
"""Key points per 100 words: real full answers make about 2, terse expert ones 5 to 9."""
STUFFING_REASONING = 5.0
"""Reasoning words (contrasts and asides included) per 100: terse honest answers 9 to 25,
stuffing 0 to 2.5 (measured on the held-out answers and the dev set)."""


def stem_set(text: str) -> set[str]:
    return {stem(w) for w in words(text)}
