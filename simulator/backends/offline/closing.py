"""The round's first and last words: the opener with the round's real minutes, the closing
invitation, and a brief answer to the candidate's own question at the end."""

from __future__ import annotations

import re

from simulator.analysis.text import content_stems, quote
from simulator.backends.offline.probes import shared_words
from simulator.models import Persona, Question

_MINUTES = re.compile(r"\babout \d+ minutes\b", re.IGNORECASE)
_PROBLEM_COUNT = re.compile(r",? so probably (one|two|three|\d+) problems?", re.IGNORECASE)
_COUNT_WORDS = {1: "one problem", 2: "two problems", 3: "three problems", 4: "four problems"}


def opening_line(template: str, minutes: int, problems: int = 1) -> str:
    """The rubric's opener with the round's own minutes (and problem count, for coding)."""
    text = " ".join(template.split())
    if _MINUTES.search(text):
        text = _MINUTES.sub(f"about {minutes} minutes", text, count=1)
    else:
        text = f"We have about {minutes} minutes. {text}"
    if problems > 1 or _PROBLEM_COUNT.search(text):
        count = _COUNT_WORDS.get(problems, f"{problems} problems")
        text = _PROBLEM_COUNT.sub(f", so {count}", text, count=1)
    return text


# ---------------------------------------------------------------- the candidate's question

_QUESTION_START = re.compile(
    r"^(what|how|who|why|when|where|which|is|are|do|does|did|can|could|would|will|should|"
    r"any|have|has)\b",
    re.IGNORECASE,
)


def candidate_questions(text: str) -> list[str]:
    """The questions in the candidate's reply to the closing turn."""
    parts = re.split(r"(?<=[.!?])\s+|\n+", text.strip())
    return [
        p.strip()
        for p in parts
        if p.strip().endswith("?")
        or (
            _QUESTION_START.match(p.strip()) and len(p.split()) >= 3 and not p.strip().endswith(".")
        )
    ]


# (words in the question, how this interviewer answers it); {field}, {seniority} from the persona.
# The most specific topics first: "how does the team do on-call" is about on-call.
_TOPICS: list[tuple[tuple[str, ...], str]] = [
    (
        ("on-call", "on call", "oncall", "pager"),
        "On-call is a weekly rotation shared by the team, with a runbook for every alert; "
        "the rule is that a page which needed no human action gets fixed or deleted that week.",
    ),
    (
        ("typical day", "typical week", "day-to-day", "day to day", "routine"),
        "A typical week is mostly deep work on your own project, one planning meeting and a "
        "reading group; we keep meetings out of the mornings.",
    ),
    (
        ("publish", "conference", "open source", "open-source"),
        "We publish when the work is ready for it, and code usually goes out with the paper; "
        "product deadlines come first when they clash, and we say so early.",
    ),
    (
        ("career", "promotion", "mentor", "growth", "grow as"),
        "Growth comes from owning something real early: you get a mentor, a project in your "
        "first month, and written feedback every half.",
    ),
    (
        ("next step", "hear back", "interview process", "timeline"),
        "The interviewers write their feedback today, and the recruiter gets back to you within "
        "about a week.",
    ),
    (
        ("culture", "values", "like working", "enjoy", "favourite", "favorite", "best part"),
        "What I like most is that people say what they think in reviews, kindly, and that a "
        "good idea wins whoever it comes from.",
    ),
    (
        ("remote", "office", "hybrid", "location"),
        "Most of us are in the office three days a week; the rest is up to you.",
    ),
    (
        ("team", "who would i", "work with", "colleague"),
        "I work on {field}, at {seniority} level. The team is small, a handful of researchers and "
        "engineers, and projects are owned end to end by one or two people.",
    ),
]


def _persona_answer(question: str, persona: Persona) -> str | None:
    lowered = question.lower()
    for keys, answer in _TOPICS:
        if any(re.search(rf"\b{re.escape(k)}", lowered) for k in keys):
            return answer.format(field=persona.field, seniority=persona.seniority)
    return None


def about_the_job(question: str) -> bool:
    """Is this a question about the team or the job (for the end), not about the problem?"""
    return _persona_answer(question, Persona()) is not None


def _question_answer(asked: str, question: Question | None) -> str | None:
    """An answer drawn from the problem itself: the key point the question is about (its
    name counts double: "the click analytics" is about "Click analytics off the ...")."""
    if question is None:
        return None
    stems = set(content_stems(asked))
    best: tuple[int, str] | None = None
    for point in question.key_points:
        label, _, detail = point.text.partition(" - ")
        named = shared_words(stems, set(content_stems(label))) if detail else 0
        shared = shared_words(stems, set(content_stems(point.text))) + named
        if shared >= 2 and (best is None or shared > best[0]):
            best = (shared, detail or point.text)
    if best is None:
        return None
    return f"Since you ask, here is how we see it: {quote(best[1].strip().rstrip('.'), 220)}."


def answer_closing(reply: str, question: Question | None, persona: Persona) -> str:
    """The interviewer's last turn: answer the candidate's question briefly, or thank them."""
    asked = candidate_questions(reply)
    if not asked:
        return "Thank you, I enjoyed the conversation. That's the end of this round."
    answers: list[str] = []
    for one in asked[:2]:
        found = _persona_answer(one, persona) or _question_answer(one, question)
        if found and found not in answers:
            answers.append(found)
    if not answers:
        answers.append(
            "That one is better answered by the recruiter, who has the details; "
            "I'll make sure they know you asked."
        )
    return "Good question. " + " ".join(answers) + " Thanks for your time today."
