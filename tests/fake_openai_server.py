"""A small OpenAI-compatible server on 127.0.0.1 for the tests and the benchmark.

`/v1/chat/completions` answers streamed (SSE) and plain JSON requests like a real server, playing
the interviewer, the grader and the debrief writer from what the prompts contain. Faults are
scripted per request, in order:

    server.faults.extend(["429:0.2", "500", "reset"])    # the next three requests fail

    "429[:SECONDS]"  rate limited, with Retry-After        "500", "503"  server errors
    "reset"          connection reset, no response          "cut"   stream cut before finish_reason
    "slow[:SECONDS]" nothing for SECONDS (first token late) "nonjson"  200 with an HTML body
    "401", "404"     wrong key / unknown model (also automatic: see api_key and models)

Persistent switches: `reject_json_schema` (400 on response_format json_schema, as old vLLM and
llama.cpp servers do), `ignore_json_schema` (prose instead of JSON), `reject_json_object`.
`grade_replies` scripts the raw content of the next grading replies (for re-ask tests).
Every request body is kept in `requests`.

Quirks imitate real local servers and models. `quirks` (a set) holds the ones that always
apply; `turn_quirks` (a deque) the ones for the next interviewer requests, one per request:

    "leak"        the turn reads out the rubric's key points ("A strong answer would mention ...")
    "self_answer" the turn asks, then writes "Candidate: ..." and answers itself (stop ignored)
    "repeat"      every follow-up asks the same question
    "ramble"      a 2,000-token essay cut at max_tokens (finish_reason "length")
    "r1"          R1-style reasoning with only a closing </think> before the reply
    "think_all"   reasoning in `reasoning_content` uses the whole budget: no content, "length"
    "bad_sse"     one `data:` line of the stream is not JSON
    "obey"        (grader) obeys an injected "SYSTEM: ... output 4" line: 4 everywhere, quoting it
    "sloppy"      (grader) one criterion missing, a 3.5 and a 5, a criterion keyed by its name,
                  near-verbatim quotes (a dropped ".", "I'd" for "I would", **bold**, "...")

`token_delay` sleeps between streamed events (a slow local model); `context_length` is reported
as vLLM's `max_model_len` in the model listing.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import struct
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

INVENTED_QUOTE = "I would deploy a quantum blockchain cache on Mars"


# ------------------------------------------------------------------ wire formats (respx tests too)


def completion_json(content: str, model: str = "test-model", finish: str | None = "stop") -> dict:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish,
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def chunk_json(content: str | None, finish: str | None = None, model: str = "test-model") -> dict:
    delta = {"content": content} if content is not None else {}
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def sse_events(text: str, finish: str | None = "stop", pieces: int = 4) -> list[bytes]:
    """The SSE events of a streamed reply; with finish=None the stream is cut before the end."""
    words = re.findall(r"\s*\S+\s*", text) or [text]
    size = max(1, len(words) // pieces)
    parts = ["".join(words[i : i + size]) for i in range(0, len(words), size)]
    events = [
        b'data: {"id":"chatcmpl-fake","object":"chat.completion.chunk","created":0,'
        b'"model":"test-model","choices":[{"index":0,"delta":{"role":"assistant"},'
        b'"finish_reason":null}]}\n\n'
    ]
    events += [f"data: {json.dumps(chunk_json(p))}\n\n".encode() for p in parts]
    if finish is not None:
        events.append(f"data: {json.dumps(chunk_json(None, finish))}\n\n".encode())
        events.append(b"data: [DONE]\n\n")
    return events


def error_json(message: str, code: str | None = None, kind: str = "invalid_request_error") -> dict:
    return {"error": {"message": message, "type": kind, "code": code, "param": None}}


# ------------------------------------------------------------------ what the fake model says


def _system(body: dict) -> str:
    return "\n".join(
        m.get("content") or "" for m in body.get("messages", []) if m.get("role") == "system"
    )


def _everything(body: dict) -> str:
    return "\n".join(str(m.get("content") or "") for m in body.get("messages", []))


def is_grading(body: dict) -> bool:
    return "interview grader" in _system(body)


def is_debrief(body: dict) -> bool:
    return "debrief of a mock onsite" in _system(body)


def interviewer_text(body: dict) -> str:
    system = _system(body)
    ids = re.findall(r"^- ([\w-]+): .*\(weight", system, re.MULTILINE) or ["general"]
    turn = sum(1 for m in body.get("messages", []) if m.get("role") == "assistant")
    if "Time is up" in _everything(body).split("[Private interviewer notes")[-1]:
        return "[close] Thanks, that's all the time we have. What questions do you have for me?"
    if turn == 0:
        title = re.search(r'^"(.*)"$', system, re.MULTILINE)
        return f"[question] Hi, welcome. Let's start: {title.group(1) if title else 'the task'}."
    criterion = ids[turn % len(ids)]
    return f"[probe:{criterion}] Thanks. Follow-up {turn}: tell me more about {criterion}?"


ESSAY_SENTENCE = (
    "Let me explain how production systems usually handle this kind of problem in detail, "
    "because there are many considerations worth walking through carefully. "
)
LEAKED = "A strong answer would mention about 1,200 writes/s and 62^7 keys, roughly 3.5 trillion."
SELF_ANSWER = "Candidate: I would shard by the short key and put Redis in front."
REASONING = (
    "Okay, the candidate gave an answer. I should probe the next criterion without giving "
    "away the key points. Let me think about which one."
)


def quirky_turn(body: dict, quirk: str) -> str | None:
    """The raw content of an interviewer turn under a quirk (None: the normal turn)."""
    normal = interviewer_text(body)
    turn = sum(1 for m in body.get("messages", []) if m.get("role") == "assistant")
    if turn == 0 and quirk in ("leak", "self_answer", "repeat"):
        return None  # the opening is asked normally
    if quirk == "leak":
        return f"[probe:estimation] {LEAKED} Which of those did you cover?"
    if quirk == "self_answer":
        return f"{normal}\n{SELF_ANSWER}\nInterviewer: Great answer!"
    if quirk == "repeat":
        return "[probe:architecture] How would you store the mapping from short key to long URL?"
    if quirk == "ramble":
        return "[probe:architecture] " + ESSAY_SENTENCE * 60
    if quirk == "r1":
        return f"{REASONING}\n</think>\n\n{normal}"
    return None


def grade_object(body: dict, scores: int | dict[str, int], invent: bool) -> dict[str, Any]:
    system = _system(body)
    ids_line = re.search(r"^Criterion ids: (.*)$", system, re.MULTILINE)
    ids = [i.strip() for i in ids_line.group(1).split(",")] if ids_line else []
    words = re.findall(r"<<<CANDIDATE-(\w+)\n(.*?)\nCANDIDATE-\1>>>", _everything(body), re.DOTALL)
    first = words[0][1] if words else ""
    quote = " ".join(first.split()[:8])
    criteria = {}
    for cid in ids:
        evidence = [quote] if quote else []
        if invent:
            evidence.append(INVENTED_QUOTE)
        score = scores.get(cid, 3) if isinstance(scores, dict) else scores
        criteria[cid] = {"evidence": evidence, "feedback": f"Feedback on {cid}.", "score": score}
    return {
        "injection_attempt": False,
        "criteria": criteria,
        "strengths": ["Clear structure."],
        "improvements": ["More numbers."],
    }


def _criterion_ids(body: dict) -> list[str]:
    found = re.search(r"^Criterion ids: (.*)$", _system(body), re.MULTILINE)
    return [i.strip() for i in found.group(1).split(",")] if found else []


def _candidate_words(body: dict) -> str:
    found = re.findall(r"<<<CANDIDATE-(\w+)\n(.*?)\nCANDIDATE-\1>>>", _everything(body), re.DOTALL)
    return "\n".join(words for _, words in found)


def obeying_grade(body: dict) -> dict[str, Any]:
    """A model that does what the candidate's "SYSTEM:" line says, and quotes it as evidence."""
    words = _candidate_words(body)
    line = next((ln.strip() for ln in words.splitlines() if "SYSTEM:" in ln), "")
    criteria = {
        cid: {"evidence": [line], "feedback": "Excellent.", "score": 4}
        for cid in _criterion_ids(body)
    }
    return {"injection_attempt": False, "criteria": criteria, "strengths": [], "improvements": []}


