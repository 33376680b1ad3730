"""The session index: a SQLite database beside the transcripts, for listing, search and stats.

`<dir>/.index/sessions.sqlite3` holds a row per session, per round and per criterion score, and an
FTS5 table over every turn. The files stay the truth: the index is brought in step with
them (by file size and mtime) before it answers, is rebuilt from them by `reindex`, and is
never needed for correctness: when it is missing, locked, damaged or cannot be written, the
same SQL answers from an index built in memory from the files (`SessionIndex(None)`).
"""

from __future__ import annotations

import builtins
import contextlib
import dataclasses
import json
import os
import re
import sqlite3
import statistics
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from simulator.models import DECISION_LABELS, ROUND_KINDS, Transcript
from simulator.safety import terminal_safe as safe_terminal_text
from simulator.store.transcripts import SessionSummary, StoreError, summarize

if TYPE_CHECKING:
    from simulator.store.transcripts import TranscriptStore

INDEX_NAME = ".index/sessions.sqlite3"
"""In a directory of its own: SQLite's own journal files come and go there, so the
transcripts directory's mtime changes only when a transcript file does."""
FORMAT = 2  # bump when the tables change: an index of another format is rebuilt
TURN_BITS = 16  # an FTS rowid is session key << 16 | round << 10 | turn
MAX_ROUNDS, MAX_TURNS = 64, 1024
RACY_NS = 2 * 10**9
FULL_SYNC_NS = 300 * 10**9


class IndexUnavailable(Exception):
    """The index cannot answer (missing, locked, damaged, unwritable): build one in memory."""


# ------------------------------------------------------------------ queries


DECISION_GROUPS = {
    "hire": ("lean_hire", "strong_hire"),
    "no_hire": ("strong_no_hire", "lean_no_hire"),
}


def parse_decision(text: str) -> tuple[str, ...]:
    """`lean_hire`, `lean-hire`, `Lean hire`; also `hire` and `no-hire` for both of a side."""
    key = re.sub(r"[\s-]+", "_", text.strip().lower())
    if key in DECISION_LABELS:
        return (key,)
    if key in DECISION_GROUPS:
        return DECISION_GROUPS[key]
    choices = ", ".join([*DECISION_LABELS, *DECISION_GROUPS])
    raise ValueError(f"unknown decision {text!r}; choose one of: {choices}")


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """`2026-11-01`, `2026-11-01T09:00`, or an age: `7d`, `2w`, `3m` (30 days), `today`."""
    now = now or datetime.now(UTC)
    value = text.strip().lower()
    if value == "today":
        return now.replace(hour=0, minute=0, second=0, microsecond=0)
    match = re.fullmatch(r"(\d+)\s*([dwm])", value)
    if match:
        days = int(match[1]) * {"d": 1, "w": 7, "m": 30}[match[2]]
        try:
            return now - timedelta(days=days)
        except OverflowError:  # `800000d` reaches before year 1
            raise ValueError(f"{text!r} reaches back before year 1; give a later date") from None
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"not a date: {text!r} (use YYYY-MM-DD, or an age such as 7d, 2w, 3m)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Query:
    """Filters shared by listing, search and stats; None means any."""

    round: str | None = None
    since: datetime | date | None = None
    until: datetime | date | None = None
    decision: tuple[str, ...] | None = None
    """Matches the session's decision (a loop's debrief) or a decision of one of its rounds
    (of kind `round` when given)."""
    status: str | None = None

    def __post_init__(self) -> None:
        if self.round is not None and self.round not in ROUND_KINDS:
            raise ValueError(f"unknown round kind {self.round!r}")
        if isinstance(self.decision, str):
            object.__setattr__(self, "decision", parse_decision(self.decision))


