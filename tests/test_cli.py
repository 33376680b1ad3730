"""The command line as a user runs it: a subprocess, real files, exit codes."""

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli

ROUNDS = [
    "swe-coding",
    "everyday-programming",
    "system-design",
    "ml-system-design",
    "ai-coding",
    "research",
    "research-presentation",
    "behavioral",
]


def test_rounds_and_questions_and_loops_list_as_json():
    rounds = json.loads(run_cli("rounds", "--json").stdout)
    assert [r["round"] for r in rounds] == ROUNDS
    assert all(r["questions"] >= 2 for r in rounds)
    questions = json.loads(run_cli("questions", "system-design", "--json").stdout)
    assert "system-design/url-shortener" in [q["id"] for q in questions]
    loops = json.loads(run_cli("loops", "--json").stdout)
    assert {"meta-research-engineer", "meta-ml-engineer", "msr-research-software-engineer"} <= {
        loop["id"] for loop in loops
    }


@pytest.mark.parametrize("round_kind", ROUNDS)
def test_headless_practice_of_every_round_kind(round_kind, tmp_path):
    answers = tmp_path / "answers.txt"
    answers.write_text(
        "I'd start by clarifying what we need and the constraints, then walk through my approach "
        "step by step, with the trade-offs of each choice.\n---\n"
        "The main risk is scale, so I'd measure first and then optimise the slowest part.\n"
    )
    result = run_cli("practice", round_kind, "--answers", str(answers), "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    card = payload["scorecard"]
    assert card["round"] == round_kind and 1 <= card["overall"] <= 4
    assert card["decision"] in ("strong_no_hire", "lean_no_hire", "lean_hire", "strong_hire")
    transcript = json.loads(Path(payload["transcript"]).read_text())
    candidate = [t["text"] for t in transcript["rounds"][0]["turns"] if t["role"] == "candidate"]
    assert candidate[0].startswith("I'd start by clarifying")
    assert transcript["status"] == "complete"


def test_practice_prints_the_conversation_and_scorecard(tmp_path):
    answers = tmp_path / "a.txt"
    answers.write_text(
        "I'd use a counter with base62 encoding so keys never collide.\n---\n"
        "Cache hot links in Redis.\n"
    )
    result = run_cli(
        "practice", "system-design", "--question", "url-shortener", "--answers", str(answers)
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Interviewer:" in out and "I'd use a counter with base62" in out
    assert "Scorecard" in out and "overall" in out and "Saved " in out


@pytest.mark.parametrize(
    "preset", ["meta-research-engineer", "meta-ml-engineer", "msr-research-software-engineer"]
)
def test_every_loop_preset_runs_headless(preset, tmp_path):
    answers = tmp_path / "loop.txt"
    answers.write_text(
        "\n===\n".join(
            f"Answer for round {i}: I'd clarify the goal, then explain my approach and its trade-offs."
            for i in range(8)
        )
    )
    result = run_cli("loop", preset, "--answers", str(answers), "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert len(payload["rounds"]) >= 6 and all(payload["rounds"])
    debrief = payload["debrief"]
    assert debrief["decision"] and len(debrief["rounds"]) == len(payload["rounds"])
    assert 1 <= len(debrief["focus"]) <= 3


def test_grade_with_question_text_and_review_and_export(tmp_path):
    answer = tmp_path / "answer.md"
    answer.write_text(
        "Dropout zeroes each unit with probability p during training and scales the "
        "survivors by 1/(1-p), so nothing changes at test time."
    )
    result = run_cli(
        "grade",
        "--round",
        "research",
        "--question-text",
        "What does dropout do and why does it reduce overfitting?",
        "--answer",
        str(answer),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    card = json.loads(result.stdout)
    assert card["round"] == "research" and card["question_id"] == "research/dropout"
    for criterion in card["criteria"]:
        for quote in criterion["evidence"]:
            assert quote in answer.read_text()

    answers = tmp_path / "a.txt"
    answers.write_text("I'd shard by key.\n")
    session = json.loads(
        run_cli(
            "practice",
            "system-design",
            "--question",
            "url-shortener",
            "--answers",
            str(answers),
            "--json",
        ).stdout
    )["session_id"]
    listing = json.loads(run_cli("review", "--json").stdout)
    assert session in [row["session_id"] for row in listing]
    shown = run_cli("review", session[:20])
    assert shown.returncode == 0 and "Scorecard" in shown.stdout
    out = tmp_path / "s.md"
    assert run_cli("export", session, "--format", "md", "-o", str(out)).returncode == 0
    text = out.read_text()
    assert text.startswith("# onsite") and "I'd shard by key." in text and "| Criterion |" in text


@pytest.mark.parametrize(
    "args",
    [
        ["practice", "cooking"],
        ["practice", "system-design", "--question", "no-such-question", "--answers", "README.md"],
        ["practice", "system-design", "--answers", "/no/such/file"],
        ["questions", "nope"],
        ["loop", "google-l9"],
        ["grade", "--round", "research", "--question", "dropout", "--answer", "/missing.md"],
        ["review", "no-such-session"],
        ["export", "no-such-session"],
        ["practice"],
        ["frobnicate"],
    ],
)
def test_bad_input_is_one_line_and_exit_2(args):
    result = run_cli(*args)
    assert result.returncode == 2, (args, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("onsite: error:"), result.stderr
    assert "Traceback" not in result.stderr


def test_an_empty_answers_file_is_bad_input(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n---\n\n")
    result = run_cli("practice", "system-design", "--answers", str(empty))
    assert result.returncode == 2 and "has no answers" in result.stderr


def test_persona_and_specialization_are_remembered(tmp_path):
    answers = tmp_path / "a.txt"
    answers.write_text("Attention costs O(n^2 d) in sequence length.\n")
    result = run_cli(
        "practice",
        "research",
        "--answers",
        str(answers),
        "--json",
        "--persona",
        "field=computer vision, seniority=staff, style=skeptical",
        "--specialization",
        "computer vision",
    )
    assert result.returncode == 0, result.stderr
    config = (tmp_path / "config.toml").read_text()
    assert "computer vision" in config and "skeptical" in config
    transcript = json.loads(Path(json.loads(result.stdout)["transcript"]).read_text())
    assert transcript["rounds"][0]["persona"]["style"] == "skeptical"


def test_cv_reaches_the_behavioral_interviewer(tmp_path):
    cv = tmp_path / "cv.md"
    cv.write_text(
        "# Jane\n- Led the migration of our training pipeline to PyTorch, 30% faster steps\n"
    )
    answers = tmp_path / "a.txt"
    answers.write_text("Last year I disagreed with my manager about a launch date.\n")
    result = run_cli(
        "practice",
        "behavioral",
        "--question",
        "disagree-with-manager",
        "--cv",
        str(cv),
        "--answers",
        str(answers),
    )
    assert result.returncode == 0, result.stderr
    assert "Led the migration of our training pipeline" in result.stdout


def test_talk_is_the_first_answer_of_a_presentation_round(tmp_path):
    talk = tmp_path / "talk.md"
    talk.write_text(
        "# Sparse attention for long documents\nWe propose a block-sparse attention "
        "that cuts memory from quadratic to linear in sequence length.\n"
    )
    answers = tmp_path / "a.txt"
    answers.write_text("We compare against Longformer and BigBird with three seeds each.\n")
    result = run_cli(
        "practice",
        "research-presentation",
        "--talk",
        str(talk),
        "--answers",
        str(answers),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    transcript = json.loads(Path(json.loads(result.stdout)["transcript"]).read_text())
    said = [t["text"] for t in transcript["rounds"][0]["turns"] if t["role"] == "candidate"]
    assert said[0].startswith("# Sparse attention") and said[1].startswith("We compare")


def test_an_interrupted_session_is_listed_and_resumed(tmp_path):
    import asyncio

    from simulator.backends.offline.interviewer import OfflineInterviewer
    from simulator.catalog import load_catalog
    from simulator.engine.session import Session
    from simulator.store.transcripts import TranscriptStore

    store = TranscriptStore(tmp_path / "transcripts")
    session = Session.practice(
        load_catalog(), OfflineInterviewer(), store, "system-design", question_id="url-shortener"
    )
    runner = session.runner(0)
    asyncio.run(runner.open())
    asyncio.run(runner.answer("We need shortening, redirects and custom aliases."))
    session_id = session.transcript.session_id  # the process "dies" here

    listing = json.loads(run_cli("resume", "--json").stdout)
    assert [row["session_id"] for row in listing] == [session_id]
    answers = tmp_path / "rest.txt"
    answers.write_text("A counter with base62 encoding, ranges from a ticket server.\n")
    result = run_cli("resume", session_id, "--answers", str(answers), "--json")
    assert result.returncode == 0, result.stderr
    saved = json.loads((tmp_path / "transcripts" / f"{session_id}.json").read_text())
    said = [t["text"] for t in saved["rounds"][0]["turns"] if t["role"] == "candidate"]
    assert said == [
        "We need shortening, redirects and custom aliases.",
        "A counter with base62 encoding, ranges from a ticket server.",
    ]
    assert saved["status"] == "complete" and saved["rounds"][0]["scorecard"]
    assert run_cli("resume", session_id).returncode == 2  # already complete


def test_a_coding_round_runs_the_submitted_code(tmp_path):
    answers = tmp_path / "code.txt"
    answers.write_text(
        "def two_sum(nums, target):\n    seen = {}\n    for i, x in enumerate(nums):\n"
        "        if target - x in seen:\n            return [seen[target - x], i]\n"
        "        seen[x] = i\n    return []\n---\n"
        "One pass with a hash map: O(n) time and O(n) space.\n"
    )
    result = run_cli(
        "practice", "swe-coding", "--question", "two-sum", "--answers", str(answers), "--json"
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    transcript = json.loads(Path(payload["transcript"]).read_text())
    code_turn = next(t for t in transcript["rounds"][0]["turns"] if t["kind"] == "code")
    assert code_turn["tests_total"] and code_turn["tests_passed"] == code_turn["tests_total"]
    correctness = next(c for c in payload["scorecard"]["criteria"] if c["id"] == "correctness")
    assert "Problem 1: 100% of the hidden tests passed" in correctness["feedback"]
    # A swe-coding round holds two problems; the second was never reached here.
    assert len(transcript["rounds"][0]["question_ids"]) == 2
    assert transcript["rounds"][0]["minutes"] >= 30


def test_search_stats_reindex_and_html_export(tmp_path):
    answers = tmp_path / "a.txt"
    answers.write_text(
        "I'd use consistent hashing to spread keys over the cache nodes.\n---\n"
        "<script>alert(1)</script> and \x1b[31mred\x1b[0m text.\n"
    )
    session = json.loads(
        run_cli(
            "practice",
            "system-design",
            "--question",
            "distributed-cache",
            "--answers",
            str(answers),
            "--json",
        ).stdout
    )["session_id"]
    hits = json.loads(run_cli("review", "--search", "consistent hashing", "--json").stdout)
    # The candidate's turn, and the interviewer's acknowledgement that quotes it.
    assert {h["session_id"] for h in hits} == {session}
    assert any(h["role"] == "candidate" for h in hits)
    assert json.loads(run_cli("review", "--search", "zebra", "--json").stdout) == []
    assert json.loads(run_cli("review", "--round", "research", "--json").stdout) == []
    assert run_cli("review", "--round", "cooking").returncode == 2
    stats = run_cli("stats")
    assert stats.returncode == 0 and "system-design" in stats.stdout
    reindex = json.loads(run_cli("reindex", "--json").stdout)
    assert reindex["sessions"] == 1
    html = tmp_path / "s.html"
    assert run_cli("export", session, "--format", "html", "-o", str(html)).returncode == 0
    page = html.read_text()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    shown = run_cli("review", session).stdout
    assert "\x1b[31m" not in shown  # the candidate's escape sequence is shown, not obeyed