def sloppy_grade(body: dict) -> dict[str, Any]:
    """A small model's grade: usable, but not to the letter of the schema."""
    ids = _candidate_words(body) and _criterion_ids(body)
    names = dict(re.findall(r"^- ([\w-]+): (.*?) \(weight", _system(body), re.MULTILINE))
    sentence = re.split(r"(?<=\.)\s", _candidate_words(body).strip())[0]
    near = sentence.rstrip(".").replace("I would", "I'd")
    words = near.split()
    if len(words) > 8:
        near = " ".join(words[:3]) + " ... " + " ".join(words[-3:])
    criteria: dict[str, Any] = {}
    for index, cid in enumerate(ids[:-1]):  # the last criterion is left out
        key = names.get(cid, cid) if index == 1 else cid  # one keyed by its name
        score: Any = (3.5, 5, "3 (lean hire)")[index % 3]
        criteria[key] = {"evidence": [f"**{near}**"], "feedback": "Fine.", "score": score}
    return {"injection_attempt": False, "criteria": criteria, "strengths": [], "improvements": []}


# ------------------------------------------------------------------ the server


class FakeOpenAI:
    def __init__(
        self,
        delay: float = 0.0,
        api_key: str | None = None,
        models: tuple[str, ...] = ("gpt-4o-mini", "test-model"),
    ) -> None:
        self.delay = delay
        self.api_key = api_key
        self.models = models
        self.faults: deque[str] = deque()
        self.grade_replies: deque[str] = deque()
        self.reject_json_schema = False
        self.ignore_json_schema = False
        self.reject_json_object = False
        self.scores: int | dict[str, int] = 3
        self.invent_quotes = True
        self.quirks: set[str] = set()
        self.turn_quirks: deque[str] = deque()
        self.token_delay = 0.0
        self.context_length: int | None = None
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> FakeOpenAI:
        fake = self

        class Handler(_Handler):
            server_state = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def next_fault(self) -> str | None:
        with self.lock:
            return self.faults.popleft() if self.faults else None

    def quirk_for(self, body: dict) -> str | None:
        """The quirk of this request: a one-off for the next turn first, else a standing one."""
        with self.lock:
            if not is_grading(body) and not is_debrief(body) and self.turn_quirks:
                return self.turn_quirks.popleft()
            for quirk in ("leak", "self_answer", "repeat", "ramble", "r1", "think_all", "bad_sse"):
                if quirk in self.quirks:
                    return quirk
        return None

    def chat_requests(self, kind: str | None = None) -> list[dict]:
        with self.lock:
            bodies = list(self.requests)
        if kind == "grade":
            return [b for b in bodies if is_grading(b)]
        if kind == "turn":
            return [b for b in bodies if not is_grading(b) and not is_debrief(b)]
        return bodies


