"""The real app in a real terminal (tmux): text that arrives in a burst is sent whole.

Pilot cannot reproduce this timing: a burst reaches the app as hundreds of key events at once,
and a send key right behind them must read the answer box only after every one was applied.
"""

from __future__ import annotations

import json
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TMUX = shutil.which("tmux")

pytestmark = pytest.mark.skipif(
    TMUX is None, reason="tmux is not installed (apt-get install tmux): it provides the terminal"
)

# Per send key. Six are plenty: with the box read before its queued keys, the first burst
# already goes out short; with the box's own bindings resolved late, every typo burst (one
# in four) comes out wrong. Each burst waits for a reply, so more only cost time.
BURSTS = 6
BURST_CHARS = 500
QUESTION = "ml-system-design/youtube-recommendations"  # enough follow-ups for 12 answers
WORDS = ["ranking", "features", "watch time", "retrieval", "embedding", "freshness"]


def burst_text(index: int, length: int = BURST_CHARS) -> str:
    """A distinct, printable answer of exactly `length` characters."""
    rng = random.Random(index)
    text = f"answer {index:02d}:"
    while len(text) < length:
        text += " " + rng.choice(WORDS) + ("," if rng.random() < 0.1 else "")
    return text[: length - 4] + f" #{index:02d}"


