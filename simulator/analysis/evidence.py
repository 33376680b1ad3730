"""What an answer shows: the key points it makes, the mistakes it makes, and whether it is an
answer at all (empty, gibberish, a buzzword list, the question restated, another question's
answer, or text aimed at the grader).

Shared by the offline interviewer (what to probe next) and every grader (flags, evidence).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from simulator.analysis import arithmetic, contradiction, numbers, quantities
from simulator.analysis.gaming import (
    GamingFinding,
    copied_sentences,
    fragment_finding,
    is_bare,
    repetition_finding,
    source_ngrams,
    stuffing_finding,
)
from simulator.analysis.injection import injection_sentences
from simulator.analysis.similarity import topic_index
from simulator.analysis.text import (
    Sentence,
    content_stems,
    function_word_ratio,
    looks_like_a_word,
    sentences,
    words,
)
from simulator.catalog import signal_parts
from simulator.models import KeyPoint, Misconception, Question, Rubric

FLAG_INJECTION = "injection_attempt"
COPIED_SHARE = 0.3
"""The share of an answer's words in copied sentences from which the answer counts as copied."""
MAX_ANALYSED_CHARS = 60_000
"""About 10,000 words: far more than anyone says in a 45-minute round."""
NON_ANSWER_FLAGS = (
    "empty",
    "too_short",
    "gibberish",
    "buzzword_list",
    "restated_question",
    "off_topic",
)


_NEGATION = re.compile(
    r"\b(not|never|no|don't|doesn't|didn't|won't|wouldn't|isn't|aren't|can't|cannot|avoid(ing)?|"
    r"instead of|rather than|without|wrong to|mistake to|myth)\b|n't\b",
    re.IGNORECASE,
)


def _negated(
    text: str, match: re.Match[str], others: list[re.Match[str]], window: int = 40
) -> bool:
    """A negation in the same clause shortly before `match` ("so we don't block all traffic"),
    not counting words that belong to the signal's other parts ("never give up" & "ideas")."""
    begin = max(0, match.start() - window)
    chars = list(text[begin : match.start()])
    for other in others:
        for i in range(max(other.start(), begin), min(other.end(), match.start())):
            chars[i - begin] = " "
    clause = re.split(r"[,;:]|\b(?:but|although|however|whereas)\b", "".join(chars))[-1]
    return bool(_NEGATION.search(clause))


def first_match(
    signals: list[str], candidates: list[Sentence], affirmed: bool = False
) -> Sentence | None:
    """The first sentence in which one of the signals matches (all of its parts).

    With `affirmed`, a part found in a negated clause does not count: used for mistakes,
    where "we don't reject all traffic" must not read as "reject all traffic".
    """
    for signal in signals:
        parts = signal_parts(signal)
        for sentence in candidates:
            plain = sentence.plain
            searched = [p.search(plain) for p in parts]
            found = [m for m in searched if m is not None]
            if len(found) < len(searched):
                continue
            if affirmed and any(
                _negated(plain, m, [o for o in found if o is not m]) for m in found
            ):
                continue
            if affirmed and contradiction.sets_aside(sentence):
                continue
            return sentence
    return None


def key_point_hits(
    signals: list[str], candidates: list[Sentence], negative_point: bool = False
) -> tuple[list[Sentence], list[Sentence]]:
    """Sentences that make a point (every part of a signal matches somewhere outside a negated
    clause) and sentences that name it only inside a negated or contradicted clause
    ("threads never make a Python program faster"). A point that is itself a negative claim
    ("units cannot rely on specific partners") is matched without the polarity check."""
    affirmed: list[Sentence] = []
    negated: list[Sentence] = []
    for sentence in candidates:
        plain = sentence.plain
        for signal in signals:
            parts = signal_parts(signal)
            searched = [p.search(plain) for p in parts]
            found = [m for m in searched if m is not None]
            if len(found) < len(searched):
                continue
            if negative_point or all(
                _affirmed_somewhere(plain, part, [o for o in found if o is not first])
                for part, first in zip(parts, found, strict=True)
            ):
                affirmed.append(sentence)
                break
            negated.append(sentence)
    return affirmed, [s for s in negated if s not in affirmed]


