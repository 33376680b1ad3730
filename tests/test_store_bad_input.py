"""Bad input never crashes or corrupts: huge answers, NUL and controls, undecodable bytes,
a transcripts directory that refuses writes."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import time

import pytest

from simulator.models import Transcript, Turn
from simulator.store import journal
from simulator.store.html import to_html
from simulator.store.transcripts import SaveError, StoreError, TranscriptStore


def _session(store, catalog):
    from simulator.backends.offline.interviewer import OfflineInterviewer
    from simulator.engine.session import Session

    return Session.practice(
        catalog, OfflineInterviewer(), store, "system-design", question_id="url-shortener"
    )


def test_a_megabyte_answer_with_nul_and_controls_is_kept_exactly(tmp_path, catalog):
    store = TranscriptStore(tmp_path)
    session = _session(store, catalog)
    runner = session.runner(0)
    asyncio.run(runner.open())
    answer = ("shard by key\x00 \x1b[2J\x07 é 中 " * 40_000)[:1_000_000] + " zeppelin"
    started = time.perf_counter()
    runner.record_answer(answer)
    assert time.perf_counter() - started < 3
    # (no interviewer reply: the offline backend takes tens of seconds over a megabyte)
    sid = session.transcript.session_id
    again = TranscriptStore(tmp_path).read(sid)
    assert again.problems == []
    assert [t.text for t in again.transcript.rounds[0].turns if t.role == "candidate"] == [answer]
    assert [h.turn_index for h in store.search("zeppelin")] == [1]
    assert "\x00" not in to_html(again.transcript)
    runner.end()
    session.transcript.status = "complete"
    session.save()
    final = TranscriptStore(tmp_path).load(sid)
    assert final.status == "complete" and final.rounds[0].turns[1].text == answer


def test_undecodable_text_is_saved_as_replacement_characters(tmp_path):
    store = TranscriptStore(tmp_path)
    transcript = Transcript(session_id="20260101-000000-research-aaaa", kind="practice")
    store.save(transcript)
    from simulator.models import RoundRecord

    transcript.rounds.append(
        RoundRecord(
            round="research", question_id=None, question_title="t", question_prompt="p", minutes=30
        )
    )
    transcript.rounds[0].turns.append(
        Turn(role="candidate", kind="answer", text="bytes \udcff\udcfe here")
    )
    store.save(transcript)
    loaded = TranscriptStore(tmp_path).read(transcript.session_id)
    assert loaded.transcript.rounds[0].turns[0].text == "bytes \ufffd\ufffd here"
    json.loads(store.path_for(transcript.session_id).read_text(encoding="utf-8"))


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_a_directory_that_refuses_writes_is_one_clear_error_and_the_answer_is_rescued(
    tmp_path, monkeypatch, catalog, code
):
    rescue = tmp_path / "rescue"
    monkeypatch.setenv("ONSITE_RESCUE_DIR", str(rescue))
    store = TranscriptStore(tmp_path / "t")
    session = _session(store, catalog)
    runner = session.runner(0)
    asyncio.run(runner.open())
    before = store.path_for(session.transcript.session_id).read_bytes()

    def refuse(path, events):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(journal, "append", refuse)
    with pytest.raises(SaveError) as caught:
        runner.record_answer("My answer that must not be lost.")
    err = caught.value
    assert isinstance(err, StoreError) and "\n" not in str(err)
    assert os.strerror(code) in str(err) and str(rescue) in str(err)
    rescued = TranscriptStore(rescue).load(str(err.rescued))
    assert rescued.rounds[0].turns[-1].text == "My answer that must not be lost."
    # what was saved before is intact, and the session still holds the answer in memory
    assert store.path_for(session.transcript.session_id).read_bytes() == before
    assert session.transcript.rounds[0].turns[-1].text == "My answer that must not be lost."
    # the user picks another place
    elsewhere = err.rescue(tmp_path / "usb")
    assert TranscriptStore(tmp_path / "usb").load(str(elsewhere)).session_id == (
        session.transcript.session_id
    )
    # once the disk has room again, the next save writes everything (a fresh snapshot)
    monkeypatch.undo()
    store.save(session.transcript)
    reloaded = TranscriptStore(tmp_path / "t").read(session.transcript.session_id)
    assert reloaded.problems == []
    assert reloaded.transcript.rounds[0].turns[-1].text == "My answer that must not be lost."


def test_when_nothing_is_writable_the_session_stays_in_memory(tmp_path, monkeypatch):
    from simulator.store import transcripts

    def refuse(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(journal, "append", refuse)
    monkeypatch.setattr(transcripts, "write_json_atomic", refuse)
    transcript = Transcript(session_id="20260101-000000-research-bbbb", kind="practice")
    with pytest.raises(SaveError, match="kept in memory") as caught:
        TranscriptStore(tmp_path).save(transcript)
    assert caught.value.rescued is None and caught.value.transcript is transcript


def test_a_json_write_failure_after_the_journal_loses_nothing(tmp_path, monkeypatch):
    from simulator.store import transcripts

    store = TranscriptStore(tmp_path)
    transcript = Transcript(session_id="20260101-000000-research-cccc", kind="practice")
    store.save(transcript)

    def refuse(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(transcripts, "write_json_atomic", refuse)
    transcript.status = "complete"
    store.save(transcript)  # the journal took it: no error
    monkeypatch.undo()
    assert TranscriptStore(tmp_path).load(transcript.session_id).status == "complete"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only directories")
def test_a_really_read_only_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("ONSITE_RESCUE_DIR", str(tmp_path / "rescue"))
    root = tmp_path / "t"
    root.mkdir()
    root.chmod(0o500)
    try:
        with pytest.raises(SaveError, match="cannot save the transcript"):
            TranscriptStore(root).save(
                Transcript(session_id="20260101-000000-research-dddd", kind="practice")
            )
        assert TranscriptStore(root).summaries() == []
    finally:
        root.chmod(0o700)


def test_a_missing_directory_lists_nothing_quietly(tmp_path):
    store = TranscriptStore(tmp_path / "nowhere")
    assert store.summaries() == [] and store.problems == []
    assert store.search("x") == [] and not store.stats().rounds
    assert not (tmp_path / "nowhere").exists()
