"""One AsyncOpenAI client per backend, with onsite's own retries and one-line errors.

- The SDK's retries are off (max_retries=0): tenacity retries here, with exponential backoff and
  jitter, honouring Retry-After, bounded in attempts (settings.max_retries) and in total time,
  on 429, 5xx, connection errors, timeouts, broken streams and unreadable bodies.
- 401, 403, 404 and other 4xx are not retried: they become one clear line (BackendError).
- A streamed reply that ends without a finish reason is incomplete and is retried; tokens already
  shown are not shown twice when the retry says the same thing.
- The API key never appears in an error, a log line or anything returned.

The client holds no per-call state: concurrent calls share only the HTTP connection pool and
the few server capabilities learnt on the way (a parameter the server rejects), which only ever
go from "try it" to "do not send it".
"""

from __future__ import annotations

import email.utils
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import urlsplit

import openai
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
)

from simulator.backends.base import BackendError, TokenSink

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletionMessageParam

log = logging.getLogger("onsite.llm")
T = TypeVar("T")

DEFAULT_MODEL = "gpt-4o-mini"
TURN_MAX_TOKENS = 1024


def _sdk_messages(messages: list[dict[str, str]]) -> list[ChatCompletionMessageParam]:
    """Our messages as the SDK types them: every one is a plain {"role", "content"} dict with
    role system, user or assistant (prompts.py, grading.py, doctor.py), the SDK's own shape."""
    return cast("list[ChatCompletionMessageParam]", messages)


def turn_max_tokens(settings: Any = None) -> int:
    """The token budget of an interviewer turn; ONSITE_MAX_TOKENS raises it for reasoning
    models (their thinking counts against it)."""
    if settings is None:
        from simulator.config import current

        settings = current()
    return max(64, int(getattr(settings, "max_tokens", TURN_MAX_TOKENS)))


NO_KEY = "sk-no-key-needed"
"""Sent when only OPENAI_BASE_URL is set: local servers ignore the key, the SDK insists on one."""


class IncompleteReply(Exception):
    """The stream ended without a finish reason (a cut connection, a crashed worker)."""


class MalformedReply(Exception):
    """The server answered 200 with something that is not a chat completion."""


class ReasoningExhausted(BackendError):
    """The model spent the whole token budget before writing any visible text (a reasoning
    model thinking too long). Retrying the same request would do the same: not retried."""


# ------------------------------------------------------------------ retry policy


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    """Attempts in all: settings.max_retries + 1."""
    base: float = 0.5
    """The first backoff in seconds; it doubles per attempt, with as much jitter."""
    max_wait: float = 20.0
    deadline: float = 120.0
    """Seconds from the first attempt after which no new attempt starts."""

    @classmethod
    def from_settings(cls, settings: Any) -> RetryPolicy:
        """From Settings, with ONSITE_RETRY_BASE / _MAX_WAIT / _DEADLINE (seconds) to tune it."""
        timeout = float(getattr(settings, "request_timeout", 60.0))
        return cls(
            attempts=int(getattr(settings, "max_retries", 4)) + 1,
            base=float(getattr(settings, "retry_base", None) or 0.5),
            max_wait=float(getattr(settings, "retry_max_wait", None) or 20.0),
            deadline=float(
                getattr(settings, "retry_deadline", None) or max(120.0, 2 * timeout)
            ),
        )


def retry_after(exc: BaseException) -> float | None:
    """Seconds the server asked us to wait (retry-after-ms, Retry-After seconds or HTTP date)."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _error_code(exc: BaseException) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            return str(inner.get("code") or inner.get("type") or "")
    return str(getattr(exc, "code", "") or "")


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, IncompleteReply | MalformedReply | openai.APIConnectionError):
        return True  # APITimeoutError is an APIConnectionError
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status == 429:
            return _error_code(exc) != "insufficient_quota"
        return status in (408, 409) or status >= 500
    if isinstance(exc, openai.APIResponseValidationError):
        return True
    if isinstance(exc, openai.APIError):
        return True  # an error event inside a stream: the server broke off
    return _is_transport_error(exc)


def _is_transport_error(exc: BaseException) -> bool:
    """A raw httpx / httpx2 transport error that slipped past the SDK's wrapping."""
    for name in ("httpx", "httpx2"):
        module = __import__("sys").modules.get(name)
        if module is not None and isinstance(exc, getattr(module, "TransportError", ())):
            return True
    return False