def _affirmed_somewhere(text: str, part: re.Pattern[str], others: list[re.Match[str]]) -> bool:
    return any(not _negated(text, m, others) for m in part.finditer(text))


_WARNING = re.compile(
    r"\b(wrong|avoid|pitfall|bug|breaks?|fails?|harm|hurts?|mistake|danger|risk|misleading|"
    r"unsafe|problem|lose|loses|lost|drops?|skip|miss|silently|instead)\w*",
    re.IGNORECASE,
)


@cache
def is_negative_claim(text: str) -> bool:
    """The key point's own wording negates or warns against something ("`x or []` is subtly
    wrong"): a candidate making it will use negative words too."""
    return bool(_NEGATION.search(text) or _WARNING.search(text))


def contradicts(sentence: Sentence, signals: list[str]) -> bool:
    """A negation right before a part of the point ("threads never make it faster"): a claim
    against the point, not just a mention near a negative word."""
    plain = sentence.plain
    for signal in signals:
        searched = [p.search(plain) for p in signal_parts(signal)]
        found = [m for m in searched if m is not None]
        if len(found) == len(searched) and any(
            _negated(plain, m, [o for o in found if o is not m], window=30) for m in found
        ):
            return True
    return False


def matching_sentences(signals: list[str], candidates: list[Sentence]) -> list[Sentence]:
    """Every sentence in which at least one of the signals matches, in answer order."""
    compiled = [signal_parts(signal) for signal in signals]
    return [
        sentence
        for sentence in candidates
        if any(all(p.search(sentence.plain) for p in parts) for parts in compiled)
    ]


@dataclass
class Analysis:
    text: str
    sentences: list[Sentence]
    """The answer's sentences, less any aimed at the grader."""
    tokens: list[str]
    flags: list[str] = field(default_factory=list)
    covered: dict[str, Sentence] = field(default_factory=dict)
    """Key point id -> the sentence that makes it."""
    mistakes: list[tuple[Misconception, Sentence]] = field(default_factory=list)
    arithmetic: list[arithmetic.ArithmeticError_] = field(default_factory=list)
    generic: dict[str, list[Sentence]] = field(default_factory=dict)
    """Criterion id -> sentences matching the rubric's generic signals for it."""
    bare: set[str] = field(default_factory=set)
    """Key points made only as a fragment or a bare term, never with a reason: half credit."""
    not_credited: dict[str, str] = field(default_factory=dict)
    """Key point id -> why a sentence that names it earns nothing (copied, negated)."""
    copied: list[Sentence] = field(default_factory=list)
    """Sentences copied from the question's own notes: never evidence."""
    gaming: list[GamingFinding] = field(default_factory=list)
    paraphrased: set[str] = field(default_factory=set)
    """Key points credited from their own distinctive terms (a paraphrase no signal caught)."""
    semantic: set[str] = field(default_factory=set)
    """Key points credited by the semantic signal (a paraphrase no regex signal caught)."""

    def credit(self, kp: KeyPoint) -> float:
        """1 for a point made with its reason, 0.5 for a bare mention, 0 when not made."""
        if kp.id not in self.covered:
            return 0.0
        return 0.5 if kp.id in self.bare else 1.0

    @property
    def non_answer(self) -> bool:
        return any(flag in NON_ANSWER_FLAGS for flag in self.flags)

    def covered_points(self, points: list[KeyPoint]) -> list[KeyPoint]:
        return [kp for kp in points if kp.id in self.covered]


def _is_gibberish(tokens: list[str]) -> bool:
    alpha = [t for t in tokens if t[:1].isalpha()]
    if not alpha:
        return bool(tokens)
    odd = sum(not looks_like_a_word(t) for t in alpha)
    return odd / len(alpha) >= 0.25 or (
        len(alpha) >= 6 and function_word_ratio(tokens) < 0.08 and odd / len(alpha) >= 0.15
    )


