"""Time from launching `onsite` to the home screen ready for input.

    python benchmarks/tui_startup.py [--runs N]

Each run starts a fresh process (`python -m simulator`) under a pseudo-terminal, so Textual
drives a real terminal, with ONSITE_EXIT_WHEN_READY=1: right after the home screen's first
refresh the app writes the time to ONSITE_READY_FILE and exits; the figure is that time minus
the launch time (shutdown is not counted). Reports the median and the worst of N runs, after
one warm-up run that also fills the catalog cache. Target: under 0.5 s on this machine.
"""

from __future__ import annotations

import argparse
import os
import pty
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one_run(env: dict[str, str]) -> float:
    """Seconds from starting the process to the home screen's first complete frame."""
    ready_file = Path(env["ONSITE_READY_FILE"])
    ready_file.unlink(missing_ok=True)
    primary, secondary = pty.openpty()
    started = time.time()
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator"],
        cwd=ROOT,
        env=env,
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
    )
    os.close(secondary)
    while proc.poll() is None:  # drain the terminal output so the app never blocks on it
        try:
            if not os.read(primary, 65536):
                break
        except OSError:
            break
    proc.wait(timeout=30)
    os.close(primary)
    if proc.returncode != 0 or not ready_file.exists():
        raise SystemExit(f"onsite exited with {proc.returncode} before the home screen was ready")
    return float(ready_file.read_text()) - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "ONSITE_EXIT_WHEN_READY": "1",
            "TERM": "xterm-256color",
            "ONSITE_TRANSCRIPTS_DIR": str(Path(tmp) / "transcripts"),
            "ONSITE_CONFIG": str(Path(tmp) / "config.toml"),
            "COLUMNS": "100",
            "LINES": "30",
            "ONSITE_READY_FILE": str(Path(tmp) / "ready"),
        }
        cold = one_run(env)
        times = [one_run(env) for _ in range(args.runs)]
    print(f"first run (fills the catalog cache): {cold:.3f} s")
    print(
        f"launch to home screen ready: median {statistics.median(times):.3f} s, "
        f"worst {max(times):.3f} s over {args.runs} runs   target < 0.5 s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
