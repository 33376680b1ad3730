"""Per-submission overhead of the sandboxed runner over running the same tests in-process.

    .venv/bin/python benchmarks/runner_overhead.py [--repeat 5] [--round ai-coding]

For every coding problem, times `run_tests(reference, spec, "tests")` (a `python -I` sandbox:
interpreter start, numpy import, namespaces and uid drop, rlimits, audit hook, the calls,
plain data back, judged in this process; expected values from a cached reference run) against
executing the same setup, reference and test calls in this process (numpy already imported).
The runner keeps one spare child started ahead of time, so the interpreter and numpy start-up
happen while nobody waits; the first submission of a problem also runs the reference (in
parallel, then cached: `--repeat 1` measures that case); submissions here come back to back,
the worst case for the spare.
ONSITE_RUNNER_SPARE=0 measures cold starts.

Two figures per problem: wall-clock (what the candidate waits for on top of their code; the
target, a median under 150 ms; inflated when other processes compete for the CPUs, see the
load average printed at the end) and CPU time (the parent's plus the children's, from
getrusage: the work itself, spare start-up included).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy  # noqa: F401  - the in-process baseline starts with numpy loaded

from simulator.catalog import load_catalog
from simulator.coding import _child, judge
from simulator.coding.runner import run_tests
from simulator.models import CodingSpec


def in_process(spec: CodingSpec) -> float:
    """Seconds to run the hidden tests of the reference here, with the child's own helpers."""
    started = time.perf_counter()
    trusted = _child._namespace(spec.setup, "<setup>")
    reference = _child._namespace(spec.setup, "<setup>")
    exec(compile(spec.reference, "<reference>", "exec"), reference)
    candidate = _child._namespace(spec.setup, "<setup>")
    exec(compile(spec.reference, "<solution>", "exec"), candidate)
    for case in spec.tests:
        _child._seed()
        if case.check:
            got, args = _child._call(case.call, candidate)
            assert eval(case.check, {**candidate, **trusted, "result": got, "args": args})
            continue
        if case.expected is not None:
            want = eval(case.expected, dict(trusted))
        else:
            want, _ = _child._call(case.call, reference)
        _child._seed()
        got, _ = _child._call(case.call, candidate)
        assert judge.same(got, want, case.tol)[0], case.call
    return time.perf_counter() - started


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--round", default="ai-coding")
    parser.add_argument("--root", type=Path, default=None, help="rubrics directory")
    options = parser.parse_args()
    catalog = load_catalog(options.root)
    questions = [q for q in catalog.questions_for(options.round) if q.coding]
    if not questions:
        print(f"no coding problems in {options.round}")
        return 1
    wall_over: list[float] = []
    cpu_over: list[float] = []
    print(
        f"{'problem':32} {'sandbox wall':>12} {'in-proc wall':>12} {'overhead wall':>13} "
        f"{'sandbox cpu':>11} {'in-proc cpu':>11} {'overhead cpu':>12}   (ms)"
    )
    for question in questions:
        spec = question.coding
        assert spec is not None
        sandbox, local, sandbox_cpu, local_cpu = [], [], [], []
        for _ in range(options.repeat):
            cpu0, started = _cpu(), time.perf_counter()
            report = run_tests(spec.reference, spec, "tests")
            sandbox.append(time.perf_counter() - started)
            sandbox_cpu.append(_cpu() - cpu0)
            assert report.verdict == "passed", (question.id, report.message)
            cpu0 = _cpu()
            local.append(in_process(spec))
            local_cpu.append(_cpu() - cpu0)
        s, p = statistics.median(sandbox) * 1e3, statistics.median(local) * 1e3
        sc, pc = statistics.median(sandbox_cpu) * 1e3, statistics.median(local_cpu) * 1e3
        wall_over.append(s - p)
        cpu_over.append(sc - pc)
        print(
            f"{question.slug:32} {s:12.1f} {p:12.1f} {s - p:13.1f} {sc:11.1f} {pc:11.1f} "
            f"{sc - pc:12.1f}"
        )
    print()
    for name, values in (("wall-clock", wall_over), ("CPU", cpu_over)):
        values.sort()
        p90 = values[min(len(values) - 1, int(0.9 * len(values)))]
        print(
            f"{name} overhead per submission over {len(values)} problems: median "
            f"{statistics.median(values):.1f} ms, mean {statistics.mean(values):.1f} ms, "
            f"p90 {p90:.1f} ms, max {values[-1]:.1f} ms"
        )
    load = os.getloadavg()[0]
    print(
        f"load average {load:.2f} on {os.cpu_count()} CPUs"
        + (
            "  (busy machine: the wall-clock figures are inflated)"
            if load > (os.cpu_count() or 1)
            else ""
        )
    )
    verdict = "met" if statistics.median(wall_over) < 150 else "NOT met"
    spare = "off" if os.environ.get("ONSITE_RUNNER_SPARE") == "0" else "on"
    print(f"target < 150 ms (median wall-clock overhead, spare sandbox {spare}): {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
