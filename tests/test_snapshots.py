"""Snapshots of each screen at a fixed size (pytest --snapshot-update to accept a change)."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.config import Settings
from simulator.engine.clock import FakeClock
from simulator.tui.app import make_app

SIZE = (100, 30)


@pytest.fixture
def app(tmp_path, catalog, monkeypatch):
    import random

    import simulator.engine.select as select_module
    import simulator.engine.session as session_module

    seeded = random.Random
    monkeypatch.setattr(select_module.random, "Random", lambda *_: seeded(0))  # same questions
    counter = iter(range(1000))
    monkeypatch.setattr(
        session_module,
        "new_session_id",
        lambda label: f"20260101-120000-{label}-{next(counter):04d}",
    )
    monkeypatch.chdir(tmp_path)  # the home screen shows the transcripts directory
    settings = Settings(transcripts_dir=Path("transcripts"))
    return make_app(settings, catalog=catalog, clock=FakeClock())


async def _settle(pilot, screens=60):
    for _ in range(screens):
        await pilot.pause()
    for box in pilot.app.screen.query("AnswerBox"):
        box.cursor_blink = False  # a blinking cursor makes frames differ by timing


def test_home(snap_compare, app):
    assert snap_compare(app, terminal_size=SIZE)


def test_interview(snap_compare, app):
    async def start(pilot):
        app.screen.start_practice("system-design", "system-design/url-shortener")
        await _settle(pilot)
        app.screen.box.insert("Requirements first: shorten, redirect, custom aliases.")
        await pilot.press("ctrl+j")
        await _settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=start)


def test_coding(snap_compare, app):
    async def start(pilot):
        app.screen.start_practice("swe-coding", "swe-coding/two-sum")
        await _settle(pilot)
        await pilot.wait_for_scheduled_animations()
        await _settle(pilot, 120)  # syntax highlighting lands a few frames later

    assert snap_compare(app, terminal_size=SIZE, run_before=start)


def test_scorecard(snap_compare, app):
    async def play(pilot):
        app.screen.start_practice("research", "research/dropout")
        await _settle(pilot)
        app.screen.box.insert(
            "During training dropout zeroes each unit with probability p and scales the "
            "survivors by 1/(1-p), so at test time the network runs unchanged. It stops "
            "co-adaptation and trains an implicit ensemble of subnetworks."
        )
        await pilot.press("ctrl+j")
        await _settle(pilot)
        await pilot.press("f8", "y")
        await _settle(pilot, 100)

    assert snap_compare(app, terminal_size=SIZE, run_before=play)


def test_help(snap_compare, app):
    assert snap_compare(app, terminal_size=SIZE, press=["f1"])


def test_review_empty(snap_compare, app):
    assert snap_compare(app, terminal_size=SIZE, press=["r"])
