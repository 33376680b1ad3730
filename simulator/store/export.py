"""Exports of a session for people: Markdown here, HTML in `html.py`.

Text that came from the candidate (or from a backend quoting the candidate) is data, never
markup: `safe_terminal_text` makes control characters and terminal escape sequences visible
instead of letting them act, and `md_text` also escapes `<`, `>` and `&`, so an answer holding
`<script>` reads as those characters in any Markdown viewer.
"""

from __future__ import annotations

import html
import re

from simulator.models import DECISION_LABELS, Debrief, RoundRecord, Scorecard, Transcript


def _control_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x20):
        if chr(code) not in "\n\t":
            table[code] = chr(0x2400 + code)  # U+2400.. control pictures: ␀ ␛ ␍ …
    table[0x7F] = "\u2421"  # ␡
    for code in range(0x80, 0xA0):  # C1 controls: 0x9b is a one-byte CSI on some terminals
        table[code] = f"\\x{code:02x}"
    for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C):
        table[code] = f"<U+{code:04X}>"  # bidi overrides reorder what is displayed
    for code in range(0xD800, 0xE000):
        table[code] = "\ufffd"  # lone surrogates (undecodable bytes) cannot be written out
    return table


_CONTROLS = _control_table()


def safe_terminal_text(text: str) -> str:
    """Candidate text made inert for a terminal: escape sequences, NUL, carriage returns,
    backspaces, C1 controls and bidi overrides are shown as visible symbols (ESC as ␛);
    newlines and tabs stay. Call it on every piece of candidate text before printing."""
    return text.replace("\r\n", "\n").translate(_CONTROLS)


def md_text(text: str) -> str:
    """Text for Markdown prose: controls made visible, `<`, `>` and `&` escaped."""
    return html.escape(safe_terminal_text(text), quote=False)


_EMPHASIS = re.compile(r"([\\`*_~])")


def md_literal(text: str) -> str:
    """Text shown exactly as written: `md_text`, plus a backslash before each character
    Markdown would take as emphasis or code, so that `lr*wd*p` stays `lr*wd*p` (quotes
    that claim to be verbatim must be)."""
    return _EMPHASIS.sub(r"\\\1", md_text(text))


def _cell(text: str) -> str:
    return md_literal(text).replace("|", "\\|").replace("\n", " ")


def _fence(text: str) -> str:
    """A backtick fence longer than any backtick run inside the text."""
    runs = [len(m) for m in re.findall(r"`{3,}", text)]
    return "`" * max(3, max(runs, default=0) + 1)


def _quote_block(text: str) -> str:
    text = md_literal(text)
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.split("\n"))


def scorecard_markdown(card: Scorecard) -> list[str]:
    out = [
        f"**{DECISION_LABELS[card.decision]}** — overall {card.overall:.2f} / 4 "
        f"(graded by {md_text(card.grader)})",
        "",
    ]
    if card.flags:
        out += [f"Flags: {md_text(', '.join(card.flags))}", ""]
    out += ["| Criterion | Score | Feedback |", "| --- | :---: | --- |"]
    for score in card.criteria:
        out.append(f"| {_cell(score.name)} | {score.score} | {_cell(score.feedback)} |")
    out.append("")
    for score in card.criteria:
        if score.evidence:
            out.append(f"*{md_text(score.name)}* — evidence:")
            out += [f"- “{_cell(q)}”" for q in score.evidence]
            out.append("")
    if card.strengths:
        out += ["**Strengths**", ""] + [f"- {_cell(s)}" for s in card.strengths] + [""]
    if card.improvements:
        out += ["**Work on**", ""] + [f"- {_cell(s)}" for s in card.improvements] + [""]
    return out


def debrief_markdown(debrief: Debrief) -> list[str]:
    out = [
        "## Debrief",
        "",
        md_text(debrief.summary),
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
        out += (
            ["Work on first:", ""]
            + [f"{i}. {_cell(f)}" for i, f in enumerate(debrief.focus, 1)]
            + [""]
        )
    return out


def round_markdown(index: int, record: RoundRecord, many: bool) -> list[str]:
    heading = (
        f"## Round {index}: {record.round} — {_cell(record.question_title)}"
        if many
        else f"## {_cell(record.question_title)}"
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
            out += [f"**Interviewer** ({stamp})", "", md_text(turn.text.strip()), ""]
        elif turn.kind == "code":
            code = safe_terminal_text(turn.text.rstrip())
            fence = _fence(code)
            out += [f"**Candidate — code** ({stamp})", "", f"{fence}python", code, fence, ""]
            if turn.test_summary:
                out += [f"*Tests: {_cell(turn.test_summary)}*", ""]
        else:
            out += [f"**Candidate** ({stamp})", "", _quote_block(turn.text.strip()), ""]
    if record.scorecard:
        out += ["### Scorecard", "", *scorecard_markdown(record.scorecard)]
    return out


def to_markdown(transcript: Transcript) -> str:
    title = _cell(transcript.loop_name or "") if transcript.kind == "loop" else "Practice round"
    out = [
        f"# onsite — {title}",
        "",
        f"Session `{_cell(transcript.session_id)}` · {transcript.created_at:%Y-%m-%d %H:%M} UTC · "
        f"backend {transcript.backend}"
        + (f" ({_cell(transcript.model)})" if transcript.model else "")
        + f" · {transcript.status.replace('_', ' ')}",
        "",
    ]
    if transcript.debrief:
        out += debrief_markdown(transcript.debrief)
    many = len(transcript.rounds) > 1
    for index, record in enumerate(transcript.rounds, 1):
        out += round_markdown(index, record, many)
    return "\n".join(out).rstrip() + "\n"
