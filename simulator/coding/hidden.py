"""Runs a submission's hidden tests: the ordinary ones under the problem's time limit, then the
complexity tests on their own under a limit derived from the reference's measured time.

    report = run_hidden(code, question.coding)     # one RunReport over every hidden test

A fixed limit either lets a wrong complexity through on a fast machine or fails the right one
on a loaded machine; a limit relative to the reference, measured on the same machine, does
neither. The complexity tests are sized so that the wrong complexity needs ten times that
limit or more (`onsite check-problems` shows the figures).
"""

from __future__ import annotations

import statistics
import threading

from simulator.coding.runner import Limits, RunReport, TestOutcome, Verdict, run_tests
from simulator.models import CodingSpec

__all__ = ["complexity_limits", "run_hidden", "split_tests"]

FACTOR = 4.0
"""The complexity tests may take this many times the reference's median time..."""
FLOOR = 1.5
"""...but never less than this many seconds (the runner adds its start-up grace on top)."""
REPEATS = 3
"""Runs of the reference whose median sets the limit."""

MEASURE_LIMIT = 30.0
"""Wall limit while measuring the reference (a loaded machine must not fail the measurement)."""

_measured: dict[tuple, float] = {}
_lock = threading.Lock()


def split_tests(spec: CodingSpec) -> tuple[list[int], list[int]]:
    """Indices of the ordinary hidden tests and of the complexity tests."""
    ordinary = [i for i, t in enumerate(spec.tests) if "complexity" not in t.tags]
    heavy = [i for i, t in enumerate(spec.tests) if "complexity" in t.tags]
    return ordinary, heavy


def _only(spec: CodingSpec, indices: list[int]) -> CodingSpec:
    return spec.model_copy(update={"tests": [spec.tests[i] for i in indices]})


def _key(spec: CodingSpec) -> tuple:
    return (spec.entry, spec.setup, spec.reference, tuple(t.call for t in spec.tests))


def reference_seconds(spec: CodingSpec) -> float | None:
    """Median wall time of the reference on the complexity tests (once per process), or None
    when the problem has none or the reference does not pass them."""
    _, heavy = split_tests(spec)
    if not heavy:
        return None
    key = _key(spec)
    with _lock:  # one measurement at a time: concurrent runs would slow each other down
        if key not in _measured:
            timed = _only(spec, heavy)
            generous = Limits(wall_seconds=max(spec.time_limit, MEASURE_LIMIT))
            runs = [
                run_tests(spec.reference, timed, "tests", limits=generous) for _ in range(REPEATS)
            ]
            if any(r.verdict != "passed" for r in runs):
                return None
            _measured[key] = statistics.median(r.seconds for r in runs)
        return _measured[key]


def complexity_limits(spec: CodingSpec) -> Limits:
    """The limits of the complexity run: max(FACTOR x reference time, FLOOR) seconds."""
    seconds = reference_seconds(spec)
    if seconds is None:
        return Limits.for_spec(spec)
    return Limits(wall_seconds=round(max(FACTOR * seconds, FLOOR), 2))


def run_hidden(code: str, spec: CodingSpec, *, limits: Limits | None = None) -> RunReport:
    """Every hidden test of `spec` on `code`, as one report in the order of `spec.tests`.
    `limits`: for the complexity run (default: derived from the reference)."""
    ordinary, heavy = split_tests(spec)
    if not heavy:
        return run_tests(code, spec, "tests")
    first = run_tests(code, _only(spec, ordinary), "tests") if ordinary else None
    total = len(spec.tests)
    if first is not None and first.verdict in ("syntax_error", "error"):
        # The code does not load: the complexity tests cannot run either.
        skipped = [
            TestOutcome(index=i, call=spec.tests[i].call, passed=False, note="not run")
            for i in heavy
        ]
        return _merge(first, None, ordinary, heavy, skipped, total)
    second = run_tests(code, _only(spec, heavy), "tests", limits=limits or complexity_limits(spec))
    return _merge(first, second, ordinary, heavy, None, total)


def _merge(
    first: RunReport | None,
    second: RunReport | None,
    ordinary: list[int],
    heavy: list[int],
    skipped: list[TestOutcome] | None,
    total: int,
) -> RunReport:
    outcomes: list[TestOutcome] = []
    if first is not None:
        outcomes += [o.model_copy(update={"index": ordinary[o.index]}) for o in first.outcomes]
    if second is not None:
        outcomes += [o.model_copy(update={"index": heavy[o.index]}) for o in second.outcomes]
    outcomes += skipped or []
    outcomes.sort(key=lambda o: o.index)
    passed = sum(o.passed for o in outcomes)
    runs = [r for r in (first, second) if r is not None]
    bad = next((r for r in runs if r.verdict != "passed"), None)
    verdict: Verdict
    if bad is None:
        verdict, message = "passed", f"All {total} tests passed."
    elif bad is second and bad.verdict == "timeout":
        verdict = "timeout"
        message = (
            f"{total - passed} of {total} tests failed; time limit exceeded on the large "
            "inputs: is the algorithm fast enough for the stated sizes?"
        )
    elif bad.verdict == "failed":
        verdict = "failed"
        wrong = next(o for o in outcomes if not o.passed)
        why = wrong.error or f"expected {wrong.expected}, got {wrong.got}"
        if wrong.note and not wrong.error:
            why += f" ({wrong.note})"
        message = f"{total - passed} of {total} tests failed; test {wrong.index + 1}: {why[:240]}"
    else:
        verdict, message = bad.verdict, bad.message
    return RunReport(
        verdict=verdict,
        passed=passed,
        total=total,
        outcomes=outcomes,
        output="\n".join(r.output for r in runs if r.output),
        seconds=round(sum(r.seconds for r in runs), 3),
        message=message,
    )
