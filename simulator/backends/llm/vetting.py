"""The check every interviewer turn from a model passes before it is shown or stored.

A model playing the interviewer can go wrong in ways no prompt fully prevents: it shows its
reasoning, writes the candidate's line and answers itself, reads out the rubric's key points,
asks the same question again, or rambles until max_tokens. Two layers here, both pure functions
of text (no network, no Textual), so they are tested on their own:

- `clean(raw)` repairs what can be repaired: strips reasoning (`<think>` blocks, an unterminated
  one, everything before a stray closing `</think>`), cuts at a role label ("Candidate:", "User:"),
  drops a leading "Interviewer:" label, and caps the length at whole sentences.
- `TurnGuard.problem(text)` says why a cleaned turn must not be used: it states a key point or a
  correction the candidate has not made, repeats an earlier question, speaks as the candidate,
  or says nothing. The backend then regenerates once, then uses the offline interviewer's probe.

`SentenceGate` applies both while a reply streams: it releases whole sentences only, each one
checked, so a sentence that leaks a key point never reaches the screen.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from simulator.analysis.text import content_stems
from simulator.catalog import signal_parts

MAX_TURN_CHARS = 700
"""About five sentences: the prompt asks for at most three."""
MAX_TURN_SENTENCES = 5
ROLE_STOPS = ["\nCandidate:", "\nCANDIDATE:", "\nUser:", "\n**Candidate"]
"""Stop sequences for the request (the API takes at most four); `clean` cuts there anyway."""

_THINK_BLOCK = re.compile(r"<(think|thinking|reasoning)>.*?(</\1>|\Z)", re.DOTALL | re.IGNORECASE)
_STRAY_CLOSE = re.compile(r"^.*</(think|thinking|reasoning)>", re.DOTALL | re.IGNORECASE)
_LABEL = r"(?:\*\*|__)?\s*(candidate|interviewee|user|human|you)\s*(?:\*\*|__)?\s*:"
_ROLE_LABEL = re.compile(rf"(?:^|\n|(?<=[.!?])\s+)\s*[>*_-]*\s*{_LABEL}", re.IGNORECASE)
_OWN_LABEL = re.compile(
    r"^\s*(?:\*\*|__)?\s*(interviewer|assistant|ai)\s*(?:\*\*|__)?\s*:\s*", re.IGNORECASE
)
_SPLIT = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')\]]))\s+|\n+")
_GIVEAWAY = re.compile(
    r"\b((a|the) (strong|good|great|ideal|complete|perfect|expected|model) (answer|candidate|"
    r"response|solution)s? (would|should|must|will|needs?|includes?|mentions?|covers?)|"
    r"hidden notes?|(the|my|our) rubric|the expected answer|"
    r"(the|a) correct answer (is|would be)|you should have (said|mentioned))\b",
    re.IGNORECASE,
)
_BOUNDARY = re.compile(r"[.!?]+[\"')\]]*\s+|\n+")
_NUMBER = re.compile(r"\d[\d,.]*(?:\s*\^\s*\d+)?")
_WORD = re.compile(r"[a-z0-9]+")
LEAK_MIN_WORDS = 4
LEAK_SHARE = 0.5
REPEAT_SIMILARITY = 0.75
"""Content-word overlap of 0.8 and more (0.8 - 0.05) counts as a repeat."""
MIN_REPEAT_WORDS = 5
MIN_REPEAT_CONTENT = 4


def strip_reasoning(text: str) -> str:
    """The reply without reasoning: `<think>` blocks (closed or not), and everything up to a
    closing tag that has no opening one (R1-style templates put `<think>` in the prompt)."""
    text = _THINK_BLOCK.sub("", text)
    return _STRAY_CLOSE.sub("", text)


def cut_at_role_label(text: str) -> tuple[str, bool]:
    """(the text before the model starts writing another speaker's line, whether it was cut)."""
    text = _OWN_LABEL.sub("", text, count=1)
    match = _ROLE_LABEL.search(text)
    if not match:
        return text, False
    return text[: match.start()].rstrip(), True


def split_sentences(text: str) -> list[str]:
    """Sentences with their trailing punctuation; a final piece with none is kept too."""
    return [s.strip() for s in _SPLIT.split(text) if s and s.strip()]


def cap_length(text: str, max_chars: int = MAX_TURN_CHARS) -> tuple[str, bool]:
    """At most MAX_TURN_SENTENCES whole sentences and about max_chars, ending at a question
    where there is one; (text, whether it was shortened)."""
    parts = split_sentences(text)
    if len(text) <= max_chars and len(parts) <= MAX_TURN_SENTENCES:
        return text, False
    kept: list[str] = []
    for part in parts:
        if kept and (len(kept) >= MAX_TURN_SENTENCES or len(" ".join([*kept, part])) > max_chars):
            break
        kept.append(part)
    if len(kept) == 1 and len(kept[0]) > max_chars:
        cut = kept[0][:max_chars]
        kept = [cut[: cut.rfind(" ")].rstrip(" ,;:") + "…"] if " " in cut else [cut]
    questions = [i for i, s in enumerate(kept) if s.endswith("?")]
    if questions:
        kept = kept[: questions[-1] + 1]
    return " ".join(kept), True


def clean(raw: str, max_chars: int = MAX_TURN_CHARS) -> tuple[str, list[str]]:
    """A raw reply (tag already removed or not) made presentable; with notes on what was done."""
    notes: list[str] = []
    text = strip_reasoning(raw)
    if text != raw:
        notes.append("reasoning removed")
    text, cut = cut_at_role_label(text)
    if cut:
        notes.append("cut at a role label")
    text = re.sub(r"[ \t]+\n", "\n", text).strip()
    text, capped = cap_length(text, max_chars)
    if capped:
        notes.append("shortened")
    return text, notes


# ------------------------------------------------------------------ the guard


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _numbers(text: str) -> set[str]:
    out = set()
    for found in _NUMBER.findall(text):
        number = re.sub(r"[,\s]", "", found).rstrip(".")
        if len(re.sub(r"\D", "", number)) >= 2:  # single digits are ordinary words
            out.add(number)
    return out


@lru_cache(maxsize=8192)
def _stems_of(text: str) -> frozenset[str]:
    return frozenset(content_stems(text))


@lru_cache(maxsize=8192)
def _word_set(text: str) -> frozenset[str]:
    return frozenset(_words(text))


@lru_cache(maxsize=8192)
def _numbers_of(text: str) -> frozenset[str]:
    return frozenset(_numbers(text))


@lru_cache(maxsize=8192)
def _signals_in(text: str, signals: tuple[str, ...]) -> frozenset[str]:
    """The signals that match somewhere in the text."""
    return frozenset(s for s in signals if _signal_matches(s, text))


@lru_cache(maxsize=8192)
def _has_giveaway(text: str) -> bool:
    return bool(_GIVEAWAY.search(text))


@lru_cache(maxsize=4096)
def _question_sentences(turn: str) -> tuple[str, ...]:
    return tuple(s for s in split_sentences(turn) if len(_words(s)) >= 3)


def _signal_matches(signal: str, text: str) -> bool:
    return all(p.search(text) for p in signal_parts(signal))


def similarity(a: str, b: str) -> float:
    """How much two sentences ask the same thing, 0..1: the overlap of their words (Jaccard),
    or of their content words when both have a few (a reworded repeat keeps those)."""
    wa, wb = _word_set(a), _word_set(b)
    if not wa or not wb:
        return 0.0
    score = len(wa & wb) / len(wa | wb)
    ca, cb = _stems_of(a), _stems_of(b)
    if min(len(ca), len(cb)) >= MIN_REPEAT_CONTENT:
        score = max(score, len(ca & cb) / min(len(ca), len(cb)) - 0.05)
    return score


@dataclass(frozen=True)
class Secret:
    """Something the interviewer knows and must not say: a key point or a correction."""

    label: str
    signals: tuple[str, ...] = ()
    numbers: frozenset[str] = frozenset()
    stems: frozenset[str] = frozenset()
    """Its content words that the interviewer has no other reason to say."""

    def restated_by(self, sentence_stems: frozenset[str]) -> bool:
        shared = self.stems & sentence_stems
        return len(shared) >= LEAK_MIN_WORDS and len(shared) >= LEAK_SHARE * len(self.stems)


@dataclass
class TurnGuard:
    """What one turn of one round may not say. Build it with `for_round`."""

    secrets: list[Secret] = field(default_factory=list)
    allowed: str = ""
    """Text the interviewer may echo: the question, its facts and probes, the candidate's words."""
    earlier_questions: list[str] = field(default_factory=list)
    giveaway_allowed: bool = False
    """The question itself talks about "a good answer": such words prove nothing then."""

    @classmethod
    def for_round(
        cls,
        key_points: Iterable[tuple[str, str, list[str]]],
        corrections: Iterable[str],
        allowed: Iterable[str],
        earlier_turns: Iterable[str],
    ) -> TurnGuard:
        """`key_points`: (id, text, signals); `corrections`: the misconceptions' corrections;
        `allowed`: texts the interviewer may repeat (the question, its probes, the candidate's
        answers); `earlier_turns`: its own earlier turns. Each text's words are read once and
        remembered, so building the guard for each turn of a round costs little."""
        pieces = tuple(dict.fromkeys(t for t in allowed if t))
        key_points = list(key_points)
        every_signal = tuple(s for _, _, signals in key_points for s in signals)
        allowed_numbers = frozenset().union(*(_numbers_of(t) for t in pieces))
        allowed_stems = frozenset().union(*(_stems_of(t) for t in pieces))
        said = frozenset().union(*(_signals_in(t, every_signal) for t in pieces))

        def secret(label: str, text: str, signals: Iterable[str] = ()) -> Secret:
            return Secret(
                label,
                tuple(s for s in signals if s not in said),
                _numbers_of(text) - allowed_numbers,
                _stems_of(text) - allowed_stems,
            )

        secrets = [secret(f"key point {kp}", text, signals) for kp, text, signals in key_points]
        secrets += [secret(f"correction {i + 1}", t) for i, t in enumerate(corrections)]
        earlier = [s for turn in earlier_turns for s in _question_sentences(turn)]
        giveaway_allowed = any(_has_giveaway(t) for t in pieces)
        return cls(secrets, "\n".join(pieces), earlier, giveaway_allowed)

    def sentence_problem(self, sentence: str) -> str | None:
        """Why this one sentence must not be shown, or None."""
        if not self.giveaway_allowed and _GIVEAWAY.search(sentence):
            return "it talks about the rubric or the expected answer"
        numbers = _numbers_of(sentence)
        # A question may name a topic ("how would you cache hot links?"); a statement that
        # matches a key point's signals makes the point for the candidate.
        statement = not sentence.rstrip().endswith("?")
        stems = _stems_of(sentence)
        for secret in self.secrets:
            if secret.numbers & numbers or secret.restated_by(stems):
                return f"it states {secret.label}"
            if statement and any(_signal_matches(s, sentence) for s in secret.signals):
                return f"it states {secret.label}"
        if len(_word_set(sentence)) >= MIN_REPEAT_WORDS and sentence.rstrip().endswith("?"):
            for earlier in self.earlier_questions:
                if similarity(sentence, earlier) >= REPEAT_SIMILARITY:
                    return "it repeats an earlier question"
        return None

    def problem(self, text: str, cut_at_label: bool = False) -> str | None:
        """Why a cleaned turn must not be used, or None."""
        if not text.strip():
            return "it speaks as the candidate" if cut_at_label else "it has no words"
        for sentence in split_sentences(text):
            found = self.sentence_problem(sentence)
            if found:
                return found
        return None


def vet(raw: str, guard: TurnGuard, max_chars: int = MAX_TURN_CHARS) -> tuple[str, str | None]:
    """(the cleaned turn, why it must not be used or None)."""
    text, notes = clean(raw, max_chars)
    return text, guard.problem(text, cut_at_label="cut at a role label" in notes)


# ------------------------------------------------------------------ while streaming


class SentenceGate:
    """Visible streamed text -> whole, vetted sentences for the screen.

    `feed` the text after the tag as it arrives, then `finish(complete)` at the end of the
    stream. The sentence being written is held back; a finished sentence is released only when
    the guard has nothing against it. A role label, a rejected sentence or the length cap ends
    the turn: `stopped` says why ('cap', 'label', or the rule broken) and later text is ignored,
    so what was released is exactly the turn that is stored.
    """

    def __init__(self, guard: TurnGuard, max_chars: int = MAX_TURN_CHARS) -> None:
        self.guard = guard
        self.max_chars = max_chars
        self.pending = ""
        self.released: list[str] = []
        self.stopped: str | None = None

    @property
    def text(self) -> str:
        return " ".join(self.released)

    @property
    def rejected(self) -> str | None:
        """The rule the turn broke, if it broke one (a cap or a label is a clean end)."""
        return self.stopped if self.stopped not in (None, "cap", "label") else None

    def feed(self, chunk: str) -> str:
        if self.stopped:
            return ""
        self.pending += chunk
        if not self.released:
            self.pending = _OWN_LABEL.sub("", self.pending.lstrip(), count=1)
        body, cut = cut_at_role_label(self.pending)
        if cut:
            complete, rest = body, ""
        else:
            ends = list(_BOUNDARY.finditer(body))
            if not ends:
                return ""
            complete, rest = body[: ends[-1].end()], body[ends[-1].end() :]
        out = self._release_all(complete)
        self.pending = "" if (cut or self.stopped) else rest
        if cut and not self.stopped:
            self.stopped = "label"
        return out

    def finish(self, complete: bool = True) -> str:
        """At the end of the stream: release the last sentence unless the reply was cut off
        mid-sentence (finish_reason "length")."""
        rest, self.pending = self.pending, ""
        if self.stopped or not complete or not rest.strip():
            return ""
        return self._release_all(rest)

    def _release_all(self, text: str) -> str:
        out = []
        for sentence in split_sentences(text):
            out.append(self._release(sentence))
            if self.stopped:
                break
        return "".join(out)

    def _release(self, sentence: str) -> str:
        if self.released and (
            len(self.released) >= MAX_TURN_SENTENCES
            or len(self.text) + 1 + len(sentence) > self.max_chars
        ):
            self.stopped = "cap"
            return ""
        if not self.released and len(sentence) > self.max_chars:
            sentence, _ = cap_length(sentence, self.max_chars)
            self.stopped = "cap"
        problem = self.guard.sentence_problem(sentence)
        if problem:
            self.stopped = problem
            return ""
        prefix = " " if self.released else ""
        self.released.append(sentence)
        return prefix + sentence