def _is_buzzword_list(text: str, tokens: list[str], found: list[Sentence]) -> bool:
    """A run of terms with no sentences around them: few function words, few verbs of reasoning."""
    if len(tokens) < 12:
        return False
    ratio = function_word_ratio(tokens)
    longest = max((len(words(s.text)) for s in found), default=0)
    return ratio < 0.12 or (ratio < 0.2 and longest >= 25 and text.count(".") <= 1)


def _restates(question_text: str, tokens_stems: list[str]) -> bool:
    """Few words the question did not already contain."""
    asked = set(content_stems(question_text))
    novel = {s for s in tokens_stems if s not in asked}
    return len(novel) < 8 or len(novel) < 0.25 * len(set(tokens_stems))


def analyze(
    text: str,
    rubric: Rubric,
    question: Question | None = None,
    question_text: str | None = None,
    siblings: list[Question] | None = None,
    notes: list[str] | None = None,
    semantic_signal: bool = False,
) -> Analysis:
    """Read one answer (or all of a candidate's answers joined) against the question and rubric.

    `notes` are further texts the candidate could copy from (the round's study guide)."""
    if len(text) > MAX_ANALYSED_CHARS:  # a pasted megabyte: grade what a person could have said
        text = text[:MAX_ANALYSED_CHARS]
        truncated = True
    else:
        truncated = False
    found = sentences(text)
    injected = injection_sentences(found)
    kept = [s for s in found if s not in injected]
    kept_text = " ".join(s.text for s in kept)
    tokens = words(kept_text)
    result = Analysis(text=text, sentences=kept, tokens=tokens)
    if injected:
        result.flags.append(FLAG_INJECTION)
    if truncated:
        result.flags.append("answer_truncated")

    copied = copied_sentences(kept, _copy_source(rubric, question, notes)) if kept else []
    copied_words = sum(len(words(s.text)) for s in copied)
    if copied_words < COPIED_SHARE * max(1, len(tokens)):
        # A sentence or two that happen to match the notes (the one right command, a standard
        # formula) stay evidence; a pasted answer loses them all and is capped.
        copied = []
    result.copied = copied
    own = [s for s in kept if s not in copied]
    if question is not None:
        for kp in question.key_points:
            affirmed, negated = key_point_hits(kp.signals, own, is_negative_claim(kp.text))
            if affirmed:
                explained = [s for s in affirmed if not is_bare(s)]
                result.covered[kp.id] = (explained or affirmed)[0]
                if not explained:
                    result.bare.add(kp.id)
            elif negated:
                result.not_credited[kp.id] = "said to be false in your answer"
                claim = contradiction.Claim(kp.text, kp.criterion, tuple(kp.signals), kp)
                contra = [
                    s
                    for s in negated
                    if contradicts(s, kp.signals)
                    and not contradiction.denies_the_opposite(s, claim)
                ]
                if contra and rubric.round != "behavioral":  # a story is not a claim
                    result.mistakes.append((_contradiction(kp), contra[0]))
            elif first_match(kp.signals, copied):
                result.not_credited[kp.id] = "made only in text copied from the question's notes"
        if semantic_signal:
            _semantic_credit(result, question, own)
        for mistake in question.misconceptions:
            hit = first_match(mistake.signals, kept, affirmed=True)
            if hit:
                result.mistakes.append((mistake, hit))
        if rubric.round != "behavioral":  # a story is judged on its judgment, not claims
            _flipped_claims(result, question, own)
            _off_quantities(result, question, own)
        _key_term_credit(result, question, own)
    for criterion in rubric.criteria:
        result.generic[criterion.id] = matching_sentences(criterion.signals, kept)
    result.arithmetic = arithmetic.check(kept)
    if question is not None:
        _check_numbers(result, question, own)

    asked = question_text or (f"{question.title}. {question.prompt}" if question else "")
    stems = content_stems(kept_text)
    if not tokens:
        result.flags.append("empty")
    elif len(tokens) >= 4 and _is_gibberish(tokens):
        result.flags.append("gibberish")
    elif len(tokens) < 12 or len(set(stems)) < 6:
        result.flags.append("too_short")
    elif _is_buzzword_list(kept_text, tokens, kept):
        result.flags.append("buzzword_list")
    elif asked and not (result.covered or result.mistakes) and _restates(asked, stems):
        result.flags.append("restated_question")
    elif question is not None and siblings and _off_topic(result, question, siblings):
        result.flags.append("off_topic")
    if not result.non_answer:
        result.gaming = _gaming(result, kept, copied)
        result.flags.extend(f.flag for f in result.gaming)
    return result


