"""The offline grader: scores each rubric criterion from the key points an answer makes, the
mistakes it makes and, for behavioral rounds, how the story is told.

It judges substance, not length: a criterion rises only with key points made in the
candidate's own sentences, falls with each mistake, and a non-answer (empty, gibberish, a
buzzword list, the question restated, another question's answer) scores 1 everywhere.
"""

from __future__ import annotations

import re

from simulator.analysis import judgment
from simulator.analysis.evidence import NON_ANSWER_FLAGS, Analysis, analyze
from simulator.analysis.gaming import GAMING_CAP
from simulator.analysis.story import profile as story_profile
from simulator.analysis.text import content_stems, quote
from simulator.catalog import Catalog
from simulator.models import (
    CriterionScore,
    KeyPoint,
    Question,
    Rubric,
    Scorecard,
    StudyGuide,
    decision_for,
)

GRADER_NAME = "offline"
_ARITHMETIC_CRITERIA = ("estimation", "correctness", "serving", "mechanism", "evidence")
_NON_ANSWER_REASON = {
    "empty": "There is no answer to grade.",
    "too_short": "The answer is too short to show anything: it needs a worked explanation.",
    "gibberish": "The answer is not readable text.",
    "buzzword_list": "A list of terms with no reasoning is not an answer: explain how and why.",
    "restated_question": "The answer restates the question without answering it.",
    "off_topic": "The answer addresses a different question from the one asked.",
}


def level_from_evidence(
    points: list[KeyPoint],
    covered: list[KeyPoint],
    generic_hits: int,
    generic_total: int,
    bare: set[str] | frozenset[str] = frozenset(),
) -> int:
    """Map what an answer shows on one criterion to a level.

    The question's key points carry most of the weight and the rubric's generic signals (the
    number of sentences that show them, three being plenty) the rest; a 4 also needs an
    advanced point when the criterion has one. Generic vocabulary alone never makes a 4.
    The rubrics' levels 3 and 4 ask for explanation, not mention: a point in `bare` (named as
    a fragment or a term, never with its reason) counts half, and an advanced point only
    counts towards a 4 when it is explained.
    """
    generic = min(1.0, generic_hits / 3) if generic_total else 0.0
    if not points:
        return 1 + round(2 * generic)
    share = sum(0.5 if kp.id in bare else 1.0 for kp in covered) / len(points)
    strength = 0.75 * share + 0.25 * generic
    advanced = [kp for kp in points if kp.depth == "advanced"]
    advanced_made = any(kp in covered and kp.id not in bare for kp in advanced)
    if strength >= 0.7 and (advanced_made or not advanced):
        return 4
    if strength >= 0.4:
        return 3
    if strength >= 0.1:
        return 2
    return 1


def level_from_tests(fraction: float) -> int:
    return 4 if fraction >= 1 else 3 if fraction >= 0.75 else 2 if fraction >= 0.4 else 1


_FILLER = re.compile(
    r"\b(basically|kind of|sort of|you know|i guess|pretty much|stuff|things like that|"
    r"and so on|whatever|obviously|super|really|a lot of)\b",
    re.IGNORECASE,
)
_SIGNPOST = re.compile(
    r"(^|\n)\s*(\d+[.)]|[-*•]|#+)\s|\b(first(ly)?|second(ly)?|third|finally|in short|"
    r"to summari[sz]e|the key (point|idea)|the (cause|reason|fix|answer) is|"
    r"(two|three) (reasons|things|parts))\b",
    re.IGNORECASE,
)


def level_from_communication(analysis: Analysis, share: float) -> tuple[int, list[str]]:
    """How the answer is put: substance first (nothing said cannot be said well), then
    structure (signposts, lists, paragraphs) and economy (little filler, sentences that end)."""
    words = max(1, len(analysis.tokens))
    filler = len(_FILLER.findall(analysis.text)) * 100 / words
    structured = bool(_SIGNPOST.search(analysis.text)) or analysis.text.count("\n\n") >= 2
    long_sentences = sum(len(s.text.split()) > 45 for s in analysis.sentences)
    level = 1 + (share >= 0.25) + (share >= 0.5)
    notes: list[str] = []
    if structured and filler < 2 and long_sentences <= 1:
        level += 1
    if filler >= 3:
        level -= 1
        notes.append(f"Much filler ({filler:.0f} per 100 words): say it directly.")
    if not structured and words > 250:
        notes.append("A long answer with no signposts: lead with the point, then the reasons.")
    level = max(1, min(4, level))
    if not notes:  # say why, so a score never stands beside "No evidence of this."
        notes.append(
            "Clear and direct: the substance comes first, with little filler."
            if level >= 3
            else "Too little substance to judge how it is put: say more of what matters."
        )
    return level, notes


