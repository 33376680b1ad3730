"""Starting a session: the CLI and the TUI go through one module and fail the same way."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import Input

from simulator.backends.offline.interviewer import OfflineInterviewer
from simulator.config import Settings
from simulator.engine import launch
from simulator.engine.clock import FakeClock
from simulator.store.transcripts import TranscriptStore
from simulator.tui.app import make_app
from simulator.tui.screens.home import HomeScreen
from tests.conftest import run_cli

BAD_LOOP = """\
name: A loop with a typo
description: the second round names a question that does not exist
rounds:
  - round: behavioral
  - round: system-design
    question: system-design/url-shortner
"""

CUSTOM_LOOP = """\
name: Two rounds
description: a custom loop file
rounds:
  - round: research
    question: research/dropout
  - round: behavioral
    question: behavioral/conflict-with-teammate
"""


def test_a_loop_file_with_an_unknown_question_is_one_line_in_the_cli(tmp_path):
    loop = tmp_path / "loop.yaml"
    loop.write_text(BAD_LOOP)
    answers = tmp_path / "a.txt"
    answers.write_text("An answer.\n")
    result = run_cli("loop", str(loop), "--answers", str(answers))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "round 2 (system-design)" in result.stderr and "url-shortner" in result.stderr
    assert not list((tmp_path / "transcripts").glob("*.json"))


async def test_a_loop_file_with_an_unknown_question_is_a_notification_in_the_app(
    tmp_path, catalog
):
    loop = tmp_path / "loop.yaml"
    loop.write_text(BAD_LOOP)
    app = make_app(
        Settings(transcripts_dir=tmp_path / "transcripts"), catalog=catalog, clock=FakeClock()
    )
    async with app.run_test(size=(110, 36)) as pilot:
        assert isinstance(app.screen, HomeScreen)
        app.screen.query_one("#loop-file", Input).value = str(loop)
        await pilot.click("#start-loop")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)  # no crash, still home
        messages = [n.message for n in app._notifications]
        assert any("url-shortner" in m and "round 2" in m for m in messages), messages


@pytest.mark.parametrize("minutes", [0, 3, 4, 121])
def test_minutes_out_of_range_are_refused_the_same_way(minutes, tmp_path, catalog):
    store = TranscriptStore(tmp_path)
    with pytest.raises(launch.LaunchError, match="between 5 and 120"):
        launch.start_practice(catalog, OfflineInterviewer(), store, "research", minutes=minutes)
    result = run_cli("practice", "research", "--minutes", str(minutes), "--answers", "-")
    assert result.returncode == 2 and "between 5 and 120" in result.stderr


def test_a_custom_loop_resumes_with_all_its_rounds(tmp_path, catalog):
    path = tmp_path / "two.yaml"
    path.write_text(CUSTOM_LOOP)
    store = TranscriptStore(tmp_path / "t")
    loop = launch.load_loop(catalog, str(path))
    session = launch.start_loop(catalog, OfflineInterviewer(), store, loop, clock=FakeClock())
    runner = session.runner(0)
    asyncio.run(runner.open())
    asyncio.run(runner.answer("Dropout zeroes units with probability p and rescales the rest."))
    path.unlink()  # the loop file is gone by the time the candidate resumes

    saved = TranscriptStore(tmp_path / "t").load(session.transcript.session_id)
    again = launch.resume(catalog, OfflineInterviewer(), store, saved, clock=FakeClock())
    assert [p.question.id for p in again.plan] == [
        "research/dropout",
        "behavioral/conflict-with-teammate",
    ]
