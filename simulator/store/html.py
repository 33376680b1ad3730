"""A self-contained HTML report of a session or a loop: the conversation and the scorecards.

One file, no external assets, no script: the styles are inline and a Content-Security-Policy
forbids loading or running anything. Every piece of text is escaped (and its control
characters made visible), so an answer holding `<script>` or terminal escape sequences reads
as those characters.
"""

from __future__ import annotations

import html

from simulator.models import DECISION_LABELS, Debrief, RoundRecord, Scorecard, Transcript
from simulator.safety import redact_urls, terminal_safe

CSS = """
:root { --ink: #1d2430; --muted: #5b6472; --line: #d9dee6; --soft: #f4f6f9; --accent: #2f5fb3; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.55 system-ui, -apple-system, "Segoe UI", sans-serif;
       color: var(--ink); background: #fff; }
main { max-width: 860px; margin: 0 auto; padding: 28px 20px 60px; }
h1 { font-size: 1.6em; margin: 0 0 4px; }
h2 { font-size: 1.25em; margin: 36px 0 6px; padding-top: 12px; border-top: 2px solid var(--line); }
h3 { font-size: 1.05em; margin: 22px 0 8px; }
.meta { color: var(--muted); margin: 0 0 10px; }
.turn { margin: 10px 0; padding: 10px 14px; border-radius: 8px; }
.turn .who { font-size: .82em; color: var(--muted); margin-bottom: 3px; }
.interviewer { background: var(--soft); }
.candidate { border: 1px solid var(--line); margin-left: 36px; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; }
pre { margin: 0; padding: 10px; background: #0f1722; color: #e6edf3; border-radius: 6px;
      overflow-x: auto; font: 13px/1.45 ui-monospace, "SF Mono", Menlo, Consolas, monospace; }
.tests { font-size: .85em; color: var(--muted); margin-top: 6px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px;
         border-bottom: 1px solid var(--line); }
th { font-size: .85em; color: var(--muted); font-weight: 600; }
td.num { white-space: nowrap; font-variant-numeric: tabular-nums; }
.bar { display: inline-block; width: 64px; height: 8px; background: var(--soft);
       border-radius: 4px; margin-left: 6px; vertical-align: middle; }
.bar span { display: block; height: 100%; border-radius: 4px; background: var(--accent); }
.decision { display: inline-block; padding: 2px 10px; border-radius: 12px; font-weight: 600;
            font-size: .9em; }
.strong_hire { background: #d6f5df; color: #11632b; }
.lean_hire { background: #dff1f7; color: #0e5770; }
.lean_no_hire { background: #fcefd4; color: #7a4b00; }
.strong_no_hire { background: #fbdcdc; color: #8a1c1c; }
.ungraded { background: var(--soft); color: var(--muted); }
blockquote { margin: 4px 0 4px 0; padding: 2px 10px; border-left: 3px solid var(--line);
             color: var(--muted); }
.flags { color: #7a4b00; }
nav ol { padding-left: 20px; }
@media print { .turn { break-inside: avoid; } }
"""

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'"


def text(value: object) -> str:
    """Any text as HTML: credentials in URLs redacted, control characters made visible, then
    `<>&"'` escaped."""
    return html.escape(terminal_safe(redact_urls(str(value))), quote=True)


def _decision(decision: str | None) -> str:
    if decision not in DECISION_LABELS:
        return '<span class="decision ungraded">ungraded</span>'
    return f'<span class="decision {decision}">{text(DECISION_LABELS[decision])}</span>'


def _bar(score: float) -> str:
    width = max(0.0, min(100.0, (score - 1) / 3 * 100))
    return f'<span class="bar"><span style="width:{width:.0f}%"></span></span>'


