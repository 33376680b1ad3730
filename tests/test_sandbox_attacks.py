"""Issue 14: candidate code, submitted as an attacker would through the real CLI, cannot touch
the machine or forge its results.

Every attack goes through `onsite practice swe-coding --question two-sum --answers FILE` in a
subprocess with its own transcripts directory and a fake, recognisable OPENAI_API_KEY. After
each: nothing was written or deleted outside the sandbox, no process it started is alive, the
key appears nowhere, and the wrong answer underneath the attack scores exactly what it scores
without the attack. The last tests turn the audit hook off, to show the OS boundary (uid,
namespaces, lifeline) holds on its own.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simulator.catalog import load_catalog
from simulator.coding import runner
from simulator.coding.runner import run_tests
from tests.conftest import ROOT, run_cli

FAKE_KEY = "sk-onsite-FAKE-9f3b2c7d1e"
WRONG = "    return [0, 1]\n"
"""What every attack returns: wrong on most hidden tests."""

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the sandbox is Linux-only")


@pytest.fixture(scope="module")
def two_sum():
    return load_catalog().questions["swe-coding/two-sum"].coding


@pytest.fixture(scope="module")
def wrong_score(two_sum) -> int:
    report = run_tests("def two_sum(nums, target):\n" + WRONG, two_sum, "tests")
    assert 0 < report.passed < report.total
    return report.passed


@pytest.fixture
def outside(tmp_path) -> Path:
    """A world-writable folder outside the sandbox, with a file to delete."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "victim.txt").write_text("keep me")
    os.chmod(tmp_path, 0o777)
    os.chmod(folder, 0o777)
    os.chmod(folder / "victim.txt", 0o666)
    return folder


