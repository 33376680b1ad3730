"""Runs a candidate's code against a coding problem's tests, in a sandboxed subprocess.

    report = run_tests(code, question.coding, "examples")   # or "tests" (hidden) on submission

The code runs in `python -I` as a uid of its own, in new mount, PID and network namespaces
where the machine allows (see _child.py), with rlimits (address space, CPU, file size, open
files, processes) and an audit hook as a second layer; a wall-clock deadline, and the end of
every run, close the sandbox's lifeline so its keeper kills everything in it. The sandbox
returns each call's value as plain data; pass or fail is decided here (judge.py), against
expected values computed by a separate run of the reference (cached), so nothing the code
prints, writes or patches can make a test pass. Every failure mode (syntax error, infinite
loop, huge allocation, deep recursion, exit(), a flood of output) is a verdict with one clear
line, never a hang or an exception in the caller.

`run_tests` is a plain blocking function with no global state: from asyncio, call it in a
thread (`await asyncio.to_thread(run_tests, ...)`).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import json
import math
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from simulator.coding.judge import (
    UNSUPPORTED_HINT,
    Unsupported,
    decode,
    run_check,
    same,
    show,
    trusted_namespace,
)
from simulator.config import current, system_path
from simulator.models import CodingSpec, TestCase

__all__ = ["Limits", "RunReport", "TestOutcome", "Verdict", "run_tests"]

CHILD = Path(__file__).with_name("_child.py")
SHOWN_OUTPUT = 4096
"""Bytes of the candidate's output kept in the report."""
RESULT_CAP = 64 * 1024 * 1024
"""Bytes of result records read from the child at most (whole return values travel now)."""
AUDIT_HOOK = True
"""The audit hook, the second layer; tests turn it off to show the OS boundary holds alone."""
STARTUP_GRACE = 1.0
"""Seconds added to the wall limit for the interpreter and numpy to start."""

Verdict = Literal[
    "passed", "failed", "syntax_error", "timeout", "memory", "output_limit", "crashed", "error"
]


class Limits(BaseModel):
    wall_seconds: float = Field(default=5.0, gt=0)
    memory_mb: int = Field(default=512, ge=64)
    """Address-space limit of the child (RLIMIT_AS), interpreter and numpy included."""
    cpu_seconds: float | None = None
    """RLIMIT_CPU; default: the wall limit plus one second."""
    output_bytes: int = Field(default=64 * 1024, ge=1024)
    """What the code may print (stdout and stderr together) before it is killed."""
    file_bytes: int = Field(default=8 * 1024 * 1024, ge=0)
    """Largest file the code may write in its temporary directory (RLIMIT_FSIZE)."""

    @classmethod
    def for_spec(cls, spec: CodingSpec) -> Limits:
        return cls(wall_seconds=spec.time_limit)


class TestOutcome(BaseModel):
    __test__ = False  # not a pytest class

    index: int
    call: str
    passed: bool
    expected: str | None = None
    """repr of the expected value (truncated), or what the check requires."""
    got: str | None = None
    """repr of what the code returned (truncated)."""
    error: str | None = None
    """Exception type and message, with the line in the candidate's code."""
    note: str | None = None
    """What the case is about, and why it failed (shape, length...)."""


class RunReport(BaseModel):
    verdict: Verdict
    passed: int
    total: int
    outcomes: list[TestOutcome]
    output: str
    """What the code printed (stdout and stderr), truncated."""
    seconds: float
    message: str
    """One line a candidate understands."""

    @property
    def fraction(self) -> float:
        return self.passed / self.total if self.total else 0.0


