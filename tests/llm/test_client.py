"""The client against the loopback fake, through the real openai SDK.

Retries, deadline, Retry-After, format fallback and its memory, validation
and re-asking, and the circuit breaker. Waits are injected (``sleep``/``clock``)
where the point is *how long* we would wait, so nothing here sleeps for real.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

import pytest

from bot.config import Config
from bot.llm.client import (
    FORMATS,
    LLMClient,
    LLMSettings,
    known_format,
    llm_enabled,
    parse_json_answer,
    settings_from_config,
)
from bot.llm.critique import CRITIQUE_SCHEMA
from bot.llm.fake import _LLAMA_CPP_REFUSAL, FakeOpenAI, Reply
from bot.llm.fallback import (
    CircuitBreaker,
    LLMInvalidAnswer,
    LLMNotConfigured,
    LLMRejected,
    LLMUnavailable,
)

MESSAGES = [
    {"role": "system", "content": "Review the draft. Answer in JSON."},
    {"role": "user", "content": "<draft>\nOur library opens on Saturday\n</draft>"},
]
GOOD = {"findings": [], "summary": "Fine.", "rewrite": None}


class FakeClock:
    """A clock that only moves when the client sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make(fake: FakeOpenAI, clock: FakeClock | None = None, **overrides: Any) -> LLMClient:
    opts: dict[str, Any] = {
        "api_key": "test-key",
        "base_url": fake.url,
        "backoff": 0.001,
        "backoff_max": 0.01,
    }
    opts.update(overrides)
    if clock is None:
        return LLMClient(LLMSettings(**opts), circuit=CircuitBreaker())
    return LLMClient(LLMSettings(**opts), sleep=clock.sleep, clock=clock, circuit=CircuitBreaker())


def ask(client: LLMClient) -> Any:
    return client.complete_json(MESSAGES, CRITIQUE_SCHEMA, name="canipost_critique")


# ---------------------------------------------------------------------- happy path and formats


def test_good_answer_costs_one_request_in_json_schema_mode(fake: FakeOpenAI) -> None:
    result = ask(make(fake))
    assert result.requests == 1 and result.format == "json_schema"
    assert result.data["findings"][0]["quote"] == "Our library opens on Saturday"
    (req,) = fake.completions
    body = req.body
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"] == CRITIQUE_SCHEMA
    assert body["response_format"]["json_schema"]["strict"] is True
    assert body["temperature"] == 0
    assert req.headers.get("authorization") == "Bearer test-key"


def test_sdk_retries_are_off(fake: FakeOpenAI) -> None:
    assert make(fake)._sdk.max_retries == 0


@pytest.mark.parametrize("mode", ["reject_json_schema", "reject_json_schema_400"])
def test_llama_cpp_style_endpoint_falls_back_to_json_object_and_remembers(
    start_fake: Callable[..., FakeOpenAI], mode: str
) -> None:
    # llama-cpp-python refuses json_schema with HTTP 500; that 500 must not be retried.
    fake = start_fake(mode)
    client = make(fake)
    first = ask(client)
    assert (first.format, first.requests) == ("json_object", 2)
    assert [r.response_format for r in fake.completions] == ["json_schema", "json_object"]
    assert fake.completions[1].body["response_format"]["schema"] == CRITIQUE_SCHEMA
    assert known_format(client.settings.endpoint_key) == "json_object"
    fake.clear()
    for _ in range(3):
        again = ask(client)
        assert (again.format, again.requests) == ("json_object", 1)
    assert len(fake.completions) == 3


def test_json_object_mode_sends_the_bounded_schema_json_schema_mode_the_strict_one(
    start_fake: Callable[..., FakeOpenAI],
) -> None:
    from bot.llm.critique import bounded_schema

    fake = start_fake("reject_json_schema")
    make(fake).complete_json(
        MESSAGES, CRITIQUE_SCHEMA, name="canipost_critique", grammar_schema=bounded_schema()
    )
    strict, bounded = (r.body["response_format"] for r in fake.completions)
    assert strict["json_schema"]["schema"] == CRITIQUE_SCHEMA
    assert "maxItems" not in json.dumps(strict)
    assert bounded["schema"]["properties"]["findings"]["maxItems"] == 6
    assert "maxLength" not in json.dumps(bounded)  # llama.cpp cannot compile long ones


