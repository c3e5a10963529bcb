"""Scenario fixtures: the real server and Bolt app on 127.0.0.1, a recording Slack API stand-in.

Every request is signed as Slack signs it; every Web API call and every
``response_url`` post lands on :class:`bot.slack.testing.MockSlackAPI`; the
approval queue is a fresh SQLite file per test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_harness import APPROVER, APPROVER2, APPROVERS_CHANNEL, SECRET, Slack, fake_asker

from bot.config import Approvers, Config
from bot.server import build_app, context_of
from bot.slack.settings import SlackSettings
from bot.slack.testing import LiveServer, MockSlackAPI
from bot.store import open_store


@pytest.fixture(autouse=True)
def rules_and_watch_list_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """These scenarios test the chat surface on drafts whose verdicts they know: the review
    is the YAML rules and watch list (``CANIPOST_LEARNED=off``), so retraining the learned
    layer never changes what a Slack test expects to see."""
    monkeypatch.setenv("CANIPOST_LEARNED", "off")


@pytest.fixture
def api() -> Iterator[MockSlackAPI]:
    with MockSlackAPI() as mock:
        yield mock


@pytest.fixture
def config() -> Config:
    return Config(
        approvers=Approvers(slack=[APPROVER, APPROVER2], backup=["UBACKUP"]),
        workflow={
            "tick_seconds": 3600,
            "reminder_after_minutes": 60,
            "escalate_after_minutes": 120,
            "expire_after_minutes": 180,
        },
    )


@pytest.fixture
def make_slack(
    api: MockSlackAPI, tmp_path: Path, config: Config, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Slack]]:
    """Start the server with Slack options (e.g. an LLM stand-in); stopped after the test."""
    started: list[LiveServer] = []

    def make(cfg: Config | None = None, **options: Any) -> Slack:
        settings = SlackSettings(
            bot_token="xoxb-test",
            signing_secret=SECRET,
            api_url=api.url,
            approvers_channel=APPROVERS_CHANNEL,
        )
        options.setdefault("llm_enabled", False)
        options.setdefault("asker", fake_asker)
        # One DATABASE_URL, as in production: the review's watch-list layer reads it too.
        url = f"sqlite:///{tmp_path / f'canipost{len(started)}.db'}"
        monkeypatch.setenv("DATABASE_URL", url)
        app = build_app(
            cfg or config,
            platforms=["slack"],
            store=open_store(url),
            options={"slack": {"settings": settings, **options}},
            tick=False,
        )
        server = LiveServer(app).__enter__()
        started.append(server)
        return Slack(api, server, context_of(app))

    yield make
    for server in started:
        server.__exit__(None, None, None)


@pytest.fixture
def slack(make_slack: Callable[..., Slack]) -> Slack:
    return make_slack()
