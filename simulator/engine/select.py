"""Which question a round asks: the one named, or a random one the candidate has not seen."""

from __future__ import annotations

import random

from simulator.catalog import Catalog
from simulator.models import Question

_AREAS = {
    "cv": "cv",
    "computer vision": "cv",
    "vision": "cv",
    "image": "cv",
    "nlp": "nlp",
    "natural language": "nlp",
    "language": "nlp",
    "llm": "nlp",
    "text": "nlp",
    "rl": "rl",
    "reinforcement": "rl",
    "robotics": "rl",
    "generative": "generative",
    "diffusion": "generative",
    "optimization": "optimization",
    "scaling": "scaling",
    "evaluation": "evaluation",
}


def area_for(specialization: str | None) -> str | None:
    """Map a free-text specialization ("Computer Vision", "NLP / LLMs") to a research area tag."""
    if not specialization:
        return None
    text = specialization.lower()
    for phrase, area in sorted(_AREAS.items(), key=lambda kv: -len(kv[0])):
        if phrase in text:
            return area
    return None


def choose_question(
    catalog: Catalog,
    round_kind: str,
    question_id: str | None = None,
    area: str | None = None,
    seen: set[str] | None = None,
    rng: random.Random | None = None,
) -> Question:
    """The named question, else a random unseen one (in `area` when the bank has some)."""
    if question_id:
        full = question_id if "/" in question_id else f"{round_kind}/{question_id}"
        question = catalog.questions.get(full)
        if question is None or question.round != round_kind:
            raise KeyError(question_id)
        return question
    pool = catalog.questions_for(round_kind)
    if not pool:
        raise LookupError(f"the {round_kind} bank has no questions")
    if area:
        in_area = [q for q in pool if q.area == area or area in q.tags]
        pool = in_area or pool
    seen = seen or set()
    unseen = [q for q in pool if q.id not in seen] or pool
    return (rng or random.Random()).choice(sorted(unseen, key=lambda q: q.id))
