"""Broken but correctly signed Slack requests: a 4xx, one log line, nothing stored or sent.

Each body goes through the real server and Bolt app, signed as Slack signs.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.parse

import pytest
from slack_harness import AUTHOR, RISKY, SECRET, Slack

from bot.slack.edges import malformed
from bot.slack.testing import signed_headers

FORM, JSON = "application/x-www-form-urlencoded", "application/json"


def _form(payload: object | str) -> str:
    raw = payload if isinstance(payload, str) else json.dumps(payload)
    return "payload=" + urllib.parse.quote(raw)


BROKEN: dict[str, tuple[str, str, str]] = {
    "payload not JSON": (_form("{not json"), "not JSON", FORM),
    "block_actions with no actions": (
        _form({"type": "block_actions", "user": {"id": AUTHOR}, "actions": []}),
        "without actions",
        FORM,
    ),
    "view_submission without state": (
        _form(
            {
                "type": "view_submission",
                "user": {"id": AUTHOR},
                "view": {"id": "V1", "type": "modal", "callback_id": "canipost_check"},
            }
        ),
        "without state",
        FORM,
    ),
    "event body not JSON": ('{"type": "event_callback", "event": {', "not JSON", JSON),
    "event body a JSON list": (json.dumps([{"type": "event_callback"}]), "not an object", JSON),
    "form body without command or payload": ("text=hello&user_id=U1", "neither", FORM),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_signed_broken_request_gets_400_one_line_and_nothing_stored(
    slack: Slack, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    body, reason, ctype = BROKEN[name]
    caplog.set_level(logging.INFO)
    status, _ = slack.send(body, headers=signed_headers(SECRET, body, content_type=ctype))
    time.sleep(0.2)  # anything a listener started would have reached the API by now
    assert status == 400
    ours = [r for r in caplog.records if r.name.startswith(("canipost", "aiohttp", "slack_bolt"))]
    assert [r.levelno for r in ours] == [logging.WARNING], [r.getMessage() for r in ours]
    assert reason in ours[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)
    assert slack.submissions() == []
    assert [c.method for c in slack.api.calls if c.method != "auth.test"] == []


def test_unsigned_broken_request_gets_401(slack: Slack) -> None:
    body = _form("{not json")
    headers = signed_headers("wrong-secret", body)
    status, _ = slack.send(body, headers=headers)
    assert status == 401


def test_well_formed_requests_still_work_after_broken_ones(slack: Slack) -> None:
    for body, _reason, _ctype in BROKEN.values():
        slack.send(body)
    payload = slack.command(RISKY)
    assert str(payload.get("text", "")).startswith("canipost: ")  # a verdict, as ever


def test_malformed_accepts_what_slack_sends() -> None:
    command = "command=%2Fcanipost&text=hello&user_id=U1"
    assert malformed(command, "application/x-www-form-urlencoded") is None
    action = _form({"type": "block_actions", "user": {"id": "U1"}, "actions": [{"action_id": "x"}]})
    assert malformed(action, "application/x-www-form-urlencoded") is None
    event = json.dumps({"type": "event_callback", "event": {"type": "app_mention"}})
    assert malformed(event, "application/json") is None
    assert malformed(json.dumps({"type": "url_verification", "challenge": "c"}), None) is None
