"""Numbers a key point carries, checked rather than credited on sight.

"70B needs 140B tokens" names the right things with the wrong figure; a question's numeric
facts say where such a figure is stated and what it should be, within a tolerance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from simulator.analysis.text import Sentence
from simulator.models import NumericFact

_UNITS = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "b": 1e9, "billion": 1e9}
_UNITS |= {"t": 1e12, "trillion": 1e12, "%": 0.01, "percent": 0.01}
_FIGURE = re.compile(
    r"(\d+(?:[.,]\d+)*)\s*(k|thousand|m|million|b|billion|t|trillion|%|percent)?(?![a-z])", re.I
)


@dataclass(frozen=True)
class WrongNumber:
    fact: NumericFact
    sentence: Sentence
    stated: str


def parse_figure(text: str) -> float | None:
    match = _FIGURE.search(text)
    if not match:
        return None
    number = match.group(1).replace(",", "")
    try:
        return float(number) * _UNITS.get((match.group(2) or "").lower(), 1.0)
    except ValueError:
        return None


@cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error:
        return None


def check(facts: list[NumericFact], sentences: list[Sentence]) -> list[WrongNumber]:
    """Every stated figure outside its fact's tolerance (one report per fact)."""
    wrong: list[WrongNumber] = []
    for fact in facts:
        pattern = _compiled(fact.pattern)
        if pattern is None:
            continue
        for sentence in sentences:
            match = pattern.search(sentence.plain)
            if not match or "n" not in match.groupdict() or match.group("n") is None:
                continue
            stated = parse_figure(match.group("n"))
            if stated is None:
                continue
            if abs(stated - fact.value) > fact.tolerance * abs(fact.value):
                wrong.append(WrongNumber(fact, sentence, match.group(0).strip()))
                break
    return wrong
