"""The offline interviewer probes like a person: uncovered criteria first, never twice."""

import asyncio

from simulator.backends.base import RoundContext
from simulator.backends.offline.interviewer import OfflineInterviewer
from simulator.engine.clock import FakeClock
from simulator.engine.round import RoundRunner
from simulator.models import RoundRecord


def _runner(catalog, question_id="system-design/url-shortener", minutes=45, max_answers=8):
    q = catalog.question(question_id)
    record = RoundRecord(
        round=q.round,
        question_id=q.id,
        question_title=q.title,
        question_prompt=q.prompt,
        minutes=minutes,
    )
    ctx = RoundContext(catalog=catalog, rubric=catalog.rubric(q.round), question=q, record=record)
    saves = []
    clock = FakeClock()
    runner = RoundRunner(
        ctx,
        OfflineInterviewer(),
        clock,
        lambda: saves.append(len(record.turns)),
        max_answers=max_answers,
    )
    return runner, clock, saves


def test_opening_asks_the_question_and_probes_never_repeat(catalog):
    runner, _, _ = _runner(catalog, max_answers=30)
    opening = asyncio.run(runner.open())
    assert "URL-shortening service" in opening.text
    asked = []
    answer = "I would put a load balancer in front of some stateless app servers and a database."
    for _ in range(30):
        turn = asyncio.run(runner.answer(answer))
        if turn is None:
            break
        asked.append(turn)
        if runner.finished:
            break
    probes = [t.text for t in asked if t.kind == "probe"]
    assert len(probes) == len(set(probes)) >= 5
    invitation, last_word = [t for t in asked if t.kind == "closing"]
    assert "questions" in invitation.text.lower()
    assert "thank" in last_word.text.lower() and runner.record.ended_by == "probes"


def test_question_probes_come_before_generic_ones_and_target_uncovered_criteria(catalog):
    runner, _, _ = _runner(catalog)
    asyncio.run(runner.open())
    turn = asyncio.run(
        runner.answer(
            "Requirements: shorten, redirect, custom aliases and expiry; low latency and high availability. "
            "100 million URLs a day is about 1,160 writes per second and 11,600 redirects per second."
        )
    )
    q = catalog.question("system-design/url-shortener")
    own = {p.text for p in q.probes}
    assert any(p in turn.text for p in own)
    assert turn.criterion not in ("requirements",)


def test_a_mistake_is_challenged_once(catalog):
    runner, _, _ = _runner(catalog)
    asyncio.run(runner.open())
    turn = asyncio.run(
        runner.answer(
            "For keys I'd take the MD5 of the long URL and truncate it to the first 7 characters, "
            "which is unique so there is no collision to handle."
        )
    )
    assert turn.kind == "challenge" and "Are you sure" in turn.text
    again = asyncio.run(
        runner.answer("Yes, MD5 truncated to the first 7 characters is unique, no collision.")
    )
    assert again.kind != "challenge"


def test_a_clarifying_question_gets_the_context(catalog):
    runner, _, _ = _runner(catalog)
    asyncio.run(runner.open())
    turn = asyncio.run(runner.answer("What scale should I design for?"))
    assert turn.kind == "clarify" and "100 million" in turn.text


def test_time_up_closes_the_round_and_every_turn_is_saved(catalog):
    runner, clock, saves = _runner(catalog, minutes=10)
    asyncio.run(runner.open())
    clock.advance(11 * 60)
    turn = asyncio.run(runner.answer("We shard by the short key and cache hot links in Redis."))
    assert turn.kind == "closing" and "time" in turn.text.lower()
    last_word = asyncio.run(runner.answer("How big is the team?"))
    assert last_word.kind == "closing" and "team" in last_word.text.lower()
    assert runner.record.ended_by == "time" and runner.finished
    assert saves == sorted(saves) and saves[-1] >= 4  # saved after every turn, then at the end
    assert runner.record.turns[1].elapsed == 660.0


def test_turn_limit_closes_the_round(catalog):
    runner, _, _ = _runner(catalog, max_answers=2)
    asyncio.run(runner.open())
    asyncio.run(runner.answer("We need shortening and redirects with low latency."))
    closing = asyncio.run(runner.answer("Counters with base62 encoding give unique keys."))
    assert closing.kind == "closing" and runner.record.ended_by is not None


def _coding_runner(catalog, minutes=40):
    from simulator.backends.base import RoundContext

    first = catalog.question("swe-coding/two-sum")
    second = catalog.question("swe-coding/daily-temperatures")
    record = RoundRecord(
        round="swe-coding",
        question_id=first.id,
        question_ids=[first.id, second.id],
        question_title="two problems",
        question_prompt=first.prompt,
        minutes=minutes,
    )
    ctx = RoundContext(
        catalog=catalog,
        rubric=catalog.rubric("swe-coding"),
        question=first,
        record=record,
        problems=[first, second],
    )
    clock = FakeClock()
    return RoundRunner(ctx, OfflineInterviewer(), clock, lambda: None, max_answers=20), clock


TWO_SUM = (
    "def two_sum(nums, target):\n    seen = {}\n    for i, x in enumerate(nums):\n"
    "        if target - x in seen:\n            return [seen[target - x], i]\n"
    "        seen[x] = i\n    return []\n"
)


def test_a_solved_problem_moves_on_to_the_second_after_two_follow_ups(catalog):
    from simulator.engine.coding import submit_code

    runner, _ = _coding_runner(catalog)
    first = asyncio.run(runner.open())
    assert first.question_id == "swe-coding/two-sum"
    asyncio.run(submit_code(runner, TWO_SUM))
    asyncio.run(runner.follow_up())
    asyncio.run(runner.answer("One pass with a hash map: O(n) time and space."))
    turn = asyncio.run(runner.answer("Sorted input would allow two pointers and O(1) space."))
    assert turn.kind == "question" and turn.question_id == "swe-coding/daily-temperatures"
    assert runner.ctx.question.id == "swe-coding/daily-temperatures"
    assert "second problem" in turn.text


def test_half_the_time_on_the_first_problem_moves_on(catalog):
    runner, clock = _coding_runner(catalog, minutes=40)
    asyncio.run(runner.open())
    clock.advance(21 * 60)
    turn = asyncio.run(runner.answer("I'm still thinking about a brute force over all pairs."))
    assert turn.kind == "question" and runner.problem_index == 1


def test_a_round_of_two_problems_grades_both(catalog):
    from simulator.engine.coding import submit_code

    runner, clock = _coding_runner(catalog)
    asyncio.run(runner.open())
    asyncio.run(submit_code(runner, TWO_SUM))
    asyncio.run(runner.follow_up())
    clock.advance(25 * 60)
    asyncio.run(runner.answer("It is linear time."))  # time share spent: next problem
    runner.end("candidate")
    card = asyncio.run(runner.grade())
    correctness = next(c for c in card.criteria if c.id == "correctness")
    assert "Problem 1: 100%" in correctness.feedback
    assert correctness.score in (2, 3)  # one problem solved, one not attempted


def test_a_closing_says_lets_stop_once(catalog):
    """The research rubric's closing opens with "Let's stop there.": the lead is not doubled."""
    runner, _, _ = _runner(catalog, question_id=_first_question(catalog, "research"), max_answers=1)
    asyncio.run(runner.open())
    closing = asyncio.run(
        runner.answer("L1 drives small weights to exactly zero; L2 only shrinks them.")
    )
    assert closing.kind == "closing"
    assert closing.text.lower().count("let's stop") == 1, closing.text


def _first_question(catalog, round_kind):
    return catalog.questions_for(round_kind)[0].id