_WE_TO_I = [
    (re.compile(r"\bwe\b", re.I), "I"),
    (re.compile(r"\bour\b", re.I), "my"),
    (re.compile(r"\bus\b", re.I), "me"),
]


def _covered_as_told_by_me(result: Analysis, question: Question) -> list[str]:
    """The key points the story makes when its "we" is read as "I"."""
    told = []
    for s in result.sentences:
        text = s.text
        for pattern, replacement in _WE_TO_I:
            text = pattern.sub(replacement, text)
        told.append(Sentence(text, s.start, s.end))
    return [kp.id for kp in question.key_points if first_match(kp.signals, told)]


KEY_TERMS_MIN = 2
KEY_TERMS_SHARE = 0.4
"""A sentence paraphrases a key point when it uses at least 2 of the point's distinctive terms
and at least 40 % of them. Measured on the paraphrase set (figures only): 2 terms alone raised
false credit from 21.4 % to 33 %; from a 35 % share on, false credit stays at 21.4 %."""


_TERMS: dict[str, dict[str, frozenset[str]]] = {}


def _distinctive_terms(question: Question) -> dict[str, frozenset[str]]:
    """Each key point's content stems that no other key point of the question uses: the words
    that tell this point apart (for "stated with numbers" points, "cost", "recovered"...)."""
    key = f"{question.id}\n" + "\n".join(kp.text for kp in question.key_points)
    if key in _TERMS:
        return _TERMS[key]
    stems = {kp.id: set(content_stems(kp.text)) for kp in question.key_points}
    out: dict[str, frozenset[str]] = {}
    for kp in question.key_points:
        others = set().union(*(v for k, v in stems.items() if k != kp.id))
        out[kp.id] = frozenset(stems[kp.id] - others)
    _TERMS[key] = out
    return out


def _key_term_credit(result: Analysis, question: Question, own: list[Sentence]) -> None:
    """Credit a point no signal matched when an explained, un-negated sentence uses its own
    distinctive terms, more of them than of any other point's: signals are hand-written and
    miss wordings; the key point's text is the one wording every question has."""
    terms = _distinctive_terms(question)
    if result.mistakes:  # the benefit of the doubt is not given to an answer making known mistakes
        return
    explained = [
        (sentence, set(content_stems(sentence.plain)))
        for sentence in own
        if not is_bare(sentence) and not _NEGATION.search(sentence.plain)
    ]
    for kp in question.key_points:
        if kp.id in result.covered or kp.id in result.not_credited:
            continue
        mine = terms[kp.id]
        if len(mine) < KEY_TERMS_MIN:
            continue
        for sentence, stems in explained:
            overlap = len(stems & mine)
            if overlap < max(KEY_TERMS_MIN, KEY_TERMS_SHARE * len(mine)):
                continue
            if any(len(stems & t) >= overlap for k, t in terms.items() if k != kp.id):
                continue
            result.covered[kp.id] = sentence
            result.paraphrased.add(kp.id)
            result.bare.add(kp.id)  # inferred from wording, not a signal: half credit
            break