def run_tests(
    code: str,
    spec: CodingSpec,
    which: Literal["examples", "tests"] = "examples",
    *,
    limits: Limits | None = None,
) -> RunReport:
    """Run `code` against the spec's visible examples or hidden tests; never raises for bad code."""
    cases: list[TestCase] = list(spec.examples if which == "examples" else spec.tests)
    limits = limits or Limits.for_spec(spec)
    started = time.monotonic()
    # The expected values come from a separate run of the reference (cached), at the same
    # time as the candidate's run: they never enter the candidate's process.
    reference: dict = {}
    thread = None
    if not _REFERENCES.has(spec, cases):
        thread = threading.Thread(
            target=lambda: reference.update(value=_REFERENCES.get(spec, cases, limits)),
            daemon=True,
        )
        thread.start()
    jobs = [{"call": c.call, "args": bool(c.check and "args" in c.check)} for c in cases]
    numpy = "numpy" in spec.setup or "numpy" in code
    raw = _run_child(_payload(code, spec, jobs, limits), limits, numpy)
    if thread is not None:
        thread.join()
    expected = reference.get("value") or _REFERENCES.get(spec, cases, limits)
    report = _report(raw, cases, limits, expected, spec)
    report.seconds = round(time.monotonic() - started, 3)
    return report


def _payload(code: str, spec: CodingSpec, jobs: list[dict], limits: Limits) -> bytes:
    cpu = limits.cpu_seconds or math.ceil(limits.wall_seconds) + 1
    payload = {
        "code": code,
        "entry": spec.entry,
        "setup": spec.setup,
        "jobs": jobs,
        "audit": AUDIT_HOOK,
        "limits": {
            "memory_mb": limits.memory_mb,
            "cpu_seconds": cpu,
            "file_bytes": limits.file_bytes,
        },
    }
    return json.dumps(payload).encode("utf-8")


# ---------------------------------------------------------------- expected values


@dataclass
class _Expected:
    values: dict[int, object]
    """case index -> the expected value (cases with a check have none)."""
    error: str | None = None
    shown: dict[int, str] = field(default_factory=dict)
    """case index -> repr of the expected value, made once."""
    """Why the problem's own tests could not be computed."""


class _ReferenceCache:
    """Expected values per (problem, cases), from the reference run in its own sandbox.
    The reference is seeded like the candidate's run, so its results do not change."""

    SIZE = 64

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, _Expected] = {}

    @staticmethod
    def _key(spec: CodingSpec, cases: list[TestCase]) -> str:
        text = json.dumps(
            [spec.setup, spec.reference, spec.entry, [(c.call, c.expected, c.check) for c in cases]]
        )
        return hashlib.sha256(text.encode()).hexdigest()

    def has(self, spec: CodingSpec, cases: list[TestCase]) -> bool:
        with self._lock:
            return self._key(spec, cases) in self._values

    def get(self, spec: CodingSpec, cases: list[TestCase], limits: Limits) -> _Expected:
        key = self._key(spec, cases)
        with self._lock:
            if key in self._values:
                return self._values[key]
        expected = _compute_expected(spec, cases, limits)
        if expected.error is None:  # a failure may be the machine's load: try again next time
            with self._lock:
                if len(self._values) >= self.SIZE:
                    self._values.pop(next(iter(self._values)))
                self._values[key] = expected
        return expected


_REFERENCES = _ReferenceCache()


def _compute_expected(spec: CodingSpec, cases: list[TestCase], limits: Limits) -> _Expected:
    jobs: list[dict] = []
    for case in cases:
        if case.check:
            jobs.append({"skip": True})
        elif case.expected is not None:
            jobs.append({"eval": case.expected})
        else:
            jobs.append({"call": case.call})
    if all(job.get("skip") for job in jobs):
        return _Expected({})
    wall = max(limits.wall_seconds, spec.time_limit)
    ref_limits = limits.model_copy(update={"wall_seconds": wall, "cpu_seconds": None})
    numpy = "numpy" in spec.setup or "numpy" in spec.reference
    raw = _run_child(_payload(spec.reference, spec, jobs, ref_limits), ref_limits, numpy)
    parsed = _parse(raw, jobs)
    if raw.launch_error:
        return _Expected({}, raw.launch_error)
    for kind in ("internal", "syntax", "load", "missing"):
        if kind in parsed.by_kind:
            record = parsed.by_kind[kind]
            detail = record.get("msg") or record.get("error") or record.get("entry") or kind
            return _Expected({}, f"the reference solution: {kind}: {detail}")
    if raw.timed_out or raw.flooded or "done" not in parsed.by_kind or parsed.tampered:
        return _Expected({}, "the reference solution did not finish")
    values: dict[int, object] = {}
    for index, job in enumerate(jobs):
        if job.get("skip"):
            continue
        record = parsed.cases.get(index, {})
        if "error" in record:
            return _Expected({}, f"test {index + 1}: {record['error']}")
        try:
            values[index] = decode(record.get("value"))
        except Unsupported as err:
            return _Expected({}, f"test {index + 1}: the reference returned {err}")
    return _Expected(values, shown={index: show(value) for index, value in values.items()})


