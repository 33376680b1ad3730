"""How a behavioral story is told, judged from its own structure rather than from words a
question expects: one real situation, the candidate's own actions in the first person, a
result with a number, and a reflection tied to the story.

A specific, real story earns levels from its structure even when it is phrased in ways no
signal foresaw ("I went to him one-on-one", "hadn't caught it"); a generic one (habits, "I
would", "it's important to") and a "we" story are capped, the latter on ownership only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from simulator.analysis.text import Sentence, words

_PAST_VERB = (
    r"(?:\w+ed|went|took|made|wrote|ran|set|put|sent|spent|told|said|met|sat|got|gave|kept|"
    r"brought|bought|thought|caught|found|built|led|left|cut|split|shut|began|chose|drew|drove|"
    r"fought|held|knew|lost|paid|read|rewrote|saw|sold|spoke|stood|taught|understood|won|did|"
    r"had|was|pulled|pushed|ask(?:ed)?|dug|flew|hid|let|meant|quit|rose|shook|struck|swore|"
    r"threw|undid|upheld|withdrew|overrode|oversaw|undertook|broke|came|became|felt|heard)"
)
_I_PAST = re.compile(
    rf"\bI\s+(?:then\s+|first\s+|also\s+|finally\s+|immediately\s+|quickly\s+|personally\s+|"
    rf"deliberately\s+|still\s+|only\s+|just\s+|\w+ly\s+)?{_PAST_VERB}\b"
)
_WE_PAST = re.compile(rf"\b[Ww]e\s+(?:then\s+|also\s+|finally\s+|\w+ly\s+)?{_PAST_VERB}\b")
_PASSIVE = re.compile(r"\b(was|were) (\w+ed|made|held|done|written|taken|given|raised|built)\b")
_HABITUAL = re.compile(
    r"\b(I would|I'd|I’d|I will|I'll|I usually|I typically|I generally|I always|I try to|"
    r"I tend to|I make sure|I like to|I believe|I think it'?s|my approach is|in general|"
    r"generally|typically|usually|you should|one should|it'?s important to|"
    r"at the end of the day|as they say)\b",
    re.IGNORECASE,
)
_TIME_ANCHOR = re.compile(
    r"\b(last (year|quarter|summer|spring|fall|autumn|winter|month)|in (early |late |mid-?)?"
    r"(19|20)\d\d|Q[1-4]\b|my (first|second|third|last|previous) (year|job|role|team|internship|"
    r"company)|at my (last|previous|first) (job|company|team|role)|during my (phd|internship|"
    r"master'?s|postdoc)|(\d+|two|three|four|five|six|a few) (days|weeks|months) (before|after|"
    r"into|from|out|ago|later))\b",
    re.IGNORECASE,
)
_ROLE = re.compile(
    r"\b(I was (the |a |an )?\w*\s?(lead|owner|engineer|researcher|scientist|intern|student|"
    r"manager|on-?call|only|responsible|tech lead)|I owned|I led|my role was|I was responsible)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"\d|\b(two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|fifty|hundred|"
    r"thousand|million|half|double|twice|halved|doubled)\b",
    re.IGNORECASE,
)
_OUTCOME = re.compile(
    r"\b(dropped|fell|rose|grew|went (from|to|down|up)|cut|reduced|improved|increased|decreased|"
    r"halved|doubled|saved|shipped|launched|released|landed|merged|accepted|published|adopted|"
    r"caught|fixed|prevented|avoided|recovered|won|lost|cancelled|reverted|agreed|approved|"
    r"handled|delivered|finished|completed|closed|resolved|hit|missed|made it|ended up|"
    r"turned out)\b",
    re.IGNORECASE,
)
_SECOND_ORDER = re.compile(
    r"\b(adopted|reused|rolled out to|became (the|our) (default|standard)|other teams?|"
    r"since then|ever since|is still|still use|template|standard practice|promoted)\b",
    re.IGNORECASE,
)
_LESSON = re.compile(
    r"\b(I learn(ed|t)|the lesson|lesson (I|was)|taught me|in hindsight|in retrospect|looking back|"
    r"with hindsight|what I took away|I realized|I realised)\b",
    re.IGNORECASE,
)
_CHANGED = re.compile(
    r"\b(since then|ever since|now I|I now|these days I|next time|on my next|the next time|"
    r"I('d| would) (have|do|start|ask|raise|push|bring)|differently|I still)\b",
    re.IGNORECASE,
)
_OWN_MISTAKE = re.compile(
    r"\b(my (own )?(mistake|fault|part)|I should have|I shouldn'?t have|I was wrong|I missed|"
    r"I underestimated|I didn'?t (notice|check|ask|catch|realize|realise)|hadn'?t (caught|"
    r"noticed|checked|asked|realized|realised)|I got (it|this) wrong)\b",
    re.IGNORECASE,
)
_REASON = re.compile(
    r"\b(because|since|so that|instead of|rather than|the (options|alternatives?)|I (chose|"
    r"picked|opted|weighed|considered)|the reason|trade-?off)\b",
    re.IGNORECASE,
)
_PROPER = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]{2,}\b")


SPECIFIC_DETAILS = 6
"""Details a specific story carries: real ones measured 8 to 34, detail-free ones 0 to 5."""


@dataclass(frozen=True)
class StoryProfile:
    i_actions: int
    we_actions: int
    passive: int
    habitual: int
    specifics: int
    """Numbers, dates and time anchors, names: the details only a real event has."""
    time_anchor: bool
    role: bool
    outcome_with_number: bool
    outcome: bool
    second_order: bool
    lesson: bool
    changed: bool
    own_mistake: bool
    reasons: int
    word_count: int = 0

    @property
    def generic(self) -> bool:
        """Habits and principles, not one event: few past-tense actions, few details."""
        return self.habitual >= 2 and (self.i_actions + self.we_actions) < 3 and self.specifics < 3

    @property
    def specific(self) -> bool:
        """Enough detail (numbers, dates, names) that only a real event has."""
        return self.specifics >= SPECIFIC_DETAILS

    @property
    def told_as_we(self) -> bool:
        return (self.we_actions + self.passive) >= 2 * max(self.i_actions, 1) and self.i_actions < 4

    @property
    def is_story(self) -> bool:
        """One event told in the past tense by someone who was there, at some length."""
        return self.i_actions + self.we_actions + self.passive >= 3 and self.word_count >= 40

    def levels(self) -> dict[str, int]:
        """What the story's structure shows, per behavioral criterion (all 1 for no story)."""
        if not self.is_story:
            return dict.fromkeys(("situation", "actions", "result", "reflection"), 1)
        situation = 1
        if self.i_actions + self.we_actions + self.passive >= 2:
            situation = 2
        if situation == 2 and (self.time_anchor or self.role) and self.specifics >= 2:
            situation = 3
        if situation == 3 and self.time_anchor and self.role and self.specifics >= 4:
            situation = 4
        actions = 1 + (self.i_actions >= 1) + (self.i_actions >= 3)
        if actions == 3 and self.i_actions >= 5 and self.reasons >= 1:
            actions = 4
        result = 1
        if self.outcome:
            result = 2
        if self.outcome_with_number:
            result = 3 if not self.second_order else 4
        reflection = 1
        if self.lesson or self.changed:
            reflection = 2
        if self.lesson and (self.changed or self.own_mistake):
            reflection = 3
        if self.lesson and self.changed and self.own_mistake:
            reflection = 4
        levels = {
            "situation": situation,
            "actions": actions,
            "result": result,
            "reflection": reflection,
        }
        if self.generic or not self.specific:
            # Form without detail is the rubric's level 2: "a real event but vague".
            levels = {k: min(v, 2) for k, v in levels.items()}
        if self.told_as_we:
            levels["actions"] = min(levels["actions"], 2)
        return levels


