"""Generic claim checks that need no per-question list: a sentence flipping a direction or
quality word a key point asserts is a mistake, and a story whose own judgment is the problem
is capped. Each check on both sides: the wrong claim is caught, the right one of the same
shape is not."""

import pytest

from simulator.analysis import judgment
from simulator.analysis.evidence import analyze
from simulator.analysis.polarity import mentions
from simulator.analysis.text import sentences
from simulator.backends.offline.grader import grade_text


def _flips(catalog, question_id: str, text: str) -> list[str]:
    question = catalog.question(question_id)
    rubric = catalog.rubric(question.round)
    analysis = analyze(text, rubric, question)
    return [m.correction for m, _ in analysis.mistakes]


KD = "research/knowledge-distillation"


def test_a_flipped_direction_is_a_mistake_whose_feedback_quotes_the_key_point(catalog):
    question = catalog.question(KD)
    point = next(kp for kp in question.key_points if kp.id == "temperature-effect")
    wrong = (
        "Distillation trains the student on the teacher's outputs. Raising the temperature "
        "sharpens the teacher's distribution, so the small probabilities on wrong classes "
        "disappear and the student gets a cleaner target."
    )
    card = grade_text(catalog, catalog.rubric("research"), wrong, question)
    assert "technical_error" in card.flags
    assert all(c.score <= 2 for c in card.criteria)
    assert any(point.text[:60] in c.feedback for c in card.criteria)


def test_the_same_sentence_stated_rightly_is_not_a_mistake(catalog):
    right = (
        "Raising the temperature flattens the teacher's distribution, so the small "
        "probabilities on wrong classes become visible to the loss."
    )
    assert _flips(catalog, KD, right) == []


def test_two_flips_in_one_sentence_cancel(catalog):
    both = (
        "Lowering the temperature sharpens the teacher's distribution, so the small "
        "probabilities on wrong classes disappear."
    )
    assert _flips(catalog, KD, both) == []


@pytest.mark.parametrize(
    "text",
    [
        "It is not the case that raising the temperature sharpens the teacher's distribution.",
        "A common misconception is that raising the temperature sharpens the teacher's "
        "distribution.",
        "Does raising the temperature sharpen the teacher's distribution?",
        "Raising the temperature might sharpen the teacher's distribution in some cases.",
    ],
)
def test_negated_reported_and_hedged_sentences_are_read_right(catalog, text):
    assert _flips(catalog, KD, text) == []


def test_a_flipped_kl_direction_is_caught_and_the_right_one_is_not(catalog):
    wrong = (
        "For LLMs use forward KL on teacher samples, because forward KL is mode-seeking "
        "and makes the student concentrate on the teacher's single best answer."
    )
    right = (
        "Forward KL on teacher samples makes the student mode-covering, spreading mass over "
        "everything the teacher might say; on-policy reverse KL is mode-seeking."
    )
    assert _flips(catalog, KD, wrong)
    assert _flips(catalog, KD, right) == []


CE = "research/cross-entropy-vs-mse"


def test_convexity_flipped_is_caught_and_its_negation_is_read_as_the_other_pole(catalog):
    tail = " in the weights, so gradient descent on a logistic model {}."
    stall = tail.format("can stall in a local minimum")
    reach = tail.format("reaches the global minimum")
    assert _flips(catalog, CE, "Log loss is non-convex" + stall)
    assert _flips(catalog, CE, "Log loss is not convex" + stall)
    assert _flips(catalog, CE, "Log loss is convex" + reach) == []
    assert _flips(catalog, CE, "Log loss is not non-convex" + reach) == []


def test_a_wrong_complexity_class_is_caught_and_the_right_one_is_not(catalog):
    kv = "research/kv-cache"
    wrong = "With the cache each step's per-token cost is constant time, whatever the context."
    right = "With the cache each step's per-token cost grows linearly with context."
    assert _flips(catalog, kv, wrong)
    assert _flips(catalog, kv, right) == []


def test_consistency_given_up_is_read_from_trades_and_sacrifices(catalog):
    store = "system-design/key-value-store"
    wrong = "The store keeps strong consistency and sacrifices availability under partition."
    right = "The store keeps availability and sacrifices strong consistency under partition."
    assert _flips(catalog, store, wrong)
    assert _flips(catalog, store, right) == []