# ------------------------------------------------------------------ how a story is told (STAR)

_I_ACTION = re.compile(
    r"\bI\s+(?!would\b|'d\b|’d\b|will\b|think\b|believe\b|guess\b|feel\b|mean\b|try\b|always\b|usually\b)"
    r"(?:\w+ly\s+)?\w+(?:ed|t|ew|ote|ok|ent|ade|ld|an|ave|ought|orked|ot|et|id|uilt|ut)\b",
)
_WE = re.compile(r"\bwe\b", re.IGNORECASE)
_HYPOTHETICAL = re.compile(
    r"\b(I would|I'd|I’d|I will|I'll|I usually|I typically|I generally|I always|I try to|"
    r"in general|generally|typically|usually|you should|one should|it's important to)\b",
    re.IGNORECASE,
)


def star_caps(text: str) -> dict[str, int]:
    """Caps for behavioral criteria when the story is hypothetical or never says what 'I' did."""
    caps: dict[str, int] = {}
    i_actions = len(_I_ACTION.findall(text))
    we = len(_WE.findall(text))
    hypothetical = len(_HYPOTHETICAL.findall(text))
    if i_actions < 3 and hypothetical >= 3:
        caps.update(situation=2, actions=2, result=2)
    if we >= 2 * max(i_actions, 1) and i_actions < 4:
        caps["actions"] = min(caps.get("actions", 4), 2)
        caps["relevance"] = min(caps.get("relevance", 4), 3)
    return caps


# ------------------------------------------------------------------ scorecard


def _feedback(
    made: list[KeyPoint], missing: list[KeyPoint], notes: list[str], touched: bool = False
) -> str:
    parts = []
    if not made and missing and touched:
        parts.append("You touched on this, but made none of its key points.")
    if made:
        parts.append("Made: " + "; ".join(kp.text.rstrip(".") for kp in made[:3]) + ".")
    parts.extend(notes)  # mistakes, caps and why a point was not credited come before gaps
    if missing:
        parts.append("Missing: " + "; ".join(kp.text.rstrip(".") for kp in missing[:2]) + ".")
    if not parts:
        parts.append("Some evidence in your words." if touched else "No evidence of this.")
    return " ".join(parts)


