"""How well the offline grader agrees with an expert on graded answers.

    python benchmarks/grader_agreement.py [FILE] [--details]

FILE defaults to ../shared/calibration/grading_dev.jsonl (fields: id, round, question_id,
question, answer, gold 1-4, kind genuine|adversarial). Prints the Spearman correlation of the
overall score with gold on genuine answers, accuracy on length-inverted pairs, exact and
within-one agreement of the rounded overall, and the adversarial answers scoring above 1.5.
Targets: Spearman >= 0.8, within-one >= 90 %, no adversarial answer above 1.5.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.analysis.similarity import most_similar  # noqa: E402
from simulator.backends.offline.grader import grade_text  # noqa: E402
from simulator.catalog import load_catalog  # noqa: E402

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", default=str(DEFAULT))
    parser.add_argument("--details", action="store_true", help="one line per answer")
    args = parser.parse_args()
    path = Path(args.file)
    if not path.is_file():
        print(f"error: no calibration file at {path}", file=sys.stderr)
        return 2
    rows = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    catalog = load_catalog()
    started = time.perf_counter()
    results = []
    for row in rows:
        rubric = catalog.rubric(row["round"])
        question = catalog.questions.get(row.get("question_id") or "")
        if question is None:
            question, _ = most_similar(row["question"], catalog.questions_for(row["round"]))
        card = grade_text(catalog, rubric, row["answer"], question, row["question"])
        results.append((row, card))
        if args.details:
            scores = " ".join(f"{c.id[:6]}={c.score}" for c in card.criteria)
            print(
                f"{row['id']:<32} gold={row['gold']} got={card.overall:.2f} "
                f"q={question.id if question else '-':<40} {','.join(card.flags)} | {scores}"
            )
    elapsed = time.perf_counter() - started

    genuine = [(r, c) for r, c in results if r["kind"] == "genuine"]
    gold = [r["gold"] for r, _ in genuine]
    got = [c.overall for _, c in genuine]
    rho = spearman(got, gold)
    rounded = [min(4, max(1, int(o + 0.5))) for o in got]
    exact = sum(a == b for a, b in zip(rounded, gold, strict=True)) / len(gold)
    within = sum(abs(a - b) <= 1 for a, b in zip(rounded, gold, strict=True)) / len(gold)

    pairs = right = 0.0
    by_question: dict[str, list] = {}
    for r, c in genuine:
        by_question.setdefault(r["question"], []).append((r, c))
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

    adversarial = [(r, c) for r, c in results if r["kind"] == "adversarial"]
    failing = [(r["id"], c.overall) for r, c in adversarial if c.overall > 1.5]
    print(
        f"answers: {len(results)} ({len(genuine)} genuine, {len(adversarial)} adversarial) "
        f"graded in {elapsed:.2f} s"
    )
    print(f"spearman (overall vs gold, genuine): {rho:.3f}   target >= 0.8")
    if pairs:
        print(f"length-inverted pairs right: {right / pairs:.1%} of {int(pairs)}")
    print(f"exact agreement: {exact:.1%}   within one: {within:.1%}   target within-one >= 90%")
    print(
        f"adversarial above 1.5: {len(failing)} of {len(adversarial)}"
        + (": " + ", ".join(f"{i} ({o:.2f})" for i, o in failing) if failing else "")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
