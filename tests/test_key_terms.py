"""Key points made in words no hand-written signal anticipated: credited (at half) from the
point's own distinctive terms, never for a fragment, a negation, or an answer making known
mistakes; and number words read as digits."""

import pytest

from simulator.analysis.evidence import analyze
from simulator.analysis.text import Sentence


@pytest.fixture
def narrow_kv(catalog):
    """The KV-cache question with the speculative-decoding point's signals made useless, so
    only the key point's own text can credit it."""
    question = catalog.question("research/kv-cache")
    points = [
        kp.model_copy(update={"signals": ["zzqx-never-written"]}) if kp.id == "speculative" else kp
        for kp in question.key_points
    ]
    return question.model_copy(update={"key_points": points}), catalog.rubric("research")


PARAPHRASE = (
    "A small draft model guesses several tokens and the large model verifies them in one "
    "pass, with rejection sampling so the output distribution stays exact."
)


def test_a_sentence_using_the_points_own_terms_earns_half_credit(narrow_kv):
    question, rubric = narrow_kv
    analysis = analyze(PARAPHRASE, rubric, question)
    assert "speculative" in analysis.covered
    assert "speculative" in analysis.paraphrased
    kp = next(k for k in question.key_points if k.id == "speculative")
    assert analysis.credit(kp) == 0.5


def test_the_same_terms_negated_or_as_a_fragment_earn_nothing(narrow_kv):
    question, rubric = narrow_kv
    negated = "A draft model never proposes several tokens for the large model to verify in a pass."
    fragment = "Draft model, several tokens, large model, verify, one pass."
    for text in (negated, fragment):
        assert "speculative" not in analyze(text, rubric, question).covered, text


def test_no_benefit_of_the_doubt_for_an_answer_making_a_known_mistake(narrow_kv):
    question, rubric = narrow_kv
    wrong = f"{PARAPHRASE} With a KV cache each decoding step has constant cost."
    analysis = analyze(wrong, rubric, question)
    assert analysis.mistakes
    assert "speculative" not in analysis.covered


def test_number_words_match_a_digit_signal():
    plain = Sentence("We lost three weeks and two customers.", 0, 38).plain
    assert "3 weeks" in plain and "2 customers" in plain
    assert plain.startswith("We lost three weeks")  # the words as said stay for quoting