def _list(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{text(i)}</li>" for i in items) + "</ul>"


def scorecard_html(card: Scorecard) -> list[str]:
    out = [
        f"<p>{_decision(card.decision)} overall <strong>{card.overall:.2f}</strong> / 4 "
        f'<span class="meta">graded by {text(card.grader)}</span></p>'
    ]
    if card.flags:
        out.append(f'<p class="flags">Flags: {text(", ".join(card.flags))}</p>')
    out.append("<table><tr><th>Criterion</th><th>Score</th><th>Feedback and evidence</th></tr>")
    for score in card.criteria:
        evidence = "".join(f"<blockquote>“{text(q)}”</blockquote>" for q in score.evidence)
        out.append(
            f"<tr><td>{text(score.name)}</td><td class='num'>{score.score} {_bar(score.score)}"
            f"</td><td>{text(score.feedback)}{evidence}</td></tr>"
        )
    out.append("</table>")
    if card.strengths:
        out += ["<h4>Strengths</h4>", _list(card.strengths)]
    if card.improvements:
        out += ["<h4>Work on</h4>", _list(card.improvements)]
    return out


def debrief_html(debrief: Debrief) -> list[str]:
    out = [
        '<section id="debrief"><h2>Debrief</h2>',
        f"<p>{_decision(debrief.decision)} loop score <strong>{debrief.overall:.2f}</strong>"
        " / 4</p>",
        f'<p class="text">{text(debrief.summary)}</p>',
        "<table><tr><th>Stage</th><th>Round</th><th>Score</th><th>Decision</th></tr>",
    ]
    for signal in debrief.rounds:
        score = (
            f"{signal.overall:.2f} {_bar(signal.overall)}" if signal.overall is not None else "–"
        )
        out.append(
            f"<tr><td>{text(signal.stage)}</td><td>{text(signal.round)}</td>"
            f"<td class='num'>{score}</td><td>{_decision(signal.decision)}</td></tr>"
        )
    out.append("</table>")
    if debrief.focus:
        out.append(
            "<h3>Work on first</h3><ol>"
            + "".join(f"<li>{text(f)}</li>" for f in debrief.focus)
            + "</ol>"
        )
    out.append("</section>")
    return out


def round_html(index: int, record: RoundRecord, many: bool) -> list[str]:
    title = text(record.question_title)
    heading = f"Round {index}: {text(record.round)} — {title}" if many else title
    ended = f", ended by {text(record.ended_by)}" if record.ended_by else ""
    out = [
        f'<section id="round-{index}"><h2>{heading}</h2>',
        f'<p class="meta">{text(record.stage)}, {record.minutes} minutes{ended}</p>',
    ]
    for turn in record.turns:
        stamp = f"{int(turn.elapsed // 60):02d}:{int(turn.elapsed % 60):02d}"
        if turn.role == "interviewer":
            out.append(
                f'<div class="turn interviewer"><div class="who">Interviewer · {stamp}</div>'
                f'<div class="text">{text(turn.text.strip())}</div></div>'
            )
        elif turn.kind == "code":
            tests = (
                f'<div class="tests">Tests: {text(turn.test_summary)}</div>'
                if turn.test_summary
                else ""
            )
            out.append(
                f'<div class="turn candidate"><div class="who">Candidate — code · {stamp}</div>'
                f"<pre><code>{text(turn.text.rstrip())}</code></pre>{tests}</div>"
            )
        else:
            out.append(
                f'<div class="turn candidate"><div class="who">Candidate · {stamp}</div>'
                f'<div class="text">{text(turn.text.strip())}</div></div>'
            )
    if record.scorecard:
        out += ["<h3>Scorecard</h3>", *scorecard_html(record.scorecard)]
    out.append("</section>")
    return out


def to_html(transcript: Transcript) -> str:
    """The whole session (a practice round, or a loop with its debrief) as one HTML page."""
    if transcript.kind == "loop":
        title = transcript.loop_name or transcript.loop_id or "Loop"
    else:
        title = "Practice round"
    model = f" ({transcript.model})" if transcript.model else ""
    meta = (
        f"Session {transcript.session_id} · {transcript.created_at:%Y-%m-%d %H:%M} UTC · "
        f"backend {transcript.backend}{model} · {transcript.status.replace('_', ' ')}"
    )
    many = len(transcript.rounds) > 1
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>onsite — {text(title)}</title>",
        f"<style>{CSS}</style></head><body><main>",
        f"<header><h1>onsite — {text(title)}</h1><p class='meta'>{text(meta)}</p></header>",
    ]
    if many:
        out.append(
            "<nav><ol>"
            + "".join(
                f'<li><a href="#round-{i}">{text(r.round)} — {text(r.question_title)}</a> '
                f"{_decision(r.scorecard.decision if r.scorecard else None)}</li>"
                for i, r in enumerate(transcript.rounds, 1)
            )
            + "</ol></nav>"
        )
    if transcript.debrief:
        out += debrief_html(transcript.debrief)
    for index, record in enumerate(transcript.rounds, 1):
        out += round_html(index, record, many)
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"