def grade_analysis(
    analysis: Analysis,
    rubric: Rubric,
    question: Question | None,
    guide: StudyGuide | None = None,
    correctness: float | None = None,
) -> Scorecard:
    """Turn an analysis into a scorecard. `correctness` is the share of hidden tests passed."""
    non_answer = [f for f in analysis.flags if f in NON_ANSWER_FLAGS]
    behavioral = rubric.round == "behavioral" and not non_answer
    caps = star_caps(analysis.text) if behavioral else {}
    story = story_profile(analysis.sentences) if behavioral else None
    structure = story.levels() if story else {}
    if story and story.generic:
        for criterion_id in ("situation", "actions", "result"):
            caps[criterion_id] = min(caps.get(criterion_id, 4), 2)
    red_flags = judgment.red_flags(analysis.sentences) if behavioral else []
    judged = judgment.caps(red_flags)
    points = question.key_points if question else []
    overall_share = len(analysis.covered) / len(points) if points else 0.0
    scores: list[CriterionScore] = []
    for criterion in rubric.criteria:
        own = [kp for kp in points if kp.criterion == criterion.id]
        made = analysis.covered_points(own)
        generic = analysis.generic.get(criterion.id, [])
        evidence = [analysis.covered[kp.id] for kp in made] or generic[:2]
        notes: list[str] = []
        if non_answer:
            level = 1
            notes.append(_NON_ANSWER_REASON[non_answer[0]])
            evidence = []
        elif criterion.measure == "tests" and correctness is not None:
            level = level_from_tests(correctness)
            notes.append(f"{correctness:.0%} of the hidden tests passed.")
        elif criterion.measure == "coverage" and points:
            level = level_from_evidence(
                points,
                analysis.covered_points(points),
                len(generic),
                len(criterion.signals),
                analysis.bare,
            )
        elif criterion.measure == "communication" and not own:
            level, more = level_from_communication(analysis, overall_share)
            notes.extend(more)
        else:
            level = level_from_evidence(
                own, made, len(generic), len(criterion.signals), analysis.bare
            )
        if criterion.id in structure and structure[criterion.id] > level:
            # The story's own structure shows what no signal foresaw.
            level = structure[criterion.id]
            notes.append(_STRUCTURE_NOTE[criterion.id])
        if not non_answer:
            for mistake, sentence in analysis.mistakes:
                if mistake.criterion == criterion.id:
                    level = max(1, min(level - 1, 2))
                    notes.append(f'Mistake: "{quote(sentence.text, 120)}" — {mistake.correction}')
                    evidence.append(sentence)
            if criterion.id == _arithmetic_criterion(rubric):
                for error in analysis.arithmetic:
                    level = max(1, min(level - 1, 2))
                    notes.append(f'Check the arithmetic: "{error.claim}" — {error.correct}.')
                    evidence.append(error.sentence)
            # A strong hire is correct throughout; a stated error is lean no hire at best: the
            # expert ranks a confidently wrong answer below a vague one (held-out
            # length-inverted pairs 78.9 -> 80.3 %, fluent-wrong mean 1.67 -> 1.61).
            errors = len(analysis.mistakes) + len(analysis.arithmetic)
            ceiling = 4 if errors == 0 else 2
            if level > ceiling:
                level = ceiling
                notes.append(_ERROR_CEILING[ceiling])
            if criterion.id in caps and level > caps[criterion.id]:
                level = caps[criterion.id]
                notes.append(_CAP_REASON[criterion.id])
            if criterion.id in judged and level > judged[criterion.id]:
                level = judged[criterion.id]
                notes.append(_judgment_note(red_flags, judged[criterion.id]))
                evidence.extend(flag.sentence for flag in red_flags[:2])
            for finding in analysis.gaming:
                if level > GAMING_CAP:
                    level = GAMING_CAP
                    notes.append(f"Capped at {GAMING_CAP}: {finding.reason}")
                    break
        missing = [kp for kp in own if kp not in made]
        if not non_answer:
            notes[:0] = _credit_notes(own, analysis)
        quotes = list(dict.fromkeys(quote(s.text) for s in evidence))[:3]
        scores.append(
            CriterionScore(
                id=criterion.id,
                name=criterion.name,
                score=level,
                evidence=quotes,
                feedback=" ".join(notes)
                if non_answer
                else _feedback(
                    [kp for kp in made if kp.id not in analysis.bare],
                    missing,
                    notes,
                    touched=bool(generic) or bool(made),
                ),
            )
        )
    overall = rubric.overall({s.id: s.score for s in scores})
    flags = list(dict.fromkeys(analysis.flags))
    if analysis.mistakes or analysis.arithmetic:
        flags.append("technical_error")
    if red_flags:
        flags.append(judgment.FLAG_JUDGMENT)
    return Scorecard(
        round=rubric.round,
        question_id=question.id if question else None,
        grader=GRADER_NAME,
        overall=overall,
        decision=decision_for(overall),
        criteria=scores,
        flags=flags,
        strengths=_strengths(scores, points, analysis),
        improvements=[f.reason for f in analysis.gaming]
        + _improvements(scores, rubric, points, analysis, guide, question),
    )


def _judgment_note(red_flags: list[judgment.RedFlag], cap: int) -> str:
    said = "; ".join(f'"{flag.phrase}" ({flag.reason})' for flag in red_flags[:3])
    return f"Capped at {cap}: the story's own judgment is a red flag: {said}."


