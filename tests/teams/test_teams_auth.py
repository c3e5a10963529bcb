"""Inbound authentication: the SDK's JWT check guards /api/messages; anonymous only when asked.

Tokens are signed with keys generated for the test session and served by a
loopback OpenID/JWKS server (``TestIssuer``); a request that fails the check
gets 401 and reaches no route: nothing is stored and nothing is sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from teams_harness import APPROVER, AUTHOR, RISKY, Teams, card_text

from bot.config import Config
from bot.errors import ConfigError
from bot.server import build_app
from bot.teams.settings import TeamsSettings
from bot.teams.testing import card_action_activity, message_activity


def _submit_click(teams: Teams) -> dict[str, Any]:
    """A "Send to comms" click carrying a whole draft, as a forged request would."""
    data = {"text": RISKY, "channel": "any", "check": "forged"}
    return card_action_activity(
        "canipost.submit", data, service_url=teams.connector.url, user=AUTHOR, card_id="1"
    )


def _bad_tokens(teams: Teams) -> dict[str, str]:
    assert teams.issuer is not None
    url = teams.connector.url
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    return {
        "missing": "",
        "not bearer": f"Basic {teams.issuer.token(url)}",
        "garbage": "Bearer not.a.jwt",
        "other key": "Bearer " + teams.issuer.token(url, key=other_key),
        "wrong audience": "Bearer " + teams.issuer.token(url, aud="someone-elses-bot"),
        "expired": "Bearer " + teams.issuer.token(url, exp=now - 3600, iat=now - 7200),
    }


@pytest.mark.parametrize(
    "case", ["missing", "not bearer", "garbage", "other key", "wrong audience", "expired"]
)
def test_bad_or_missing_token_is_401_and_changes_nothing(teams: Teams, case: str) -> None:
    auth = _bad_tokens(teams)[case]
    headers = {"Authorization": auth} if auth else {}
    for activity in (
        message_activity(f"review: {RISKY}", service_url=teams.connector.url, user=AUTHOR),
        _submit_click(teams),
    ):
        status, _ = teams.post(activity, headers=headers)
        assert status == 401
    teams.settle()
    assert teams.connector.calls == []
    assert teams.ctx.workflow.submissions() == []


def test_valid_token_is_accepted_and_outbound_calls_carry_the_bot_token(teams: Teams) -> None:
    status, _ = teams.say("help")
    assert status == 202
    (call,) = teams.connector.calls
    assert call.authorization == "Bearer outbound-token-for-tests"


def test_forged_decision_is_refused(teams: Teams) -> None:
    sid, card = teams.submit()
    forged = card_action_activity(
        "canipost.approve",
        {"sid": sid},
        service_url=teams.connector.url,
        user=APPROVER,
        card_id=card.returned_id or "",
    )
    status, _ = teams.post(forged, headers={"Authorization": "Bearer forged"})
    assert status == 401
    assert teams.ctx.workflow.get(sid).state == "pending"
    assert [r.action for r in teams.ctx.workflow.audit_trail(sid)] == ["submit"]


def test_local_mode_accepts_anonymous_activities(make_teams: Callable[..., Teams]) -> None:
    teams = make_teams(auth=False)
    status, _ = teams.say(f"review: {RISKY}")
    assert status == 202
    call = teams.last_card()
    assert call.authorization is None  # no outbound token either
    assert "Needs approval" in card_text(call.card)
    sid, card = teams.submit()
    answer = teams.approve_click("canipost.approve", card, APPROVER)
    assert "Approved" in card_text(answer["value"])
    assert teams.ctx.workflow.get(sid).state == "approved"


def test_local_mode_still_rejects_an_invalid_token(make_teams: Callable[..., Teams]) -> None:
    teams = make_teams(auth=False)
    status, _ = teams.post(
        message_activity("help", service_url=teams.connector.url, user=AUTHOR),
        headers={"Authorization": "Bearer not.a.jwt"},
    )
    assert status == 401
    assert teams.connector.calls == []


def test_no_app_id_and_no_anonymous_fails_at_startup(config: Config) -> None:
    with pytest.raises(ConfigError, match="CLIENTID is not set"):
        build_app(config, platforms=["teams"], options={"teams": {"settings": TeamsSettings()}})


def test_settings_from_env_keep_the_secret_out_of_repr() -> None:
    env = {
        "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID": "app-id",
        "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET": "s3cret-value",
        "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__TENANTID": "tenant",
        "CANIPOST_TEAMS_APPROVERS_CHANNEL": "19:x@thread.tacv2",
        "CANIPOST_TEAMS_ANONYMOUS": "0",
    }
    settings = TeamsSettings.from_env(env)
    assert settings.client_id == "app-id" and settings.approvers_channel == "19:x@thread.tacv2"
    assert not settings.anonymous
    assert "s3cret-value" not in repr(settings)
    sdk = settings.sdk_configuration()
    assert sdk["CONNECTIONS"]["SERVICE_CONNECTION"]["SETTINGS"]["CLIENTID"] == "app-id"
    assert TeamsSettings.from_env({"CANIPOST_TEAMS_ANONYMOUS": "1"}).anonymous


def test_production_credentials_use_the_sdk_msal_connection_manager() -> None:
    from microsoft_agents.authentication.msal import MsalConnectionManager

    from bot.teams.agent import auth_configuration, connection_manager

    settings = TeamsSettings.from_env(
        {
            "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID": "app-id",
            "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET": "s3cret",
            "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__TENANTID": "tenant-id",
        }
    )
    connections = connection_manager(settings)  # builds only: no call to Entra ID yet
    assert isinstance(connections, MsalConnectionManager)
    inbound = auth_configuration(settings, connections)
    assert inbound.CLIENT_ID == "app-id" and inbound.TENANT_ID == "tenant-id"
    assert inbound.ANONYMOUS_ALLOWED is False


@pytest.mark.parametrize("service_url", ["https://attacker.example/", "http://127.0.0.1:9/"])
def test_service_url_outside_microsoft_is_refused_by_default(
    make_teams: Callable[..., Teams], service_url: str
) -> None:
    """A genuine token replayed with another serviceUrl must not make the bot call out there."""
    teams = make_teams(service_hosts=None)  # the production default
    assert teams.issuer is not None
    activity = message_activity(f"review: {RISKY}", service_url=service_url, user=AUTHOR)
    token = teams.issuer.token(service_url)
    status, _ = teams.post(activity, headers={"Authorization": f"Bearer {token}"})
    assert status == 401
    teams.settle()
    assert teams.connector.calls == [] and teams.ctx.workflow.submissions() == []


def test_allowed_hosts_extend_microsoft_defaults() -> None:
    from bot.teams.agent import host_validator

    validator = host_validator(
        TeamsSettings.from_env({"CANIPOST_TEAMS_ALLOWED_HOSTS": "bots.example.gov.uk"})
    )
    assert validator.is_allowed("https://smba.trafficmanager.net/emea/")
    assert validator.is_allowed("https://bots.example.gov.uk/api/")
    assert not validator.is_allowed("https://attacker.example/")
    assert host_validator(TeamsSettings(anonymous=True)).is_allowed("http://localhost:56150/")
