"""A loopback OpenAI-compatible server: the fake shipped beside the real client.

It speaks just enough of the chat completions API for the real ``openai``
SDK to talk to it through ``base_url``, records every request (so tests can
prove what crossed the wire) and can misbehave on demand:

========================  =====================================================
mode                      behaviour
========================  =====================================================
``good``                  a valid answer, in whatever format was asked
``rate_limit``            HTTP 429 with ``Retry-After``
``server_error``          HTTP 500
``slow``                  a valid answer after ``delay`` seconds
``malformed``             200, but the content is not JSON
``invalid``               200, JSON that does not match the schema
``reject_json_schema``    as llama-cpp-python's server: HTTP 500 naming ``response_format``
                          for ``json_schema``; ``json_object`` with a schema works
``reject_json_schema_400`` HTTP 400 for ``json_schema`` (other servers); ``json_object`` works
``plain_only``            400 for any ``response_format``; plain requests work
``garbage``               200 with an HTML body instead of a completion
========================  =====================================================

Scripted replies (:meth:`FakeOpenAI.enqueue`) are served first, in order,
then the mode applies. Run it for a demo::

    python -m bot.llm.fake --port 8089            # then, in another shell:
    OPENAI_API_KEY=fake OPENAI_BASE_URL=http://127.0.0.1:8089/v1 canipost check "..."
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bot.server.live import StandIn

MODES: tuple[str, ...] = (
    "good",
    "rate_limit",
    "server_error",
    "slow",
    "malformed",
    "invalid",
    "reject_json_schema",
    "reject_json_schema_400",
    "plain_only",
    "garbage",
)

Responder = Callable[[dict[str, Any]], Any]


@dataclass(slots=True)
class Recorded:
    """One request as it arrived (header names lower-cased); ``raw`` is what crossed the wire."""

    method: str
    path: str
    headers: dict[str, str]
    raw: str
    body: Any
    status: int = 0
    server_ms: float = 0.0

    @property
    def response_format(self) -> str | None:
        rf = self.body.get("response_format") if isinstance(self.body, dict) else None
        return rf.get("type") if isinstance(rf, dict) else None


@dataclass(slots=True)
class Reply:
    """A scripted reply: a status, a message ``content`` (str or JSON-able), headers, a delay."""

    status: int = 200
    content: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    raw: str | None = None
    finish_reason: str = "stop"


def _messages_text(body: dict[str, Any]) -> str:
    return "\n".join(
        str(m.get("content") or "") for m in body.get("messages") or [] if isinstance(m, dict)
    )


def _draft_of(body: dict[str, Any]) -> str:
    # The last block: the system prompt mentions the tags too.
    blocks = re.findall(r"<draft>\n(.*?)\n</draft>", _messages_text(body), re.DOTALL)
    return blocks[-1] if blocks else ""


def default_responder(body: dict[str, Any]) -> dict[str, Any]:
    """A plausible, schema-valid answer to a critique or an ask request."""
    text = json.dumps(body)
    if "canipost_answer" in text:
        system = _messages_text(body)
        anchors = re.findall(r"\[(protocol#[a-z0-9-]+)\]", system)
        cites = []
        if anchors:
            after = system.split(f"[{anchors[0]}]", 1)[1].strip().splitlines()
            sentence = next((ln for ln in after if len(ln.split()) > 4), "")
            cites.append({"anchor": anchors[0], "quote": sentence.split(". ")[0]})
        return {
            "answer": f"Fake answer, from {anchors[0] if anchors else 'no section'}.",
            "citations": cites,
            "off_topic": not anchors,
        }
    draft = _draft_of(body)
    words = draft.split()
    findings = []
    if words:
        findings.append(
            {
                "category": "strategy",
                "severity": "advise",
                "quote": " ".join(words[:5]),
                "explanation": "Fake critique: read it aloud before posting.",
                "suggestion": "Make the opening friendlier.",
            }
        )
    return {
        "findings": findings,
        "summary": "Fake review: the rules' findings stand.",
        "rewrite": f"Rewritten: {draft}" if draft else None,
    }


def estimate_tokens(text: str) -> int:
    """About four characters a token, as for English with OpenAI's tokenisers."""
    return (len(text) + 3) // 4


