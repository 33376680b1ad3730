"""Questions whose key points carry a checkable figure check the candidate's figure: the right
one (written the way people write it) passes, a wrong one is a mistake with the right value."""

import re

import pytest

from simulator.analysis.evidence import analyze

CASES = [
    # question, a right statement, (right figure, wrong figure)
    (
        "system-design/chat",
        "That is 20 billion messages a day, so writes dominate.",
        ("20 billion", "2 billion"),
    ),
    (
        "system-design/news-feed",
        "Reads are 3B reads a day, which is why we precompute.",
        ("3B", "30B"),
    ),
    (
        "system-design/email-service",
        "At 50 KB each that is 200 TB a day, so bodies go to blob storage.",
        ("200 TB", "20 TB"),
    ),
    (
        "system-design/llm-inference-serving",
        "The weights are 140 GB of weights in fp16, so one instance spans two GPUs.",
        ("140 GB", "70 GB"),
    ),
    (
        "system-design/llm-inference-serving",
        "The KV cache is about 320 KB per token, so memory caps the batch.",
        ("320 KB", "32 KB"),
    ),
    (
        "system-design/metrics-pipeline",
        "That gives 50 million samples/s to ingest, so we shard by series.",
        ("50 million", "5 million"),
    ),
    (
        "system-design/url-shortener",
        "Seven characters suffice because 62^7 is about 3.5 trillion keys.",
        ("3.5 trillion", "350 billion"),
    ),
    (
        "research/kv-cache",
        "For the 7B model the cache is 0.5 MB per token, so 2 GB per sequence.",
        ("0.5 MB", "4 MB"),
    ),
    (
        "research/lora-fine-tuning",
        "With r = 8 on a 4096 x 4096 matrix LoRA trains 65,536 parameters instead of 16.8M.",
        ("65,536", "655,360"),
    ),
    (
        "research/conv-arithmetic",
        "The layer needs 231 million MACs for a 56 x 56 output, so compute scales with resolution.",
        ("231 million", "23 million"),
    ),
    (
        "everyday-programming/git-bisect",
        "Bisect needs log2(1000) ≈ 10 steps, so about 20 minutes with a 2-minute benchmark.",
        ("≈ 10", "≈ 100"),
    ),
    (
        "everyday-programming/float-precision",
        "A double has a 53-bit significand, so about 15 to 17 decimal digits.",
        ("53-bit", "64-bit"),
    ),
    (
        "everyday-programming/threads-processes-asyncio",
        "Each OS thread reserves an 8 MB stack, so 20,000 threads waste memory.",
        ("8 MB", "80 MB"),
    ),
]


def _wrong_numbers(analysis):
    return [m for m, _ in analysis.mistakes if m.text.startswith("Wrong number")]


@pytest.mark.parametrize("question_id, text, swap", CASES, ids=[f"{c[0]}:{c[2][0]}" for c in CASES])
def test_the_right_figure_passes_and_a_wrong_one_is_a_mistake(catalog, question_id, text, swap):
    question = catalog.question(question_id)
    rubric = catalog.rubric(question.round)
    assert not _wrong_numbers(analyze(text, rubric, question)), text
    right, wrong = swap
    assert right in text
    mistakes = _wrong_numbers(analyze(text.replace(right, wrong), rubric, question))
    assert mistakes, f"{wrong!r} not caught in {question_id}"
    assert re.search(r"\d", mistakes[0].correction)  # the feedback gives the right value


def test_every_fact_names_its_figure_and_a_criterion_of_its_question(catalog):
    for question in catalog.questions.values():
        criteria = {kp.criterion for kp in question.key_points}
        for fact in question.facts:
            assert "(?P<n>" in fact.pattern, question.id
            assert re.compile(fact.pattern)
            assert fact.criterion in criteria, question.id
            assert fact.value > 0, question.id


@pytest.mark.parametrize(
    "question_id, text",
    [
        (
            "system-design/email-service",
            "Each user gets 40 emails a day, so 4 billion emails a day.",
        ),
        (
            "system-design/metrics-pipeline",
            "Each host has 1,000 series per host, 500 million in all.",
        ),
        ("system-design/leaderboard", "A player posts 10 updates a day, so 500M updates a day."),
        ("research/vit-vs-cnn", "With 14x14 patches a 224 image gives 256 tokens instead."),
        (
            "system-design/llm-inference-serving",
            "Peaks reach about 350 requests/s at peak, so we autoscale.",
        ),
    ],
)
def test_per_unit_figures_and_other_setups_are_not_checked_against_the_total(
    catalog, question_id, text
):
    """A per-user or per-host figure, a peak, or a different patch size is not the fact's
    figure: calling it wrong would punish an honest answer."""
    question = catalog.question(question_id)
    assert not _wrong_numbers(analyze(text, catalog.rubric(question.round), question)), text


def test_vit_token_count_is_checked_for_the_16_pixel_setup(catalog):
    question = catalog.question("research/vit-vs-cnn")
    rubric = catalog.rubric("research")
    text = "A 224x224 image in 16x16 patches gives {} tokens, so attention stays cheap."
    assert not _wrong_numbers(analyze(text.format(196), rubric, question))
    assert _wrong_numbers(analyze(text.format(256), rubric, question))
