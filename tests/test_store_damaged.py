"""Damaged files are read as far as they are valid, reported in one line, and never break review."""

from __future__ import annotations

import json

import pytest

from simulator.models import SCHEMA_VERSION, RoundRecord, Transcript, Turn
from simulator.store.migrate import migrate, salvage_json
from simulator.store.transcripts import StoreError, TranscriptStore
from tests.conftest import run_cli

SID = "20260102-030405-system-design-beef"


def _good(session_id: str = SID, answers: int = 3) -> Transcript:
    record = RoundRecord(
        round="system-design",
        question_id="system-design/url-shortener",
        question_title="Design a URL shortener",
        question_prompt="Design TinyURL.",
        minutes=45,
    )
    for i in range(answers):
        record.turns.append(Turn(role="interviewer", kind="probe", text=f"Question {i}?"))
        record.turns.append(Turn(role="candidate", kind="answer", text=f"Answer number {i}."))
    return Transcript(session_id=session_id, kind="practice", rounds=[record])


def _write(tmp_path, name: str, content: bytes | str) -> None:
    (tmp_path / name).write_bytes(content if isinstance(content, bytes) else content.encode())


def _said(transcript: Transcript) -> list[str]:
    return [t.text for r in transcript.rounds for t in r.turns if t.role == "candidate"]


def test_a_truncated_json_is_read_up_to_its_last_whole_turn(tmp_path):
    text = _good().model_dump_json(indent=2)
    cut = text.index("Answer number 2.")
    _write(tmp_path, f"{SID}.json", text[:cut])
    store = TranscriptStore(tmp_path)
    result = store.read(SID)
    assert _said(result.transcript) == ["Answer number 0.", "Answer number 1."]
    assert result.problem.startswith(f"{SID}.json: invalid JSON")
    assert "\n" not in result.problem


def test_invalid_utf8_is_replaced_not_fatal(tmp_path):
    raw = (
        _good()
        .model_dump_json()
        .replace("Answer number 1.", "Answer \udcff")
        .encode("utf-8", "surrogateescape")
    )
    _write(tmp_path, f"{SID}.json", raw)
    result = TranscriptStore(tmp_path).read(SID)
    assert _said(result.transcript)[1] == "Answer \ufffd"
    assert "invalid UTF-8" in result.problem


def test_an_invalid_turn_is_dropped_and_the_rest_kept(tmp_path):
    data = json.loads(_good().model_dump_json())
    data["rounds"][0]["turns"][1]["role"] = "narrator"
    data["rounds"][0]["scorecard"] = {"overall": "high"}
    _write(tmp_path, f"{SID}.json", json.dumps(data))
    result = TranscriptStore(tmp_path).read(SID)
    assert _said(result.transcript) == ["Answer number 1.", "Answer number 2."]
    assert "1 unreadable turn dropped" in result.problem and "scorecard" in result.problem


def test_an_old_schema_migrates_forward(tmp_path):
    old = {
        "id": SID,
        "created_at": "2025-01-05T10:00:00Z",
        "round": "behavioral",
        "question_title": "Tell me about a conflict",
        "turns": [
            {"speaker": "assistant", "content": "Tell me about a conflict."},
            {"speaker": "user", "content": "In my last team we disagreed on the launch date."},
        ],
    }
    _write(tmp_path, f"{SID}.json", json.dumps(old))
    result = TranscriptStore(tmp_path).read(SID)
    t = result.transcript
    assert t.schema_version == SCHEMA_VERSION and t.rounds[0].round == "behavioral"
    assert _said(t) == ["In my last team we disagreed on the launch date."]
    assert t.status == "in_progress"
    assert "schema 0 migrated" in result.problem


def test_a_newer_schema_is_read_as_far_as_known(tmp_path):
    data = json.loads(_good().model_dump_json())
    data["schema_version"] = SCHEMA_VERSION + 1
    data["rounds"][0]["hologram"] = {"new": True}
    _write(tmp_path, f"{SID}.json", json.dumps(data))
    result = TranscriptStore(tmp_path).read(SID)
    assert len(_said(result.transcript)) == 3 and "newer onsite" in result.problem


def test_migrations_run_in_order():
    data, notes = migrate({"session_id": "x", "kind": "practice", "schema_version": 0})
    assert data["schema_version"] == SCHEMA_VERSION and notes
    assert migrate({"schema_version": SCHEMA_VERSION}) == ({"schema_version": SCHEMA_VERSION}, [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": [1, 2, {"b": "x"}, {"c": "unfinish', {"a": [1, 2, {"b": "x"}]}),
        ('{"a": 1, "b": [true, false', {"a": 1, "b": [True]}),
        ('{"a": {"b": 1}} trailing garbage', {"a": {"b": 1}}),
    ],
)
def test_salvage_json_keeps_whole_elements(text, expected):
    assert salvage_json(text) == expected


def test_garbage_is_one_line_and_review_still_lists_the_rest(tmp_path):
    store = TranscriptStore(tmp_path)
    store.save(_good("20260101-000000-system-design-aaaa"))
    _write(tmp_path, "20260101-000001-research-bbbb.json", b"\x00\x01 not json at all")
    _write(tmp_path, "20260101-000002-research-cccc.json", b"")
    _write(tmp_path, "20260101-000003-research-dddd.json", b"[1, 2, 3]")
    for index in (True, False):
        view = TranscriptStore(tmp_path, index=index)
        listed = view.summaries()
        assert [s.session_id for s in listed] == ["20260101-000000-system-design-aaaa"]
        assert len(view.problems) == 3 and all("\n" not in p for p in view.problems)
    with pytest.raises(StoreError, match="not a readable transcript"):
        store.load("20260101-000001-research-bbbb")
    result = run_cli("review", "--json", env={"ONSITE_TRANSCRIPTS_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)) == 1


def test_a_damaged_journal_line_in_the_middle_is_skipped(tmp_path):
    store = TranscriptStore(tmp_path)
    transcript = _good(answers=0)
    store.save(transcript)
    for i in range(3):
        transcript.rounds[0].turns.append(Turn(role="candidate", kind="answer", text=f"A{i}"))
        store.save(transcript)
    store.path_for(SID).unlink()
    lines = store.journal_for(SID).read_bytes().splitlines(keepends=True)
    target = next(i for i, line in enumerate(lines) if b'"A1"' in line)
    lines[target] = b'{"ev": "turn", "r": 0, "n": 1, "tur\xff\n'  # A1's line, damaged
    store.journal_for(SID).write_bytes(b"".join(lines))
    result = store.read(SID)
    assert _said(result.transcript) == ["A0", "A2"]
    assert f"journal line {target + 1} unreadable" in result.problem
    assert "skips to turn 3" in result.problem


def test_review_of_a_damaged_session_shows_what_was_saved(tmp_path):
    text = _good().model_dump_json(indent=2)
    _write(tmp_path, f"{SID}.json", text[: text.index("Answer number 2.")])
    result = run_cli("review", SID, "--json", env={"ONSITE_TRANSCRIPTS_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert [t["text"] for t in shown["rounds"][0]["turns"] if t["role"] == "candidate"] == [
        "Answer number 0.",
        "Answer number 1.",
    ]
