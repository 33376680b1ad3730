"""What the openai backend costs on top of the model, against the local fake server.

    python benchmarks/backend_overhead.py [--turns 40]

1. Per turn: the server answers at once; a follow-up through OpenAIInterviewer.reply (prompt
   rendering, offline coverage notes, streaming, tag parsing, the vetting step -- the turn guard
   and the sentence gate -- and the retry wrapper) against a bare AsyncOpenAI streaming call with
   the same messages. Printed as a ratio and in milliseconds (target at most 1.1), twice: with
   the same answers replayed (the request and the vetting alone), and with a new answer every
   turn (its offline reading -- a few ms of regex matching -- paid in the turn, as in use).
2. Grading a 5-round loop: the server takes 300 ms per request; the wall time of grading the five
   rounds, over the time of one bare request (target at most 1.5). Measured both with the backend's
   grade() gathered directly and through the engine's Session.finish (its semaphore bounds it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.backends.base import RoundContext  # noqa: E402
from simulator.catalog import default_catalog  # noqa: E402
from simulator.config import Settings  # noqa: E402
from simulator.models import RoundRecord, Turn  # noqa: E402
from tests.fake_openai_server import FakeOpenAI  # noqa: E402

ANSWERS = [
    "We need shorten and redirect, custom aliases and expiry; redirects must be low latency and "
    "highly available. At 100 million new URLs a day that is about 1,200 writes per second.",
    "Keys come from a counter with ranges handed out by a ticket server, encoded in base62, so "
    "two servers never collide; 62^7 is about 3.5 trillion keys.",
    "Store short_key to long_url in Cassandra partitioned by the short key, with a Redis LRU cache "
    "in front since popular links get most clicks.",
]
ROUNDS = [
    "system-design/url-shortener",
    "system-design/rate-limiter",
    "system-design/news-feed",
    "system-design/chat",
    "system-design/web-crawler",
]


def context(catalog, question_id: str, answers: list[str]) -> RoundContext:
    question = catalog.question(question_id)
    turns = [Turn(role="interviewer", kind="question", text=question.prompt)]
    for index, answer in enumerate(answers):
        turns.append(Turn(role="candidate", kind="answer", text=answer))
        if index < len(answers) - 1:
            turns.append(Turn(role="interviewer", kind="probe", text=f"Follow-up {index}?"))
    record = RoundRecord(
        round=question.round,
        question_id=question.id,
        question_title=question.title,
        question_prompt=question.prompt,
        minutes=question.minutes,
        turns=turns,
    )
    return RoundContext(
        catalog=catalog,
        rubric=catalog.rubric(question.round),
        question=question,
        record=record,
        seconds_left=1800,
    )


async def bare_stream(sdk, messages) -> float:
    started = time.perf_counter()
    stream = await sdk.chat.completions.create(model="gpt-4o-mini", messages=messages, stream=True)
    async for _chunk in stream:
        pass
    return time.perf_counter() - started


async def bare_call(sdk, messages) -> float:
    started = time.perf_counter()
    await sdk.chat.completions.create(model="gpt-4o-mini", messages=messages)
    return time.perf_counter() - started


def fresh_answers(index: int) -> list[str]:
    """The answers of turn `index` with a last answer never seen before, as in a real round:
    nothing about it is cached."""
    return [*ANSWERS[:-1], f"{ANSWERS[-1]} On the read path we measured p99 at {index + 3} ms."]


async def per_turn(turns: int, fresh: bool) -> tuple[float, float, float]:
    """Median bare and onsite turn times, and the time to build a request. With `fresh`, every
    turn carries a new answer, so the offline reading of it (coverage notes) is paid each turn;
    without, the same answers are replayed and only the request and the vetting are measured."""
    import openai

    from simulator.backends.openai_backend import OpenAIInterviewer

    catalog = default_catalog()
    backend = OpenAIInterviewer.from_settings(Settings(backend="openai"))
    builder = OpenAIInterviewer.from_settings(Settings(backend="openai"))  # bare's messages
    sdk = openai.AsyncOpenAI(max_retries=0)
    ctx = context(catalog, ROUNDS[0], ANSWERS)
    messages, _ = builder.turn_messages(ctx)
    for _ in range(5):  # warm up both (connections, regex caches)
        await bare_stream(sdk, messages)
        await backend.reply(ctx)
    started = time.perf_counter()
    for _ in range(turns):
        backend.turn_messages(ctx)
    build = (time.perf_counter() - started) / turns
    bare, ours = [], []
    for index in range(turns):  # interleaved, so drift hits both alike
        if fresh:
            ctx = context(catalog, ROUNDS[0], fresh_answers(index))
            messages, _ = builder.turn_messages(ctx)
        bare.append(await bare_stream(sdk, messages))
        started = time.perf_counter()
        await backend.reply(ctx)
        ours.append(time.perf_counter() - started)
    await sdk.close()
    await backend.aclose()
    await builder.aclose()
    return statistics.median(bare), statistics.median(ours), build


async def grading(fake: FakeOpenAI) -> tuple[float, float, list[tuple[int, float]]]:
    import openai

    from simulator.backends.openai_backend import OpenAIInterviewer
    from simulator.engine.session import Session
    from simulator.models import LoopPreset, LoopRound
    from simulator.store.transcripts import TranscriptStore

    catalog = default_catalog()
    sdk = openai.AsyncOpenAI(max_retries=0)
    ask = [{"role": "user", "content": "Reply with the single word: ready"}]
    await bare_call(sdk, ask)
    one = statistics.median([await bare_call(sdk, ask) for _ in range(3)])
    await sdk.close()

    backend = OpenAIInterviewer.from_settings(Settings(backend="openai"))
    ctxs = [context(catalog, qid, ANSWERS) for qid in ROUNDS]
    for ctx in ctxs:  # as in a real loop, each round's answers were read during its interview
        backend.turn_messages(ctx)
    await backend.grade(context(catalog, ROUNDS[0], ANSWERS[:1]))  # warm the connection pool
    started = time.perf_counter()
    cards = await asyncio.gather(*(backend.grade(c) for c in ctxs))
    direct = time.perf_counter() - started
    assert all(c.grader.startswith("openai:") for c in cards), [c.grader for c in cards]

    loop = LoopPreset(
        id="bench",
        name="Bench",
        description="five rounds",
        rounds=[LoopRound(round="system-design", question=q) for q in ROUNDS],
    )
    import simulator.engine.session as engine_session

    finishes = []
    for concurrency in (engine_session.GRADING_CONCURRENCY, len(ROUNDS)):
        default = engine_session.GRADING_CONCURRENCY
        engine_session.GRADING_CONCURRENCY = concurrency
        try:
            with tempfile.TemporaryDirectory() as tmp:
                session = Session.for_loop(catalog, backend, TranscriptStore(Path(tmp)), loop)
                for index in range(len(ROUNDS)):
                    runner = session.runner(index)
                    runner.record.turns = list(ctxs[index].record.turns)
                    runner.end("candidate")
                started = time.perf_counter()
                transcript = await session.finish()
                finishes.append((concurrency, time.perf_counter() - started))
                assert transcript.debrief is not None
        finally:
            engine_session.GRADING_CONCURRENCY = default
    await backend.aclose()
    return one, direct, finishes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=40)
    args = parser.parse_args()
    os.environ.setdefault("OPENAI_API_KEY", "sk-bench-not-a-key")
    os.environ["ONSITE_RETRY_BASE"] = "0.01"
    with FakeOpenAI() as fake:
        os.environ["OPENAI_BASE_URL"] = fake.url
        bare, ours, build = asyncio.run(per_turn(args.turns, fresh=False))
        print(f"per turn, answers already read (server answers at once, median of {args.turns}):")
        print(f"  bare AsyncOpenAI stream  {bare * 1000:7.2f} ms")
        print(
            f"  onsite reply()           {ours * 1000:7.2f} ms   "
            f"(+{(ours - bare) * 1000:.2f} ms, ratio {ours / bare:.2f}, target <= 1.1)"
        )
        print(f"  of which building the request (prompts, coverage notes): {build * 1000:.2f} ms")
        bare, ours, _ = asyncio.run(per_turn(args.turns, fresh=True))
        print("per turn, a new answer each turn (its offline reading included):")
        print(f"  bare AsyncOpenAI stream  {bare * 1000:7.2f} ms")
        print(
            f"  onsite reply()           {ours * 1000:7.2f} ms   "
            f"(+{(ours - bare) * 1000:.2f} ms, ratio {ours / bare:.2f})"
        )
        fake.delay = 0.3
        one, direct, finishes = asyncio.run(grading(fake))
        print("grading a 5-round loop (server: 300 ms per request):")
        print(f"  one request              {one * 1000:7.1f} ms")
        print(
            f"  5 x grade(), gathered    {direct * 1000:7.1f} ms   ratio {direct / one:.2f} "
            f"(target <= 1.5)"
        )
        for concurrency, finish in finishes:
            print(
                f"  Session.finish(), GRADING_CONCURRENCY={concurrency}: "
                f"{finish * 1000:7.1f} ms   ratio {finish / one:.2f} "
                "(grading + one debrief request)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
