"""Malformed but authenticated Teams activities: 400, one log line, nothing stored or sent.

Each body goes through the real server, the SDK's JWT check and our gate.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from teams_harness import AUTHOR, RISKY, Teams

from bot.teams.edges import malformed_activity
from bot.teams.testing import card_action_activity, message_activity


def _cases(service_url: str) -> dict[str, tuple[Any, str]]:
    good = message_activity(f"review: {RISKY}", service_url=service_url, user=AUTHOR)
    click = card_action_activity(
        "submit", {"text": RISKY}, service_url=service_url, user=AUTHOR, card_id="1"
    )
    return {
        "not JSON": ("{not json", "not JSON"),
        "a list": ([good], "not an object"),
        "no type": ({k: v for k, v in good.items() if k != "type"}, "without a type"),
        "no sender": ({k: v for k, v in good.items() if k != "from"}, "without a sender"),
        "sender a string": ({**good, "from": "Sam"}, "without a sender"),
        "no conversation": ({**good, "conversation": None}, "conversation"),
        "card action without action": ({**click, "value": "zz"}, "without an action"),
        "bad timestamp": ({**good, "timestamp": "not a time"}, "timestamp"),
    }


@pytest.mark.parametrize(
    "name",
    [
        "not JSON",
        "a list",
        "no type",
        "no sender",
        "sender a string",
        "no conversation",
        "card action without action",
        "bad timestamp",
    ],
)
def test_malformed_activity_gets_400_one_line_nothing_stored(
    teams: Teams, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    body, reason = _cases(teams.connector.url)[name]
    caplog.set_level(logging.INFO)
    status, answer = teams.post(body)
    time.sleep(0.2)  # a turn that had started would have reached the connector by now
    assert status == 400, answer
    logged = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert [(r.name, r.levelno) for r in logged] == [("canipost.teams", logging.WARNING)], [
        r.getMessage() for r in logged
    ]
    assert reason in logged[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)
    assert teams.connector.calls == []
    assert teams.ctx.workflow.submissions() == []


def test_malformed_activity_without_token_gets_401(teams: Teams) -> None:
    status, _ = teams.post([1, 2], headers={})
    assert status == 401


def test_good_activities_pass_the_gate(teams: Teams) -> None:
    url = teams.connector.url
    assert malformed_activity(message_activity("hi", service_url=url, user=AUTHOR)) is None
    click = card_action_activity("submit", {}, service_url=url, user=AUTHOR, card_id="1")
    assert malformed_activity(click) is None
    status, _ = teams.say(f"review: {RISKY}")
    assert status == 202
    assert teams.wait("reply")
