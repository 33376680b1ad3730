"""Transcripts on disk: one JSON file per session, rewritten atomically after every turn."""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from simulator.models import Transcript, now_utc


class StoreError(Exception):
    """A transcript could not be written or read; str() is one line."""


@dataclass(frozen=True)
class SessionSummary:
    session_id: str
    path: Path
    created_at: datetime
    kind: str
    title: str
    rounds: list[str]
    question_ids: list[str]
    round_scores: list[float | None]
    status: str
    overall: float | None
    decision: str | None


def new_session_id(label: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{label}-{secrets.token_hex(2)}"


class TranscriptStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, session_id: str) -> Path:
        return self.root / f"{session_id}.json"

    def save(self, transcript: Transcript) -> Path:
        """Write atomically (temporary file, fsync, rename): a crash leaves the old or the new."""
        transcript.updated_at = now_utc()
        target = self.path_for(transcript.session_id)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(transcript.model_dump_json(indent=2))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except OSError as err:
            raise StoreError(
                f"cannot save the transcript in {self.root}: {err.strerror or err}"
            ) from None
        return target

    def load(self, session_id: str) -> Transcript:
        path = self.resolve(session_id)
        try:
            return Transcript.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, ValidationError) as err:
            first = str(err).splitlines()[0]
            raise StoreError(f"{path}: not a readable transcript ({first})") from None

    def resolve(self, session_id: str) -> Path:
        """A session id, a unique prefix of one, or a path to a transcript file."""
        direct = Path(session_id)
        if direct.suffix == ".json" and direct.is_file():
            return direct
        exact = self.path_for(session_id)
        if exact.is_file():
            return exact
        matches = sorted(self.root.glob(f"{session_id}*.json")) if self.root.is_dir() else []
        matches = [m for m in matches if not m.name.startswith(".")]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise StoreError(f"no session {session_id!r} in {self.root}")
        raise StoreError(f"{session_id!r} matches {len(matches)} sessions; give more of the id")

    def summaries(self) -> list[SessionSummary]:
        """Every readable session, newest first; unreadable files are skipped, not fatal."""
        out: list[SessionSummary] = []
        if not self.root.is_dir():
            return out
        for path in self.root.glob("*.json"):
            if path.name.startswith("."):
                continue
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                transcript = Transcript.model_validate(data)
            except (OSError, ValueError, ValidationError):
                continue
            out.append(summarize(transcript, path))
        out.sort(key=lambda s: s.created_at, reverse=True)
        return out


def summarize(transcript: Transcript, path: Path) -> SessionSummary:
    if transcript.kind == "loop":
        title = transcript.loop_name or transcript.loop_id or "loop"
        overall = transcript.debrief.overall if transcript.debrief else None
        decision = transcript.debrief.decision if transcript.debrief else None
    else:
        first = transcript.rounds[0] if transcript.rounds else None
        title = first.question_title if first else "(no round)"
        card = first.scorecard if first else None
        overall = card.overall if card else None
        decision = card.decision if card else None
    return SessionSummary(
        session_id=transcript.session_id,
        path=path,
        created_at=transcript.created_at,
        kind=transcript.kind,
        title=title,
        rounds=[r.round for r in transcript.rounds],
        question_ids=[r.question_id for r in transcript.rounds if r.question_id],
        round_scores=[r.scorecard.overall if r.scorecard else None for r in transcript.rounds],
        status=transcript.status,
        overall=overall,
        decision=decision,
    )
