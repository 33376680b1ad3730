"""The offline interviewer: deterministic, no network, driven by the rubric.

After each answer it reacts to what was said, as a good human interviewer does: names what the
answer added, challenges each stated mistake once, gives a hint after "I don't know" (then moves
on), asks for substance after an empty or unreadable reply, answers a clarifying question from
the question's context, and otherwise probes the most important point not yet made (never one
already made: the grader's own detection decides). It goes deeper while the clock allows, asks
one last question near the end, closes at time, and answers the candidate's closing question.
"""

from __future__ import annotations

import re

from simulator.analysis.evidence import Analysis, analyze
from simulator.analysis.text import quote, words
from simulator.backends.base import InterviewerReply, RoundContext, TokenSink
from simulator.backends.offline import nudges, pacing
from simulator.backends.offline.acknowledge import acknowledge, said
from simulator.backends.offline.challenge import challenge, quoted_mistake
from simulator.backends.offline.closing import about_the_job, answer_closing, opening_line
from simulator.backends.offline.grader import GRADER_NAME, grade_analysis
from simulator.backends.offline.probes import (
    ProbeChoice,
    choose_probe,
    mid_sentence,
    point_label,
    probe_in,
)
from simulator.debrief import compose_debrief
from simulator.models import Debrief, LoopPreset, RoundRecord, Scorecard, Turn

LAST_QUESTION_LEAD = "We're nearly at time, so one last question:"
MAX_DEPTH_PROBES = 3
"""Follow-up chains on points already made ("what would you trade off there?"), per round."""
AFTER_CODE_CRITERIA = frozenset({"complexity", "edge-cases", "numerics", "code-quality"})

_DEPTH_ASK = {
    "research": (
        "under what assumption does that hold, and what happens when it fails?",
        "how would you test that claim in an experiment?",
    ),
    "research-presentation": (
        "what's the strongest objection to it, and your answer?",
        "what experiment would convince a skeptic?",
    ),
    "behavioral": (
        "what would the other people involved say about it, and how do you know?",
        "what alternative did you reject there, and why?",
        "what would you do differently next time?",
    ),
    "swe-coding": ("how would it change if the input no longer fit in memory?",),
    "ai-coding": ("how would it behave with float16 inputs or a million rows?",),
}
_DEPTH_DEFAULT = (
    "what's the main trade-off there, and when would you choose differently?",
    "what would you monitor to know it's working, and what would you do if it weren't?",
)
DEPTH_LEAD = "Going back to"


def _style(ctx: RoundContext) -> str:
    style = ctx.persona.style.lower()
    tough = any(w in style for w in ("tough", "skeptic", "grill", "rigorous", "blunt"))
    return "tough" if tough and "friendly" not in style else "friendly"


def _moving_on_from(probe: ProbeChoice | None) -> frozenset[str]:
    """What not to ask next after the candidate could not answer `probe`: its point and its
    criterion (another angle, not the same question in other words)."""
    if probe is None:
        return frozenset()
    return frozenset(x for x in (probe.point, probe.criterion) if x)


def _joined(turns: list[Turn]) -> str:
    """The graded words of these turns (answers and code, not clarifying questions)."""
    return "\n\n".join(t.text for t in turns if t.role == "candidate" and t.kind != "clarify")


