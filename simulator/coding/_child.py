"""The sandboxed side of the runner: `python -I -u _child.py RESULT_FD LIFELINE_FD`.

Three processes, so that candidate code never shares a uid or a PID namespace with anything
it could harm:

- the keeper (this script as started, root when onsite runs as root): enters a new mount and
  PID namespace when the machine allows it, starts the init, then waits. When the lifeline
  pipe closes (onsite finished with this run, or onsite died in any way) it kills the init,
  which takes every process of the namespace with it.
- the init (PID 1 of the new namespace, still privileged): mounts private size-limited tmpfs
  over /tmp, /var/tmp, /run/lock and /dev/shm and a fresh /proc (onsite's processes are not
  in it), makes the work directory, starts the runner and waits for it.
- the runner: drops to a uid/gid of its own (no supplementary groups, no new privileges,
  RLIMIT_NPROC), reads one JSON payload from stdin, sets the run's rlimits, installs the audit
  hook (a second layer), then runs the code and the jobs. For each job it writes one JSON line
  to RESULT_FD: the call's return value as plain data (or the exception text), never a
  verdict: the parent compares it with expected values this process never sees.

Only the standard library is imported here; numpy comes with the problem's setup. This file
is not imported by the parent, except by the benchmark for its helpers.
"""

import ast
import base64
import contextlib
import ctypes
import json
import math
import os
import random
import resource
import select
import signal
import sys
import traceback

TYPE_CHECKING = False
if TYPE_CHECKING:  # the checker's names only: the sandbox imports nothing beyond what it uses
    from typing import Any

SOLUTION = "<solution>"
ENCODE_DEPTH = 64
ENCODE_NODES = 2_000_000
TMPFS_BYTES = 64 * 1024 * 1024
"""The private /tmp (the work directory included): the run's disk limit."""
NPROC = 32
"""Processes and threads the sandbox uid may have."""

CLONE_NEWNS = 0x00020000
CLONE_NEWPID = 0x20000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
MS_NOSUID, MS_NODEV, MS_NOEXEC = 0x2, 0x4, 0x8
MS_BIND, MS_REC, MS_PRIVATE = 0x1000, 0x4000, 0x40000
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_SET_DUMPABLE = 1, 38, 4


# ---------------------------------------------------------------- keeper and init


