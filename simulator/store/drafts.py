"""The answer being typed, saved every few seconds so a killed app loses almost nothing."""

from __future__ import annotations

import os
from pathlib import Path


class DraftStore:
    def __init__(self, transcripts_dir: Path) -> None:
        self.root = Path(transcripts_dir) / ".drafts"

    def _path(self, session_id: str, round_index: int, part: str = "") -> Path:
        """`part` names a second box of the round (a coding round's words beside its code)."""
        suffix = f".{part}" if part else ""
        return self.root / f"{session_id}.{round_index}{suffix}.txt"

    def save(self, session_id: str, round_index: int, text: str, part: str = "") -> None:
        path = self._path(session_id, round_index, part)
        try:
            if not text.strip():
                path.unlink(missing_ok=True)
                return
            self.root.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            pass  # a draft is a safety net; failing to write one must not interrupt typing

    def load(self, session_id: str, round_index: int, part: str = "") -> str:
        try:
            return self._path(session_id, round_index, part).read_text(encoding="utf-8")
        except OSError:
            return ""

    def clear(self, session_id: str, round_index: int, part: str = "") -> None:
        self._path(session_id, round_index, part).unlink(missing_ok=True)
