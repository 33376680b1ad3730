"""Cheap tricks are capped with a flag and a reason; honest answers of the same length are not.

Every trick here has an honest twin of about the same length that must not be touched, so a
detector that fires on everything fails as surely as one that fires on nothing.
"""

import pytest

from simulator.analysis.evidence import analyze
from simulator.analysis.gaming import is_bare
from simulator.analysis.text import Sentence
from simulator.backends.offline.grader import grade_text, level_from_evidence

HONEST_TERSE = """Keys come from a counter: a ticket server hands each app server a range of IDs, so two servers never collide, and base62 keeps them short since 62^7 is about 3.5 trillion.
Redirects read a Redis LRU cache first because a small share of links gets most clicks, then fall back to Cassandra partitioned by the short key.
I'd answer 302 rather than 301 so every click reaches us and analytics stay complete, at the cost of more redirect traffic.
Clicks go to Kafka and are aggregated asynchronously, which keeps analytics off the redirect path."""

HONEST_SHORT = """Keys come from a ticket server's counter ranges in base62, so two servers never collide.
Redirects hit a Redis cache first, because a few links get most clicks.
I'd return 302 so every click is counted.
Clicks go to Kafka, which keeps analytics off the redirect path."""

FRAGMENTS = """Keys are base62. A ticket server hands out ranges. No collisions.
Redis caches hot links. Cassandra stores the rows. Partition by short key.
Redirect is a 302. Kafka takes the clicks. Aggregation is async. Zones are replicated."""

THERE_IS = """There is a ticket server. There is base62 encoding. There is a counter with ID ranges.
There is a Redis LRU cache. There is Cassandra partitioned by short key. There is a 302 redirect.
There is Kafka for clicks. There is asynchronous aggregation. There is replication across zones."""

HONEST_DASHES = """Counter-based keys in base62 - 62^7 is about 3.5 trillion, not a collision risk - from ticket-server ranges, never one id at a time.
Redis LRU in front of Cassandra keyed on short key: few links take most clicks.
302 not 301 - browsers cache a 301, then clicks stop reaching analytics.
Click events to Kafka, aggregated off the redirect path, then replication across zones."""

STUFFED = """The design uses a base62 counter from a ticket server with ID ranges, a Redis LRU cache, Cassandra partitioned by the short key, 302 redirects, Kafka click events with asynchronous aggregation, and replication across zones.
Also consistent hashing, custom aliases, expiry, a CDN, rate limiting, Snowflake IDs, a bloom filter and monitoring with dashboards and alerts."""


@pytest.fixture
def url(catalog):
    question = catalog.question("system-design/url-shortener")
    rubric = catalog.rubric("system-design")

    def _grade(text):
        return grade_text(catalog, rubric, text, question)

    def _analyze(text):
        return analyze(text, rubric, question)

    _grade.analyze = _analyze
    return _grade


def _words(text):
    return len(text.split())


def test_an_honest_terse_answer_is_not_flagged_and_is_a_hire(url):
    card = url(HONEST_TERSE)
    assert not {"copied_text", "fragment_list", "repetition", "keyword_stuffing"} & set(card.flags)
    assert card.overall >= 2.5, card.overall


def test_text_pasted_from_the_key_points_is_capped_with_a_reason(catalog, url):
    question = catalog.question("system-design/url-shortener")
    pasted = " ".join(kp.text for kp in question.key_points)
    card = url(pasted)
    assert "copied_text" in card.flags
    assert card.overall <= 2.0
    assert any("copied from the question" in c.feedback for c in card.criteria)


def test_fragment_lists_are_capped_and_an_honest_answer_of_equal_length_is_not(url):
    assert abs(_words(FRAGMENTS) - _words(HONEST_SHORT)) < 15
    honest = url(HONEST_SHORT)
    assert "fragment_list" not in honest.flags
    card = url(FRAGMENTS)
    assert "fragment_list" in card.flags
    assert card.overall <= 2.0
    assert any("fragments" in c.feedback for c in card.criteria)
    assert card.overall < honest.overall


def test_there_is_term_lists_are_capped(url):
    card = url(THERE_IS)
    assert "fragment_list" in card.flags
    assert card.overall <= 2.0
    assert url(THERE_IS).overall < url(HONEST_TERSE).overall - 0.5


def test_repetition_is_capped_and_the_same_text_once_is_not(url):
    assert "repetition" not in url(HONEST_TERSE).flags
    card = url("\n".join([HONEST_TERSE] * 12))
    assert "repetition" in card.flags
    assert card.overall <= 2.0


def test_keyword_stuffing_in_sentence_form_is_capped(url):
    assert abs(_words(STUFFED) - _words(HONEST_TERSE)) < 40
    card = url(STUFFED)
    assert "keyword_stuffing" in card.flags
    assert card.overall <= 2.0
    assert "keyword_stuffing" not in url(HONEST_TERSE).flags


def test_a_terse_answer_reasoning_by_contrast_and_asides_is_not_stuffing(url):
    """Experts write "302 not 301 - browsers cache a 301": the reason sits after a dash or in a
    contrast, with no "because". Dense, but not a term list."""
    analysis = url.analyze(HONEST_DASHES)
    assert len(analysis.covered) * 100 / len(analysis.tokens) >= 5  # as dense as stuffing
    assert "keyword_stuffing" not in analysis.flags
    assert "keyword_stuffing" in url(STUFFED).flags


@pytest.mark.parametrize(
    "text, bare",
    [
        ("Unit variance.", True),
        ("There is consistent hashing.", True),
        ("Token bucket, sliding window, Redis, Lua scripts and consistent hashing.", True),
        ("Softmax saturates.", True),
        (
            "Scaling by sqrt(d_k) keeps the logits at unit variance, so softmax does not saturate.",
            False,
        ),
        ("FLOPs: 73,728 x 56 x 56 ≈ 231M MACs.", False),
    ],
)
def test_a_point_needs_its_reason_to_count_in_full(text, bare):
    assert is_bare(Sentence(text, 0, len(text))) is bare


def test_bare_points_count_half_towards_a_level(catalog):
    points = catalog.question("research/dropout").key_points
    own = [kp for kp in points if kp.criterion == "mechanism"]
    explained = level_from_evidence(own, own[:3], 0, 0)
    bare = level_from_evidence(own, own[:3], 0, 0, {kp.id for kp in own[:3]})
    assert bare < explained