# ---------------------------------------------------------------- the child process


class _Raw:
    def __init__(self) -> None:
        self.records: list[dict] = []
        self.output = b""
        self.returncode: int | None = None
        self.timed_out = False
        self.flooded = False
        self.launch_error: str | None = None


_SECRET_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "CREDENTIAL")


def _child_env(workdir: str) -> dict[str, str]:
    """A fresh environment: nothing of onsite's (OPENAI_API_KEY above all) reaches the child."""
    env = {
        "PATH": system_path(),
        "HOME": workdir,
        "TMPDIR": workdir,
        "LANG": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
    }
    for var in (
        "OPENBLAS_NUM_THREADS",
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
        "NUMEXPR_NUM_THREADS",
        "VECLIB_MAXIMUM_THREADS",
    ):
        env[var] = "1"  # one thread: a predictable address space under RLIMIT_AS, no thread pools
    return {k: v for k, v in env.items() if not any(w in k.upper() for w in _SECRET_WORDS)}


@dataclass
class _Child:
    """A sandbox, started and waiting for its payload on stdin. Closing `lifeline` makes its
    keeper kill everything in it."""

    proc: subprocess.Popen[bytes]
    read_fd: int
    lifeline: int
    workdir: str
    numpy: bool
    ended: bool = False

    def end(self) -> None:
        """Kill the sandbox and everything it started; wait for it; free its resources."""
        if not self.ended:
            self.ended = True
            with contextlib.suppress(OSError):
                os.close(self.lifeline)
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            _kill(self.proc)
            self.proc.wait()


def _spawn(numpy: bool) -> _Child:
    workdir = tempfile.mkdtemp(prefix="onsite-run-")
    read_fd, write_fd = os.pipe()
    life_read, life_write = os.pipe()
    argv = [sys.executable, "-I", "-u", str(CHILD), str(write_fd), str(life_read)]
    try:
        proc = subprocess.Popen(
            [*argv, "--preload-numpy"] if numpy else argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=workdir,
            env=_child_env(workdir),
            pass_fds=(write_fd, life_read),
            start_new_session=True,  # its own process group, killed as a whole
            close_fds=True,
        )
    except OSError:
        for fd in (read_fd, life_write):
            os.close(fd)
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    finally:
        os.close(write_fd)
        os.close(life_read)
    return _Child(proc, read_fd, life_write, workdir, numpy)


