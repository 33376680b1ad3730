"""The journal: every save is durable before the interview moves on, whatever kills the process."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from simulator.models import RoundRecord, Scorecard, Transcript, Turn
from simulator.store import journal
from simulator.store.transcripts import TranscriptStore
from tests.conftest import ROOT, run_cli


def _transcript(session_id: str = "20260101-000000-system-design-abcd") -> Transcript:
    return Transcript(session_id=session_id, kind="practice")


def _round() -> RoundRecord:
    return RoundRecord(
        round="system-design",
        question_id="system-design/url-shortener",
        question_title="Design a URL shortener",
        question_prompt="Design TinyURL.",
        minutes=45,
    )


def _card() -> Scorecard:
    return Scorecard(
        round="system-design",
        question_id="system-design/url-shortener",
        grader="offline",
        overall=3.0,
        decision="lean_hire",
        criteria=[{"id": "estimation", "name": "Capacity estimation", "score": 3}],
    )


def _said(transcript: Transcript) -> list[str]:
    return [t.text for r in transcript.rounds for t in r.turns if t.role == "candidate"]


def _play(store: TranscriptStore, answers: int = 5) -> Transcript:
    transcript = _transcript()
    store.save(transcript)
    transcript.rounds.append(_round())
    for i in range(answers):
        transcript.rounds[0].turns.append(Turn(role="interviewer", kind="probe", text=f"Q{i}?"))
        store.save(transcript)
        transcript.rounds[0].turns.append(Turn(role="candidate", kind="answer", text=f"A{i}."))
        store.save(transcript)
    return transcript


def test_every_save_is_in_the_journal_and_the_json(tmp_path):
    store = TranscriptStore(tmp_path)
    transcript = _play(store)
    sid = transcript.session_id
    lines = store.journal_for(sid).read_bytes().splitlines()
    assert json.loads(lines[0])["ev"] == "snapshot"
    assert sum(json.loads(line)["ev"] == "turn" for line in lines) == 10
    on_disk = json.loads(store.path_for(sid).read_text())
    assert [t["text"] for t in on_disk["rounds"][0]["turns"]][-1] == "A4."
    loaded = store.read(sid)
    assert loaded.problems == [] and _said(loaded.transcript) == [f"A{i}." for i in range(5)]


def test_a_complete_session_keeps_only_its_json(tmp_path):
    store = TranscriptStore(tmp_path)
    transcript = _play(store, 2)
    transcript.rounds[0].scorecard = _card()
    transcript.status = "complete"
    store.save(transcript)
    assert not store.journal_for(transcript.session_id).exists()
    loaded = store.load(transcript.session_id)
    assert loaded.status == "complete" and loaded.rounds[0].scorecard.overall == 3.0


def test_a_stale_json_is_completed_from_the_journal(tmp_path):
    """A kill after the journal's fsync and before the JSON's rename loses nothing."""
    store = TranscriptStore(tmp_path)
    transcript = _play(store, 2)
    stale = store.path_for(transcript.session_id).read_bytes()
    transcript.rounds[0].turns.append(Turn(role="candidate", kind="answer", text="late words"))
    transcript.rounds[0].turns[0].text = "edited question"  # a turn changed in place
    store.save(transcript)
    store.path_for(transcript.session_id).write_bytes(stale)
    loaded = store.read(transcript.session_id)
    assert loaded.problems == []
    assert _said(loaded.transcript)[-1] == "late words"
    assert loaded.transcript.rounds[0].turns[0].text == "edited question"


def test_a_session_with_only_a_journal_is_listed_and_loaded(tmp_path):
    store = TranscriptStore(tmp_path)
    transcript = _play(store, 3)
    store.path_for(transcript.session_id).unlink()  # killed before the first JSON was written
    assert _said(store.load(transcript.session_id)) == ["A0.", "A1.", "A2."]
    assert [s.session_id for s in TranscriptStore(tmp_path).interrupted()] == [
        transcript.session_id
    ]


def test_a_journal_cut_at_any_byte_keeps_every_whole_line(tmp_path):
    """What a SIGKILL in the middle of an append can leave, at every possible offset."""
    store = TranscriptStore(tmp_path)
    transcript = _play(store, 4)
    sid = transcript.session_id
    full = store.journal_for(sid).read_bytes()
    store.path_for(sid).unlink()
    first = full.index(b"\n") + 1
    for cut in range(first, len(full) + 1, 3):
        store.journal_for(sid).write_bytes(full[:cut])
        expected, torn = [], False
        for line in full[:cut].split(b"\n"):
            try:
                event = json.loads(line)
            except ValueError:
                torn = torn or bool(line)  # only the last piece can be cut short
                continue
            if event["ev"] == "turn" and event["turn"]["role"] == "candidate":
                expected.append(event["turn"]["text"])
        result = store.read(sid)
        assert _said(result.transcript) == expected
        assert (result.problem is not None and "cut short" in result.problem) == torn


def test_an_append_after_a_torn_line_starts_on_a_new_line(tmp_path):
    path = tmp_path / "x.journal"
    journal.append(path, [{"ev": "meta", "set": {"a": 1}}])
    with path.open("ab") as handle:
        handle.write(b'{"ev": "meta", "se')  # a write cut short
    journal.append(path, [{"ev": "meta", "set": {"b": 2}}])
    read = journal.read(path)
    assert [e["set"] for e in read.events] == [{"a": 1}, {"b": 2}]
    assert read.problems == ["journal line 2 unreadable, skipped"]


def test_a_resumed_session_journals_a_fresh_snapshot(tmp_path):
    store = TranscriptStore(tmp_path)
    transcript = _play(store, 2)
    again = TranscriptStore(tmp_path)  # another process
    resumed = again.load(transcript.session_id)
    resumed.rounds[0].turns.append(Turn(role="candidate", kind="answer", text="after resume"))
    again.save(resumed)
    last = json.loads(again.journal_for(transcript.session_id).read_bytes().splitlines()[-1])
    assert last["ev"] == "snapshot"
    assert _said(TranscriptStore(tmp_path).load(transcript.session_id))[-1] == "after resume"


def test_a_large_session_rewrites_its_json_less_often(tmp_path, monkeypatch):
    from simulator.store import transcripts

    monkeypatch.setattr(transcripts, "JSON_REWRITE_LIMIT", 10)
    store = TranscriptStore(tmp_path)
    transcript = _play(store, 1)
    sid = transcript.session_id
    rewrites = 0
    before = store.path_for(sid).read_bytes()
    for i in range(30):
        transcript.rounds[0].turns.append(Turn(role="candidate", kind="answer", text=f"x{i}"))
        store.save(transcript)
        now = store.path_for(sid).read_bytes()
        rewrites += now != before
        before = now
    assert rewrites <= 6  # against 30 when every save rewrites it
    assert _said(TranscriptStore(tmp_path).load(sid))[-30:] == [f"x{i}" for i in range(30)]


def test_saving_many_rounds_writes_bytes_linear_in_what_is_saved(tmp_path, monkeypatch):
    from simulator.store import transcripts

    written = []
    real = transcripts.write_json_atomic
    monkeypatch.setattr(
        transcripts, "write_json_atomic", lambda t, d: written.append(real(t, d)) or written[-1]
    )
    monkeypatch.setattr(transcripts, "JSON_REWRITE_LIMIT", 4096)
    store = TranscriptStore(tmp_path)
    transcript = _transcript()
    for _ in range(120):  # a round started and answered: each save adds about the same
        transcript.rounds.append(_round())
        transcript.rounds[-1].turns.append(Turn(role="candidate", kind="answer", text="A."))
        store.save(transcript)
    final = store.path_for(transcript.session_id).stat().st_size
    journaled = store.journal_for(transcript.session_id).stat().st_size
    # Rewriting the JSON on every save would write about 60 times the final size here.
    assert sum(written) <= 4 * final + 2 * journaled
    assert len(store.load(transcript.session_id).rounds) == 120


def test_the_engine_resumes_a_round_with_its_clock(tmp_path, catalog):
    from simulator.backends.offline.interviewer import OfflineInterviewer
    from simulator.engine.clock import FakeClock
    from simulator.engine.launch import resume
    from simulator.engine.session import Session

    store = TranscriptStore(tmp_path)
    clock = FakeClock()
    session = Session.practice(
        catalog,
        OfflineInterviewer(),
        store,
        "system-design",
        question_id="url-shortener",
        clock=clock,
    )
    runner = session.runner(0)
    asyncio.run(runner.open())
    clock.advance(300)
    asyncio.run(runner.answer("Shortening, redirects and custom aliases."))
    sid = session.transcript.session_id
    store.path_for(sid).unlink()  # only the journal survives the "crash"

    loaded = TranscriptStore(tmp_path).load(sid)
    again = resume(
        catalog, OfflineInterviewer(), TranscriptStore(tmp_path), loaded, clock=FakeClock(1000)
    )
    resumed = again.runner(again.next_index)
    assert resumed.elapsed == pytest.approx(300, abs=1)
    assert _said(loaded) == ["Shortening, redirects and custom aliases."]


# ------------------------------------------------------------------ SIGKILL, for real

ZYGOTE = r"""
# Loads onsite once, then forks one `onsite` process per request: each run is the real CLI
# in a real process, without paying start-up (imports, catalog, word statistics) every time,
# so the kills land in the session itself, not in its start-up.
import hashlib, json, os, sys

