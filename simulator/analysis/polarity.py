"""Direction and quality words a claim asserts, read with their polarity.

"Raising T flattens the distribution" asserts `up` on the amount scale and `flat` on the
sharpness scale; "it is not the case that X is faster" asserts `slower`. The table is generic
(antonyms of English and of engineering), never a list made for one question: a claim is
compared with a key point by the poles it gives the same scale next to the same words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from simulator.analysis.text import STOP_WORDS, stem

# scale -> {pole: pattern}. Two poles are antonyms; the complexity scale has several values.
_SCALES: dict[str, dict[str, str]] = {
    "amount": {
        "up": r"increas\w*|rais(?:e|es|ed|ing)|higher|larger|bigger|greater|more|grows?|grew|"
        r"growing|rises?|rising|rose|doubl(?:e|es|ed|ing)|(?:crank|ramp|bump|turn)(?:s|ed)? up",
        "down": r"decreas\w*|reduc(?:e|es|ed|ing)|lower(?:s|ed|ing)?|smaller|fewer|less|"
        r"shrinks?|shrank|shrinking|falls?|fell|halv(?:e|es|ed|ing)",
    },
    "level": {"high": r"high", "low": r"low"},
    "speed": {
        "fast": r"faster|quicker|speeds? up|sped up|speed-?ups?",
        "slow": r"slower|slows? down|slowed down|slow-?downs?",
    },
    "cost": {"cheap": r"cheap(?:er|ly)?|inexpensive", "costly": r"expensive|costly|costlier"},
    "convexity": {"convex": r"(?<!non-)(?<!non )convex", "nonconvex": r"non-? ?convex"},
    "consistency": {
        "strong": r"strong(?:ly)? consisten\w*|lineariz\w*",
        "weak": r"eventual(?:ly)? consisten\w*|weak(?:ly)? consisten\w*",
    },
    "stability": {
        "stable": r"(?<!un)stable|stabiliz\w*|stabilis\w*",
        "unstable": r"unstable|instabilit\w*|destabili\w*",
    },
    "norm-placement": {"pre": r"pre-?(?:ln|norm)", "post": r"post-?(?:ln|norm)"},
    "timing": {
        "sync": r"(?<!a)synchronous(?:ly)?|(?<!a)sync\b",
        "async": r"asynchronous(?:ly)?|async\b|non-?blocking",
    },
    "determinism": {
        "deterministic": r"(?<!non-)(?<!non)deterministic(?:ally)?",
        "nondeterministic": r"non-?deterministic(?:ally)?",
    },
    "idempotence": {"idempotent": r"(?<!non-)(?<!non)idempotent", "not": r"non-?idempotent"},
    "loss": {"lossless": r"lossless", "lossy": r"lossy"},
    "ordering": {"ordered": r"(?<!un)ordered", "unordered": r"unordered"},
    "reversibility": {"reversible": r"(?<!ir)reversible", "irreversible": r"irreversible"},
    "estimate": {"over": r"overestimat\w*", "under": r"underestimat\w*"},
    "bias": {"biased": r"(?<!un)biased", "unbiased": r"unbiased"},
    "frequency": {"always": r"always", "never": r"never"},
    "laziness": {
        "lazy": r"lazy|lazily|on demand|one at a time",
        "eager": r"eager(?:ly)?|up ?front|all at once",
    },
    "mutability": {"mutable": r"(?<!im)mutable", "immutable": r"immutable"},
    "copy-depth": {"shallow": r"shallow", "deep": r"deep(?= ?cop)"},
    "fit": {"overfit": r"overfit\w*", "underfit": r"underfit\w*"},
    "sharpness": {
        "flat": r"flatt?en\w*|flatter|soften\w*|softer|smooth(?:s|ed|er|ing)",
        "sharp": r"sharpen\w*|sharper|peakier|more peaked",
    },
    "operation": {"multiply": r"multipl(?:y|ies|ied|ying)", "divide": r"divid(?:e|es|ed|ing)"},
    "mode": {
        "covering": r"(?:mode|mass)[- ]covering|zero[- ]avoiding|mean[- ]seeking",
        "seeking": r"mode[- ]seeking|zero[- ]forcing",
    },
    "numeric-range": {"overflow": r"overflow\w*", "underflow": r"underflow\w*"},
    "density": {"sparse": r"sparse|sparsity", "dense": r"dense"},
    "state": {"stateless": r"stateless", "stateful": r"stateful"},
    "failure-mode": {
        "open": r"fail(?:s|ing)?[- ]open",
        "closed": r"fail(?:s|ing)?[- ](?:closed|shut)",
    },
    "split": {
        "random": r"random(?:ly)? (?:split|shuffl\w*)|split\w* randomly|shuffl\w*",
        "temporal": r"temporal(?:ly)?|chronolog\w*|time[- ]based|by time|out[- ]of[- ]time",
    },
    "complexity": {
        "constant": r"constant[- ]time|o\(1\)",
        "log": r"logarithmic(?:ally)?|o\(log ?n\)",
        "linear": r"linearly|additive(?:ly)?|o\(n\)|"
        r"linear(?= (?:time|memory|cost|complexity|scaling|in\b))",
        "nlogn": r"o\(n ?log ?n\)|n log n",
        "quadratic": r"quadratic(?:ally)?|o\(n ?(?:\^ ?2|²|\*\* ?2)\)|"
        r"n ?(?:\^ ?2|²) (?:time|memory|cost)",
        "cubic": r"cubic(?:ally)?|o\(n ?(?:\^ ?3|³)\)",
        "exponential": r"exponential(?:ly)?(?! moving| decay| backoff)|o\(2 ?\^ ?n\)",
    },
}

# Properties with two values: negating one gives the other ("not convex" is "non-convex").
# Elsewhere a negation says too little ("not faster" may be "as fast", "does not underflow"
# is not "overflows"), so a negated mention there is left out.
_BINARY = {
    "convexity",
    "determinism",
    "idempotence",
    "reversibility",
    "consistency",
    "stability",
    "timing",
    "bias",
    "laziness",
    "mutability",
    "state",
    "density",
}

_NEGATOR = re.compile(
    r"\b(not|never|no|isn't|aren't|wasn't|weren't|doesn't|don't|didn't|won't|cannot|can't|"
    r"rather than|instead of|as opposed to|neither|nor|sacrific\w*|gives? up|giving up|"
    r"trad(?:es|ing)(?! ?-?offs?)|at the (?:cost|expense) of|"
    r"(?:choos\w*|chose|prefer\w*|favou?r\w*|pick\w*)(?: \w+){1,2} over)\b|n't\b",
    re.IGNORECASE,
)
_WHOLE_NEGATION = re.compile(
    r"\b(not|isn't|is not|it's not) (the case|true|so) that\b|\bit is false that\b", re.I
)
_CLAUSE_BREAK = re.compile(r"[,;:()]|\b(but|while|whereas|although|though|however|so|because)\b")
_WORD = re.compile(r"[a-z][a-z0-9'’-]*", re.IGNORECASE)


@dataclass(frozen=True)
class Mention:
    scale: str
    pole: str
    start: int
    end: int
    context: frozenset[str]
    """Content stems of the words around it (the thing the direction is said of)."""


@cache
def _patterns() -> tuple[tuple[str, str, re.Pattern[str]], ...]:
    return tuple(
        (scale, pole, re.compile(rf"\b(?:{pattern})\b", re.IGNORECASE))
        for scale, poles in _SCALES.items()
        for pole, pattern in poles.items()
    )


@cache
def _scale_word_spans(text: str) -> tuple[tuple[int, int, str, str], ...]:
    spans: list[tuple[int, int, str, str]] = []
    for scale, pole, pattern in _patterns():
        for match in pattern.finditer(text):
            spans.append((match.start(), match.end(), scale, pole))
    spans.sort()
    # A longer, more specific reading wins an overlap ("mode-seeking" over "seeking").
    kept: list[tuple[int, int, str, str]] = []
    for span in spans:
        if kept and span[0] < kept[-1][1]:
            if span[1] - span[0] > kept[-1][1] - kept[-1][0]:
                kept[-1] = span
            continue
        kept.append(span)
    return tuple(kept)


def _content_words(text: str, spans: tuple) -> list[tuple[int, str]]:
    inside = {i for s, e, _, _ in spans for i in range(s, e)}
    out = []
    for match in _WORD.finditer(text):
        word = re.sub(r"['’]s$", "", match.group(0).lower()).strip("'’-")
        if match.start() not in inside and word not in STOP_WORDS and len(word) >= 2:
            out.append((match.start(), stem(word)))
    return out


_CONTEXT_BREAK = re.compile(
    r"[,;:()\[\]]| [-–—] |\b(?:but|while|whereas|although|though|however|because|since|so|"
    r"unlike|then)\b",
    re.IGNORECASE,
)


def clause_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """Where the clause holding text[start:end] begins and ends."""
    left = max((m.end() for m in _CONTEXT_BREAK.finditer(text, 0, start)), default=0)
    following = _CONTEXT_BREAK.search(text, end)
    return left, following.start() if following else len(text)


def _context(
    text: str, words: list[tuple[int, str]], start: int, end: int, window: int
) -> frozenset[str]:
    """The nearest content words on each side in the same clause: what the direction is said
    of ("which sharpens the teacher's distribution" -> teacher, distribution)."""
    left, right = clause_bounds(text, start, end)
    before = [w for position, w in words if left <= position < start][-window:]
    after = [w for position, w in words if end <= position < right][:window]
    return frozenset(before + after)


def _negated(text: str, start: int) -> bool:
    """A negator in the same clause within four words before the mention, or the whole
    sentence denied ("it is not the case that...")."""
    head = text[:start]
    if _WHOLE_NEGATION.search(head):
        return True
    clause = _CLAUSE_BREAK.split(head)[-1] if _CLAUSE_BREAK.search(head) else head
    near = " ".join(clause.split()[-4:])
    return bool(_NEGATOR.search(near))


def mentions(text: str, window: int = 4, read_negation: bool = True) -> list[Mention]:
    """Every direction or quality word in `text` with the pole it asserts.

    A negated mention takes the opposite pole on a two-pole scale ("not slower" is "faster")
    and is dropped on a many-valued one ("not quadratic" says nothing about which it is).
    A "never" that negates another mention is a negator, not an "always/never" claim.
    """
    spans = _scale_word_spans(text)
    content = _content_words(text, spans)
    out: list[Mention] = []
    for index, (start, end, scale, pole) in enumerate(spans):
        if scale == "frequency" and pole == "never":
            following = spans[index + 1] if index + 1 < len(spans) else None
            if following and len(text[end : following[0]].split()) <= 4:
                continue
        if read_negation and _negated(text, start):
            if scale not in _BINARY:
                continue
            pole = _opposite(scale, pole)
        out.append(Mention(scale, pole, start, end, _context(text, content, start, end, window)))
    return out


def _opposite(scale: str, pole: str) -> str:
    return next(p for p in _SCALES[scale] if p != pole)
