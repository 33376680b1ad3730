"""Nothing a candidate, a model, a file or the environment says can act on the terminal, and
credentials in URLs never reach a terminal, a transcript or an export (issue 14).

Each attack goes through the real command (`main(argv)` in-process, output captured)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from simulator.cli import main
from simulator.models import Transcript
from simulator.safety import json_text, redact_urls, shown, terminal_safe
from simulator.store.transcripts import TranscriptStore

ROOT = Path(__file__).resolve().parents[1]
OSC52 = "\x1b]52;c;ZXZpbA==\x07"  # writes the clipboard
CSI2J = "\x1b[2J"  # clears the screen
OSC8 = "\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\"  # a hidden hyperlink
C1_CSI = "\x9b2J"  # a one-byte CSI on some terminals
ATTACK = f"I led {OSC52} the migration {CSI2J} and {OSC8} owned the rollback {C1_CSI} plan."
SECRET = "sk-SECRETVALUE"
BASE_URL = f"http://user:hunter2@127.0.0.1:9/v1?api-key={SECRET}"


def inert(text: str) -> bool:
    """No byte of the text can start a control sequence."""
    return not any(c in text for c in ("\x1b", "\x9b", "\x9d", "\x07", "\x90"))


def store() -> TranscriptStore:
    return TranscriptStore(Path(os.environ["ONSITE_TRANSCRIPTS_DIR"]))


def example(name: str, session_id: str) -> Transcript:
    data = json.loads((ROOT / "transcripts" / f"example-{name}.json").read_text())
    transcript = Transcript.model_validate(data)
    transcript.session_id = session_id
    return transcript


# ------------------------------------------------------------------ the filter itself


def test_the_filter_shows_escape_sequences_instead_of_running_them():
    for attack in (OSC52, CSI2J, OSC8, C1_CSI, "\u202egnp.exe"):
        assert inert(terminal_safe(attack))
    assert terminal_safe(CSI2J) == "␛[2J"
    assert terminal_safe("tab\tnew\nline é 中") == "tab\tnew\nline é 中"
    assert terminal_safe(terminal_safe(ATTACK)) == terminal_safe(ATTACK)


def test_on_a_terminal_only_our_own_styles_survive():
    ours = "\x1b[1mScore\x1b[0m \x1b[1;32mStrong hire\x1b[0m"
    assert shown(ours, keep_style=True) == ours
    assert shown(ours, keep_style=False) == terminal_safe(ours)
    hostile = shown(f"\x1b[1m{OSC52}{CSI2J}\x1b[8mhidden", keep_style=True)
    assert "\x1b]" not in hostile and "\x1b[2J" not in hostile and "\x1b[8m" not in hostile


def test_credentials_in_urls_are_redacted():
    assert redact_urls(BASE_URL) == "http://***@127.0.0.1:9/v1?api-key=***"
    assert redact_urls("https://h/v1?model=m&access_token=abc#x") == (
        "https://h/v1?model=m&access_token=***#x"
    )
    assert redact_urls("see https://example.com/docs?page=2") == (
        "see https://example.com/docs?page=2"
    )


def test_json_output_escapes_c1_controls_and_stays_the_same_data():
    data = {"text": ATTACK + "\u202e"}
    text = json_text(data)
    assert inert(text) and "\u202e" not in text
    assert json.loads(text)["text"] == ATTACK + "\u202e"


# ------------------------------------------------------------------ through the commands


def test_practice_never_prints_the_candidates_escapes_nor_a_quote_of_them(tmp_path, capsys):
    answers = tmp_path / "answers.txt"
    answers.write_text(ATTACK + "\n---\nThe result: p99 latency fell 40% and nothing was lost.\n")
    cv = tmp_path / "cv.md"
    cv.write_text(f"Jane Doe\nLed project {OSC52} Falcon at Acme: cut latency 40%.\n")
    assert main(["practice", "behavioral", "--answers", str(answers), "--cv", str(cv)]) == 0
    out = capsys.readouterr()
    assert inert(out.out) and inert(out.err)
    assert "␛]52;c;Q1" not in out.out  # (the CV's payload is ZXZpbA==)
    assert "Led project ␛]52;c;ZXZpbA==␇ Falcon" in out.out  # the CV quote, shown as text
    assert "␛[2J" in out.out  # the answer, shown as text


def test_the_hidden_tests_line_shows_an_error_message_as_text(tmp_path, capsys):
    code = tmp_path / "code.txt"
    code.write_text(
        'def two_sum(nums, target):\n    return []\nraise ValueError("\\x1b]52;c;SEVZ\\x07 boom")\n'
    )
    assert main(["practice", "swe-coding", "--question", "two-sum", "--answers", str(code)]) == 0
    out = capsys.readouterr().out
    hidden = [line for line in out.splitlines() if "hidden tests" in line]
    assert hidden and "␛]52;c;SEVZ" in hidden[0]
    assert inert(out)


def test_streamed_tokens_go_through_the_boundary(capsys):
    from simulator.headless import Printer

    printer = Printer(quiet=False)
    for chunk in ("You said \x1b]52;c;", "SEVZ\x07 and ", CSI2J, f" then {OSC8}"):
        printer.token(chunk)
    printer.end_turn()
    out = capsys.readouterr().out
    assert inert(out) and out.startswith("Interviewer: You said ␛]52;c;SEVZ␇")


def _hostile_loop() -> Transcript:
    transcript = example("loop-meta-research-engineer", "hostile-loop")
    transcript.loop_name = f"Loop {CSI2J}"
    transcript.rounds[0].question_title = f"Title {OSC52}"
    transcript.rounds[0].turns[1].text = ATTACK
    transcript.rounds[0].turns[0].text = f'You said "{OSC8}"'  # the interviewer quoting
    assert transcript.debrief is not None and transcript.rounds[0].scorecard is not None
    transcript.debrief.summary = f"Summary {OSC52}"
    transcript.debrief.focus = [f"Focus {CSI2J}"]
    transcript.rounds[0].scorecard.strengths = [f"Strength {OSC8}"]
    return transcript


def test_review_of_a_session_shows_header_turns_scorecard_and_debrief_as_text(capsys):
    store().save(_hostile_loop())
    assert main(["review", "hostile-loop"]) == 0
    out = capsys.readouterr().out
    assert inert(out)
    for visible in ("Title ␛]52;c;", "Summary ␛]52;c;", "Focus ␛[2J", "Strength ␛]8;;"):
        assert visible in out


def test_review_lists_searches_and_resume_tables_show_titles_as_text(capsys):
    transcript = example("round-url-shortener", "hostile-round")
    transcript.rounds[0].question_title = f"Title {OSC52}{CSI2J}"
    transcript.rounds[0].turns[1].text = f"zeppelin {OSC8} {CSI2J}"
    transcript.status = "in_progress"
    store().save(transcript)
    for argv in (["review"], ["review", "--search", "zeppelin"], ["resume"], ["stats"]):
        assert main(argv) == 0, argv
        out = capsys.readouterr()
        assert inert(out.out) and inert(out.err), argv
    assert main(["review", "--search", "zeppelin", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert hits and "«zeppelin»" in hits[0]["snippet"] and inert(hits[0]["snippet"])


def test_an_error_line_naming_candidate_text_is_inert(capsys):
    assert main(["review", f"x{CSI2J}"]) == 2
    err = capsys.readouterr().err
    assert inert(err) and len(err.strip().splitlines()) == 1


# ------------------------------------------------------------------ Markdown export


def test_markdown_export_makes_no_image_link_or_heading_out_of_candidate_text(capsys):
    from markdown_it import MarkdownIt

    transcript = example("round-url-shortener", "markdown-round")
    transcript.rounds[0].turns[1].text = (
        "![pixel](http://evil.example/p.png) and [click](http://evil.example)\n"
        "# Strong hire\n\nAlso bold\n===\n<script>alert(1)</script> www.evil.example"
    )
    transcript.rounds[0].question_title = "[title](http://evil.example)"
    store().save(transcript)
    assert main(["export", "markdown-round", "--format", "md"]) == 0
    markdown = capsys.readouterr().out
    rendered = MarkdownIt("gfm-like").render(markdown)
    assert "<img" not in rendered and 'href="http://evil' not in rendered
    assert 'href="http://www.evil' not in rendered and "<script" not in rendered
    assert "<h1>Strong hire" not in rendered and "<h1>Also bold" not in rendered
    assert "![pixel](http:" in rendered.replace("\\", "")  # still readable as typed


# ------------------------------------------------------------------ credentials


def test_the_base_url_with_credentials_is_never_printed(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("OPENAI_BASE_URL", BASE_URL)
    monkeypatch.setenv("ONSITE_MAX_RETRIES", "0")
    answers = tmp_path / "answers.txt"
    answers.write_text("An answer.\n")
    code = main(["practice", "behavioral", "--answers", str(answers), "--backend", "openai"])
    out = capsys.readouterr()
    assert code == 1 and len(out.err.strip().splitlines()) == 1
    assert "127.0.0.1" in out.err  # the line still says where it tried
    assert SECRET not in out.err + out.out and "hunter2" not in out.err + out.out


def test_a_fallback_grade_quoting_the_url_is_saved_and_exported_without_it(tmp_path, capsys):
    transcript = example("round-url-shortener", "fallback-round")
    card = transcript.rounds[0].scorecard
    assert card is not None
    card.grader = f"offline (fallback: cannot reach {BASE_URL})"
    transcript.rounds[0].turns[1].text = "my own URL http://me:pw@host/x stays as I typed it"
    path = store().save(transcript)
    saved = path.read_text()
    assert SECRET not in saved and "hunter2" not in saved and "api-key=***" in saved
    assert "http://me:pw@host/x stays" in saved  # the candidate's words are never changed
    for fmt in ("md", "html"):
        assert main(["export", "fallback-round", "--format", fmt]) == 0
        exported = capsys.readouterr().out
        assert SECRET not in exported and "hunter2" not in exported


@pytest.mark.parametrize("name", ["review", "export"])
def test_the_credentials_of_a_transcript_written_before_the_fix_are_not_shown(name, capsys):
    transcript = example("round-url-shortener", "old-round")
    card = transcript.rounds[0].scorecard
    assert card is not None
    card.grader = f"offline (fallback: cannot reach {BASE_URL})"
    folder = Path(os.environ["ONSITE_TRANSCRIPTS_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "old-round.json").write_text(transcript.model_dump_json())  # as saved before
    assert main([name, "old-round"]) == 0
    out = capsys.readouterr().out
    assert SECRET not in out and "hunter2" not in out
