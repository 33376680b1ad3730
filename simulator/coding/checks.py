"""Consistency checks of coding problems: run by `onsite check-problems` and by the tests.

For each question with a `coding` spec:
- the reference solution passes every example and every hidden test;
- the starter code fails at least one hidden test (a stub, a wrong or too slow solution),
  cleanly: not with a syntax error, a crash or an output flood;
- running the hidden tests twice gives the same outcomes (the tests are deterministic), the
  complexity tests under their limit derived from the reference's measured time included;
- every listed wrong solution fails at least one hidden test (mutation testing of the tests).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from simulator.coding.hidden import (
    complexity_limits,
    reference_seconds,
    run_hidden,
    split_tests,
)
from simulator.coding.runner import RunReport, run_tests
from simulator.models import Question


@dataclass
class ProblemCheck:
    question_id: str
    problems: list[str] = field(default_factory=list)
    wrong: int = 0
    caught: int = 0
    reference_seconds: float | None = None
    """Median time of the reference on the complexity tests."""
    limit: float | None = None
    """The complexity tests' wall limit derived from it."""
    seconds: float = 0.0
    has_complexity: bool = False

    def line(self) -> str:
        mark = "ok  " if not self.problems else "FAIL"
        timing = (
            f"complexity: reference {self.reference_seconds:.2f}s, limit {self.limit:.2f}s"
            if self.reference_seconds is not None
            else "complexity tests: reference fails them"
            if self.has_complexity
            else "no complexity tests"
        )
        return (
            f"{mark} {self.question_id:50} wrong solutions caught {self.caught}/{self.wrong}; "
            f"{timing}; checked in {self.seconds:.1f}s"
        )


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
    return check_problem_full(question).problems


def check_problem_full(question: Question) -> ProblemCheck:
    """Check one coding question: its problems, and how its wrong solutions fared."""
    started = time.monotonic()
    result = ProblemCheck(question.id)
    result.problems = _problems(question, result)
    result.seconds = time.monotonic() - started
    return result


def _problems(question: Question, result: ProblemCheck) -> list[str]:
    spec = question.coding
    if spec is None:
        return ["no coding spec"]
    problems: list[str] = []
    result.has_complexity = bool(split_tests(spec)[1])
    result.reference_seconds = reference_seconds(spec)
    limits = complexity_limits(spec)
    if result.reference_seconds is not None:
        result.limit = limits.wall_seconds
    examples = run_tests(spec.reference, spec, "examples")
    if examples.verdict != "passed":
        problems += _failures(examples, "reference on the examples")
    tests = run_hidden(spec.reference, spec, limits=limits)
    if tests.verdict != "passed":
        problems += _failures(tests, "reference on the tests")
    again = run_hidden(spec.reference, spec, limits=limits)
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
    starter = run_hidden(spec.starter, spec, limits=limits)
    if starter.verdict == "passed":
        problems.append("the starter code passes every hidden test")
    elif starter.verdict in ("syntax_error", "crashed", "output_limit"):
        # (a timeout is fine: a brute-force starter that is too slow does fail the tests)
        problems.append(
            f"the starter code should fail cleanly, not with {starter.verdict}: {starter.message}"
        )
    if starter.verdict != "timeout":  # where a slow starter stops depends on the machine
        starter_again = run_hidden(spec.starter, spec, limits=limits)
        if _fingerprint(starter_again) != _fingerprint(starter):
            problems.append("the tests are not deterministic on the starter code")
    problems += _check_wrong_solutions(question, limits, result)
    if spec.entry not in spec.signature:
        problems.append(f"the signature does not name the entry `{spec.entry}`")
    if spec.entry not in spec.starter:
        problems.append(f"the starter does not define `{spec.entry}`")
    return problems


def _check_wrong_solutions(question: Question, limits, result: ProblemCheck) -> list[str]:
    """Each wrong solution must fail a hidden test, cleanly (it is a mistake, not a typo)."""
    spec = question.coding
    assert spec is not None
    problems: list[str] = []
    if len(spec.wrong_solutions) < 3:
        problems.append(f"only {len(spec.wrong_solutions)} wrong solutions listed (at least 3)")
    result.wrong = len(spec.wrong_solutions)
    for number, wrong in enumerate(spec.wrong_solutions, 1):
        label = f"wrong solution {number} ({wrong.why})"
        try:
            code = wrong.source(spec.reference)
        except ValueError as err:
            problems.append(f"{label}: {err}")
            continue
        report = run_hidden(code, spec, limits=limits)
        if report.verdict == "passed":
            problems.append(f"{label} passes every hidden test")
        elif report.verdict in ("syntax_error", "error") and report.passed == 0:
            problems.append(f"{label} does not even load: {report.message}")
        else:
            result.caught += 1
    return problems


def check_all(catalog, round_kind: str | None = None, echo=None) -> list[ProblemCheck]:
    """Check every coding question (of one round kind if given); `echo(line)` as each ends."""
    results: list[ProblemCheck] = []
    for question in sorted(catalog.questions.values(), key=lambda q: q.id):
        if question.coding is None or (round_kind and question.round != round_kind):
            continue
        result = check_problem_full(question)
        results.append(result)
        if echo is not None:
            echo(format_check(result))
    return results


def format_check(result: ProblemCheck) -> str:
    return "\n".join([result.line(), *(f"       {problem}" for problem in result.problems)])


def summary(results: list[ProblemCheck], seconds: float) -> str:
    bad = sum(1 for r in results if r.problems)
    wrong = sum(r.wrong for r in results)
    caught = sum(r.caught for r in results)
    return (
        f"{len(results) - bad} of {len(results)} problems sound; "
        f"{caught} of {wrong} wrong solutions caught; {seconds:.0f}s"
    )


if __name__ == "__main__":  # python -m simulator.coding.checks [ROUND] [ROOT]
    import sys
    from pathlib import Path

    from simulator.catalog import CatalogError, load_catalog

    try:
        found = load_catalog(Path(sys.argv[2]) if len(sys.argv) > 2 else None)
    except CatalogError as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    began = time.monotonic()
    checked = check_all(found, sys.argv[1] if len(sys.argv) > 1 else None, echo=print)
    print(summary(checked, time.monotonic() - began))
    raise SystemExit(1 if any(r.problems for r in checked) else 0)
