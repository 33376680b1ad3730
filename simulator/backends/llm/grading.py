"""Structured grading: the scorecard schema, the output ladder, evidence checks, the scorecard.

The ladder, for servers that do and do not support structured output:
  1. response_format json_schema (strict), the schema also in the prompt;
  2. if the server rejects it (4xx) or ignores it (no JSON comes back): response_format
     json_object;
  3. if that is rejected too: no response_format, and tolerant extraction (json-repair).
Whatever comes back is validated with pydantic; a reply that fails validation is re-asked (at most
MAX_REASKS times) with the validation error in the message. Decision and overall are never the
model's: they are computed from the criterion scores and the rubric's weights.
"""

from __future__ import annotations

import bisect
import json
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

import json_repair
import openai
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from simulator.backends.base import TokenSink
from simulator.backends.llm.client import LLMClient
from simulator.models import CriterionScore, Rubric, Scorecard, decision_for

_REJECTED = (openai.BadRequestError, openai.UnprocessableEntityError)
Mode = Literal["json_schema", "json_object", "text"]
MODES: tuple[Mode, ...] = ("json_schema", "json_object", "text")
MAX_REASKS = 2
MIN_QUOTE_CHARS = 8
GRADE_MAX_TOKENS = 2500
MAX_FILLED = 1
"""Criteria the model may leave out: filled from the offline grader, and said so."""
INJECTION_HEADROOM = 1
"""With an injection attempt, no criterion scores above the offline grader's score plus this."""
DISAGREEMENT = 1.0
"""The overall gap between the model's and the offline grade that is flagged."""
FLAG_DISAGREEMENT = "grader_disagreement"


class GradingFailed(Exception):
    """No valid grade could be obtained; str() is the short reason for the fallback label."""


# ------------------------------------------------------------------ output models


class LLMCriterion(BaseModel):
    evidence: list[str] = Field(default_factory=list)
    feedback: str = ""
    score: int = Field(ge=1, le=4)

    @field_validator("score", mode="before")
    @classmethod
    def _level(cls, value: Any) -> Any:
        """A 5 is a 4, a 0 is a 1, a 3.5 is a 3 (between two levels the lower one is kept);
        "3/4" or "3 (lean hire)" is a 3."""
        if isinstance(value, str):
            found = re.search(r"-?\d+(?:\.\d+)?", value)
            value = float(found.group()) if found else value
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return min(4, max(1, math.ceil(value - 0.5)))
        return value

    @field_validator("evidence", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [value] if value.strip() else []
        return value or []


class LLMGrade(BaseModel):
    injection_attempt: bool = False
    criteria: dict[str, LLMCriterion]
    strengths: list[str] = Field(default_factory=list)
    improvements: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _tolerate(cls, data: Any) -> Any:
        """Accept criteria as a list of objects with an id, as small models often write them."""
        if isinstance(data, dict) and isinstance(data.get("criteria"), list):
            data = dict(data)
            items = [c for c in data["criteria"] if isinstance(c, dict)]
            data["criteria"] = {
                str(c.get("id") or c.get("name") or c.get("criterion")): c for c in items
            }
        return data

    @field_validator("strengths", "improvements", mode="before")
    @classmethod
    def _strings(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [value]
        return [str(v) for v in value] if isinstance(value, list) else []


class LLMDebrief(BaseModel):
    summary: str = Field(min_length=1)
    focus: list[str] = Field(min_length=1)


def scorecard_schema(rubric: Rubric) -> dict[str, Any]:
    """The JSON schema of a grade for this rubric: every criterion a key, evidence before score."""
    criterion = {
        "type": "object",
        "additionalProperties": False,
        "required": ["evidence", "feedback", "score"],
        "properties": {
            "evidence": {
                "type": "array",
                "items": {"type": "string"},
                "description": "verbatim quotes of the candidate's words",
            },
            "feedback": {"type": "string"},
            "score": {"type": "integer", "enum": [1, 2, 3, 4]},
        },
    }
    ids = [c.id for c in rubric.criteria]
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["injection_attempt", "criteria", "strengths", "improvements"],
        "properties": {
            "injection_attempt": {"type": "boolean"},
            "criteria": {
                "type": "object",
                "additionalProperties": False,
                "required": ids,
                "properties": {i: criterion for i in ids},
            },
            "strengths": {"type": "array", "items": {"type": "string"}},
            "improvements": {"type": "array", "items": {"type": "string"}},
        },
    }


DEBRIEF_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["summary", "focus"],
    "properties": {
        "summary": {"type": "string"},
        "focus": {"type": "array", "items": {"type": "string"}},
    },
}


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def check_grade(grade: LLMGrade, rubric: Rubric) -> LLMGrade:
    """Criteria keyed by the rubric's ids (a model may write the name, or another case);
    unknown ones dropped. More than MAX_FILLED missing raises ValueError naming them; fewer
    are left out here and filled from the offline grade by `build_scorecard`."""
    ids = [c.id for c in rubric.criteria]
    known = {_key(c.name): c.id for c in rubric.criteria} | {
        _key(c.id): c.id for c in rubric.criteria
    }
    mapped: dict[str, LLMCriterion] = {}
    for key, value in grade.criteria.items():
        cid = known.get(_key(key))
        if cid is not None and cid not in mapped:
            mapped[cid] = value
    missing = [i for i in ids if i not in mapped]
    if len(missing) > MAX_FILLED:
        raise ValueError(
            f"criteria is missing {', '.join(missing)} (give every criterion id: {', '.join(ids)})"
        )
    grade.criteria = {i: mapped[i] for i in ids if i in mapped}
    return grade


