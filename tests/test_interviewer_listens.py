"""The offline interviewer listens (issue 12): it reacts to the last answer, never asks for a
point already made, challenges every stated mistake, hints after "I don't know", asks for
substance after gibberish, paces the round by the clock and answers the closing question."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from simulator.backends.base import RoundContext
from simulator.backends.offline.audit import probes_on_points_made, unchallenged_mistakes
from simulator.backends.offline.interviewer import OfflineInterviewer
from simulator.engine.clock import FakeClock
from simulator.engine.round import RoundRunner
from simulator.models import RoundRecord
from tests.conftest import ROOT, run_cli

STOCK = ("Right.", "Let's push on that.", "Hm.", "Noted.", "OK.", "Thanks.")
EXAMPLES = ROOT / "transcripts" / "examples"


def _runner(catalog, question_id="system-design/url-shortener", minutes=45, problems=()):
    q = catalog.question(question_id)
    record = RoundRecord(
        round=q.round,
        question_id=q.id,
        question_ids=[q.id, *[p.id for p in problems]] if problems else [],
        question_title=q.title,
        question_prompt=q.prompt,
        minutes=minutes,
    )
    ctx = RoundContext(
        catalog=catalog,
        rubric=catalog.rubric(q.round),
        question=q,
        record=record,
        problems=[q, *problems] if problems else [],
    )
    clock = FakeClock()
    return RoundRunner(ctx, OfflineInterviewer(), clock, lambda: None), clock


def _say(runner, text, clock=None, minutes=0.0):
    if clock is not None:
        clock.advance(minutes * 60)
    return asyncio.run(runner.answer(text))


# ------------------------------------------------------------------ bug 5: the opener's minutes


@pytest.mark.parametrize("minutes", [20, 30, 60])
def test_the_opener_states_the_rounds_own_minutes(catalog, minutes):
    runner, _ = _runner(catalog, minutes=minutes)
    opening = asyncio.run(runner.open())
    assert f"about {minutes} minutes" in opening.text
    assert "45 minutes" not in opening.text


def test_a_round_whose_rubric_names_no_minutes_still_states_them(catalog):
    runner, _ = _runner(catalog, "research/dropout", minutes=25)
    assert "about 25 minutes" in asyncio.run(runner.open()).text


def test_a_coding_round_of_one_problem_does_not_promise_two(catalog):
    runner, _ = _runner(catalog, "swe-coding/two-sum", minutes=25)
    opening = asyncio.run(runner.open()).text
    assert "about 25 minutes" in opening and "two problems" not in opening


# ------------------------------------------------------------------ bug 6: all tests pass

@pytest.mark.parametrize(
    "question_id", ["swe-coding/two-sum", "swe-coding/merge-intervals", "swe-coding/lru-cache"]
)
def test_after_all_hidden_tests_pass_it_asks_about_complexity_not_for_more(catalog, question_id):
    from simulator.engine.coding import submit_code

    runner, _ = _runner(catalog, question_id, minutes=25)
    asyncio.run(runner.open())
    code, _ = asyncio.run(submit_code(runner, runner.ctx.question.coding.reference))
    assert code.tests_total and code.tests_passed == code.tests_total
    reply = asyncio.run(runner.follow_up())
    assert "I need more than that" not in reply.text
    assert f"all {code.tests_total} pass" in reply.text  # says what the tests showed
    assert reply.kind == "probe" and reply.criterion in ("complexity", "edge-cases")


# ------------------------------------------------------------------ bug 8: the closing question


def _to_closing(catalog, minutes=10):
    runner, clock = _runner(catalog, minutes=minutes)
    asyncio.run(runner.open())
    closing = _say(runner, "We shard by the short key and cache hot links in Redis.", clock, 11)
    assert closing.kind == "closing" and "questions" in closing.text.lower()
    return runner


def test_the_candidates_closing_question_is_answered_then_the_round_is_finished(catalog):
    runner = _to_closing(catalog)
    last_word = _say(runner, "Thanks! What does on-call look like for the team?")
    assert last_word is not None and last_word.role == "interviewer"
    assert "on-call" in last_word.text.lower() and "rotation" in last_word.text.lower()
    assert runner.finished and runner.record.ended_by == "time"
    assert asyncio.run(runner.follow_up()) is None  # nothing more after the last word


def test_a_question_about_the_problem_is_answered_from_the_problem(catalog):
    runner = _to_closing(catalog)
    last_word = _say(runner, "How would you have handled the click analytics?")
    assert "queue" in last_word.text.lower() or "kafka" in last_word.text.lower()
    assert runner.finished


def test_a_reply_without_a_question_gets_a_short_thanks(catalog):
    runner = _to_closing(catalog)
    last_word = _say(runner, "No questions from me, thank you.")
    assert "thank" in last_word.text.lower() and len(last_word.text) < 120
    assert runner.finished


def test_headless_practice_shows_the_answer_to_the_closing_question(tmp_path):
    answers = tmp_path / "a.txt"
    # Asked mid-round it waits for the end; asked after the closing turn it is answered.
    answers.write_text("\n---\n".join(["What's the team like?"] * 30))
    result = run_cli("practice", "research", "--question", "dropout", "--answers", str(answers))
    assert result.returncode == 0, result.stderr
    conversation = result.stdout.split("Scorecard")[0]
    assert "Let's keep that for the end" in conversation
    last_turn = conversation.strip().rsplit("Interviewer: ", 1)[1]
    assert "The team is small" in last_turn and "(you ended the round)" not in conversation


# ------------------------------------------------------------------ listening


def test_i_dont_know_gets_a_hint_once_then_the_interviewer_moves_on(catalog):
    runner, _ = _runner(catalog)
    asyncio.run(runner.open())
    probe = _say(
        runner,
        "Requirements: shorten, redirect, custom aliases and expiry; low latency redirects "
        "and high availability matter most.",
    )
    hint = _say(runner, "I don't know.")
    assert hint.kind == "clarify" and ("hint" in hint.text.lower() or "assume" in hint.text)
    assert not hint.text.startswith(STOCK)
    asked = probe.text.split(". ")[-1]
    assert asked in hint.text  # the same question again, with the hint
    moved = _say(runner, "Not sure, sorry.")
    assert "move on" in moved.text.lower() and moved.kind == "probe"
    assert moved.criterion != probe.criterion  # another angle, not the same question again


def test_gibberish_gets_a_request_for_substance_not_a_stock_opener(catalog):
    runner, _ = _runner(catalog)
    asyncio.run(runner.open())
    reply = _say(runner, "asdf qwer zxcv uiop hjkl")
    assert not reply.text.startswith(STOCK) and "push on that" not in reply.text
    assert "follow" in reply.text.lower() or "answer" in reply.text.lower()
    assert "URL-shortening service" in reply.text  # asks the question again


def test_the_acknowledgement_names_what_the_candidate_said(catalog):
    runner, _ = _runner(catalog)
    asyncio.run(runner.open())
    reply = _say(
        runner,
        "100 million new URLs a day is about 1,160 writes per second, and with 10:1 reads about "
        "11,600 redirects per second.",
    )
    assert "traffic estimate" in reply.text and "100 million new URLs a day" in reply.text


def test_every_stated_mistake_is_challenged_once(catalog):
    runner, _ = _runner(catalog)
    asyncio.run(runner.open())
    first = _say(
        runner,
        "For keys I'd take the MD5 of the long URL and keep the first 7 characters, which will "
        "be unique. 100 million URLs a day is about 100,000 requests per second.",
    )
    second = _say(runner, "I'd go with that design as it is, it is simple to run.")
    assert first.kind == second.kind == "challenge"
    assert "MD5" in first.text and "100,000 requests per second" in second.text
    again = _say(runner, "Yes, MD5 truncated to the first 7 characters will be unique.")
    assert again.kind != "challenge"  # once each
    assert unchallenged_mistakes(runner.record, runner.ctx.rubric, runner.ctx.question) == []


def test_no_probe_asks_for_a_point_already_made(catalog):
    runner, clock = _runner(catalog)
    asyncio.run(runner.open())
    answers = (EXAMPLES / "answers" / "system-design-strong.txt").read_text().split("\n---\n")
    for answer in answers:
        turn = _say(runner, answer, clock, 4)
        if runner.finished or turn is None:
            break
    question = runner.ctx.question
    assert probes_on_points_made(runner.record, runner.ctx.rubric, question) == []
    probes = [t.text for t in runner.record.turns if t.kind == "probe"]
    assert len(probes) >= 4
    # The key-generation probe is not asked of a candidate who explained key generation.
    assert not any("generate short keys" in p for p in probes[1:])


# ------------------------------------------------------------------ pacing by the clock


def test_a_45_minute_round_keeps_asking_while_time_remains(catalog):
    runner, clock = _runner(catalog, minutes=45)
    asyncio.run(runner.open())
    vague = "I would put a load balancer in front of stateless app servers and a database."
    turns = [_say(runner, f"{vague} Point {i}.", clock, 2.5) for i in range(10)]
    assert all(t.kind != "closing" for t in turns)  # 25 minutes in, ten answers: still going
    assert not runner.closing_asked


def test_near_the_end_one_last_question_then_close_at_time(catalog):
    runner, clock = _runner(catalog, minutes=30)
    asyncio.run(runner.open())
    answer = "I would put a load balancer in front of stateless app servers and a database."
    _say(runner, answer, clock, 20)
    last = _say(runner, answer + " Also a cache.", clock, 8.5)  # 1.5 minutes left
    assert last.kind == "probe" and "one last question" in last.text
    closing = _say(runner, answer + " And replicas.", clock, 2)
    assert closing.kind == "closing" and "at time" in closing.text
    assert runner.record.ended_by == "time"


# ------------------------------------------------------------------ the shipped examples


def _examples():
    return sorted(EXAMPLES.glob("example-*.json"))


def test_the_examples_cover_three_round_kinds_and_three_candidates():
    names = {p.stem for p in _examples()}
    for kind in ("system-design", "research", "behavioral"):
        for candidate in ("strong", "weak", "dont-know"):
            assert f"example-{kind}-{candidate}" in names


@pytest.mark.parametrize("path", _examples(), ids=lambda p: p.stem)
def test_no_example_probes_a_point_made_or_leaves_a_mistake_unchallenged(catalog, path: Path):
    from simulator.models import Transcript

    transcript = Transcript.model_validate_json(path.read_text())
    for record in transcript.rounds:
        question = catalog.question(record.question_id)
        rubric = catalog.rubric(record.round)
        assert probes_on_points_made(record, rubric, question) == []
        assert unchallenged_mistakes(record, rubric, question) == []
        kinds = [t.kind for t in record.turns if t.role == "interviewer"]
        assert kinds[-2:] == ["closing", "closing"]  # invited questions, then answered them
