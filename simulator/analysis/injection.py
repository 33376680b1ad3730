"""Text aimed at the grader rather than the interviewer: flagged, and never obeyed."""

from __future__ import annotations

import re

from simulator.analysis.text import Sentence

_QUALIFIERS = "(all |any |the |your |previous |prior |above |earlier )*"
_TOP = r"(4|four|top|maximum|max|full|perfect|highest|10/10|100%)"
_PATTERNS = [
    rf"\bignore {_QUALIFIERS}(instructions?|rubric|rules|prompt)",
    rf"\bdisregard {_QUALIFIERS}(instructions?|rubric|rules|criteria)",
    # Addressing the grader: at the start of a sentence or line ("Grader: ...", "Dear evaluator,").
    r"(^|[\n.!?]\s*)(dear |hey |note to (the )?)?(grader|grading (model|system|ai)|evaluator|"
    r"assistant|language model|llm|ai)\s*[,:]",
    rf"\b(give|award|assign|score|grade|rate|mark)\b[^.\n]{{0,40}}\b{_TOP}\b[^.\n]{{0,20}}"
    r"\b(score|marks?|points?|grade|rating|everywhere|on every|across)",
    r"\b(top|maximum|highest|perfect|full) (score|marks?|grade)\b[^.\n]{0,60}"
    r"\b(automatically|every (criterion|dimension)|regardless)",
    r"\brubric (was|has been|is|got) (updated|changed|replaced|overridden)",
    r"\b(system|admin|administrator|developer|moderator)\s+"
    r"(notice|message|prompt|override|instructions?|update)\s*[:!]",
    r"\b(admin|administrator|moderator)\s+(notice|message|override|instructions?)",
    r"\bnew instructions?\b",
    r"\byou (are|must|will) now\b",
    r"\b(strong[_ ]hire|score of 4|4/4|4 out of 4)\b[^.\n]{0,40}"
    r"\b(for|to) (this|my|the) (answer|candidate|response)",
    r"</?(system|instructions?|rubric|grader)>",
    r"\bprompt injection\b",
]
_INJECTION = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)


def injection_sentences(sentences: list[Sentence]) -> list[Sentence]:
    return [s for s in sentences if _INJECTION.search(s.text)]


def looks_like_injection(text: str) -> bool:
    return bool(_INJECTION.search(text))
