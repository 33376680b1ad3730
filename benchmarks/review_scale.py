"""Review at scale: listing, search and stats through the SQLite index, and its fallback.

    .venv/bin/python benchmarks/review_scale.py [--sessions 10000] [--dir DIR] [--json]

Creates N synthetic sessions (practice rounds and loops, graded and in progress, with
realistic turns) in a temporary transcripts directory, then times:

- reindex: rebuilding the index from the files, from scratch;
- list / search / stats through the index (each call first checks the index is in step
  with the files: a directory scan with one stat per file, included in the figure);
- the same answers when the index file cannot be used: every JSON file read into an index in
  memory and asked the same SQL (the fallback path);
- catching up after one session changed on disk.

Targets: list and search through the index under 100 ms at 10,000 sessions.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator.debrief import compose_debrief
from simulator.models import (
    CriterionScore,
    RoundRecord,
    Scorecard,
    Transcript,
    Turn,
    decision_for,
)
from simulator.store.index import INDEX_NAME, Query
from simulator.store.transcripts import TranscriptStore

KINDS = {
    "system-design": ["requirements", "estimation", "architecture", "scaling", "tradeoffs"],
    "ml-system-design": ["framing", "data", "features", "modeling", "evaluation", "deployment"],
    "research": ["fundamentals", "depth", "intuition", "experiments"],
    "behavioral": ["star", "ownership", "collaboration", "impact"],
    "swe-coding": ["correctness", "complexity", "communication"],
}
SENTENCES = [
    "we would shard the table by user id and keep a write ahead log so a crash loses nothing",
    "the cache sits in front of the database with a ttl and we invalidate on write",
    "for evaluation I would hold out the last week and compare ndcg and calibration",
    "dropout regularizes by averaging an ensemble of thinned networks at test time",
    "attention weighs values by the softmax of query key dot products scaled by root d",
    "I led the migration and owned the rollback plan when latency regressed at p99",
    "the tradeoff is consistency against availability under a network partition",
]
VOCAB = [word for sentence in SENTENCES for word in sentence.split()]


def synthetic(i: int, rng: random.Random, start: datetime) -> Transcript:
    loop = rng.random() < 0.15
    kinds = rng.sample(list(KINDS), 4) if loop else [rng.choice(list(KINDS))]
    created = start + timedelta(minutes=53 * i)
    in_progress = rng.random() < 0.03
    rounds = []
    for n, kind in enumerate(kinds):
        turns = []
        for k in range(rng.randint(3, 7)):
            question = " ".join(rng.choice(VOCAB) for _ in range(rng.randint(8, 25)))
            answer = " ".join(rng.choice(VOCAB) for _ in range(rng.randint(30, 120)))
            turns.append(
                Turn(
                    role="interviewer",
                    kind="probe",
                    text=question + "?",
                    at=created,
                    elapsed=60.0 * k,
                )
            )
            turns.append(
                Turn(
                    role="candidate",
                    kind="answer",
                    text=answer + ".",
                    at=created,
                    elapsed=60.0 * k + 30,
                )
            )
        graded = not (in_progress and n == len(kinds) - 1)
        card = None
        if graded:
            skill = 1.6 + 2.2 * i / 10_000 + rng.uniform(-0.8, 0.8)  # slowly improving
            scores = [
                CriterionScore(id=c, name=c.capitalize(), score=max(1, min(4, round(skill))))
                for c in KINDS[kind]
            ]
            overall = statistics.fmean(s.score for s in scores)
            card = Scorecard(
                round=kind,
                question_id=f"{kind}/q{rng.randint(1, 12)}",
                grader="offline",
                overall=overall,
                decision=decision_for(overall),
                criteria=scores,
            )
        rounds.append(
            RoundRecord(
                round=kind,
                question_id=f"{kind}/q{rng.randint(1, 12)}",
                question_title=f"A {kind} question",
                question_prompt="...",
                minutes=45,
                started_at=created,
                ended_at=created,
                turns=turns,
                scorecard=card,
            )
        )
    debrief = None
    if loop and not in_progress:
        debrief = compose_debrief(None, rounds)
    return Transcript(
        session_id=f"{created:%Y%m%d-%H%M%S}-{'loop' if loop else kinds[0]}-{i:05x}",
        kind="loop" if loop else "practice",
        loop_id="meta-ml-engineer" if loop else None,
        loop_name="Meta MLE" if loop else None,
        created_at=created,
        updated_at=created,
        status="in_progress" if in_progress else "complete",
        rounds=rounds,
        debrief=debrief,
    )


def create(root: Path, count: int) -> float:
    """Write the files directly (no fsync per file: this is setup, not what is measured)."""
    rng = random.Random(42)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    size = 0
    root.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        transcript = synthetic(i, rng, start)
        data = transcript.model_dump_json(indent=2)
        (root / f"{transcript.session_id}.json").write_text(data, encoding="utf-8")
        size += len(data)
    return size / 1e6


def timeit(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--dir", type=Path, help="where to create them (default: a temp dir)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scan-repeat", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    base = args.dir or Path(tempfile.mkdtemp(prefix="onsite-bench-"))
    root = base / "transcripts"
    if root.exists():
        shutil.rmtree(root)
    started = time.perf_counter()
    megabytes = create(root, args.sessions)
    created = time.perf_counter() - started

    indexed = TranscriptStore(root)
    scanning = TranscriptStore(root, index=False)
    figures: dict[str, float] = {}
    notes: dict[str, object] = {}

    report = indexed.reindex()
    figures["reindex"] = report.seconds
    notes["index_mb"] = round((root / INDEX_NAME).stat().st_size / 1e6, 1)

    searches = {
        "rare word": ("rollback", Query()),
        "common word": ("cache", Query()),
        "phrase": ('"write ahead log"', Query()),
        "prefix + filters": (
            "calibrat*",
            Query(
                round="ml-system-design",
                since=datetime(2026, 3, 1, tzinfo=UTC),
                decision=("lean_hire", "strong_hire"),
            ),
        ),
    }
    r = args.repeat
    figures["list newest 100 (index)"], _ = timeit(lambda: indexed.summaries(limit=100), r)
    figures["list all (index)"], listed = timeit(indexed.summaries, r)
    figures["list filtered (index)"], filtered = timeit(
        lambda: indexed.summaries(
            round="research", decision="hire", since=datetime(2026, 2, 1, tzinfo=UTC)
        ),
        r,
    )
    for label, (text, query) in searches.items():
        figures[f"search {label} (index)"], hits = timeit(
            lambda text=text, query=query: indexed.search(text, query), r
        )
        notes[f"hits: {label}"] = len(hits)
    figures["stats (index)"], progress = timeit(indexed.stats, r)
    figures["stats one round kind (index)"], _ = timeit(lambda: indexed.stats(round="research"), r)
    figures["count (index)"], _ = timeit(indexed.count, r)

    sample = listed[len(listed) // 2]
    transcript = indexed.load(sample.session_id)
    transcript.rounds[0].turns.append(Turn(role="candidate", kind="answer", text="zeppelin"))
    TranscriptStore(root, index=False).save(transcript)  # changed behind the index's back
    started = time.perf_counter()
    found = indexed.search("zeppelin")
    figures["search right after a file changed (full sync)"] = time.perf_counter() - started
    assert [h.session_id for h in found] == [sample.session_id]

    sr = args.scan_repeat
    figures["list (fallback: in-memory index)"], scanned = timeit(scanning.summaries, sr)
    figures["search rare word (fallback)"], _ = timeit(lambda: scanning.search("rollback"), sr)
    figures["stats (fallback)"], _ = timeit(scanning.stats, sr)
    assert [s.session_id for s in scanned] == [s.session_id for s in indexed.summaries()]

    out = {
        "sessions": args.sessions,
        "data_mb": round(megabytes, 1),
        "create_seconds": round(created, 1),
        "indexed": report.sessions,
        "listed": len(listed),
        "filtered": len(filtered),
        "stats_series": len(progress.rows()),
        **notes,
        "ms": {k: round(v * 1000, 1) for k, v in figures.items()},
        "cpus": os.cpu_count(),
        "load": os.getloadavg()[0],
    }
    targets = {
        k: v for k, v in out["ms"].items() if k.startswith(("list", "search")) and "(index)" in k
    }
    out["targets_met"] = all(v < 100 for v in targets.values())
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(
            f"{args.sessions} sessions, {out['data_mb']} MB of JSON, index "
            f"{out['index_mb']} MB (created in {created:.1f} s)"
        )
        for name, ms in out["ms"].items():
            mark = ""
            if name in targets:
                mark = "  ok" if ms < 100 else "  OVER 100 ms"
            print(f"  {name:<52} {ms:>10.1f} ms{mark}")
        for key, value in notes.items():
            if key.startswith("hits"):
                print(f"  {key:<52} {value:>10}")
        print(f"  load average {out['load']:.2f} on {out['cpus']} CPUs")
    if not args.dir:
        shutil.rmtree(base)
    return 0 if out["targets_met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
