"""`onsite doctor`: what works against the configured endpoint and model.

    checks = await doctor(settings)       # list[Check], in order
    print(format_checks(checks))          # or [c.as_dict() for c in checks] for --json

Checks: configuration, endpoint (and whether the model is listed), plain chat, streaming (with a
finish reason), json_schema, json_object. A failed prerequisite skips what depends on it. Only
one retry per check, so a dead server answers in seconds. The API key is never shown.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from typing import Any, Literal

Status = Literal["ok", "warn", "fail", "skip"]
_MARK = {"ok": "✓", "warn": "!", "fail": "✗", "skip": "-"}


@dataclass
class Check:
    name: str
    status: Status
    detail: str
    seconds: float | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "warn")

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def format_checks(checks: list[Check]) -> str:
    lines = []
    for check in checks:
        took = f" ({check.seconds:.2f}s)" if check.seconds is not None else ""
        lines.append(f"{_MARK[check.status]} {check.name}: {check.detail}{took}")
    return "\n".join(lines)


_PROBE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["answer"],
    "properties": {"answer": {"type": "string"}},
}
_ASK = [{"role": "user", "content": "Reply with the single word: ready"}]
_ASK_JSON = [
    {"role": "user", "content": 'Reply with a JSON object {"answer": "ready"} and nothing else.'}
]


async def doctor(settings: Any, http_client: Any = None) -> list[Check]:
    from simulator.backends.base import BackendError

    key = settings.api_key()
    base = settings.openai_base_url
    if not key and not base:
        return [
            Check(
                "configuration",
                "fail",
                "neither OPENAI_API_KEY nor OPENAI_BASE_URL is set: onsite uses the offline "
                "backend (set one to use a model)",
            )
        ]
    try:
        from simulator.backends.llm.client import LLMClient, RetryPolicy
    except ImportError as err:
        return [Check("configuration", "fail", f"the openai backend is not available: {err}")]
    try:
        client = LLMClient.from_settings(settings, http_client=http_client)
    except BackendError as err:
        return [Check("configuration", "fail", str(err))]
    client.policy = RetryPolicy(
        attempts=2, base=client.policy.base, max_wait=2.0, deadline=client.timeout * 2 + 5
    )
    checks = [
        Check(
            "configuration",
            "ok",
            f"endpoint {client.base_url}; model {client.model}; API key "
            f"{'set' if key else 'not set (fine for a local server)'}; timeout "
            f"{client.timeout:g}s; {client.policy.attempts - 1} retry in doctor",
        )
    ]
    try:
        checks += await _run(client)
    finally:
        await client.aclose()
    return checks


async def _timed(call: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = await call
    return result, time.perf_counter() - started


async def _run(client: Any) -> list[Check]:
    import openai

    from simulator.backends.base import BackendError
    from simulator.backends.llm.grading import extract_object

    checks: list[Check] = []

    # The endpoint, and whether it knows the model.
    context: int | None = None
    try:
        listing, took = await _timed(client.sdk.models.list(timeout=client.timeout))
        names = [m.id for m in listing.data]
        context = context_length(next((m for m in listing.data if m.id == client.model), None))
        if client.model in names:
            checks.append(
                Check("endpoint", "ok", f"reachable; model {client.model!r} is listed", took)
            )
        else:
            shown = ", ".join(names[:8]) + (" ..." if len(names) > 8 else "")
            checks.append(
                Check(
                    "endpoint",
                    "warn",
                    f"reachable, but {client.model!r} is not "
                    f"among its models ({shown or 'none listed'})",
                    took,
                )
            )
    except openai.AuthenticationError as err:
        checks.append(Check("endpoint", "fail", client.explain(err)))
        return checks + _skipped("fix the API key first")
    except openai.NotFoundError:
        checks.append(Check("endpoint", "warn", "no /models listing (some servers have none)"))
    except openai.APIStatusError as err:
        checks.append(Check("endpoint", "warn", client.explain(err)))
    except (openai.APIConnectionError, openai.APIError) as err:
        checks.append(Check("endpoint", "fail", client.explain(err)))
        return checks + _skipped("the endpoint cannot be reached")

    checks.append(_context_check(context, client.turn_tokens))

    # Plain chat, with the budget of an interviewer turn: a reasoning model that thinks it
    # all away fails here, as it would in an interview.
    try:
        reply, took = await _timed(client.complete(_ASK, max_tokens=client.turn_tokens))
        checks.append(
            Check(
                "plain chat",
                "ok",
                f"answered {_snippet(reply.text)!r} (finish: {reply.finish_reason})",
                took,
            )
        )
    except BackendError as err:
        checks.append(Check("plain chat", "fail", client.redact(str(err))))
        return checks + _skipped("plain chat fails", first=1)

    # Streaming, with a finish reason at the end.
    chunks: list[str] = []
    try:
        started = time.perf_counter()
        first: list[float] = []

        def sink(text: str) -> None:
            if not first:
                first.append(time.perf_counter() - started)
            chunks.append(text)

        reply, took = await _timed(client.stream(_ASK, sink, max_tokens=client.turn_tokens))
        ttft = f", first token after {first[0]:.2f}s" if first else ""
        checks.append(
            Check(
                "streaming",
                "ok",
                f"{len(chunks)} chunk(s){ttft}; finish: {reply.finish_reason}",
                took,
            )
        )
    except BackendError as err:
        checks.append(
            Check(
                "streaming",
                "fail",
                client.redact(str(err)) + " — interviewer "
                "turns need streaming with a finish reason",
            )
        )

    # Structured output, as the grader asks for it.
    modes = (
        (
            "json_schema",
            {
                "type": "json_schema",
                "json_schema": {"name": "probe", "strict": True, "schema": _PROBE_SCHEMA},
            },
        ),
        ("json_object", {"type": "json_object"}),
    )
    for name, response_format in modes:
        try:
            reply, took = await _timed(
                client.complete(
                    _ASK_JSON,
                    passthrough=(openai.BadRequestError, openai.UnprocessableEntityError),
                    response_format=response_format,
                    max_tokens=50,
                    temperature=0,
                )
            )
        except (openai.BadRequestError, openai.UnprocessableEntityError) as err:
            checks.append(
                Check(
                    name,
                    "warn",
                    f"rejected ({err.status_code}): the grader falls back to the next mode",
                )
            )
            continue
        except BackendError as err:
            checks.append(Check(name, "fail", client.redact(str(err))))
            continue
        data = extract_object(reply.text)
        if data is not None and isinstance(data.get("answer"), str):
            checks.append(Check(name, "ok", f"valid JSON {json.dumps(data)[:60]}", took))
        else:
            checks.append(
                Check(
                    name,
                    "warn",
                    f"accepted but ignored (reply "
                    f"{_snippet(reply.text)!r}); the grader falls back to the next "
                    "mode",
                    took,
                )
            )
    structured = [
        c.name for c in checks if c.name in ("json_schema", "json_object") and c.status == "ok"
    ]
    checks.append(
        Check(
            "grading",
            "ok" if structured else "warn",
            f"scorecards via {structured[0]}"
            if structured
            else "scorecards via tolerant JSON extraction (works, with re-asks)",
        )
    )
    return checks


# Measured on the shipped catalog (characters / 4): the largest opening request is about
# 2,300 tokens, 3,050 with a CV (behavioral and research rounds only); a grade request of a
# long round about 4,000. Replies need up to the turn budget, and 2,500 for a scorecard.
OPENING_TOKENS = 3050
GRADE_TOKENS = 4000
GRADE_REPLY_TOKENS = 2500
_CONTEXT_FIELDS = (
    "max_model_len",
    "context_length",
    "max_context_length",
    "context_window",
    "n_ctx",
    "n_ctx_train",
    "max_position_embeddings",
)


def context_length(model: Any) -> int | None:
    """The context size a /models entry reports (vLLM max_model_len, LM Studio
    max_context_length, llama.cpp meta.n_ctx_train, ...), or None."""
    if model is None:
        return None
    extra = dict(getattr(model, "model_extra", None) or {})
    for nested in ("meta", "details", "metadata"):
        if isinstance(extra.get(nested), dict):
            extra = {**extra[nested], **extra}
    for name in _CONTEXT_FIELDS:
        value = extra.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return int(value)
    return None


def _context_check(context: int | None, turn_tokens: int) -> Check:
    turn = OPENING_TOKENS + turn_tokens
    grade = GRADE_TOKENS + GRADE_REPLY_TOKENS
    needs = f"an interviewer turn needs about {turn:,} tokens, a grade about {grade:,}"
    if context is None:
        return Check("context", "warn", f"the server does not report its context size; {needs}")
    if context < turn:
        return Check(
            "context",
            "fail",
            f"{context:,} tokens: too small, {needs}; raise the server's context (vLLM "
            "--max-model-len, Ollama num_ctx, llama.cpp -c)",
        )
    if context < grade:
        return Check(
            "context",
            "warn",
            f"{context:,} tokens: turns fit, but a long round's grade may not ({needs})",
        )
    return Check("context", "ok", f"{context:,} tokens; {needs}")


def _skipped(reason: str, first: int = 0) -> list[Check]:
    names = ("plain chat", "streaming", "json_schema", "json_object")
    return [Check(name, "skip", reason) for name in names[first:]]


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 40 else flat[:37] + "..."