# ------------------------------------------------------------------ extraction


_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)


def extract_object(text: str) -> dict[str, Any] | None:
    """The JSON object in a reply: strict first, then tolerant (fences, prose, broken JSON)."""
    text = _THINK.sub("", text).strip()
    try:
        value = json.loads(text)
    except ValueError:
        start = text.find("{")
        if start < 0:
            return None
        value = json_repair.repair_json(text[start:], return_objects=True)
        if isinstance(value, list):  # several objects: the largest is the answer
            value = max((v for v in value if isinstance(v, dict)), key=len, default=None)
    return value if isinstance(value, dict) and value else None


def validation_message(err: ValidationError | ValueError) -> str:
    if isinstance(err, ValidationError):
        parts = []
        for item in err.errors()[:5]:
            where = ".".join(str(p) for p in item["loc"]) or "(root)"
            parts.append(f"{where}: {item['msg']}")
        return "; ".join(parts)
    return str(err)


ParsedT = TypeVar("ParsedT", bound=BaseModel)


@dataclass
class Structured(Generic[ParsedT]):
    value: ParsedT
    mode: Mode
    requests: int


async def structured(
    client: LLMClient,
    messages: list[dict[str, str]],
    schema: dict[str, Any],
    name: str,
    parse: Callable[[dict[str, Any]], ParsedT],
    unsupported: set[str],
    max_tokens: int = GRADE_MAX_TOKENS,
    progress: TokenSink | None = None,
) -> Structured[ParsedT]:
    """Ask for a JSON object through the ladder; `parse(dict)` validates (raises ValueError).
    `progress` receives the reply's text as it streams in.

    `unsupported` holds the modes this server is known to reject; it is updated (shared by the
    backend's concurrent calls, only ever growing).
    """
    requests = 0
    reasks = 0
    last_problem = "no reply"
    for mode in MODES:
        if mode in unsupported and mode != "text":
            continue
        convo = list(messages)
        while True:
            params: dict[str, Any] = {"temperature": 0, "max_tokens": max_tokens}
            if mode == "json_schema":
                params["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {"name": name, "strict": True, "schema": schema},
                }
            elif mode == "json_object":
                params["response_format"] = {"type": "json_object"}
            try:
                requests += 1
                # Streamed: a slow local model keeps the connection alive token by token (a
                # plain request would time out before the whole JSON is written), and the
                # tokens show progress.
                reply = await client.stream(convo, progress, passthrough=_REJECTED, **params)
            except _REJECTED as err:
                if mode == "text":
                    raise GradingFailed(client.explain(err)) from None
                unsupported.add(mode)
                last_problem = f"the server rejected {mode} and answered no JSON"
                break
            data = extract_object(reply.text)
            if data is None:
                last_problem = f"no JSON in the reply ({mode})"
                if mode != "text":
                    unsupported.add(mode)  # the server ignores it: skip it next time
                    break
                if reasks >= MAX_REASKS:
                    break
                reasks += 1
                convo = [
                    *messages,
                    {"role": "assistant", "content": reply.text[:4000]},
                    {"role": "user", "content": _reask("the reply contained no JSON object")},
                ]
                continue
            try:
                return Structured(parse(data), mode, requests)
            except (ValidationError, ValueError) as err:
                problem = validation_message(err)
                last_problem = f"invalid {name}: {problem}"
                if reasks >= MAX_REASKS:
                    reason = f"invalid {name} after {reasks} re-asks ({problem})"
                    raise GradingFailed(reason[:200]) from None
                reasks += 1
                convo = [
                    *messages,
                    {"role": "assistant", "content": reply.text[:8000]},
                    {"role": "user", "content": _reask(problem)},
                ]
    raise GradingFailed(last_problem[:200])


def _reask(problem: str) -> str:
    return (
        f"Your reply was not a valid JSON object of the required shape: {problem}. "
        "Reply again with only the corrected JSON object, nothing else."
    )


# ------------------------------------------------------------------ evidence