class OfflineInterviewer:
    name = GRADER_NAME
    model: str | None = None

    async def reply(self, ctx: RoundContext, on_token: TokenSink | None = None) -> InterviewerReply:
        reply = self.next_turn(ctx)
        if on_token:
            on_token(reply.text)
        return reply

    # -------------------------------------------------------------- turn selection

    def next_turn(self, ctx: RoundContext) -> InterviewerReply:
        turns = ctx.record.turns
        if not turns:
            return InterviewerReply(text=self._opening(ctx), kind="question")
        if ctx.answering_closing_reply:
            reply = answer_closing(turns[-1].text, ctx.question, ctx.persona)
            return InterviewerReply(text=reply, kind="closing")
        last_turn = turns[-1] if turns[-1].role == "candidate" else None
        last = last_turn.text if last_turn else ""
        spoken = [t for t in turns if t.role == "interviewer"]
        asked = [t.text for t in spoken]
        pending = spoken[-1]
        pending_probe = probe_in(pending.text, ctx.rubric, ctx.question)

        before = analyze(_joined(turns[:-1]), ctx.rubric, ctx.question, ctx.question_text)
        whole = analyze(ctx.graded_answers(), ctx.rubric, ctx.question, ctx.question_text)
        latest = analyze(last, ctx.rubric, ctx.question, ctx.question_text)
        tough = _style(ctx) == "tough"

        ack = acknowledge(ctx.rubric, ctx.question, before, latest, tough, len(spoken))
        if last_turn is None or last_turn.kind == "code":
            ack = ""
        if last_turn is not None and (
            last_turn.text.strip().endswith("?") or nudges.admits_not_knowing(last_turn.text)
        ):
            ack = ""  # a question, or "I don't know", is not an answer to acknowledge
        if ctx.must_close:  # time (or the cap on answers) is up: close, saying what was heard
            why = "time" if ctx.seconds_left <= 0 else "stop"
            return InterviewerReply(text=self._closing(ctx, why, ack), kind="closing")
        made = ack if latest.covered else ""
        again = self._pending_text(ctx, pending, pending_probe)
        clarify = self._clarify(ctx, last_turn, again, made)
        if clarify:
            return clarify

        if last_turn is not None and last_turn.kind == "code":
            return self._after_code(ctx, last_turn, whole, asked)

        mistake = self._unchallenged_mistake(ctx, turns)
        if mistake is not None:
            criterion, sentence = mistake
            earlier = sum(1 for t in spoken if t.kind == "challenge")
            text = challenge(ctx.rubric.round, criterion, sentence, earlier)
            ack = made if made and quoted_mistake(sentence)[:40] not in made else ""
            return InterviewerReply(
                text=f"{ack} {text}".strip(), kind="challenge", criterion=criterion
            )

        if last_turn is not None:
            # Nudged once already, or defending a challenged claim: don't press, move on.
            nudged = (
                self._previous_answer_was_empty(ctx, turns) and pending.kind == "clarify"
            ) or pending.kind == "challenge"
            if nudges.admits_not_knowing(last) and not latest.covered:
                return self._after_dont_know(ctx, whole, asked, pending, pending_probe, nudged)
            if self._is_non_answer(latest, to_opening=pending.kind == "question"):
                return self._after_non_answer(
                    ctx, whole, asked, pending, pending_probe, latest, nudged
                )

        return self._next_question(ctx, whole, asked, ack, latest=latest)

    def _next_question(
        self,
        ctx: RoundContext,
        whole: Analysis,
        asked: list[str],
        ack: str,
        avoid: frozenset[str] = frozenset(),
        only: frozenset[str] | None = None,
        latest: Analysis | None = None,
    ) -> InterviewerReply:
        """A probe, paced by the clock: deeper while time remains, one last question near the
        end, the closing turn at time or when nothing is left worth asking."""
        probes_asked = sum(
            1 for t in ctx.record.turns if t.role == "interviewer" and t.kind == "probe"
        )
        last_asked = any(LAST_QUESTION_LEAD in text for text in asked)
        stage = pacing.phase(ctx.seconds_left, ctx.record.minutes, last_asked, probes_asked)
        if stage == "close":
            near = ctx.seconds_left <= pacing.wrap_up_seconds(ctx.record.minutes)
            return InterviewerReply(
                text=self._closing(ctx, "near" if near else "done", ack), kind="closing"
            )
        probe = choose_probe(ctx.rubric, ctx.question, whole, asked, avoid, only)
        if probe is None and only is not None:
            probe = choose_probe(ctx.rubric, ctx.question, whole, asked, avoid)
        text = probe.text if probe else None
        criterion = probe.criterion if probe else None
        if probe is None:
            depth = self._depth_probe(ctx, whole, asked, latest)
            if depth is None:
                return InterviewerReply(text=self._closing(ctx, "done", ack), kind="closing")
            text, criterion = depth
        if stage == "last_question":
            text = f"{LAST_QUESTION_LEAD} {text}"
        return InterviewerReply(text=f"{ack} {text}".strip(), kind="probe", criterion=criterion)

    def _depth_probe(
        self, ctx: RoundContext, whole: Analysis, asked: list[str], latest: Analysis | None
    ) -> tuple[str, str] | None:
        """A follow-up chain on a point already made: its trade-off or limit, not the point."""
        if ctx.question is None:
            return None
        done = sum(1 for text in asked if DEPTH_LEAD in text)
        if done >= MAX_DEPTH_PROBES:
            return None
        # Back to a point made earlier (the acknowledgement already names what was just
        # said), the most recent first: a chain of follow-ups, not a jump around.
        just_said = set(latest.covered) if latest else set()
        made = sorted(
            (kp for kp in ctx.question.key_points if kp.id in whole.covered),
            key=lambda kp: (kp.id in just_said, -whole.covered[kp.id].start),
        )
        asks = _DEPTH_ASK.get(ctx.rubric.round, _DEPTH_DEFAULT)
        ask = asks[done % len(asks)]
        for point in made:
            label = point_label(point)
            if label:  # named: "Going back to caching: ..."
                topic = f"{DEPTH_LEAD} {mid_sentence(label)}"
            else:  # unnamed: quote what they said
                topic = f"{DEPTH_LEAD} what you said, {said(whole.covered[point.id].text)}"
            if not any(topic in earlier for earlier in asked):
                return f"{topic}: {ask}", point.criterion
        return None

    # -------------------------------------------------------------- reactions

    def _clarify(
        self, ctx: RoundContext, last_turn: Turn | None, pending: str, ack: str
    ) -> InterviewerReply | None:
        """A question from the candidate mid-round: the question's facts when it is about
        the problem, "later" when it is about the job, else "make an assumption"."""
        if last_turn is None or nudges.admits_not_knowing(last_turn.text):
            return None
        explicit = last_turn.kind == "clarify"
        short = len(words(last_turn.text)) <= 25 and last_turn.text.strip().endswith("?")
        if not (explicit or _is_clarifying_question(last_turn.text)):
            return None
        if (explicit or short) and about_the_job(last_turn.text):
            text = f"Let's keep that for the end; I'll leave time for your questions. {pending}"
            return InterviewerReply(text=text, kind="clarify")
        context = ctx.question.context if ctx.question else None
        given = any(t.kind == "clarify" and "Good question." in t.text for t in ctx.record.turns)
        if context and not given:
            facts = nudges.context_facts(context)
            return InterviewerReply(text=f"{ack} Good question. {facts}".strip(), kind="clarify")
        if explicit or short:
            return InterviewerReply(
                text="I'll leave that to you: make a reasonable assumption, say it, and go on.",
                kind="clarify",
            )
        return None  # a long answer that ends by asking something: answer it as an answer

    def _unchallenged_mistake(self, ctx: RoundContext, turns: list[Turn]) -> tuple[str, str] | None:
        """The first stated mistake not yet challenged (each misconception once, by identity:
        saying it again after the challenge is not challenged again)."""
        challenges = [t.text for t in turns if t.role == "interviewer" and t.kind == "challenge"]
        challenged: set[str] = set()
        pending: list[tuple[str, str, str]] = []
        for turn in turns:
            if turn.role != "candidate" or turn.kind in ("clarify", "code"):
                continue
            found = analyze(turn.text, ctx.rubric, ctx.question, ctx.question_text)
            for mistake, sentence in found.mistakes:
                if any(quoted_mistake(sentence.text) in text for text in challenges):
                    challenged.add(mistake.text)
                else:
                    pending.append((mistake.text, mistake.criterion, sentence.text))
        for text, criterion, mistaken_words in pending:
            if text not in challenged:
                return criterion, mistaken_words
        return None

    def _is_non_answer(self, latest: Analysis, to_opening: bool = False) -> bool:
        """No answer at all; a terse answer that makes a point or uses the words of the
        rubric is an answer, however short. "Restates the question" compares with the
        opening question, so it only means something for an answer to that."""
        flags = set(latest.flags)
        if not to_opening:
            flags.discard("restated_question")
        if not flags & {"empty", "gibberish", "buzzword_list", "too_short", "restated_question"}:
            return False
        if flags <= {"too_short", "restated_question", "injection_attempt", "answer_truncated"}:
            return not latest.covered and not any(latest.generic.values())
        return True

    def _previous_answer_was_empty(self, ctx: RoundContext, turns: list[Turn]) -> bool:
        """Did the answer before the last one also say nothing (we already nudged once)?"""
        answers = [t for t in turns if t.role == "candidate" and t.kind not in ("clarify", "code")]
        if len(answers) < 2:
            return False
        previous = answers[-2].text
        found = analyze(previous, ctx.rubric, ctx.question, ctx.question_text)
        return nudges.admits_not_knowing(previous) or self._is_non_answer(found, to_opening=True)

    def _pending_text(self, ctx: RoundContext, pending: Turn, probe: ProbeChoice | None) -> str:
        if probe is not None:
            return probe.text
        if pending.kind == "question":  # the opening: the question itself, in one sentence
            return re.split(r"(?<=[.!?])\s+", ctx.record.question_prompt.strip())[0]
        return nudges.restate(pending.text)

    def _after_dont_know(
        self,
        ctx: RoundContext,
        whole: Analysis,
        asked: list[str],
        pending: Turn,
        probe: ProbeChoice | None,
        nudged: bool,
    ) -> InterviewerReply:
        if nudged or pending.kind == "challenge":
            return self._next_question(
                ctx, whole, asked, "No problem, let's move on.", _moving_on_from(probe)
            )
        hint = nudges.hint(ctx.rubric.round, ctx.question, probe)
        again = self._pending_text(ctx, pending, probe)
        return InterviewerReply(
            text=f"That's fine, let's work it out together. {hint} {again}",
            kind="clarify",
            criterion=probe.criterion if probe else None,
        )

    def _after_non_answer(
        self,
        ctx: RoundContext,
        whole: Analysis,
        asked: list[str],
        pending: Turn,
        probe: ProbeChoice | None,
        latest: Analysis,
        nudged: bool,
    ) -> InterviewerReply:
        wrong = nudges.what_was_wrong(latest)
        if pending.kind == "challenge":  # challenged once is enough
            return self._next_question(ctx, whole, asked, "OK, let's leave that there.")
        if nudged:
            return self._next_question(
                ctx, whole, asked, f"{wrong} Let's move on.", _moving_on_from(probe)
            )
        again = self._pending_text(ctx, pending, probe)
        return InterviewerReply(
            text=f"{wrong} In a sentence or two, with your reasoning: {again}",
            kind="clarify",
            criterion=probe.criterion if probe else None,
        )

    def _after_code(
        self, ctx: RoundContext, code: Turn, whole: Analysis, asked: list[str]
    ) -> InterviewerReply:
        """After a submission: what the tests showed, then complexity and edge cases once it
        passes (never "I need more than that": code is not judged as prose)."""
        if not code.tests_total:
            return self._next_question(
                ctx, whole, asked, "Thanks, I have your code.", only=AFTER_CODE_CRITERIA
            )
        ack = _test_ack(code.tests_passed or 0, code.tests_total)
        only = AFTER_CODE_CRITERIA if code.tests_passed == code.tests_total else None
        return self._next_question(ctx, whole, asked, ack, only=only)

    # -------------------------------------------------------------- phrasing

    def _opening(self, ctx: RoundContext) -> str:
        problems = max(1, len(ctx.problems))
        lines = [opening_line(ctx.rubric.opening, ctx.record.minutes, problems)]
        hook = _cv_hook(ctx)
        if hook:
            lines.append(hook)
        lines.append(ctx.record.question_prompt.strip())
        return "\n\n".join(lines)

    def _closing(self, ctx: RoundContext, why: str, ack: str = "") -> str:
        lead = {
            "time": "We're at time.",
            "stop": "Let's stop here.",
            "near": "We're about at time.",
            "done": "That covers what I wanted to ask.",
        }[why]
        closing = " ".join(ctx.rubric.closing.split())
        if why == "stop" and closing.lower().startswith("let's stop"):
            lead = ""  # the rubric's closing already says it ("Let's stop there."): say it once
        return " ".join(part for part in (ack, lead, closing) if part)

    # -------------------------------------------------------------- grading and debrief

    async def grade(self, ctx: RoundContext) -> Scorecard:
        answers = ctx.graded_answers()
        siblings = ctx.catalog.questions_for(ctx.rubric.round)
        analysis = analyze(answers, ctx.rubric, ctx.question, ctx.question_text, siblings)
        guide = ctx.catalog.guides.get(ctx.rubric.round)
        return grade_analysis(analysis, ctx.rubric, ctx.question, guide, correctness_of(ctx.record))

    async def debrief(self, loop: LoopPreset | None, rounds: list[RoundRecord]) -> Debrief:
        return compose_debrief(loop, rounds)


