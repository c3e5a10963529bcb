"""The agent without HTTP, through Microsoft's own test adapter (``microsoft-agents-testing``).

``TestFlow`` feeds activities straight into the ``AgentApplication`` and
collects what it sends: the quickest way to pin the conversational routes.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from microsoft_agents.activity import Activity, ChannelAccount
from microsoft_agents.testing import TestAdapter, TestFlow
from teams_harness import RISKY, SAFE, card_text, fake_asker

from bot.config import Config
from bot.store import open_store
from bot.teams.agent import build_agent, connection_manager
from bot.teams.flows import Background, Steps
from bot.teams.messenger import Messenger
from bot.teams.services import TeamsServices
from bot.teams.settings import TeamsSettings
from bot.workflow import Workflow


@pytest.fixture
def flow(tmp_path: Path) -> tuple[TestAdapter, Any]:
    config = Config()
    services = TeamsServices.build(
        config=config,
        workflow=Workflow(open_store(f"sqlite:///{tmp_path / 'flow.db'}"), config=config),
        asker=fake_asker,
        llm_enabled=False,
    )
    adapter = TestAdapter()
    connections = connection_manager(TeamsSettings(anonymous=True))
    steps = Steps(services, Messenger(adapter, app_id=None, anonymous=True), Background())  # type: ignore[arg-type]
    return adapter, build_agent(steps, connections)


def user_message(text: str) -> Activity:
    return Activity(
        type="message",
        text=text,
        from_property=ChannelAccount(id="29:user", name="Sam", aad_object_id="aad-sam"),
    )


def card_of(reply: Activity) -> dict[str, Any]:
    assert reply.attachments, reply
    content: dict[str, Any] = reply.attachments[0].content
    return content


def test_draft_question_and_help(flow: tuple[TestAdapter, Any]) -> None:
    adapter, agent = flow

    def verdict_is(label: str) -> Any:
        def check(reply: Activity) -> None:
            assert label in card_text(card_of(reply))

        return check

    def answers_with_citations(reply: Activity) -> None:
        text = card_text(card_of(reply))
        assert "don't comment on active court cases" in text and "Court cases" in text

    async def run() -> None:
        await (
            TestFlow(adapter, agent.on_turn)
            .send(user_message(f"review: {RISKY}"))
            .assert_reply(verdict_is("Needs approval from comms"))
            .send(user_message(SAFE))
            .assert_reply(verdict_is("OK to post"))
            .send(user_message("Can I comment on a court case?"))
            .assert_reply(answers_with_citations)
            .send(user_message("help"))
            .assert_reply(verdict_is("checks a social media draft"))
            .assert_no_more_replies()
            .start_test()
        )

    asyncio.run(run())


def test_an_unknown_activity_gets_no_reply(flow: tuple[TestAdapter, Any]) -> None:
    adapter, agent = flow

    async def run() -> None:
        await (
            TestFlow(adapter, agent.on_turn)
            .send(Activity(type="messageReaction", from_property=ChannelAccount(id="29:user")))
            .assert_no_more_replies()
            .start_test()
        )

    asyncio.run(run())
