"""The whole question bank: counts per round kind, schema, uniqueness, substance."""

from collections import Counter
from itertools import combinations

import pytest

from simulator.analysis.similarity import TopicIndex

TARGETS = {
    "system-design": 30,
    "ml-system-design": 30,
    "research": 50,
    "behavioral": 40,
    "everyday-programming": 25,
    "ai-coding": 15,
    "swe-coding": 25,
    "research-presentation": 8,
}


@pytest.mark.parametrize(("round_kind", "target"), TARGETS.items())
def test_each_bank_meets_its_target(catalog, round_kind, target):
    assert len(catalog.questions_for(round_kind)) >= target


def test_research_areas_cover_the_loops(catalog):
    areas = Counter(q.area for q in catalog.questions_for("research"))
    assert set(areas) <= {
        "ml-basics",
        "optimization",
        "architectures",
        "regularization",
        "normalization",
        "generative",
        "rl",
        "cv",
        "nlp",
        "evaluation",
        "scaling",
    }
    assert areas["cv"] >= 6 and areas["nlp"] >= 6 and areas["rl"] >= 5


def test_behavioral_questions_name_competencies_and_principles(catalog):
    for q in catalog.questions_for("behavioral"):
        assert q.competencies and q.principles, q.id


def test_every_question_is_complete(catalog):
    for q in catalog.questions.values():
        assert q.title.strip() and len(q.prompt.split()) >= 5, q.id
        assert q.difficulty in ("easy", "medium", "hard") and q.tags, q.id
        assert len(q.key_points) >= 4 and len(q.probes) >= 3, q.id
        assert len({kp.id for kp in q.key_points}) == len(q.key_points), q.id
        assert len({p.text for p in q.probes}) == len(q.probes), q.id
        for kp in q.key_points:
            assert len(kp.text.split()) >= 5 and kp.signals, (q.id, kp.id)
        if q.round in ("ai-coding", "swe-coding"):
            assert q.coding is not None and q.coding.tests, q.id


def test_no_two_questions_ask_the_same_thing(catalog):
    for kind in TARGETS:
        questions = catalog.questions_for(kind)
        titles = Counter(q.title.lower() for q in questions)
        assert max(titles.values()) == 1, kind
        index = TopicIndex(questions)
        for a, b in combinations(questions, 2):
            score = index.scores(f"{a.title}. {a.prompt}")[b.id]
            own = index.scores(f"{a.title}. {a.prompt}")[a.id]
            assert score < own, (a.id, b.id, score, own)  # each question is its own best match


def test_every_round_kind_has_a_study_guide_tied_to_its_criteria(catalog):
    for kind, rubric in catalog.rubrics.items():
        guide = catalog.guides[kind]
        criteria = {c.id for c in rubric.criteria}
        for item in guide.items:
            assert set(item.criteria) <= criteria, (kind, item.topic)
        covered = {c for item in guide.items for c in item.criteria}
        assert covered == criteria or kind in ("ai-coding", "swe-coding"), (
            kind,
            criteria - covered,
        )


def test_a_key_point_text_matches_none_of_its_question_misconceptions(catalog):
    from simulator.analysis.evidence import first_match
    from simulator.analysis.text import sentences

    for q in catalog.questions.values():
        for kp in q.key_points:
            for mistake in q.misconceptions:
                assert first_match(mistake.signals, sentences(kp.text), affirmed=True) is None, (
                    q.id,
                    kp.id,
                    mistake.text,
                )