def _semantic_credit(result: Analysis, question: Question, own: list[Sentence]) -> None:
    """Credit a point the regex signals missed when one sentence paraphrases it: an explained
    sentence (never a fragment or a term list), not negated, sharing a content word with it."""
    missing = [kp for kp in question.key_points if kp.id not in result.covered]
    if not missing or not own:
        return
    candidates = [s for s in own if not is_bare(s) and not _NEGATION.search(s.plain)]
    if not candidates:
        return
    from simulator.analysis import semantic  # lazy: loads the embedding model on first use

    points = tuple(kp.text for kp in question.key_points)
    for sentence, index in zip(
        candidates, semantic.best_points([s.text for s in candidates], points), strict=True
    ):
        if index is None:
            continue
        kp = question.key_points[index]
        if kp.id in result.covered or kp.id in result.not_credited:
            continue
        if not set(content_stems(sentence.text)) & set(content_stems(kp.text)):
            continue
        result.covered[kp.id] = sentence
        result.semantic.add(kp.id)


def _check_numbers(result: Analysis, question: Question, own: list[Sentence]) -> None:
    """A wrong figure is a mistake with the right value, and a key point resting on a wrong
    figure or a wrong sum is not credited there."""
    for wrong in numbers.check(question.facts, own):
        mistake = Misconception(
            text=f"Wrong number: {wrong.stated}",
            criterion=wrong.fact.criterion,
            signals=[wrong.fact.pattern],
            correction=wrong.fact.correction,
        )
        result.mistakes.append((mistake, wrong.sentence))
    bad = {id(m[1]) for m in result.mistakes if m[0].text.startswith("Wrong number")}
    bad |= {id(e.sentence) for e in result.arithmetic}
    bad_sentences = [s for s in own if id(s) in bad]
    if not bad_sentences:
        return
    good = [s for s in own if id(s) not in bad]
    for kp in question.key_points:
        if kp.id in result.covered and id(result.covered[kp.id]) in bad:
            affirmed, _ = key_point_hits(kp.signals, good, is_negative_claim(kp.text))
            if affirmed:
                result.covered[kp.id] = affirmed[0]
                if not is_bare(affirmed[0]):
                    result.bare.discard(kp.id)
            else:
                del result.covered[kp.id]
                result.bare.discard(kp.id)
                result.not_credited[kp.id] = "stated with a wrong number"


def _flipped_claims(result: Analysis, question: Question, own: list[Sentence]) -> None:
    """A sentence that flips a direction or quality word a key point asserts ("L2 makes the
    loss non-convex") is a mistake quoting the point, and does not earn that point."""
    already = {id(sentence) for _, sentence in result.mistakes}
    fresh = [s for s in own if id(s) not in already]
    for found in contradiction.find(fresh, contradiction.claims(question)):
        claim = found.claim
        _claim_mistake(
            result,
            claim,
            found.sentence,
            found.said,
            text=f"Says the opposite ({found.said}): {claim.text}",
            correction=f"The opposite holds: {claim.text}",
            why=f'said the opposite ("{found.said}")',
        )


def _off_quantities(result: Analysis, question: Question, own: list[Sentence]) -> None:
    """A rate or a count the key points give ("16 bytes per parameter", "~25M params") stated
    far off, said of the same thing, is a mistake whose feedback gives the point's figure."""
    already = {id(sentence) for _, sentence in result.mistakes}
    claims = {claim.text: claim for claim in contradiction.claims(question)}
    reported: set[str] = set()
    for sentence in own:
        if id(sentence) in already or not contradiction.asserts(sentence):
            continue
        off = quantities.off_figure(sentence.text, list(claims))
        if off is None or off[2] in reported:
            continue
        said, theirs, text = off
        reported.add(text)
        claim = claims[text]
        _claim_mistake(
            result,
            claim,
            sentence,
            said,
            text=f"Wrong figure: {said}",
            correction=f"The figure is {theirs}: {claim.text}",
            why=f'stated with a wrong figure ("{said}")',
        )


