"""Every test runs with a private config file, transcripts directory and catalog cache, and
no API keys."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def private_cache_dir(tmp_path_factory) -> Path:
    """One catalog cache for the whole run, never the user's own cache directory."""
    return tmp_path_factory.mktemp("onsite-cache")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch, private_cache_dir):
    for key in list(os.environ):
        if key.startswith(("ONSITE_", "OPENAI_")):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("ONSITE_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("ONSITE_TRANSCRIPTS_DIR", str(tmp_path / "transcripts"))
    monkeypatch.setenv("ONSITE_CACHE_DIR", str(private_cache_dir))
    monkeypatch.setenv("NO_COLOR", "1")
    yield


@pytest.fixture(scope="session")
def catalog():
    """The shipped catalog, loaded once per worker. Compiling its thousands of signals takes
    seconds; test_problems.py checks that once for the whole run."""
    from simulator.catalog import load_catalog

    return load_catalog()


def run_cli(
    *args: str,
    input: str | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    subprocess_run: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run `onsite ARGS` and return its exit status, stdout and stderr.

    In-process through `main(argv)` (fast: no interpreter start-up, the catalog already
    loaded), unless `subprocess_run` asks for `python -m simulator` in a real process, for
    what only a process shows (imports at start-up, signals, stdin that is not a terminal).
    """
    if not subprocess_run:
        return _run_in_process(list(args), input, cwd, env or {})
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args],
        input=input,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd or ROOT,
        env={**os.environ, **(env or {})},
    )


def _run_in_process(
    args: list[str], stdin: str | None, cwd: Path | None, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    from simulator.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved_env = {key: os.environ.get(key) for key in env}
    saved_cwd = Path.cwd()
    saved_stdin = sys.stdin
    os.environ.update(env)
    sys.stdin = io.StringIO(stdin or "")
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(args)
            except SystemExit as exit_:  # argparse: --help, usage errors
                code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 2)
    finally:
        os.chdir(saved_cwd)
        sys.stdin = saved_stdin
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return subprocess.CompletedProcess(["onsite", *args], code, out.getvalue(), err.getvalue())