def _stamp(value: datetime | date) -> str:
    """Timestamps as sortable text, always UTC: 2026-11-28T01:35:11.150936+00:00."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


# ------------------------------------------------------------------ rows of one session


@dataclass(frozen=True)
class RoundRow:
    idx: int
    round: str
    question_id: str | None
    overall: float | None
    decision: str | None


@dataclass(frozen=True)
class ScoreRow:
    round_idx: int
    round: str
    criterion: str
    name: str
    score: int


@dataclass(frozen=True)
class TurnRow:
    round_idx: int
    turn_idx: int
    role: str
    text: str


@dataclass
class SessionRows:
    summary: SessionSummary
    rounds: list[RoundRow]
    scores: list[ScoreRow]
    turns: list[TurnRow]


def extract(transcript: Transcript, path: Path, problem: str | None = None) -> SessionRows:
    summary = summarize(transcript, path)
    if problem:
        summary = dataclasses.replace(summary, problem=problem)
    rounds, scores, turns = [], [], []
    for i, record in enumerate(transcript.rounds[:MAX_ROUNDS]):
        card = record.scorecard
        rounds.append(
            RoundRow(
                i,
                record.round,
                record.question_id,
                card.overall if card else None,
                card.decision if card else None,
            )
        )
        if card:
            scores += [ScoreRow(i, record.round, c.id, c.name, c.score) for c in card.criteria]
        turns += [TurnRow(i, n, t.role, t.text) for n, t in enumerate(record.turns[:MAX_TURNS])]
    return SessionRows(summary, rounds, scores, turns)


# ------------------------------------------------------------------ search terms


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_TOKEN = re.compile(r"[^\W_]+")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(_fold(text))


@dataclass(frozen=True)
class Phrase:
    tokens: tuple[str, ...]
    prefix: bool = False


def parse_search(text: str) -> list[Phrase]:
    """Words (all must occur), "quoted phrases", and a trailing * for a prefix: `shard*`."""
    phrases = []
    for quoted, word in re.findall(r'"([^"]*)"|(\S+)', text):
        part = quoted or word
        tokens = tuple(_tokens(part))
        if tokens:
            phrases.append(Phrase(tokens, part.rstrip().endswith("*")))
    return phrases


def fts_expression(phrases: list[Phrase]) -> str:
    return " ".join('"' + " ".join(p.tokens) + '"' + ("*" if p.prefix else "") for p in phrases)


@dataclass(frozen=True)
class SearchHit:
    session_id: str
    created_at: datetime
    title: str
    round_index: int
    round: str
    turn_index: int
    role: str
    snippet: str
    """Safe for a terminal (controls made visible); the match is between « and »."""
    decision: str | None
    overall: float | None


SNIPPET_WINDOW = 600
"""Characters of a turn a search snippet is made from: a window around the first match,
cut out by SQLite (`instr`, linear), so a 50 MB answer costs what a short one does."""


def snippet(window: str, phrases: list[Phrase], cut_before: bool, cut_after: bool) -> str:
    """About 14 words of `window` around the first word a phrase starts with, in « »."""
    words = window.split()
    if cut_before and words:
        words = words[1:]  # the window may start inside a word
    if cut_after and words:
        words = words[:-1]
    firsts = tuple(p.tokens[0] for p in phrases)
    for i, word in enumerate(words):
        if any(t.startswith(firsts) for t in _tokens(word)):
            start = max(0, i - 6)
            shown = [*words[start:i], f"«{words[i]}»", *words[i + 1 : i + 8]]
            before = "…" if start or cut_before else ""
            after = "…" if i + 8 < len(words) or cut_after else ""
            return before + " ".join(shown) + after
    return " ".join(words[:14]) + ("…" if len(words) > 14 or cut_after else "")


# ------------------------------------------------------------------ progress


class Point(NamedTuple):
    at: datetime
    session_id: str
    score: float


@dataclass
class Series:
    """Scores of one round kind (criterion None: the round's overall) or one criterion."""

    round: str
    criterion: str | None
    name: str
    points: list[Point] = field(default_factory=list)

    @property
    def scores(self) -> list[float]:
        return [p.score for p in self.points]

    @property
    def mean(self) -> float:
        return statistics.fmean(self.scores)

    @property
    def first(self) -> float:
        """Mean of the first three scores."""
        return statistics.fmean(self.scores[:3])

    @property
    def recent(self) -> float:
        """Mean of the last three scores."""
        return statistics.fmean(self.scores[-3:])

    @property
    def change(self) -> float:
        return self.recent - self.first

    def weekly(self) -> list[tuple[date, float, int]]:
        """(Monday of the week, mean score, count), oldest first."""
        weeks: dict[date, list[float]] = {}
        for p in self.points:
            day = p.at.date()
            weeks.setdefault(day - timedelta(days=day.weekday()), []).append(p.score)
        return [(w, statistics.fmean(v), len(v)) for w, v in sorted(weeks.items())]

    def as_json(self) -> dict[str, Any]:
        return {
            "round": self.round,
            "criterion": self.criterion,
            "name": self.name,
            "count": len(self.points),
            "mean": round(self.mean, 3),
            "first": round(self.first, 3),
            "recent": round(self.recent, 3),
            "change": round(self.change, 3),
            "weekly": [
                {"week": w.isoformat(), "mean": round(m, 3), "count": n}
                for w, m, n in self.weekly()
            ],
            "points": [
                {"at": p.at.isoformat(), "session_id": p.session_id, "score": p.score}
                for p in self.points
            ],
        }


@dataclass
class Progress:
    rounds: dict[str, Series] = field(default_factory=dict)
    """Round kind -> overall score per graded round, oldest first."""
    criteria: dict[str, dict[str, Series]] = field(default_factory=dict)
    """Round kind -> criterion id -> score per graded round, oldest first."""

    def add(self, kind: str, criterion: str | None, name: str, point: Point) -> None:
        if criterion is None:
            series = self.rounds.setdefault(kind, Series(kind, None, name))
        else:
            series = self.criteria.setdefault(kind, {}).setdefault(
                criterion, Series(kind, criterion, name)
            )
        series.points.append(point)

    def rows(self) -> list[dict[str, Any]]:
        """One row per round kind then per criterion: for a table or `--json`."""
        out = []
        for kind in sorted(self.rounds):
            out.append(self.rounds[kind].as_json())
            for series in self.criteria.get(kind, {}).values():
                out.append(series.as_json())
        return out

    def text(self) -> str:
        """A plain table: count, first, recent, change and a weekly sparkline per row."""
        if not self.rounds:
            return "No graded rounds yet."
        lines = [
            f"{'ROUND / CRITERION':<34} {'N':>5} {'FIRST':>6} {'RECENT':>6} {'CHANGE':>7}  WEEKLY"
        ]
        for kind in sorted(self.rounds):
            rows = [self.rounds[kind], *self.criteria.get(kind, {}).values()]
            for series in rows:
                label = kind if series.criterion is None else f"  {series.name}"
                spark = sparkline([m for _, m, _ in series.weekly()][-24:])
                lines.append(
                    f"{safe_terminal_text(label)[:34]:<34} {len(series.points):>5} "
                    f"{series.first:>6.2f} {series.recent:>6.2f} {series.change:>+7.2f}  {spark}"
                )
        return "\n".join(lines)


def sparkline(values: list[float], low: float = 1.0, high: float = 4.0) -> str:
    bars = "▁▂▃▄▅▆▇█"
    span = high - low
    return "".join(
        bars[min(len(bars) - 1, max(0, round((v - low) / span * (len(bars) - 1))))] for v in values
    )


# ------------------------------------------------------------------ the SQLite index


SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE sessions(
  id INTEGER PRIMARY KEY, session_id TEXT UNIQUE NOT NULL, sig TEXT NOT NULL,
  readable INTEGER NOT NULL, problem TEXT, path TEXT, created_at TEXT, kind TEXT, title TEXT,
  status TEXT, overall REAL, decision TEXT, rounds TEXT, question_ids TEXT, round_scores TEXT);
CREATE INDEX sessions_created ON sessions(created_at);
CREATE INDEX sessions_problem ON sessions(problem) WHERE problem IS NOT NULL;
CREATE TABLE rounds(
  sid INTEGER NOT NULL, idx INTEGER NOT NULL, round TEXT NOT NULL, question_id TEXT,
  overall REAL, decision TEXT, PRIMARY KEY(sid, idx)) WITHOUT ROWID;
CREATE INDEX rounds_kind ON rounds(round, sid);
CREATE TABLE scores(
  sid INTEGER NOT NULL, round_idx INTEGER NOT NULL, round TEXT NOT NULL,
  criterion TEXT NOT NULL, name TEXT NOT NULL, score INTEGER NOT NULL);
CREATE INDEX scores_sid ON scores(sid);
CREATE VIRTUAL TABLE turns USING fts5(
  text, round_idx UNINDEXED, turn_idx UNINDEXED, role UNINDEXED,
  tokenize = 'unicode61 remove_diacritics 2');
"""

SESSION_COLUMNS = (
    "s.session_id, s.path, s.created_at, s.kind, s.title, s.rounds, s.question_ids, "
    "s.round_scores, s.status, s.overall, s.decision, s.problem"
)


SEP = "\x1f"


def _join(values: list) -> str:
    return SEP.join("-" if v is None else str(v) for v in values)


def _split(text: str) -> list[str]:
    return text.split(SEP) if text else []


def _summary(row: tuple) -> SessionSummary:
    return SessionSummary(
        row[0],
        row[1],
        datetime.fromisoformat(row[2]),
        row[3],
        row[4],
        _split(row[5]),
        _split(row[6]),
        [None if x == "-" else float(x) for x in _split(row[7])],
        row[8],
        row[9],
        row[10],
        row[11],
    )


def _where(query: Query, hit_round: str | None = None) -> tuple[str, list[Any]]:
    """SQL conditions on sessions `s` for a query (same meaning as `_matches`)."""
    clauses, args = ["s.readable = 1"], []
    if query.since is not None:
        clauses.append("s.created_at >= ?")
        args.append(_stamp(query.since))
    if query.until is not None:
        clauses.append("s.created_at < ?")
        args.append(_stamp(query.until))
    if query.status is not None:
        clauses.append("s.status = ?")
        args.append(query.status)
    if query.round is not None and hit_round is None:
        clauses.append("EXISTS (SELECT 1 FROM rounds r WHERE r.sid = s.id AND r.round = ?)")
        args.append(query.round)
    if query.decision:
        marks = ",".join("?" * len(query.decision))
        by_round = f"r.decision IN ({marks})" + (" AND r.round = ?" if query.round else "")
        clauses.append(
            f"(s.decision IN ({marks}) OR EXISTS "
            f"(SELECT 1 FROM rounds r WHERE r.sid = s.id AND {by_round}))"
        )
        args += [*query.decision, *query.decision] + ([query.round] if query.round else [])
    return " AND ".join(clauses), args


class SessionIndex:
    """The index in a file (`path`), or in memory (`path` None): the fallback when the file
    cannot be used, built from the files and asked the very same SQL."""

    def __init__(self, path: Path | None, timeout: float = 0.5) -> None:
        self.path = Path(path) if path is not None else None
        self.timeout = timeout
        self._memory: sqlite3.Connection | None = None

    def _open(self, write: bool) -> sqlite3.Connection:
        if self.path is None:
            if self._memory is None:
                self._memory = sqlite3.connect(":memory:", isolation_level=None)
                self._ensure(self._memory)
            return self._memory
        if not write and not self.path.exists():
            raise IndexUnavailable("no index yet")
        if write:
            self.path.parent.mkdir(exist_ok=True)
        con = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        con.execute("PRAGMA synchronous = NORMAL")
        return con

    @contextlib.contextmanager
    def _connect(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        try:
            con = self._open(write)
        except (sqlite3.Error, OSError) as err:
            raise IndexUnavailable(f"cannot open the index ({err})") from None
        try:
            yield con
        except sqlite3.Error as err:
            with contextlib.suppress(sqlite3.Error):
                if con.in_transaction:
                    con.execute("ROLLBACK")
            raise IndexUnavailable(f"index unavailable ({err})") from None
        finally:
            if con is not self._memory:
                con.close()

    def close(self) -> None:
        """Free an index in memory (a file index holds no connection between calls)."""
        if self._memory is not None:
            self._memory.close()
            self._memory = None

    def _ensure(self, con: sqlite3.Connection) -> None:
        """Create the tables, or recreate them when they are of another format."""
        try:
            row = con.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        except sqlite3.OperationalError:
            row = None
        if row and row[0] == str(FORMAT):
            return
        drops = "".join(
            f"DROP TABLE IF EXISTS {t};" for t in ("meta", "sessions", "rounds", "scores", "turns")
        )
        con.executescript(
            f"BEGIN IMMEDIATE;{drops}{SCHEMA}INSERT INTO meta VALUES ('format', '{FORMAT}');COMMIT;"
        )

    # -------------------------------------------------------------- writing

    @staticmethod
    def _insert(
        con: sqlite3.Connection, sig: str, rows: SessionRows | None, sid: str, problem: str | None
    ) -> None:
        old = con.execute("SELECT id FROM sessions WHERE session_id = ?", (sid,)).fetchone()
        if old:
            key = old[0]
            con.execute("DELETE FROM rounds WHERE sid = ?", (key,))
            con.execute("DELETE FROM scores WHERE sid = ?", (key,))
            con.execute(
                "DELETE FROM turns WHERE rowid BETWEEN ? AND ?",
                (key << TURN_BITS, ((key + 1) << TURN_BITS) - 1),
            )
            con.execute("DELETE FROM sessions WHERE id = ?", (key,))
        if rows is None:
            con.execute(
                "INSERT INTO sessions(id, session_id, sig, readable, problem) "
                "VALUES (?, ?, ?, 0, ?)",
                (old[0] if old else None, sid, sig, problem),
            )
            return
        s = rows.summary
        cur = con.execute(
            "INSERT INTO sessions(id, session_id, sig, readable, problem, path, created_at, "
            "kind, title, status, overall, decision, rounds, question_ids, round_scores) "
            "VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                old[0] if old else None,
                sid,
                sig,
                s.problem,
                s.file,
                _stamp(s.created_at),
                s.kind,
                s.title,
                s.status,
                s.overall,
                s.decision,
                _join(s.rounds),
                _join(s.question_ids),
                _join(s.round_scores),
            ),
        )
        key = cur.lastrowid
        if key is None:  # sqlite always gives an INSERT's rowid; never number turns from nothing
            raise IndexUnavailable("the index gave no row id for a new session")
        con.executemany(
            "INSERT INTO rounds VALUES (?, ?, ?, ?, ?, ?)",
            [(key, r.idx, r.round, r.question_id, r.overall, r.decision) for r in rows.rounds],
        )
        con.executemany(
            "INSERT INTO scores VALUES (?, ?, ?, ?, ?, ?)",
            [(key, c.round_idx, c.round, c.criterion, c.name, c.score) for c in rows.scores],
        )
        con.executemany(
            "INSERT INTO turns(rowid, text, round_idx, turn_idx, role) VALUES (?, ?, ?, ?, ?)",
            [
                (
                    (key << TURN_BITS) | (t.round_idx << 10) | t.turn_idx,
                    t.text.replace("\x00", " "),
                    t.round_idx,
                    t.turn_idx,
                    t.role,
                )
                for t in rows.turns
            ],
        )

    def upsert(self, sig: str, rows: SessionRows) -> None:
        with self._connect(write=True) as con:
            self._ensure(con)
            con.execute("BEGIN IMMEDIATE")
            self._insert(con, sig, rows, rows.summary.session_id, rows.summary.problem)
            con.execute("COMMIT")

    def _in_step(self, store: TranscriptStore, meta: dict[str, str], now: int) -> bool:
        """Whether nothing changed since the last full sync, without a stat per file.

        Every write of ours replaces a file by a rename, which changes the directory's mtime;
        journals grow in place, so each is checked on its own. A directory changed within
        RACY_NS of a full sync, or a full sync older than FULL_SYNC_NS (to catch files edited
        in place by hand), means a full sync.
        """
        if "dir_mtime" not in meta or now - int(meta.get("full_at", 0)) > FULL_SYNC_NS:
            return False
        try:
            if str(os.stat(store.root).st_mtime_ns) != meta["dir_mtime"]:
                return False
        except OSError:
            return False
        journals: dict[str, str] = json.loads(meta.get("journals", "{}"))
        return all(store.signature(sid) == sig for sid, sig in journals.items())

    def sync(self, store: TranscriptStore, rebuild: bool = False) -> tuple[int, int]:
        """Bring the index in step with the files; returns (sessions read, sessions removed)."""
        with self._connect(write=True) as con:
            self._ensure(con)
            now = time.time_ns()
            meta = dict(con.execute("SELECT key, value FROM meta"))
            if not rebuild and self._in_step(store, meta, now):
                return 0, 0
            try:
                dir_mtime = os.stat(store.root).st_mtime_ns
            except OSError as err:
                raise IndexUnavailable(f"cannot read {store.root} ({err.strerror})") from None
            disk = store.signatures()
            if rebuild:
                indexed: dict[str, str] = {}
            else:
                indexed = dict(con.execute("SELECT session_id, sig FROM sessions"))
            changed = [sid for sid, sig in disk.items() if indexed.get(sid) != sig]
            removed = [sid for sid in indexed if sid not in disk]
            fresh: list[tuple[str, SessionRows | None, str | None]] = []  # (id, rows, problem)
            for sid in changed:  # read the files before taking the write lock
                try:
                    fresh.append((sid, store.rows(sid), None))
                except StoreError as err:
                    fresh.append((sid, None, str(err)))
            # Keys in date order, so that FTS rowid order is (about) newest-first order.
            fresh.sort(key=lambda f: _stamp(f[1].summary.created_at) if f[1] else "")
            con.execute("BEGIN IMMEDIATE")
            if rebuild:
                for table in ("sessions", "rounds", "scores", "turns"):
                    con.execute(f"DELETE FROM {table}")
            for sid in removed:
                key = con.execute("SELECT id FROM sessions WHERE session_id = ?", (sid,)).fetchone()
                if key:
                    self._delete(con, key[0])
            for sid, rows, problem in fresh:
                self._insert(con, disk[sid], rows, sid, problem)
            journals = {sid: sig for sid, sig in disk.items() if not sig.endswith("/-")}
            racy = now - dir_mtime < RACY_NS
            con.executemany(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                [("journals", json.dumps(journals)), ("full_at", str(now))]
                + ([] if racy else [("dir_mtime", str(dir_mtime))]),
            )
            if racy:
                con.execute("DELETE FROM meta WHERE key = 'dir_mtime'")
            con.execute("COMMIT")
        return len(changed), len(removed)

    @staticmethod
    def _delete(con: sqlite3.Connection, key: int) -> None:
        for table in ("rounds", "scores"):
            con.execute(f"DELETE FROM {table} WHERE sid = ?", (key,))
        con.execute(
            "DELETE FROM turns WHERE rowid BETWEEN ? AND ?",
            (key << TURN_BITS, ((key + 1) << TURN_BITS) - 1),
        )
        con.execute("DELETE FROM sessions WHERE id = ?", (key,))

    def drop(self) -> None:
        """Delete the database (before a rebuild from scratch, or when it is damaged)."""
        if self.path is None:
            self.close()
            return
        for suffix in ("", "-journal", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                Path(str(self.path) + suffix).unlink()

    # -------------------------------------------------------------- reading

    def problems(self) -> list[str]:
        """One line per damaged session file (read in part, or not at all)."""
        with self._connect() as con:
            return [
                row[0]
                for row in con.execute(
                    "SELECT problem FROM sessions WHERE problem IS NOT NULL ORDER BY session_id"
                )
            ]

    def count(self) -> tuple[int, int]:
        """(readable sessions, unreadable session files)."""
        with self._connect() as con:
            row = con.execute("SELECT sum(readable), sum(1 - readable) FROM sessions").fetchone()
        return row[0] or 0, row[1] or 0

    def list(self, query: Query, limit: int | None = None) -> list[SessionSummary]:
        where, args = _where(query)
        with self._connect() as con:
            rows = con.execute(
                f"SELECT {SESSION_COLUMNS} FROM sessions s WHERE {where} "
                "ORDER BY s.created_at DESC LIMIT ?",
                [*args, -1 if limit is None else limit],
            ).fetchall()
        return [_summary(r) for r in rows]

    def count_matching(self, query: Query) -> int:
        where, args = _where(query)
        with self._connect() as con:
            return con.execute(f"SELECT count(*) FROM sessions s WHERE {where}", args).fetchone()[0]

    # `builtins.list`: inside this class, `list` is the method above.
    def search(self, text: str, query: Query, limit: int = 50) -> builtins.list[SearchHit]:
        phrases = parse_search(text)
        if not phrases:
            return []
        where, args = _where(query, hit_round=query.round)
        round_clause = ""
        if query.round is not None:
            round_clause = " AND r.round = ?"
            args.append(query.round)
        sql = (
            "SELECT s.session_id, s.created_at, s.title, t.round_idx, r.round, t.turn_idx, "
            "t.role, instr(lower(t.text), ?), t.rowid, s.decision, s.overall "
            "FROM turns t JOIN sessions s ON s.id = (t.rowid >> ?) "
            "JOIN rounds r ON r.sid = s.id AND r.idx = t.round_idx "
            f"WHERE turns MATCH ? AND {where}{round_clause} "
            "ORDER BY t.rowid DESC LIMIT ?"
        )
        # FTS5's own snippet() is quadratic in the matches of a long turn (25 s for 2 MB):
        # find the first match with instr() (linear), cut a window around it in SQL and mark
        # it in Python. Each hit's text is read twice, however long it is.
        first, back = phrases[0].tokens[0], SNIPPET_WINDOW // 3
        with self._connect() as con:
            rows = con.execute(
                sql, [first, TURN_BITS, fts_expression(phrases), *args, limit]
            ).fetchall()
            windows = {}
            for r in rows:
                start = max(1, r[7] - back)
                cut = con.execute(
                    "SELECT substr(text, ?, ?) FROM turns WHERE rowid = ?",
                    (start, SNIPPET_WINDOW + 1, r[8]),
                ).fetchone()[0]
                more = len(cut) > SNIPPET_WINDOW
                windows[r[8]] = snippet(cut[:SNIPPET_WINDOW], phrases, start > 1, more)
        # FTS rowids follow the sessions' dates (keys are given in date order): the newest
        # matches come first without sorting them all; then each session in reading order.
        rows.sort(key=lambda r: (r[1], -r[3], -r[5]), reverse=True)
        return [
            SearchHit(
                r[0],
                datetime.fromisoformat(r[1]),
                r[2],
                r[3],
                r[4],
                r[5],
                r[6],
                safe_terminal_text(windows[r[8]]),
                r[9],
                r[10],
            )
            for r in rows
        ]

    def stats(self, query: Query) -> Progress:
        where, args = _where(query)
        kind_clause, kind_args = (
            ("", []) if query.round is None else (" AND round = ?", [query.round])
        )
        with self._connect() as con:
            sessions = con.execute(
                f"SELECT s.id, s.created_at, s.session_id FROM sessions s WHERE {where} "
                "ORDER BY s.created_at",
                args,
            ).fetchall()
            overall = con.execute(
                f"SELECT sid, idx, round, overall FROM rounds WHERE overall IS NOT NULL"
                f"{kind_clause}",
                kind_args,
            ).fetchall()
            criteria = con.execute(
                "SELECT sid, round_idx, round, criterion, name, score FROM scores "
                f"WHERE 1{kind_clause}",
                kind_args,
            ).fetchall()
        # Points in session date order (then round order), without a join or a SQL sort.
        order = {
            key: (n, datetime.fromisoformat(at), sid) for n, (key, at, sid) in enumerate(sessions)
        }
        progress = Progress()
        for key, _idx, kind, score in sorted(
            (r for r in overall if r[0] in order), key=lambda r: (order[r[0]][0], r[1])
        ):
            _, at, sid = order[key]
            progress.add(kind, None, kind, Point(at, sid, score))
        for key, _idx, kind, criterion, name, score in sorted(
            (r for r in criteria if r[0] in order), key=lambda r: (order[r[0]][0], r[1])
        ):
            _, at, sid = order[key]
            progress.add(kind, criterion, name, Point(at, sid, score))
        return progress


@dataclass(frozen=True)
class ReindexReport:
    sessions: int
    unreadable: int
    seconds: float
    problems: list[str]
