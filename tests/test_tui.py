"""The app driven as a user drives it: keys through Pilot, on the offline backend."""

from __future__ import annotations

import json
from pathlib import Path

from simulator.config import Settings
from simulator.engine.clock import FakeClock
from simulator.models import LoopPreset, LoopRound
from simulator.tui.app import make_app
from simulator.tui.screens.break_screen import BreakScreen
from simulator.tui.screens.home import HomeScreen
from simulator.tui.screens.interview import InterviewScreen
from simulator.tui.screens.scorecard import ScorecardScreen

ANSWERS = [
    "Requirements: shorten, redirect, custom aliases and expiry; redirects need low latency.",
    "100 million new URLs a day is about 1,160 writes per second and 11,600 redirects per second.",
    "A counter with ranges from a ticket server, encoded in base62, so keys never collide.",
    "Cache hot links in Redis since popular links get most of the clicks, and return a 302.",
]


def _app(tmp_path: Path, catalog, clock=None):
    settings = Settings(transcripts_dir=tmp_path / "transcripts")
    return make_app(settings, catalog=catalog, clock=clock or FakeClock())


async def _answer(pilot, text: str) -> None:
    screen = pilot.app.screen
    assert isinstance(screen, InterviewScreen)
    screen.box.insert(text)
    await pilot.press("ctrl+j")
    await _settle(pilot)


async def _settle(pilot) -> None:
    for _ in range(50):
        await pilot.pause()
        screen = pilot.app.screen
        if not isinstance(screen, InterviewScreen) or not screen.replying:
            return


def _transcripts(tmp_path: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in (tmp_path / "transcripts").glob("*.json")]


async def test_a_whole_round_through_the_ui_then_review_finds_and_opens_it(tmp_path, catalog):
    from simulator.tui.screens.review import ReviewScreen
    from simulator.tui.screens.session_view import SessionScreen

    app = _app(tmp_path, catalog)
    notes = _record_notes(app)
    async with app.run_test(size=(110, 36)) as pilot:
        assert isinstance(app.screen, HomeScreen)
        app.screen.start_practice("system-design", "system-design/url-shortener")
        await _settle(pilot)
        screen = app.screen
        assert isinstance(screen, InterviewScreen)
        for answer in ANSWERS:
            await _answer(pilot, answer)
        # End the round with F8 and confirm.
        await pilot.press("f8")
        await pilot.pause()
        await pilot.press("y")
        for _ in range(50):
            await pilot.pause()
            if (
                isinstance(app.screen, ScorecardScreen)
                and app.screen.session.transcript.status == "complete"
            ):
                break
        assert isinstance(app.screen, ScorecardScreen)
        # The same session, found again in the review screen (one app: starting it is slow).
        await pilot.press("escape")  # scorecard -> home
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        review = app.screen
        assert isinstance(review, ReviewScreen)
        table = review.query_one("DataTable")
        assert table.row_count == 1
        await pilot.press("slash")
        for key in "ticket server":
            await pilot.press("space" if key == " " else key)
        await pilot.press("enter")
        await pilot.pause()
        assert table.row_count == 1
        # typing the words of an answer is not met with a toast per key saying nothing matches
        assert not [n for n in notes if "No sessions match" in n]
        table.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)
    [saved] = _transcripts(tmp_path)
    turns = saved["rounds"][0]["turns"]
    said = [t["text"] for t in turns if t["role"] == "candidate"]
    assert said == ANSWERS
    assert [t["role"] for t in turns[:2]] == ["interviewer", "candidate"]
    assert saved["status"] == "complete" and saved["rounds"][0]["scorecard"]["grader"] == "offline"
    assert saved["rounds"][0]["ended_by"] == "candidate"


