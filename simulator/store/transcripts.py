"""Transcripts on disk: a journal per session, a JSON file per session, an index beside them.

`TranscriptStore.save(transcript)` is the one call the engine makes after every turn. It is
journal-first: the new turns (and round, scorecard, debrief and status changes) are appended
to `<dir>/<session_id>.journal` and fsync'ed before it returns, then `<dir>/<session_id>.json`
is rewritten atomically (temporary file, fsync, rename). A SIGKILL at any moment loses
nothing already saved: loading takes the JSON and replays the journal over it. When the
session completes, the JSON is final and the journal is removed.

Reading never breaks on a damaged file: a cut-short journal line, invalid JSON or UTF-8, or
an older schema is read as far as it is valid and described in one line (`LoadResult.problem`,
`SessionSummary.problem`, `TranscriptStore.problems`).

Listing, search and stats go through the SQLite index (`index.py`) when it can answer, and
through the same SQL over an index built in memory from the files when it cannot.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import secrets
import stat
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator.models import Transcript, now_utc
from simulator.safety import redact_urls
from simulator.store import journal

if TYPE_CHECKING:
    from simulator.store.index import (
        Progress,
        Query,
        ReindexReport,
        SearchHit,
        SessionIndex,
        SessionRows,
    )

JSON_REWRITE_LIMIT = 64 * 1024
"""A JSON file up to this many bytes is rewritten on every save. A bigger one is rewritten
once the journal has grown by half its size since it was written (and when the session
completes): the bytes written stay linear in what is saved, however many rounds there are,
and the journal has every turn meanwhile."""


class StoreError(Exception):
    """A transcript could not be written or read; str() is one line."""


SESSION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
"""What a session id may be: it names files, so no `/`, no `..`, nothing hidden."""


def check_session_id(session_id: str) -> str:
    """`session_id` if it is one; StoreError otherwise (a file could name `../../x`)."""
    if not isinstance(session_id, str) or not SESSION_ID.fullmatch(session_id):
        raise StoreError(
            f"not a session id: {session_id!r} (letters, digits, '-' and '_', at most 128)"
        )
    return session_id


def read_regular(path: Path) -> bytes:
    """The bytes of `path` if it is a regular file. A FIFO, device or directory is never
    read (opening a FIFO blocks until a writer comes): OSError instead."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(0, "not a regular file", str(path))
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


class SaveError(StoreError):
    """The transcript could not be saved where it belongs. Nothing is lost: `transcript` holds
    it, `rescued` is the copy written elsewhere (None if none could be), and `rescue(dir)`
    writes one where the user chooses."""

    def __init__(self, message: str, transcript: Transcript, rescued: Path | None) -> None:
        super().__init__(message)
        self.transcript = transcript
        self.rescued = rescued

    def rescue(self, directory: Path) -> Path:
        return rescue_copy(self.transcript, [Path(directory)])


@dataclass(slots=True)  # not frozen: a frozen dataclass is 7x slower to build, 10,000 at a time
class SessionSummary:
    session_id: str
    file: str
    """The transcript's file (its journal, when no JSON was written yet)."""
    created_at: datetime
    kind: str
    title: str
    rounds: list[str]
    question_ids: list[str]
    round_scores: list[float | None]
    status: str
    overall: float | None
    decision: str | None
    problem: str | None = None
    """One line when the files were damaged and read only in part."""

    @property
    def path(self) -> Path:
        return Path(self.file)


@dataclass
class LoadResult:
    transcript: Transcript
    path: Path
    problems: list[str] = field(default_factory=list)

    @property
    def problem(self) -> str | None:
        """All that was wrong with the files, in one line (None when nothing was)."""
        if not self.problems:
            return None
        return f"{self.path.name}: " + "; ".join(dict.fromkeys(self.problems))


