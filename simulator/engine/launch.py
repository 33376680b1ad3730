"""The one way to start a session: practice, loop and resume, for the CLI and the TUI alike.

Every check of what the user asked for (round kind, question id, minutes, a loop file's rounds)
happens here, once, and fails with a `LaunchError` whose message is one line a person can act
on. The CLI prints it and exits 2; the TUI shows it as a notification.
"""

from __future__ import annotations

import random
from pathlib import Path

from simulator.backends.base import Interviewer
from simulator.catalog import Catalog, CatalogError, load_model
from simulator.engine.clock import Clock
from simulator.engine.session import PlannedRound, Session, _plan_round
from simulator.models import (
    ROUND_KINDS,
    CandidateProfile,
    LoopPreset,
    LoopRound,
    Persona,
    RoundKind,
    Transcript,
    is_round_kind,
)
from simulator.store.transcripts import TranscriptStore

MIN_MINUTES = 5
MAX_MINUTES = 120
"""A round's time budget, as `LoopRound.minutes` allows it."""
MAX_LOOP_ROUNDS = 20
"""A loop file with more rounds is refused: a real onsite has at most about eight."""


class LaunchError(ValueError):
    """What the user asked for cannot start; the message is one line."""


def check_minutes(minutes: int | None) -> int | None:
    if minutes is not None and not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise LaunchError(f"minutes must be between {MIN_MINUTES} and {MAX_MINUTES}, not {minutes}")
    return minutes


def check_round_kind(kind: str) -> RoundKind:
    if not is_round_kind(kind):
        raise LaunchError(f"unknown round kind {kind!r}; choose one of: {', '.join(ROUND_KINDS)}")
    return kind


def check_question(catalog: Catalog, kind: str, question_id: str | None) -> str | None:
    """The full id of a question of `kind` (`url-shortener` or `system-design/url-shortener`)."""
    if question_id is None:
        return None
    full = question_id if "/" in question_id else f"{kind}/{question_id}"
    question = catalog.questions.get(full)
    if question is None or question.round != kind:
        raise LaunchError(
            f"unknown question {question_id!r} for {kind} (see 'onsite questions {kind}')"
        )
    return full


def check_loop(catalog: Catalog, loop: LoopPreset, where: str) -> LoopPreset:
    """A loop whose every round can be planned: known questions, of the round's own kind."""
    if len(loop.rounds) > MAX_LOOP_ROUNDS:
        raise LaunchError(
            f"{where}: {len(loop.rounds)} rounds; a loop holds at most {MAX_LOOP_ROUNDS}"
        )
    for number, spec in enumerate(loop.rounds, start=1):
        if spec.question:
            try:
                check_question(catalog, spec.round, spec.question)
            except LaunchError:
                raise LaunchError(
                    f"{where}: round {number} ({spec.round}) names unknown question "
                    f"{spec.question!r} (see 'onsite questions {spec.round}')"
                ) from None
    return loop


def load_loop(catalog: Catalog, preset_or_file: str) -> LoopPreset:
    """A preset by id, or a loop YAML file; checked so that every round can start."""
    if preset_or_file in catalog.loops:
        return catalog.loops[preset_or_file]
    path = Path(preset_or_file).expanduser()
    if path.suffix not in (".yaml", ".yml"):
        raise LaunchError(
            f"unknown loop preset {preset_or_file!r}; choose one of: {', '.join(catalog.loops)}"
            " (or give a loop .yaml file)"
        )
    if not path.is_file():
        raise LaunchError(f"loop file not found: {preset_or_file}")
    try:
        loop = load_model(path, LoopPreset, id=path.stem)
    except CatalogError as err:
        raise LaunchError(str(err)) from None
    return check_loop(catalog, loop, preset_or_file)


def start_practice(
    catalog: Catalog,
    interviewer: Interviewer,
    store: TranscriptStore,
    kind: str,
    question_id: str | None = None,
    minutes: int | None = None,
    profile: CandidateProfile | None = None,
    persona: Persona | None = None,
    clock: Clock | None = None,
    max_answers: int | None = None,
    rng: random.Random | None = None,
) -> Session:
    round_kind = check_round_kind(kind)
    full_id = check_question(catalog, round_kind, question_id)
    check_minutes(minutes)
    try:
        return Session.practice(
            catalog,
            interviewer,
            store,
            round_kind,
            question_id=full_id,
            minutes=minutes,
            profile=profile,
            persona=persona,
            clock=clock,
            max_answers=max_answers,
            rng=rng,
        )
    except LookupError as err:  # e.g. every question of a small bank already seen
        raise LaunchError(str(err).strip("'\"")) from None


def start_loop(
    catalog: Catalog,
    interviewer: Interviewer,
    store: TranscriptStore,
    loop: LoopPreset,
    profile: CandidateProfile | None = None,
    persona: Persona | None = None,
    clock: Clock | None = None,
    max_answers: int | None = None,
    rng: random.Random | None = None,
) -> Session:
    check_loop(catalog, loop, loop.id)
    try:
        return Session.for_loop(
            catalog,
            interviewer,
            store,
            loop,
            profile=profile,
            persona=persona,
            clock=clock,
            max_answers=max_answers,
            rng=rng,
        )
    except LookupError as err:
        raise LaunchError(str(err).strip("'\"")) from None


def resume(
    catalog: Catalog,
    interviewer: Interviewer,
    store: TranscriptStore,
    transcript: Transcript,
    clock: Clock | None = None,
    max_answers: int | None = None,
) -> Session:
    """A Session that continues `transcript` where it stopped."""
    if transcript.status == "complete":
        raise LaunchError(f"session {transcript.session_id} is already complete")
    loop = transcript.loop or (
        catalog.loops.get(transcript.loop_id) if transcript.loop_id else None
    )
    specs = loop.rounds if loop else [LoopRound(round=r.round) for r in transcript.rounds]
    seen = {r.question_id for r in transcript.rounds if r.question_id}
    plan: list[PlannedRound] = []
    try:
        for index, spec in enumerate(specs):
            record = transcript.rounds[index] if index < len(transcript.rounds) else None
            if record is not None and record.question_id:
                ids = record.question_ids or [record.question_id]
                questions = [catalog.question(qid) for qid in ids]
                plan.append(PlannedRound(spec, questions[0], questions[1:]))
            else:
                plan.append(_plan_round(catalog, spec, spec.area, seen, None))
    except LookupError as err:
        raise LaunchError(
            f"session {transcript.session_id} asks a question this version does not have: {err}"
        ) from None
    session = Session(
        transcript, plan, catalog, interviewer, store, loop=loop, max_answers=max_answers
    )
    if clock is not None:
        session.clock = clock
    return session