def test_a_truncated_answer_is_reasked_asking_for_brevity(fake: FakeOpenAI) -> None:
    fake.enqueue(
        Reply(200, '{"findings": [], "summary": "very long and cut sh', finish_reason="length")
    )
    ask(make(fake))
    assert "cut off at the length limit" in fake.completions[1].body["messages"][-1]["content"]


def test_a_refused_format_is_remembered_even_when_the_call_then_fails(
    start_fake: Callable[..., FakeOpenAI],
) -> None:
    fake = start_fake("reject_json_schema")
    client = make(fake)
    fake.enqueue(Reply(500, raw=json.dumps(_LLAMA_CPP_REFUSAL)), Reply(401, raw="{}"))
    with pytest.raises(LLMRejected):
        ask(client)
    fake.clear()
    assert ask(client).requests == 1
    assert fake.completions[0].response_format == "json_object"


def test_endpoint_without_structured_output_gets_plain_json_instructions(
    start_fake: Callable[..., FakeOpenAI],
) -> None:
    fake = start_fake("plain_only")
    client = make(fake)
    first = ask(client)
    assert (first.format, first.requests) == ("plain", 3)
    assert fake.completions[-1].response_format is None
    fake.clear()
    assert ask(client).requests == 1
    assert "response_format" not in fake.completions[0].body


def test_format_memory_is_per_endpoint(start_fake: Callable[..., FakeOpenAI]) -> None:
    a = start_fake("reject_json_schema")
    b = start_fake("good")
    ask(make(a))
    ask(make(b))
    assert known_format(make(a).settings.endpoint_key) == "json_object"
    assert known_format(make(b).settings.endpoint_key) == "json_schema"


@pytest.mark.parametrize(
    "content",
    [
        '```json\n{"a": 1}\n```',
        'Here you go: {"a": 1} Hope that helps!',
        '  {"a": 1}  ',
    ],
)
def test_json_answers_wrapped_in_chatter_or_fences_parse(content: str) -> None:
    assert parse_json_answer(content) == {"a": 1}


# ---------------------------------------------------------------------- invalid answers


def test_malformed_answer_is_reasked_once_then_dropped(
    start_fake: Callable[..., FakeOpenAI],
) -> None:
    fake = start_fake("malformed")
    with pytest.raises(LLMInvalidAnswer, match="did not match the expected format"):
        ask(make(fake))
    assert len(fake.completions) == 2
    repair = fake.completions[1].body["messages"]
    assert repair[-2]["role"] == "assistant"
    assert "could not be used" in repair[-1]["content"]
    assert "not valid JSON" in repair[-1]["content"]


def test_schema_invalid_answer_is_reasked_once_then_dropped(
    start_fake: Callable[..., FakeOpenAI],
) -> None:
    fake = start_fake("invalid")
    with pytest.raises(LLMInvalidAnswer):
        ask(make(fake))
    assert len(fake.completions) == 2
    assert "could not be used" in fake.completions[1].body["messages"][-1]["content"]


def test_a_good_second_answer_is_used(fake: FakeOpenAI) -> None:
    fake.enqueue(Reply(200, '{"findings": [{"category": "gossip"}]}'))
    result = ask(make(fake))
    assert result.requests == 2
    assert result.data["summary"]


def test_garbage_http_body_is_an_invalid_answer_not_a_crash(
    start_fake: Callable[..., FakeOpenAI],
) -> None:
    fake = start_fake("garbage")
    with pytest.raises(LLMInvalidAnswer, match="not a chat completion"):
        ask(make(fake))


# ---------------------------------------------------------------------- retries


def test_429_waits_what_retry_after_asks_then_succeeds(fake: FakeOpenAI) -> None:
    clock = FakeClock()
    fake.enqueue(
        Reply(429, raw='{"error": {"message": "slow down"}}', headers={"Retry-After": "3"})
    )
    result = ask(make(fake, clock))
    assert result.requests == 2
    assert clock.sleeps == [3.0]