# ------------------------------------------------------------------ the client


@dataclass
class Completion:
    text: str
    finish_reason: str | None
    raw: Any = field(default=None, repr=False)
    view: Any = field(default=None, repr=False)
    """The stream's filter of the attempt that succeeded (what it showed, why it stopped)."""


class _Echo:
    """Passes streamed text on once: a retried stream that repeats what was shown stays quiet."""

    def __init__(self, sink: TokenSink | None) -> None:
        self.sink = sink
        self.shown = ""
        self.attempt = ""

    def restart(self) -> None:
        self.attempt = ""

    def __call__(self, text: str) -> None:
        if self.sink is None or not text:
            return
        self.attempt += text
        if self.attempt.startswith(self.shown):
            extra = self.attempt[len(self.shown) :]
            self.shown = self.attempt
            if extra:
                self.sink(extra)
        elif not self.shown.startswith(self.attempt):
            # The retry says something else: mark the break and show the new reply.
            self.sink("\n… " + self.attempt)
            self.shown = self.attempt


class LLMClient:
    """A thin layer over one AsyncOpenAI: retries, capability learning, one-line errors."""

    def __init__(
        self,
        sdk: openai.AsyncOpenAI,
        model: str,
        policy: RetryPolicy,
        timeout: float,
        api_key: str | None = None,
        turn_tokens: int = TURN_MAX_TOKENS,
    ) -> None:
        self.sdk = sdk
        self.model = model
        self.policy = policy
        self.timeout = timeout
        self.turn_tokens = turn_tokens
        """Token budget of an interviewer turn (ONSITE_MAX_TOKENS), read once with the settings."""
        self._secret = api_key if api_key and api_key != NO_KEY else None
        self._token_param = "max_tokens"
        self._dropped: set[str] = set()

    @classmethod
    def from_settings(cls, settings: Any, http_client: Any = None) -> LLMClient:
        api_key = settings.api_key()
        base_url = settings.openai_base_url or None
        if not api_key and not base_url:
            raise BackendError(
                "the openai backend needs OPENAI_API_KEY (or OPENAI_BASE_URL for a "
                "local server such as vLLM, Ollama, llama.cpp or LM Studio)"
            )
        timeout = float(getattr(settings, "request_timeout", 60.0))
        sdk = openai.AsyncOpenAI(
            api_key=api_key or NO_KEY,
            base_url=base_url,
            timeout=timeout,
            max_retries=0,
            http_client=http_client,
        )
        model = getattr(settings, "model", None) or DEFAULT_MODEL
        return cls(
            sdk,
            model,
            RetryPolicy.from_settings(settings),
            timeout,
            api_key,
            turn_max_tokens(settings),
        )

    # -------------------------------------------------------------- identity

    @property
    def base_url(self) -> str:
        return str(self.sdk.base_url)

    @property
    def host(self) -> str:
        parts = urlsplit(self.base_url)
        if not parts.hostname:
            return "the server"
        return parts.hostname + (f":{parts.port}" if parts.port else "")

    def redact(self, text: str) -> str:
        """Text with the API key (and anything shaped like one) removed."""
        if self._secret:
            text = text.replace(self._secret, "***")
        return re.sub(r"\b(sk-[A-Za-z0-9_*\-]{3})[A-Za-z0-9_*\-]{4,}", r"\1***", text)

    # -------------------------------------------------------------- requests

    def _params(self, params: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in params.items() if k not in self._dropped}
        if "max_tokens" in out and self._token_param != "max_tokens":
            value = out.pop("max_tokens")
            if self._token_param:
                out[self._token_param] = value
        return out

    def _learn(self, err: openai.BadRequestError, sent: dict[str, Any]) -> bool:
        """A 400 that names a parameter we sent: stop sending it (or rename it). True to resend."""
        message = str(getattr(err, "message", "") or err).lower()
        if "max_tokens" in message and "max_tokens" in sent:
            self._token_param = "max_completion_tokens"
            return True
        if "max_completion_tokens" in message and "max_completion_tokens" in sent:
            self._token_param = ""
            return True
        for name in ("temperature", "seed", "top_p", "stop"):
            if name in message and name in sent and name not in self._dropped:
                self._dropped.add(name)
                return True
        return False

    async def _create(self, messages: list[dict[str, str]], **params: Any) -> Any:
        for _ in range(4):
            sent = self._params(params)
            try:
                return await self.sdk.chat.completions.create(
                    model=self.model, messages=_sdk_messages(messages), timeout=self.timeout, **sent
                )
            except openai.BadRequestError as err:
                if not self._learn(err, sent):
                    raise
        raise BackendError(f"{self.host} rejected every variant of the request (400)")

    async def complete(
        self,
        messages: list[dict[str, str]],
        passthrough: tuple[type[BaseException], ...] = (),
        **params: Any,
    ) -> Completion:
        """One non-streamed completion, retried on transient faults.

        Errors of the `passthrough` types reach the caller as they are (the grader's ladder
        handles a rejected response_format itself); the rest become one-line BackendErrors.
        """

        async def attempt() -> Completion:
            try:
                response = await self._create(messages, stream=False, **params)
            except ValueError as err:  # a 200 whose body is not JSON
                raise MalformedReply(
                    f"the body was not JSON ({_one_line(str(err))[:60]})"
                ) from None
            choices = getattr(response, "choices", None)
            if not choices:
                raise MalformedReply("no choices in the reply")
            choice = choices[0]
            if choice.finish_reason is None:
                raise IncompleteReply("the reply has no finish reason")
            content = getattr(choice.message, "content", None) or ""
            if choice.finish_reason == "length" and not content.strip():
                raise ReasoningExhausted(self.no_visible_text(params.get("max_tokens")))
            return Completion(text=content, finish_reason=choice.finish_reason, raw=response)

        return await self.retrying(attempt, passthrough)

    async def stream(
        self,
        messages: list[dict[str, str]],
        on_token: TokenSink | None,
        transform: Callable[[], Callable[[str], str]] | None = None,
        validate: Callable[[str], None] | None = None,
        passthrough: tuple[type[BaseException], ...] = (),
        **params: Any,
    ) -> Completion:
        """A streamed completion; visible text goes to on_token as it arrives.

        `transform()` makes a fresh filter per attempt (raw chunk -> visible text). A filter may
        end the reply early (its `stopped` attribute set: the rest is not read) and may hold
        text back until the end (its `finish(complete)` returns it). `validate` may raise
        MalformedReply on a finished but unusable reply, which is retried too. The filter of
        the attempt that succeeded is returned as `Completion.view`.
        """
        echo = _Echo(on_token)

        async def attempt() -> Completion:
            echo.restart()
            visible = transform() if transform else (lambda s: s)
            parts: list[str] = []
            shown: list[str] = []
            finish: str | None = None
            stream = await self._create(messages, stream=True, **params)
            try:
                async for chunk in stream:
                    for choice in getattr(chunk, "choices", None) or []:
                        if getattr(choice, "index", 0) != 0:
                            continue
                        delta = getattr(choice, "delta", None)
                        content = getattr(delta, "content", None) if delta else None
                        if content:
                            parts.append(content)
                            shown.append(visible(content))
                            echo(shown[-1])
                        if choice.finish_reason:
                            finish = choice.finish_reason
                    if getattr(visible, "stopped", None):
                        finish = finish or "stop"  # enough was read: the rest is not used
                        break
            except ValueError as err:  # the SDK's JSONDecodeError on a `data:` line
                raise MalformedReply(
                    f"a streamed line was not JSON ({_one_line(str(err))[:60]})"
                ) from None
            finally:
                await stream.close()
            if finish is None:
                raise IncompleteReply("the stream ended without a finish reason")
            closing = getattr(visible, "finish", None)
            if closing is not None:
                shown.append(closing(finish != "length"))
                echo(shown[-1])
            if finish == "length" and not "".join(shown).strip():
                raise ReasoningExhausted(self.no_visible_text(params.get("max_tokens")))
            text = "".join(parts)
            if validate:
                validate(text)
            return Completion(text=text, finish_reason=finish, view=visible)

        return await self.retrying(attempt, passthrough)

    def no_visible_text(self, budget: Any) -> str:
        tokens = f" of {budget} tokens" if budget else ""
        return (
            f"model {self.model!r} used its whole budget{tokens} without writing an answer "
            "(a reasoning model thinking too long): raise ONSITE_MAX_TOKENS, or turn thinking "
            "off on the server (Qwen3: /no_think; Ollama: think=false; vLLM: "
            "enable_thinking=false)"
        )

    async def retrying(
        self, attempt: Callable[[], Awaitable[T]], passthrough: tuple[type[BaseException], ...] = ()
    ) -> T:
        """Run `attempt` under the retry policy; give up with one clear line."""
        policy = self.policy
        started = time.monotonic()

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            asked = retry_after(exc) if exc else None
            if asked is not None:
                return asked + random.uniform(0, policy.base / 4)
            backoff = min(policy.max_wait, policy.base * 2 ** (state.attempt_number - 1))
            return backoff + random.uniform(0, backoff)

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            log.info("retrying after %s (attempt %d)", describe(exc), state.attempt_number)

        retrying = AsyncRetrying(
            stop=stop_after_attempt(max(1, policy.attempts)) | stop_before_delay(policy.deadline),
            wait=wait,
            retry=retry_if_exception(is_transient),
            before_sleep=before_sleep,
            reraise=True,
        )
        attempts = 0
        try:
            async for try_ in retrying:
                with try_:
                    attempts += 1
                    return await attempt()
        except BackendError:
            raise
        except passthrough:
            raise
        except Exception as exc:
            if not isinstance(
                exc, openai.OpenAIError | IncompleteReply | MalformedReply
            ) and not _is_transport_error(exc):
                raise
            raise BackendError(self.explain(exc, attempts, time.monotonic() - started)) from None
        raise AssertionError("unreachable")  # pragma: no cover

    # -------------------------------------------------------------- errors

    def explain(self, exc: BaseException, attempts: int = 1, elapsed: float = 0.0) -> str:
        """One line for the candidate: what failed, and what to do."""
        host = self.host
        tries = f" after {attempts} attempt{'s' if attempts != 1 else ''}" if attempts > 1 else ""
        if isinstance(exc, openai.AuthenticationError):
            return f"the API key was rejected by {host} (401); check OPENAI_API_KEY"
        if isinstance(exc, openai.PermissionDeniedError):
            return (
                f"{host} refused access (403): the key may not have access to model {self.model!r}"
            )
        if isinstance(exc, openai.NotFoundError):
            text = str(getattr(exc, "message", "")).lower()
            if "model" in text or "model" in _error_code(exc):
                return (
                    f"model {self.model!r} is not available at {host} (404); choose one with "
                    "--model or ONSITE_MODEL (onsite doctor lists what the server has)"
                )
            return (
                f"{self.base_url.rstrip('/')}/chat/completions was not found (404); check "
                "OPENAI_BASE_URL (it usually ends in /v1) and the model name"
            )
        if isinstance(exc, openai.RateLimitError):
            if _error_code(exc) == "insufficient_quota":
                return f"{host} says the account's quota is used up (429 insufficient_quota)"
            asked = retry_after(exc)
            wait = f"; it asks to wait {asked:.0f}s" if asked else ""
            return f"{host} is rate-limiting requests (429){tries}{wait}; try again later"
        if isinstance(exc, openai.APITimeoutError):
            return (
                f"no reply from {host} within {self.timeout:g}s{tries}; the server may be "
                "overloaded (raise ONSITE_REQUEST_TIMEOUT for slow local models)"
            )
        if isinstance(exc, openai.APIConnectionError) or _is_transport_error(exc):
            return f"cannot reach {self.base_url}{tries} (connection failed or was reset)"
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            if status >= 500:
                return f"{host} kept failing (HTTP {status}){tries}; try again later"
            detail = self.redact(_one_line(str(getattr(exc, "message", "") or exc)))[:160]
            return f"{host} rejected the request (HTTP {status}): {detail}"
        if isinstance(exc, IncompleteReply):
            return f"the reply from {host} kept breaking off before it finished{tries}"
        if isinstance(exc, MalformedReply) and "streamed line" in str(exc):
            return f"{host} sent a malformed stream{tries}: {exc}"
        if isinstance(exc, MalformedReply | openai.APIResponseValidationError):
            return (
                f"{host} did not answer like an OpenAI-compatible server{tries} (is "
                "OPENAI_BASE_URL right?)"
            )
        return self.redact(f"{host}: {describe(exc)}")

    async def aclose(self) -> None:
        await self.sdk.close()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def describe(exc: BaseException | None) -> str:
    if exc is None:
        return "no error"
    status = getattr(exc, "status_code", None)
    name = type(exc).__name__
    return f"{name} (HTTP {status})" if status else name
