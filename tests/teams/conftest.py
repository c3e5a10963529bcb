"""Scenario fixtures: the real server and agent on 127.0.0.1, a recording Bot Connector stand-in.

With auth on (the default), every activity carries a JWT signed by keys
made for the test and served from a loopback OpenID/JWKS server the SDK is
pointed at; outbound calls carry a fixed token the stand-in checks. With
``auth=False`` the server runs in the local (anonymous) mode. The approval
queue is a fresh SQLite file per test, named by ``DATABASE_URL``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from microsoft_agents.hosting.core import OutboundHostValidator
from teams_harness import (
    APP_ID,
    APPROVER,
    APPROVER2,
    APPROVERS_CHANNEL,
    OUTBOUND_TOKEN,
    SLACK_APPROVER,
    Teams,
    fake_asker,
)

from bot.config import Approvers, Config
from bot.server import build_app, context_of
from bot.teams.settings import TeamsSettings
from bot.teams.testing import LiveServer, MockBotConnector, TestIssuer, static_connections


@pytest.fixture(autouse=True)
def strict_cards(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every card the app sends in these tests is checked against the full 1.5 schema."""
    monkeypatch.setattr("bot.teams.card_schema.STRICT", True)


@pytest.fixture(scope="session")
def issuer() -> Iterator[TestIssuer]:
    with TestIssuer(APP_ID) as iss, iss.trusted():
        yield iss


@pytest.fixture
def config() -> Config:
    return Config(
        approvers=Approvers(
            teams=[APPROVER.aad, APPROVER2.aad],
            slack=[SLACK_APPROVER],
            backup=["backup.approver@example.org"],
        ),
        workflow={"tick_seconds": 3600},
    )


@pytest.fixture
def make_teams(
    tmp_path: Path, config: Config, issuer: TestIssuer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Teams]]:
    """Start the server with Teams options; ``auth=False`` for the anonymous local mode."""
    started: list[tuple[LiveServer, MockBotConnector]] = []

    def make(cfg: Config | None = None, *, auth: bool = True, **options: Any) -> Teams:
        monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / f'canipost{len(started)}.db'}")
        connector = MockBotConnector(token=OUTBOUND_TOKEN if auth else None).__enter__()
        settings = TeamsSettings(
            client_id=APP_ID if auth else None,
            anonymous=not auth,
            approvers_channel=APPROVERS_CHANNEL,
            service_url=connector.url,
            tenant_id="72f988bf-0000-4000-8000-000000000001",
        )
        options.setdefault("llm_enabled", False)
        options.setdefault("asker", fake_asker)
        if auth:
            options.setdefault("connections", static_connections(APP_ID, OUTBOUND_TOKEN))
            # The stand-in is http://127.0.0.1; production allows only Microsoft's HTTPS hosts
            # (test_teams_auth checks that default on its own).
            options.setdefault("service_hosts", OutboundHostValidator(enabled=False))
        app = build_app(
            cfg or config,
            platforms=["teams"],
            options={"teams": {"settings": settings, **options}},
            tick=False,
        )
        server = LiveServer(app).__enter__()
        started.append((server, connector))
        return Teams(server, connector, context_of(app), issuer if auth else None)

    yield make
    for server, connector in started:
        server.__exit__(None, None, None)
        connector.__exit__(None, None, None)


@pytest.fixture
def teams(make_teams: Callable[..., Teams]) -> Teams:
    return make_teams()