def test_retry_after_ms_is_honoured(fake: FakeOpenAI) -> None:
    clock = FakeClock()
    fake.enqueue(Reply(429, raw="{}", headers={"retry-after-ms": "250"}))
    ask(make(fake, clock))
    assert clock.sleeps == [0.25]


def test_retry_after_beyond_the_cap_is_not_waited_for(fake: FakeOpenAI) -> None:
    clock = FakeClock()
    fake.enqueue(Reply(429, raw="{}", headers={"Retry-After": "120"}))
    with pytest.raises(LLMUnavailable, match=r"HTTP 429, asked to retry after 120 s"):
        ask(make(fake, clock))
    assert clock.sleeps == [] and len(fake.completions) == 1


def test_429_storm_gives_up_at_the_deadline(start_fake: Callable[..., FakeOpenAI]) -> None:
    fake = start_fake("rate_limit", retry_after="2")
    clock = FakeClock()
    with pytest.raises(LLMUnavailable, match="rate limiting"):
        ask(make(fake, clock, timeout=5.0, max_attempts=10))
    # 2 s waits inside a 5 s deadline: three requests, two waits, no wait past the deadline.
    assert clock.sleeps == [2.0, 2.0]
    assert len(fake.completions) == 3


@pytest.mark.parametrize("status", [500, 502, 503, 408])
def test_5xx_and_408_are_retried_with_backoff(fake: FakeOpenAI, status: int) -> None:
    clock = FakeClock()
    fake.enqueue(Reply(status, raw="{}"), Reply(status, raw="{}"))
    result = ask(make(fake, clock, backoff=0.5, backoff_max=8.0))
    assert result.requests == 3
    assert len(clock.sleeps) == 2
    assert all(0 <= s <= 8.0 for s in clock.sleeps)  # random exponential, capped


def test_a_500_that_is_not_about_the_format_is_still_retried(fake: FakeOpenAI) -> None:
    fake.enqueue(Reply(500, raw='{"error": {"message": "CUDA out of memory"}}'))
    result = ask(make(fake))
    assert (result.format, result.requests) == ("json_schema", 2)


def test_persistent_500_stops_after_max_attempts(start_fake: Callable[..., FakeOpenAI]) -> None:
    fake = start_fake("server_error")
    with pytest.raises(LLMUnavailable, match=r"HTTP 500"):
        ask(make(fake, max_attempts=4))
    assert len(fake.completions) == 4


@pytest.mark.parametrize(
    ("status", "error", "message"),
    [
        (401, LLMRejected, "credentials"),
        (403, LLMRejected, "credentials"),
        (404, LLMRejected, "not found"),
        (409, LLMRejected, "rejected the request"),
    ],
)
def test_other_4xx_are_never_retried(
    fake: FakeOpenAI, status: int, error: type, message: str
) -> None:
    fake.enqueue(Reply(status, raw='{"error": {"message": "no"}}'))
    with pytest.raises(error, match=message):
        ask(make(fake))
    assert len(fake.completions) == 1


def test_400_in_plain_mode_is_final(start_fake: Callable[..., FakeOpenAI]) -> None:
    fake = start_fake("plain_only")
    client = make(fake)
    ask(client)  # learn: plain
    fake.clear()
    fake.enqueue(Reply(400, raw='{"error": {"message": "context too long"}}'))
    with pytest.raises(LLMRejected, match="HTTP 400"):
        ask(client)
    assert len(fake.completions) == 1


def test_slow_answer_is_cut_at_the_deadline(start_fake: Callable[..., FakeOpenAI]) -> None:
    fake = start_fake("slow", delay=5.0)
    started = time.monotonic()
    with pytest.raises(LLMUnavailable, match=r"did not answer within 0.4 s"):
        ask(make(fake, timeout=0.4))
    assert time.monotonic() - started < 2.0


def test_endpoint_down_is_unavailable_quickly() -> None:
    client = LLMClient(
        LLMSettings(api_key="k", base_url="http://127.0.0.1:9/v1", backoff=0.001, backoff_max=0.01),
        circuit=CircuitBreaker(),
    )
    started = time.monotonic()
    with pytest.raises(
        LLMUnavailable, match=re.escape("cannot reach the AI service at http://127.0.0.1:9/v1")
    ):
        ask(client)
    assert time.monotonic() - started < 3.0


