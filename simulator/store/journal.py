"""The per-session journal: JSON lines appended and fsync'ed before the interview moves on.

`<dir>/<session_id>.journal` holds events, one per line:

    {"ev": "snapshot", "transcript": {...}}        the whole transcript (a process's first save)
    {"ev": "meta", "set": {"status": ...}}         top-level fields that changed
    {"ev": "round", "i": 0, "set": {...}}          a round's fields but its turns (i == len: new)
    {"ev": "turn", "r": 0, "n": 3, "turn": {...}}  turn n of round r, new or changed

Every event sets values by position, so replaying a journal over a transcript that already
holds some of it changes nothing: loading takes the JSON file (the last atomic checkpoint)
and replays the whole journal over it. A line cut short by a kill, or damaged, is skipped and
reported; the lines after it still count.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SUFFIX = ".journal"
EVENTS = frozenset({"snapshot", "meta", "round", "turn"})


def encode_json(data: Any, indent: int | None = None) -> bytes:
    """UTF-8 JSON; a lone surrogate (from undecodable input) becomes U+FFFD, never an error."""
    text = json.dumps(
        data, ensure_ascii=False, indent=indent, separators=None if indent else (",", ":")
    )
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # A valid surrogate pair becomes its character, a lone surrogate U+FFFD.
        fixed = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return fixed.encode("utf-8")


def fsync_dir(path: Path) -> None:
    """Make a create, rename or unlink in `path` durable (a no-op where unsupported)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def append(path: Path, events: list[dict[str, Any]]) -> int:
    """Append events as lines, then flush and fsync; raises OSError (disk full, read-only).
    Returns the number of bytes appended.

    If an earlier append was cut short (no final newline), a newline goes first so the
    damaged line stays alone and the new ones read back whole.
    """
    if not events:
        return 0
    data = b"".join(encode_json(event) + b"\n" for event in events)
    created = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data
        _write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        fsync_dir(path.parent)
    return len(data)


@dataclass
class JournalRead:
    events: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read(path: Path) -> JournalRead:
    """Every readable event; damaged lines are skipped and described in `problems`."""
    out = JournalRead()
    from simulator.store.transcripts import read_regular

    try:
        raw = read_regular(path)
    except FileNotFoundError:
        return out
    except OSError as err:
        out.problems.append(f"journal unreadable ({err.strerror or err})")
        return out
    lines = raw.split(b"\n")
    tail = lines.pop()  # b"" when the file ends with a newline, as every whole append does
    bad: list[int] = []
    undecodable = 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        event, replaced = _parse(line)
        undecodable += replaced
        if event is None:
            bad.append(number)
        else:
            out.events.append(event)
    if tail.strip():
        event, replaced = _parse(tail)
        if event is None:
            out.problems.append(f"journal's last line cut short ({len(tail)} bytes), ignored")
        else:
            out.events.append(event)
    if bad:
        shown = ", ".join(map(str, bad[:5])) + ("…" if len(bad) > 5 else "")
        out.problems.append(
            f"journal line{'s' if len(bad) > 1 else ''} {shown} unreadable, skipped"
        )
    if undecodable:
        out.problems.append("invalid UTF-8 in the journal replaced with U+FFFD")
    return out


def _parse(line: bytes) -> tuple[dict[str, Any] | None, bool]:
    replaced = False
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        text, replaced = line.decode("utf-8", "replace"), True
    try:
        event = json.loads(text)
    except ValueError:
        return None, replaced
    if not isinstance(event, dict) or event.get("ev") not in EVENTS:
        return None, replaced
    return event, replaced


# ------------------------------------------------------------------ diff and replay


def diff(old: dict[str, Any] | None, new: dict[str, Any]) -> list[dict[str, Any]]:
    """The events that turn `old` (what the journal already says) into `new`.

    Rounds and turns come first and top-level fields (status) last, so a batch cut short
    never says "complete" without the content before it.
    """
    if old is None:
        return [{"ev": "snapshot", "transcript": new}]
    old_rounds, new_rounds = old.get("rounds") or [], new.get("rounds") or []
    if len(new_rounds) < len(old_rounds) or any(k not in new for k in old):
        return [{"ev": "snapshot", "transcript": new}]
    events: list[dict[str, Any]] = []
    for i, record in enumerate(new_rounds):
        before = old_rounds[i] if i < len(old_rounds) else None
        changed = {
            k: v
            for k, v in record.items()
            if k != "turns" and (before is None or before.get(k) != v)
        }
        if before is None or changed:
            events.append({"ev": "round", "i": i, "set": changed})
        turns, old_turns = record.get("turns") or [], (before or {}).get("turns") or []
        if len(turns) < len(old_turns):
            return [{"ev": "snapshot", "transcript": new}]
        for n, turn in enumerate(turns):
            if n >= len(old_turns) or old_turns[n] != turn:
                events.append({"ev": "turn", "r": i, "n": n, "turn": turn})
    meta = {k: v for k, v in new.items() if k != "rounds" and old.get(k) != v}
    if meta:
        events.append({"ev": "meta", "set": meta})
    return events


def replay(
    base: dict[str, Any] | None, events: list[dict[str, Any]]
) -> tuple[dict[str, Any] | None, list[str]]:
    """Apply events over `base` (a transcript as JSON data, or None); returns (data, problems)."""
    data = base
    problems: list[str] = []
    orphans = 0
    for event in events:
        kind = event.get("ev")
        if kind == "snapshot":
            if isinstance(event.get("transcript"), dict):
                data = event["transcript"]
            continue
        if data is None:
            orphans += 1
            continue
        rounds = data.setdefault("rounds", [])
        if not isinstance(rounds, list):
            rounds = data["rounds"] = []
        try:
            if kind == "meta":
                data.update(event["set"])
            elif kind == "round":
                i, values = int(event["i"]), dict(event["set"])
                if i < len(rounds) and isinstance(rounds[i], dict):
                    rounds[i].update(values)
                else:
                    if i > len(rounds):
                        problems.append(f"journal skips to round {i + 1}")
                    rounds.append({**values, "turns": []})
            elif kind == "turn":
                r, n, turn = int(event["r"]), int(event["n"]), event["turn"]
                if r >= len(rounds) or not isinstance(rounds[r], dict):
                    orphans += 1
                    continue
                turns = rounds[r].setdefault("turns", [])
                if n < len(turns):
                    turns[n] = turn
                else:
                    if n > len(turns):
                        problems.append(f"journal skips to turn {n + 1} of round {r + 1}")
                    turns.append(turn)
        except (KeyError, TypeError, ValueError, AttributeError):
            orphans += 1
    if orphans:
        problems.append(
            f"{orphans} journal event{'s' if orphans > 1 else ''} with no place, skipped"
        )
    return data, problems