def completion(
    content: str,
    model: str = "fake",
    finish_reason: str = "stop",
    prompt_tokens: int = 0,
) -> dict[str, Any]:
    """A chat completion; ``usage`` counts tokens as :func:`estimate_tokens` does."""
    completion_tokens = estimate_tokens(content)
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def _error(status: int, message: str, kind: str = "invalid_request_error") -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "code": status}}


_LLAMA_CPP_REFUSAL = {
    "error": {
        "message": "1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format', "
        "'type'), 'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema', "
        "'ctx': {'expected': \"'text' or 'json_object'\"}}",
        "type": "internal_server_error",
        "param": None,
        "code": None,
    }
}


class FakeOpenAI(StandIn):
    """A threaded HTTP server on 127.0.0.1 playing the OpenAI API (a :class:`StandIn`).

    >>> with FakeOpenAI(mode="rate_limit", retry_after="0") as fake:  # doctest: +SKIP
    ...     os.environ["OPENAI_BASE_URL"] = fake.url
    """

    # A short poll interval: stop() returns in milliseconds, which keeps test suites fast.
    poll_interval = 0.02

    def __init__(
        self,
        mode: str = "good",
        *,
        port: int = 0,
        retry_after: str = "1",
        delay: float = 2.0,
        responder: Responder | None = None,
        max_context_chars: int | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; allowed: {', '.join(MODES)}")
        super().__init__(port=port)
        self.mode = mode
        self.retry_after = retry_after
        self.delay = delay
        self.responder = responder or default_responder
        #: Like a small local model: refuse prompts longer than this (HTTP 400, as llama.cpp).
        self.max_context_chars = max_context_chars
        self.requests: list[Recorded] = []
        self._queue: deque[Reply] = deque()

    # ------------------------------------------------------------------ control

    @property
    def url(self) -> str:
        """The ``base_url`` for the SDK (``OPENAI_BASE_URL``)."""
        return f"{self.base_url}/v1"

    def enqueue(self, *replies: Reply) -> None:
        with self.cond:
            self._queue.extend(replies)

    @property
    def completions(self) -> list[Recorded]:
        """Recorded chat completion requests, in order."""
        with self.cond:
            return [r for r in self.requests if urlsplit(r.path).path.endswith("/chat/completions")]

    def clear(self) -> None:
        with self.cond:
            self.requests.clear()
            self._queue.clear()

    def start(self) -> FakeOpenAI:
        """Serve from a background thread (as ``with FakeOpenAI() as fake:`` does)."""
        return self.__enter__()

    def stop(self) -> None:
        """Stop serving; a slow reply still waiting is dropped."""
        self.__exit__(None, None, None)

    # ------------------------------------------------------------------ behaviour

    def _next(self) -> Reply | None:
        with self.cond:
            return self._queue.popleft() if self._queue else None

    def _good(self, body: dict[str, Any]) -> Reply:
        answer = self.responder(body)
        content = answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)
        return Reply(200, content)

    def respond(self, body: Any) -> Reply:
        """Decide the reply to one chat completion request."""
        scripted = self._next()
        if scripted is not None:
            return scripted
        if not isinstance(body, dict):
            return Reply(400, raw=json.dumps(_error(400, "body must be a JSON object")))
        fmt = (
            body.get("response_format", {}).get("type")
            if isinstance(body.get("response_format"), dict)
            else None
        )
        mode = self.mode
        if self.max_context_chars is not None:
            size = len(_messages_text(body))
            if size > self.max_context_chars:
                message = (
                    f"This model's maximum context length is {self.max_context_chars} tokens. "
                    f"However, you requested {size} tokens. Please reduce the length of the messages."
                )
                return Reply(400, raw=json.dumps(_error(400, message)))
        if mode == "rate_limit":
            return Reply(
                429,
                raw=json.dumps(_error(429, "Rate limit reached", "rate_limit_exceeded")),
                headers={"Retry-After": self.retry_after},
            )
        if mode == "server_error":
            return Reply(
                500, raw=json.dumps(_error(500, "The server had an error", "server_error"))
            )
        if mode == "slow":
            reply = self._good(body)
            reply.delay = self.delay
            return reply
        if mode == "malformed":
            return Reply(200, "Sure! Here is my review: {findings: [oops")
        if mode == "invalid":
            return Reply(
                200,
                json.dumps({"findings": [{"category": "gossip", "severity": "meh"}], "summary": 3}),
            )
        if mode == "reject_json_schema" and fmt == "json_schema":
            # Word for word what llama-cpp-python 0.3's server answers, status included.
            return Reply(500, raw=json.dumps(_LLAMA_CPP_REFUSAL))
        if mode == "reject_json_schema_400" and fmt == "json_schema":
            return Reply(
                400, raw=json.dumps(_error(400, "response_format json_schema is not supported"))
            )
        if mode == "plain_only" and fmt is not None:
            return Reply(
                400, raw=json.dumps(_error(400, f"response_format {fmt!r} is not supported"))
            )
        if mode == "garbage":
            return Reply(
                200,
                raw="<html><body>502 Bad Gateway</body></html>",
                headers={"Content-Type": "text/html"},
            )
        return self._good(body)

    def handle(
        self, method: str, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any, dict[str, str]] | None:
        """Answer one request as the OpenAI API would, or as ``mode`` misbehaves."""
        if method == "GET":
            if path == "/_fake/stats":  # for a fake run in another process
                return 200, {"completions": len(self.completions)}, {}
            if path.rstrip("/").endswith("/models"):
                return 200, {"object": "list", "data": [{"id": "fake", "object": "model"}]}, {}
            return 404, _error(404, "not found"), {}
        if method != "POST":
            return 405, _error(405, f"method {method} not allowed"), {}
        started = time.perf_counter()
        text = raw.decode("utf-8", errors="replace")
        try:
            body: Any = json.loads(text)
        except json.JSONDecodeError:
            body = None
        rec = Recorded("POST", path, {k.lower(): v for k, v in headers.items()}, text, body)
        with self.cond:
            self.requests.append(rec)
            self.cond.notify_all()
        if not urlsplit(path).path.rstrip("/").endswith("/chat/completions"):
            rec.status = 404
            return 404, _error(404, f"no route {path}"), {}
        reply = self.respond(body)
        if reply.delay and self.stopping.wait(reply.delay):
            return None
        if reply.raw is not None:
            payload = reply.raw
        else:
            content = reply.content
            if not isinstance(content, str):
                content = json.dumps(content, ensure_ascii=False)
            model = body.get("model", "fake") if isinstance(body, dict) else "fake"
            tokens = estimate_tokens(_messages_text(body)) if isinstance(body, dict) else 0
            payload = json.dumps(
                completion(content, model, reply.finish_reason, tokens), ensure_ascii=False
            )
        rec.status = reply.status
        rec.server_ms = (time.perf_counter() - started) * 1000
        return reply.status, payload.encode("utf-8"), reply.headers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.llm.fake",
        description="Run a loopback OpenAI-compatible fake server (for demos and manual tests).",
    )
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--mode", choices=MODES, default="good")
    parser.add_argument("--retry-after", default="1", help="Retry-After header in rate_limit mode")
    parser.add_argument("--delay", type=float, default=2.0, help="seconds to wait in slow mode")
    args = parser.parse_args(argv)
    fake = FakeOpenAI(args.mode, port=args.port, retry_after=args.retry_after, delay=args.delay)
    print(f"fake OpenAI API ({args.mode}) at {fake.url}; Ctrl-C to stop", flush=True)
    try:
        fake.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        fake.server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
