"""Sign in with Slack / Microsoft Entra ID against a loopback OpenID Connect provider."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import Client
from oidc_provider import StandInProvider

from bot.config import Config
from bot.dashboard.oidc import Provider, configured_providers
from bot.server import build_app
from bot.server.live import LiveServer
from bot.store import Store, open_store

SLACK_CLAIMS = {
    "https://slack.com/user_id": "UBOSS",
    "https://slack.com/team_id": "T1",
    "name": "Boss Person",
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path / 'oidc.db'}")
    yield s
    s.dispose()


@pytest.fixture
def idp() -> Iterator[tuple[StandInProvider, LiveServer]]:
    provider = StandInProvider(claims=dict(SLACK_CLAIMS))
    with LiveServer(provider.app()) as live:
        provider.base = live.url
        yield provider, live


def _dashboard(store: Store, config: Config, providers: dict[str, Provider]) -> LiveServer:
    app = build_app(
        config,
        platforms=[],
        store=store,
        tick=False,
        options={"dashboard": {"providers": providers}},
    )
    return LiveServer(app)


def _slack(idp: StandInProvider) -> Provider:
    env = {
        "SLACK_CLIENT_ID": idp.client_id,
        "SLACK_CLIENT_SECRET": idp.client_secret,
        "CANIPOST_SLACK_OIDC_ISSUER": idp.base,
    }
    return configured_providers(env)["slack"]


def test_sign_in_with_slack_end_to_end(
    idp: tuple[StandInProvider, LiveServer], store: Store, config: Config
) -> None:
    provider, _ = idp
    with _dashboard(store, config, {"slack": _slack(provider)}) as server:
        client = Client(server.url)
        login = client.get("/dashboard/login")
        assert "Sign in with Slack" in login.text
        reply = client.get("/dashboard/login/slack")  # -> provider -> callback -> queue
        assert reply.status == 200 and reply.url.endswith("/dashboard/queue"), reply.text[:400]
        assert "Boss Person (UBOSS)" in reply.text
    sent = provider.token_requests[0]
    assert sent["code_verifier"] and sent["redirect_uri"].endswith("/dashboard/oidc/slack/callback")


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        ("nonce", "not issued for this sign-in"),
        ("audience", "Audience"),
        ("signature", "refused"),
        ("expired", "expired"),
    ],
)
def test_bad_id_tokens_are_refused(
    idp: tuple[StandInProvider, LiveServer], store: Store, config: Config, tamper: str, message: str
) -> None:
    provider, _ = idp
    provider.tamper = tamper
    with _dashboard(store, config, {"slack": _slack(provider)}) as server:
        client = Client(server.url)
        reply = client.get("/dashboard/login/slack")
        assert reply.status == 400
        assert message in reply.text and "Sign in to the comms dashboard" in reply.text
        assert "/dashboard/login" in client.get("/dashboard/queue").url  # no session


def test_a_non_approver_cannot_sign_in(
    idp: tuple[StandInProvider, LiveServer], store: Store, config: Config
) -> None:
    provider, _ = idp
    provider.claims["https://slack.com/user_id"] = "USTAFF"
    with _dashboard(store, config, {"slack": _slack(provider)}) as server:
        reply = Client(server.url).get("/dashboard/login/slack")
    assert reply.status == 403 and "USTAFF is not an approver" in reply.text


def test_callback_not_started_in_this_browser_is_refused(
    idp: tuple[StandInProvider, LiveServer], store: Store, config: Config
) -> None:
    provider, _ = idp
    with _dashboard(store, config, {"slack": _slack(provider)}) as server:
        client = Client(server.url)
        start = client.get("/dashboard/login/slack", follow=False)
        assert start.status == 302 and start.headers["Location"].startswith(provider.base)
        assert "HttpOnly" in start.headers["Set-Cookie"]
        # An attacker's callback URL opened in a victim's browser: no flow cookie.
        victim = Client(server.url)
        reply = victim.get("/dashboard/oidc/slack/callback?code=x&state=y")
        assert reply.status == 400 and "did not start here" in reply.text
        # Right browser, wrong state.
        reply = client.get("/dashboard/oidc/slack/callback?code=x&state=forged")
        assert reply.status == 400 and "did not start in this browser" in reply.text
        # The provider said no.
        reply = client.get("/dashboard/oidc/slack/callback?error=access_denied")
        assert reply.status == 400 and "access_denied" in reply.text


def test_sign_in_with_microsoft_entra_multi_tenant(
    idp: tuple[StandInProvider, LiveServer], store: Store
) -> None:
    from bot.config import Approvers

    provider, _ = idp
    provider.issuer_template = "{base}/{tenantid}/v2.0"
    provider.claims = {"oid": "aad-object-1", "tid": "tenant-9", "name": "Teams Approver"}
    env = {
        "CANIPOST_ENTRA_CLIENT_ID": provider.client_id,
        "CANIPOST_ENTRA_CLIENT_SECRET": provider.client_secret,
        "CANIPOST_ENTRA_ISSUER": provider.base,
    }
    entra = configured_providers(env)["entra"]
    assert entra.multi_tenant and entra.identity == "teams"
    config = Config(approvers=Approvers(teams=["aad-object-1"]))
    with _dashboard(store, config, {"entra": entra}) as server:
        client = Client(server.url)
        assert "Sign in with Microsoft" in client.get("/dashboard/login").text
        reply = client.get("/dashboard/login/entra")
    assert reply.status == 200 and "Teams Approver (aad-object-1)" in reply.text


def test_provider_down_gives_a_clear_message(store: Store, config: Config) -> None:
    dead = Provider(
        name="slack",
        label="Sign in with Slack",
        issuer="http://127.0.0.1:9",
        client_id="c",
        client_secret="s",
        identity="slack",
        user_claim="sub",
    )
    with _dashboard(store, config, {"slack": dead}) as server:
        reply = Client(server.url).get("/dashboard/login/slack")
    assert reply.status == 502 and "unreachable" in reply.text


def test_nothing_configured_means_no_buttons() -> None:
    assert configured_providers({}) == {}
    assert set(configured_providers({"SLACK_CLIENT_ID": "a", "SLACK_CLIENT_SECRET": "b"})) == {
        "slack"
    }
