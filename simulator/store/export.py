"""Exports of a session for people: Markdown (and HTML, added with the review issue)."""

from __future__ import annotations

from simulator.models import DECISION_LABELS, Debrief, RoundRecord, Scorecard, Transcript


def _quote_block(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.splitlines())


def scorecard_markdown(card: Scorecard) -> list[str]:
    out = [
        f"**{DECISION_LABELS[card.decision]}** — overall {card.overall:.2f} / 4 "
        f"(graded by {card.grader})",
        "",
    ]
    if card.flags:
        out += [f"Flags: {', '.join(card.flags)}", ""]
    out += ["| Criterion | Score | Feedback |", "| --- | :---: | --- |"]
    for score in card.criteria:
        feedback = score.feedback.replace("|", "\\|").replace("\n", " ")
        out.append(f"| {score.name} | {score.score} | {feedback} |")
    out.append("")
    for score in card.criteria:
        if score.evidence:
            out.append(f"*{score.name}* — evidence:")
            out += [f"- “{q}”" for q in score.evidence]
            out.append("")
    if card.strengths:
        out += ["**Strengths**", ""] + [f"- {s}" for s in card.strengths] + [""]
    if card.improvements:
        out += ["**Work on**", ""] + [f"- {s}" for s in card.improvements] + [""]
    return out


def debrief_markdown(debrief: Debrief) -> list[str]:
    out = [
        "## Debrief",
        "",
        debrief.summary,
        "",
        "| Stage | Round | Score | Decision |",
        "| --- | --- | :---: | --- |",
    ]
    for signal in debrief.rounds:
        score = f"{signal.overall:.2f}" if signal.overall is not None else "–"
        decision = DECISION_LABELS[signal.decision] if signal.decision else "ungraded"
        out.append(f"| {signal.stage} | {signal.round} | {score} | {decision} |")
    out += [
        "",
        f"**Loop decision: {DECISION_LABELS[debrief.decision]}** ({debrief.overall:.2f})",
        "",
    ]
    if debrief.focus:
        out += ["Work on first:", ""] + [f"{i}. {f}" for i, f in enumerate(debrief.focus, 1)] + [""]
    return out


def round_markdown(index: int, record: RoundRecord, many: bool) -> list[str]:
    heading = (
        f"## Round {index}: {record.round} — {record.question_title}"
        if many
        else f"## {record.question_title}"
    )
    out = [
        heading,
        "",
        f"*{record.stage}, {record.minutes} minutes"
        + (f", ended by {record.ended_by}" if record.ended_by else "")
        + "*",
        "",
    ]
    for turn in record.turns:
        stamp = f"{int(turn.elapsed // 60):02d}:{int(turn.elapsed % 60):02d}"
        if turn.role == "interviewer":
            out += [f"**Interviewer** ({stamp})", "", turn.text.strip(), ""]
        elif turn.kind == "code":
            out += [
                f"**Candidate — code** ({stamp})",
                "",
                "```python",
                turn.text.rstrip(),
                "```",
                "",
            ]
            if turn.test_summary:
                out += [f"*Tests: {turn.test_summary}*", ""]
        else:
            out += [f"**Candidate** ({stamp})", "", _quote_block(turn.text.strip()), ""]
    if record.scorecard:
        out += ["### Scorecard", "", *scorecard_markdown(record.scorecard)]
    return out


def to_markdown(transcript: Transcript) -> str:
    title = transcript.loop_name if transcript.kind == "loop" else "Practice round"
    out = [
        f"# onsite — {title}",
        "",
        f"Session `{transcript.session_id}` · {transcript.created_at:%Y-%m-%d %H:%M} UTC · "
        f"backend {transcript.backend}"
        + (f" ({transcript.model})" if transcript.model else "")
        + f" · {transcript.status.replace('_', ' ')}",
        "",
    ]
    if transcript.debrief:
        out += debrief_markdown(transcript.debrief)
    many = len(transcript.rounds) > 1
    for index, record in enumerate(transcript.rounds, 1):
        out += round_markdown(index, record, many)
    return "\n".join(out).rstrip() + "\n"
