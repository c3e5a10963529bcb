"""The Slack app with the real LLM layer on the wire: a loopback OpenAI-compatible server.

No stand-in review function here: ``OPENAI_API_KEY`` + ``OPENAI_BASE_URL`` switch
the LLM critique on exactly as in production, and ``bot.llm.fake.FakeOpenAI``
answers (slowly, when asked to).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from slack_harness import RISKY, Slack, all_text, button_value

import bot.llm
from bot.llm.fake import FakeOpenAI
from bot.slack.blocks import ACTION_SUBMIT


@pytest.fixture
def llm_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., FakeOpenAI]]:
    started: list[FakeOpenAI] = []

    def start(mode: str = "good", delay: float = 0.0) -> FakeOpenAI:
        fake = FakeOpenAI(mode, delay=delay).start()
        started.append(fake)
        monkeypatch.setenv("OPENAI_API_KEY", "fake-key")
        monkeypatch.setenv("OPENAI_BASE_URL", fake.url)
        monkeypatch.setenv("CANIPOST_LLM_BACKOFF", "0.01")
        bot.llm.reset()
        return fake

    yield start
    for fake in started:
        fake.stop()  # a slow reply in flight returns at once
    bot.llm.reset()


def test_ack_is_immediate_while_the_llm_takes_five_seconds(
    llm_env: Callable[..., FakeOpenAI], make_slack: Callable[..., Slack]
) -> None:
    fake = llm_env("slow", delay=5.0)
    slack = make_slack(llm_enabled=None, reviewer=None)  # the real configuration path
    started = time.perf_counter()
    ack = slack.command(RISKY)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"ack took {elapsed:.2f}s"
    assert "AI review is on its way" in all_text(ack)
    deadline = time.monotonic() + 5
    while not fake.completions and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fake.completions, "the critique request never reached the LLM"
    assert slack.api.of("response_url") == []  # still waiting on the model
    # five seconds later the model answers and the message is redrawn with its critique
    update = slack.api.wait_for("response_url", timeout=15)[0]
    assert time.perf_counter() - started >= 5.0
    text = all_text(update.args)
    assert "on its way" not in text and "Fake critique" in text


def test_critique_and_rewrite_redraw_the_message_then_reach_the_card(
    llm_env: Callable[..., FakeOpenAI], make_slack: Callable[..., Slack]
) -> None:
    fake = llm_env("good")
    slack = make_slack(llm_enabled=None, reviewer=None)
    ack = slack.command(RISKY, url="cmd")
    update = slack.api.wait_for("response_url", where=lambda c: c.path.endswith("/cmd"))[0]
    text = all_text(update.args)
    assert update.args["replace_original"] is True
    assert "Fake critique" in text and "Suggested rewrite" in text
    assert fake.completions
    slack.click(ACTION_SUBMIT, button_value(ack, ACTION_SUBMIT))
    card = slack.api.wait_for("chat.postMessage")[0]
    assert "Fake critique" in all_text(card.args)
    assert slack.submissions()[0].verdict.llm == "used"


def test_ask_uses_the_real_policy_index_without_a_model(make_slack: Callable[..., Slack]) -> None:
    slack = make_slack(asker=None)  # bot.ask, rules only (no OPENAI_API_KEY in this test)
    ack = slack.command("ask Can I comment on a court case on Facebook?")
    assert "court" in all_text(ack).lower()
    assert ":book:" in all_text(ack)