class _Isolation:
    """What this machine allows, decided once in the keeper."""

    def __init__(self) -> None:
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.root = os.geteuid() == 0
        self.namespaces = False
        # A uid no other process has: the sandbox cannot signal or read anyone else's
        # processes, and RLIMIT_NPROC counts only its own.
        self.uid = 2_000_000 + int.from_bytes(os.urandom(3)) if self.root else os.getuid()

    def enter_namespaces(self) -> None:
        flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET  # a network namespace: no interfaces
        if self.root:
            ok = self.libc.unshare(flags) == 0
        else:  # an unprivileged user namespace, where the kernel permits one
            uid, gid = os.getuid(), os.getgid()
            ok = self.libc.unshare(flags | CLONE_NEWUSER) == 0
            if ok:
                try:
                    _write("/proc/self/setgroups", "deny")
                    _write("/proc/self/uid_map", f"{uid} {uid} 1")
                    _write("/proc/self/gid_map", f"{gid} {gid} 1")
                except OSError:
                    ok = False
        if ok:
            # Private propagation first: nothing mounted here may reach the host.
            ok = self._mount(None, "/", None, MS_REC | MS_PRIVATE, None)
        self.namespaces = ok

    def _mount(self, source, target, fstype, flags, data) -> bool:
        def enc(s):
            return None if s is None else s.encode()

        return self.libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)) == 0

    def private_mounts(self) -> None:
        """In the init: private tmpfs over every world-writable place, a /proc of our own."""
        if not self.namespaces:
            return
        safe = MS_NOSUID | MS_NODEV
        for path, size in (
            ("/tmp", TMPFS_BYTES),
            ("/var/tmp", 1 << 20),
            ("/run/lock", 1 << 20),
            ("/dev/shm", 1 << 20),
        ):
            if os.path.isdir(path):
                self._mount("tmpfs", path, "tmpfs", safe, f"size={size},mode=1777")
        self._mount("proc", "/proc", "proc", safe | MS_NOEXEC, None)
        if self.root:
            self._expose_interpreter()

    def _expose_interpreter(self) -> None:
        """The sandbox uid must read the interpreter's files even when they live under a
        private folder (e.g. /root/.pyenv): here only, a tmpfs hides that folder and the
        interpreter's directories are bound back into it."""
        hidden: dict[str, set[str]] = {}
        for path in {sys.base_prefix, sys.prefix, *sys.path}:
            real = os.path.realpath(path)
            if not os.path.isdir(real):
                continue
            current = ""
            for part in real.strip("/").split("/"):
                current += "/" + part
                if not os.stat(current).st_mode & 0o001 and current != real:
                    hidden.setdefault(current, set()).add(real)
                    break
        for n, (folder, inner) in enumerate(hidden.items()):
            staged = []
            for i, path in enumerate(sorted(inner)):
                stage = f"/tmp/.stage-{n}-{i}"
                os.mkdir(stage)
                if self._mount(path, stage, None, MS_BIND | MS_REC, None):
                    staged.append((stage, path))
            if not self._mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755"):
                continue
            for stage, path in staged:
                os.makedirs(path, exist_ok=True)
                self._mount(stage, path, None, MS_BIND | MS_REC, None)
                self.libc.umount2(stage.encode(), MNT_DETACH)
                os.rmdir(stage)

    def work_dir(self, given: str) -> str:
        """The namespaced /tmp is empty and private: the work dir goes there."""
        path = "/tmp/work" if self.namespaces and os.path.isdir("/tmp") else given
        os.makedirs(path, mode=0o700, exist_ok=True)
        if self.root:
            os.chown(path, self.uid, self.uid)
        return path

    def drop_privileges(self) -> None:
        """In the runner, before any payload: its own uid, no way back."""
        _cap(resource.RLIMIT_NPROC, NPROC)
        _cap(resource.RLIMIT_CORE, 0)
        if self.root:
            os.setgroups([])
            try:
                os.setresgid(self.uid, self.uid, self.uid)
                os.setresuid(self.uid, self.uid, self.uid)
            except OSError:  # a uid outside this container's range
                self.uid = 65534
                os.setresgid(65534, 65534, 65534)
                os.setresuid(65534, 65534, 65534)
        else:  # in a user namespace we hold every capability there: give them all up
            header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
            if self.libc.capset(header, (ctypes.c_uint32 * 6)()) != 0:
                raise OSError(ctypes.get_errno(), "capset failed")
        self.libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        # After the uid change, which clears it: die when the init dies.
        self.libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)

    def reap_uid(self) -> None:
        """Without a PID namespace, processes that left the process group are found by uid."""
        if self.namespaces or not self.root:
            return
        for _ in range(5):
            found = False
            for entry in os.listdir("/proc"):
                if not entry.isdigit():
                    continue
                try:
                    if os.stat(f"/proc/{entry}").st_uid == self.uid:
                        os.kill(int(entry), signal.SIGKILL)
                        found = True
                except OSError:
                    continue
            if not found:
                return


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def _main() -> None:
    result_fd, lifeline_fd = int(sys.argv[1]), int(sys.argv[2])
    preload = "--preload-numpy" in sys.argv[3:]
    isolation = _Isolation()
    isolation.enter_namespaces()
    given_dir = os.getcwd()
    init = os.fork()
    if init == 0:
        os.close(lifeline_fd)
        _init(isolation, result_fd, preload, given_dir)
    _keep(isolation, init, lifeline_fd, result_fd)


