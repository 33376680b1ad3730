"""Exports and terminal text: the candidate's words are shown, never obeyed."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from simulator.models import (
    CriterionScore,
    Debrief,
    RoundRecord,
    RoundSignal,
    Scorecard,
    Transcript,
    Turn,
)
from simulator.store.export import md_text, safe_terminal_text, to_markdown
from simulator.store.html import to_html

HOSTILE = (
    "<script>alert('x')</script> <img src=x onerror=alert(1)> "
    '"quoted" & </div></main> \x1b[2J\x1b]0;pwned\x07 \x9b31m \r overwritten \x00 nul '
    "\u202eevil\u202c https://evil.example/x.js"
)
CODE = "def two_sum(nums, target):\n    s = '```'\n    return []  # </code></pre><script>"


def hostile_transcript(kind: str = "practice") -> Transcript:
    card = Scorecard(
        round="swe-coding",
        question_id="swe-coding/two-sum",
        grader="offline",
        overall=2.5,
        decision="lean_hire",
        criteria=[
            CriterionScore(
                id="correctness",
                name="Correctness <b>",
                score=3,
                evidence=["<script>alert('x')</script>"],
                feedback="Says | <script> \x1b[31m",
            )
        ],
        flags=["injection_attempt"],
        strengths=["<em>fast</em>"],
        improvements=["\x1b[5mblink"],
    )
    record = RoundRecord(
        round="swe-coding",
        question_id="swe-coding/two-sum",
        question_title="Two sum <script>",
        question_prompt="...",
        minutes=40,
        turns=[
            Turn(role="interviewer", kind="question", text="Solve two sum."),
            Turn(role="candidate", kind="answer", text=HOSTILE),
            Turn(role="candidate", kind="code", text=CODE, test_summary="3/3 <ok>"),
        ],
        scorecard=card,
    )
    rounds = [record, record.model_copy()] if kind == "loop" else [record]
    debrief = None
    if kind == "loop":
        debrief = Debrief(
            rounds=[
                RoundSignal(
                    round="swe-coding",
                    question_id=None,
                    stage="onsite",
                    overall=2.5,
                    decision="lean_hire",
                )
            ],
            overall=2.5,
            decision="lean_hire",
            summary="Summary <script>x</script>",
            focus=["<iframe src=//evil>"],
        )
    return Transcript(
        session_id="20260101-000000-swe-coding-abcd",
        kind=kind,
        loop_id="meta-ml-engineer" if kind == "loop" else None,
        loop_name="Loop <script>" if kind == "loop" else None,
        status="complete",
        rounds=rounds,
        debrief=debrief,
    )


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str | None]] = []
        self.data: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs += attrs

    def handle_data(self, data):
        self.data.append(data)


@pytest.mark.parametrize("kind", ["practice", "loop"])
def test_html_is_self_contained_and_escapes_everything(kind):
    page = to_html(hostile_transcript(kind))
    parser = Tags()
    parser.feed(page)
    assert "script" not in parser.tags and "img" not in parser.tags
    assert "iframe" not in parser.tags and "b" not in parser.tags and "em" not in parser.tags
    assert not any(name.startswith("on") or name == "src" for name, _ in parser.attrs)
    hrefs = [value for name, value in parser.attrs if name == "href"]
    assert all(value.startswith("#") for value in hrefs)  # in-page links only
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert not any(c in page for c in "\x00\x1b\x07\x9b\r\u202e")
    text = "".join(parser.data)
    assert "<script>alert('x')</script>" in text  # shown, as text
    assert "␛[2J" in text and "␀ nul" in text and "<U+202E>evil" in text
    assert "return []  # </code></pre><script>" in text
    if kind == "loop":
        assert "Debrief" in text and "<iframe src=//evil>" in text


def test_markdown_escapes_candidate_text_and_fences_code():
    md = to_markdown(hostile_transcript())
    prose = md.replace(CODE, "")  # inside a fence, `<script>` is code: shown as written
    assert "<script>" not in prose and "&lt;script&gt;alert('x')&lt;/script&gt;" in md
    assert "\x1b" not in md and "\x00" not in md and "␛\\[2J" in md  # `[` escaped too
    assert "````python\n" + CODE.replace("\x1b", "") + "\n````" in md  # longer fence
    assert "| Correctness &lt;b&gt; | 3 | Says \\| &lt;script&gt; ␛\\[31m |" in md


def test_safe_terminal_text_makes_controls_visible_and_keeps_text():
    assert safe_terminal_text("a\tb\nc é 中文 🙂") == "a\tb\nc é 中文 🙂"
    assert safe_terminal_text("\x1b[31mred\x1b[0m") == "␛[31mred␛[0m"
    assert safe_terminal_text("line\r\nnext\rover") == "line\nnext␍over"
    assert safe_terminal_text("\x9b2J\x7f\x08") == "\\x9b2J␡␈"
    assert safe_terminal_text("\u202etxt") == "<U+202E>txt"
    assert safe_terminal_text("bad \udcff byte") == "bad \ufffd byte"
    assert md_text("<a href='x'>&") == "&lt;a href='x'&gt;&amp;"


def test_a_megabyte_answer_exports_quickly():
    import time

    transcript = hostile_transcript()
    transcript.rounds[0].turns[1].text = ("x <y> \x1b[1m " * 80_000)[:1_000_000]
    started = time.perf_counter()
    page = to_html(transcript)
    md = to_markdown(transcript)
    assert time.perf_counter() - started < 5
    assert "\x1b" not in page and "\x1b" not in md and len(page) > 1_000_000
