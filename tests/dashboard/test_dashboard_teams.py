"""Teams checks are counted for the dashboard, without their text (the real agent pipeline).

Activities are signed with a test issuer's keys (JWT, loopback JWKS) and the
Bot Connector is the loopback stand-in, as in ``tests/teams``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "teams"))

from microsoft_agents.hosting.core import OutboundHostValidator
from teams_harness import APP_ID, APPROVERS_CHANNEL, OUTBOUND_TOKEN, RISKY, Teams, fake_asker

from bot.config import Config
from bot.dashboard.stats import flush
from bot.server import build_app, context_of
from bot.store import models as m
from bot.teams.settings import TeamsSettings
from bot.teams.testing import LiveServer, MockBotConnector, TestIssuer, static_connections
from bot.verdict import CATEGORIES


@pytest.fixture
def teams(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Teams]:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'teams-dash.db'}")
    monkeypatch.setenv("CANIPOST_LEARNED", "off")
    with (
        TestIssuer(APP_ID) as issuer,
        issuer.trusted(),
        MockBotConnector(token=OUTBOUND_TOKEN) as bc,
    ):
        settings = TeamsSettings(
            client_id=APP_ID,
            anonymous=False,
            approvers_channel=APPROVERS_CHANNEL,
            service_url=bc.url,
            tenant_id="72f988bf-0000-4000-8000-000000000001",
        )
        options = {
            "settings": settings,
            "llm_enabled": False,
            "asker": fake_asker,
            "connections": static_connections(APP_ID, OUTBOUND_TOKEN),
            "service_hosts": OutboundHostValidator(enabled=False),
        }
        app = build_app(Config(), platforms=["teams"], options={"teams": options}, tick=False)
        with LiveServer(app) as server:
            yield Teams(server, bc, context_of(app), issuer)


def test_teams_checks_are_counted_without_text(teams: Teams) -> None:
    status, _ = teams.say(RISKY)
    assert status == 202
    teams.last_card()
    flush()
    with teams.ctx.store.read() as s:
        rows = [(r.platform, r.decision, r.categories, r.rules) for r in s.query(m.CheckStat)]
    assert len(rows) == 1
    platform, decision, categories, rules = rows[0]
    assert platform == "teams" and decision == "needs_approval" and categories and rules
    # Only ids and the closed category set: nothing of the draft.
    assert all(re.fullmatch(r"[a-z_]+\.[a-z0-9_]+", rule) for rule in rules)
    assert set(categories) <= set(CATEGORIES)
