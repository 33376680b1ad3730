"""Reading transcripts of any age and any state: schema migrations and lenient validation.

`migrate(data)` upgrades the JSON data of an older schema version step by step
(MIGRATIONS[v] turns version v into v + 1). `salvage(data)` validates what it can: a damaged
turn, scorecard or debrief is dropped, a missing field gets its default, and what was done is
described, so a damaged file is read as far as it is valid instead of breaking review.
`salvage_json(text)` reads a truncated or damaged JSON document up to its last complete element.

To change the transcript format: bump models.SCHEMA_VERSION to N and add MIGRATIONS[N - 1].
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from simulator.models import (
    SCHEMA_VERSION,
    CandidateProfile,
    Debrief,
    Persona,
    RoundRecord,
    Scorecard,
    Transcript,
    Turn,
)

Data = dict[str, Any]
ModelT = TypeVar("ModelT", bound=BaseModel)


def _from_0(data: Data) -> Data:
    """Version 0: files written before `schema_version` existed (and hand-made ones).

    Accepted shapes: one round at the top level (`round`, `question_*`, `turns`, `scorecard`)
    instead of `rounds`; `id` for `session_id`; turns as `{"speaker"|"role", "content"|"text"}`.
    """
    data = dict(data)
    if "session_id" not in data and "id" in data:
        data["session_id"] = data.pop("id")
    if "rounds" not in data and ("turns" in data or "round" in data):
        record = {
            key: data.pop(key)
            for key in (
                "round",
                "question_id",
                "question_title",
                "question_prompt",
                "minutes",
                "turns",
                "scorecard",
                "started_at",
                "ended_at",
                "ended_by",
            )
            if key in data
        }
        data["rounds"] = [record]
    rounds = [r for r in data.get("rounds") or [] if isinstance(r, dict)]
    for record in rounds:
        record.setdefault("question_id", None)
        record.setdefault("question_title", record.get("question_id") or "(untitled question)")
        record.setdefault("question_prompt", "")
        record.setdefault("minutes", 45)
        turns = []
        for turn in record.get("turns") or []:
            if not isinstance(turn, dict):
                continue
            turn = dict(turn)
            if "role" not in turn and "speaker" in turn:
                turn["role"] = turn.pop("speaker")
            if turn.get("role") in ("user", "you", "me"):
                turn["role"] = "candidate"
            elif turn.get("role") in ("assistant", "bot", "ai"):
                turn["role"] = "interviewer"
            if "text" not in turn and "content" in turn:
                turn["text"] = turn.pop("content")
            turn.setdefault("kind", "answer" if turn.get("role") == "candidate" else "question")
            turns.append(turn)
        record["turns"] = turns
    data["rounds"] = rounds
    data.setdefault("kind", "loop" if data.get("loop_id") else "practice")
    if "status" not in data:
        graded = rounds and all(r.get("scorecard") for r in rounds)
        data["status"] = "complete" if graded else "in_progress"
    data["schema_version"] = 1
    return data


MIGRATIONS: dict[int, Callable[[Data], Data]] = {0: _from_0}


def migrate(data: Data) -> tuple[Data, list[str]]:
    """Upgrade to SCHEMA_VERSION; returns the data and notes (empty when nothing was done)."""
    version = data.get("schema_version", 0)
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        return _from_0(data), [f"unknown schema version {version!r}, read as version 0"]
    if version > SCHEMA_VERSION:
        return data, [
            f"written by a newer onsite (schema {version}); only what this version knows is read"
        ]
    start = version
    while version < SCHEMA_VERSION:
        data = MIGRATIONS[version](data)
        version += 1
        data["schema_version"] = version
    return data, ([f"schema {start} migrated to {SCHEMA_VERSION}"] if start != version else [])


# ------------------------------------------------------------------ lenient validation


def _try(model: type[ModelT], value: Any) -> ModelT | None:
    try:
        return model.model_validate(value)
    except (ValidationError, TypeError, ValueError):
        return None


def _first_error(err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "transcript"
    return f"{where}: {first['msg']}"


def salvage(data: Any, fallback_id: str) -> tuple[Transcript, list[str]]:
    """A Transcript from whatever part of `data` is valid; raises ValueError if nothing is."""
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    try:
        return Transcript.model_validate(data), []
    except ValidationError as err:
        first = _first_error(err)
    notes: list[str] = []
    data = dict(data)
    rounds: list[RoundRecord] = []
    lost_rounds = lost_turns = lost_cards = 0
    for raw in data.get("rounds") if isinstance(data.get("rounds"), list) else []:
        if not isinstance(raw, dict):
            lost_rounds += 1
            continue
        raw = dict(raw)
        turns = (
            [_try(Turn, t) for t in raw.get("turns") or []]
            if isinstance(raw.get("turns"), list)
            else []
        )
        lost_turns += sum(t is None for t in turns)
        raw["turns"] = [t for t in turns if t is not None]
        if raw.get("scorecard") is not None and _try(Scorecard, raw["scorecard"]) is None:
            raw["scorecard"] = None
            lost_cards += 1
        if raw.get("persona") is not None and _try(Persona, raw["persona"]) is None:
            raw["persona"] = None
        raw.setdefault("question_id", None)
        raw.setdefault("question_title", raw.get("question_id") or "(untitled question)")
        raw.setdefault("question_prompt", "")
        raw.setdefault("minutes", 45)
        record = _try(RoundRecord, raw)
        if record is None:  # drop the optional fields that do not validate, then retry
            for key in ("started_at", "ended_at", "ended_by", "stage", "minutes"):
                raw.pop(key, None)
            raw["minutes"] = 45
            record = _try(RoundRecord, raw)
        if record is None:
            lost_rounds += 1
        else:
            rounds.append(record)
    data["rounds"] = rounds
    if data.get("debrief") is not None and _try(Debrief, data["debrief"]) is None:
        data["debrief"] = None
        notes.append("debrief unreadable, dropped")
    if _try(CandidateProfile, data.get("profile", {})) is None:
        data.pop("profile", None)
    if not isinstance(data.get("session_id"), str) or not data["session_id"]:
        data["session_id"] = fallback_id
    if data.get("kind") not in ("practice", "loop"):
        data["kind"] = "loop" if data.get("loop_id") else "practice"
    if data["kind"] == "loop" and not data.get("loop_id"):
        data["loop_id"] = "unknown"
    for _ in range(12):  # drop top-level fields that still fail; their defaults apply
        try:
            transcript = Transcript.model_validate(data)
            break
        except ValidationError as err:
            fields = {e["loc"][0] for e in err.errors() if e["loc"]}
            fields -= {"session_id", "kind", "rounds"}
            if not fields:
                raise ValueError(_first_error(err)) from None
            for field in fields:
                data.pop(field, None)
    else:  # pragma: no cover - every pass removes at least one key
        raise ValueError(first)
    for count, what in ((lost_rounds, "round"), (lost_turns, "turn"), (lost_cards, "scorecard")):
        if count:
            notes.append(f"{count} unreadable {what}{'s' if count > 1 else ''} dropped")
    return transcript, notes or [f"repaired ({first})"]


# ------------------------------------------------------------------ damaged JSON text


def salvage_json(text: str) -> Any:
    """Parse JSON; if it is cut short or damaged, keep it up to its last complete element.

    Raises ValueError when not even the start of an object can be read.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        prefix = text[: err.pos]
    cuts: list[tuple[int, str]] = []  # (cut position, closers for the open containers)
    stack: list[str] = []
    in_string = escaped = False
    for pos, char in enumerate(prefix):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            stack.append("}" if char == "{" else "]")
        elif char in "}]":
            if stack:
                stack.pop()
            cuts.append((pos + 1, "".join(reversed(stack))))
        elif char == ",":
            cuts.append((pos, "".join(reversed(stack))))
    for cut, closers in reversed(cuts[-200:]):
        try:
            return json.loads(prefix[:cut] + closers)
        except json.JSONDecodeError:
            continue
    raise ValueError("no complete JSON element")
