"""Socket Mode: the same app over a WebSocket the server opens, against a loopback Slack.

A small aiohttp WebSocket endpoint plays Slack's Socket Mode server: it says
hello, pushes a ``/canipost`` envelope, and records the acknowledgement the
app sends back (which carries the rules verdict, as the HTTP ack does).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from aiohttp import WSMsgType, web
from slack_harness import APPROVERS_CHANNEL, RISKY, fake_asker

from bot.config import Config
from bot.server import build_app
from bot.slack.settings import SlackSettings
from bot.slack.testing import LiveServer, MockSlackAPI, command_body
from bot.store import open_store


class SocketSlack:
    """Slack's side of a Socket Mode connection."""

    def __init__(self, envelopes: list[dict[str, Any]]) -> None:
        self.envelopes = envelopes
        self.acks: list[dict[str, Any]] = []
        self.done = threading.Event()
        self.app = web.Application()
        self.app.router.add_get("/link", self.link)

    async def link(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1}))
        for env in self.envelopes:
            await ws.send_str(json.dumps(env))
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                self.acks.append(json.loads(msg.data))
                if len(self.acks) >= len(self.envelopes):
                    self.done.set()
        return ws


def test_socket_mode_answers_a_command_over_the_websocket(
    api: MockSlackAPI, tmp_path: Path, config: Config
) -> None:
    body = dict(parse_qsl(command_body("/canipost", RISKY, response_url=api.response_url())))
    envelope = {
        "envelope_id": "env-1",
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": body,
    }
    slack_side = SocketSlack([envelope])
    with LiveServer(slack_side.app) as socket_server:
        api.socket_url = f"ws://127.0.0.1:{socket_server.port}/link"
        settings = SlackSettings(
            bot_token="xoxb-test",
            app_token="xapp-test",
            api_url=api.url,
            approvers_channel=APPROVERS_CHANNEL,
        )
        app = build_app(
            config,
            platforms=["slack"],
            store=open_store(f"sqlite:///{tmp_path / 'socket.db'}"),
            options={
                "slack": {
                    "settings": settings,
                    "socket_mode": True,
                    "llm_enabled": False,
                    "asker": fake_asker,
                }
            },
            tick=False,
        )
        assert not any(r.resource.canonical == "/slack/events" for r in app.router.routes())
        with LiveServer(app) as server:
            assert slack_side.done.wait(15), "no acknowledgement came back over the socket"
            assert server.get("/healthz")[0] == 200
    ack = slack_side.acks[0]
    assert ack["envelope_id"] == "env-1"
    text = json.dumps(ack["payload"])
    assert "Needs approval from comms" in text and "canipost_submit" in text
    opened = api.of("apps.connections.open")
    assert opened and opened[0].headers.get("Authorization") == "Bearer xapp-test"


def test_socket_mode_is_the_default_when_an_app_token_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`canipost serve` picks the mode from the environment (argument parsing only)."""
    from bot.cli.main import build_parser

    args = build_parser().parse_args(["serve", "--port", "0"])
    assert args.socket_mode is False and args.http is False
    calls: dict[str, Any] = {}

    def fake_build_app(config: Config, **kw: Any) -> web.Application:
        calls.update(kw)
        raise SystemExit(0)

    monkeypatch.setattr("bot.server.build_app", fake_build_app)
    for key, value in {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}.items():
        monkeypatch.setenv(key, value)
    from bot.cli import serve

    runner: Callable[[Any], int] = serve.run
    with contextlib.suppress(SystemExit):
        runner(args)
    assert calls["options"]["slack"]["socket_mode"] is True
    args = build_parser().parse_args(["serve", "--http"])
    with contextlib.suppress(SystemExit):
        runner(args)
    assert calls["options"]["slack"]["socket_mode"] is False