REPORT = os.dup(1)  # the test reads "PID", "SAVED" and "EXIT" lines here


def report(*words):
    os.write(REPORT, (" ".join(map(str, words)) + "\n").encode())  # one atomic write


from simulator.store import transcripts

_save = transcripts.TranscriptStore.save


def save(self, transcript):
    path = _save(self, transcript)
    said = [t.text for r in transcript.rounds for t in r.turns if t.role == "candidate"]
    digest = hashlib.sha1("\x1e".join(said).encode()).hexdigest()
    report("SAVED", os.getpid(), transcript.session_id, len(said), digest)
    return path


transcripts.TranscriptStore.save = save
from simulator.catalog import default_catalog
from simulator.cli import main

default_catalog()
try:  # the offline interviewer's word statistics, built on first use
    from simulator.analysis.text import english_trigrams

    english_trigrams()
except ImportError:
    pass
report("READY")
for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        os.dup2(os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 2)
        os.environ.update(request["env"])
        code = 1
        try:
            code = main(request["args"])
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code or 0)
    report("PID", pid)
    _, status = os.waitpid(pid, 0)
    report("EXIT", pid, status)
"""

ROUNDS = ["system-design", "behavioral", "research", "ml-system-design"]


def _answers(rng: random.Random) -> str:
    words = [
        "shard",
        "cache",
        "replica",
        "queue",
        "index",
        "latency",
        "p99",
        "ledger",
        "retry",
        "idempotent",
    ]
    blocks = []
    for k in range(5):
        text = f"Answer {k}: " + " ".join(rng.choice(words) for _ in range(rng.randint(5, 40)))
        if k == 3:
            text += " <script>alert(1)</script> \x1b[31mred\x1b[0m"
        blocks.append(text)
    return "\n---\n".join(blocks) + "\n"


class Sessions:
    """`onsite practice` processes forked from one warm process, played one at a time."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.proc = subprocess.Popen(
            [sys.executable, "-c", ZYGOTE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=(base / "zygote.err").open("wb"),
            cwd=ROOT,
            env={**os.environ, "NO_COLOR": "1"},
        )
        self.lines: queue.Queue[list[str]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self._expect("READY")

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self.lines.put(raw.decode().split())
        self.lines.put(["GONE"])

    def _expect(self, what: str) -> list[str]:
        try:
            words = self.lines.get(timeout=120)
        except queue.Empty:
            words = ["TIMEOUT"]
        assert words[0] == what, f"{words}: {(self.base / 'zygote.err').read_text()[-2000:]}"
        return words

    def run_and_kill(self, run: int, delay: float | None) -> dict:
        """Play a session; SIGKILL it `delay` seconds after its first save (None: let it
        finish and measure how long it ran after that save)."""
        directory = self.base / f"run{run}"
        directory.mkdir()
        answers = directory / "answers.txt"
        answers.write_text(_answers(random.Random(1000 + run)))
        request = {
            "args": ["practice", ROUNDS[run % len(ROUNDS)], "--answers", str(answers), "--json"],
            "env": {"ONSITE_TRANSCRIPTS_DIR": str(directory / "t")},
            "stderr": str(directory / "stderr"),
        }
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(request) + "\n").encode())
        self.proc.stdin.flush()
        pid = int(self._expect("PID")[1])
        saves: list[list[str]] = []
        words = self.lines.get(timeout=120)
        if words[0] == "SAVED":
            saves.append(words[2:])
            first_save = time.perf_counter()
            if delay is not None:
                time.sleep(delay)
                with contextlib.suppress(ProcessLookupError):  # it ended: "killed" is False
                    os.kill(pid, signal.SIGKILL)
            words = self.lines.get(timeout=120)
            while words[0] == "SAVED":
                saves.append(words[2:])
                words = self.lines.get(timeout=120)
        ran = time.perf_counter() - first_save if saves else 0.0
        assert words[:2] == ["EXIT", str(pid)], words
        assert saves, f"run {run}: the session never saved: {(directory / 'stderr').read_text()}"
        status = int(words[2])
        return {
            "dir": directory / "t",
            "sid": saves[-1][0],
            "count": int(saves[-1][1]),
            "digest": saves[-1][2],
            "killed": os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL,
            "ran": ran,
        }

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(30)


