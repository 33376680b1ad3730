"""The SQLite index: the same answers as an index built in memory from the files, kept in step, never required."""

from __future__ import annotations

import random
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from simulator.debrief import compose_debrief
from simulator.models import (
    CriterionScore,
    RoundRecord,
    Scorecard,
    Transcript,
    Turn,
    decision_for,
)
from simulator.store.index import INDEX_NAME, Query, parse_decision, parse_search, parse_since
from simulator.store.transcripts import TranscriptStore

KINDS = ["system-design", "research", "behavioral", "ml-system-design"]
WORDS = [
    "shard",
    "cache",
    "replica",
    "queue",
    "latency",
    "ledger",
    "retry",
    "idempotent",
    "dropout",
    "attention",
    "normalization",
    "gradient",
    "conflict",
    "ownership",
    "deadline",
    "résumé",
]
CRITERIA = {
    "system-design": [("estimation", "Capacity estimation"), ("tradeoffs", "Trade-offs")],
    "research": [("depth", "Technical depth"), ("clarity", "Clarity")],
    "behavioral": [("star", "STAR structure"), ("ownership", "Ownership")],
    "ml-system-design": [("framing", "Problem framing"), ("evaluation", "Evaluation")],
}


def synthetic(i: int, rng: random.Random, start: datetime) -> Transcript:
    loop = i % 7 == 0
    kinds = rng.sample(KINDS, 3) if loop else [rng.choice(KINDS)]
    created = start + timedelta(hours=7 * i)
    rounds = []
    for kind in kinds:
        scores = [CriterionScore(id=c, name=n, score=rng.randint(1, 4)) for c, n in CRITERIA[kind]]
        overall = sum(s.score for s in scores) / len(scores)
        graded = rng.random() > 0.1
        turns = []
        for k in range(rng.randint(2, 6)):
            turns.append(Turn(role="interviewer", kind="probe", text=f"What about {WORDS[k]}?"))
            said = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 20)))
            turns.append(Turn(role="candidate", kind="answer", text=f"I would {said}."))
        rounds.append(
            RoundRecord(
                round=kind,
                question_id=f"{kind}/q{rng.randint(1, 5)}",
                question_title=f"{kind} question",
                question_prompt="...",
                minutes=45,
                started_at=created,
                turns=turns,
                scorecard=Scorecard(
                    round=kind,
                    question_id=None,
                    grader="offline",
                    overall=overall,
                    decision=decision_for(overall),
                    criteria=scores,
                )
                if graded
                else None,
            )
        )
    debrief = None
    status = "complete" if all(r.scorecard for r in rounds) else "in_progress"
    if loop and status == "complete":
        debrief = compose_debrief(None, rounds)
    return Transcript(
        session_id=f"{created:%Y%m%d-%H%M%S}-s{i:05d}",
        kind="loop" if loop else "practice",
        loop_id="meta-ml-engineer" if loop else None,
        loop_name="Meta MLE" if loop else None,
        created_at=created,
        status=status,
        rounds=rounds,
        debrief=debrief,
    )


@pytest.fixture(scope="module")
def sessions_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("sessions")
    rng = random.Random(3)
    store = TranscriptStore(root, index=False)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(120):
        store.save(synthetic(i, rng, start))
    return root


@pytest.fixture
def populated(sessions_dir, tmp_path):
    shutil.copytree(sessions_dir, tmp_path / "t")
    return TranscriptStore(tmp_path / "t")


QUERIES = [
    Query(),
    Query(round="research"),
    Query(decision=("lean_hire",)),
    Query(round="behavioral", decision=parse_decision("no-hire")),
    Query(since=datetime(2026, 1, 10, tzinfo=UTC)),
    Query(since=datetime(2026, 1, 5, tzinfo=UTC), until=datetime(2026, 1, 20, tzinfo=UTC)),
    Query(status="in_progress"),
]


def _key(summary):
    return (
        summary.session_id,
        summary.status,
        summary.overall,
        summary.decision,
        tuple(summary.rounds),
        tuple(summary.round_scores),
    )


@pytest.mark.parametrize("query", QUERIES)
def test_the_index_lists_what_a_scan_lists(populated, query):
    indexed = TranscriptStore(populated.root).summaries(query)
    scanned = TranscriptStore(populated.root, index=False).summaries(query)
    assert [_key(s) for s in indexed] == [_key(s) for s in scanned]
    assert indexed and (populated.root / INDEX_NAME).exists()
    assert not (populated.root / INDEX_NAME).with_suffix(".sqlite3-journal").exists()


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("shard", Query()),
        ("shard cache", Query()),
        ('"would retry"', Query()),
        ("idem*", Query(round="system-design")),
        ("RESUME", Query()),  # case and diacritics fold: résumé
        ("latency", Query(decision=("strong_hire",), since=datetime(2026, 1, 15, tzinfo=UTC))),
        ("nothing-like-this", Query()),
    ],
)
def test_index_search_finds_what_a_scan_finds(populated, text, query):
    indexed = TranscriptStore(populated.root).search(text, query, limit=10_000)
    scanned = TranscriptStore(populated.root, index=False).search(text, query, limit=10_000)

    def key(h):
        return (h.session_id, h.round_index, h.turn_index, h.role, h.round)

    assert [key(h) for h in indexed] == [key(h) for h in scanned]
    if text != "nothing-like-this":
        assert indexed
        assert all("«" in h.snippet for h in indexed)


