"""Text aimed at the grader rather than the interviewer: flagged, and never obeyed.

Two kinds of pattern: strong ones that only make sense addressed to a scorer or a chat model
(role prefixes such as "SYSTEM:" or "### Instruction", "give this answer a 4", "as the grader,
you must ..."), and weak ones that also occur when a candidate discusses prompt injection as a
topic ("ignore previous instructions", "you are now"). A weak match in a sentence that talks
about attacks, untrusted content or examples is the topic, not an attempt, and is not flagged.
"""

from __future__ import annotations

import re

from simulator.analysis.text import Sentence

_QUALIFIERS = "(all |any |the |your |previous |prior |above |earlier |grading |scoring |system )*"
_TOP = r"(4|four|top|maximum|max|full|perfect|highest|10/10|100%)"
_SCORER = (
    r"(grader|grading (model|system|ai)|scorer|scoring (model|system)|evaluator|"
    r"evaluation (model|system|ai)|judge)"
)
_STRONG = [
    # Addressing the grader: at the start of a sentence or line ("Grader: ...", "Dear evaluator,").
    r"(^|[\n.!?]\s*)(dear |hey |note to (the )?)?(grader|grading (model|system|ai)|evaluator|"
    r"scorer|assistant|language model|llm|ai)\s*[,:]",
    # Chat-template role prefixes and markers.
    r"(^|\n)\s*(system|assistant|developer)\s*:",
    r"(^|\n)\s*#{2,}\s*(instructions?|system|response|input|new task)\b",
    r"\[/?INST\]|<\|(im_start|im_end|system|user|assistant)\|>",
    r"</?(system|instructions?|rubric|grader)>",
    rf"\b(give|award|assign|score|grade|rate|mark)\b[^.\n]{{0,40}}\b{_TOP}\b[^.\n]{{0,20}}"
    r"\b(score|marks?|points?|grade|rating|everywhere|on every|across)",
    r"\b(top|maximum|highest|perfect|full) (score|marks?|grade)\b[^.\n]{0,60}"
    r"\b(automatically|every (criterion|dimension)|regardless)",
    rf"\breturn (the |a )?{_TOP} (possible )?(score|grade|rating|marks?)",
    r"\brubric (was|has been|is|got) (updated|changed|replaced|overridden)",
    r"\b(system|admin|administrator|developer|moderator)\s+"
    r"(notice|message|prompt|override|instructions?|update)\s*[:!]",
    r"\b(admin|administrator|moderator)\s+(notice|message|override|instructions?)",
    r"\b(strong[_ ]hire|score of 4|4/4|4 out of 4)\b[^.\n]{0,40}"
    r"\b(for|to) (this|my|the) (answer|candidate|response)",
    # Instructions aimed at the scorer.
    rf"\b(as|to|for) the {_SCORER}\b[^.\n]{{0,40}}\b(you|must|should|please|output|return)",
    rf"\b{_SCORER}\b[^.\n]{{0,30}}\b(must|should|is instructed to|needs to|will now) "
    r"(output|return|give|assign|award|score|rate|mark|ignore)",
    r"\boutput (exactly|only)\b[^.\n]{0,40}(\{|score|overall|grade|json)",
    rf"\b(message|note|instructions?) (to|for) the {_SCORER}",
    r"\b(4/4|4 out of 4|score of 4)\b[^.\n]{0,30}\b(on|across|for|in) (all|every|each)\b",
    r"\bend of (the )?(candidate'?s? )?(answer|response)\b",
    r"\bnew task for the (assistant|model|grader|ai)\b",
]
_WEAK = [
    rf"\bignore {_QUALIFIERS}(instructions?|rubric|rules|prompt|guidelines)",
    rf"\bdisregard {_QUALIFIERS}(instructions?|rubric|rules|criteria|guidelines)",
    r"\bnew instructions?\b",
    r"\byou (are|must|will) now\b",
]
_TOPIC = re.compile(
    r"\b(prompt[- ]injections?|injection attacks?|jailbreaks?|attackers?|malicious|adversar\w*|"
    r"untrusted|retrieved (documents?|content|text|passages?)|web pages?|e\.g\.|such as|"
    r"for example|for instance|like|phrases?|strings?|payloads?|defen[cs]es?|mitigat\w*|"
    r"risks?|threats?)\b|[\"“”']",
    re.IGNORECASE,
)
_STRONG_RE = re.compile("|".join(f"(?:{p})" for p in _STRONG), re.IGNORECASE)
_WEAK_RE = re.compile("|".join(f"(?:{p})" for p in _WEAK), re.IGNORECASE)


def is_injection(text: str) -> bool:
    """One sentence (or a short text) aimed at the grader."""
    if _STRONG_RE.search(text):
        return True
    return bool(_WEAK_RE.search(text)) and not _TOPIC.search(text)


def injection_sentences(sentences: list[Sentence]) -> list[Sentence]:
    return [s for s in sentences if is_injection(s.text)]


def looks_like_injection(text: str) -> bool:
    if _STRONG_RE.search(text):
        return True
    return any(is_injection(line) for line in re.split(r"(?<=[.!?])\s+|\n", text) if line)
