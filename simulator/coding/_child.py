"""The sandboxed side of the runner: run as `python -I -u _child.py RESULT_FD` in a fresh temp dir.

It reads one JSON payload from stdin, limits itself (rlimits), computes the reference
results, installs an audit hook that refuses network, processes and signals, then runs the
candidate's code and the test cases. Each finished case is written as one JSON line to the
result pipe (RESULT_FD), never to stdout, so nothing the candidate prints can forge a result;
a line is written as soon as a case finishes, so a crash or a timeout still leaves the cases
that ran. Only the standard library is imported here: numpy comes with the problem's setup.

This file is not imported by the parent: it runs only in the child process.
"""

import ast
import contextlib
import json
import math
import os
import random
import resource
import sys
import traceback

SOLUTION = "<solution>"
REPR_LIMIT = 300


def _main() -> None:
    result_fd = int(sys.argv[1])
    if "--preload-numpy" in sys.argv[2:]:
        # A spare child started ahead of time: pay numpy's import while nobody waits.
        with contextlib.suppress(ImportError):
            import numpy  # noqa: F401
    payload = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    sys.stdin = open(os.devnull)  # noqa: SIM115 - the candidate's input() gets EOF
    _set_limits(payload["limits"])

    write = os.write
    dumps = json.dumps

    def emit(record: dict) -> None:
        data = (dumps(record, default=str) + "\n").encode("utf-8", "replace")
        while data:
            data = data[write(result_fd, data) :]

    cases = payload["cases"]
    setup = payload["setup"]

    # 1. The candidate's code must at least compile.
    try:
        solution = compile(payload["code"], SOLUTION, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, OverflowError, MemoryError, RecursionError) as err:
        line = getattr(err, "lineno", None)
        msg = getattr(err, "msg", None) or str(err)
        emit(
            {
                "t": "syntax",
                "type": type(err).__name__,
                "msg": msg,
                "line": line,
                "text": (getattr(err, "text", None) or "").strip()[:200],
            }
        )
        emit({"t": "done"})
        _exit()

    # 2. Trusted part: expected values and the reference's results, before the candidate runs.
    trusted = _namespace(setup, "<setup>")
    expected: list[tuple[str, object]] = []  # ("value", v) | ("check", None) | ("error", msg)
    reference_ns = None
    for index, case in enumerate(cases):
        try:
            if case.get("check"):
                expected.append(("check", None))
            elif case.get("expected") is not None:
                _seed()
                expected.append(("value", eval(case["expected"], dict(trusted))))
            else:
                if reference_ns is None:
                    reference_ns = _namespace(setup, "<setup>")
                    exec(compile(payload["reference"], "<reference>", "exec"), reference_ns)
                _seed()
                value, _ = _call(case["call"], reference_ns)
                expected.append(("value", value))
        except BaseException as err:  # a broken problem, not the candidate's fault
            emit({"t": "internal", "msg": f"test {index + 1}: {_describe(err, '<reference>')}"})
            emit({"t": "done"})
            _exit()
    del reference_ns
    payload.pop("reference", None)

    # 3. From here on, the candidate's code is in the process: no network, no processes.
    _install_audit_hook(os.getcwd())

    namespace = _namespace(setup, "<setup>")
    try:
        exec(solution, namespace)
    except BaseException as err:
        emit({"t": "load", "error": _describe(err, SOLUTION), "type": type(err).__name__})
        emit({"t": "done"})
        _exit()
    if payload["entry"] not in namespace:
        emit({"t": "missing", "entry": payload["entry"]})
        emit({"t": "done"})
        _exit()

    # 4. One verdict per case; an exception fails that case only.
    for index, case in enumerate(cases):
        record = {
            "t": "case",
            "index": index,
            "passed": False,
            "got": None,
            "expected": None,
            "error": None,
            "etype": None,
        }
        kind, want = expected[index]
        try:
            _seed()
            got, args = _call(case["call"], namespace)
            record["got"] = _repr(got)
            if kind == "check":
                scope = {**namespace, **trusted, "result": got, "args": args}
                ok = eval(compile(case["check"], "<check>", "eval"), scope)
                record["passed"] = bool(ok)
                if not ok:
                    record["expected"] = f"a result for which `{case['check']}` holds"
            else:
                record["expected"] = _repr(want)
                ok, why = _same(got, want, case.get("tol"))
                record["passed"] = ok
                if not ok and why:
                    record["why"] = why
        except BaseException as err:
            record["error"] = _describe(err, SOLUTION)
            record["etype"] = type(err).__name__
            if kind == "value":
                record["expected"] = _repr(want)
        emit(record)
    with contextlib.suppress(BaseException):
        sys.stdout.flush()
        sys.stderr.flush()
    emit({"t": "done"})
    _exit()


