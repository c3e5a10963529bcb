"""Slack OAuth: install pages, installations in the database, each workspace answered as itself.

The real server and Bolt pipeline on 127.0.0.1, every request signed as Slack
signs it, and a loopback Slack Web API that plays ``oauth.v2.access`` (codes
and refresh tokens) and ``auth.test`` per token. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import json
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from aiohttp import web
from slack_harness import RISKY, SECRET, button_value, fake_asker
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import MetaData, func, select

from bot.config import Approvers, Config
from bot.server import build_app, context_of
from bot.server.app import ServerContext
from bot.slack.blocks import ACTION_APPROVE, ACTION_SUBMIT, validate_view
from bot.slack.oauth import GROUP_SIGN_IN_KEY, OAuthEnv, SignedStateStore, workspace_id
from bot.slack.settings import SlackSettings
from bot.slack.testing import (
    LiveServer,
    MockSlackAPI,
    action_body,
    command_body,
    signed_headers,
    view_body,
)
from bot.store import models as m
from bot.store import open_store
from bot.workflow import Actor
from bot.workspaces import config_for, load_settings, update_settings
from bot.workspaces.slack_ui import SHORTCUT, VIEW

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "client-secret-for-tests"
STATE_SECRET = "state-secret-for-tests"


class SlackOAuthAPI(MockSlackAPI):
    """The recording Web API stand-in, plus OAuth: codes → installations, tokens → teams."""

    def __init__(self) -> None:
        super().__init__()
        self._local = threading.local()
        #: code → (team id or None, enterprise id or None, org-wide, expires_in or None)
        self.codes: dict[str, tuple[str | None, str | None, bool, int | None]] = {}
        self.tokens: dict[str, tuple[str | None, str | None]] = {}
        self.refreshes = 0
        #: Workspace admins (users.info) and channels the bot is in (conversations.info).
        self.admins: set[str] = set()
        self.member_of: set[str] = set()
        #: usergroups.users.list: group id → member ids.
        self.groups: dict[str, list[str]] = {}

    def handle(
        self, method: str, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        self._local.auth = headers.get("Authorization") or headers.get("authorization") or ""
        return super().handle(method, path, headers, raw)

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "oauth.v2.access":
            return self._access(args)
        if method == "auth.test":
            token = self._local.auth.removeprefix("Bearer ").strip() or str(args.get("token"))
            team, enterprise = self.tokens.get(token, (None, None))
            if team is None and enterprise is None:
                return {"ok": False, "error": "invalid_auth"}
            return {
                "ok": True,
                "user_id": "UBOT",
                "bot_id": "BBOT",
                "team_id": team,
                "enterprise_id": enterprise,
                "url": "https://x.slack.com/",
            }
        if method == "usergroups.users.list":
            return {"ok": True, "users": self.groups.get(str(args.get("usergroup")), [])}
        if method == "users.info":
            user = str(args.get("user"))
            return {"ok": True, "user": {"id": user, "is_admin": user in self.admins}}
        if method == "conversations.info":
            channel = str(args.get("channel"))
            return {"ok": True, "channel": {"id": channel, "is_member": channel in self.member_of}}
        return super()._answer(method, args)

    def _client_authenticated(self, args: dict[str, Any]) -> bool:
        """The app's credentials, as Basic auth (what slack_sdk sends) or form fields."""
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        basic = self._local.auth == f"Basic {expected}"
        form = args.get("client_id") == CLIENT_ID and args.get("client_secret") == CLIENT_SECRET
        return basic or form

    def _access(self, args: dict[str, Any]) -> dict[str, Any]:
        if not self._client_authenticated(args):
            return {"ok": False, "error": "invalid_client"}
        if args.get("grant_type") == "refresh_token":
            old = str(args.get("refresh_token"))
            team = old.split("-")[1]
            self.refreshes += 1
            token = f"xoxb-{team}-rotated{self.refreshes}"
            self.tokens[token] = (team, None)
            return {
                "ok": True,
                "access_token": token,
                "refresh_token": f"xoxe-{team}-r{self.refreshes}",
                "expires_in": 43200,
                "token_type": "bot",
                "team": {"id": team},
            }
        spec = self.codes.get(str(args.get("code")))
        if spec is None or not self._client_authenticated(args):
            return {"ok": False, "error": "invalid_code"}
        team, enterprise, org_wide, expires = spec
        owner = team or enterprise or "X"
        token = f"xoxb-{owner}-1"
        self.tokens[token] = (team, enterprise)
        out: dict[str, Any] = {
            "ok": True,
            "app_id": "A1",
            "authed_user": {"id": "UINSTALLER"},
            "scope": "commands,chat:write",
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": "UBOT",
            "team": {"id": team, "name": f"Team {team}"} if team else None,
            "enterprise": {"id": enterprise, "name": f"Org {enterprise}"} if enterprise else None,
            "is_enterprise_install": org_wide,
        }
        if expires is not None:
            out["refresh_token"] = f"xoxe-{owner}-0"
            out["expires_in"] = expires
        return out

    def bearer(self, call: Any) -> str:
        h = call.headers
        return str(h.get("Authorization") or h.get("authorization") or "")


