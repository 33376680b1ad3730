"""How well the offline grader agrees with an expert, and how hard it is to game.

    python benchmarks/grader_agreement.py [FILE] [--paraphrases FILE] [--details] [--code DIR]

FILE defaults to ../shared/calibration/grading_dev.jsonl (fields: id, round, question_id,
question, answer, gold 1-4, kind genuine|adversarial). Prints the Spearman correlation of the
overall score with gold on genuine answers, accuracy on length-inverted pairs, exact and
within-one agreement of the rounded overall, and the adversarial answers scoring above 1.5.
Targets: Spearman >= 0.85, length-inverted pairs >= 80 %, no adversarial answer above 1.5.

A held-out file (benchmarks/data/heldout/answers.jsonl, written blind to the grader's signals)
has kinds strong, terse-strong, fluent-wrong, vague, story-*, topic-injection and game-*; for it
the script also prints the share of gaming attempts above 2.5 (target <= 10 %), the
fluent-but-wrong mean (<= 1.75), the strong mean (>= 3.3), the terse-strong mean, the story
means and whether an answer discussing prompt injection was flagged.

--paraphrases FILE (question_id, key_point_id, sentence, credit true/false): the share of
credit=true sentences that earn their key point (target >= 90 %) and of credit=false ones that
wrongly do.

--semantic adds the wordllama paraphrase signal (off by default in the grader).

--code DIR grades with the simulator package found in DIR (for before/after figures).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = (
    next(
        (
            p
            for p in (ROOT.parent / "shared", ROOT.parents[1] / "shared")
            if (p / "calibration" / "grading_dev.jsonl").is_file()
        ),
        ROOT.parent / "shared",
    )
    / "calibration"
    / "grading_dev.jsonl"
)
HONEST_KINDS = ("strong", "terse-strong", "fluent-wrong", "vague")
STORY_KINDS = ("story-specific", "story-generic", "story-we")


def ranks(values: list[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    out = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            out[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return out


def spearman(x: list[float], y: list[float]) -> float:
    rx, ry = ranks(x), ranks(y)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    vx = sum((a - mx) ** 2 for a in rx) ** 0.5
    vy = sum((b - my) ** 2 for b in ry) ** 0.5
    return cov / (vx * vy) if vx and vy else 0.0


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def length_inverted(genuine: list[tuple[dict, object]]) -> tuple[float, float]:
    """Pairs of answers to one question where the better one is shorter: (right, pairs)."""
    pairs = right = 0.0
    by_question: dict[str, list] = defaultdict(list)
    for r, c in genuine:
        by_question[r.get("question") or r.get("question_id") or ""].append((r, c))
    for items in by_question.values():
        for (ra, ca), (rb, cb) in combinations(items, 2):
            if ra["gold"] == rb["gold"]:
                continue
            better, worse = (
                ((ra, ca), (rb, cb)) if ra["gold"] > rb["gold"] else ((rb, cb), (ra, ca))
            )
            if len(better[0]["answer"].split()) >= len(worse[0]["answer"].split()):
                continue
            pairs += 1
            if better[1].overall > worse[1].overall:
                right += 1
            elif better[1].overall == worse[1].overall:
                right += 0.5
    return right, pairs


def report_agreement(genuine: list[tuple[dict, object]], label: str) -> None:
    if len(genuine) < 2:
        return
    gold = [r["gold"] for r, _ in genuine]
    got = [c.overall for _, c in genuine]
    rounded = [min(4, max(1, int(o + 0.5))) for o in got]
    exact = sum(a == b for a, b in zip(rounded, gold, strict=True)) / len(gold)
    within = sum(abs(a - b) <= 1 for a, b in zip(rounded, gold, strict=True)) / len(gold)
    print(f"spearman (overall vs gold, {label}): {spearman(got, gold):.3f}   target >= 0.85")
    right, pairs = length_inverted(genuine)
    if pairs:
        print(f"length-inverted pairs right: {right / pairs:.1%} of {int(pairs)}   target >= 80%")
    print(f"exact agreement: {exact:.1%}   within one: {within:.1%}")


def report_heldout(results: list[tuple[dict, object]]) -> None:
    by_kind: dict[str, list[float]] = defaultdict(list)
    for r, c in results:
        by_kind[r["kind"]].append(c.overall)
    gaming = [(r, c) for r, c in results if r["kind"].startswith("game-")]
    above = [(r, c) for r, c in gaming if c.overall > 2.5]
    if gaming:
        print(
            f"gaming attempts above 2.5: {len(above)} of {len(gaming)} "
            f"({len(above) / len(gaming):.1%})   target <= 10%"
            + (": " + ", ".join(f"{r['id']} ({c.overall:.2f})" for r, c in above) if above else "")
        )
    targets = {"fluent-wrong": "<= 1.75", "strong": ">= 3.3"}
    for kind in (*HONEST_KINDS, *STORY_KINDS):
        if by_kind.get(kind):
            target = f"   target {targets[kind]}" if kind in targets else ""
            print(f"{kind} mean: {mean(by_kind[kind]):.2f} (n={len(by_kind[kind])}){target}")
    for kind in sorted(k for k in by_kind if k.startswith("game-")):
        print(f"  {kind} mean: {mean(by_kind[kind]):.2f} (n={len(by_kind[kind])})")
    topic = [(r, c) for r, c in results if r["kind"] == "topic-injection"]
    if topic:
        flagged = [r["id"] for r, c in topic if "injection_attempt" in c.flags]
        print(f"topic-injection answers flagged as injection: {len(flagged)} of {len(topic)}")
    injected = [(r, c) for r, c in results if r["kind"] == "game-injection"]
    if injected:
        flagged = sum("injection_attempt" in c.flags for _, c in injected)
        print(f"game-injection answers flagged: {flagged} of {len(injected)}")


def report_paraphrases(path: Path, catalog, analyze, semantic: bool = False) -> None:
    rows = read_jsonl(path)
    hits: dict[bool, list[bool]] = {True: [], False: []}
    misses = []
    for row in rows:
        question = catalog.questions.get(row["question_id"])
        if question is None:
            continue
        rubric = catalog.rubric(question.round)
        extra = {"semantic_signal": True} if semantic else {}
        analysis = analyze(row["sentence"], rubric, question, **extra)
        credited = row["key_point_id"] in analysis.covered
        hits[bool(row["credit"])].append(credited)
        if bool(row["credit"]) != credited:
            misses.append(row)
    if hits[True]:
        recall = sum(hits[True]) / len(hits[True])
        print(
            f"paraphrase recall (credit=true earns its key point): {recall:.1%} "
            f"of {len(hits[True])}   target >= 90%"
        )
    if hits[False]:
        false_credit = sum(hits[False]) / len(hits[False])
        print(f"false credit (credit=false earns it): {false_credit:.1%} of {len(hits[False])}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", default=str(DEFAULT))
    parser.add_argument("--paraphrases", help="a paraphrase set (question_id, key_point_id, ...)")
    parser.add_argument("--details", action="store_true", help="one line per answer")
    parser.add_argument(
        "--semantic", action="store_true", help="add the wordllama paraphrase signal"
    )
    parser.add_argument("--code", default=str(ROOT), help="folder holding the simulator package")
    args = parser.parse_args()
    path = Path(args.file)
    if not path.is_file():
        print(f"error: no calibration file at {path}", file=sys.stderr)
        return 2
    sys.path.insert(0, str(Path(args.code).resolve()))
    from simulator.analysis.evidence import analyze
    from simulator.analysis.similarity import most_similar
    from simulator.backends.offline.grader import grade_text
    from simulator.catalog import load_catalog

    rows = read_jsonl(path)
    catalog = load_catalog()
    started = time.perf_counter()
    results = []
    for row in rows:
        rubric = catalog.rubric(row["round"])
        question = catalog.questions.get(row.get("question_id") or "")
        asked = row.get("question") or (f"{question.title}. {question.prompt}" if question else "")
        if question is None:
            question, _ = most_similar(asked, catalog.questions_for(row["round"]))
        extra = {"semantic_signal": True} if args.semantic else {}
        card = grade_text(catalog, rubric, row["answer"], question, asked, **extra)
        results.append((row, card))
        if args.details:
            scores = " ".join(f"{c.id[:6]}={c.score}" for c in card.criteria)
            print(
                f"{row['id']:<40} {row['kind']:<15} gold={row['gold']} got={card.overall:.2f} "
                f"{','.join(card.flags)} | {scores}"
            )
    elapsed = time.perf_counter() - started

    kinds = {r["kind"] for r in rows}
    print(f"answers: {len(results)} from {path.name}, graded in {elapsed:.2f} s")
    if "genuine" in kinds:
        genuine = [(r, c) for r, c in results if r["kind"] == "genuine"]
        report_agreement(genuine, "genuine")
        adversarial = [(r, c) for r, c in results if r["kind"] == "adversarial"]
        failing = [(r["id"], c.overall) for r, c in adversarial if c.overall > 1.5]
        print(
            f"adversarial above 1.5: {len(failing)} of {len(adversarial)}"
            + (": " + ", ".join(f"{i} ({o:.2f})" for i, o in failing) if failing else "")
        )
    else:
        honest = [(r, c) for r, c in results if r["kind"] in (*HONEST_KINDS, *STORY_KINDS)]
        report_agreement(honest, "honest kinds")
        report_heldout(results)
    if args.paraphrases:
        report_paraphrases(Path(args.paraphrases), catalog, analyze, args.semantic)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