class Terminal:
    """One tmux server of our own (its own socket), running the app in a 120x40 window."""

    def __init__(self, tmp: Path) -> None:
        # A socket in a folder of our own (short: socket paths are limited to ~100 bytes)
        self.socket_dir = Path(tempfile.mkdtemp(prefix="onsite-tmux-"))
        self.socket = str(self.socket_dir / "s")
        self.transcripts = tmp / "transcripts"
        self.tmp = tmp

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            [TMUX, "-S", self.socket, *args], capture_output=True, text=True, timeout=20
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def start(self, *app_args: str, **extra_env: str) -> None:
        env = {
            **extra_env,
            "PYTHONPATH": str(ROOT),
            "ONSITE_BACKEND": "offline",
            "ONSITE_CONFIG": str(self.tmp / "config.toml"),
            "ONSITE_TRANSCRIPTS_DIR": str(self.transcripts),
            "ONSITE_MAX_ANSWERS": "40",
            "ONSITE_RUNNER_SPARE": "0",
            "TERM": "xterm-256color",
        }
        assignments = [f"{k}={shlex.quote(v)}" for k, v in env.items()]
        app = [shlex.quote(sys.executable), "-m", "simulator", *map(shlex.quote, app_args)]
        command = " ".join(["env", *assignments, *app])
        # `; echo exited` shows on the pane when the app has stopped
        self.tmux(
            "new-session",
            "-d",
            "-s",
            "app",
            "-x",
            "120",
            "-y",
            "40",
            f"{command}; echo APP-EXITED $?; sleep 60",
        )

    def send(self, *commands: list[str]) -> None:
        """Several send-keys in one tmux call (";" between them): one burst for the app."""
        args: list[str] = []
        for command in commands:
            args += [*([";"] if args else []), "send-keys", "-t", "app", *command]
        self.tmux(*args)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "app")

    def screen_shows(self, text: str, timeout: float = 10.0) -> bool:
        """Poll the screen: a capture can fall between two frames."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.screen():
                return True
            time.sleep(0.1)
        raise AssertionError(f"{text!r} not on screen:\n{self.screen()}")

    def saved(self) -> list[Path]:
        """The session files (not the hidden temporary file of an atomic save)."""
        return [p for p in self.transcripts.glob("*.json") if not p.name.startswith(".")]

    def turns(self) -> list[dict]:
        for path in self.saved():
            try:
                return json.loads(path.read_text(encoding="utf-8"))["rounds"][0]["turns"]
            except (OSError, ValueError, KeyError, IndexError):
                return []  # caught between writes: read again
        return []

    def wait_for(self, predicate, what: str, timeout: float = 40.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            turns = self.turns()
            if predicate(turns):
                return turns
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}; screen:\n{self.screen()}")

    def stop(self) -> None:
        subprocess.run([TMUX, "-S", self.socket, "kill-server"], capture_output=True, timeout=20)
        shutil.rmtree(self.socket_dir, ignore_errors=True)


@pytest.fixture
def terminal(tmp_path):
    term = Terminal(tmp_path)
    yield term
    term.stop()


def _reply_after(count: int):
    """The transcript holds `count` candidate turns and the interviewer has answered the last."""

    def ready(turns: list[dict]) -> bool:
        said = [t for t in turns if t["role"] == "candidate"]
        return len(said) == count and turns[-1]["role"] == "interviewer"

    return ready


def test_bursts_sent_with_ctrl_j_and_f3_arrive_whole(terminal):
    terminal.start("practice", "ml-system-design", "--question", QUESTION)
    terminal.wait_for(lambda turns: len(turns) == 1, "the opening question", timeout=90)
    expected: list[tuple[str, str]] = []
    for index in range(2 * BURSTS):
        text = burst_text(index)
        send_key, kind = ("C-j", "answer") if index < BURSTS else ("F3", "clarify")
        if index % 4 == 3:
            # A typo fixed inside the burst: the backspaces must apply before the later text.
            cut = BURST_CHARS // 2
            terminal.send(
                ["-l", text[:cut] + "xyz"],
                ["BSpace", "BSpace", "BSpace"],
                ["-l", text[cut:]],
                [send_key],
            )
        else:
            terminal.send(["-l", text], [send_key])
        expected.append((kind, text))
        terminal.wait_for(_reply_after(index + 1), f"the reply to burst {index}")
    said = [(t["kind"], t["text"]) for t in terminal.turns() if t["role"] == "candidate"]
    complete = sum(1 for got, want in zip(said, expected, strict=True) if got == want)
    assert complete == 2 * BURSTS, [
        (i, got[1][:40] + "…" + got[1][-20:], len(got[1]))
        for i, (got, want) in enumerate(zip(said, expected, strict=True))
        if got != want
    ]
    assert terminal.screen_shows("Type your answer")  # the box is empty: nothing left behind


def test_a_missing_editor_leaves_a_working_screen(terminal):
    """F2 with EDITOR naming no installed program: an error on screen, typing and ctrl+q work."""
    terminal.start("practice", "research", "--question", "research/dropout", EDITOR="nano-xyz")
    terminal.wait_for(lambda turns: len(turns) == 1, "the opening question", timeout=90)
    terminal.send(["-l", "half an answer"], ["F2"])
    assert terminal.screen_shows("Editor not found")
    terminal.send(["-l", " and the rest"])
    assert terminal.screen_shows("half an answer and the rest")
    terminal.send(["C-q"])  # mid-round: the draft is saved and quitting is confirmed
    assert terminal.screen_shows("Quit onsite in the middle of this round?")
    terminal.send(["y"])
    assert terminal.screen_shows("APP-EXITED 0")


def test_coding_f7_then_a_burst_goes_to_the_words_box(terminal):
    """F7 switches to the words box at once: the keys right behind it land there."""
    terminal.start("practice", "swe-coding", "--question", "swe-coding/two-sum")
    terminal.wait_for(lambda turns: len(turns) == 1, "the opening question", timeout=90)
    question = "Can the input hold the same number twice?"
    terminal.send(["F7"], ["-l", question], ["F3"])
    turns = terminal.wait_for(_reply_after(1), "the answer to the question")
    said = [(t["kind"], t["text"]) for t in turns if t["role"] == "candidate"]
    assert said == [("clarify", question)]


def test_a_bracketed_paste_then_ctrl_j_sends_every_line(terminal, tmp_path):
    """A paste (as terminals send it, bracketed) followed at once by ctrl+j goes out whole."""
    terminal.start("practice", "research", "--question", "research/dropout")
    terminal.wait_for(lambda turns: len(turns) == 1, "the opening question", timeout=90)
    answer = "\n".join(burst_text(i, 120) for i in range(6))
    clip = tmp_path / "clip.txt"
    clip.write_text(answer, encoding="utf-8")
    terminal.tmux("load-buffer", str(clip))
    terminal.tmux(
        "paste-buffer", "-p", "-t", "app", ";", "send-keys", "-t", "app", "-l", " (end)", ";",
        "send-keys", "-t", "app", "C-j",
    )  # fmt: skip
    turns = terminal.wait_for(_reply_after(1), "the reply to the pasted answer")
    said = [t["text"] for t in turns if t["role"] == "candidate"]
    assert said == [answer + " (end)"]


def test_home_keys_in_one_burst_reach_the_fields_they_were_typed_for(terminal):
    """Tab, tab, 3, tab, enter at once: the 3 lands in Minutes and is refused (5-120)."""
    terminal.start()
    assert terminal.screen_shows("Start the round", timeout=90)
    terminal.send(["Tab", "Tab", "3", "Tab", "Enter"])
    assert terminal.screen_shows("Minutes must be between 5 and 120")
    # Fix it (7 minutes), one key at a time: the burst above is what this test is about.
    for key in (["BSpace"], ["BTab"], ["BSpace"], ["-l", "7"], ["Tab"], ["Enter"]):
        terminal.send(key)
        time.sleep(0.3)
    terminal.wait_for(lambda turns: len(turns) == 1, "the opening question", timeout=90)
    [saved] = terminal.saved()
    assert json.loads(saved.read_text(encoding="utf-8"))["rounds"][0]["minutes"] == 7
