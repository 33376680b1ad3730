"""Every test runs with a private config file and transcripts directory, and no API keys."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    for key in list(os.environ):
        if key.startswith(("ONSITE_", "OPENAI_")):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("ONSITE_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("ONSITE_TRANSCRIPTS_DIR", str(tmp_path / "transcripts"))
    monkeypatch.setenv("NO_COLOR", "1")
    yield


@pytest.fixture(scope="session")
def catalog():
    from simulator.catalog import load_catalog

    return load_catalog(check_signals=True)


def run_cli(
    *args: str, input: str | None = None, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m simulator ARGS` as a user would, in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args],
        input=input,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd or ROOT,
        env={**os.environ, **(env or {})},
    )