def _exit() -> None:
    with contextlib.suppress(BaseException):
        sys.stdout.flush()
    os._exit(0)  # candidate threads, atexit handlers and __del__ do not get to run


# ---------------------------------------------------------------- limits and the audit hook


def _set_limits(limits: dict) -> None:
    def cap(which: int, soft: int, hard: int | None = None) -> None:
        hard = soft if hard is None else hard
        try:
            _, old_hard = resource.getrlimit(which)
            if old_hard != resource.RLIM_INFINITY:
                soft, hard = min(soft, old_hard), min(hard, old_hard)
            resource.setrlimit(which, (soft, hard))
        except (ValueError, OSError):
            pass

    mb = 1024 * 1024
    cap(resource.RLIMIT_AS, int(limits["memory_mb"]) * mb)
    cpu = math.ceil(limits["cpu_seconds"])
    cap(resource.RLIMIT_CPU, cpu, cpu + 1)
    cap(resource.RLIMIT_FSIZE, int(limits["file_bytes"]))
    cap(resource.RLIMIT_NOFILE, 64)
    cap(resource.RLIMIT_CORE, 0)


_BLOCKED_PREFIXES = ("socket.", "ctypes.dlopen", "ctypes.dlsym", "ctypes.call_function")
_BLOCKED = frozenset(
    {
        "subprocess.Popen",
        "os.system",
        "os.posix_spawn",
        "os.spawn",
        "os.fork",
        "os.forkpty",
        "os.kill",
        "os.killpg",
        "os.exec",
        "os.startfile",
        "pty.spawn",
        "signal.pthread_kill",
        "resource.setrlimit",
        "resource.prlimit",
        "sys.addaudithook",
        "os.chroot",
    }
)
_PATH_EVENTS = frozenset(
    {
        "os.remove",
        "os.rmdir",
        "os.rename",
        "os.truncate",
        "os.chmod",
        "os.chown",
        "os.link",
        "os.symlink",
        "os.mkdir",
        "os.utime",
        "shutil.rmtree",
        "shutil.move",
        "shutil.copyfile",
    }
)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def _install_audit_hook(workdir: str) -> None:
    """Refuse network, new processes, signals and writes outside the work dir from now on."""
    root = os.path.realpath(workdir) + os.sep
    realpath = os.path.realpath
    fspath = os.fspath
    allowed_files = {os.devnull}

    def inside(path: object) -> bool:
        if isinstance(path, int):
            return True  # an fd already open
        try:
            full = realpath(fspath(path))
        except (TypeError, ValueError):
            return False
        if isinstance(full, bytes):
            full = full.decode("utf-8", "replace")
        return full.startswith(root) or full in allowed_files

    def hook(event: str, args: tuple) -> None:
        if event in _BLOCKED or event.startswith(_BLOCKED_PREFIXES):
            if event.startswith("socket."):
                raise PermissionError("network access is disabled in the sandbox")
            raise PermissionError(f"{event} is not allowed in the sandbox")
        if event == "open" and args:
            path, mode, flags = [*args, None, None][:3]
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags > 0 and flags & _WRITE_FLAGS
            )
            if writing and not inside(path):
                raise PermissionError("writing outside the working directory is not allowed")
        elif event in _PATH_EVENTS:
            for path in args[:2]:
                if isinstance(path, (str, bytes, os.PathLike)) and not inside(path):
                    raise PermissionError(f"{event} outside the working directory is not allowed")

    sys.addaudithook(hook)


# ---------------------------------------------------------------- running one case


def _namespace(setup: str, filename: str) -> dict:
    namespace: dict = {"__name__": "__main__", "__builtins__": __builtins__}
    if setup:
        exec(compile(setup, filename, "exec"), namespace)
    return namespace


def _seed() -> None:
    random.seed(0)
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed(0)


def _call(call: str, namespace: dict) -> tuple[object, tuple]:
    """Evaluate the call; a plain `f(a, *b, k=c)` also yields its positional arguments (as they
    are after the call, so a check can see whether the code mutated them)."""
    tree = ast.parse(call.strip(), "<test>", "eval")
    node = tree.body
    if not isinstance(node, ast.Call):
        return eval(compile(tree, "<test>", "eval"), namespace), ()

    def value(expr: ast.expr) -> object:
        return eval(compile(ast.Expression(expr), "<test>", "eval"), namespace)

    func = value(node.func)
    args: list = []
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            args.extend(value(arg.value))  # type: ignore[arg-type]
        else:
            args.append(value(arg))
    kwargs: dict = {}
    for keyword in node.keywords:
        if keyword.arg is None:
            kwargs.update(value(keyword.value))  # type: ignore[arg-type]
        else:
            kwargs[keyword.arg] = value(keyword.value)
    return func(*args, **kwargs), tuple(args)


