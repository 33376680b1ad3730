"""Which bank question a free-text question is closest to (TF-IDF cosine over word stems)."""

from __future__ import annotations

import math
from collections import Counter

from simulator.analysis.text import content_stems
from simulator.models import Question

MATCH_THRESHOLD = 0.35


def _vector(stems: list[str], idf: dict[str, float]) -> dict[str, float]:
    counts = Counter(stems)
    vec = {s: (1 + math.log(n)) * idf.get(s, 1.0) for s, n in counts.items()}
    norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
    return {s: v / norm for s, v in vec.items()}


class TopicIndex:
    """TF-IDF vectors of what each question is about (title, prompt, key points, tags), to tell
    which question an answer addresses."""

    def __init__(self, questions: list[Question]) -> None:
        self.questions = questions
        docs = [
            content_stems(" ".join([q.title, q.prompt, *q.tags, *(kp.text for kp in q.key_points)]))
            for q in questions
        ]
        df = Counter(s for doc in docs for s in set(doc))
        self.idf = {s: math.log((1 + len(docs)) / (1 + n)) + 1 for s, n in df.items()}
        self.vectors = [_vector(doc, self.idf) for doc in docs]

    def scores(self, text: str) -> dict[str, float]:
        query = _vector(content_stems(text), self.idf)
        return {
            q.id: sum(w * vec.get(s, 0.0) for s, w in query.items())
            for q, vec in zip(self.questions, self.vectors, strict=True)
        }


_INDEXES: dict[tuple[str, ...], TopicIndex] = {}


def topic_index(questions: list[Question]) -> TopicIndex:
    key = tuple(q.id for q in questions)
    if key not in _INDEXES:
        _INDEXES[key] = TopicIndex(questions)
    return _INDEXES[key]


def most_similar(text: str, questions: list[Question]) -> tuple[Question | None, float]:
    """The closest question and its cosine; None when nothing reaches MATCH_THRESHOLD."""
    if not questions:
        return None, 0.0
    docs = [
        content_stems(f"{q.title}. {q.title}. {q.prompt} {' '.join(q.tags)}") for q in questions
    ]
    df = Counter(s for doc in docs for s in set(doc))
    idf = {s: math.log((1 + len(docs)) / (1 + n)) + 1 for s, n in df.items()}
    query = _vector(content_stems(text), idf)
    best, best_score = None, 0.0
    for question, doc in zip(questions, docs, strict=True):
        vec = _vector(doc, idf)
        score = sum(w * vec.get(s, 0.0) for s, w in query.items())
        if score > best_score:
            best, best_score = question, score
    return (best, best_score) if best_score >= MATCH_THRESHOLD else (None, best_score)
