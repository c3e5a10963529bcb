"""The one place that talks to an OpenAI-compatible chat completions endpoint.

Configured from the organisation config and the environment (see
:func:`settings_from_config`): ``OPENAI_API_KEY``, ``OPENAI_BASE_URL``,
``CANIPOST_MODEL``, or Azure OpenAI's ``AZURE_OPENAI_ENDPOINT`` /
``AZURE_OPENAI_API_KEY`` / ``OPENAI_API_VERSION``.

Retries have one owner. The SDK's own retries are off (``max_retries=0``);
tenacity retries connection errors, timeouts, 408, 429 (waiting what
``Retry-After`` asks, within a cap) and 5xx with random exponential
back-off, all inside one total deadline (``llm.timeout``: default 30 s for
a hosted service, 300 s for an endpoint on loopback or a private network,
where a local model on a CPU answers slowly but surely). Any other 4xx is
final. Two retry layers would multiply each other's waits.

Every response's ``usage`` (prompt and completion tokens) is summed per
call into :class:`Completion`, so callers can report what a review cost.

Structured output differs between servers. OpenAI takes ``response_format:
json_schema``; the llama.cpp server rejects that (HTTP 500 naming
``response_format``) and takes ``json_object`` with a ``schema``; others take
neither. :meth:`LLMClient.complete_json` tries
them in that order, remembers per endpoint (base URL + model) which one
worked, so once known a call costs one request, and validates every answer
against the schema: an invalid answer is re-asked once, then dropped.
"""

from __future__ import annotations

import email.utils
import functools
import ipaddress
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import openai
from tenacity import RetryCallState, Retrying, retry_if_exception, wait_random_exponential

from bot.config import Config
from bot.errors import ConfigError
from bot.llm.critic import llm_enabled
from bot.llm.fallback import (
    CircuitBreaker,
    LLMContextTooLong,
    LLMError,
    LLMInvalidAnswer,
    LLMNotConfigured,
    LLMRejected,
    LLMUnavailable,
)
from bot.llm.prompts import load_prompt

log = logging.getLogger("canipost.llm")

#: A capable, inexpensive model that supports json_schema output; CANIPOST_MODEL overrides.
DEFAULT_MODEL = "gpt-4.1-mini"
DEFAULT_TIMEOUT = 30.0
#: Default deadline for an endpoint on loopback or a private network (a local model on a CPU).
DEFAULT_LOCAL_TIMEOUT = 300.0
#: Default size of a critique request (characters: system + user messages + the response_format schema).
DEFAULT_PROMPT_CHARS = 7200
#: No critique request is built longer than this, whatever ``llm.prompt_chars`` says
#: (except a draft that is itself longer: it is never cut).
MAX_PROMPT_CHARS = 12000
PROTOCOL_MODES: tuple[str, ...] = ("relevant", "full")
DEFAULT_AZURE_API_VERSION = "2024-10-21"
OPENAI_URL = "https://api.openai.com/v1"

#: Structured-output modes, most to least strict.
FORMATS: tuple[str, ...] = ("json_schema", "json_object", "plain")


