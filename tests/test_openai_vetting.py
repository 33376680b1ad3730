"""The interviewer-turn check on its own: pure text in, verdict out (no server, no model)."""

from __future__ import annotations

import pytest

from simulator.backends.llm.vetting import (
    SentenceGate,
    TurnGuard,
    clean,
    cut_at_role_label,
    strip_reasoning,
    vet,
)

EARLIER = [
    "Hi, welcome. Let's start: design a URL shortener like TinyURL.",
    "How would you generate short keys so that two servers never hand out the same one?",
]


@pytest.fixture(scope="module")
def guard(catalog):
    question = catalog.question("system-design/url-shortener")
    rubric = catalog.rubric("system-design")
    allowed = [question.prompt, question.context or "", *(p.text for p in question.probes)]
    allowed += [p for c in rubric.criteria for p in c.probes]
    allowed.append("We use a counter encoded in base62 so keys never collide.")
    return TurnGuard.for_round(
        [(k.id, k.text, list(k.signals)) for k in question.key_points],
        [m.correction for m in question.misconceptions],
        allowed,
        EARLIER,
    )


@pytest.mark.parametrize(
    "turn, reason",
    [
        ("A strong answer would mention 1,200 writes/s and 62^7. Go on?", "rubric"),
        ("So you get about 3.5 trillion keys. Does that fit?", "key point key-length"),
        ("Remember 100 M/day is about 1,160 per second. And reads?", "key point traffic"),
        ("Fine. How would you generate the short keys so two servers never collide?", "repeats"),
        ("Candidate: I would use Cassandra with a Redis cache.", "speaks as the candidate"),
        ("", "no words"),
    ],
)
def test_a_turn_that_gives_away_or_repeats_or_speaks_for_the_candidate_is_refused(
    guard, turn, reason
):
    _, problem = vet(turn, guard)
    assert problem is not None and reason in problem


@pytest.mark.parametrize(
    "turn",
    [
        "Good. How many writes per second do you expect?",
        "Would you return a 301 or a 302 for the redirect? What changes with each?",
        "How would you cache the hot links?",
        "You said base62; how long do the keys need to be?",  # echoes the candidate: fine
        "Thanks, that's all the time we have. What questions do you have for me?",
    ],
)
def test_ordinary_probes_pass(guard, turn):
    assert vet(turn, guard) == (turn, None)


def test_the_shipped_probes_of_other_questions_rarely_trip_the_guard(catalog):
    """Paraphrased probes stand in for what a model asks: at most 2% may be refused."""
    refused = asked = 0
    for question in catalog.questions.values():
        guard = TurnGuard.for_round(
            [(k.id, k.text, list(k.signals)) for k in question.key_points],
            [m.correction for m in question.misconceptions],
            [question.prompt, question.context or "", *(p.text for p in question.probes)],
            [],
        )
        for other in catalog.questions_for(question.round):
            if other.id != question.id:
                for probe in other.probes[:2]:
                    asked += 1
                    refused += guard.problem(probe.text) is not None
    assert asked > 1000 and refused / asked < 0.02


def test_the_guard_catches_a_key_point_read_out_nearly_word_for_word(catalog):
    missed = total = 0
    for question in catalog.questions.values():
        guard = TurnGuard.for_round(
            [(k.id, k.text, list(k.signals)) for k in question.key_points],
            [m.correction for m in question.misconceptions],
            [question.prompt],
            [],
        )
        for point in question.key_points:
            total += 1
            missed += guard.problem(point.text) is None
    assert missed / total < 0.05


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("<think>plan the probe</think>How would you shard?", "How would you shard?"),
        ("<think>still thinking when the budget ran out", ""),
        (
            "The user wants a probe on caching.\n</think>\n\nHow would you cache?",
            "How would you cache?",
        ),
        ("Plain reply?", "Plain reply?"),
    ],
)
def test_reasoning_is_stripped_including_a_stray_closing_tag(raw, expected):
    assert strip_reasoning(raw).strip() == expected


def test_a_role_label_cuts_the_turn_and_a_leading_own_label_is_dropped():
    assert cut_at_role_label("How would you shard?\nCandidate: By key.") == (
        "How would you shard?",
        True,
    )
    assert cut_at_role_label("Good. **User:** I think so.") == ("Good.", True)
    assert cut_at_role_label("Interviewer: How would you shard?") == ("How would you shard?", False)
    assert cut_at_role_label("Tell me: how would you shard?") == (
        "Tell me: how would you shard?",
        False,
    )


def test_a_rambling_turn_is_capped_at_whole_sentences_ending_on_its_question():
    essay = "This is one more sentence about the design. " * 40 + "What would you change?"
    text, notes = clean("Short question first? " + essay)
    assert "shortened" in notes
    assert len(text) <= 700 and text.endswith("?") and text.startswith("Short question first?")


def test_the_gate_never_releases_a_leaking_sentence_even_split_across_chunks(guard):
    gate = SentenceGate(guard)
    chunks = ["Good", " point. A strong ans", "wer would mention 62", "^7 keys. Next?"]
    shown = "".join(gate.feed(c) for c in chunks) + gate.finish()
    assert shown == "Good point."
    assert gate.rejected and "rubric" in gate.rejected
    assert "62" not in shown


def test_the_gate_holds_a_sentence_until_it_ends_and_stops_at_a_role_label(guard):
    gate = SentenceGate(guard)
    assert gate.feed("How would you st") == ""
    assert gate.feed("ore it? ") == "How would you store it?"
    assert gate.feed("\nCandi") == ""
    assert gate.feed("date: In Cassandra.") == ""
    assert gate.stopped == "label" and gate.rejected is None
    assert gate.text == "How would you store it?"


def test_the_gate_drops_a_sentence_cut_by_max_tokens(guard):
    gate = SentenceGate(guard)
    shown = gate.feed("How would you store it? And what about the") + gate.finish(complete=False)
    assert shown == "How would you store it?"