def test_circuit_opens_after_two_failures_and_skips_the_endpoint(
    start_fake: Callable[..., FakeOpenAI],
) -> None:
    fake = start_fake("server_error")
    clock = FakeClock()
    breaker = CircuitBreaker(threshold=2, cooldown=30, clock=clock)
    client = LLMClient(
        LLMSettings(api_key="k", base_url=fake.url, max_attempts=1),
        circuit=breaker,
        clock=clock,
        sleep=clock.sleep,
    )
    for _ in range(2):
        with pytest.raises(LLMUnavailable, match="HTTP 500"):
            ask(client)
    sent = len(fake.completions)
    with pytest.raises(LLMUnavailable, match=r"not retried for 30 s"):
        ask(client)
    assert len(fake.completions) == sent  # nothing sent while open
    clock.now += 31
    fake.mode = "good"
    assert ask(client).requests == 1  # half-open probe succeeds and closes it
    assert ask(client).requests == 1


# ---------------------------------------------------------------------- configuration


def test_enabled_by_key_and_switched_off_by_config() -> None:
    assert not llm_enabled(Config(), environ={})
    assert llm_enabled(Config(), environ={"OPENAI_API_KEY": "sk-x"})
    assert llm_enabled(Config(), environ={"AZURE_OPENAI_API_KEY": "x"})
    assert not llm_enabled(Config(), environ={"OPENAI_API_KEY": "  "})
    assert not llm_enabled(Config(llm={"enabled": False}), environ={"OPENAI_API_KEY": "sk-x"})
    assert llm_enabled(Config(llm={"enabled": True}), environ={})


def test_settings_from_environment_and_config() -> None:
    s = settings_from_config(
        Config(llm={"model": "from-config", "timeout": 12, "redact": False, "cache_size": 3}),
        environ={"OPENAI_API_KEY": "sk-secret", "OPENAI_BASE_URL": "http://127.0.0.1:1/v1"},
    )
    assert (s.model, s.timeout, s.redact, s.cache_size) == ("from-config", 12.0, False, 3)
    assert s.base_url == "http://127.0.0.1:1/v1" and s.api_key == "sk-secret"
    assert "sk-secret" not in repr(s)
    env_model = settings_from_config(
        Config(llm={"model": "from-config"}), environ={"CANIPOST_MODEL": "env-model"}
    )
    assert env_model.model == "env-model"
    assert settings_from_config(Config(), environ={}).model == "gpt-4.1-mini"


def test_azure_openai_is_configured_from_its_own_variables() -> None:
    s = settings_from_config(
        Config(llm={"azure_deployment": "critic"}),
        environ={
            "AZURE_OPENAI_ENDPOINT": "https://example.openai.azure.com",
            "AZURE_OPENAI_API_KEY": "az-key",
            "OPENAI_API_VERSION": "2024-10-21",
        },
    )
    assert s.azure and s.model == "critic" and s.api_key == "az-key" and s.base_url is None
    client = LLMClient(s)
    import openai

    assert isinstance(client._sdk, openai.AzureOpenAI)
    assert client._sdk.max_retries == 0


def test_azure_request_goes_to_the_deployment_path(fake: FakeOpenAI) -> None:
    s = LLMSettings(
        model="critic",
        api_key="az-key",
        azure_endpoint=fake.url.rsplit("/v1", 1)[0],
        azure_api_version="2024-10-21",
        azure_deployment="critic",
    )
    ask(LLMClient(s, circuit=CircuitBreaker()))
    (req,) = fake.completions
    assert req.path.startswith("/openai/deployments/critic/chat/completions")
    assert "api-version=2024-10-21" in req.path
    assert req.headers.get("api-key") == "az-key"


def test_no_key_and_no_endpoint_is_not_configured() -> None:
    with pytest.raises(LLMNotConfigured, match="OPENAI_API_KEY"):
        LLMClient(LLMSettings())


def test_a_local_server_needs_no_key(fake: FakeOpenAI) -> None:
    client = LLMClient(LLMSettings(base_url=fake.url), circuit=CircuitBreaker())
    assert ask(client).requests == 1


def test_formats_are_tried_in_order() -> None:
    assert FORMATS == ("json_schema", "json_object", "plain")