def test_sigkill_at_random_moments_loses_no_submitted_answer(tmp_path):
    rng = random.Random(7)
    sessions = Sessions(tmp_path)
    try:
        span = max(0.05, sessions.run_and_kill(99, None)["ran"])  # a whole session, to aim at
        runs = 12
        # one kill in each twelfth of the session: even cover with few runs
        delays = [span * (i + rng.random()) / runs for i in range(runs)]
        results = [sessions.run_and_kill(i, delays[i]) for i in range(runs)]
    finally:
        sessions.close()
    killed_mid_session = resumed = 0
    for run, r in enumerate(results):
        store = TranscriptStore(r["dir"])
        result = store.read(r["sid"])
        said = _said(result.transcript)
        assert len(said) >= r["count"], (run, result.problem)
        recovered = hashlib.sha1("\x1e".join(said[: r["count"]]).encode()).hexdigest()
        assert recovered == r["digest"], run
        # A kill can tear the journal's last line; nothing else may be wrong.
        assert result.problem is None or "cut short" in result.problem, result.problem
        if not (r["killed"] and result.transcript.status == "in_progress"):
            continue
        killed_mid_session += 1
        assert r["sid"] in [s.session_id for s in store.interrupted()]
        record = result.transcript.rounds[-1] if result.transcript.rounds else None
        if resumed < 2 and record is not None and record.ended_at is None:
            resumed += 1  # continue it where it stopped, through the real CLI
            rest = tmp_path / f"rest{run}.txt"
            rest.write_text("I would add a write-ahead log and replay it on restart.\n")
            done = run_cli(
                "resume",
                r["sid"],
                "--answers",
                str(rest),
                "--json",
                env={"ONSITE_TRANSCRIPTS_DIR": str(r["dir"])},
            )
            assert done.returncode == 0, done.stderr
            final = store.read(r["sid"])
            assert final.problem is None and final.transcript.status == "complete"
            assert _said(final.transcript)[: len(said)] == said
    assert killed_mid_session >= 5, "the kills should land inside sessions"