class Harness:
    def __init__(self, api: SlackOAuthAPI, server: LiveServer, ctx: ServerContext) -> None:
        self.api, self.server, self.ctx = api, server, ctx
        self.app: web.Application | None = None

    # ------------------------------------------------------------------ install

    def start_install(self) -> tuple[str, str]:
        """GET /slack/install: (state, cookie) as a browser would keep them."""
        status, text, headers = self.server.get("/slack/install")
        assert status == 200, text
        assert "slack.com/oauth/v2/authorize" in text
        cookie = headers["Set-Cookie"].split(";", 1)[0]
        link = text[text.index("https://slack.com/oauth/v2/authorize") :].split('"', 1)[0]
        query = parse_qs(urlparse(link.replace("&amp;", "&")).query)
        assert query["client_id"] == [CLIENT_ID]
        assert "commands" in query["scope"][0].split(",")
        return query["state"][0], cookie

    def callback(self, code: str, state: str, cookie: str) -> tuple[int, str]:
        status, text, _ = self.server.request(
            "GET", f"/slack/oauth_redirect?code={code}&state={state}", headers={"Cookie": cookie}
        )
        return status, text

    def install(self, team: str | None, *, enterprise: str | None = None, **kw: Any) -> None:
        code = f"code-{team or enterprise}"
        self.api.codes[code] = (team, enterprise, kw.get("org_wide", False), kw.get("expires"))
        state, cookie = self.start_install()
        status, text = self.callback(code, state, cookie)
        assert status == 200, text
        assert "canipost is installed" in text

    def bots(self) -> list[dict[str, Any]]:
        with self.ctx.store.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(m.slack_bots))]

    # ------------------------------------------------------------------ requests from a workspace

    def send(self, body: str) -> tuple[int, str]:
        status, text, _ = self.server.post("/slack/events", body, signed_headers(SECRET, body))
        return status, text

    def event(
        self, team: str, event: dict[str, Any], *, enterprise: str | None = None, org: bool = False
    ) -> tuple[int, str]:
        body = {
            "token": "legacy",
            "team_id": team,
            "enterprise_id": enterprise,
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": f"Ev{time.monotonic_ns()}",
            "event_time": int(time.time()),
            "is_enterprise_install": org,
            "authorizations": [
                {
                    "enterprise_id": enterprise,
                    "team_id": None if org else team,
                    "user_id": "UBOT",
                    "is_bot": True,
                    "is_enterprise_install": org,
                }
            ],
            "event": event,
        }
        return self.send(json.dumps(body))

    def home(self, team: str, user: str, **kw: Any) -> tuple[int, str]:
        return self.event(
            team, {"type": "app_home_opened", "user": user, "tab": "home", "channel": "D1"}, **kw
        )

    def command(self, team: str, text: str, *, user: str) -> dict[str, Any]:
        body = command_body("/canipost", text, user=user, response_url=self.api.response_url())
        status, out = self.send(body.replace("team_id=T1", f"team_id={team}"))
        assert status == 200, out
        return json.loads(out) if out.startswith("{") else {}

    def shortcut(self, team: str, callback_id: str, *, user: str) -> None:
        body = {
            "type": "shortcut",
            "callback_id": callback_id,
            "trigger_id": f"trigger.{time.monotonic_ns()}",
            "team": {"id": team, "domain": "x"},
            "user": {"id": user, "username": user.lower(), "team_id": team},
            "token": "legacy",
            "action_ts": f"{time.time():.6f}",
        }
        status, out = self.send(urlencode({"payload": json.dumps(body)}))
        assert status == 200, out

    def save_settings(self, team: str, values: dict[str, Any], *, user: str) -> dict[str, Any]:
        body = view_body(VIEW, values, user=user)
        status, out = self.send(body.replace("%22T1%22", f"%22{team}%22"))
        assert status == 200, out
        return json.loads(out) if out.startswith("{") else {}

    def click(self, team: str, action: str, value: str, *, user: str) -> None:
        body = action_body(action, value, user=user, response_url=self.api.response_url("c"))
        status, out = self.send(body.replace("%22T1%22", f"%22{team}%22"))
        assert status == 200, out