def _credit_notes(own: list[KeyPoint], analysis: Analysis) -> list[str]:
    """Why a point the candidate named earned less than full credit."""
    notes = []
    bare = [kp for kp in own if kp.id in analysis.bare]
    if bare:
        notes.append(
            "Half credit, named without a reason or consequence: "
            + "; ".join(_short(kp.text) for kp in bare[:2])
            + "."
        )
    for kp in own:
        if kp.id in analysis.not_credited:
            notes.append(f"Not credited ({analysis.not_credited[kp.id]}): {_short(kp.text)}.")
    return notes


def _short(text: str) -> str:
    return quote(text.rstrip("."), 90)


_ERROR_CEILING = {
    2: "Capped at 2: a stated technical error makes this a lean no hire at best.",
}

_STRUCTURE_NOTE = {
    "situation": "Credited from the story: one real, dated situation with your role in it.",
    "actions": "Credited from the story: concrete steps you took yourself.",
    "result": "Credited from the story: an outcome with a number.",
    "reflection": "Credited from the story: a lesson tied to what happened.",
}

_CAP_REASON = {
    "situation": "The story is what you would do or usually do, not one real situation.",
    "actions": "Say what you did yourself: the story is told as 'we' or as what you would do.",
    "result": "A hypothetical story has no result: say what actually happened.",
    "relevance": "It is hard to see your own part in the story.",
}


def _arithmetic_criterion(rubric: Rubric) -> str | None:
    ids = [c.id for c in rubric.criteria]
    return next((c for c in _ARITHMETIC_CRITERIA if c in ids), ids[0] if ids else None)


def _strengths(
    scores: list[CriterionScore], points: list[KeyPoint], analysis: Analysis
) -> list[str]:
    """The best criteria, each with the strongest point the candidate actually made."""
    good = sorted((s for s in scores if s.score >= 3), key=lambda s: -s.score)
    out = []
    for score in good[:3]:
        made = [kp for kp in points if kp.criterion == score.id and kp.id in analysis.covered]
        made.sort(key=lambda kp: kp.depth != "advanced")
        out.append(f"{score.name}: {made[0].text}" if made else f"{score.name}: {score.feedback}")
    return out


def _improvements(
    scores: list[CriterionScore],
    rubric: Rubric,
    points: list[KeyPoint],
    analysis: Analysis,
    guide: StudyGuide | None,
    question: Question | None = None,
) -> list[str]:
    weights = {c.id: c.weight for c in rubric.criteria}
    weak = sorted((s for s in scores if s.score <= 2), key=lambda s: -(4 - s.score) * weights[s.id])
    out: list[str] = []
    for score in weak[:3]:
        missing = [
            kp for kp in points if kp.criterion == score.id and kp.id not in analysis.covered
        ]
        criterion = rubric.criterion(score.id)
        if criterion.measure == "tests":
            advice = (score.feedback or "No code was submitted.") + (
                " Run the visible examples, then test the edge cases yourself before submitting."
            )
        else:
            advice = missing[0].text if missing else criterion.levels[3]
        line = f"{score.name}: {advice}"
        study = _study_pointer(guide, score.id, question)
        if study:
            line += f" (study: {study})"
        out.append(line)
    return out


def _study_pointer(
    guide: StudyGuide | None, criterion_id: str, question: Question | None = None
) -> str | None:
    """The study item for this criterion that is closest to the question's topic."""
    if guide is None:
        return None
    items = [item for item in guide.items if criterion_id in item.criteria]
    if not items:
        return None
    if question is not None:
        about = set(content_stems(" ".join([question.title, question.area or "", *question.tags])))
        items.sort(key=lambda item: -len(about & set(content_stems(f"{item.topic} {item.why}"))))
    return f"{items[0].topic} — {items[0].resources[0]}"


def grade_text(
    catalog: Catalog,
    rubric: Rubric,
    answer: str,
    question: Question | None = None,
    question_text: str | None = None,
    correctness: float | None = None,
    semantic_signal: bool = False,
) -> Scorecard:
    siblings = catalog.questions_for(rubric.round)
    guide = catalog.guides.get(rubric.round)
    notes = [f"{item.topic}. {item.why}" for item in guide.items] if guide else []
    analysis = analyze(answer, rubric, question, question_text, siblings, notes, semantic_signal)
    return grade_analysis(analysis, rubric, question, catalog.guides.get(rubric.round), correctness)