def _describe(err: BaseException, filename: str) -> str:
    """'ZeroDivisionError: division by zero (line 7)', the line in the candidate's code."""
    line = None
    for frame, lineno in traceback.walk_tb(err.__traceback__):
        if frame.f_code.co_filename == filename:
            line = lineno
    if isinstance(err, SystemExit):
        text = "SystemExit: the code called exit()"
    elif isinstance(err, RecursionError):
        text = f"RecursionError: {err} (unbounded recursion?)"
    elif isinstance(err, MemoryError):
        text = "MemoryError: ran out of memory"
    else:
        message = str(err)
        if len(message) > 300:
            message = message[:300] + "..."
        text = f"{type(err).__name__}: {message}" if message else type(err).__name__
    return f"{text} (line {line})" if line else text


def _repr(value: object) -> str:
    numpy = sys.modules.get("numpy")
    try:
        if numpy is not None:
            with numpy.printoptions(threshold=50, edgeitems=3, precision=6):
                text = repr(value)
        else:
            text = repr(value)
    except BaseException as err:
        text = f"<unprintable {type(value).__name__}: {type(err).__name__}>"
    if len(text) > REPR_LIMIT:
        text = text[:REPR_LIMIT] + "..."
    return text


# ---------------------------------------------------------------- comparison


def _same(got: object, want: object, tol: float | None, depth: int = 0) -> tuple[bool, str]:
    """(equal?, why not). Arrays: shape then allclose; floats: isclose; containers: recursive."""
    if depth > 50:
        return got == want, ""
    numpy = sys.modules.get("numpy")
    tol_f = 1e-6 if tol is None else tol
    if numpy is not None and (isinstance(want, numpy.ndarray) or isinstance(got, numpy.ndarray)):
        try:
            got_a, want_a = numpy.asarray(got), numpy.asarray(want)
        except Exception:
            return False, f"expected an array, got {type(got).__name__}"
        if got_a.shape != want_a.shape:
            return False, f"shape {got_a.shape}, expected {want_a.shape}"
        numeric = "biufc"
        if got_a.dtype.kind in numeric and want_a.dtype.kind in numeric:
            if want_a.dtype.kind in "fc" or got_a.dtype.kind in "fc":
                ok = bool(numpy.allclose(got_a, want_a, rtol=tol_f, atol=tol_f, equal_nan=True))
            else:
                ok = bool(numpy.array_equal(got_a, want_a))
            return ok, "" if ok else "values differ"
        try:
            return bool(numpy.array_equal(got_a, want_a)), ""
        except Exception:
            return False, ""
    if _is_number(want) and _is_number(got):
        if _is_bool(want) or _is_bool(got):
            return _is_bool(want) and _is_bool(got) and bool(got) == bool(want), ""
        if _is_float(want) or _is_float(got):
            g, w = complex(got), complex(want)
            if math.isnan(w.real) and math.isnan(g.real):
                return True, ""
            return abs(g - w) <= tol_f + tol_f * abs(w), ""
        return got == want, ""
    if isinstance(want, (list, tuple)) and isinstance(got, (list, tuple)):
        if len(got) != len(want):
            return False, f"length {len(got)}, expected {len(want)}"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            ok, why = _same(g, w, tol, depth + 1)
            if not ok:
                return False, f"item {i}: {why}" if why else f"item {i} differs"
        return True, ""
    if isinstance(want, dict) and isinstance(got, dict):
        if set(got) != set(want):
            return False, f"keys {sorted(map(str, got))}, expected {sorted(map(str, want))}"
        for key in want:
            ok, why = _same(got[key], want[key], tol, depth + 1)
            if not ok:
                return False, f"[{key!r}]: {why}" if why else f"[{key!r}] differs"
        return True, ""
    try:
        return bool(got == want), ""
    except Exception:
        return False, ""


def _is_number(value: object) -> bool:
    numpy = sys.modules.get("numpy")
    if isinstance(value, (int, float, complex)):
        return True
    return numpy is not None and isinstance(value, numpy.number | numpy.bool_)


def _is_bool(value: object) -> bool:
    numpy = sys.modules.get("numpy")
    return isinstance(value, bool) or (numpy is not None and isinstance(value, numpy.bool_))


def _is_float(value: object) -> bool:
    numpy = sys.modules.get("numpy")
    if isinstance(value, (float, complex)):
        return True
    return numpy is not None and isinstance(value, numpy.floating | numpy.complexfloating)


if __name__ == "__main__":
    _main()
