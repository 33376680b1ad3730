"""The optional semantic signal loads offline from the wheel and never credits a fragment."""

import pytest

pytest.importorskip("wordllama")

from simulator.analysis import semantic
from simulator.analysis.evidence import analyze


def test_the_embedding_loads_without_network_and_ranks_a_paraphrase_first():
    assert semantic.available()
    sims = semantic.similarities(
        ["Popular links are kept in an in-memory cache so most redirects skip the database."],
        ("Cache the most clicked short links in memory", "Encode a counter in base62"),
    )
    assert sims[0][0] > sims[0][1]


def test_the_semantic_signal_is_off_by_default_and_never_credits_a_fragment(catalog):
    question = catalog.question("system-design/url-shortener")
    rubric = catalog.rubric("system-design")
    fragment = "Hot links cached."
    on = analyze(fragment, rubric, question, semantic_signal=True)
    assert not on.semantic
    off = analyze(fragment, rubric, question)
    assert not off.semantic