class _SparePool:
    """One spare sandbox started ahead of time, so a submission does not wait for Python (and
    numpy) to start: that start-up is most of the runner's overhead. The spare is idle until
    it reads its payload; limits and the audit hook are applied after that, as for any child.
    ONSITE_RUNNER_SPARE=0 turns it off."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._spare: _Child | None = None
        atexit.register(self.close)

    def take(self, numpy: bool) -> _Child | None:
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is None:
            return None
        if spare.numpy == numpy and spare.proc.poll() is None:
            return spare
        _discard(spare)
        return None

    def refill(self, numpy: bool) -> None:
        if not current().runner_spare:
            return

        def start() -> None:
            try:
                child = _spawn(numpy)
            except OSError:
                return
            with self._lock:
                old, self._spare = self._spare, child
            if old is not None:
                _discard(old)

        threading.Thread(target=start, daemon=True).start()

    def close(self) -> None:
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is not None:
            _discard(spare)


def _discard(child: _Child) -> None:
    child.end()
    for stream in (child.proc.stdin, child.proc.stdout):
        if stream is not None:
            stream.close()
    os.close(child.read_fd)
    shutil.rmtree(child.workdir, ignore_errors=True)


_SPARES = _SparePool()


def _run_child(payload: bytes, limits: Limits, numpy: bool = False) -> _Raw:
    raw = _Raw()
    child = _SPARES.take(numpy)
    if child is None:
        try:
            child = _spawn(numpy)
        except OSError as err:
            raw.launch_error = f"cannot start the sandbox: {err}"
            return raw
    _SPARES.refill(numpy)
    proc, read_fd, workdir = child.proc, child.read_fd, child.workdir
    try:
        deadline = time.monotonic() + limits.wall_seconds + STARTUP_GRACE
        try:
            assert proc.stdin is not None
            proc.stdin.write(payload)
            proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        _pump(proc, read_fd, raw, deadline, limits.output_bytes)
        if raw.timed_out or raw.flooded:
            child.end()
        try:
            proc.wait(timeout=max(0.5, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            raw.timed_out = True
            child.end()
        raw.returncode = proc.returncode
        return raw
    finally:
        os.close(read_fd)
        child.end()  # on every path: the keeper kills whatever the code left behind
        if proc.stdout is not None:
            proc.stdout.close()
        shutil.rmtree(workdir, ignore_errors=True)


def _pump(
    proc: subprocess.Popen[bytes], result_fd: int, raw: _Raw, deadline: float, output_cap: int
) -> None:
    """Read stdout (capped) and the result pipe until both close or the deadline passes."""
    assert proc.stdout is not None
    out_fd = proc.stdout.fileno()
    output = bytearray()
    results = bytearray()
    with selectors.DefaultSelector() as selector:
        selector.register(out_fd, selectors.EVENT_READ, "out")
        selector.register(result_fd, selectors.EVENT_READ, "res")
        open_streams = 2
        while open_streams:
            left = deadline - time.monotonic()
            if left <= 0:
                raw.timed_out = True
                break
            for key, _ in selector.select(timeout=left):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    selector.unregister(key.fd)
                    open_streams -= 1
                elif key.data == "out":
                    output += chunk
                    if len(output) > output_cap:
                        raw.flooded = True
                elif len(results) < RESULT_CAP:
                    results += chunk
            if raw.flooded:
                break
    raw.output = bytes(output[: output_cap + 1])
    for line in bytes(results).splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            raw.records.append(record)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            proc.kill()


# ---------------------------------------------------------------- the report


_SIGNAL_NAMES = {
    signal.SIGSEGV: "a segmentation fault",
    signal.SIGBUS: "a bus error",
    signal.SIGABRT: "an abort",
    signal.SIGILL: "an illegal instruction",
    signal.SIGFPE: "a floating-point exception",
}


@dataclass
class _Parsed:
    by_kind: dict[str, dict]
    cases: dict[int, dict]
    tampered: bool = False


def _parse(raw: _Raw, jobs: list[dict]) -> _Parsed:
    """The records in the order the runner writes them: one per job, in job order, then
    `done`. Anything else (a duplicate, a case out of order, a record after `done`) means the
    code wrote to the result pipe itself."""
    parsed = _Parsed({}, {})
    order = [i for i, job in enumerate(jobs) if not job.get("skip")]
    for record in raw.records:
        kind = record.get("t")
        if "done" in parsed.by_kind:
            parsed.tampered = True
        elif kind == "case":
            index = record.get("index")
            if len(parsed.cases) < len(order) and index == order[len(parsed.cases)]:
                parsed.cases[index] = record
            else:
                parsed.tampered = True
        elif kind in ("syntax", "internal", "load", "missing", "done"):
            if kind in parsed.by_kind or (kind != "done" and parsed.cases):
                parsed.tampered = True
            parsed.by_kind[kind] = record
        else:
            parsed.tampered = True
    return parsed


def _report(
    raw: _Raw, cases: list[TestCase], limits: Limits, expected: _Expected, spec: CodingSpec
) -> RunReport:
    total = len(cases)
    output = raw.output.decode("utf-8", "replace")
    shown = output if len(output) <= SHOWN_OUTPUT else output[:SHOWN_OUTPUT] + "\n... (truncated)"

    def report(verdict: Verdict, message: str, outcomes: list[TestOutcome]) -> RunReport:
        passed = sum(o.passed for o in outcomes)
        return RunReport(
            verdict=verdict,
            passed=passed,
            total=total,
            outcomes=outcomes,
            output=shown,
            seconds=0.0,
            message=message,
        )

    if raw.launch_error:
        return report("error", f"Internal error: {raw.launch_error}", _not_run(cases, [], ""))

    parsed = _parse(raw, [{} for _ in cases])
    by_kind, case_records = parsed.by_kind, parsed.cases
    done = "done" in by_kind

    if "syntax" in by_kind and not parsed.tampered:
        s = by_kind["syntax"]
        where = f" at line {s['line']}" if s.get("line") else ""
        text = f": {s['text']}" if s.get("text") else ""
        kind = s.get("type", "SyntaxError")
        return report(
            "syntax_error",
            f"{kind}{where}: {s.get('msg')}{text}",
            _not_run(cases, [], "not run: the code does not compile"),
        )
    internal = expected.error or (by_kind.get("internal") or {}).get("msg")
    if internal:
        return report(
            "error",
            f"Internal error in the problem's tests ({_clip(str(internal), 300)})",
            _not_run(cases, [], "not run"),
        )
    if parsed.tampered:
        return report(
            "error",
            "The code wrote to the sandbox's result channel: every test counts as failed",
            _not_run(cases, [], "not judged: the results were tampered with"),
        )

    outcomes = _judge(cases, case_records, expected, spec)
    running = next((i for i in range(total) if i not in case_records), None)
    at = f" during test {running + 1}" if running is not None else ""

    if raw.flooded:
        outcomes = _not_run(cases, outcomes, "not run: too much output")
        return report(
            "output_limit",
            f"Output limit exceeded ({_size(limits.output_bytes)}){at}: remove the prints in loops",
            outcomes,
        )
    code = raw.returncode
    if raw.timed_out or code == -signal.SIGXCPU:
        outcomes = _not_run(cases, outcomes, "not run: time limit exceeded")
        return report(
            "timeout",
            f"Time limit exceeded ({limits.wall_seconds:g} s){at}: an infinite loop, "
            "or an algorithm too slow for the input?",
            outcomes,
        )
    if not done:
        memory = "MemoryError" in output or code == -signal.SIGKILL
        outcomes = _not_run(cases, outcomes, "not run: the process died")
        if memory:
            return report(
                "memory",
                f"Memory limit exceeded ({limits.memory_mb} MB){at}: "
                "an allocation too large for the input?",
                outcomes,
            )
        if code is not None and code < 0:
            try:
                name = _SIGNAL_NAMES.get(signal.Signals(-code)) or signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            hint = (
                " (deep recursion overflowing the C stack?)"
                if "recursion" in output.lower() or code == -signal.SIGSEGV
                else ""
            )
            return report("crashed", f"The interpreter crashed with {name}{at}{hint}", outcomes)
        return report(
            "crashed",
            f"The process exited (status {code}){at} before the tests finished: "
            "do not call exit(), os._exit() or quit()",
            outcomes,
        )
    if "load" in by_kind:
        load = by_kind["load"]
        outcomes = _not_run(cases, [], "not run: the code raised while loading")
        if load.get("type") == "MemoryError":
            return report(
                "memory",
                f"Memory limit exceeded ({limits.memory_mb} MB) while loading the code",
                outcomes,
            )
        return report(
            "error", f"Your code raised before any test ran: {load.get('error')}", outcomes
        )
    if "missing" in by_kind:
        entry = by_kind["missing"].get("entry")
        return report(
            "error",
            f"Your code does not define `{entry}`",
            _not_run(cases, [], f"not run: no `{entry}`"),
        )

    failed = [o for o in outcomes if not o.passed]
    if not failed:
        return report(
            "passed", "The test passed." if total == 1 else f"All {total} tests passed.", outcomes
        )
    memory_failed = [
        o for o in failed if case_records.get(o.index, {}).get("etype") == "MemoryError"
    ]
    if memory_failed:
        return report(
            "memory",
            f"Memory limit exceeded ({limits.memory_mb} MB) in test "
            f"{memory_failed[0].index + 1}: an allocation too large for the input?",
            outcomes,
        )
    first = failed[0]
    if first.error:
        why = first.error
    else:
        why = f"expected {first.expected}, got {first.got}"
        if first.note:
            why += f" ({first.note})"
    return report(
        "failed",
        f"{len(failed)} of {total} tests failed; test {first.index + 1}: {_clip(why, 240)}",
        outcomes,
    )


def _judge(
    cases: list[TestCase], records: dict[int, dict], expected: _Expected, spec: CodingSpec
) -> list[TestOutcome]:
    """Pass or fail for each case, decided here from the plain data the sandbox returned."""
    namespace: dict | None = None
    outcomes = []
    for index, case in enumerate(cases):
        record = records.get(index)
        if record is None:
            outcomes.append(TestOutcome(index=index, call=case.call, passed=False, note="not run"))
            continue
        want_shown = None
        if not case.check and index in expected.values:
            want_shown = expected.shown.get(index) or show(expected.values[index])
        outcome = TestOutcome(index=index, call=case.call, passed=False, note=case.note)
        if "error" in record:
            outcome.error = _clip(str(record["error"]), 400)
            outcome.expected = want_shown
            outcomes.append(outcome)
            continue
        why: str | None = None
        try:
            got = decode(record.get("value"))
        except Unsupported as err:
            outcome.got = None
            why = f"returned {err}: {UNSUPPORTED_HINT}"
            outcome.expected = want_shown or (
                f"a result for which `{case.check}` holds" if case.check else None
            )
        else:
            outcome.got = show(got)
            if case.check:
                if namespace is None:
                    namespace = _trusted_namespace(spec.setup, spec.reference)
                args = tuple(_decode_or_none(a) for a in record.get("args") or ())
                outcome.passed, why = run_check(case.check, namespace, got, args)
                if not outcome.passed:
                    outcome.expected = f"a result for which `{case.check}` holds"
            else:
                outcome.expected = want_shown
                outcome.passed, why = same(got, expected.values.get(index), case.tol)
        if not outcome.passed:
            notes = [n for n in (case.note, why) if n]
            outcome.note = "; ".join(notes) if notes else None
        outcomes.append(outcome)
    return outcomes


@functools.lru_cache(maxsize=16)
def _trusted_namespace(setup: str, reference: str) -> dict:
    """Cached: a problem's setup can build large inputs. Each check gets its own copy."""
    return trusted_namespace(setup, reference)


def _decode_or_none(data: object) -> object:
    """An argument that is not plain data (a random Generator...) reaches checks as None."""
    try:
        return decode(data)
    except Unsupported:
        return None


def _not_run(cases: list[TestCase], judged: list[TestOutcome], why: str) -> list[TestOutcome]:
    """The cases that finished keep their outcome; the others failed with `why`."""
    done = {o.index: o for o in judged if o.note != "not run"}
    return [
        done.get(i) or TestOutcome(index=i, call=case.call, passed=False, note=why)
        for i, case in enumerate(cases)
    ]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _size(n: int) -> str:
    return f"{n // 1024} KB" if n >= 1024 else f"{n} B"
