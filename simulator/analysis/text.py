"""Plain-text helpers: sentences with their spans (for verbatim quotes), words, function words."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache

WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d[\d,.]*%?")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])|\n+")

FUNCTION_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "then",
        "so",
        "because",
        "since",
        "as",
        "than",
        "that",
        "this",
        "these",
        "those",
        "there",
        "here",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "into",
        "onto",
        "over",
        "under",
        "about",
        "after",
        "before",
        "between",
        "through",
        "during",
        "without",
        "within",
        "across",
        "against",
        "per",
        "via",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "do",
        "does",
        "did",
        "done",
        "have",
        "has",
        "had",
        "having",
        "will",
        "would",
        "can",
        "could",
        "should",
        "shall",
        "may",
        "might",
        "must",
        "it",
        "its",
        "it's",
        "i",
        "i'm",
        "i'd",
        "i've",
        "me",
        "my",
        "mine",
        "we",
        "we're",
        "we'd",
        "our",
        "ours",
        "you",
        "your",
        "yours",
        "he",
        "she",
        "him",
        "her",
        "his",
        "they",
        "them",
        "their",
        "theirs",
        "who",
        "whom",
        "whose",
        "which",
        "what",
        "when",
        "where",
        "why",
        "how",
        "not",
        "no",
        "nor",
        "all",
        "any",
        "each",
        "every",
        "some",
        "many",
        "much",
        "more",
        "most",
        "other",
        "such",
        "only",
        "own",
        "same",
        "too",
        "very",
        "just",
        "also",
        "still",
        "even",
        "both",
        "either",
        "neither",
        "one",
        "first",
        "then",
        "once",
        "while",
        "until",
        "up",
        "down",
        "out",
        "off",
        "again",
        "further",
        "whether",
        "like",
        "let",
        "let's",
        "get",
        "got",
        "make",
        "made",
        "use",
        "used",
        "need",
        "needs",
    ]
)

# Words that carry no topic: function words plus the verbs and fillers of any answer.
STOP_WORDS = FUNCTION_WORDS | frozenset(
    [
        "think",
        "thing",
        "things",
        "really",
        "basically",
        "actually",
        "kind",
        "sort",
        "pretty",
        "lot",
        "lots",
        "way",
        "ways",
        "something",
        "well",
        "yeah",
        "ok",
        "okay",
        "so",
        "say",
        "said",
        "go",
        "going",
        "want",
        "wanted",
        "good",
        "great",
        "bit",
        "just",
        "maybe",
        "probably",
        "sure",
        "would",
        "could",
        "should",
        "might",
        "will",
        "can",
        "approach",
        "question",
        "design",
        "system",
        "answer",
        "explain",
        "talk",
    ]
)


_FILLER_ADVERBS = re.compile(
    r"\b(also|really|actually|basically|just|simply|essentially|definitely|certainly|indeed|"
    r"in fact|of course|obviously|clearly)\s+",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int
    end: int

    @property
    def plain(self) -> str:
        """The sentence without filler adverbs, for matching: "LSTMs also eliminate" reads as
        "LSTMs eliminate"; shorthand is spelled out after it ("KV store" also reads as
        "key-value store"). Quotes always use `text`."""
        return _plain(self.text)


NUMBER_WORDS = {
    word: str(value)
    for value, word in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
        ]
    )
} | {
    "fifteen": "15",
    "twenty": "20",
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
    "hundred": "100",
    "dozen": "12",
}

_VARIANTS: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (re.compile(r"(?<=[a-z])(is)(e|es|ed|ing|ation|ations)\b"), r"iz\2"),  # normalise
    (re.compile(r"(?<=[a-z])(y)s(e|es|ed|ing)\b"), r"\1z\2"),  # analyse
    (re.compile(r"(?<=[a-z])-(?=[a-z])"), " "),  # key-value, co-adapt
    (re.compile(r"[−–]"), "-"),
    (re.compile(r"[×·]"), "x"),
    (re.compile(r"’"), "'"),
    (  # number words as digits: "three weeks" reads as "3 weeks", "a million" as "1 million"
        re.compile(rf"\b({'|'.join(NUMBER_WORDS)})\b(?=[ -]\w)", re.IGNORECASE),
        lambda m: NUMBER_WORDS[m.group(1).lower()],
    ),
    (re.compile(r"\ba (?=(hundred|thousand|million|billion|dozen)\b)", re.IGNORECASE), "1 "),
]


@cache
def _plain(text: str) -> str:
    plain = _FILLER_ADVERBS.sub("", text)
    variant = plain
    for pattern, replacement in _VARIANTS:
        variant = pattern.sub(replacement, variant)
    if variant != plain:  # British spelling, hyphens, typographic symbols: read both ways
        plain = f"{plain} | {variant}"
    spelled = [long for pattern, long in _SHORTHAND if pattern.search(plain)]
    # Appended, not substituted: signals written for the shorthand still match.
    return f"{plain} ({'; '.join(spelled)})" if spelled else plain


_SHORTHAND = [
    (re.compile(pattern, re.IGNORECASE), long)
    for pattern, long in [
        (r"\bkv[- ]?(store|database|db)\b", "key-value store"),
        (r"\bstats\b", "statistics"),
        (
            r"\brunning (stats|statistics|mean|means|average|averages|estimates?)\b",
            "running mean and variance, moving average",
        ),
        (r"\bfals(y|ey|iness)\b", "evaluates as false, falsy"),
        (r"\btruth(y|iness)\b", "evaluates as true"),
        (
            r"\bhot (fraction|set|subset|keys|items|links|urls|entries|data)\b",
            "popular, most-accessed, frequently accessed",
        ),
        (r"\bLB\b", "load balancer"),
        (r"\bDBs?\b", "database"),
        (r"\bw/o\b", "without"),
        (r"\bb/c\b|\bbc\b", "because"),
        (r"\bparams\b", "parameters"),
        (r"\bprob\b", "probability"),
        (r"\bapprox\.?\b", "approximately"),
        (r"\basync\b", "asynchronous"),
        (r"\bdedup(e|ed|ing)?\b", "deduplicate"),
        (r"\bQPS\b", "queries per second"),
        (r"\bRPS\b", "requests per second"),
        (r"\bTTLs?\b", "time to live, expiry"),
        (r"\bp(99|95|50)\b", "tail latency percentile"),
        (r"\be2e\b", "end-to-end"),
        (r"(\w)²", "squared"),
        (r"\bsquare of\b|\bsquared\b", "squared, square of, ^2"),
        (r"\bsqrt\b|√", "square root"),
        (r"\bmem\b", "memory"),
        (r"\bperf\b", "performance"),
        (r"\bconfig\b", "configuration"),
        (r"\bimpl\b", "implementation"),
        (r"\bmsgs?\b", "messages"),
        (r"\bconn(s|ection pool)?\b", "connections"),
    ]
]


def sentences(text: str) -> list[Sentence]:
    """Split into sentences (and lines), keeping offsets so quotes stay verbatim."""
    out: list[Sentence] = []
    position = 0
    for match in _SENTENCE_END.finditer(text):
        _append(out, text, position, match.start())
        position = match.end()
    _append(out, text, position, len(text))
    return out


def _append(out: list[Sentence], text: str, start: int, end: int) -> None:
    chunk = text[start:end]
    stripped = chunk.strip()
    if stripped:
        offset = start + chunk.index(stripped)
        out.append(Sentence(stripped, offset, offset + len(stripped)))


def words(text: str) -> list[str]:
    return [w.lower().strip("'’") for w in WORD.findall(text)]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A crude stem, enough to match 'caching' with 'cache' and 'partitions' with 'partition'."""
    word = word.lower()
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ied", "es", "ed", "s", "ly"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)][:7]
    return word[:7]


