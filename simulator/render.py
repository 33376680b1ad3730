"""Plain-terminal rendering for the headless commands (no Rich, no Textual: they load fast)."""

from __future__ import annotations

import shutil
import sys
import textwrap
from typing import TextIO

from simulator.models import DECISION_LABELS, Debrief, Scorecard
from simulator.store.export import safe_terminal_text


class Style:
    def __init__(self, stream: TextIO) -> None:
        from simulator.config import color_allowed

        self.on = (
            stream.isatty() and color_allowed()
        )

    def __call__(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.on else text

    def bold(self, text: str) -> str:
        return self(text, "1")

    def dim(self, text: str) -> str:
        return self(text, "2")

    def decision(self, decision: str) -> str:
        color = {
            "strong_hire": "32",
            "lean_hire": "36",
            "lean_no_hire": "33",
            "strong_no_hire": "31",
        }
        return self(DECISION_LABELS.get(decision, decision), "1;" + color.get(decision, "0"))


def width() -> int:
    return max(40, min(100, shutil.get_terminal_size((88, 24)).columns) - 2)


def wrap(text: str, indent: str = "", first: str | None = None) -> str:
    """Wrap each paragraph, keeping blank lines, list items and code blocks as they are."""
    out: list[str] = []
    in_code = False
    lead = first if first is not None else indent
    for line in text.splitlines() or [""]:
        if line.strip().startswith("```"):
            in_code = not in_code
        if in_code or line.startswith(("    ", "\t")) or not line.strip():
            out.append((lead + line).rstrip())
        else:
            bullet = (
                len(line) - len(line.lstrip(" -*0123456789."))
                if line.lstrip()[:1] in "-*0123456789"
                else 0
            )
            out.extend(
                textwrap.wrap(
                    line, width(), initial_indent=lead, subsequent_indent=indent + " " * bullet
                )
                or [lead]
            )
        lead = indent
    return "\n".join(out)


def scorecard_text(card: Scorecard, style: Style, title: str | None = None) -> str:
    lines = [""]
    head = f"Scorecard — {title or card.question_id or card.round}"
    lines.append(style.bold(head))
    lines.append(
        f"{style.decision(card.decision)}   overall {card.overall:.2f} / 4   "
        + style.dim(f"(graded by {card.grader})")
    )
    if card.flags:
        lines.append(style("Flags: " + ", ".join(card.flags), "33"))
    lines.append("")
    for score in card.criteria:
        bar = "●" * score.score + "○" * (4 - score.score)
        lines.append(f"  {bar}  {style.bold(score.name)} ({score.score})")
        if score.feedback:
            lines.append(wrap(safe_terminal_text(score.feedback), indent="        "))
        for quote in score.evidence:
            shown = safe_terminal_text(quote)  # the candidate's words: never raw escapes
            lines.append(wrap(f"“{shown}”", indent="          ", first="        ▸ "))
    if card.strengths:
        lines += ["", style.bold("Strengths")] + [wrap(s, "    ", "  + ") for s in card.strengths]
    if card.improvements:
        lines += ["", style.bold("Work on")] + [wrap(s, "    ", "  - ") for s in card.improvements]
    return "\n".join(lines)


def debrief_text(debrief: Debrief, style: Style) -> str:
    lines = ["", style.bold("Debrief"), wrap(debrief.summary), ""]
    for signal in debrief.rounds:
        decision = style.decision(signal.decision) if signal.decision else "ungraded"
        score = f"{signal.overall:.2f}" if signal.overall is not None else "  – "
        lines.append(f"  {signal.stage:<10} {signal.round:<22} {score}  {decision}")
    lines += ["", f"Decision: {style.decision(debrief.decision)} ({debrief.overall:.2f})"]
    if debrief.focus:
        lines += ["", style.bold("Work on first")]
        lines += [wrap(item, "     ", f"  {i}. ") for i, item in enumerate(debrief.focus, 1)]
    return "\n".join(lines)


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [fmt.format(*header), fmt.format(*("-" * w for w in widths))]
    out += [fmt.format(*row).rstrip() for row in rows]
    return "\n".join(out)


def error(message: str) -> None:
    print(f"onsite: error: {message}", file=sys.stderr)
