"""The offline interviewer: deterministic, no network, driven by the rubric.

After each answer it does what a good human interviewer does: asks for more when the answer
says nothing, challenges a mistake once, answers a clarifying question from the question's
context, and otherwise probes the most important criterion not yet covered (the question's
own probes first, then the rubric's generic ones, never the same probe twice), ending by
inviting the candidate's questions.
"""

from __future__ import annotations

import re

from simulator.analysis.evidence import Analysis, analyze
from simulator.analysis.text import quote, words
from simulator.backends.base import InterviewerReply, RoundContext, TokenSink
from simulator.backends.offline.grader import GRADER_NAME, grade_analysis
from simulator.debrief import compose_debrief
from simulator.models import Debrief, LoopPreset, RoundRecord, Scorecard

_ACKS = {
    "friendly": ("Thanks.", "OK, got it.", "Makes sense.", "Thanks, that's clear.", "Alright."),
    "tough": ("Hm.", "OK.", "Let's push on that.", "Noted.", "Right."),
}


def _style(ctx: RoundContext) -> str:
    style = ctx.persona.style.lower()
    return (
        "tough"
        if any(w in style for w in ("tough", "skeptic", "grill", "rigorous", "blunt"))
        else "friendly"
    )


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
        if ctx.must_close:
            return InterviewerReply(text=self._closing(ctx, time_up=True), kind="closing")
        last = turns[-1].text if turns[-1].role == "candidate" else ""
        asked = {t.text for t in turns if t.role == "interviewer"}
        kinds = [t.kind for t in turns if t.role == "interviewer"]
        ack = self._ack(ctx, len(kinds))

        context = ctx.question.context if ctx.question else None
        asked_for_clarification = turns[-1].role == "candidate" and turns[-1].kind == "clarify"
        if asked_for_clarification or (
            context and _is_clarifying_question(last) and "clarify" not in kinds
        ):
            if context and "clarify" not in kinds:
                facts = re.sub(r"^\s*if asked[^:]*:\s*", "", context.strip(), flags=re.IGNORECASE)
                return InterviewerReply(text=f"Good question. {facts}", kind="clarify")
            return InterviewerReply(
                text="I'll leave that to you: make a reasonable assumption, say it, and go on.",
                kind="clarify",
            )

        whole = analyze(ctx.graded_answers(), ctx.rubric, ctx.question, ctx.question_text)
        latest = analyze(last, ctx.rubric, ctx.question, ctx.question_text)
        challenged = {t.criterion for t in turns if t.kind == "challenge"}
        for mistake, sentence in latest.mistakes:
            if mistake.criterion not in challenged:
                text = (
                    f'{ack} You said: "{quote(sentence.text, 160)}". Are you sure about that? '
                    "Walk me through why it holds."
                )
                return InterviewerReply(text=text, kind="challenge", criterion=mistake.criterion)

        if latest.non_answer and kinds[-1] != "clarify" and len(kinds) < 4:
            probe = self._next_probe(ctx, whole, asked)
            nudge = "I need more than that to go on. Could you walk me through your reasoning"
            text = f"{nudge}? {probe[0]}" if probe else f"{nudge}, step by step?"
            return InterviewerReply(
                text=text, kind="clarify", criterion=probe[1] if probe else None
            )

        if turns[-1].role == "candidate" and turns[-1].kind == "code" and turns[-1].tests_total:
            ack = _test_ack(turns[-1].tests_passed or 0, turns[-1].tests_total)

        probe = self._next_probe(ctx, whole, asked)
        if probe is None:
            return InterviewerReply(text=self._closing(ctx, time_up=False), kind="closing")
        return InterviewerReply(text=f"{ack} {probe[0]}", kind="probe", criterion=probe[1])

    def _next_probe(
        self, ctx: RoundContext, seen: Analysis, asked: set[str]
    ) -> tuple[str, str] | None:
        """The most important criterion not yet covered that still has an unasked probe."""

        def was_asked(text: str) -> bool:  # asked turns may carry an acknowledgement first
            return any(text in turn for turn in asked)

        points = ctx.question.key_points if ctx.question else []
        best: tuple[float, str, str] | None = None
        for order, criterion in enumerate(ctx.rubric.criteria):
            own = [kp for kp in points if kp.criterion == criterion.id]
            made = len(seen.covered_points(own))
            coverage = (
                made / len(own) if own else min(1.0, len(seen.generic.get(criterion.id, [])) / 2)
            )
            if own and made == len(own):
                continue  # every point of this criterion is made: nothing to probe for
            candidates: list[tuple[float, str]] = []
            for probe in ctx.question.probes if ctx.question else []:
                if probe.criterion != criterion.id or was_asked(probe.text):
                    continue
                if probe.after and probe.after not in seen.covered:
                    continue
                # A deeper follow-up on a point just made is what a good interviewer asks next.
                candidates.append((0.35 if probe.after else 0.1, probe.text))
            candidates += [(0.0, p) for p in criterion.probes if not was_asked(p)]
            if not candidates:
                continue
            bonus, text = max(candidates, key=lambda c: c[0])
            priority = criterion.weight * (1 - coverage) + bonus - order * 0.001
            if best is None or priority > best[0]:
                best = (priority, text, criterion.id)
        return (best[1], best[2]) if best else None

    # -------------------------------------------------------------- phrasing

    def _ack(self, ctx: RoundContext, index: int) -> str:
        options = _ACKS[_style(ctx)]
        return options[index % len(options)]

    def _opening(self, ctx: RoundContext) -> str:
        lines = [ctx.rubric.opening.strip()]
        hook = _cv_hook(ctx)
        if hook:
            lines.append(hook)
        lines.append(ctx.record.question_prompt.strip())
        return "\n\n".join(lines)

    def _closing(self, ctx: RoundContext, time_up: bool) -> str:
        lead = "We're at time." if time_up else "That covers what I wanted to ask."
        return f"{lead} {ctx.rubric.closing.strip()}"

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