def _claim_mistake(
    result: Analysis,
    claim: contradiction.Claim,
    sentence: Sentence,
    said: str,
    text: str,
    correction: str,
    why: str,
) -> None:
    """Record a sentence that gets one of the question's own claims wrong: a mistake whose
    feedback gives the claim, and no credit from that sentence for the claim's key point."""
    mistake = Misconception(
        text=text,
        criterion=claim.criterion,
        signals=list(claim.signals) or [re.escape(said)],
        correction=correction,
    )
    result.mistakes.append((mistake, sentence))
    kp = claim.key_point
    if kp is not None and result.covered.get(kp.id) is sentence:
        del result.covered[kp.id]
        result.bare.discard(kp.id)
        result.not_credited[kp.id] = why


def _contradiction(kp: KeyPoint) -> Misconception:
    """A claim that negates a key point ("threads never make a Python program faster") is a
    mistake whose correction is the key point itself."""
    return Misconception(
        text=f"Contradicts: {kp.text}",
        criterion=kp.criterion,
        signals=kp.signals,
        correction=kp.text,
    )


def _gaming(result: Analysis, kept: list[Sentence], copied: list[Sentence]) -> list[GamingFinding]:
    findings: list[GamingFinding] = []
    total = sum(len(words(s.text)) for s in kept)
    copied_words = sum(len(words(s.text)) for s in copied)
    if copied and copied_words >= COPIED_SHARE * total:
        findings.append(
            GamingFinding(
                "copied_text",
                f"{len(copied)} of {len(kept)} sentences ({copied_words * 100 // max(1, total)}% "
                "of the words) are copied from the question's own notes.",
            )
        )
    for finding in (
        fragment_finding(kept),
        repetition_finding(result.text, kept),
        stuffing_finding(result.tokens, len(result.covered), kept),
    ):
        if finding:
            findings.append(finding)
    return findings


def _copy_source(
    rubric: Rubric, question: Question | None, notes: list[str] | None
) -> frozenset[tuple[str, ...]]:
    """Everything the candidate can read in the question's and rubric's files, bar the prompt
    itself (restating the question is its own flag)."""
    texts = list(notes or [])
    for criterion in rubric.criteria:
        texts.append(criterion.description)
        texts.extend(criterion.levels.values())
    if question is not None:
        texts.extend(kp.text for kp in question.key_points)
        texts.extend(m.text for m in question.misconceptions)
        texts.extend(m.correction for m in question.misconceptions)
        texts.extend(p.text for p in question.probes)
        texts.append(question.context or "")
    return _cached_source(tuple(texts))


@cache
def _cached_source(texts: tuple[str, ...]) -> frozenset[tuple[str, ...]]:
    return source_ngrams(list(texts))


STORY_OFF_TOPIC_POINTS = 1
"""Points of the other question (the one the topic index names) a story must make to count as
answering that one instead: one, since its own points are already known to be absent."""


def _off_topic(result: Analysis, question: Question, siblings: list[Question]) -> bool:
    """The answer is about another question of the bank far more than about the one asked."""
    if len(result.covered) >= 3 or question not in siblings:
        return False
    if question.round == "behavioral":
        # Neither witness is enough alone: a story shares little vocabulary with any question's
        # file (most on-topic held-out stories score higher on another question's topic), and
        # a rich story fires a couple of points of several other questions. Off topic only
        # when it makes none of this question's points (read with "we" as "I", since ownership
        # is graded apart) and both witnesses name the same other question.
        if _covered_as_told_by_me(result, question):
            return False
        scores = topic_index(siblings).scores(" ".join(s.text for s in result.sentences))
        own = scores.pop(question.id, 0.0)
        best_id = max(scores, key=scores.__getitem__, default=None)
        if best_id is None or scores[best_id] < 0.12 or scores[best_id] <= 1.6 * own:
            return False
        other = next(q for q in siblings if q.id == best_id)
        return len(_covered_as_told_by_me(result, other)) >= STORY_OFF_TOPIC_POINTS
    scores = topic_index(siblings).scores(" ".join(s.text for s in result.sentences))
    own = scores.pop(question.id, 0.0)
    best = max(scores.values(), default=0.0)
    return best >= 0.12 and best > 1.6 * own