async def test_a_two_round_loop_with_a_break(tmp_path, catalog):
    loop = LoopPreset(
        id="two",
        name="Two rounds",
        description="test loop",
        rounds=[LoopRound(round="behavioral", minutes=10), LoopRound(round="research", minutes=10)],
    )
    clock = FakeClock()
    app = _app(tmp_path, catalog, clock)
    async with app.run_test(size=(110, 36)) as pilot:
        app.screen.start_loop(loop)
        await _settle(pilot)
        await _answer(
            pilot,
            "Last year I disagreed with my manager about a launch date; I "
            "gathered data on the failure rate and proposed a staged rollout.",
        )
        clock.advance(11 * 60)  # time runs out: the next reply is the closing one
        await _answer(pilot, "We shipped two weeks later with half the incidents.")
        assert app.screen.runner.closing_asked
        await _answer(pilot, "What does the team work on next quarter?")
        if isinstance(app.screen, InterviewScreen):  # an engine that answers the question:
            assert app.screen.runner.finished  # its answer is on screen until ctrl+j
            await pilot.press("ctrl+j")
            await _settle(pilot)
        assert isinstance(app.screen, BreakScreen)
        await pilot.press("enter")
        await _settle(pilot)
        assert isinstance(app.screen, InterviewScreen) and app.screen.index == 1
        await _answer(pilot, "Attention compares every query with every key, so it costs O(n^2 d).")
        await pilot.press("f8", "y")
        for _ in range(50):
            await pilot.pause()
            if isinstance(app.screen, ScorecardScreen) and app.screen.session.transcript.debrief:
                break
    [saved] = _transcripts(tmp_path)
    assert saved["kind"] == "loop" and len(saved["rounds"]) == 2
    assert saved["rounds"][0]["ended_by"] == "time"
    assert saved["debrief"]["decision"]
    assert all(r["scorecard"] for r in saved["rounds"])


async def test_a_backend_failure_keeps_the_answer_and_offers_retry(tmp_path, catalog):
    from simulator.backends.base import BackendError
    from simulator.backends.offline.interviewer import OfflineInterviewer

    class Flaky(OfflineInterviewer):
        fail_next = False

        async def reply(self, ctx, on_token=None):
            if Flaky.fail_next:
                Flaky.fail_next = False
                raise BackendError("the server answered 503 three times")
            return await super().reply(ctx, on_token)

    settings = Settings(transcripts_dir=tmp_path / "transcripts")
    app = make_app(settings, catalog=catalog, clock=FakeClock(), interviewer_factory=Flaky)
    async with app.run_test(size=(110, 36)) as pilot:
        app.screen.start_practice("system-design", "system-design/url-shortener")
        await _settle(pilot)
        Flaky.fail_next = True
        await _answer(pilot, ANSWERS[0])
        screen = app.screen
        assert screen.failed and screen.runner.awaiting_reply
        saved = _transcripts(tmp_path)[0]["rounds"][0]["turns"]
        assert saved[-1]["text"] == ANSWERS[0]  # on disk although the backend failed
        await pilot.press("ctrl+r")
        await _settle(pilot)
        assert not screen.runner.awaiting_reply
        assert screen.runner.record.turns[-1].role == "interviewer"


async def test_a_draft_is_saved_while_typing_and_restored(tmp_path, catalog):
    app = _app(tmp_path, catalog)
    async with app.run_test(size=(110, 36)) as pilot:
        app.screen.start_practice("research", "research/dropout")
        await _settle(pilot)
        screen = app.screen
        screen.box.insert("Dropout zeroes units at random")
        await pilot.pause()
        screen._save_draft()
        session_id = screen.session.transcript.session_id
    assert app.drafts.load(session_id, 0) == "Dropout zeroes units at random"


async def test_ctrl_q_mid_round_saves_the_draft_and_asks_before_quitting(tmp_path, catalog):
    from simulator.tui.screens.confirm import ConfirmScreen

    app = _app(tmp_path, catalog)
    async with app.run_test(size=(110, 36)) as pilot:
        app.screen.start_practice("research", "research/dropout")
        await _settle(pilot)
        round_screen = app.screen
        session_id = round_screen.session.transcript.session_id
        round_screen.box.focus()
        await pilot.press(*"Dropout zeroes")  # typed, not yet saved by the 2 s timer
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen), "ctrl+q ended the round without asking"
        assert f"onsite resume {session_id}" in app.screen.question
        assert app.drafts.load(session_id, 0) == "Dropout zeroes"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is round_screen and app.is_running
        await pilot.press("ctrl+q", "ctrl+q")  # twice: quit at once
        await pilot.pause()
        assert not app.is_running