def profile(found: list[Sentence]) -> StoryProfile:
    text = " ".join(s.text for s in found)
    # A result is said after something was done: look from the second sentence on.
    later = found[1:] or found
    outcome_sentences = [s.text for s in later if _OUTCOME.search(s.text)]
    numbers = len(_NUMBER.findall(text))
    proper = len({m.group(0) for m in _PROPER.finditer(text)} - {"I"})
    return StoryProfile(
        i_actions=len(_I_PAST.findall(text)),
        we_actions=len(_WE_PAST.findall(text)),
        passive=len(_PASSIVE.findall(text)),
        habitual=len(_HABITUAL.findall(text)),
        specifics=numbers + len(_TIME_ANCHOR.findall(text)) + min(proper, 3),
        time_anchor=bool(_TIME_ANCHOR.search(text)),
        role=bool(_ROLE.search(text)),
        outcome_with_number=any(_NUMBER.search(t) for t in outcome_sentences),
        outcome=bool(outcome_sentences),
        second_order=bool(_SECOND_ORDER.search(text)),
        lesson=bool(_LESSON.search(text)),
        changed=bool(_CHANGED.search(text)),
        own_mistake=bool(_OWN_MISTAKE.search(text)),
        reasons=len(_REASON.findall(text)),
        word_count=len(words(text)),
    )