@pytest.fixture
def oauth(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    monkeypatch.setenv("DATABASE_URL", db_url)
    with _serving(db_url) as harness:
        yield harness


@contextmanager
def _serving(db_url: str, dashboard: dict[str, Any] | None = None) -> Iterator[Harness]:
    """The server with Slack OAuth (and ``dashboard`` options, e.g. its OIDC providers)."""
    config = Config(
        approvers=Approvers(slack=["UFILEAPPROVER"]),
        workflow={"tick_seconds": 3600},
    )
    with SlackOAuthAPI() as api:
        store = open_store(db_url)
        settings = SlackSettings(signing_secret=SECRET, api_url=api.url)
        env = OAuthEnv(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            signing_secret=SECRET,
            state_secret=STATE_SECRET,
        )
        app = build_app(
            config,
            platforms=["slack"],
            store=store,
            options={
                "slack": {
                    "settings": settings,
                    "oauth": env,
                    "llm_enabled": False,
                    "asker": fake_asker,
                },
                **({"dashboard": dashboard} if dashboard else {}),
            },
            tick=False,
        )
        with LiveServer(app) as server:
            harness = Harness(api, server, context_of(app))
            harness.app = app
            yield harness
        store.dispose()


# ---------------------------------------------------------------------- the install flow


def test_installing_stores_the_workspace_and_its_token(oauth: Harness) -> None:
    oauth.install("TAAAA")
    bots = oauth.bots()
    assert [(b["team_id"], b["bot_token"], b["client_id"]) for b in bots] == [
        ("TAAAA", "xoxb-TAAAA-1", CLIENT_ID)
    ]
    assert oauth.api.of("oauth.v2.access")[0].args["code"] == "code-TAAAA"


@pytest.mark.parametrize("how", ["reused", "forged", "unsigned", "no-cookie"])
def test_a_bad_or_reused_state_gets_a_400_page_and_nothing_is_stored(
    oauth: Harness, how: str
) -> None:
    oauth.api.codes["code-X"] = ("TXXXX", None, False, None)
    state, cookie = oauth.start_install()
    if how == "reused":
        oauth.install("TAAAA")  # a first, good install
        state, cookie = oauth.start_install()
        assert oauth.callback("code-TAAAA", state, cookie)[0] == 200
        before = oauth.bots()
        status, text = oauth.callback("code-X", state, cookie)  # the same state again
        assert oauth.bots() == before
    else:
        if how == "forged":
            raw = state.rsplit(".", 1)[0]
            state = raw + ".0123456789abcdef0123456789abcdef"
            cookie = cookie.split("=", 1)[0] + "=" + state
        elif how == "unsigned":
            state = state.rsplit(".", 1)[0]
            cookie = cookie.split("=", 1)[0] + "=" + state
        elif how == "no-cookie":
            cookie = "other=1"
        status, text = oauth.callback("code-X", state, cookie)
        assert oauth.bots() == []
    assert status == 400
    assert "<!doctype html>" in text and "was not installed" in text
    assert not [c for c in oauth.api.of("oauth.v2.access") if c.args.get("code") == "code-X"]


# ---------------------------------------------------------------------- each workspace as itself


def test_each_workspace_is_answered_with_its_own_token(oauth: Harness) -> None:
    oauth.install("TAAAA")
    oauth.install("TBBBB")
    oauth.api.reset()
    oauth.home("TAAAA", "UA1")
    oauth.home("TBBBB", "UB1")
    published = oauth.api.wait_for("views.publish", count=2)
    by_user = {c.args["user_id"]: oauth.api.bearer(c) for c in published}
    assert by_user == {"UA1": "Bearer xoxb-TAAAA-1", "UB1": "Bearer xoxb-TBBBB-1"}


def test_a_workspace_without_an_installation_gets_nothing(oauth: Harness) -> None:
    oauth.install("TAAAA")
    oauth.api.reset()
    status, _ = oauth.home("TNOTINSTALLED", "UX")
    assert status == 200
    ack = oauth.command("TNOTINSTALLED", RISKY, user="UX")
    assert "Needs approval" not in json.dumps(ack)
    time.sleep(0.3)
    assert [c.method for c in oauth.api.calls if c.method != "response_url"] == []
    with oauth.ctx.store.read() as s:
        assert s.scalar(select(func.count()).select_from(m.Submission)) == 0


def test_queue_cards_and_app_home_stay_in_their_workspace(oauth: Harness) -> None:
    oauth.install("TAAAA")
    oauth.install("TBBBB")
    base = oauth.ctx.config
    admin = Actor("slack", "UADMIN")
    update_settings(
        oauth.ctx.store,
        "TAAAA",
        {"channel": "CAPPRA1", "approvers": "UAPPA"},
        by=admin,
        base_config=base,
    )
    update_settings(
        oauth.ctx.store,
        "TBBBB",
        {"channel": "CAPPRB1", "approvers": "UAPPB"},
        by=admin,
        base_config=base,
    )
    ack = oauth.command("TAAAA", RISKY, user="UAUTHA")
    oauth.click("TAAAA", ACTION_SUBMIT, button_value(ack, ACTION_SUBMIT), user="UAUTHA")
    card = oauth.api.wait_for(
        "chat.postMessage", where=lambda c: c.args.get("channel") in ("CAPPRA1", "CAPPRB1")
    )[0]
    assert card.args["channel"] == "CAPPRA1"
    assert oauth.api.bearer(card) == "Bearer xoxb-TAAAA-1"
    with oauth.ctx.store.read() as s:
        rows = s.scalars(select(m.Submission)).all()
        trail = {a.workspace for a in s.scalars(select(m.AuditEntry)).all() if a.submission_id}
    assert [r.workspace for r in rows] == ["TAAAA"]
    assert trail == {"TAAAA"}
    sid = rows[0].id
    oauth.api.reset()
    oauth.home("TBBBB", "UAPPB")  # B's approver: nothing of A's
    oauth.home("TAAAA", "UAPPA")  # A's approver: A's queue
    views = {
        c.args["user_id"]: json.dumps(c.args) for c in oauth.api.wait_for("views.publish", count=2)
    }
    assert sid not in views["UAPPB"]
    assert sid in views["UAPPA"]


# ---------------------------------------------------------------------- lifecycle


def test_app_uninstalled_and_tokens_revoked_remove_the_tokens(oauth: Harness) -> None:
    oauth.install("TAAAA")
    oauth.install("TBBBB")
    status, _ = oauth.event("TAAAA", {"type": "app_uninstalled"})
    assert status == 200
    _wait(lambda: [b["team_id"] for b in oauth.bots()] == ["TBBBB"])
    status, _ = oauth.event("TBBBB", {"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}})
    assert status == 200
    _wait(lambda: oauth.bots() == [])
    oauth.api.reset()
    oauth.home("TAAAA", "UA1")
    time.sleep(0.3)
    assert oauth.api.of("views.publish") == []


def test_an_expiring_token_is_rotated_before_use(oauth: Harness) -> None:
    oauth.install("TCCCC", expires=60)  # expires well inside Bolt's rotation window
    oauth.api.reset()
    oauth.home("TCCCC", "UC1")
    call = oauth.api.wait_for("views.publish")[0]
    refresh = oauth.api.of("oauth.v2.access")
    assert [c.args.get("grant_type") for c in refresh] == ["refresh_token"]
    assert oauth.api.bearer(call) == "Bearer xoxb-TCCCC-rotated1"
    assert [b["bot_token"] for b in oauth.bots() if b["bot_token"].endswith("rotated1")]


def test_an_org_wide_enterprise_install_serves_every_workspace_of_the_org(
    oauth: Harness,
) -> None:
    oauth.install(None, enterprise="E0ORG", org_wide=True)
    bots = oauth.bots()
    assert [(b["enterprise_id"], b["team_id"], b["is_enterprise_install"]) for b in bots] == [
        ("E0ORG", None, True)
    ]
    oauth.api.reset()
    oauth.home("T0ONEINORG", "UE1", enterprise="E0ORG", org=True)
    oauth.home("T0TWOINORG", "UE2", enterprise="E0ORG", org=True)
    calls = oauth.api.wait_for("views.publish", count=2)
    assert {oauth.api.bearer(c) for c in calls} == {"Bearer xoxb-E0ORG-1"}
    assert workspace_id(
        {"enterprise_id": "E0ORG", "team_id": "T1", "is_enterprise_install": True}
    ) == ("E0ORG")


# ---------------------------------------------------------------------- pieces


def test_our_tables_match_the_sdks_stores_column_for_column() -> None:
    md = MetaData()
    theirs = [
        SQLAlchemyInstallationStore.build_installations_table(md, "slack_installations"),
        SQLAlchemyInstallationStore.build_bots_table(md, "slack_bots"),
        SQLAlchemyOAuthStateStore.build_oauth_states_table(md, "slack_oauth_states"),
    ]
    for table in theirs:
        ours = m.Base.metadata.tables[table.name]
        assert [c.name for c in ours.columns] == [c.name for c in table.columns]
        for c in table.columns:
            mine = ours.c[c.name]
            assert type(mine.type) is type(c.type), c.name
            assert getattr(mine.type, "length", None) == getattr(c.type, "length", None), c.name
            assert mine.nullable == c.nullable, c.name


def test_signed_states_refuse_what_we_did_not_mint(db_url: str) -> None:
    store = open_store(db_url)
    inner = SQLAlchemyOAuthStateStore(expiration_seconds=60, engine=store.engine)
    signed = SignedStateStore(inner, "k")
    state = signed.issue()
    assert not signed.consume(state.rsplit(".", 1)[0])  # the raw state, unsigned
    assert signed.consume(state)
    assert not signed.consume(state)  # once only
    store.dispose()


def test_oauth_env_hides_secrets_and_names_what_is_missing() -> None:
    env = OAuthEnv.from_env({"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "topsecret"})
    assert env.enabled and "topsecret" not in repr(env)
    with pytest.raises(Exception, match="SLACK_SIGNING_SECRET"):
        env.check()
    assert not OAuthEnv.from_env({}).enabled
    scoped = OAuthEnv.from_env({"SLACK_CLIENT_ID": "1", "SLACK_SCOPES": "commands, chat:write"})
    assert scoped.scopes == ("commands", "chat:write")


def _wait(cond: Any, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


# ---------------------------------------------------------------------- admin settings


def _form(**fields: Any) -> dict[str, dict[str, Any]]:
    values: dict[str, dict[str, Any]] = {
        "approvers_channel": {"v": {"type": "conversations_select", "selected_conversation": None}},
        "approvers": {"v": {"type": "multi_users_select", "selected_users": []}},
        "profile": {"v": {"type": "static_select", "selected_option": {"value": "council"}}},
    }
    for key in ("approver_group", "organisation_name", "domains", "phones", "emails", "overrides"):
        values[key] = {"v": {"type": "plain_text_input", "value": None}}
    for key, value in fields.items():
        v = values[key]["v"]
        if "selected_conversation" in v:
            v["selected_conversation"] = value
        elif "selected_users" in v:
            v["selected_users"] = value
        elif "selected_option" in v:
            v["selected_option"] = {"value": value}
        else:
            v["value"] = value
    return values


def test_an_admin_opens_the_settings_and_anyone_else_is_refused(oauth: Harness) -> None:
    oauth.install("TAAAA")
    oauth.api.admins.add("UADMIN")
    oauth.api.reset()
    oauth.shortcut("TAAAA", SHORTCUT, user="UADMIN")
    view = oauth.api.wait_for("views.open")[0].args["view"]
    assert view["callback_id"] == VIEW
    validate_view(view)  # Block Kit's limits, as for every view we send
    assert [b["block_id"] for b in view["blocks"]][:3] == [
        "approvers_channel",
        "approvers",
        "profile",
    ]
    assert oauth.api.bearer(oauth.api.of("views.open")[0]) == "Bearer xoxb-TAAAA-1"
    oauth.shortcut("TAAAA", SHORTCUT, user="USTAFF")
    refused = oauth.api.wait_for("views.open", count=2)[-1].args["view"]
    assert "Only a workspace admin" in json.dumps(refused)
    answer = oauth.save_settings("TAAAA", _form(profile="nhs"), user="USTAFF")
    assert answer["response_action"] == "update" and "Only a workspace admin" in json.dumps(answer)
    assert load_settings(oauth.ctx.store, "TAAAA").version == 0


def test_saving_settings_applies_them_to_that_workspace_only(oauth: Harness) -> None:
    oauth.install("TAAAA")
    oauth.install("TBBBB")
    oauth.api.admins.add("UADMIN")
    oauth.api.member_of.add("CCOMMSA")
    answer = oauth.save_settings(
        "TAAAA",
        _form(
            approvers_channel="CCOMMSA",
            approvers=["UAPPA1", "UAPPA2"],
            profile="charity",
            organisation_name="Helping Hands",
            domains="helpinghands.org.uk",
        ),
        user="UADMIN",
    )
    assert answer["response_action"] == "update"
    assert "Saved." in json.dumps(answer) and "invite" not in json.dumps(answer)
    a = config_for("TAAAA", oauth.ctx.store, oauth.ctx.config)
    b = config_for("TBBBB", oauth.ctx.store, oauth.ctx.config)
    assert (a.profile, a.organisation.name, a.organisation.domains) == (
        "charity",
        "Helping Hands",
        ["helpinghands.org.uk"],
    )
    assert a.approvers.ids_for("slack") == {"UAPPA1", "UAPPA2"}
    assert (b.profile, b.workspace) == ("council", "TBBBB")
    # An approver of A may now change A's settings without being a workspace admin.
    again = oauth.save_settings("TAAAA", _form(profile="nhs"), user="UAPPA1")
    assert "Saved." in json.dumps(again)
    assert config_for("TAAAA", oauth.ctx.store, oauth.ctx.config).profile == "nhs"


def test_a_bad_value_is_shown_under_its_field_and_nothing_is_stored(oauth: Harness) -> None:
    oauth.install("TAAAA")
    oauth.api.admins.add("UADMIN")
    bad = oauth.save_settings("TAAAA", _form(domains="not a domain!"), user="UADMIN")
    assert bad["response_action"] == "errors" and "domains" in bad["errors"]
    rule = oauth.save_settings("TAAAA", _form(overrides="no.such_rule=off"), user="UADMIN")
    assert rule["response_action"] == "errors" and "no.such_rule" in rule["errors"]["overrides"]
    assert load_settings(oauth.ctx.store, "TAAAA").version == 0


def test_a_channel_the_bot_is_not_in_is_saved_and_the_admin_told_to_invite_it(
    oauth: Harness,
) -> None:
    oauth.install("TAAAA")
    oauth.api.admins.add("UADMIN")
    answer = oauth.save_settings("TAAAA", _form(approvers_channel="CNOTIN1"), user="UADMIN")
    text = json.dumps(answer)
    assert "/invite @canipost" in text and "CNOTIN1" in text
    assert load_settings(oauth.ctx.store, "TAAAA").settings.approvers_channel == "CNOTIN1"


def test_members_of_the_approver_user_group_may_decide(oauth: Harness) -> None:
    oauth.install("TAAAA")
    oauth.api.groups["S0COMMSTEAM"] = ["UGROUPMEMBER"]
    update_settings(
        oauth.ctx.store,
        "TAAAA",
        {"channel": "CAPPRA1", "approver_group": "<!subteam^S0COMMSTEAM|comms>"},
        by=Actor("slack", "UADMIN"),
        base_config=oauth.ctx.config,
    )
    ack = oauth.command("TAAAA", RISKY, user="UAUTHA")
    oauth.click("TAAAA", ACTION_SUBMIT, button_value(ack, ACTION_SUBMIT), user="UAUTHA")
    oauth.api.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == "CAPPRA1")
    with oauth.ctx.store.read() as s:
        sid = s.scalars(select(m.Submission.id)).one()
    oauth.click("TAAAA", ACTION_APPROVE, sid, user="UOUTSIDER")
    with oauth.ctx.store.read() as s:
        assert s.get(m.Submission, sid).state == "pending"  # type: ignore[union-attr]
    oauth.click("TAAAA", ACTION_APPROVE, sid, user="UGROUPMEMBER")
    _wait(lambda: _state(oauth, sid) == "approved")
    lookups = oauth.api.of("usergroups.users.list")
    assert lookups and {oauth.api.bearer(c) for c in lookups} == {"Bearer xoxb-TAAAA-1"}


def _state(oauth: Harness, sid: str) -> str | None:
    with oauth.ctx.store.read() as s:
        row = s.get(m.Submission, sid)
        return row.state if row is not None else None


def test_members_of_the_approver_user_group_see_the_queue_in_app_home(oauth: Harness) -> None:
    oauth.install("TAAAA")
    oauth.api.groups["S0COMMSTEAM"] = ["UGROUPMEMBER"]
    update_settings(
        oauth.ctx.store,
        "TAAAA",
        {"channel": "CAPPRA1", "approver_group": "<!subteam^S0COMMSTEAM|comms>"},
        by=Actor("slack", "UADMIN"),
        base_config=oauth.ctx.config,
    )
    ack = oauth.command("TAAAA", RISKY, user="UAUTHA")
    oauth.click("TAAAA", ACTION_SUBMIT, button_value(ack, ACTION_SUBMIT), user="UAUTHA")
    oauth.api.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == "CAPPRA1")
    with oauth.ctx.store.read() as s:
        sid = s.scalars(select(m.Submission.id)).one()
    oauth.api.reset()
    oauth.home("TAAAA", "UGROUPMEMBER")  # in the group: the queue, with the draft to decide
    oauth.home("TAAAA", "UOUTSIDER")  # not in it: no queue
    views = {
        c.args["user_id"]: json.dumps(c.args) for c in oauth.api.wait_for("views.publish", count=2)
    }
    assert sid in views["UGROUPMEMBER"]
    assert sid not in views["UOUTSIDER"]
    lookups = oauth.api.of("usergroups.users.list")
    assert lookups and {oauth.api.bearer(c) for c in lookups} == {"Bearer xoxb-TAAAA-1"}


def _with_group(oauth: Harness, team: str = "TAAAA") -> Config:
    """``team`` installed, its approver user group S0COMMSTEAM holding UGROUPMEMBER."""
    oauth.install(team)
    oauth.api.groups["S0COMMSTEAM"] = ["UGROUPMEMBER"]
    update_settings(
        oauth.ctx.store,
        team,
        {"channel": "CAPPRA1", "approver_group": "<!subteam^S0COMMSTEAM|comms>"},
        by=Actor("slack", "UADMIN"),
        base_config=oauth.ctx.config,
    )
    return config_for(team, oauth.ctx.store, oauth.ctx.config)


def _report_and_watch(oauth: Harness, cfg: Config) -> tuple[str, str]:
    """A staff member's pending feedback report and a watch entry: (report id, entry id)."""
    from bot.feedback import add_feedback
    from bot.watch.service import WatchList

    report = add_feedback(
        oauth.ctx.store,
        cfg,
        text="You are an idiot at darts, mate",
        expected="ok",
        by="USTAFF",
        platform="slack",
        note="Staff think this was fine",
    )
    assert report.status == "pending"
    entry = WatchList(oauth.ctx.store, config=cfg).add(
        "Operation Kestrel", kind="codename", by=Actor("slack", "UFILEAPPROVER")
    )
    return report.id, entry.id


def _feedback_status(oauth: Harness, fid: str) -> tuple[str, str | None]:
    from bot.feedback.service import FeedbackRow

    with oauth.ctx.store.read() as s:
        row = s.get(FeedbackRow, fid)
        assert row is not None
        return row.status, row.reviewed_by


def test_members_of_the_approver_user_group_see_feedback_and_the_watch_list_in_app_home(
    oauth: Harness,
) -> None:
    from bot.slack.blocks import ACTION_FEEDBACK_CONFIRM, ACTION_WATCH_REMOVE

    cfg = _with_group(oauth)
    fid, eid = _report_and_watch(oauth, cfg)
    oauth.api.reset()
    oauth.home("TAAAA", "UGROUPMEMBER")
    oauth.home("TAAAA", "UOUTSIDER")
    views = {
        c.args["user_id"]: json.dumps(c.args) for c in oauth.api.wait_for("views.publish", count=2)
    }
    # The member's Home has what a configured approver's has: the report to confirm or
    # dismiss and the (confidential) watch list; the outsider's has neither.
    for shown in (fid, ACTION_FEEDBACK_CONFIRM, "Operation Kestrel", ACTION_WATCH_REMOVE):
        assert shown in views["UGROUPMEMBER"]
        assert shown not in views["UOUTSIDER"]

    # Its buttons work for the member, and only for them.
    oauth.click("TAAAA", ACTION_FEEDBACK_CONFIRM, fid, user="UOUTSIDER")
    oauth.click("TAAAA", ACTION_WATCH_REMOVE, eid, user="UOUTSIDER")
    oauth.api.wait_for("views.publish", count=4)
    assert _feedback_status(oauth, fid) == ("pending", None)
    oauth.click("TAAAA", ACTION_FEEDBACK_CONFIRM, fid, user="UGROUPMEMBER")
    _wait(lambda: _feedback_status(oauth, fid) == ("confirmed", "UGROUPMEMBER"))
    assert _removed_by(oauth, eid) is None
    oauth.click("TAAAA", ACTION_WATCH_REMOVE, eid, user="UGROUPMEMBER")
    _wait(lambda: _removed_by(oauth, eid) == "UGROUPMEMBER")


def test_a_report_from_a_member_of_the_approver_user_group_counts_at_once(
    oauth: Harness,
) -> None:
    """ "Was this right?" from a group member is an approver's report; an outsider's waits."""
    from slack_harness import feedback_form

    from bot.feedback import list_feedback
    from bot.slack.blocks import ACTION_FEEDBACK, VIEW_FEEDBACK

    cfg = _with_group(oauth)
    form = feedback_form("ok", [], "banter between colleagues")
    for n, user in enumerate(("UGROUPMEMBER", "UOUTSIDER"), start=1):
        ack = oauth.command("TAAAA", RISKY, user=user)
        oauth.click("TAAAA", ACTION_FEEDBACK, button_value(ack, ACTION_FEEDBACK), user=user)
        opened = oauth.api.wait_for("views.open", count=n)[-1].args["view"]
        body = view_body(
            VIEW_FEEDBACK, form, user=user, private_metadata=opened["private_metadata"]
        )
        status, out = oauth.send(body.replace("%22T1%22", "%22TAAAA%22"))
        assert status == 200, out
    status_of = {i.by: i.status for i in list_feedback(oauth.ctx.store, cfg)}
    assert status_of == {"UGROUPMEMBER": "confirmed", "UOUTSIDER": "pending"}


def _removed_by(oauth: Harness, eid: str) -> str | None:
    with oauth.ctx.store.read() as s:
        row = s.get(m.WatchEntryRow, eid)
        return row.removed_by if row is not None else None


# ---------------------------------------------------------------------- the dashboard


@pytest.fixture
def idp() -> Iterator[Any]:
    """The dashboard tests' loopback OpenID Connect provider, standing in for Slack's."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dashboard"))
    from oidc_provider import StandInProvider

    provider = StandInProvider()
    with LiveServer(provider.app()) as live:
        provider.base = live.url
        yield provider


def test_members_of_the_approver_user_group_sign_in_to_the_dashboard_as_approvers(
    db_url: str, monkeypatch: pytest.MonkeyPatch, idp: Any
) -> None:
    from harness import Client

    from bot.dashboard.oidc import configured_providers
    from bot.verdict import Verdict
    from bot.workflow import Workflow

    monkeypatch.setenv("DATABASE_URL", db_url)
    env = {
        "SLACK_CLIENT_ID": idp.client_id,
        "SLACK_CLIENT_SECRET": idp.client_secret,
        "CANIPOST_SLACK_OIDC_ISSUER": idp.base,
    }
    slack = configured_providers(env)["slack"]
    with _serving(db_url, {"providers": {"slack": slack}, "multi_workspace": True}) as oauth:
        cfg = _with_group(oauth)
        oauth.install("TBBBB")  # another workspace, no approver group
        fid, _entry = _report_and_watch(oauth, cfg)
        wf = Workflow(oauth.ctx.store, config=cfg)
        sid = wf.submit(
            text="Pending draft of TAAAA", verdict=Verdict([], "p"), author=Actor("slack", "UA")
        ).id
        other = Workflow(oauth.ctx.store, config=config_for("TBBBB", oauth.ctx.store, cfg))
        elsewhere = other.submit(
            text="Draft of TBBBB", verdict=Verdict([], "p"), author=Actor("slack", "UB")
        ).id

        def sign_in(user: str, team: str) -> tuple[Client, Any]:
            idp.claims = {
                "https://slack.com/user_id": user,
                "https://slack.com/team_id": team,
                "name": "Group Member",
            }
            client = Client(oauth.server.url)
            return client, client.get("/dashboard/login/slack")

        # Not in the group, or in it but signing in through another workspace: refused.
        for user, team in (("UOUTSIDER", "TAAAA"), ("UGROUPMEMBER", "TBBBB")):
            _, refused = sign_in(user, team)
            assert refused.status == 403 and "not an approver" in refused.text

        client, queue = sign_in("UGROUPMEMBER", "TAAAA")
        assert queue.status == 200 and queue.url.endswith("/dashboard/queue"), queue.text[:300]
        assert "Group Member (UGROUPMEMBER)" in queue.text
        assert sid in queue.text and elsewhere not in queue.text  # scoped to TAAAA

        # Exactly what a configured approver may do: watch list, feedback, decide.
        watch = client.get("/dashboard/watch")
        assert watch.status == 200 and "Operation Kestrel" in watch.text
        feedback = client.get("/dashboard/feedback")
        assert feedback.status == 200 and fid in feedback.text
        confirmed = client.post(
            "/dashboard/feedback", {"csrf": feedback.csrf(), "id": fid, "action": "confirm"}
        )
        assert confirmed.status == 200, confirmed.text[:300]
        assert _feedback_status(oauth, fid) == ("confirmed", "UGROUPMEMBER")
        page = client.get(f"/dashboard/submissions/{sid}")
        decided = client.post(
            f"/dashboard/submissions/{sid}/decide",
            {"csrf": page.csrf(), "decision": "approve", "note": ""},
        )
        assert decided.status == 200, decided.text[:300]
        decision = wf.get(sid)
        assert decision.state == "approved" and decision.decided_by is not None
        assert decision.decided_by.id == "UGROUPMEMBER"
        assert client.get(f"/dashboard/submissions/{elsewhere}").status == 404

        # Leaving the group ends the session (once the 60 s membership cache has expired).
        oauth.api.groups["S0COMMSTEAM"] = []
        assert oauth.app is not None
        oauth.app[GROUP_SIGN_IN_KEY].members._cache.clear()  # type: ignore[attr-defined]
        assert "/dashboard/login" in client.get("/dashboard/queue").url
        lookups = oauth.api.of("usergroups.users.list")
        assert lookups and {oauth.api.bearer(c) for c in lookups} == {"Bearer xoxb-TAAAA-1"}


def test_help_lists_what_each_person_may_use(oauth: Harness) -> None:
    """Slack's help is generated per person: a member of the workspace's approver user group
    sees the watch list and reports; a listed approver also the settings shortcut (they may
    open it); anyone else neither."""
    oauth.install("TAAAA")
    oauth.api.groups["S0COMMSTEAM"] = ["UGROUPMEMBER"]
    update_settings(
        oauth.ctx.store,
        "TAAAA",
        {
            "channel": "CAPPRA1",
            "approvers": ["UAPPA1"],
            "approver_group": "<!subteam^S0COMMSTEAM|comms>",
        },
        by=Actor("slack", "UADMIN"),
        base_config=oauth.ctx.config,
    )

    def help_text(user: str) -> str:
        return json.dumps(oauth.command("TAAAA", "help", user=user))

    listed, member, outsider = help_text("UAPPA1"), help_text("UGROUPMEMBER"), help_text("UX")
    assert "canipost settings" in listed and "/canipost watch" in listed
    assert "/canipost watch" in member and "canipost settings" not in member
    assert "canipost settings" not in outsider and "/canipost watch" not in outsider
    assert "/canipost ask" in outsider