@dataclass(frozen=True, slots=True)
class LLMSettings:
    """Everything needed to reach the model; hashable, so clients are reused per setting."""

    model: str = DEFAULT_MODEL
    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    azure_endpoint: str | None = None
    azure_api_version: str | None = None
    azure_deployment: str | None = None
    #: Total deadline for one call, retries and back-off included (seconds).
    timeout: float = DEFAULT_TIMEOUT
    redact: bool = True
    cache_size: int = 256
    #: Random exponential back-off: first wait up to ``backoff`` s, doubling, at most ``backoff_max``.
    backoff: float = 0.5
    backoff_max: float = 8.0
    #: Longest Retry-After we will wait; a server asking for more is not retried.
    retry_after_cap: float = 20.0
    max_attempts: int = 5
    #: Circuit breaker: how long to skip an endpoint that failed twice in a row.
    cooldown: float = 30.0
    #: "relevant": only the protocol sections that matter to the draft; "full": all of it
    #: (for hosted models with prompt caching).
    protocol: str = "relevant"
    #: Target size of a critique prompt in characters (at most MAX_PROMPT_CHARS).
    prompt_chars: int = DEFAULT_PROMPT_CHARS
    #: Price per million tokens (prompt, completion), for cost figures; None: unknown.
    price_input: float | None = None
    price_output: float | None = None

    @property
    def local(self) -> bool:
        """True for an endpoint on loopback or a private network (a self-hosted model)."""
        return is_local_endpoint(self.azure_endpoint or self.base_url)

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float | None:
        """What these tokens cost at the configured prices, or None when no price is set."""
        if self.price_input is None or self.price_output is None:
            return None
        return (prompt_tokens * self.price_input + completion_tokens * self.price_output) / 1e6

    @property
    def azure(self) -> bool:
        return self.azure_endpoint is not None

    @property
    def endpoint(self) -> str:
        """Where requests go (no credentials in it)."""
        return (self.azure_endpoint or self.base_url or OPENAI_URL).rstrip("/")

    @property
    def endpoint_key(self) -> str:
        """What the format memory and the circuit breaker are keyed on."""
        return f"{self.endpoint}|{self.model}"


def is_local_endpoint(url: str | None) -> bool:
    """Loopback, private-range, link-local, ``localhost``, ``*.local`` or a bare host name.

    A bare name (``ollama``, ``llm``) is how containers on one private network
    reach each other. Nothing is resolved: this only reads the URL.
    """
    if not url:
        return False
    host = (urlsplit(url if "//" in url else f"//{url}").hostname or "").lower()
    if not host:
        return False
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal", ".lan")):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return "." not in host
    return ip.is_loopback or ip.is_private or ip.is_link_local


def _prices(value: Any) -> tuple[float | None, float | None]:
    """``llm.price_per_million``: one number for both, or ``{prompt: x, completion: y}``."""
    if value is None:
        return None, None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value), float(value)
    if isinstance(value, dict):
        unknown = sorted(set(value) - {"prompt", "completion", "input", "output"})
        try:
            prompt = value.get("prompt", value.get("input"))
            completion = value.get("completion", value.get("output"))
            if not unknown and prompt is not None and completion is not None:
                return float(prompt), float(completion)
        except (TypeError, ValueError):
            pass
    raise ConfigError(
        "llm.price_per_million must be a number or {prompt: NUMBER, completion: NUMBER}"
    )