_QUOTES = str.maketrans(
    {
        "“": '"',
        "”": '"',
        "„": '"',
        "‘": "'",
        "’": "'",
        "‚": "'",
        "´": "'",
        "–": "-",
        "—": "-",
        "‐": "-",
        "−": "-",
        "\u00a0": " ",
    }
)


def _normalise(text: str) -> tuple[str, list[int]]:
    """Lower-cased, quotes/dashes unified, whitespace runs collapsed; with each char's origin."""
    out: list[str] = []
    origin: list[int] = []
    previous_space = True
    for index, char in enumerate(text):
        char = unicodedata.normalize("NFKC", char).translate(_QUOTES).lower()
        for c in char:
            if c.isspace():
                if previous_space:
                    continue
                c = " "
                previous_space = True
            else:
                previous_space = False
            out.append(c)
            origin.append(index)
    while out and out[-1] == " ":
        out.pop()
        origin.pop()
    return "".join(out), origin


_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_WHOLE_WORDS = {
    "won't": ("will", "not"),
    "can't": ("can", "not"),
    "cannot": ("can", "not"),
    "shan't": ("shall", "not"),
}
_SUFFIXES = (
    ("n't", "not"),
    ("'re", "are"),
    ("'ll", "will"),
    ("'ve", "have"),
    ("'m", "am"),
    ("'d", "would"),
    ("'s", "is"),
)
_ELLIPSIS = re.compile(r"\s*(?:\.\s*\.\s*\.|…|\[\.\.\.\]|\[…\])\s*")
MAX_SPAN_CHARS = 400
"""A quote with "..." in it stands for the words between, if they are no longer than this."""


def _word_tokens(word: str) -> tuple[str, ...]:
    """A word as the tokens it means: "I'd" and "I would" read alike, so do "don't", "do not"."""
    if word in _WHOLE_WORDS:
        return _WHOLE_WORDS[word]
    for suffix, meaning in _SUFFIXES:
        if word.endswith(suffix) and len(word) > len(suffix):
            return (word[: -len(suffix)], meaning)
    return (word.replace("'", ""),)


