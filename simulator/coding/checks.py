"""Consistency checks of coding problems: run by `onsite check-problems` and by the tests.

For each question with a `coding` spec:
- the reference solution passes every example and every hidden test;
- the starter code fails at least one hidden test (a stub, a wrong or too slow solution),
  cleanly: not with a syntax error, a crash or an output flood;
- running the hidden tests twice gives the same outcomes (the tests are deterministic).
"""

from __future__ import annotations

from simulator.coding.runner import RunReport, run_tests
from simulator.models import Question


def _fingerprint(report: RunReport) -> list[tuple[bool, str | None, str | None]]:
    return [(o.passed, o.got, o.error) for o in report.outcomes]


def _failures(report: RunReport, what: str) -> list[str]:
    problems = [f"{what}: {report.verdict}: {report.message}"]
    for outcome in report.outcomes:
        if not outcome.passed and outcome.note != "not run":
            detail = outcome.error or f"expected {outcome.expected}, got {outcome.got}"
            problems.append(f"{what}: test {outcome.index + 1} `{outcome.call}`: {detail}")
    return problems[:6]


def check_problem(question: Question) -> list[str]:
    """Problems found in one coding question (an empty list: the problem is sound)."""
    spec = question.coding
    if spec is None:
        return ["no coding spec"]
    problems: list[str] = []
    examples = run_tests(spec.reference, spec, "examples")
    if examples.verdict != "passed":
        problems += _failures(examples, "reference on the examples")
    tests = run_tests(spec.reference, spec, "tests")
    if tests.verdict != "passed":
        problems += _failures(tests, "reference on the tests")
    again = run_tests(spec.reference, spec, "tests")
    if _fingerprint(again) != _fingerprint(tests):
        changed = [
            i + 1
            for i, (a, b) in enumerate(zip(_fingerprint(tests), _fingerprint(again), strict=False))
            if a != b
        ]
        problems.append(
            f"the tests are not deterministic: outcomes of tests {changed} changed "
            "between two runs of the reference"
        )
    starter = run_tests(spec.starter, spec, "tests")
    if starter.verdict == "passed":
        problems.append("the starter code passes every hidden test")
    elif starter.verdict in ("syntax_error", "crashed", "output_limit"):
        # (a timeout is fine: a brute-force starter that is too slow does fail the tests)
        problems.append(
            f"the starter code should fail cleanly, not with {starter.verdict}: {starter.message}"
        )
    if starter.verdict != "timeout":  # where a slow starter stops depends on the machine
        starter_again = run_tests(spec.starter, spec, "tests")
        if _fingerprint(starter_again) != _fingerprint(starter):
            problems.append("the tests are not deterministic on the starter code")
    if spec.entry not in spec.signature:
        problems.append(f"the signature does not name the entry `{spec.entry}`")
    if spec.entry not in spec.starter:
        problems.append(f"the starter does not define `{spec.entry}`")
    return problems


def check_all(catalog, round_kind: str | None = None) -> dict[str, list[str]]:
    """question id -> problems, for every coding question (of one round kind if given)."""
    results: dict[str, list[str]] = {}
    for question in catalog.questions.values():
        if question.coding is None or (round_kind and question.round != round_kind):
            continue
        results[question.id] = check_problem(question)
    return results


if __name__ == "__main__":  # python -m simulator.coding.checks [ROUND] [ROOT]
    import sys
    from pathlib import Path

    from simulator.catalog import CatalogError, load_catalog

    try:
        found = load_catalog(Path(sys.argv[2]) if len(sys.argv) > 2 else None)
    except CatalogError as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    report = check_all(found, sys.argv[1] if len(sys.argv) > 1 else None)
    bad = 0
    for question_id, problems in sorted(report.items()):
        print(f"{'ok  ' if not problems else 'FAIL'} {question_id}")
        for problem in problems:
            print(f"       {problem}")
        bad += bool(problems)
    print(f"{len(report)} problems checked, {bad} with problems")
    raise SystemExit(1 if bad else 0)