@pytest.mark.parametrize(
    "query", [Query(), Query(round="research"), Query(since=datetime(2026, 1, 20, tzinfo=UTC))]
)
def test_index_stats_match_a_scan(populated, query):
    indexed = TranscriptStore(populated.root).stats(query)
    scanned = TranscriptStore(populated.root, index=False).stats(query)
    assert indexed.rows() == scanned.rows()
    assert set(indexed.rounds) <= set(KINDS) and indexed.rounds
    text = indexed.text()
    assert "system-design" in text or query.round == "research"


def test_reindex_rebuilds_the_same_index(populated):
    before = TranscriptStore(populated.root).summaries()
    report = populated.reindex()
    assert report.sessions == 120 and report.unreadable == 0 and report.problems == []
    assert [_key(s) for s in populated.summaries()] == [_key(s) for s in before]


def test_the_index_follows_changes_to_the_files(populated):
    store = TranscriptStore(populated.root)
    listed = store.summaries()
    gone, changed = listed[0], listed[1]
    gone.path.unlink()
    store.journal_for(gone.session_id).unlink(missing_ok=True)  # an in-progress one has both
    transcript = store.load(changed.session_id)
    transcript.rounds[0].turns.append(
        Turn(role="candidate", kind="answer", text="zeppelin deployment")
    )
    TranscriptStore(populated.root, index=False).save(transcript)  # behind the index's back
    again = store.summaries()
    assert gone.session_id not in [s.session_id for s in again]
    assert [h.session_id for h in store.search("zeppelin")] == [changed.session_id]
    assert len(again) == len(listed) - 1


def test_a_locked_or_damaged_index_falls_back_to_the_files(populated):
    store = TranscriptStore(populated.root)
    expected = [_key(s) for s in store.summaries()]
    blocker = sqlite3.connect(populated.root / INDEX_NAME)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        locked = TranscriptStore(populated.root)
        locked.index.timeout = 0.05
        assert [_key(s) for s in locked.summaries()] == expected
        assert locked.problems and "index not used" in locked.problems[0]
    finally:
        blocker.rollback()
        blocker.close()
    (populated.root / INDEX_NAME).write_bytes(b"this is not a database" * 100)
    damaged = TranscriptStore(populated.root)
    assert [_key(s) for s in damaged.summaries()] == expected
    assert damaged.reindex().sessions == 120
    assert [_key(s) for s in damaged.summaries()] == expected and damaged.problems == []


def test_query_parsing():
    assert parse_decision("Lean hire") == ("lean_hire",)
    assert parse_decision("hire") == ("lean_hire", "strong_hire")
    with pytest.raises(ValueError, match="unknown decision"):
        parse_decision("maybe")
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    assert parse_since("7d", now) == now - timedelta(days=7)
    assert parse_since("2026-03-01") == datetime(2026, 3, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="not a date"):
        parse_since("last tuesday")
    with pytest.raises(ValueError, match="unknown round kind"):
        Query(round="cooking")
    assert [p.tokens for p in parse_search('"write ahead" log*')] == [("write", "ahead"), ("log",)]
    assert parse_search("  ") == [] and parse_search('"') == []


def test_the_quick_in_step_check_sees_renames_and_journal_appends(populated, monkeypatch):
    import time

    from simulator.store import index, transcripts

    monkeypatch.setattr(index, "RACY_NS", 0)  # the directory's mtime tick is a few ms here
    monkeypatch.setattr(transcripts, "JSON_REWRITE_LIMIT", 0)  # journal-only saves
    store = TranscriptStore(populated.root)
    store.summaries()
    scans = []
    real = TranscriptStore.signatures
    monkeypatch.setattr(TranscriptStore, "signatures", lambda self: scans.append(1) or real(self))
    time.sleep(0.05)
    assert store.index.sync(store) == (0, 0) and scans == []  # nothing changed: no scan

    pending = store.summaries(status="in_progress")[0]
    transcript = store.load(pending.session_id)
    writer = TranscriptStore(populated.root, index=False)
    writer.save(transcript)  # a snapshot in the journal and a JSON (a rename)
    time.sleep(0.05)
    transcript.rounds[0].turns.append(Turn(role="candidate", kind="answer", text="zeppelin"))
    writer.save(transcript)  # the journal only: the directory does not change
    assert [h.session_id for h in store.search("zeppelin")] == [pending.session_id]
