"""Fixtures for the LLM layer: a clean environment and the loopback fake server.

No test here may reach a real service: every model variable is removed, and a
test that wants a model gets the fake on 127.0.0.1 through OPENAI_BASE_URL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from bot.config import Config
from bot.llm import reset
from bot.llm.fake import FakeOpenAI

MODEL_VARS = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "CANIPOST_MODEL",
    "AZURE_OPENAI_ENDPOINT",
    "AZURE_OPENAI_API_KEY",
    "OPENAI_API_VERSION",
    "CANIPOST_CONFIG",
    "CANIPOST_PROMPTS_DIR",
)


@pytest.fixture(autouse=True)
def clean_llm_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in MODEL_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CANIPOST_LLM_BACKOFF", "0.001")  # back-off in milliseconds, not seconds
    reset()
    yield
    reset()


@pytest.fixture
def start_fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., FakeOpenAI]]:
    """Start a fake in a given mode and point the environment at it."""
    started: list[FakeOpenAI] = []

    def start(mode: str = "good", **kwargs: object) -> FakeOpenAI:
        fake = FakeOpenAI(mode, **kwargs).start()  # type: ignore[arg-type]
        started.append(fake)
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        monkeypatch.setenv("OPENAI_BASE_URL", fake.url)
        return fake

    yield start
    for fake in started:
        fake.stop()


@pytest.fixture
def fake(start_fake: Callable[..., FakeOpenAI]) -> FakeOpenAI:
    return start_fake("good")


@pytest.fixture
def config() -> Config:
    return Config(llm={"cache_size": 0})