def content_stems(text: str) -> list[str]:
    return [
        stem(w) for w in words(text) if w not in STOP_WORDS and len(w) > 2 and not w[0].isdigit()
    ]


def function_word_ratio(tokens: list[str]) -> float:
    alpha = [t for t in tokens if t[:1].isalpha()]
    if not alpha:
        return 0.0
    return sum(t in FUNCTION_WORDS for t in alpha) / len(alpha)


def quote(text: str, limit: int = 220) -> str:
    """A verbatim piece of `text` no longer than `limit`, cut at a word boundary."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return cut[: space if space > limit // 2 else limit].rstrip(" ,;:")


@cache
def english_trigrams() -> frozenset[str]:
    """Letter trigrams of ordinary English, learnt from the shipped catalog text."""
    from simulator.catalog import data_dir

    vocabulary = set(FUNCTION_WORDS | STOP_WORDS)
    for path in data_dir("rubrics").rglob("*.yaml"):  # each distinct word once: start-up cost
        vocabulary.update(words(path.read_text(encoding="utf-8", errors="replace")))
    grams: set[str] = set()
    for word in vocabulary:
        padded = f"^{word}$"
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return frozenset(grams)


def looks_like_a_word(word: str) -> bool:
    """False for keyboard mash: runs of one letter, no vowels, letter triples English never has."""
    word = word.lower()
    if not word.isalpha() or len(word) <= 2:
        return True
    if re.search(r"(.)\1\1", word) or not re.search(r"[aeiouy]", word):
        return False
    padded = f"^{word}$"
    grams = [padded[i : i + 3] for i in range(len(padded) - 2)]
    known = english_trigrams()
    unknown = sum(g not in known for g in grams)
    return unknown <= max(1, len(grams) // 4)
