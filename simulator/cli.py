"""`onsite`: the TUI with no arguments, headless commands otherwise.

Imports are deferred to the command that needs them, so `onsite --help` and the headless
commands never load Textual or the OpenAI SDK.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from simulator.safety import json_text, write

if TYPE_CHECKING:  # the headless commands import the models when they run, not at start
    from simulator.models import RoundKind


class UsageError(Exception):
    """Bad input: one line on stderr, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not usage + message
        write(f"onsite: error: {message} (see 'onsite --help')", sys.stderr)
        raise SystemExit(2)


"""A real onsite has 4-8 rounds; the cap keeps a loop file from costing minutes per save."""

ROUND_HELP = (
    "swe-coding, everyday-programming, system-design, ml-system-design, ai-coding, "
    "research, research-presentation, behavioral"
)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="onsite",
        description="Mock interviews for research positions. With no command, opens the app.",
    )
    parser.add_argument("--version", action="version", version="onsite 0.1.0")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    def command(name: str, help_text: str, reports: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        if reports:
            p.add_argument("--json", action="store_true", help="print JSON instead of text")
        return p

    command("rounds", "round kinds with question counts")
    p = command("questions", "question ids and titles of one round kind")
    p.add_argument("round", metavar="ROUND", help=ROUND_HELP)
    command("loops", "loop presets")

    def backend_flags(p: argparse.ArgumentParser) -> None:
        p.add_argument("--backend", choices=["offline", "openai"], help="interviewer backend")
        p.add_argument("--model", help="model name for the openai backend")

    def profile_flags(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--cv",
            metavar="FILE",
            help="your CV (text or Markdown), for behavioral and research rounds",
        )
        p.add_argument(
            "--persona",
            metavar="SPEC",
            help='interviewer persona, e.g. "field=computer vision, seniority=staff, '
            'style=skeptical" (remembered)',
        )
        p.add_argument(
            "--specialization", help="your research area, e.g. 'computer vision' (remembered)"
        )
        p.add_argument(
            "--answers",
            metavar="FILE",
            help="run headless: blocks separated by a line '---' answer the interviewer's turns",
        )

    p = command("practice", "practise one round")
    p.add_argument("round", metavar="ROUND", help=ROUND_HELP)
    p.add_argument("--question", metavar="ID", help="question id (default: one you have not seen)")
    p.add_argument("--minutes", type=int, help="time budget in minutes")
    p.add_argument(
        "--talk", metavar="FILE", help="your talk (text/Markdown) for research-presentation"
    )
    profile_flags(p)
    backend_flags(p)

    p = command("loop", "run a mock onsite loop")
    p.add_argument(
        "preset", metavar="PRESET", help="a loop preset id (onsite loops) or a loop YAML file"
    )
    profile_flags(p)
    backend_flags(p)

    p = command("grade", "grade one answer")
    p.add_argument("--round", required=True, metavar="ROUND", help=ROUND_HELP)
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--question", metavar="ID")
    group.add_argument("--question-text", metavar="TEXT")
    p.add_argument("--answer", required=True, metavar="FILE", help="the answer ('-' for stdin)")
    backend_flags(p)

    p = command("review", "list sessions, or show one")
    p.add_argument("session", nargs="?", metavar="SESSION_ID")
    p.add_argument("--search", metavar="TEXT", help='words, "a phrase" or prefix* in the turns')
    p.add_argument("--round", metavar="ROUND", help=ROUND_HELP)
    p.add_argument("--since", metavar="DATE", help="e.g. 2026-11-01 or 7d")
    p.add_argument("--decision", metavar="D", help="strong-hire, lean-hire, hire, no-hire, ...")
    p.add_argument("--limit", type=int, default=50, metavar="N", help="newest N (default 50)")
    p.add_argument("--all", action="store_true", help="every session")
    p = command("stats", "progress per round kind and criterion over time")
    p.add_argument("--round", metavar="ROUND", help=ROUND_HELP)
    p.add_argument("--since", metavar="DATE", help="e.g. 2026-11-01 or 30d")
    command("reindex", "rebuild the session index from the transcript files")
    p = command("export", "export a session", reports=False)
    p.add_argument("session", metavar="SESSION_ID")
    p.add_argument("--format", choices=["md", "html"], default="md")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (never over a transcript)")
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    p = command("resume", "continue an interrupted session")
    p.add_argument("session", nargs="?", metavar="SESSION_ID")
    p.add_argument("--answers", metavar="FILE", help="answer the remaining turns headless")
    backend_flags(p)
    p = command("prep", "what to study for a round kind")
    p.add_argument("round", metavar="ROUND", help=ROUND_HELP)
    p = command("doctor", "check the openai endpoint and model: what works")
    backend_flags(p)
    p = command("check-problems", "verify every coding problem against its reference solution")
    p.add_argument(
        "round", nargs="?", metavar="ROUND", help="ai-coding or swe-coding (default both)"
    )
    return parser


# ------------------------------------------------------------------ helpers


def _emit(args: argparse.Namespace, data: Any, text: str) -> None:
    """Print a command's report (JSON with --json), through the one output boundary."""
    write(json_text(data) if getattr(args, "json", False) else text)


def _warn(problem: str) -> None:
    write(f"onsite: warning: {problem}", sys.stderr)


def _catalog():
    from simulator.catalog import default_catalog

    return default_catalog()


def _round_kind(value: str) -> RoundKind:
    from simulator.models import is_round_kind

    if not is_round_kind(value):
        raise UsageError(f"unknown round kind {value!r}; choose one of: {ROUND_HELP}")
    return value


def _read_text(path: str, what: str) -> str:
    if path == "-":
        return sys.stdin.read()
    file = Path(path)
    if not file.is_file():
        raise UsageError(f"{what} file not found: {path}")
    try:
        return file.read_bytes().decode("utf-8", errors="replace")
    except OSError as err:
        raise UsageError(f"cannot read {what} file {path}: {err.strerror}") from None


def _settings(args: argparse.Namespace):
    from simulator.config import ConfigError, load_settings

    overrides = {k: getattr(args, k) for k in ("backend", "model") if getattr(args, k, None)}
    try:
        return load_settings(**overrides)
    except ConfigError as err:
        raise UsageError(str(err)) from None


def _parse_persona(spec: str):
    from simulator.models import Persona

    values: dict[str, str] = {}
    for part in spec.split(","):
        if "=" in part:
            key, value = (x.strip() for x in part.split("=", 1))
            if key not in ("field", "seniority", "style"):
                raise UsageError(f"persona keys are field, seniority and style, not {key!r}")
            values[key] = value
        elif part.strip():
            values["field"] = part.strip()
    return Persona(**values)


def _profile_and_persona(args: argparse.Namespace, settings):
    """The candidate profile and persona from flags and config; new flags are remembered."""
    from simulator.config import remember
    from simulator.models import CandidateProfile

    remembered: dict[str, Any] = {}
    persona = settings.persona
    if getattr(args, "persona", None):
        persona = _parse_persona(args.persona)
        remembered["persona"] = persona.model_dump()
    profile_cfg = settings.profile
    specialization = getattr(args, "specialization", None) or profile_cfg.specialization
    cv_file = getattr(args, "cv", None) or profile_cfg.cv_file
    if getattr(args, "specialization", None) or getattr(args, "cv", None):
        remembered["profile"] = {
            "specialization": specialization,
            "cv_file": str(Path(cv_file).resolve()) if cv_file else None,
        }
    if cv_file and not getattr(args, "cv", None) and not Path(cv_file).is_file():
        # Remembered from an earlier run and since moved or deleted: go on without it.
        _warn(f"the remembered CV {cv_file} is gone; going on without a CV (give --cv FILE)")
        cv_file = None
    cv_text = _read_text(cv_file, "CV") if cv_file else ""
    talk = _read_text(args.talk, "talk") if getattr(args, "talk", None) else ""
    if remembered:
        with contextlib.suppress(OSError):  # remembering is a convenience, never a failure
            remember(remembered)
    profile = CandidateProfile(
        name=profile_cfg.name,
        target_role=profile_cfg.target_role,
        specialization=specialization,
        cv_text=cv_text,
        talk_text=talk,
    )
    return profile, persona


def _interviewer(settings):
    from simulator.backends import make_interviewer

    return make_interviewer(settings)


def _store(settings):
    from simulator.store.transcripts import TranscriptStore

    return TranscriptStore(settings.transcripts_dir)


# ------------------------------------------------------------------ commands


def cmd_rounds(args: argparse.Namespace) -> int:
    from simulator.models import ROUND_KINDS

    catalog = _catalog()
    rows: list[dict[str, str | int]] = []  # the JSON form
    cells: list[list[str]] = []  # the table form
    for kind in ROUND_KINDS:
        rubric = catalog.rubrics.get(kind)
        name = rubric.name if rubric else kind
        questions = len(catalog.questions_for(kind))
        rows.append({"round": kind, "name": name, "questions": questions})
        cells.append([kind, str(questions), name])
    from simulator.render import table

    _emit(args, rows, table(cells, ["ROUND", "QUESTIONS", "NAME"]))
    return 0


def cmd_questions(args: argparse.Namespace) -> int:
    kind = _round_kind(args.round)
    questions = _catalog().questions_for(kind)
    rows = [
        {
            "id": q.id,
            "title": q.title,
            "difficulty": q.difficulty,
            "area": q.area,
            "tags": q.tags,
            "minutes": q.minutes,
        }
        for q in questions
    ]
    from simulator.render import table

    _emit(
        args,
        rows,
        table([[q.id, q.difficulty, q.title] for q in questions], ["ID", "LEVEL", "TITLE"]),
    )
    return 0


def cmd_loops(args: argparse.Namespace) -> int:
    catalog = _catalog()
    rows = [
        {
            "id": loop.id,
            "name": loop.name,
            "description": loop.description,
            "rounds": [{"round": r.round, "stage": r.stage, "area": r.area} for r in loop.rounds],
        }
        for loop in catalog.loops.values()
    ]
    lines = []
    for loop in catalog.loops.values():
        lines.append(f"{loop.id}\n  {loop.name}: {loop.description}")
        for r in loop.rounds:
            lines.append(f"    {r.stage:<10} {r.round}" + (f" ({r.area})" if r.area else ""))
    _emit(args, rows, "\n".join(lines))
    return 0


def _blocks(text: str) -> list[str]:
    blocks: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        if line.strip() == "---" and line.rstrip() == "---":
            blocks.append("\n".join(current).strip("\n"))
            current = []
        else:
            current.append(line)
    blocks.append("\n".join(current).strip("\n"))
    return [b for b in blocks if b.strip()]


def parse_answers(text: str, loop: bool = False) -> list[list[str]]:
    """An answers file: per round (a loop's rounds separated by a line '==='), its blocks."""
    sections = [text]
    if loop:
        sections = []
        current: list[str] = []
        for line in text.splitlines():
            if line.rstrip() == "===":
                sections.append("\n".join(current))
                current = []
            else:
                current.append(line)
        sections.append("\n".join(current))
    return [_blocks(s) for s in sections]


def _load_answers(path: str | None, loop: bool = False) -> list[list[str]] | None:
    if path is None:
        return None
    parsed = parse_answers(_read_text(path, "answers"), loop)
    if not any(parsed):
        raise UsageError(f"answers file {path} has no answers")
    return parsed


def one_line_of(err: Exception) -> str:
    return str(err).splitlines()[0] if str(err) else type(err).__name__


def _play(session, answers: list[list[str]] | None, args: argparse.Namespace) -> int:
    from simulator.headless import play

    if answers is None and not sys.stdin.isatty():
        raise UsageError("no terminal to run the app in: give --answers FILE to run headless")
    if answers is None:
        return _open_app(args, session=session)
    from simulator.backends.base import BackendError

    try:
        transcript = asyncio.run(play(session, answers, quiet=args.json))
    except BackendError as err:  # the answers so far are saved: say how to go on
        raise BackendError(
            f"{one_line_of(err)}; your answers are saved: onsite resume "
            f"{session.transcript.session_id}"
        ) from None
    if args.json:
        payload: dict[str, Any] = {
            "session_id": transcript.session_id,
            "transcript": str(session.store.path_for(transcript.session_id)),
        }
        if transcript.kind == "loop":
            payload["rounds"] = [
                r.scorecard.model_dump() if r.scorecard else None for r in transcript.rounds
            ]
            payload["debrief"] = transcript.debrief.model_dump() if transcript.debrief else None
        else:
            card = transcript.rounds[0].scorecard
            payload["scorecard"] = card.model_dump() if card else None
        write(json_text(payload))
    return 0


def cmd_practice(args: argparse.Namespace) -> int:
    from simulator.engine import launch

    kind = _round_kind(args.round)
    if args.talk and kind != "research-presentation":
        raise UsageError("--talk is for the research-presentation round")
    settings = _settings(args)
    catalog = _catalog()
    launch.check_question(catalog, kind, args.question)
    launch.check_minutes(args.minutes)
    answers = _load_answers(args.answers)
    profile, persona = _profile_and_persona(args, settings)
    session = launch.start_practice(
        catalog,
        _interviewer(settings),
        _store(settings),
        kind,
        question_id=args.question,
        minutes=args.minutes,
        profile=profile,
        persona=persona,
        max_answers=settings.max_answers,
    )
    return _play(session, answers, args)


def cmd_loop(args: argparse.Namespace) -> int:
    from simulator.engine import launch

    catalog = _catalog()
    loop = launch.load_loop(catalog, args.preset)
    settings = _settings(args)
    answers = _load_answers(args.answers, loop=True)
    profile, persona = _profile_and_persona(args, settings)
    session = launch.start_loop(
        catalog,
        _interviewer(settings),
        _store(settings),
        loop,
        profile=profile,
        persona=persona,
        max_answers=settings.max_answers,
    )
    return _play(session, answers, args)


def cmd_grade(args: argparse.Namespace) -> int:
    from simulator.analysis.similarity import most_similar
    from simulator.headless import grade_one
    from simulator.render import Style, scorecard_text

    kind = _round_kind(args.round)
    catalog = _catalog()
    answer = _read_text(args.answer, "answer")
    if args.question:
        full = args.question if "/" in args.question else f"{kind}/{args.question}"
        question = catalog.questions.get(full)
        if question is None or question.round != kind:
            raise UsageError(f"unknown question {args.question!r} for {kind}")
        question_text = f"{question.title}. {question.prompt}"
    else:
        question_text = args.question_text.strip()
        if not question_text:
            raise UsageError("--question-text is empty")
        question, _ = most_similar(question_text, catalog.questions_for(kind))
    settings = _settings(args)
    card = asyncio.run(
        grade_one(catalog, _interviewer(settings), kind, question, question_text, answer)
    )
    title = question.title if question and args.question else question_text
    _emit(args, card.model_dump(), scorecard_text(card, Style(sys.stdout), title))
    return 0


def _filters(args: argparse.Namespace) -> dict[str, Any]:
    from simulator.store.index import parse_decision, parse_since

    try:
        filters: dict[str, Any] = {}
        if getattr(args, "round", None):
            filters["round"] = _round_kind(args.round)
        if getattr(args, "since", None):
            filters["since"] = parse_since(args.since)
        if getattr(args, "decision", None):
            filters["decision"] = parse_decision(args.decision)
    except ValueError as err:
        raise UsageError(str(err)) from None
    return filters


def _report_problems(store) -> None:
    for problem in getattr(store, "problems", []):
        _warn(problem)


def cmd_review(args: argparse.Namespace) -> int:
    from simulator.render import Style, debrief_text, scorecard_text, table, wrap
    from simulator.safety import terminal_safe as safe_terminal_text

    store = _store(_settings(args))
    if args.session is None and args.search:
        hits = store.search(args.search, limit=args.limit, **_filters(args))
        _report_problems(store)
        rows = [dataclasses.asdict(hit) for hit in hits]
        text = (
            table(
                [
                    [
                        h.session_id,
                        h.created_at.strftime("%Y-%m-%d"),
                        h.round,
                        "you" if h.role == "candidate" else "interviewer",
                        h.snippet[:70],
                    ]
                    for h in hits
                ],
                ["SESSION", "DATE", "ROUND", "WHO", "MATCH"],
            )
            if hits
            else f"Nothing matches {args.search!r}."
        )
        _emit(args, rows, text)
        return 0
    if args.session is None:
        filters = _filters(args)
        summaries = store.summaries(limit=None if args.all else args.limit, **filters)
        _report_problems(store)
        rows = [
            {
                "session_id": s.session_id,
                "created_at": s.created_at.isoformat(),
                "kind": s.kind,
                "title": s.title,
                "rounds": s.rounds,
                "status": s.status,
                "overall": s.overall,
                "decision": s.decision,
            }
            for s in summaries
        ]
        if not summaries:
            text = (
                f"No sessions in {store.root} yet. Try: onsite practice system-design"
                if not filters
                else "No sessions match."
            )
        else:
            text = table(
                [
                    [
                        s.session_id,
                        s.created_at.strftime("%Y-%m-%d %H:%M"),
                        safe_terminal_text(s.title[:40]),
                        f"{s.overall:.2f}" if s.overall is not None else "–",
                        (s.decision or s.status).replace("_", " "),
                    ]
                    for s in summaries
                ],
                ["SESSION", "DATE", "TITLE", "SCORE", "DECISION"],
            )
            total = store.count(**filters) if not args.all else len(summaries)
            if total > len(summaries):
                text += f"\n… {total - len(summaries)} more (--all, or --limit N)"
        _emit(args, rows, text)
        return 0
    result = store.read(args.session)
    if result.problem:
        _warn(result.problem)
    transcript = result.transcript
    style = Style(sys.stdout)
    lines = [
        style.bold(f"Session {transcript.session_id}")
        + f" ({transcript.kind}, {transcript.status})"
    ]
    for record in transcript.rounds:
        lines += ["", style.bold(f"{record.round}: {record.question_title}")]
        for turn in record.turns:
            who = "Interviewer" if turn.role == "interviewer" else "You"
            lines.append(wrap(safe_terminal_text(turn.text), indent="    ", first=f"  {who}: "))
        if record.scorecard:
            lines.append(scorecard_text(record.scorecard, style, record.question_title))
    if transcript.debrief:
        lines.append(debrief_text(transcript.debrief, style))
    _emit(args, transcript.model_dump(mode="json"), "\n".join(lines))
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    store = _store(_settings(args))
    filters = _filters(args)
    filters.pop("decision", None)
    progress = store.stats(**filters)
    _report_problems(store)
    _emit(args, progress.rows(), progress.text())
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    report = _store(_settings(args)).reindex()
    data = {
        "sessions": report.sessions,
        "unreadable": report.unreadable,
        "seconds": round(report.seconds, 3),
        "problems": report.problems,
    }
    text = f"Indexed {report.sessions} sessions in {report.seconds:.2f} s" + (
        f"; {report.unreadable} unreadable" if report.unreadable else ""
    )
    for problem in report.problems:
        _warn(problem)
    _emit(args, data, text)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from simulator.store.export import to_markdown

    store = _store(_settings(args))
    transcript = store.load(args.session)
    if args.format == "html":
        from simulator.store.html import to_html

        text = to_html(transcript)
    else:
        text = to_markdown(transcript)
    if args.output:
        from simulator.store.export import write_export

        write_export(Path(args.output), text, store, force=args.force)
        write(f"Wrote {args.output}")
    else:
        write(text, end="")
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    settings = _settings(args)
    store = _store(settings)
    if args.session is None:
        pending = store.interrupted()
        if not pending:
            _emit(args, [], "No interrupted sessions.")
            return 0
        from simulator.render import table

        _emit(
            args,
            [{"session_id": s.session_id, "title": s.title} for s in pending],
            table([[s.session_id, s.title] for s in pending], ["SESSION", "TITLE"])
            + "\n\nContinue one with: onsite resume SESSION_ID --answers FILE",
        )
        return 0
    from simulator.engine import launch

    result = store.read(args.session)
    transcript = result.transcript
    if result.path.name.split(".")[0] != transcript.session_id:
        # Saving goes to the id's own files: never let one file overwrite another session.
        raise UsageError(
            f"{result.path.name} holds session {transcript.session_id}; rename it to "
            f"{transcript.session_id}.json to continue it"
        )
    session = launch.resume(
        _catalog(), _interviewer(settings), store, transcript, max_answers=settings.max_answers
    )
    answers = _load_answers(args.answers, loop=transcript.kind == "loop")
    return _play(session, answers, args)


def cmd_prep(args: argparse.Namespace) -> int:
    from simulator.render import Style, wrap

    kind = _round_kind(args.round)
    guide = _catalog().guides.get(kind)
    if guide is None:
        raise UsageError(f"no study guide for {kind} yet")
    style = Style(sys.stdout)
    lines = [style.bold(f"Study guide — {kind}"), wrap(guide.summary), ""]
    for item in guide.items:
        lines.append(style.bold(f"• {item.topic}") + style.dim(f"  [{', '.join(item.criteria)}]"))
        lines.append(wrap(item.why, indent="    "))
        lines += [wrap(r, indent="      ", first="    → ") for r in item.resources]
        lines.append("")
    _emit(args, guide.model_dump(), "\n".join(lines).rstrip())
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from simulator.backends.doctor import doctor, format_checks

    checks = asyncio.run(doctor(_settings(args)))
    _emit(args, [c.as_dict() for c in checks], format_checks(checks))
    return 1 if any(c.status == "fail" for c in checks) else 0


def cmd_check_problems(args: argparse.Namespace) -> int:
    import time

    from simulator.coding.checks import check_all, summary
    from simulator.models import CODING_ROUNDS

    if args.round and args.round not in CODING_ROUNDS:
        raise UsageError(
            f"check-problems takes a coding round ({', '.join(sorted(CODING_ROUNDS))})"
        )
    began = time.monotonic()
    echo = None if args.json else write
    results = check_all(_catalog(), args.round, echo=echo)
    if args.json:
        write(json_text({r.question_id: r.problems for r in results}))
    else:
        write(summary(results, time.monotonic() - began))
    return 1 if any(r.problems for r in results) else 0


def _open_app(args: argparse.Namespace, session=None) -> int:
    try:
        from simulator.tui.app import run_app
    except ImportError:
        raise UsageError(
            "the app is not available in this build; use the headless commands (onsite --help)"
        ) from None
    return run_app(_settings(args), session=session)


COMMANDS = {
    "rounds": cmd_rounds,
    "questions": cmd_questions,
    "loops": cmd_loops,
    "practice": cmd_practice,
    "loop": cmd_loop,
    "grade": cmd_grade,
    "review": cmd_review,
    "export": cmd_export,
    "resume": cmd_resume,
    "prep": cmd_prep,
    "stats": cmd_stats,
    "reindex": cmd_reindex,
    "check-problems": cmd_check_problems,
    "doctor": cmd_doctor,
}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from simulator.errors import known_errors, one_line

    try:
        if args.command is None:
            return _open_app(args)
        return COMMANDS[args.command](args)
    except UsageError as err:
        write(f"onsite: error: {err}", sys.stderr)
        return 2
    except known_errors() as err:
        write(f"onsite: error: {one_line(err)}", sys.stderr)
        return 1 if type(err).__name__ == "BackendError" else 2
    except BrokenPipeError:  # `onsite ... | head`: the reader left; not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        write("\nonsite: interrupted; the transcript so far is saved (onsite resume)", sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
