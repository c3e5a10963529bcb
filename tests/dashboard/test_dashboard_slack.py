"""Slack and the dashboard in one process: checks are counted, web decisions reach Slack.

Drives the real Bolt pipeline with correctly signed requests; Slack's Web API is
the loopback stand-in (:class:`bot.slack.testing.MockSlackAPI`).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import Client, sign_in

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "slack"))

from slack_harness import (
    APPROVER,
    APPROVERS_CHANNEL,
    AUTHOR,
    RISKY,
    SAFE,
    SECRET,
    Slack,
    all_text,
    button_value,
)

from bot.config import Approvers, Config
from bot.dashboard.stats import flush
from bot.server import build_app, context_of
from bot.slack.blocks import ACTION_SUBMIT
from bot.slack.settings import SlackSettings
from bot.slack.testing import LiveServer, MockSlackAPI
from bot.store import Store, open_store
from bot.store import models as m


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Slack, Store, Config]]:
    monkeypatch.setenv("CANIPOST_LEARNED", "off")
    config = Config(approvers=Approvers(slack=[APPROVER]), workflow={"tick_seconds": 3600})
    store = open_store(f"sqlite:///{tmp_path / 'slack-dash.db'}")
    with MockSlackAPI() as api:
        settings = SlackSettings(
            bot_token="xoxb-test",
            signing_secret=SECRET,
            api_url=api.url,
            approvers_channel=APPROVERS_CHANNEL,
        )
        app = build_app(
            config,
            platforms=["slack"],
            store=store,
            tick=False,
            options={"slack": {"settings": settings, "llm_enabled": False}},
        )
        with LiveServer(app) as server:
            yield Slack(api, server, context_of(app)), store, config
    store.dispose()


def _checks(store: Store) -> list[Any]:
    flush()
    with store.read() as s:
        return [
            (r.platform, r.decision, r.rules) for r in s.query(m.CheckStat).order_by(m.CheckStat.id)
        ]


def test_slack_checks_are_counted_once_without_text(setup: tuple[Slack, Store, Config]) -> None:
    slack, store, _ = setup
    slack.command(SAFE)
    ack = slack.command(RISKY)
    rows = _checks(store)
    assert [(p, d) for p, d, _ in rows] == [("slack", "ok"), ("slack", "needs_approval")]
    assert rows[1][2] and all("." in rule for rule in rows[1][2])
    # Sending that same check to comms re-reviews it; it is still one check.
    slack.click(ACTION_SUBMIT, button_value(ack, ACTION_SUBMIT), user=AUTHOR, url="sent")
    slack.api.wait_for(
        "chat.postMessage", where=lambda c: c.args.get("channel") == APPROVERS_CHANNEL
    )
    assert len(_checks(store)) == 2
    with store.read() as s:
        stored = " ".join(str(v) for r in s.query(m.CheckStat) for v in (r.categories, r.rules))
    assert "idiot" not in stored and "Kevin" not in stored


def test_a_web_decision_updates_the_slack_card(setup: tuple[Slack, Store, Config]) -> None:
    slack, store, config = setup
    ack = slack.command(RISKY)
    slack.click(ACTION_SUBMIT, button_value(ack, ACTION_SUBMIT), user=AUTHOR, url="sent")
    slack.api.wait_for(
        "chat.postMessage", where=lambda c: c.args.get("channel") == APPROVERS_CHANNEL
    )
    sid = slack.submissions(state="pending")[0].id
    slack.settle()
    client = Client(slack.server.url)
    sign_in(client, store, config, APPROVER)
    assert sid in client.get("/dashboard/queue").text
    page = client.get(f"/dashboard/submissions/{sid}")
    assert "Kevin from ward 4" in page.text
    done = client.post(
        f"/dashboard/submissions/{sid}/decide", {"csrf": page.csrf(), "decision": "approve"}
    )
    assert "Recorded: approved" in done.text
    update = slack.api.wait_for("chat.update")[0]  # the approvers' card, redrawn by the outbox
    assert "Approved" in all_text(update.args)
    trail = slack.ctx.workflow.audit_trail(sid)
    assert trail[-1].actor is not None and trail[-1].actor.platform == "web"
