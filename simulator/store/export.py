"""Exports of a session for people: Markdown here, HTML in `html.py`.

Text that came from the candidate (or from a backend quoting the candidate) is data, never
markup: `terminal_safe` (simulator.safety) makes control characters and terminal escape
sequences visible instead of letting them act, and `md_text` also escapes `<`, `>`, `&` and
Markdown syntax, so an answer holding `<script>`, `![img](http://…)` or `# Heading` reads as
those characters in any Markdown viewer.
"""

from __future__ import annotations

import html
import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from simulator.models import DECISION_LABELS, Debrief, RoundRecord, Scorecard, Transcript
from simulator.safety import redact_urls, terminal_safe

if TYPE_CHECKING:
    from simulator.store.transcripts import TranscriptStore

# The one terminal-safe filter lives in simulator.safety; this name stays for its callers.
safe_terminal_text = terminal_safe

_MD_PUNCT = re.compile(r"([\\`*_\[\]!#~|])")
_MD_BLOCK_START = re.compile(r"^([ \t]{0,3})([=+\-])|^([ \t]{0,3}\d+)([.)])", re.MULTILINE)
_BARE_LINK = re.compile(r"(?i)(://|www\.)")


def md_inert(text: str) -> str:
    """Candidate text that a Markdown viewer shows as written: no image, link, heading,
    emphasis or list can come out of it (`![x](http://…)`, `# Title`, a `===` underline)."""
    text = _MD_PUNCT.sub(r"\\\1", text)
    # list items, setext heading underlines, rules: escape the mark that makes them
    text = _MD_BLOCK_START.sub(lambda m: f"{m[1]}\\{m[2]}" if m[2] else f"{m[3]}\\{m[4]}", text)
    return _BARE_LINK.sub(lambda m: m.group().replace("/", "\\/").replace(".", "\\."), text)


def md_text(text: str) -> str:
    """Text for Markdown prose: controls made visible, `<`, `>` and `&` escaped, Markdown
    syntax escaped, credentials in URLs redacted."""
    return md_inert(html.escape(terminal_safe(redact_urls(text)), quote=False))


md_literal = md_text
"""Text shown exactly as written (`lr*wd*p` stays `lr*wd*p`: verbatim quotes must be)."""


def _cell(text: str) -> str:
    return md_text(text).replace("\n", " ")


def _fence(text: str) -> str:
    """A backtick fence longer than any backtick run inside the text."""
    runs = [len(m) for m in re.findall(r"`{3,}", text)]
    return "`" * max(3, max(runs, default=0) + 1)


def _quote_block(text: str) -> str:
    text = md_text(text)
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
        f"Session `{transcript.session_id}` · {transcript.created_at:%Y-%m-%d %H:%M} UTC · "
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


def write_export(target: Path, text: str, store: TranscriptStore, force: bool = False) -> None:
    """Write an export to `target` through a temporary file and a rename, so a reader never
    sees half of it. Refuses (StoreError, one line) an existing file unless `force`, and
    any file of the transcripts folder (a session's own transcript) even with `force`."""
    from simulator.store.transcripts import StoreError

    if store.owns(target):
        raise StoreError(f"{target} is a file of the transcripts folder; export elsewhere")
    if os.path.lexists(target) and not force:
        raise StoreError(f"{target} exists; add --force to overwrite it")
    if os.path.isdir(target):
        raise StoreError(f"{target} is a directory")
    directory = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as err:
        raise StoreError(f"cannot write {target}: {err.strerror or err}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise StoreError(f"cannot write {target}: {err.strerror or err}") from None