def _quiet_std_streams() -> None:
    """The keeper and the init hold no end of the output pipes, so only the runner's close
    ends the parent's reading."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


def _keep(isolation: _Isolation, init: int, lifeline_fd: int, result_fd: int) -> None:
    os.close(result_fd)
    _quiet_std_streams()
    _cap(resource.RLIMIT_CORE, 0)
    pidfd = os.pidfd_open(init)
    ready, _, _ = select.select([lifeline_fd, pidfd], [], [])
    if pidfd not in ready:  # the lifeline closed: onsite is done with this run, or died
        with contextlib.suppress(ProcessLookupError):
            os.kill(init, signal.SIGKILL)
    _, status = os.waitpid(init, 0)
    isolation.reap_uid()
    code = os.waitstatus_to_exitcode(status)
    if code > 128 and not os.WIFSIGNALED(status):  # the init reports a signal as 128 + N
        code = -(code - 128)
    if code < 0:  # die of the same signal, so the parent sees what killed the code
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    os._exit(code)


def _init(isolation: _Isolation, result_fd: int, preload: bool, given_dir: str) -> None:
    try:
        isolation.libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        isolation.private_mounts()
        workdir = isolation.work_dir(given_dir)
    except BaseException as err:
        _emit_raw(result_fd, {"t": "internal", "msg": f"sandbox set-up failed: {err}"})
        os._exit(1)
    runner = os.fork()
    if runner == 0:
        try:
            os.chdir(workdir)
            isolation.drop_privileges()
        except BaseException as err:
            _emit_raw(result_fd, {"t": "internal", "msg": f"dropping privileges failed: {err}"})
            os._exit(1)
        del isolation
        _run(result_fd, preload)
    os.close(result_fd)
    _quiet_std_streams()
    while True:  # as PID 1, reap every orphan until the runner ends
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            os._exit(1)
        if pid == runner:
            break
    # The init cannot kill itself with a signal: 128 + N tells the keeper which one.
    os._exit(
        128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else min(os.WEXITSTATUS(status), 127)
    )


def _emit_raw(fd: int, record: dict) -> None:
    with contextlib.suppress(OSError):
        os.write(fd, (json.dumps(record) + "\n").encode())


# ---------------------------------------------------------------- the runner


def _run(result_fd: int, preload: bool) -> None:
    if preload:
        # A spare started ahead of time: pay numpy's import while nobody waits.
        with contextlib.suppress(ImportError):
            import numpy  # noqa: F401
    payload = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    sys.stdin = open(os.devnull)  # noqa: SIM115 - the candidate's input() gets EOF
    _set_limits(payload["limits"])

    write = os.write
    dumps = json.dumps

    def emit(record: dict) -> None:
        try:
            data = (dumps(record) + "\n").encode("utf-8", "replace")
        except (ValueError, TypeError, RecursionError) as err:
            data = (
                dumps(
                    {
                        "t": record.get("t"),
                        "index": record.get("index"),
                        "error": f"the result could not be sent: {err}",
                    }
                )
                + "\n"
            ).encode()
        while data:
            data = data[write(result_fd, data) :]

    # 1. The code must at least compile.
    try:
        solution = compile(payload["code"], SOLUTION, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, OverflowError, MemoryError, RecursionError) as err:
        emit(
            {
                "t": "syntax",
                "type": type(err).__name__,
                "msg": getattr(err, "msg", None) or str(err),
                "line": getattr(err, "lineno", None),
                "text": (getattr(err, "text", None) or "").strip()[:200],
            }
        )
        emit({"t": "done"})
        _exit()

    # 2. The problem's setup (trusted), then the audit hook, then the code.
    try:
        namespace = _namespace(payload["setup"], "<setup>")
    except BaseException as err:
        emit({"t": "internal", "msg": f"setup: {_describe(err, '<setup>')}"})
        emit({"t": "done"})
        _exit()
    if payload.get("audit", True):  # off only in tests of the OS boundary on its own
        _install_audit_hook(os.getcwd())
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

    # 3. One record per job: the return value as plain data, or the exception.
    for index, job in enumerate(payload["jobs"]):
        if job.get("skip"):
            continue
        record: dict = {"t": "case", "index": index}
        value: object
        args: tuple[object, ...]
        try:
            _seed()
            if "eval" in job:
                value, args = eval(job["eval"], namespace), ()
            else:
                value, args = _call(job["call"], namespace)
            record["value"] = encode(value)
            if job.get("args"):
                record["args"] = [encode(arg) for arg in args]
        except BaseException as err:
            record = {
                "t": "case",
                "index": index,
                "error": _describe(err, SOLUTION),
                "etype": type(err).__name__,
            }
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


# ---------------------------------------------------------------- plain data


class _TooLarge(Exception):
    pass


def encode(value: object) -> object:
    """A JSON-able form of a return value. Only exact built-in types and NumPy arrays and
    scalars are carried; anything else (a class of the candidate's, a subclass of list with
    its own __eq__...) becomes {"$": "unsupported"}, which the parent scores as failing."""
    budget = [ENCODE_NODES]
    try:
        return _encode(value, 0, budget)
    except _TooLarge:
        return {"$": "unsupported", "type": "a value too large to compare"}


def _encode(value: "Any", depth: int, budget: list) -> object:
    # `value` is whatever the candidate's code returned; the checks of `kind` below say what.
    budget[0] -= 1
    if budget[0] < 0 or depth > ENCODE_DEPTH:
        raise _TooLarge
    kind = type(value)
    if value is None or kind in (bool, int, float, str):
        return value
    if kind is list:
        return [_encode(v, depth + 1, budget) for v in value]
    if kind is tuple:
        return {"$": "tuple", "v": [_encode(v, depth + 1, budget) for v in value]}
    if kind is dict:
        items = list(value.items())
        return {
            "$": "dict",
            "v": [[_encode(k, depth + 1, budget), _encode(v, depth + 1, budget)] for k, v in items],
        }
    if kind in (set, frozenset):
        return {"$": kind.__name__, "v": [_encode(v, depth + 1, budget) for v in value]}
    if kind is complex:
        return {"$": "complex", "v": [value.real, value.imag]}
    if kind is bytes:
        return {"$": "bytes", "v": base64.b64encode(value).decode()}
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        if kind is numpy.ndarray:
            dtype = value.dtype
            if dtype.kind not in "biufcUS":
                return {"$": "unsupported", "type": f"numpy.ndarray of dtype {dtype}"}
            budget[0] -= int(value.size)
            if budget[0] < 0:
                raise _TooLarge
            data = value.tolist()
            if dtype.kind in "cS":
                data = _encode(data, depth + 1, budget)
            return {"$": "ndarray", "dtype": dtype.str, "shape": list(value.shape), "v": data}
        if isinstance(value, numpy.generic) and kind.__module__ == "numpy":
            dtype = value.dtype
            if dtype.kind not in "biufcUS":
                return {"$": "unsupported", "type": f"numpy scalar of dtype {dtype}"}
            item = value.item()
            return {"$": "npscalar", "dtype": dtype.str, "v": _encode(item, depth + 1, budget)}
    return {"$": "unsupported", "type": f"{kind.__module__}.{kind.__qualname__}"}


# ---------------------------------------------------------------- limits and the audit hook


def _cap(which: int, soft: int, hard: int | None = None) -> None:
    hard = soft if hard is None else hard
    try:
        _, old_hard = resource.getrlimit(which)
        if old_hard != resource.RLIM_INFINITY:
            soft, hard = min(soft, old_hard), min(hard, old_hard)
        resource.setrlimit(which, (soft, hard))
    except (ValueError, OSError):
        pass


def _set_limits(limits: dict) -> None:
    mb = 1024 * 1024
    _cap(resource.RLIMIT_AS, int(limits["memory_mb"]) * mb)
    cpu = math.ceil(limits["cpu_seconds"])
    _cap(resource.RLIMIT_CPU, cpu, cpu + 1)
    _cap(resource.RLIMIT_FSIZE, int(limits["file_bytes"]))
    _cap(resource.RLIMIT_NOFILE, 64)
    _cap(resource.RLIMIT_CORE, 0)


def _install_audit_hook(workdir: str) -> None:
    """Refuse network, new processes, signals and writes outside the work dir from now on.

    A second layer behind the uid and the namespaces. Its state lives only in this closure,
    captured as immutable values at install time: there is no module global to reassign, and
    the gc introspection that could reach the closure is refused."""
    root = os.path.realpath(workdir) + os.sep
    blocked = frozenset(
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
            "signal.pidfd_send_signal",
            "os.pidfd_open",
            "resource.setrlimit",
            "resource.prlimit",
            "sys.addaudithook",
            "os.chroot",
            "gc.get_objects",
            "gc.get_referrers",
            "gc.get_referents",
            "sys.setprofile",
            "sys.settrace",
            "os.setuid",
            "os.setgid",
        }
    )
    blocked_prefixes = ("socket.", "ctypes.", "os.exec", "os.spawn", "os.posix_spawn")
    blocked_modules = frozenset({"_posixsubprocess", "_ctypes", "ctypes"})
    # event -> positions of its path arguments and of its dir_fd arguments
    path_events = {
        "os.remove": ((0,), (1,)),
        "os.rmdir": ((0,), (1,)),
        "os.rename": ((0, 1), (2, 3)),
        "os.link": ((0, 1), (2, 3)),
        "os.symlink": ((1,), (2,)),
        "os.mkdir": ((0,), (2,)),
        "os.chmod": ((0,), (2,)),
        "os.chown": ((0,), (3,)),
        "os.utime": ((0,), (3,)),
        "os.truncate": ((0,), ()),
        "shutil.rmtree": ((0,), ()),
        "shutil.move": ((0, 1), ()),
        "shutil.copyfile": ((0, 1), ()),
        "os.mkfifo": ((0,), (2,)),
        "os.mknod": ((0,), (3,)),
    }
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    realpath, isdir, devnull, fspath = os.path.realpath, os.path.isdir, os.devnull, os.fspath
    path_types = (str, bytes)

    def resolved(path: "Any") -> str | None:  # an audit event's argument: anything at all
        if type(path).__module__ == "pathlib":
            path = fspath(path)
        if type(path) not in path_types:  # never call a candidate's __fspath__ from here
            return None
        try:
            full = realpath(path)
        except (TypeError, ValueError, OSError):
            return None
        return full.decode("utf-8", "replace") if isinstance(full, bytes) else full

    def inside(full: str | None) -> bool:
        return full is not None and (full.startswith(root) or full == devnull)

    def hook(event: str, args: tuple) -> None:
        if event in blocked or event.startswith(blocked_prefixes):
            if event.startswith("socket."):
                raise PermissionError("network access is disabled in the sandbox")
            raise PermissionError(f"{event} is not allowed in the sandbox")
        if event == "import" and args and args[0] in blocked_modules:
            raise PermissionError(f"importing {args[0]} is not allowed in the sandbox")
        if event == "open" and args:
            path, mode, flags = [*args, None, None][:3]
            if isinstance(path, int):
                return  # an fd already open
            full = resolved(path)
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags > 0 and flags & write_flags
            )
            if writing and not inside(full):
                raise PermissionError("writing outside the working directory is not allowed")
            # a directory fd outside would let dir_fd= calls reach anywhere
            if full is not None and not inside(full) and isdir(full) and full + os.sep != root:
                raise PermissionError(
                    "opening directories outside the working directory is not allowed"
                )
        elif event in path_events:
            paths, dir_fds = path_events[event]
            for i in dir_fds:
                if i < len(args) and args[i] not in (None, -1):
                    raise PermissionError(f"{event} with dir_fd is not allowed in the sandbox")
            for i in paths:
                if i < len(args) and not isinstance(args[i], int) and not inside(resolved(args[i])):
                    raise PermissionError(f"{event} outside the working directory is not allowed")

    # _posixsubprocess.fork_exec raises no audit event: replace it; re-importing the module
    # (after removing it from sys.modules) raises the "import" event refused above.
    import _posixsubprocess

    def refused(*args: object, **kwargs: object) -> None:
        raise PermissionError("starting processes is not allowed in the sandbox")

    # A deliberate replacement by a function of another signature; the stubs cannot allow it.
    _posixsubprocess.fork_exec = refused  # type: ignore[assignment]
    if "subprocess" in sys.modules:
        # A private name the stubs do not list.
        sys.modules["subprocess"]._fork_exec = refused  # type: ignore[attr-defined]
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

    def value(expr: ast.expr) -> "Any":  # whatever the test's expression evaluates to
        return eval(compile(ast.Expression(expr), "<test>", "eval"), namespace)

    func = value(node.func)
    args: list = []
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            args.extend(value(arg.value))
        else:
            args.append(value(arg))
    kwargs: dict = {}
    for keyword in node.keywords:
        if keyword.arg is None:
            kwargs.update(value(keyword.value))
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
        try:
            message = str(err)
        except BaseException:
            message = "<unprintable>"
        if len(message) > 300:
            message = message[:300] + "..."
        text = f"{type(err).__name__}: {message}" if message else type(err).__name__
    return f"{text} (line {line})" if line else text


if __name__ == "__main__":
    _main()
