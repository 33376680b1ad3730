"""Rebuild the two example sessions that ship in transcripts/ (a graded round and a loop).

    python transcripts/examples/make_examples.py

Plays the answers in this folder through the offline interviewer with fixed questions, so a
new user can try `onsite review` and `onsite export` at once.
"""

from __future__ import annotations

import asyncio
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

import simulator.engine.session as session_module  # noqa: E402
from simulator.backends.offline.interviewer import OfflineInterviewer  # noqa: E402
from simulator.catalog import load_catalog  # noqa: E402
from simulator.cli import parse_answers  # noqa: E402
from simulator.engine.session import Session  # noqa: E402
from simulator.headless import play  # noqa: E402
from simulator.models import CandidateProfile  # noqa: E402
from simulator.store.transcripts import TranscriptStore  # noqa: E402

QUESTIONS = [
    ["research/conv-arithmetic"],
    ["system-design/payment-ledger"],
    ["ai-coding/conv2d"],
    ["behavioral/learning-new-area-fast"],
    ["swe-coding/minimum-window-substring", "swe-coding/two-sum"],
    ["research/object-detection"],
]


def main() -> None:
    catalog = load_catalog()
    store = TranscriptStore(HERE.parent, index=False)
    names = iter(["example-loop-meta-research-engineer", "example-round-url-shortener"])
    session_module.new_session_id = lambda label: next(names)
    profile = CandidateProfile(name="Example Candidate", specialization="computer vision")
    loop = Session.for_loop(
        catalog,
        OfflineInterviewer(),
        store,
        catalog.loops["meta-research-engineer"],
        profile=profile,
        rng=random.Random(3),
    )
    # The answers were written for these questions: pin them whatever the bank holds.
    for planned, ids in zip(loop.plan, QUESTIONS, strict=True):
        planned.question = catalog.question(ids[0])
        planned.extra = [catalog.question(i) for i in ids[1:]]
    loop_answers = parse_answers((HERE / "loop-answers.txt").read_text(), loop=True)
    asyncio.run(play(loop, loop_answers, quiet=True))
    practice = Session.practice(
        catalog,
        OfflineInterviewer(),
        store,
        "system-design",
        question_id="url-shortener",
        profile=profile,
    )
    asyncio.run(play(practice, parse_answers((HERE / "round-answers.txt").read_text()), quiet=True))
    print(
        "wrote",
        *(
            store.path_for(s)
            for s in ("example-loop-meta-research-engineer", "example-round-url-shortener")
        ),
    )


if __name__ == "__main__":
    main()