def test_negation_gives_the_other_pole_only_on_two_valued_properties():
    assert [(m.scale, m.pole) for m in mentions("the loss is not convex here")] == [
        ("convexity", "nonconvex")
    ]
    # "not faster" may be "as fast": it asserts no direction at all.
    assert mentions("threads are not faster for this") == []


# ------------------------------------------------------------------ behavioral judgment

_STORY_START = (
    "Last year I was the tech lead on a billing launch with a fixed date three weeks out and "
    "about six weeks of work left, with two engineers and me. "
)
_STORY_END = (
    " We shipped on March 14th, two days early, and adoption grew 12% in the first month, "
    "and I reported it at the quarterly review."
)


def _deadline(catalog, story: str):
    question = catalog.question("behavioral/tight-deadline")
    return grade_text(catalog, catalog.rubric("behavioral"), story, question)


def test_a_story_whose_judgment_is_the_problem_is_capped(catalog):
    story = (
        _STORY_START
        + "I skipped the integration tests to save two days, and I didn't tell the product "
        "manager about it, since that would have just started a debate. I kept everyone on "
        "nights and weekends until it shipped."
        + _STORY_END
        + " I would do it exactly the same way again."
    )
    card = _deadline(catalog, story)
    assert judgment.FLAG_JUDGMENT in card.flags
    assert all(c.score <= 2 for c in card.criteria)
    assert any("red flag" in c.feedback for c in card.criteria)


def test_the_same_story_owning_its_mistake_is_not_capped(catalog):
    story = (
        _STORY_START
        + "I skipped the integration tests to save two days, and that was my mistake: a "
        "regression reached production a week later and I wrote the postmortem."
        + _STORY_END
        + " I learned to cut scope with the product manager instead of cutting tests; since "
        "then I keep the test suite non-negotiable."
    )
    card = _deadline(catalog, story)
    assert judgment.FLAG_JUDGMENT not in card.flags
    assert max(c.score for c in card.criteria) >= 3


@pytest.mark.parametrize(
    ("wrong", "right"),
    [
        (
            "Rather than waste time arguing with him, I went straight to the director.",
            "I talked to him one-on-one first, and then we went to the director together.",
        ),
        (
            "I basically took over his project and rewrote his pull requests myself.",
            "I asked him questions about his pull requests instead of rewriting them.",
        ),
        (
            "Honestly the feedback didn't really apply to me, so I didn't change much.",
            "The feedback stung, but it applied, so I changed how I run reviews.",
        ),
        (
            "When he kept rejecting the design, I went behind his back to his director.",
            "When he kept rejecting the design, I asked him for a one-on-one to hear why.",
        ),
        (
            "To make the date I pushed the fix straight to production on Friday night.",
            "To make the date I shipped the fix to a 5% canary on Friday and watched it.",
        ),
        (
            "I waited until the launch was over to tell my manager about the data loss.",
            "I told my manager about the data loss the same morning, before the launch.",
        ),
    ],
)
def test_red_flag_phrases_are_caught_and_the_sound_version_is_not(wrong, right):
    assert judgment.red_flags(sentences(wrong))
    assert judgment.red_flags(sentences(right)) == []


# ------------------------------------------------------------------ quantities

LORA = "research/lora-fine-tuning"


def test_a_rate_far_from_the_key_points_figure_is_a_mistake_giving_that_figure(catalog):
    wrong = (
        "Updating every weight with Adam under mixed-precision training costs around 4 bytes "
        "per parameter once you count gradients and optimizer state, so one GPU is plenty."
    )
    corrections = _flips(catalog, LORA, wrong)
    assert any("16 bytes per parameter" in c for c in corrections)


def test_the_right_rate_or_a_rate_of_another_thing_is_not(catalog):
    right = (
        "Updating every weight with Adam under mixed-precision training costs around 16 bytes "
        "per parameter once you count gradients and optimizer state, so it needs sharding."
    )
    other = "The bf16 weights alone take 2 bytes per parameter, which is what LoRA keeps frozen."
    assert _flips(catalog, LORA, right) == []
    assert _flips(catalog, LORA, other) == []