async def test_help_lists_the_fallback_send_keys(tmp_path, catalog):
    app = _app(tmp_path, catalog)
    async with app.run_test(size=(110, 36)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        text = "\n".join(str(w.source) for w in app.screen.query("Markdown"))
        assert "ctrl+j" in text and "f5" in text.lower()


async def test_a_coding_round_runs_code_and_moves_to_the_second_problem(tmp_path, catalog):
    from simulator.tui.screens.coding import CodingScreen

    app = _app(tmp_path, catalog)
    async with app.run_test(size=(120, 40)) as pilot:
        app.screen.start_practice("swe-coding", "swe-coding/two-sum")
        await _settle(pilot)
        screen = app.screen
        assert isinstance(screen, CodingScreen)
        screen.box.text = (
            "def two_sum(nums, target):\n    seen = {}\n"
            "    for i, x in enumerate(nums):\n        if target - x in seen:\n"
            "            return [seen[target - x], i]\n        seen[x] = i\n"
        )
        await pilot.press("f6")  # the visible examples
        for _ in range(200):
            await pilot.pause(0.05)
            if "passed" in screen.query_one("#results-md").source:
                break
        assert (
            "Examples: 2/2 passed" in screen.query_one("#results-md").source
            or "Examples: 3/3 passed" in screen.query_one("#results-md").source
        )
        await pilot.press("ctrl+j")  # submit to the hidden tests
        for _ in range(200):
            await pilot.pause(0.05)
            if (
                screen.runner.record.turns[-1].role == "interviewer"
                and len(screen.runner.record.turns) > 2
            ):
                break
        code = next(t for t in screen.runner.record.turns if t.kind == "code")
        assert code.tests_passed == code.tests_total > 0
        # The words go in the words box (focused after a submission); the code stays put.
        assert screen.focused is screen.words_box
        code_text = screen.box.text
        for words in (
            "One pass with a dict: O(n) time and space.",
            "With sorted input, two pointers and O(1) space.",
        ):
            screen.words_box.insert(words)
            await pilot.press("ctrl+j")
            await _settle(pilot)
            if screen.runner.problem_index == 0:
                assert screen.box.text == code_text
        said = [t for t in screen.runner.record.turns if t.role == "candidate"]
        assert [t.kind for t in said] == ["code", "answer", "answer"]
        assert said[1].text == "One pass with a dict: O(n) time and space."
        assert screen.runner.problem_index == 1
        second = screen.runner.ctx.question
        assert screen.box.text == second.coding.starter
        # Each turn shows once in the conversation.
        assert len(screen.chat.query("TurnView")) == len(screen.runner.record.turns)


async def test_the_command_palette_starts_a_round(tmp_path, catalog):
    from simulator.tui.screens.coding import CodingScreen

    app = _app(tmp_path, catalog)
    async with app.run_test(size=(110, 36)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        for key in "Practise: SWE":
            await pilot.press({" ": "space", ":": "colon"}.get(key, key))
        for _ in range(20):
            await pilot.pause(0.05)
        await pilot.press("enter")
        await _settle(pilot)
        assert isinstance(app.screen, CodingScreen)


def _record_notes(app) -> list[str]:
    """Every notification the app shows, kept (toasts expire on screen)."""
    notes: list[str] = []
    show = app.notify

    def notify(message, *args, **kwargs):
        notes.append(str(message))
        return show(message, *args, **kwargs)

    app.notify = notify
    return notes


async def _type(pilot, text: str) -> None:
    for key in text:
        await pilot.press({" ": "space", "/": "slash", ".": "full_stop"}.get(key, key))


async def test_minutes_below_the_minimum_are_refused_and_a_five_minute_round_warns_late(
    tmp_path, catalog
):
    clock = FakeClock()
    app = _app(tmp_path, catalog, clock)
    notes = _record_notes(app)
    async with app.run_test(size=(110, 36)) as pilot:
        await pilot.click("#minutes")
        await pilot.press("3")
        await pilot.click("#start-practice")
        await _settle(pilot)
        assert isinstance(app.screen, HomeScreen)  # still running, no traceback
        assert any("between 5 and 120" in note for note in notes), notes
        # Five minutes is allowed: no warning at once, one at one minute left.
        await pilot.click("#minutes")
        await pilot.press("end", "backspace", "5")
        await pilot.click("#start-practice")
        await _settle(pilot)
        screen = app.screen
        assert isinstance(screen, InterviewScreen) and screen.runner.record.minutes == 5
        screen._tick()
        assert not [n for n in notes if "left" in n], notes
        assert not screen.query_one("Countdown").has_class("-warning")
        clock.advance(4 * 60 + 1)
        screen._tick()
        assert "1 minute left." in notes
        assert screen.query_one("Countdown").has_class("-warning")


async def test_a_loop_file_naming_an_unknown_question_is_an_error_not_a_crash(tmp_path, catalog):
    loop_file = tmp_path / "my-loop.yaml"
    loop_file.write_text(
        "name: Mine\ndescription: one round\nrounds:\n"
        "  - round: system-design\n    question: system-design/no-such-question\n",
        encoding="utf-8",
    )
    app = _app(tmp_path, catalog)
    notes = _record_notes(app)
    async with app.run_test(size=(110, 36)) as pilot:
        app.screen.query_one("#loop-file").value = str(loop_file)
        await pilot.click("#start-loop")
        await _settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert any("unknown question 'system-design/no-such-question'" in n for n in notes), notes
        assert not _transcripts(tmp_path)


async def test_resuming_a_loop_from_the_break_plays_the_announced_question(tmp_path, catalog):
    from simulator.engine.launch import resume
    from simulator.tui.screens.coding import CodingScreen

    loop = LoopPreset(
        id="two",
        name="Two rounds",
        description="test loop",
        rounds=[LoopRound(round="behavioral", minutes=10), LoopRound(round="research", minutes=10)],
    )
    clock = FakeClock()
    app = _app(tmp_path, catalog, clock)
    async with app.run_test(size=(110, 36)) as pilot:
        app.screen.start_loop(loop)
        await _settle(pilot)
        await _answer(pilot, "I led the migration of our training jobs to a new cluster.")
        await pilot.press("f8", "y")
        await _settle(pilot)
        assert isinstance(app.screen, BreakScreen)
        announced = app.screen.session.plan[1].question
        shown = "\n".join(str(w.render()) for w in app.screen.query("Static"))
        assert announced.title in shown
    # The app stops during the break; the candidate resumes the session later.
    [saved] = _transcripts(tmp_path)
    assert [r["question_id"] for r in saved["rounds"]][1] == announced.id
    transcript = app.store.load(saved["session_id"])
    resumed = make_app(
        Settings(transcripts_dir=tmp_path / "transcripts"),
        catalog=catalog,
        clock=FakeClock(),
        session=resume(catalog, app.new_interviewer(), app.store, transcript),
    )
    async with resumed.run_test(size=(110, 36)) as pilot:
        await _settle(pilot)
        screen = resumed.screen
        assert isinstance(screen, InterviewScreen) and not isinstance(screen, CodingScreen)
        assert screen.index == 1 and screen.runner.ctx.question.id == announced.id


async def test_a_missing_editor_is_reported_and_the_text_kept(tmp_path, catalog, monkeypatch):
    monkeypatch.setenv("EDITOR", "no-such-editor-xyz")
    monkeypatch.delenv("VISUAL", raising=False)
    app = _app(tmp_path, catalog)
    notes = _record_notes(app)
    async with app.run_test(size=(110, 36)) as pilot:
        app.screen.start_practice("research", "research/dropout")
        await _settle(pilot)
        await _type(pilot, "half an answer")
        await pilot.press("f2")
        await _settle(pilot)
        assert any("Editor not found: 'no-such-editor-xyz'" in n for n in notes), notes
        assert app.screen.box.text == "half an answer"
        await _type(pilot, " and more")  # the app still takes keys
        assert app.screen.box.text == "half an answer and more"


async def test_coding_f3_sends_only_the_words_and_leaves_the_code_and_cursor(tmp_path, catalog):
    from simulator.tui.screens.coding import CodingScreen

    app = _app(tmp_path, catalog)
    async with app.run_test(size=(120, 40)) as pilot:
        app.screen.start_practice("swe-coding", "swe-coding/two-sum")
        await _settle(pilot)
        screen = app.screen
        assert isinstance(screen, CodingScreen)
        screen.box.focus()
        screen.box.move_cursor((1, 4))
        await _type(pilot, "seen = 1")
        code, cursor = screen.box.text, screen.box.cursor_location
        await pilot.press("f7")  # to the words box
        assert screen.focused is screen.words_box
        await _type(pilot, "Can the input hold duplicates?")
        await pilot.press("f3")
        await _settle(pilot)
        asked = [t for t in screen.runner.record.turns if t.role == "candidate"]
        assert [(t.kind, t.text) for t in asked] == [("clarify", "Can the input hold duplicates?")]
        assert screen.box.text == code and screen.box.cursor_location == cursor
        assert screen.words_box.text == ""
        assert len(screen.chat.query("TurnView")) == len(screen.runner.record.turns)


async def test_the_answer_to_a_closing_question_is_shown_before_the_scorecard(
    tmp_path, catalog, monkeypatch
):
    """The engine answers a question asked at the closing turn, then finishes the round; the
    screen shows that answer and leaves for the scorecard only when the candidate asks."""
    from simulator.engine.round import RoundRunner

    async def follow_up(self, on_token=None):
        if self.closing_asked:  # the agreed contract: one last interviewer turn, then finished
            turn = self._append("interviewer", "closing", "The team works on ranking next.")
            self.end("probes")
            return turn
        return await self._reply(on_token)

    monkeypatch.setattr(RoundRunner, "follow_up", follow_up)
    clock = FakeClock()
    app = _app(tmp_path, catalog, clock)
    async with app.run_test(size=(110, 36)) as pilot:
        app.screen.start_practice("behavioral")
        await _settle(pilot)
        clock.advance(60 * 60)
        await _answer(pilot, "We shipped two weeks later with half the incidents.")
        screen = app.screen
        assert screen.runner.closing_asked
        await _answer(pilot, "What does the team work on next quarter?")
        assert app.screen is screen and screen.runner.finished
        shown = [str(v.text) for v in screen.chat.query("TurnView")]
        assert shown[-1] == "The team works on ranking next."
        await pilot.press("ctrl+j")
        for _ in range(50):
            await pilot.pause()
            if isinstance(app.screen, ScorecardScreen):
                break
        assert isinstance(app.screen, ScorecardScreen)


async def test_scorecards_show_asterisks_as_written(tmp_path, catalog):
    """`lr*wd*p` in feedback, evidence and an answer is shown as typed, not as italics."""
    import html

    from simulator.engine.launch import resume
    from simulator.models import Transcript
    from simulator.tui.screens.session_view import SessionScreen

    example = Path(__file__).resolve().parents[1] / "transcripts/example-round-url-shortener.json"
    transcript = Transcript.model_validate_json(example.read_text(encoding="utf-8"))
    record = transcript.rounds[0]
    first = record.scorecard.criteria[0]
    record.scorecard.criteria[0] = first.model_copy(
        update={"feedback": "You tuned lr*wd*p together.", "evidence": ["we sweep lr*wd*p"]}
    )
    record.turns[1] = record.turns[1].model_copy(update={"text": "we sweep lr*wd*p and a_b_c"})
    app = _app(tmp_path, catalog)

    def screen_text() -> str:
        return html.unescape(app.export_screenshot()).replace("\xa0", " ")

    async with app.run_test(size=(200, 70)) as pilot:
        app.push_screen(SessionScreen(transcript))
        await _settle(pilot)
        text = screen_text()
        assert "You tuned lr*wd*p together." in text
        assert "“we sweep lr*wd*p”" in text
        assert "we sweep lr*wd*p and a_b_c" in text
        reopened = transcript.model_copy(update={"status": "in_progress"})
        session = resume(catalog, app.new_interviewer(), app.store, reopened)
        app.push_screen(ScorecardScreen(session))
        for _ in range(50):
            await pilot.pause()
            if "lr*wd*p" in screen_text():
                break
        assert "You tuned lr*wd*p together." in screen_text()
    from simulator.store.export import to_markdown

    assert "we sweep lr\\*wd\\*p" in to_markdown(transcript)  # the export renders it as written


async def test_review_fits_80x24_and_120_columns_and_names_every_kind(tmp_path, catalog):
    import html
    import shutil

    from simulator.tui.screens.review import ReviewScreen

    examples = Path(__file__).resolve().parents[1] / "transcripts"
    (tmp_path / "transcripts").mkdir()
    for name in ("example-loop-meta-research-engineer.json", "example-round-url-shortener.json"):
        shutil.copy(examples / name, tmp_path / "transcripts" / name)
    saved = _transcripts(tmp_path)
    scores = [f"{t['rounds'][0]['scorecard']['overall']:.2f}" for t in saved if t["kind"] != "loop"]

    app = _app(tmp_path, catalog)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("r")
        await _settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        table = app.screen.query_one("DataTable")
        assert table.row_count == 2
        assert table.size.height >= 1 + table.row_count  # the header and every row are visible

    app = _app(tmp_path, catalog)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("r")
        await _settle(pilot)
        text = html.unescape(app.export_screenshot()).replace("\xa0", " ")
        assert "Decision" in text and "Score" in text
        assert all(score in text for score in scores)
        table = app.screen.query_one("DataTable")
        used = sum(column.get_render_width(table) for column in table.columns.values())
        assert used <= table.size.width  # no column is cut off
        legend = str(app.screen.query_one("#plot-legend").render())
        kinds = {r["round"] for t in saved for r in t["rounds"] if r.get("scorecard")}
        assert kinds and all(f"{kind} (" in legend for kind in kinds), legend


async def test_coding_problem_and_editor_wrap_long_lines(tmp_path, catalog):
    """A long signature in the problem or the editor wraps: nothing is cut at the pane's edge."""
    from textual.widgets.markdown import MarkdownFence

    from simulator.tui.screens.coding import CodingScreen

    app = _app(tmp_path, catalog)
    async with app.run_test(size=(100, 30)) as pilot:
        app.screen.start_practice("ai-coding", "ai-coding/top-k-top-p-sampling")
        await _settle(pilot)
        screen = app.screen
        assert isinstance(screen, CodingScreen)
        for _ in range(20):
            await pilot.pause()
        fences = list(screen.query_one("#problem").query(MarkdownFence))
        assert fences
        for fence in fences:
            assert fence.virtual_size.width <= fence.size.width, fence.code[:60]
        screen.box.text = "def f(" + ", ".join(f"argument_{i}: int = {i}" for i in range(12)) + "):"
        await pilot.pause()
        assert screen.box.virtual_size.width <= screen.box.size.width


async def test_undoing_a_long_paste_in_the_code_editor_does_not_crash():
    """Pasting a solution over the starter and pressing ctrl+z crashed the app (Textual
    scrolled to a cursor past the end of the shortened text); now the starter comes back."""
    from textual import events
    from textual.app import App

    from simulator.tui.widgets.answer_box import AnswerBox

    starter = 'def f(grid):\n    return sum(row.count("1") for row in grid)\n'
    solution = "".join(
        f"    total_{i} = sum(range({i})) + {i} * 1000 + len(grid)\n" for i in range(30)
    )

    class Editor(App):
        def compose(self):
            yield AnswerBox(starter, language="python", id="answer")

    app = Editor()
    async with app.run_test(size=(60, 30)) as pilot:
        box = app.query_one(AnswerBox)
        box.focus()
        await pilot.pause()
        box.post_message(events.Paste(solution))
        await pilot.pause()
        assert box.show_vertical_scrollbar  # the paste overflows the box
        for _ in range(4):
            await pilot.press("ctrl+z")
            await pilot.pause()
        assert app.is_running
        assert box.text == starter
