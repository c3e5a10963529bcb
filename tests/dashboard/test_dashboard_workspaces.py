"""One deployment, many workspaces: each comms team's dashboard shows only its own data.

Two Slack workspaces (T1, T2) with their own approvers (workspace settings) share one
database. Each has a pending and a decided submission, a watch entry, a feedback
report and counted checks. Signed in to one workspace (by link or by Slack / Entra
sign-in), every page (queue, submission, decide, history, CSV, charts, watch list,
feedback) shows that workspace's data and none of the other's, on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from harness import Client
from oidc_provider import StandInProvider

from bot.config import Config
from bot.dashboard import auth
from bot.dashboard.oidc import configured_providers
from bot.dashboard.stats import record_check
from bot.server import build_app
from bot.server.live import LiveServer
from bot.store import Store, open_store
from bot.verdict import Verdict
from bot.workflow import Actor, Workflow
from bot.workspaces import config_for, update_settings

APPROVER = {"T1": "UAPPROVER1", "T2": "UAPPROVER2"}
RULE = {"T1": "legal.sub_judice", "T2": "conflict.insult"}


@dataclass
class Seeded:
    """What one workspace holds: ids and the distinctive words of its records."""

    workspace: str
    pending: str
    closed: str
    watch_term: str
    feedback_id: str
    feedback_note: str


def _seed(store: Store, base: Config, ws: str) -> Seeded:
    update_settings(
        store,
        ws,
        {"approvers": APPROVER[ws], "organisation_name": f"Borough of {ws}"},
        by=Actor("slack", "UADMIN"),
        base_config=base,
    )
    cfg = config_for(ws, store, base)
    approver = Actor("slack", APPROVER[ws])
    wf = Workflow(store, config=cfg)
    author = Actor("slack", f"UAUTHOR{ws}")
    pending = wf.submit(text=f"Pending draft of {ws}", verdict=Verdict([], "p"), author=author)
    closed = wf.submit(text=f"Closed draft of {ws}", verdict=Verdict([], "p"), author=author)
    wf.decide(closed.id, "approve", by=approver)

    from bot.feedback import add_feedback
    from bot.watch.service import WatchList

    term = f"Operation {ws}bird"
    WatchList(store, config=cfg).add(term, kind="codename", by=approver)
    note = f"Report from {ws} staff"
    item = add_feedback(
        store,
        cfg,
        text="You are an idiot at darts, mate",
        expected="ok",
        by=f"USTAFF{ws}",
        platform="slack",
        note=note,
    )
    record_check(
        store,
        decision="needs_approval",
        rules=[(RULE[ws], RULE[ws].split(".")[0])],
        platform="slack",
        workspace=ws,
    )
    return Seeded(ws, pending.id, closed.id, term, item.id, note)


def _sign_in_to(client: Client, store: Store, base: Config, user: str, ws: str) -> None:
    """Sign in with a one-time link for ``ws``, as a person clicking it would."""
    secret = auth.create_link(store, base, user, workspace=ws)
    page = client.get("/dashboard/login?" + urllib.parse.urlencode({"token": secret}))
    token = re.search(r'name="token" value="([^"]+)"', page.body)
    assert page.status == 200 and token, page.text[:300]
    reply = client.post(
        "/dashboard/login", {"csrf": page.csrf(), "token": token.group(1), "next": ""}
    )
    assert reply.status == 200 and reply.url.endswith("/dashboard/queue"), reply.text[:300]


def _assert_sees_only(client: Client, mine: Seeded, theirs: Seeded) -> None:
    queue = client.get("/dashboard/queue")
    assert mine.pending in queue.text and theirs.pending not in queue.text
    assert f"Borough of {mine.workspace}" in queue.text  # its own name in the header
    assert f"Borough of {theirs.workspace}" not in queue.text
    assert f"UAUTHOR{theirs.workspace}" not in queue.text

    own = client.get(f"/dashboard/submissions/{mine.pending}")
    assert own.status == 200 and f"Pending draft of {mine.workspace}" in own.text
    for sid in (theirs.pending, theirs.closed):
        other = client.get(f"/dashboard/submissions/{sid}")
        assert other.status == 404 and f"draft of {theirs.workspace}" not in other.text

    # Deciding another workspace's draft: unknown here, and nothing changes there.
    decided = client.post(
        f"/dashboard/submissions/{theirs.pending}/decide",
        {"csrf": queue.csrf(), "decision": "approve", "note": ""},
    )
    assert decided.status == 404

    history = client.get("/dashboard/decisions")
    assert mine.closed in history.text and theirs.closed not in history.text
    csv_body = client.get("/dashboard/decisions.csv").body
    assert mine.closed in csv_body and theirs.closed not in csv_body
    searched = client.get(f"/dashboard/decisions?q={theirs.workspace}")
    assert theirs.closed not in searched.text

    charts = client.get("/dashboard/charts")
    assert RULE[mine.workspace] in charts.text and RULE[theirs.workspace] not in charts.text

    watch = client.get("/dashboard/watch")
    assert watch.status == 200
    assert mine.watch_term in watch.text and theirs.watch_term not in watch.text

    feedback = client.get("/dashboard/feedback")
    assert feedback.status == 200
    assert mine.feedback_note in feedback.text and theirs.feedback_note not in feedback.text
    confirmed = client.post(
        "/dashboard/feedback",
        {"csrf": feedback.csrf(), "id": theirs.feedback_id, "action": "confirm"},
    )
    assert confirmed.status == 400 and theirs.feedback_note not in confirmed.text


def test_each_workspace_dashboard_shows_only_its_own_data(
    server: LiveServer, store: Store, config: Config
) -> None:
    seeded = {ws: _seed(store, config, ws) for ws in ("T1", "T2")}
    for ws, other in (("T1", "T2"), ("T2", "T1")):
        client = Client(server.url)
        _sign_in_to(client, store, config, APPROVER[ws], ws)
        _assert_sees_only(client, seeded[ws], seeded[other])

    # Nothing crossed: the other workspace's pending draft and report are untouched.
    from bot.feedback import list_feedback

    for ws in ("T1", "T2"):
        cfg = config_for(ws, store, config)
        assert Workflow(store, config=cfg).get(seeded[ws].pending).state == "pending"
        pending = list_feedback(store, cfg, pending=True)
        assert [f.id for f in pending] == [seeded[ws].feedback_id]

    # The single-organisation dashboard (workspace "") sees neither.
    client = Client(server.url)
    _sign_in_to(client, store, config, "bob", "")
    queue = client.get("/dashboard/queue").text
    assert seeded["T1"].pending not in queue and seeded["T2"].pending not in queue
    assert "Operation T" not in client.get("/dashboard/watch").text


def test_a_link_is_for_one_workspace_and_its_approvers(store: Store, config: Config) -> None:
    for ws in ("T1", "T2"):
        update_settings(
            store, ws, {"approvers": APPROVER[ws]}, by=Actor("slack", "UADMIN"), base_config=config
        )
    secret = auth.create_link(store, config, APPROVER["T1"], workspace="T1")
    _, who = auth.redeem_link(store, config, secret)
    assert (who.workspace, who.is_approver) == ("T1", True)
    # T1's approver is nobody in T2; the file's approvers are nobody in a workspace
    # whose admin named its own.
    for user, ws in ((APPROVER["T1"], "T2"), ("bob", "T1")):
        with pytest.raises(auth.NotAllowed):
            auth.create_link(store, config, user, workspace=ws)
    # The CLI's link (no workspace given) is for the config's own workspace.
    _, bob = auth.redeem_link(store, config, auth.create_link(store, config, "bob"))
    assert bob.workspace == config.workspace == ""


def test_a_session_ends_when_its_workspace_drops_the_approver(
    server: LiveServer, store: Store, config: Config
) -> None:
    _seed(store, config, "T1")
    client = Client(server.url)
    _sign_in_to(client, store, config, APPROVER["T1"], "T1")
    assert client.get("/dashboard/queue").url.endswith("/dashboard/queue")
    update_settings(
        store, "T1", {"approvers": "UNEWAPPROVER"}, by=Actor("slack", "UADMIN"), base_config=config
    )
    assert "/dashboard/login" in client.get("/dashboard/queue").url


# ---------------------------------------------------------------------- OpenID Connect


@pytest.fixture
def sqlite_oidc_store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path / 'ws-oidc.db'}")
    yield s
    s.dispose()


@pytest.fixture
def idp() -> Iterator[StandInProvider]:
    provider = StandInProvider()
    with LiveServer(provider.app()) as live:
        provider.base = live.url
        yield provider


def _multi(store: Store, config: Config, providers: dict[str, object]) -> LiveServer:
    app = build_app(
        config,
        platforms=[],
        store=store,
        tick=False,
        options={"dashboard": {"providers": providers, "multi_workspace": True}},
    )
    return LiveServer(app)


def test_slack_sign_in_opens_the_dashboard_of_its_team(
    idp: StandInProvider, sqlite_oidc_store: Store, config: Config
) -> None:
    store = sqlite_oidc_store
    seeded = {ws: _seed(store, config, ws) for ws in ("T1", "T2")}
    env = {
        "SLACK_CLIENT_ID": idp.client_id,
        "SLACK_CLIENT_SECRET": idp.client_secret,
        "CANIPOST_SLACK_OIDC_ISSUER": idp.base,
    }
    slack = configured_providers(env)["slack"]
    with _multi(store, config, {"slack": slack}) as server:
        idp.claims = {
            "https://slack.com/user_id": APPROVER["T2"],
            "https://slack.com/team_id": "T2",
        }
        client = Client(server.url)
        reply = client.get("/dashboard/login/slack")
        assert reply.status == 200 and reply.url.endswith("/dashboard/queue"), reply.text[:300]
        _assert_sees_only(client, seeded["T2"], seeded["T1"])

        # T2's approver signing in through T1's Slack is nobody there.
        idp.claims["https://slack.com/team_id"] = "T1"
        refused = Client(server.url).get("/dashboard/login/slack")
        assert refused.status == 403 and "not an approver" in refused.text

        # A token that names no team cannot pick a workspace.
        idp.claims = {"https://slack.com/user_id": APPROVER["T1"]}
        unnamed = Client(server.url).get("/dashboard/login/slack")
        assert unnamed.status == 403 and "which workspace" in unnamed.text


def test_entra_sign_in_opens_the_dashboard_of_its_tenant(
    idp: StandInProvider, sqlite_oidc_store: Store, config: Config
) -> None:
    store = sqlite_oidc_store
    tenant = "0b5c6a3e-1f2d-4c8b-9a7e-3d2f1e0c9b8a"
    oid = "aad-object-1"
    update_settings(
        store, tenant, {"approvers": oid}, by=Actor("teams", "admin"), base_config=config
    )
    cfg = config_for(tenant, store, config)
    mine = Workflow(store, config=cfg).submit(
        text="Tenant draft", verdict=Verdict([], "p"), author=Actor("teams", "staff")
    )
    elsewhere = Workflow(store, config=config_for("T1", store, config)).submit(
        text="Slack draft", verdict=Verdict([], "p"), author=Actor("slack", "USTAFF")
    )
    idp.issuer_template = "{base}/{tenantid}/v2.0"
    idp.claims = {"oid": oid, "tid": tenant, "name": "Tenant Approver"}
    env = {
        "CANIPOST_ENTRA_CLIENT_ID": idp.client_id,
        "CANIPOST_ENTRA_CLIENT_SECRET": idp.client_secret,
        "CANIPOST_ENTRA_ISSUER": idp.base,
    }
    entra = configured_providers(env)["entra"]
    with _multi(store, config, {"entra": entra}) as server:
        client = Client(server.url)
        reply = client.get("/dashboard/login/entra")
        assert reply.status == 200 and "Tenant Approver (aad-object-1)" in reply.text
        assert mine.id in reply.text and elsewhere.id not in reply.text
        assert client.get(f"/dashboard/submissions/{elsewhere.id}").status == 404