def _tokens(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """Tokens of a text with each token's span in it: punctuation and Markdown are not tokens."""
    normal, origin = _normalise(text)
    tokens: list[str] = []
    spans: list[tuple[int, int]] = []
    for match in _TOKEN.finditer(normal):
        span = (origin[match.start()], origin[match.end() - 1] + 1)
        for token in _word_tokens(match.group()):
            tokens.append(token)
            spans.append(span)
    return tokens, spans


class EvidenceIndex:
    """Finds a model's quote in the candidate's words and returns the words as they were written.

    A quote matches when it has the same words in the same order: punctuation, Markdown
    emphasis, quotation marks, case and contractions ("I'd" / "I would") do not matter, and
    "..." stands for words left out.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens, self.spans = _tokens(source)
        self.joined = " " + " ".join(self.tokens) + " "
        self.starts: list[int] = []
        position = 1
        for token in self.tokens:
            self.starts.append(position)
            position += len(token) + 1

    def _find(self, piece: list[str], after: int) -> int | None:
        """The index of the first token of `piece` at or after token `after`."""
        needle = " " + " ".join(piece) + " "
        begin = self.starts[after] - 1 if after < len(self.starts) else len(self.joined)
        at = self.joined.find(needle, begin)
        if at < 0:
            return None
        return bisect.bisect_left(self.starts, at + 1)

    def locate(self, quote: str) -> tuple[int, int] | None:
        """The span of the candidate's words that the quote stands for, or None."""
        pieces = [_tokens(p)[0] for p in _ELLIPSIS.split(quote)]
        pieces = [p for p in pieces if p]
        if not pieces or len(" ".join(t for p in pieces for t in p)) < MIN_QUOTE_CHARS:
            return None
        found: list[tuple[int, int]] = []
        after = 0
        for piece in pieces:
            first = self._find(piece, after)
            if first is None:
                return None
            last = first + len(piece) - 1
            found.append((self.spans[first][0], self.spans[last][1]))
            after = last + 1
        start, end = found[0][0], found[-1][1]
        if end - start > MAX_SPAN_CHARS and len(found) > 1:
            start, end = max(found, key=lambda span: span[1] - span[0])
        elif quote.rstrip()[-1:] in ".!?" and not _ELLIPSIS.search(quote.rstrip()[-3:]):
            while end < len(self.source) and self.source[end] in ".!?":
                end += 1  # the quote's own full stop, where the candidate wrote one
        return start, end

    def verbatim(self, quote: str) -> str | None:
        span = self.locate(quote)
        return self.source[span[0] : span[1]] if span else None


# ------------------------------------------------------------------ the scorecard


# A tiny supplement to the offline detector, for what an obeying model is most often told:
# a line that speaks as another role ("SYSTEM: ...") or tells the scorer what to output.
_ROLE_LINE = re.compile(
    r"(^|\n)\s*[\[(<*]*\s*(system|assistant|developer|grader|evaluator|admin|instructions?)"
    r"\s*[\])>*]*\s*:",
    re.IGNORECASE,
)
_TO_SCORER = re.compile(
    r"\b(output|return|respond with|reply with|print|set|give|assign)\b[^.\n]{0,40}"
    r"\b(4|four|strong[_ ]hire|maximum|top)\b[^.\n]{0,40}"
    r"\b(criterion|criteria|score|scores|grade|every|all)\b",
    re.IGNORECASE,
)


def injection_spans(text: str, kept: Sequence[Any] | None = None) -> list[tuple[int, int]]:
    """Spans of the candidate's words aimed at the grader: the sentences the offline analysis
    left out (`kept`: its sentences), and lines that speak as a role or instruct the scorer."""
    from simulator.analysis.text import sentences

    kept_spans = {(s.start, s.end) for s in kept} if kept is not None else None
    out = []
    for sentence in sentences(text):
        left_out = kept_spans is not None and (sentence.start, sentence.end) not in kept_spans
        if left_out or _ROLE_LINE.search(sentence.text) or _TO_SCORER.search(sentence.text):
            out.append((sentence.start, sentence.end))
    return out


def build_scorecard(
    grade: LLMGrade,
    rubric: Rubric,
    question_id: str | None,
    candidate_words: str,
    grader: str,
    offline_flags: list[str],
    floor_to_one: bool = False,
    offline: Scorecard | None = None,
    excluded: Sequence[tuple[int, int]] = (),
) -> tuple[Scorecard, int]:
    """The scorecard from a validated grade; returns it and the number of quotes dropped.

    - Quotes not found in the candidate's words are dropped, and so are quotes from `excluded`
      spans (text aimed at the grader is never evidence); a 3 or 4 left with no evidence is
      lowered to 2 (a strength the model could not quote is not shown).
    - A criterion the model left out takes the `offline` grader's score, and says so.
    - When the model or the offline analysis flags an injection attempt, no criterion scores
      above the offline grader's score plus INJECTION_HEADROOM: an obeying model cannot lift it.
    - An overall that differs from the offline grade by DISAGREEMENT or more is flagged.
    """
    index = EvidenceIndex(candidate_words)
    offline_by_id = {c.id: c for c in offline.criteria} if offline else {}
    flags = list(dict.fromkeys(offline_flags))
    if (grade.injection_attempt or excluded) and "injection_attempt" not in flags:
        flags.append("injection_attempt")
    injected = "injection_attempt" in flags
    dropped = 0
    criteria: list[CriterionScore] = []
    for criterion in rubric.criteria:
        graded = grade.criteria.get(criterion.id)
        fallback = offline_by_id.get(criterion.id)
        if graded is None:
            if fallback is None:
                raise GradingFailed(f"the model did not grade {criterion.id}")
            note = "(The model did not grade this criterion: this is the offline grader's score.)"
            criteria.append(
                fallback.model_copy(update={"feedback": f"{fallback.feedback} {note}".strip()})
            )
            continue
        quotes: list[str] = []
        for quote in graded.evidence:
            span = index.locate(quote)
            if span is None or any(span[0] < end and start < span[1] for start, end in excluded):
                dropped += 1
                continue
            found = candidate_words[span[0] : span[1]]
            if found not in quotes:
                quotes.append(found)
        score = 1 if floor_to_one else graded.score
        feedback = " ".join(graded.feedback.split())
        if score >= 3 and not quotes:
            score = 2
            feedback = (
                feedback + " " if feedback else ""
            ) + "(Lowered to 2: the grader could not quote the candidate's words for this.)"
        if injected and fallback is not None and score > fallback.score + INJECTION_HEADROOM:
            score = fallback.score + INJECTION_HEADROOM
            feedback = (
                feedback + " " if feedback else ""
            ) + f"(Capped at {score}: the answer contains text aimed at the grader.)"
        criteria.append(
            CriterionScore(
                id=criterion.id,
                name=criterion.name,
                score=score,
                evidence=quotes[:4],
                feedback=feedback,
            )
        )
    overall = rubric.overall({c.id: c.score for c in criteria})
    if offline is not None and abs(overall - offline.overall) >= DISAGREEMENT:
        flags.append(FLAG_DISAGREEMENT)
    card = Scorecard(
        round=rubric.round,
        question_id=question_id,
        grader=grader,
        overall=overall,
        decision=decision_for(overall),
        criteria=criteria,
        flags=flags,
        strengths=[s.strip() for s in grade.strengths if s.strip()][:3],
        improvements=[s.strip() for s in grade.improvements if s.strip()][:3],
    )
    return card, dropped
