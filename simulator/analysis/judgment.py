"""Red flags in a behavioral story's own judgment: what interviewers mark down however well
the story is told.

A fluent story can have a dated situation, first-person actions and a result with a number,
and still show the candidate blaming others, going over someone's head without talking to
them, hiding bad news, cutting tests silently, taking the credit or doing the mentee's work,
and then endorsing all of it ("I'd do it the same way again"). Phrase classes, not any one
question's answers. A red flag the story owns ("my mistake was...", "I should have...") is
what a good failure story is made of and does not count; an endorsement always counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from simulator.analysis.text import Sentence

_OTHER = r"(?:him|her|them|the team|my (?:teammate|colleague|peer|manager|lead))"
_BOSS = r"(?:manager|director|vp|boss|skip[- ]level|head of \w+|ceo|cto)"

_ACTS: dict[str, tuple[str, list[str]]] = {
    "went_around": (
        "went around or over someone instead of talking to them first",
        [
            rf"\b(rather than|instead of|didn'?t want to) (waste time )?(debat|argu|talk|speak|"
            rf"discuss|deal)\w*( in circles)? (with|to) {_OTHER}",
            rf"\bwent (straight|directly|right) (to|over) (the|my|our|his|her|their) {_BOSS}",
            r"\bover (his|her|their|my manager'?s|my lead'?s) head\b",
            r"\bso (that )?everyone could see\b",
            r"\bwent behind (his|her|their|my \w+'?s?) back\b",
            r"\b(complained|reported (him|her|them)) to (his|her|their|our|my|the) "
            r"(manager|director|lead|boss|hr)\b",
            r"\bcc'?e?d (his|her|their) (manager|director|boss|lead)\b",
            rf"\bwithout (telling|asking|talking to|consulting|informing|looping in|checking "
            rf"with) {_OTHER}",
        ],
    ),
    "hid_news": (
        "kept bad news or a decision from the people it affected",
        [
            r"\bI didn'?t (bring (this|it) up|tell|mention (it|this)|inform|loop in|flag (it|this))"
            r"\b[^.]{0,40}\b(pm|product manager|manager|lead|stakeholders?|customer|team|anyone)",
            r"\b(would have|would've) (just )?started a (debate|discussion|fight)\b",
            r"\bkept (it|this) (quiet|to myself|under wraps)\b",
            r"\bkept (the |my |our )?(manager|pm|product manager|team|customer|client|"
            r"stakeholders?) in the dark\b",
            r"\bwaited until (after )?(the )?(launch|demo|review|release|deadline) (was over )?"
            r"to (tell|mention|report|flag)\b",
            r"\b(nobody|no one) (needed|had) to know\b",
            r"\bswept (it|this|that) under the (rug|carpet)\b",
            r"\b(quietly|secretly) (built|did|changed|shipped|went ahead)\b",
        ],
    ),
    "cut_quality": (
        "cut tests, review or a postmortem to save time",
        [
            r"\b(skip(ped)?|drop(ped)?|disabl(e|ed)|turn(ed)? off|comment(ed)? out) (the |all |our "
            r"|any )?(integration |unit |regression |load |offline )?(tests?|evaluation|evals?|"
            r"canary|code reviews?|qa)\b",
            r"\bno (real )?postmortem (was )?(needed|necessary)\b",
            r"\b(pushed|deployed|shipped|merged) (it |the \w+ )?(straight|directly) to "
            r"(prod|production|main|master)\b",
            r"\b(merged|shipped|deployed) (it |the \w+ )?without (any )?(review|tests?|testing)\b",
            r"\b(bypass(ed)?|silenc(ed)?|mut(ed)?|ignor(ed)?) the (code review|ci|failing tests?|"
            r"alerts?|checks?|warnings?)\b",
            r"\b(debugg\w*|tweak\w*|chang\w*) [^.]{0,20}\b(directly |live )?on (the )?production "
            r"(boxes|servers|hosts|machines)\b",
            r"\b(rolling back|a rollback|reverting) would (have )?(just )?(hidden|masked|lost)\b",
        ],
    ),
    "blame": (
        "put the blame on others",
        [
            r"\bsome people are (just )?(difficult|impossible|lazy|like that)\b",
            r"\b(his|her|their) (fault|incompetence|laziness)\b",
            r"\bthrew (him|her|them|the \w+) under the bus\b",
            r"\b(the )?(junior|intern|new hire|other team|vendor|contractor) (messed|screwed) up\b",
            r"\b(it was|that was) (his|her|their|the other team'?s|the pm'?s) fault\b",
            r"\b(didn'?t|doesn'?t) (really )?understand the technical\b",
            r"\bmade it clear to (him|her|them|the \w+) that (he|she|they) (needs?|had) to be\b",
            r"\bjuniors? (shouldn'?t|can'?t|should not) (touch|be allowed)\b",
            r"\b(the )?(pm|product manager|other team|client|customer|manager|they) (kept|always) "
            r"(changing|moving|missing|dropping|breaking)\b",
        ],
    ),
    "took_over": (
        "did the other person's work or took the credit for it",
        [
            r"\bI (basically |just |simply )?took over\b",
            r"\b(rewr(o|i)te|redo|redid) (it|them|his|her|their \w+)\b[^.]{0,40}\bmyself\b",
            r"\bpush(ed)? it myself\b",
            r"\b(fixed|debugged) [^.]{0,40} for (him|her|them)\b",
            r"\b(mostly|largely|all) (down to|thanks to|because of) (my|me)\b",
            r"\bI presented (the|his|her|their) (results|work)\b[^.]{0,40}\b(since|because) I\b",
            r"\bI made sure to point out\b",
            r"\bI'?d called it\b",
            r"\bnobody else could have\b",
            r"\bdidn'?t bother with\b",
            r"\btook (the |all the |most of the )?credit\b",
            r"\bI (did|wrote) (most|all|the bulk) of (it|his|her|their|the work) (for|myself)\b",
        ],
    ),
    "burnout": (
        "pushed the team (or yourself) through overwork instead of cutting scope",
        [
            r"\bnights and weekends\b",
            r"\bslept (at|in) the office\b",
            r"\b(1[2-9]|2\d)[- ]hour (days|shifts)\b",
            r"\bpulled (several |multiple |a few |two |three )?all-?nighters\b",
            r"\bcancel+ed (their|our|the team'?s|everyone'?s) (vacations?|holidays?|leave|pto)\b",
            r"\bout-?work(ed)? the problem\b",
            r"\buntil [1-5] ?a\.?m\.? (most|every) nights?\b",
        ],
    ),
}

_ENDORSED = [
    r"\b(I'?d|I would) do it (exactly |just )?the same way( again)?\b",
    r"\bI don'?t think I'?d change (much|anything)\b",
    r"\b(not sure I would|I wouldn'?t) do anything differently\b",
    r"\bI didn'?t change (much|anything)\b",
    r"\b(the )?results speak for themselves\b",
    r"\bthat'?s the price\b",
    r"\bfeedback didn'?t (really )?apply\b",
    r"\bnot all feedback is valid\b",
    r"\btrust your own judg(e)?ment over\b",
    r"\bshows? (that )?my \w+ worked\b",
    r"\bthe same approach with every\b",
    r"\bescalate (quickly|early|fast)\b",
    r"\bwith enough (commitment|effort|hard work) any\b",
    r"\bwouldn'?t change a (thing|single thing)\b",
    r"\bno regrets\b",
    r"\bI stand by (it|that|my decision)\b",
    r"\bproved (that )?(me|I was) right\b",
]

_OWNED = re.compile(
    r"\b(my (own )?(mistake|fault)|not my proudest|(was|is) on me|root cause (was|is) mine|"
    r"I caused|I regret|I should have|I shouldn'?t have|in hindsight|in retrospect|"
    r"I was (wrong|impatient|optimistic|defensive)|I got (it|this) wrong|I messed up|"
    r"the root cause (was|is) (really )?that I)\b",
    re.IGNORECASE,
)

FLAG_JUDGMENT = "judgment_red_flag"


@dataclass(frozen=True)
class RedFlag:
    kind: str
    reason: str
    sentence: Sentence
    phrase: str


def _compile(patterns: list[str]) -> list[re.Pattern[str]]:
    return [re.compile(p, re.IGNORECASE) for p in patterns]


_ACT_PATTERNS = {kind: (reason, _compile(ps)) for kind, (reason, ps) in _ACTS.items()}
_ENDORSED_PATTERNS = _compile(_ENDORSED)


def red_flags(found: list[Sentence]) -> list[RedFlag]:
    """One finding per kind: the story's unowned red-flag acts and its endorsements of them."""
    owned = any(_OWNED.search(s.text) for s in found)
    out: list[RedFlag] = []
    if not owned:
        for kind, (reason, patterns) in _ACT_PATTERNS.items():
            hit = _first(found, patterns)
            if hit:
                out.append(RedFlag(kind, reason, *hit))
    hit = _first(found, _ENDORSED_PATTERNS)
    if hit:
        out.append(RedFlag("endorsed", "no lesson: says it would do the same again", *hit))
    return out


def _first(found: list[Sentence], patterns: list[re.Pattern[str]]) -> tuple[Sentence, str] | None:
    for sentence in found:
        for pattern in patterns:
            match = pattern.search(sentence.text)
            if match:
                return sentence, match.group(0)
    return None


def caps(flags: list[RedFlag]) -> dict[str, int]:
    """One red flag caps the criteria it speaks to; two or more make the story's judgment the
    problem, a lean no hire at best everywhere (as a stated error does in a technical round)."""
    if not flags:
        return {}
    if len(flags) >= 2:
        return dict.fromkeys(("situation", "actions", "result", "reflection", "relevance"), 2)
    if flags[0].kind == "endorsed":
        return {"reflection": 2}
    return {"actions": 2, "relevance": 2}