def new_session_id(label: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{label}-{secrets.token_hex(2)}"


def write_json_atomic(target: Path, data: dict[str, Any]) -> int:
    """Temporary file in the same directory, fsync, rename, fsync the directory; returns
    the bytes written."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".json")
    encoded = journal.encode_json(data, indent=2)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(encoded)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    journal.fsync_dir(target.parent)
    return len(encoded)


def without_credentials(data: Any, candidate: bool = False) -> Any:
    """The transcript's JSON data with credentials in URLs redacted (a fallback grader's
    label can quote OPENAI_BASE_URL with its `?api-key=`). The candidate's own words (their
    turns, CV and talk) are kept exactly as typed."""
    if isinstance(data, str):
        return data if candidate else redact_urls(data)
    if isinstance(data, list):
        return [without_credentials(item, candidate) for item in data]
    if isinstance(data, dict):
        mine = candidate or data.get("role") == "candidate"
        return {
            key: without_credentials(value, mine or key == "profile") for key, value in data.items()
        }
    return data


def rescue_dirs() -> list[Path]:
    """Where a transcript goes when its own directory refuses it, in order of preference."""
    dirs = []
    from simulator.config import current

    chosen = current().rescue_dir
    if chosen:
        dirs.append(Path(chosen))
    try:
        import platformdirs

        dirs.append(platformdirs.user_state_path("onsite") / "rescue")
    except ImportError:  # pragma: no cover - a dependency, but never a reason to fail here
        pass
    dirs.append(Path(tempfile.gettempdir()) / f"onsite-rescue-{os.getuid()}")
    return dirs


def rescue_copy(transcript: Transcript, directories: list[Path] | None = None) -> Path:
    """Write the transcript to the first directory that takes it; raises OSError if none."""
    last: OSError | None = None
    for directory in directories or rescue_dirs():
        try:
            directory.mkdir(parents=True, exist_ok=True)
            target = directory / f"{check_session_id(transcript.session_id)}.json"
            write_json_atomic(target, transcript.model_dump(mode="json"))
            return target
        except OSError as err:
            last = err
    raise last or OSError("no directory to rescue the transcript to")


class TranscriptStore:
    def __init__(self, root: Path, index: bool = True) -> None:
        self.root = Path(root)
        self.use_index = index
        self.problems: list[str] = []
        """Set by summaries(), search() and stats(): one line per damaged file (and one if
        the index could not be used)."""
        self._lock = threading.Lock()
        self._journaled: dict[str, dict[str, Any]] = {}
        self._json_size: dict[str, int] = {}
        """Session id -> bytes of the JSON this store last wrote."""
        self._since_json: dict[str, int] = {}
        """Session id -> journal bytes appended since then."""
        self._index: SessionIndex | None = None

    # -------------------------------------------------------------- paths

    def path_for(self, session_id: str) -> Path:
        return self.root / f"{check_session_id(session_id)}.json"

    def journal_for(self, session_id: str) -> Path:
        return self.root / f"{check_session_id(session_id)}{journal.SUFFIX}"

    def owns(self, path: Path) -> bool:
        """Whether `path` is (or would replace) a file of the transcripts folder."""
        try:
            here = Path(path).resolve()
            root = self.root.resolve()
        except (OSError, RuntimeError):
            return False
        if here.parent == root and here.suffix in (".json", journal.SUFFIX):
            return True
        if root in here.parents and ".index" in here.relative_to(root).parts:
            return True
        if not os.path.exists(path):
            return False
        with contextlib.suppress(OSError):  # a hard link or symlink to a transcript
            st = os.stat(path)
            for entry in os.scandir(self.root):
                est = entry.stat()
                if (est.st_ino, est.st_dev) == (st.st_ino, st.st_dev):
                    return True
        return False

    @property
    def index(self) -> SessionIndex:
        if self._index is None:
            from simulator.store.index import INDEX_NAME, SessionIndex

            self._index = SessionIndex(self.root / INDEX_NAME)
        return self._index

    # -------------------------------------------------------------- writing

    def save(self, transcript: Transcript) -> Path:
        """Journal the changes (fsync'ed), then rewrite the JSON atomically.

        Raises SaveError (a StoreError) when the journal cannot be written (read-only
        directory, disk full); a copy has then been written elsewhere if at all possible.
        """
        with self._lock:
            transcript.updated_at = now_utc()
            sid = transcript.session_id
            data = without_credentials(transcript.model_dump(mode="json"))
            events = journal.diff(self._journaled.get(sid), data)
            target = self.path_for(sid)
            try:
                self.root.mkdir(parents=True, exist_ok=True)
                appended = journal.append(self.journal_for(sid), events)
            except OSError as err:
                self._journaled.pop(sid, None)  # unknown what reached the disk: snapshot next
                raise self._save_error(transcript, err) from None
            self._journaled[sid] = data
            self._since_json[sid] = self._since_json.get(sid, 0) + appended
            complete = transcript.status == "complete"
            last = self._json_size.get(sid)
            due = (
                complete
                or last is None
                or last <= JSON_REWRITE_LIMIT
                or 2 * self._since_json[sid] >= last
            )
            if not due:
                return target
            try:
                self._json_size[sid] = write_json_atomic(target, data)
            except OSError:
                return target  # the journal holds it all; the JSON is retried next save
            self._since_json[sid] = 0
            if complete:
                self.journal_for(sid).unlink(missing_ok=True)
                journal.fsync_dir(self.root)
                self._journaled.pop(sid, None)
                self._json_size.pop(sid, None)
                self._since_json.pop(sid, None)
                self._index_session(transcript, target)
            return target

    def _save_error(self, transcript: Transcript, err: OSError) -> SaveError:
        reason = err.strerror or str(err)
        try:
            rescued: Path | None = rescue_copy(transcript)
        except OSError:
            rescued = None
        tail = (
            f"; a copy is saved as {rescued} (continue with: ONSITE_TRANSCRIPTS_DIR="
            f"{rescued.parent} onsite resume {transcript.session_id})"
            if rescued
            else "; nothing could be written anywhere: the session is kept in memory"
        )
        return SaveError(
            f"cannot save the transcript in {self.root}: {reason}{tail}", transcript, rescued
        )

    def rescue(self, transcript: Transcript, directory: Path | None = None) -> Path:
        """A copy of the transcript outside the store (`directory`, else rescue_dirs())."""
        return rescue_copy(transcript, [Path(directory)] if directory else None)

    def _index_session(self, transcript: Transcript, path: Path) -> None:
        if not self.use_index:
            return
        from simulator.store.index import IndexUnavailable, extract

        sig = self.signature(transcript.session_id)
        if sig is None:
            return
        with contextlib.suppress(IndexUnavailable, OSError):  # the index catches up later
            self.index.upsert(sig, extract(transcript, path))

    # -------------------------------------------------------------- reading one session

    def load(self, session_id: str) -> Transcript:
        return self.read(session_id).transcript

    def read(self, session_id: str) -> LoadResult:
        """The session as far as its files are valid, with what was wrong with them."""
        path = self.resolve(session_id)
        return read_files(path.with_suffix(".json"), path.with_suffix(journal.SUFFIX))

    def resolve(self, session_id: str) -> Path:
        """A session id or a unique prefix of one (or the path of a file of the transcripts
        folder), looked up inside the transcripts folder only."""
        given = Path(session_id)
        if given.suffix in (".json", journal.SUFFIX) and len(given.parts) > 1:
            try:
                inside = given.resolve().parent == self.root.resolve()
            except (OSError, RuntimeError):
                inside = False
            if not inside:
                raise StoreError(f"{session_id} is not in the transcripts folder {self.root}")
            session_id = given.name
        for suffix in (".json", journal.SUFFIX):  # `review ID.json` names the session ID
            if session_id.endswith(suffix) and SESSION_ID.fullmatch(session_id[: -len(suffix)]):
                session_id = session_id[: -len(suffix)]
        check_session_id(session_id)
        for exact in (self.path_for(session_id), self.journal_for(session_id)):
            if is_regular(exact):
                return exact
        matches: dict[str, Path] = {}
        if self.root.is_dir():
            pattern = glob.escape(session_id) + "*"
            for suffix in (journal.SUFFIX, ".json"):  # the .json wins for the same session
                for match in self.root.glob(pattern + suffix):
                    stem = match.name[: -len(suffix)]
                    if SESSION_ID.fullmatch(stem) and is_regular(match):
                        matches[stem] = match
        if len(matches) == 1:
            return next(iter(matches.values()))
        if not matches:
            raise StoreError(f"no session {session_id!r} in {self.root}")
        raise StoreError(f"{session_id!r} matches {len(matches)} sessions; give more of the id")

    def rows(self, session_id: str) -> SessionRows:
        """What the index holds of one session (read from its files)."""
        from simulator.store.index import extract

        result = read_files(self.path_for(session_id), self.journal_for(session_id))
        return extract(result.transcript, result.path, result.problem)

    def signature(self, session_id: str) -> str | None:
        """The signature signatures() gives one session, by two stats."""
        parts = []
        for path in (self.path_for(session_id), self.journal_for(session_id)):
            try:
                st = os.stat(path)
            except OSError:
                parts.append("-")
            else:
                parts.append(f"{st.st_ino}:{st.st_mtime_ns}:{st.st_size}")
        return None if parts == ["-", "-"] else "/".join(parts)

    def signatures(self) -> dict[str, str]:
        """Session id -> a signature of its files (inode, mtime, size of JSON and journal)."""
        parts: dict[str, list[str]] = {}
        try:
            entries = os.scandir(self.root)
        except OSError:
            return {}
        with entries:
            for entry in entries:
                name = entry.name
                if name.startswith("."):
                    continue
                if name.endswith(".json"):
                    sid, slot = name[:-5], 0
                elif name.endswith(journal.SUFFIX):
                    sid, slot = name[: -len(journal.SUFFIX)], 1
                else:
                    continue
                if not SESSION_ID.fullmatch(sid):
                    continue  # not a name save() could have written
                try:
                    st = entry.stat()
                except OSError:
                    continue
                if not stat.S_ISREG(st.st_mode):
                    continue  # a FIFO named x.json would block the reader forever
                parts.setdefault(sid, ["-", "-"])[slot] = (
                    f"{st.st_ino}:{st.st_mtime_ns}:{st.st_size}"
                )
        return {sid: "/".join(p) for sid, p in parts.items()}

    # -------------------------------------------------------------- many sessions

    def _query(self, query: Query | None, filters: dict[str, Any]) -> Query:
        from simulator.store.index import Query

        return query or Query(**filters)

    def _through_index(self, ask):
        """ask(index): the index on disk when it can answer, else the same SQL over an index
        built in memory from the files (one query language, two places to keep it)."""
        from simulator.store.index import IndexUnavailable, SessionIndex

        self.problems = []
        if self.use_index and self.root.is_dir():
            try:
                self.index.sync(self)
                result = ask(self.index)
                self.problems = self.index.problems()
                return result
            except IndexUnavailable as err:
                self.problems = [f"index not used ({err}); read the files instead"]
        memory = SessionIndex(None)
        try:
            if self.root.is_dir():
                memory.sync(self)
            result = ask(memory)
            self.problems += memory.problems()
        except IndexUnavailable as err:
            raise StoreError(f"cannot read the sessions in {self.root}: {err}") from None
        finally:
            memory.close()
        return result

    def summaries(
        self,
        query: Query | None = None,
        *,
        round: str | None = None,
        since: datetime | date | None = None,
        until: datetime | date | None = None,
        decision: str | tuple[str, ...] | None = None,
        status: str | None = None,
        limit: int | None = None,
    ) -> list[SessionSummary]:
        """Sessions newest first, filtered (only the newest `limit` when given); damaged files
        are read in part, never fatal (see `problems`)."""
        q = self._query(
            query, dict(round=round, since=since, until=until, decision=decision, status=status)
        )
        return self._through_index(lambda index: index.list(q, limit))

    def count(self, query: Query | None = None, **filters: Any) -> int:
        """How many sessions summaries() lists without a limit."""
        q = self._query(query, filters)
        return self._through_index(lambda index: index.count_matching(q))

    def interrupted(self) -> list[SessionSummary]:
        """Sessions to offer to resume (newest first)."""
        return self.summaries(status="in_progress")

    def search(
        self,
        text: str,
        query: Query | None = None,
        *,
        limit: int = 50,
        round: str | None = None,
        since: datetime | date | None = None,
        until: datetime | date | None = None,
        decision: str | tuple[str, ...] | None = None,
    ) -> list[SearchHit]:
        """Turns holding every word of `text` (and "quoted phrases", `prefix*`), newest first."""
        q = self._query(query, dict(round=round, since=since, until=until, decision=decision))
        return self._through_index(lambda index: index.search(text, q, limit))

    def stats(
        self,
        query: Query | None = None,
        *,
        round: str | None = None,
        since: datetime | date | None = None,
        until: datetime | date | None = None,
    ) -> Progress:
        """Scores per round kind and per criterion over time, oldest first."""
        q = self._query(query, dict(round=round, since=since, until=until))
        return self._through_index(lambda index: index.stats(q))

    def reindex(self) -> ReindexReport:
        """Rebuild the index from the files, from scratch."""
        import time

        from simulator.store.index import IndexUnavailable, ReindexReport

        started = time.perf_counter()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self.index.drop()
            self.index.sync(self, rebuild=True)
            problems = self.index.problems()
            readable, unreadable = self.index.count()
        except (IndexUnavailable, OSError) as err:
            raise StoreError(f"cannot build the index in {self.root}: {err}") from None
        return ReindexReport(
            sessions=readable,
            unreadable=unreadable,
            seconds=time.perf_counter() - started,
            problems=problems,
        )


# ------------------------------------------------------------------ reading files


def read_files(json_path: Path, journal_path: Path) -> LoadResult:
    """A session from its JSON (if any) with its journal (if any) replayed over it."""
    from simulator.store.migrate import migrate, salvage, salvage_json

    problems: list[str] = []
    data: Any = None
    name = json_path.name
    try:
        raw: bytes | None = read_regular(json_path)
    except FileNotFoundError:
        raw = None
    except OSError as err:
        raw = None
        problems.append(f"unreadable ({err.strerror or err})")
    if raw is not None:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("utf-8", "replace")
            problems.append("invalid UTF-8 replaced with U+FFFD")
        try:
            data = json.loads(text)
        except ValueError as err:
            where = getattr(err, "lineno", "?")
            try:
                data = salvage_json(text)
                problems.append(f"invalid JSON at line {where}, read up to the last whole part")
            except ValueError:
                problems.append(f"not JSON (line {where})" if text.strip() else "empty file")
        if data is not None and not isinstance(data, dict):
            problems.append("not a transcript object")
            data = None
        if data is not None:
            data, notes = migrate(data)
            problems += notes
    if journal_path.exists():
        read = journal.read(journal_path)
        problems += read.problems
        data, notes = journal.replay(data, read.events)
        problems += notes
        if raw is None and data is not None:
            name = journal_path.name
    if data is None:
        detail = "; ".join(dict.fromkeys(problems)) or "no such file"
        raise StoreError(f"{name}: not a readable transcript ({detail})")
    try:
        transcript, notes = salvage(data, fallback_id=json_path.stem)
    except ValueError as err:
        raise StoreError(f"{name}: not a readable transcript ({err})") from None
    if not SESSION_ID.fullmatch(transcript.session_id):
        raise StoreError(
            f"{name}: not a readable transcript (its session id {transcript.session_id!r} "
            "is not a valid id)"
        )
    problems += [n for n in notes if not n.startswith("repaired") or not problems]
    path = json_path if raw is not None else journal_path
    return LoadResult(transcript, path, problems)


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
        file=str(path),
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