def correctness_of(record: RoundRecord) -> float | None:
    """The share of hidden tests the last submission passed, for coding rounds."""
    for turn in reversed(record.turns):
        if turn.role == "candidate" and turn.kind == "code" and turn.tests_total:
            return (turn.tests_passed or 0) / turn.tests_total
    return None


def _test_ack(passed: int, total: int) -> str:
    """What an interviewer says after running the candidate's code, without revealing the tests."""
    if passed == total:
        return f"I ran it against my tests: all {total} pass."
    return (
        f"I ran it against my tests: {passed} of {total} pass, so something is off for some "
        "inputs — keep that in mind."
    )


def _is_clarifying_question(text: str) -> bool:
    """A short question, or an answer that ends by asking one ("...What scale should I assume?")."""
    stripped = text.strip()
    if not stripped.endswith("?"):
        return False
    last = re.split(r"(?<=[.!?])\s+", stripped)[-1]
    return len(words(stripped)) <= 40 or len(words(last)) <= 25


def _cv_hook(ctx: RoundContext) -> str | None:
    """A line that ties the question to the candidate's CV, as interviewers do."""
    if ctx.rubric.round not in ("behavioral", "research") or not ctx.profile.cv_text.strip():
        return None
    for line in ctx.profile.cv_text.splitlines():
        item = line.strip().lstrip("-*•").strip()
        if len(words(item)) >= 6 and not item.startswith("#"):
            if ctx.rubric.round == "behavioral":
                return (
                    f'I was reading your CV — "{quote(item, 140)}". A story from that work '
                    "would be great, if one fits."
                )
            return (
                f'I was reading your CV — "{quote(item, 140)}". I may connect the '
                "questions to that work."
            )
    return None