class _Handler(BaseHTTPRequestHandler):
    server_state: FakeOpenAI
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        state = self.server_state
        if not self._authorised():
            return
        if self.path.rstrip("/").endswith("/models"):
            models = [
                {"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in state.models
            ]
            if state.context_length:
                for model in models:
                    model["max_model_len"] = state.context_length
            self._json(200, {"object": "list", "data": models})
        else:
            self._json(404, error_json("not found"))

    def _authorised(self) -> bool:
        state = self.server_state
        if state.api_key is None:
            return True
        given = self.headers.get("Authorization", "")
        if given == f"Bearer {state.api_key}":
            return True
        # Like OpenAI, the message echoes the key it got: onsite must never repeat it.
        self._json(401, error_json(f"Incorrect API key provided: {given[7:]}", "invalid_api_key"))
        return False

    def do_POST(self) -> None:
        state = self.server_state
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            self._json(400, error_json("body is not JSON"))
            return
        with state.lock:
            state.requests.append(body)
        fault = state.next_fault()
        with contextlib.suppress(OSError):  # the client gave up (a timeout test)
            self._answer(body, fault)

    def _answer(self, body: dict, fault: str | None) -> None:
        state = self.server_state
        name, _, arg = (fault or "").partition(":")
        if name == "slow":
            time.sleep(float(arg or 2.0))
        elif state.delay:
            time.sleep(state.delay)
        if name == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            return
        if name == "429":
            self._json(
                429,
                error_json("Rate limit reached", "rate_limit_exceeded", "requests"),
                {"Retry-After": arg or "0.05"},
            )
            return
        if name in ("500", "503"):
            self._json(int(name), error_json("The server had an error", None, "server_error"))
            return
        if name == "401":
            self._json(401, error_json("Incorrect API key provided", "invalid_api_key"))
            return
        if name == "nonjson":
            page = b"<html><body>502 Bad Gateway</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)
            return
        if not self._authorised():
            return
        model = body.get("model")
        if name == "404" or model not in state.models:
            self._json(404, error_json(f"The model `{model}` does not exist", "model_not_found"))
            return
        fmt = (body.get("response_format") or {}).get("type")
        if fmt == "json_schema" and state.reject_json_schema:
            self._json(400, error_json("response_format json_schema is not supported"))
            return
        if fmt == "json_object" and state.reject_json_object:
            self._json(400, error_json("response_format json_object is not supported"))
            return
        quirk = state.quirk_for(body)
        if quirk == "think_all" and body.get("stream"):
            self._stream("", cut=False, reasoning=REASONING * 20, finish="length")
            return
        if quirk == "think_all":
            reply = completion_json("", model, finish="length")
            reply["choices"][0]["message"]["reasoning_content"] = REASONING * 20
            self._json(200, reply)
            return
        content = self._content(body, fmt)
        finish = "stop"
        if quirk and not is_grading(body) and not is_debrief(body):
            content = quirky_turn(body, quirk) or content
            finish = "length" if quirk == "ramble" else "stop"
        if body.get("stream"):
            self._stream(content, cut=name == "cut", bad_line=quirk == "bad_sse", finish=finish)
        elif name == "cut":
            payload = json.dumps(completion_json(content, model)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload) + 100))
            self.end_headers()
            self.wfile.write(payload[: len(payload) // 2])
        else:
            if state.token_delay:  # a slow model writes the whole reply before it is sent
                time.sleep(state.token_delay * max(4, len(content) // 40))
            self._json(200, completion_json(content, model))

    def _content(self, body: dict, fmt: str | None) -> str:
        state = self.server_state
        asked = _everything(body)
        if "Reply with a JSON object" in asked:  # onsite doctor's probes
            return json.dumps({"answer": "ready"})
        if "Reply with the single word" in asked:
            return "ready"
        if is_debrief(body):
            return json.dumps(
                {
                    "summary": "A fake committee summary.",
                    "focus": ["Focus one.", "Focus two.", "Focus three."],
                }
            )
        if not is_grading(body):
            return interviewer_text(body)
        if fmt == "json_schema" and state.ignore_json_schema:
            return "The candidate did quite well overall, I would say a 3."
        with state.lock:
            scripted = state.grade_replies.popleft() if state.grade_replies else None
        if scripted is not None:
            return scripted
        if "obey" in state.quirks and "SYSTEM:" in asked:
            return json.dumps(obeying_grade(body))
        if "sloppy" in state.quirks:
            return json.dumps(sloppy_grade(body))
        text = json.dumps(grade_object(body, state.scores, state.invent_quotes))
        if fmt is None:  # no structured output: answer the way chatty models do
            return f"Here is the grade:\n```json\n{text}\n```\nLet me know if you need more."
        return text

    def _stream(
        self,
        content: str,
        cut: bool,
        bad_line: bool = False,
        reasoning: str = "",
        finish: str = "stop",
    ) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        pieces = max(4, len(content) // 40)
        events = sse_events(content, finish=None if cut else finish, pieces=pieces)
        if reasoning:  # vLLM / DeepSeek: reasoning arrives in its own field, content stays empty
            thinking = chunk_json(None)
            thinking["choices"][0]["delta"] = {"reasoning_content": reasoning}
            events.insert(1, f"data: {json.dumps(thinking)}\n\n".encode())
        if cut:
            events = events[:2]
        if bad_line:
            events.insert(2, b'data: {"id": "chatcmpl-fake", "choices": [\n\n')
        delay = self.server_state.token_delay
        for event in events:
            self.wfile.write(event)
            self.wfile.flush()
            if delay:
                time.sleep(delay)
        if cut:
            self.connection.shutdown(socket.SHUT_RDWR)


if __name__ == "__main__":  # python -m tests.fake_openai_server: serve until Ctrl-C
    with FakeOpenAI() as fake:
        print(f"OPENAI_BASE_URL={fake.url}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
