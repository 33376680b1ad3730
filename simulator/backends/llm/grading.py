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

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Literal

import json_repair
import openai
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from simulator.backends.llm.client import LLMClient
from simulator.models import CriterionScore, Rubric, Scorecard, decision_for

_REJECTED = (openai.BadRequestError, openai.UnprocessableEntityError)
Mode = Literal["json_schema", "json_object", "text"]
MODES: tuple[Mode, ...] = ("json_schema", "json_object", "text")
MAX_REASKS = 2
MIN_QUOTE_CHARS = 8
GRADE_MAX_TOKENS = 2500


class GradingFailed(Exception):
    """No valid grade could be obtained; str() is the short reason for the fallback label."""


# ------------------------------------------------------------------ output models


class LLMCriterion(BaseModel):
    evidence: list[str] = Field(default_factory=list)
    feedback: str = ""
    score: int = Field(ge=1, le=4)

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
            data["criteria"] = {str(c.get("id")): c for c in items}
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


def check_grade(grade: LLMGrade, rubric: Rubric) -> LLMGrade:
    """Every criterion graded (raises ValueError naming the missing ones); unknown ones dropped."""
    ids = [c.id for c in rubric.criteria]
    missing = [i for i in ids if i not in grade.criteria]
    if missing:
        raise ValueError(
            f"criteria is missing {', '.join(missing)} (give every criterion id: {', '.join(ids)})"
        )
    grade.criteria = {i: grade.criteria[i] for i in ids}
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


@dataclass
class Structured:
    value: BaseModel
    mode: Mode
    requests: int


async def structured(
    client: LLMClient,
    messages: list[dict[str, str]],
    schema: dict[str, Any],
    name: str,
    parse: Any,
    unsupported: set[str],
    max_tokens: int = GRADE_MAX_TOKENS,
) -> Structured:
    """Ask for a JSON object through the ladder; `parse(dict)` validates (raises ValueError).

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
                reply = await client.complete(convo, passthrough=_REJECTED, **params)
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


class EvidenceIndex:
    """Finds a model's quote in the candidate's words and returns the words as they were written."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.normal, self.origin = _normalise(source)

    def verbatim(self, quote: str) -> str | None:
        cleaned = quote.strip().strip("\"'“”‘’`").strip()
        cleaned = re.sub(r"^(\.\.\.|…)\s*|\s*(\.\.\.|…)$", "", cleaned).strip()
        needle, _ = _normalise(cleaned)
        if len(needle) < MIN_QUOTE_CHARS:
            return None
        at = self.normal.find(needle)
        if at < 0:
            return None
        start = self.origin[at]
        end = self.origin[at + len(needle) - 1] + 1
        found = self.source[start:end]
        return found if found in self.source else None


# ------------------------------------------------------------------ the scorecard


def build_scorecard(
    grade: LLMGrade,
    rubric: Rubric,
    question_id: str | None,
    candidate_words: str,
    grader: str,
    offline_flags: list[str],
    floor_to_one: bool = False,
) -> tuple[Scorecard, int]:
    """The scorecard from a validated grade; returns it and the number of quotes dropped.

    Quotes not found verbatim in the candidate's words are dropped; a 3 or 4 left with no
    evidence at all is lowered to 2 (a strength the model could not quote is not shown).
    """
    index = EvidenceIndex(candidate_words)
    dropped = 0
    criteria: list[CriterionScore] = []
    for criterion in rubric.criteria:
        graded = grade.criteria[criterion.id]
        quotes: list[str] = []
        for quote in graded.evidence:
            found = index.verbatim(quote)
            if found is None:
                dropped += 1
            elif found not in quotes:
                quotes.append(found)
        score = 1 if floor_to_one else graded.score
        feedback = " ".join(graded.feedback.split())
        if score >= 3 and not quotes:
            score = 2
            feedback = (
                feedback + " " if feedback else ""
            ) + "(Lowered to 2: the grader could not quote the candidate's words for this.)"
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
    flags = list(dict.fromkeys(offline_flags))
    if grade.injection_attempt and "injection_attempt" not in flags:
        flags.append("injection_attempt")
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