def _env(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


__all__ = ["LLMClient", "LLMSettings", "get_client", "llm_enabled", "settings_from_config"]


def settings_from_config(config: Config, environ: Mapping[str, str] | None = None) -> LLMSettings:
    """Explicit config, else environment, else defaults.

    ``CANIPOST_MODEL`` overrides ``llm.model`` so a deployment can switch
    models without editing the organisation's file. ``CANIPOST_LLM_BACKOFF``
    sets the first back-off (seconds; tests and demos make it tiny).
    """
    env = os.environ if environ is None else environ
    llm = config.llm
    azure_endpoint = _env(env, "AZURE_OPENAI_ENDPOINT")
    deployment = llm.get("azure_deployment") or None
    model = (
        _env(env, "CANIPOST_MODEL") or llm.get("model") or (deployment if azure_endpoint else None)
    )
    if azure_endpoint:
        api_key = _env(env, "AZURE_OPENAI_API_KEY") or _env(env, "OPENAI_API_KEY")
    else:
        api_key = _env(env, "OPENAI_API_KEY")
    base_url = None if azure_endpoint else _env(env, "OPENAI_BASE_URL")
    default_timeout = (
        DEFAULT_LOCAL_TIMEOUT if is_local_endpoint(azure_endpoint or base_url) else DEFAULT_TIMEOUT
    )
    timeout = float(llm.get("timeout") or default_timeout)
    backoff = _env(env, "CANIPOST_LLM_BACKOFF")
    protocol = str(llm.get("protocol") or "relevant")
    if protocol not in PROTOCOL_MODES:
        raise ConfigError(
            f"llm.protocol must be one of {', '.join(PROTOCOL_MODES)}, not {protocol!r}"
        )
    prompt_chars = int(llm.get("prompt_chars") or DEFAULT_PROMPT_CHARS)
    price_input, price_output = _prices(llm.get("price_per_million"))
    return LLMSettings(
        model=str(model or DEFAULT_MODEL),
        api_key=api_key,
        base_url=base_url,
        azure_endpoint=azure_endpoint,
        azure_api_version=llm.get("azure_api_version")
        or _env(env, "OPENAI_API_VERSION")
        or DEFAULT_AZURE_API_VERSION,
        azure_deployment=deployment,
        timeout=timeout if timeout > 0 else default_timeout,
        redact=llm.get("redact", True) is not False,
        cache_size=int(llm.get("cache_size", 256)),
        backoff=float(backoff) if backoff else 0.5,
        backoff_max=max(float(backoff) * 16, 0.01) if backoff else 8.0,
        protocol=protocol,
        prompt_chars=max(1000, min(prompt_chars, MAX_PROMPT_CHARS)),
        price_input=price_input,
        price_output=price_output,
    )


@dataclass(frozen=True, slots=True)
class Completion:
    """A validated answer and what it cost (tokens as the API reported them)."""

    data: dict[str, Any]
    format: str
    requests: int
    seconds: float
    prompt_tokens: int = 0
    completion_tokens: int = 0


class _Deadline:
    """One call's time budget, and how many requests it has sent so far."""

    def __init__(self, seconds: float, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._end = clock() + seconds
        self.seconds = seconds
        self.requests = 0
        #: The last answer stopped at max_tokens (its JSON is probably cut short).
        self.truncated = False
        #: Tokens the API says this call's requests used, summed.
        self.prompt_tokens = 0
        self.completion_tokens = 0

    def remaining(self) -> float:
        return self._end - self._clock()


class _FormatRejected(Exception):
    """The endpoint refused this response_format (HTTP 400/422): try the next one."""


# Per-endpoint knowledge shared by every client in the process.
_formats_lock = threading.Lock()
_known_formats: dict[str, str] = {}
breaker = CircuitBreaker()


def known_format(endpoint_key: str) -> str | None:
    """The response format that last worked for this endpoint, if any."""
    with _formats_lock:
        return _known_formats.get(endpoint_key)


def forget_formats() -> None:
    with _formats_lock:
        _known_formats.clear()


def _retry_after(exc: BaseException | None) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms`` or ``Retry-After``)."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(float(ms) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        parsed = email.utils.parsedate_tz(value)
        if parsed is None:
            return None
        return max(email.utils.mktime_tz(parsed) - time.time(), 0.0)


_CONTEXT_PHRASES = (
    "context length",
    "context_length",
    "maximum context",
    "context window",
    "too many tokens",
    "prompt is too long",
    "reduce the length",
)


def _context_too_long(exc: BaseException) -> bool:
    """A refusal because the prompt does not fit (OpenAI, vLLM and llama.cpp all say so)."""
    if not isinstance(exc, openai.APIStatusError) or exc.status_code not in (400, 413, 422):
        return False
    said = f"{exc.message} {json.dumps(exc.body, default=str)}".lower()
    return any(p in said for p in _CONTEXT_PHRASES)


def _format_refused(exc: BaseException) -> bool:
    """The endpoint refused our ``response_format`` rather than failing.

    OpenAI-style servers answer 400 or 422; llama-cpp-python's server answers
    HTTP 500 with a validation error naming ``response_format``. Retrying that
    500 would never help, so it is recognised by what the error says.
    """
    if not isinstance(exc, openai.APIStatusError) or _context_too_long(exc):
        return False
    if exc.status_code in (400, 422):
        return True
    said = f"{exc.message} {json.dumps(exc.body, default=str)}".lower()
    return "response_format" in said or "json_schema" in said


def _retryable(exc: BaseException) -> bool:
    """Connection errors, timeouts, 408, 429 and 5xx; never another 4xx."""
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(exc, openai.APIStatusError):
        if _format_refused(exc):
            return False
        return exc.status_code in (408, 429) or exc.status_code >= 500
    return False


def _unavailable(exc: BaseException, settings: LLMSettings) -> LLMError:
    """Translate an SDK error into our one-line reasons (no server text: it may echo input)."""
    if isinstance(exc, openai.APITimeoutError):
        return LLMUnavailable(f"the AI service did not answer within {settings.timeout:g} s")
    if isinstance(exc, openai.APIConnectionError):
        return LLMUnavailable(f"cannot reach the AI service at {settings.endpoint}")
    if isinstance(exc, openai.APIStatusError):
        code = exc.status_code
        if code == 429:
            ra = _retry_after(exc)
            extra = f", asked to retry after {ra:g} s" if ra else ""
            return LLMUnavailable(f"the AI service is rate limiting requests (HTTP 429{extra})")
        if code == 408 or code >= 500:
            return LLMUnavailable(f"the AI service failed (HTTP {code})")
        if _context_too_long(exc):
            return LLMContextTooLong(
                f"the draft and policy are too long for the AI model's context window (HTTP {code})"
            )
        if code in (401, 403):
            return LLMRejected(
                f"the AI service refused the credentials (HTTP {code}); check the API key"
            )
        if code == 404:
            return LLMRejected(f"model {settings.model!r} not found at the AI service (HTTP 404)")
        return LLMRejected(f"the AI service rejected the request (HTTP {code})")
    return LLMUnavailable(f"the AI service failed ({type(exc).__name__})")


def parse_json_answer(content: str) -> Any:
    """Parse a model's JSON answer, tolerating code fences and chatter around the object."""
    text = content.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text.rsplit("```", 1)[0]
    text = text.strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        start, end = text.find("{"), text.rfind("}")
        if start < 0 or end <= start:
            raise
        return json.loads(text[start : end + 1])


def check_answer(
    content: str | None, validator: jsonschema.protocols.Validator
) -> tuple[dict[str, Any] | None, str]:
    """``(data, "")`` when valid, else ``(None, problem)`` with a one-line problem."""
    if not content or not content.strip():
        return None, "the answer was empty"
    try:
        data = parse_json_answer(content)
    except json.JSONDecodeError as exc:
        return None, f"the answer was not valid JSON ({exc.msg} at character {exc.pos})"
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "the top level"
        return None, f"at {where}: {error.message[:200]}"
    assert isinstance(data, dict)
    return data, ""


def _tokens(value: Any) -> int:
    """A token count from a response's usage; servers that omit it count as 0."""
    return value if isinstance(value, int) and value > 0 else 0


@functools.lru_cache(maxsize=64)
def _validator(schema_json: str) -> jsonschema.protocols.Validator:
    """Validators are reused: building one per answer would cost more than the check."""
    schema = json.loads(schema_json)
    validator: jsonschema.protocols.Validator = jsonschema.Draft202012Validator(schema)
    return validator


class LLMClient:
    """A chat-completions client with one retry layer, a deadline and format fallback.

    >>> client = LLMClient(LLMSettings(api_key="sk-...", base_url="http://127.0.0.1:8080/v1"))  # doctest: +SKIP
    >>> client.complete_json(messages, schema, name="canipost_critique").data  # doctest: +SKIP
    """

    def __init__(
        self,
        settings: LLMSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        circuit: CircuitBreaker | None = None,
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        self._clock = clock
        self._breaker = circuit or breaker
        self._sdk = self._make_sdk(settings)

    @staticmethod
    def _make_sdk(s: LLMSettings) -> openai.OpenAI:
        if s.azure_endpoint is not None:
            if not s.api_key:
                raise LLMNotConfigured("no API key: set AZURE_OPENAI_API_KEY")
            return openai.AzureOpenAI(
                api_key=s.api_key,
                azure_endpoint=s.azure_endpoint,
                api_version=s.azure_api_version,
                azure_deployment=s.azure_deployment,
                max_retries=0,
                timeout=s.timeout,
            )
        key = s.api_key
        if not key:
            if not s.base_url:
                raise LLMNotConfigured(
                    "no API key: set OPENAI_API_KEY (or OPENAI_BASE_URL for a local server)"
                )
            key = "not-needed"  # local servers (llama.cpp, Ollama) ignore it; the SDK wants one
        return openai.OpenAI(api_key=key, base_url=s.base_url, max_retries=0, timeout=s.timeout)

    # ------------------------------------------------------------------ one request, retried

    def _wait(self, rs: RetryCallState) -> float:
        exc = rs.outcome.exception() if rs.outcome else None
        asked = _retry_after(exc)
        if asked is not None:
            return min(asked, self.settings.retry_after_cap)
        backoff = wait_random_exponential(
            multiplier=self.settings.backoff, max=self.settings.backoff_max
        )
        return float(backoff(rs))

    def _stopper(self, deadline: _Deadline) -> Callable[[RetryCallState], bool]:
        def stop(rs: RetryCallState) -> bool:
            if rs.attempt_number >= self.settings.max_attempts:
                return True
            exc = rs.outcome.exception() if rs.outcome else None
            asked = _retry_after(exc)
            if asked is not None and asked > self.settings.retry_after_cap:
                return True  # the server wants a longer pause than we are willing to make
            return deadline.remaining() <= rs.upcoming_sleep + 0.001

        return stop

    def _request(self, kwargs: dict[str, Any], deadline: _Deadline) -> Any:
        retrying = Retrying(
            retry=retry_if_exception(_retryable),
            wait=self._wait,
            stop=self._stopper(deadline),
            sleep=self._sleep,
            reraise=True,
            before_sleep=lambda rs: log.debug(
                "LLM attempt %d failed (%s); retrying in %.2f s",
                rs.attempt_number,
                type(rs.outcome.exception()).__name__ if rs.outcome else "?",
                rs.upcoming_sleep,
            ),
        )
        for attempt in retrying:
            with attempt:
                remaining = deadline.remaining()
                if remaining <= 0:
                    raise LLMUnavailable(
                        f"the AI service did not answer within {deadline.seconds:g} s"
                    )
                deadline.requests += 1
                return self._sdk.chat.completions.create(
                    **kwargs,
                    timeout=openai.Timeout(remaining, connect=min(remaining, 5.0)),
                )
        raise AssertionError("unreachable: tenacity either returns or re-raises")

    def _call(
        self,
        messages: list[dict[str, str]],
        fmt: str,
        schema: dict[str, Any],
        name: str,
        max_tokens: int,
        deadline: _Deadline,
        grammar_schema: dict[str, Any] | None = None,
    ) -> str | None:
        kwargs: dict[str, Any] = {
            "model": self.settings.model,
            "messages": messages,
            "temperature": 0,
            "max_tokens": max_tokens,
        }
        if fmt == "json_schema":
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": name, "schema": schema, "strict": True},
            }
        elif fmt == "json_object":
            # OpenAI ignores "schema" here; llama.cpp turns it into a grammar.
            kwargs["response_format"] = {"type": "json_object", "schema": grammar_schema or schema}
        try:
            response = self._request(kwargs, deadline)
        except openai.APIStatusError as exc:
            if fmt != "plain" and _format_refused(exc):
                log.debug("LLM endpoint refused %s output (HTTP %s)", fmt, exc.status_code)
                raise _FormatRejected(fmt) from exc
            raise _unavailable(exc, self.settings) from exc
        except openai.OpenAIError as exc:
            raise _unavailable(exc, self.settings) from exc
        usage = getattr(response, "usage", None)
        deadline.prompt_tokens += _tokens(getattr(usage, "prompt_tokens", 0))
        deadline.completion_tokens += _tokens(getattr(usage, "completion_tokens", 0))
        try:
            choice = response.choices[0]
            content = choice.message.content
            deadline.truncated = choice.finish_reason == "length"
        except (AttributeError, IndexError, TypeError):
            raise LLMInvalidAnswer(
                "the AI service sent something that is not a chat completion"
            ) from None
        return content if isinstance(content, str) else None

    # ------------------------------------------------------------------ the public call

    def complete_json(
        self,
        messages: list[dict[str, str]],
        schema: dict[str, Any],
        *,
        name: str,
        max_tokens: int = 1500,
        grammar_schema: dict[str, Any] | None = None,
    ) -> Completion:
        """Ask for a JSON object matching ``schema``; raise :class:`LLMError` if none comes.

        One request when the endpoint's format is known and the answer valid;
        a rejected format costs one request each until one works; an invalid
        answer costs one re-ask. ``grammar_schema`` (``schema`` plus item
        limits) is what ``json_object`` mode sends: llama.cpp compiles it into
        a grammar, so a small model cannot list findings until ``max_tokens``
        cuts its JSON short. OpenAI's strict ``json_schema`` mode gets
        ``schema`` itself, which it accepts as is.
        """
        started = self._clock()
        key = self.settings.endpoint_key
        self._breaker.check(key)
        deadline = _Deadline(self.settings.timeout, self._clock)
        validator = _validator(json.dumps(schema, sort_keys=True))
        start = known_format(key) or FORMATS[0]
        try:
            for i, fmt in enumerate(FORMATS[FORMATS.index(start) :], FORMATS.index(start)):
                try:
                    content = self._call(
                        messages, fmt, schema, name, max_tokens, deadline, grammar_schema
                    )
                except _FormatRejected:
                    if i + 1 < len(FORMATS):  # never offer this endpoint that format again
                        with _formats_lock:
                            _known_formats[key] = FORMATS[i + 1]
                    continue
                data, problem = check_answer(content, validator)
                if data is None and deadline.truncated:
                    problem = "the answer was cut off at the length limit; keep every field short"
                if data is None:
                    log.debug("LLM answer invalid in %s mode: %s; asking once more", fmt, problem)
                    repair = load_prompt("repair").text(problem=problem)
                    retry = [
                        *messages,
                        {"role": "assistant", "content": (content or "")[:4000]},
                        {"role": "user", "content": repair},
                    ]
                    try:
                        content = self._call(
                            retry, fmt, schema, name, max_tokens, deadline, grammar_schema
                        )
                    except _FormatRejected:
                        content = None
                    data, problem = check_answer(content, validator)
                    if data is None:
                        raise LLMInvalidAnswer(
                            "the AI answer did not match the expected format, even when asked again"
                        )
                with _formats_lock:
                    _known_formats[key] = fmt
                self._breaker.success(key)
                return Completion(
                    data,
                    fmt,
                    deadline.requests,
                    self._clock() - started,
                    deadline.prompt_tokens,
                    deadline.completion_tokens,
                )
            raise LLMRejected("the AI service accepted none of the JSON answer formats (HTTP 400)")
        except LLMError as exc:
            exc.requests = deadline.requests
            exc.prompt_tokens = deadline.prompt_tokens
            exc.completion_tokens = deadline.completion_tokens
            if isinstance(exc, LLMUnavailable):
                self._breaker.failure(key, str(exc))
            raise


_clients_lock = threading.Lock()
_clients: dict[LLMSettings, LLMClient] = {}


def get_client(settings: LLMSettings) -> LLMClient:
    """A client per settings, reused: building one (an HTTP pool) costs milliseconds."""
    with _clients_lock:
        client = _clients.get(settings)
        if client is None:
            client = LLMClient(settings)
            _clients[settings] = client
        return client


def reset() -> None:
    """Forget clients, formats and circuit state (tests; a config reload)."""
    with _clients_lock:
        _clients.clear()
    forget_formats()
    breaker.reset()
