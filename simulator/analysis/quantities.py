"""Quantities a key point states, checked when the candidate states the same quantity.

"8 bytes per parameter" where the point says 16, "ResNet-50 has 250M parameters" where it says
~25M: a number with the same unit, said of the same thing (shared words nearby), off by more
than rounding from every figure the question's own files give for that unit. Generic: the
units come from a table, the figures from the key points, never from a list per question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from simulator.analysis.polarity import clause_bounds
from simulator.analysis.text import STOP_WORDS, stem

_SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "b": 1e9, "billion": 1e9}
_SCALE |= {"t": 1e12, "trillion": 1e12}
# unit word -> (unit family, factor to the family's base)
_UNITS: dict[str, tuple[str, float]] = {
    "bytes": ("bytes", 1),
    "byte": ("bytes", 1),
    "kb": ("bytes", 1e3),
    "mb": ("bytes", 1e6),
    "gb": ("bytes", 1e9),
    "tb": ("bytes", 1e12),
    "bits": ("bits", 1),
    "bit": ("bits", 1),
    "params": ("parameters", 1),
    "parameters": ("parameters", 1),
    "weights": ("parameters", 1),
    "tokens": ("tokens", 1),
    "layers": ("layers", 1),
    "heads": ("heads", 1),
    "ms": ("seconds", 1e-3),
    "milliseconds": ("seconds", 1e-3),
    "seconds": ("seconds", 1),
    "hours": ("seconds", 3600),
    "days": ("seconds", 86400),
}
_QUANTITY = re.compile(
    r"(?<![\w.^/-])(\d+(?:[.,]\d+)*)\s*(k|thousand|m|million|b|billion|t|trillion)?\s*"
    r"(?:([a-z]+)\s+)?(" + "|".join(sorted(_UNITS, key=len, reverse=True)) + r")\b"
    r"(\s+(?:per|a|each|/)\s*(\w+))?",
    re.IGNORECASE,
)
_WORD = re.compile(r"[a-z][a-z0-9'’-]*", re.IGNORECASE)
TOLERANCE = 1.5
"""Off by more than this factor from every figure for the unit: not rounding, a wrong number."""
ANCHOR_STEMS = 2
"""Words shared near the two figures, in the same clause, besides the unit: the figure is said
of the same thing ("bf16 weights take 2 bytes per parameter" is not the whole model state)."""


@dataclass(frozen=True)
class Quantity:
    value: float
    unit: str
    """The unit family, with its "per" noun ("bytes/parameter") or the kind of bits."""
    start: int
    end: int
    context: frozenset[str]


def _content(words: list[str]) -> list[str]:
    return [
        stem(w.lower())
        for w in words
        if w.lower() not in STOP_WORDS and len(w) >= 2 and w.lower() not in _UNITS
    ]


def _context(text: str, start: int, end: int, window: int = 6) -> frozenset[str]:
    """The nearest content words on each side, in the same clause; a figure alone in its
    clause ("(~25M params)") is read with its neighbours in the sentence."""
    left, right = clause_bounds(text, start, end)
    if len(_content(_WORD.findall(text[left:start] + " " + text[end:right]))) < 2:
        left, right, window = 0, len(text), 4
    before = _content([m.group(0) for m in _WORD.finditer(text, left, start)])[-window:]
    after = _content([m.group(0) for m in _WORD.finditer(text, end, right)])[:window]
    return frozenset(before + after)


@cache
def quantities(text: str) -> tuple[Quantity, ...]:
    out = []
    for match in _QUANTITY.finditer(text):
        number, scale, modifier, unit, _, per = match.groups()
        try:
            value = float(number.replace(",", "")) * _SCALE.get((scale or "").lower(), 1.0)
        except ValueError:
            continue
        family, factor = _UNITS[unit.lower()]
        if family == "bits" and modifier:  # "8 exponent bits" and "7 mantissa bits" differ
            family = f"bits:{stem(modifier.lower())}"
        if per:
            per_unit = _UNITS.get(per.lower(), (stem(per.lower()), 1))[0]
            family = f"{family}/{per_unit}"
        if "/" not in family and family != "parameters" and not family.startswith("bits:"):
            continue  # totals depend on assumptions the candidate may state differently
        out.append(
            Quantity(
                value * factor, family, match.start(), match.end(), _context(text, *match.span())
            )
        )
    return tuple(out)


def off_figure(sentence: str, claims: list[str]) -> tuple[str, str, str] | None:
    """(the candidate's figure, the claim's figure, the claim) when the sentence states a
    quantity of a unit the claims give, said of the same thing, matching none of their figures."""
    given = [(q, text) for text in claims for q in quantities(text)]
    for mine in quantities(sentence):
        same_unit = [(q, text) for q, text in given if q.unit == mine.unit]
        if not same_unit or any(_close(mine.value, q.value) for q, _ in same_unit):
            continue
        anchored = [
            (len(mine.context & q.context), q, text)
            for q, text in same_unit
            if len(mine.context & q.context) >= ANCHOR_STEMS
        ]
        if anchored:
            _, theirs, text = max(anchored, key=lambda a: a[0])
            return sentence[mine.start : mine.end], text[theirs.start : theirs.end], text
    return None


def _close(a: float, b: float) -> bool:
    if a <= 0 or b <= 0:
        return a == b
    return max(a, b) / min(a, b) <= TOLERANCE