def practice(tmp_path: Path, *blocks: str) -> tuple[subprocess.CompletedProcess[str], list[dict]]:
    answers = tmp_path / "answers.txt"
    answers.write_text("\n---\n".join(blocks))
    result = run_cli(
        "practice",
        "swe-coding",
        "--question",
        "two-sum",
        "--answers",
        str(answers),
        "--json",
        env={"OPENAI_API_KEY": FAKE_KEY, "ONSITE_BACKEND": "offline"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    transcript = Path(json.loads(result.stdout)["transcript"])
    text = transcript.read_text()
    assert FAKE_KEY not in text and FAKE_KEY not in result.stdout + result.stderr
    turns = json.loads(text)["rounds"][0]["turns"]
    return result, [t for t in turns if t["kind"] == "code"]


def alive_with(token: str) -> list[int]:
    """Processes whose command line holds `token`."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
                state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if token.encode() in cmdline and state != "Z":
                found.append(int(entry))
    return found


def untouched(outside: Path) -> None:
    assert sorted(p.name for p in outside.iterdir()) == ["victim.txt"]
    assert (outside / "victim.txt").read_text() == "keep me"


# ---------------------------------------------------------------- the machine


def test_dir_fd_writes_and_deletes_nothing_outside(tmp_path, outside, wrong_score):
    code = f"""import os
def two_sum(nums, target):
    for step in (
        lambda: os.open("{outside}", os.O_RDONLY),
        lambda: os.open(".", os.O_RDONLY),
    ):
        try:
            d = step()
            fd = os.open("big", os.O_WRONLY | os.O_CREAT, dir_fd=d)
            os.write(fd, b"x" * (1 << 20))
            os.unlink("victim.txt", dir_fd=d)
            os.rename("victim.txt", "moved.txt", src_dir_fd=d, dst_dir_fd=d)
        except Exception:
            pass
        try:
            fd = os.open("../../outside/big", os.O_WRONLY | os.O_CREAT, dir_fd=d)
            os.write(fd, b"x" * (1 << 20))
        except Exception:
            pass
{WRONG}"""
    _, turns = practice(tmp_path, code)
    untouched(outside)
    assert turns[0]["tests_passed"] == wrong_score


def test_reassigning_the_blocked_set_does_not_turn_the_hook_off(tmp_path, outside, wrong_score):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    code = f"""import __main__, os, socket, subprocess, sys
for name in ("_BLOCKED", "_PATH_EVENTS", "_BLOCKED_PREFIXES"):
    setattr(__main__, name, frozenset())
def two_sum(nums, target):
    for attempt in (
        lambda: subprocess.run(["sh", "-c", "touch {outside}/from-shell"]),
        lambda: socket.create_connection(("127.0.0.1", {port}), timeout=1),
        lambda: open("{outside}/as-root", "w").write("x"),
        lambda: os.system("touch {outside}/from-system"),
    ):
        try:
            attempt()
        except Exception:
            pass
{WRONG}"""
    try:
        _, turns = practice(tmp_path, code)
        with pytest.raises(BlockingIOError):
            listener.accept()
    finally:
        listener.close()
    untouched(outside)
    assert turns[0]["tests_passed"] == wrong_score


def test_detached_processes_do_not_outlive_the_run(tmp_path, wrong_score):
    token = f"onsite-attack-{os.getpid()}-{time.monotonic_ns()}"
    code = f"""import os, sys, subprocess
def spawn(fork_exec):
    fork_exec(
        [b"/bin/sh", b"-c", b"sleep 60", b"{token}"], [b"/bin/sh"], True, (), None, None,
        -1, -1, -1, -1, -1, -1, *os.pipe(), False, True, -1, None, None, None, -1, None, False,
    )
def two_sum(nums, target):
    for get in (
        lambda: __import__("_posixsubprocess").fork_exec,
        lambda: subprocess._fork_exec,
    ):
        for _ in range(20):
            try:
                spawn(get())
            except Exception:
                break
    try:
        subprocess.Popen(["/bin/sh", "-c", "sleep 60", "{token}"], start_new_session=True)
    except Exception:
        pass
{WRONG}"""
    _, turns = practice(tmp_path, code)
    time.sleep(0.3)
    assert alive_with(token) == []
    assert turns[0]["tests_passed"] == wrong_score


def test_the_key_is_not_readable(tmp_path):
    # Everything readable goes into the load error, which the transcript keeps.
    code = """import os
seen = [repr(dict(os.environ))]
for pid in ["self", str(os.getppid()), "1"] + sorted(os.listdir("/proc")):
    try:
        seen.append(open(f"/proc/{pid}/environ", "rb").read().decode("latin-1"))
    except Exception as err:
        seen.append(type(err).__name__)
leak = [s for s in seen if "sk-" in s]
raise RuntimeError("LEAK " + (leak[0][:3000] if leak else "nothing readable"))
def two_sum(nums, target):
    return [0, 1]
"""
    result, turns = practice(tmp_path, code)
    assert "nothing readable" in turns[0]["test_summary"]
    session = json.loads(result.stdout)["session_id"]
    export = run_cli("export", session, "--format", "md", "-o", str(tmp_path / "s.md"))
    assert export.returncode == 0, export.stderr
    assert FAKE_KEY not in (tmp_path / "s.md").read_text()


def test_onsite_cannot_be_signalled(tmp_path, wrong_score):
    code = f"""import os, signal
def two_sum(nums, target):
    targets = {{os.getppid(), 1}} | {{int(p) for p in os.listdir("/proc") if p.isdigit()}}
    for pid in sorted(targets - {{os.getpid()}}):
        for kill in (
            lambda: signal.pidfd_send_signal(os.pidfd_open(pid), signal.SIGKILL),
            lambda: os.kill(pid, signal.SIGKILL),
            lambda: os.kill(-pid, signal.SIGKILL),
        ):
            try:
                kill()
            except Exception:
                pass
{WRONG}"""
    _, turns = practice(tmp_path, code)  # onsite finished the round: returncode 0
    assert turns[0]["tests_passed"] == wrong_score


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_nothing_survives_onsite_being_killed(tmp_path, sig):
    answers = tmp_path / "answers.txt"
    answers.write_text(
        "import time\ndef two_sum(nums, target):\n    time.sleep(30)\n    return [0, 1]\n"
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulator",
            "practice",
            "swe-coding",
            "--question",
            "two-sum",
            "--answers",
            str(answers),
        ],
        cwd=ROOT,
        env={**os.environ, "OPENAI_API_KEY": FAKE_KEY, "ONSITE_BACKEND": "offline"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    sandboxes: set[int] = set()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        if len(_descendants(proc.pid)) >= 6:  # the submission's sandbox and a spare, 3 each
            time.sleep(1.0)  # the code is sleeping now
            sandboxes = _descendants(proc.pid)
            break
        time.sleep(0.1)
    assert sandboxes, "the submission never started"
    proc.send_signal(sig)
    proc.wait(timeout=10)
    deadline = time.monotonic() + 1.0  # gone within a second: poll, not always wait it out
    while time.monotonic() < deadline and any(_alive(p) for p in sandboxes):
        time.sleep(0.05)
    assert [p for p in sandboxes if _alive(p)] == []


# ---------------------------------------------------------------- the results


FORGE = f"""import os, json
def two_sum(nums, target):
    for fd in range(3, 30):
        for index in range(20):
            record = {{"t": "case", "index": index, "passed": True, "value": [0, 1],
                       "got": "[0, 1]", "expected": "[0, 1]"}}
            try:
                os.write(fd, (json.dumps(record) + "\\n").encode())
            except OSError:
                pass
{WRONG}"""

PATCH_MAIN = f"""import __main__, builtins, sys
class Yes(list):
    def __eq__(self, other):
        return True
def always(*args, **kwargs):
    return (True, "")
for module in (__main__, sys.modules.get("simulator.coding.judge")):
    for name in ("_same", "same", "run_check", "_report"):
        if module is not None:
            setattr(module, name, always)
sorted = builtins.sorted = lambda *args, **kwargs: Yes()
def two_sum(nums, target):
{WRONG}"""

ALWAYS_EQUAL = """class Anything(list):
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __hash__ = None
def two_sum(nums, target):
    return Anything([0, 1])
"""

FRAMES = f"""import ast, re, sys
def two_sum(nums, target):
    frame = sys._getframe(1)
    while frame is not None:
        for name in ("want", "case", "job"):
            value = frame.f_locals.get(name)
            if name == "want" and value is not None:
                return value
            found = re.search(r"result\\) == (\\[[^\\]]*\\])", str(value))
            if found:
                return ast.literal_eval(found.group(1))
        frame = frame.f_back
{WRONG}"""


@pytest.fixture(scope="module")
def forged_turns(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("forged")
    env = {
        "OPENAI_API_KEY": FAKE_KEY,
        "ONSITE_BACKEND": "offline",
        "ONSITE_TRANSCRIPTS_DIR": str(tmp_path / "transcripts"),
        "ONSITE_CONFIG": str(tmp_path / "config.toml"),
    }
    answers = tmp_path / "answers.txt"
    answers.write_text("\n---\n".join([FORGE, PATCH_MAIN, ALWAYS_EQUAL, FRAMES]))
    result = run_cli(
        "practice",
        "swe-coding",
        "--question",
        "two-sum",
        "--answers",
        str(answers),
        "--json",
        env=env,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    turns = json.loads(Path(json.loads(result.stdout)["transcript"]).read_text())["rounds"][0]
    return [t for t in turns["turns"] if t["kind"] == "code"]


@pytest.mark.parametrize(
    ("index", "attack"),
    [(0, "forged result lines"), (1, "patched comparison"), (3, "expected from caller frames")],
)
def test_forged_or_patched_results_score_as_the_wrong_code(
    forged_turns, wrong_score, index, attack
):
    assert len(forged_turns) == 4
    assert forged_turns[index]["tests_passed"] <= wrong_score, attack


def test_an_object_equal_to_everything_fails(forged_turns):
    assert forged_turns[2]["tests_passed"] == 0


# ---------------------------------------------------------------- the OS boundary alone


@pytest.fixture
def no_hook(monkeypatch):
    monkeypatch.setattr(runner, "AUDIT_HOOK", False)


def test_without_the_hook_the_uid_and_namespaces_still_hold(no_hook, two_sum, outside):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    port = listener.getsockname()[1]
    probe = f"""import os, signal, socket
def two_sum(nums, target):
    seen = {{"uid": os.getuid(), "pids": sorted(p for p in os.listdir("/proc") if p.isdigit())}}
    seen["caps"] = open("/proc/self/status").read().split("CapEff:")[1].split()[0]
    for name, attempt in (
        ("write", lambda: open("{outside}/x", "w").write("x")),
        ("unlink", lambda: os.unlink("{outside}/victim.txt")),
        ("tmp", lambda: open("/tmp/onsite-attack-x", "w").write("x")),
        ("net", lambda: socket.create_connection(("127.0.0.1", {port}), timeout=1)),
        ("kill", lambda: os.kill(os.getppid() or 1, signal.SIGKILL)),
        ("environ", lambda: open("/proc/1/environ").read()),
    ):
        try:
            attempt()
            seen[name] = "ok"
        except Exception as err:
            seen[name] = type(err).__name__
    return seen
"""
    try:
        report = run_tests(probe, two_sum, "tests")
    finally:
        listener.close()
    seen = report.outcomes[0].got or ""
    assert "'uid': 0" not in seen and "'caps': '0000000000000000'" in seen, seen
    assert "'kill': 'PermissionError'" in seen, seen
    for name in ("write", "unlink", "net", "environ"):
        assert f"'{name}': 'ok'" not in seen, seen
    untouched(outside)
    assert not Path("/tmp/onsite-attack-x").exists()


def test_without_the_hook_a_fork_bomb_is_bounded(no_hook, two_sum):
    bomb = """import os
def two_sum(nums, target):
    made = 0
    for _ in range(500):
        try:
            if os.fork() == 0:
                import time
                time.sleep(60)
                os._exit(0)
            made += 1
        except OSError:
            break
    return made
"""
    report = run_tests(bomb, two_sum, "examples")
    made = int(report.outcomes[0].got or 0)
    assert 0 < made < 64


def test_without_the_hook_disk_use_is_bounded(no_hook, two_sum):
    fill = """import os
def two_sum(nums, target):
    written = 0
    for i in range(40):
        try:
            with open(f"/tmp/onsite-fill-{i}", "wb", buffering=0) as f:
                for _ in range(8):
                    written += f.write(b"x" * (1 << 20))
        except OSError:
            pass
    return written
"""
    report = run_tests(fill, two_sum, "examples")
    written = int(report.outcomes[0].got or 0)
    assert 8 << 20 <= written <= 64 << 20
    assert not Path("/tmp/onsite-fill-0").exists()
