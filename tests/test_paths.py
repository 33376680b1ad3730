"""No path trusts candidate text, and every bad input is one line, never a traceback or a hang
(issue 14): session ids, lookups, exports, FIFOs, dates, config, loop size, search cost."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from simulator.cli import main
from simulator.models import Transcript
from simulator.store.transcripts import StoreError, TranscriptStore
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parents[1]


def folder() -> Path:
    path = Path(os.environ["ONSITE_TRANSCRIPTS_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def example(session_id: str, status: str = "complete") -> Transcript:
    data = json.loads((ROOT / "transcripts" / "example-round-url-shortener.json").read_text())
    transcript = Transcript.model_validate(data)
    transcript.session_id = session_id
    transcript.status = status  # type: ignore[assignment]
    return transcript


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("onsite: error: "), err
    assert "Traceback" not in err
    return lines[0]


# ------------------------------------------------------------------ session ids and lookups


def test_a_resumed_file_naming_its_id_dot_dot_writes_nothing_outside(tmp_path, capsys):
    data = example("anything", status="in_progress").model_dump(mode="json")
    data["session_id"] = "../../escaped"
    (folder() / "planted.json").write_text(json.dumps(data))
    answers = tmp_path / "answers.txt"
    answers.write_text("More requirements.\n")
    assert main(["resume", "planted", "--answers", str(answers)]) == 2
    assert "not a valid id" in one_error_line(capsys.readouterr().err)
    assert not list(tmp_path.parent.rglob("escaped*"))


def test_resuming_a_copy_never_overwrites_the_session_it_names(tmp_path, capsys):
    store = TranscriptStore(folder())
    other = store.save(example("other-session"))
    before = other.read_bytes()
    data = example("other-session", status="in_progress").model_dump(mode="json")
    (folder() / "copy.json").write_text(json.dumps(data))
    answers = tmp_path / "answers.txt"
    answers.write_text("More requirements.\n")
    assert main(["resume", "copy", "--answers", str(answers)]) == 2
    assert "rename it to other-session.json" in one_error_line(capsys.readouterr().err)
    assert other.read_bytes() == before


def test_saving_a_transcript_with_a_path_for_an_id_is_refused(tmp_path):
    store = TranscriptStore(folder())
    for bad in ("../../x", "/tmp/x", ".hidden", "a/b", "", "x" * 200):
        with pytest.raises(StoreError, match="not a session id"):
            store.save(example(bad))
    assert list(tmp_path.rglob("x.json")) == []


def test_review_of_a_prefix_outside_the_folder_is_refused(tmp_path, capsys):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "prefix-secret.json").write_text(example("prefix-secret").model_dump_json())
    folder()
    for arg in ("../elsewhere/prefix", str(outside / "prefix")):
        assert main(["review", arg]) == 2, arg
        assert "not a session id" in one_error_line(capsys.readouterr().err)
    sneaky = str(folder() / ".." / "elsewhere" / "prefix-secret.json")
    for arg in (str(outside / "prefix-secret.json"), sneaky):
        assert main(["review", arg]) == 2, arg
        assert "not in the transcripts folder" in one_error_line(capsys.readouterr().err)


def test_review_of_a_directory_is_one_line(capsys):
    folder()
    assert main(["review", "/tmp/"]) == 2
    one_error_line(capsys.readouterr().err)


def test_review_by_id_prefix_and_file_name_still_work(capsys):
    TranscriptStore(folder()).save(example("20260101-000000-system-design-abcd"))
    for arg in (
        "20260101-000000-system-design-abcd",
        "20260101-0000",
        "20260101-000000-system-design-abcd.json",
        str(folder() / "20260101-000000-system-design-abcd.json"),  # a path inside the folder
    ):
        assert main(["review", arg, "--json"]) == 0, arg
        assert json.loads(capsys.readouterr().out)["session_id"].endswith("abcd")


# ------------------------------------------------------------------ export -o


def test_export_refuses_to_overwrite_without_force(tmp_path, capsys):
    TranscriptStore(folder()).save(example("exported"))
    target = tmp_path / "notes.md"
    target.write_text("my own notes")
    assert main(["export", "exported", "-o", str(target)]) == 2
    assert "--force" in one_error_line(capsys.readouterr().err)
    assert target.read_text() == "my own notes"
    assert main(["export", "exported", "-o", str(target), "--force"]) == 0
    assert target.read_text().startswith("# onsite")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temp


def test_export_never_writes_onto_a_transcript_even_with_force(capsys):
    store = TranscriptStore(folder())
    own = store.save(example("own-file"))
    before = own.read_bytes()
    for target in (own, folder() / "other-session.json", folder() / "own-file.journal"):
        assert main(["export", "own-file", "-o", str(target), "--force"]) == 2
        assert "transcripts folder" in one_error_line(capsys.readouterr().err)
    link = folder().parent / "link.json"
    link.symlink_to(own)
    assert main(["export", "own-file", "-o", str(link), "--force"]) == 2
    one_error_line(capsys.readouterr().err)
    assert own.read_bytes() == before
    assert store.load("own-file").rounds  # still a transcript


# ------------------------------------------------------------------ non-regular files


@pytest.mark.parametrize(
    "argv",
    [
        ["review"],
        ["review", "fifo"],
        ["stats"],
        ["reindex"],
        ["resume"],
        ["review", "--search", "x"],
    ],
)
def test_a_fifo_named_like_a_transcript_never_hangs_a_command(argv):
    TranscriptStore(folder()).save(example("20260101-000000-real-abcd"))
    os.mkfifo(folder() / "fifo.json")
    os.mkfifo(folder() / "fifo2.journal")
    started = time.monotonic()
    result = run_cli(*argv)  # a subprocess: a hang would be the test's timeout
    assert time.monotonic() - started < 60
    assert "Traceback" not in result.stderr
    assert result.returncode in (0, 2), result.stderr


# ------------------------------------------------------------------ bad input: one line


def test_a_since_before_year_one_is_one_line(capsys):
    assert main(["review", "--since", "800000d"]) == 2
    assert "800000d" in one_error_line(capsys.readouterr().err)
    assert main(["stats", "--since", "99999999999w"]) == 2
    one_error_line(capsys.readouterr().err)


def test_a_broken_config_file_is_one_line(tmp_path, capsys):
    Path(os.environ["ONSITE_CONFIG"]).write_text("[profile\nname = \n")
    assert main(["review"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "not valid TOML" in line and "config.toml" in line


def test_an_unparsable_persona_variable_is_one_line(monkeypatch, capsys):
    monkeypatch.setenv("ONSITE_PERSONA", "{bad")
    assert main(["review"]) == 2
    assert "ONSITE_PERSONA" in one_error_line(capsys.readouterr().err)


def test_a_remembered_cv_that_was_deleted_is_a_warning_and_practice_goes_on(tmp_path, capsys):
    cv = tmp_path / "cv.md"
    cv.write_text("Jane Doe\nLed project Falcon at Acme.\n")
    answers = tmp_path / "answers.txt"
    answers.write_text("I led the Falcon migration and owned the rollback plan.\n")
    argv = ["practice", "behavioral", "--answers", str(answers), "--json"]
    assert main([*argv, "--cv", str(cv)]) == 0  # remembered in the config file
    cv.unlink()
    capsys.readouterr()
    assert main(argv) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["scorecard"]
    assert "onsite: warning: the remembered CV" in out.err and "Traceback" not in out.err
    assert main([*argv, "--cv", str(cv)]) == 2  # named on the command line: an error
    one_error_line(capsys.readouterr().err)


def test_a_loop_file_with_too_many_rounds_is_one_line(tmp_path, capsys):
    loop = tmp_path / "huge.yaml"
    loop.write_text("name: huge\ndescription: x\nrounds:\n" + "  - round: behavioral\n" * 600)
    answers = tmp_path / "answers.txt"
    answers.write_text("An answer.\n")
    started = time.monotonic()
    assert main(["loop", str(loop), "--answers", str(answers)]) == 2
    assert "at most 20" in one_error_line(capsys.readouterr().err)
    assert time.monotonic() - started < 10
    assert not folder().exists() or not list(folder().glob("*.json"))


# ------------------------------------------------------------------ bounded search cost


def test_search_over_a_huge_answer_with_many_matches_is_fast(capsys):
    words = ["shard", "cache", "latency", "replica", "queue", "hash"]
    text = " ".join(words[i % 6] for i in range(400_000)) + " zeppelin"  # 2.7 MB
    transcript = example("huge-answer")
    transcript.rounds[0].turns[1].text = text
    TranscriptStore(folder()).save(transcript)
    assert main(["reindex"]) == 0
    capsys.readouterr()
    started = time.monotonic()
    assert main(["review", "--search", "shard", "--json"]) == 0  # FTS snippet(): 25 s at 2 MB
    took = time.monotonic() - started
    hits = json.loads(capsys.readouterr().out)
    assert took < 5, took
    answer_hit = [h for h in hits if h["turn_index"] == 1]
    assert answer_hit and "«shard»" in answer_hit[0]["snippet"]
    assert len(answer_hit[0]["snippet"]) < 200
    assert main(["review", "--search", "zeppelin", "--json"]) == 0  # the very end still found
    hits = json.loads(capsys.readouterr().out)
    assert hits and "«zeppelin»" in hits[0]["snippet"]
