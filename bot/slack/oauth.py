"""Slack distribution: install in many workspaces with Bolt's OAuth, each answered as itself.

``SLACK_CLIENT_ID``, ``SLACK_CLIENT_SECRET`` and ``SLACK_SIGNING_SECRET`` turn it on
(optional ``SLACK_SCOPES``, ``SLACK_STATE_SECRET``, ``SLACK_REDIRECT_URI``):

* ``GET /slack/install`` — the "Add to Slack" page (Bolt's), with a one-time state;
  ``GET /slack/oauth_redirect`` — Slack sends the installer back here; the code is
  exchanged (``oauth.v2.access``) and the installation stored. A bad, forged or
  reused state gets a 400 page and nothing is stored.
* Installations and OAuth states live in ``DATABASE_URL``, in slack_sdk's own
  SQLAlchemy stores over the tables migration 0007 creates.
* Every request is authorised from the store (Bolt's ``InstallationStoreAuthorize``):
  each workspace is answered with its own bot token; a workspace with no
  installation gets no review and no API call. Expiring tokens are rotated
  (``token_rotation_enabled`` in the app manifest); ``app_uninstalled`` and
  ``tokens_revoked`` delete the workspace's tokens. An Enterprise Grid
  org-wide install serves every workspace of the org with the org's token.
* Each request runs with its workspace's :class:`~bot.config.Config`
  (:func:`bot.workspaces.config_for`): its profile, allow-lists, approvers, queue,
  audit log, watch list and feedback. The workspace id is the team id, or the
  enterprise id for an org-wide install.

Without the client id and secret the single-workspace ``SLACK_BOT_TOKEN`` mode of
:mod:`bot.slack.http` runs, unchanged.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.errors import ConfigError

if TYPE_CHECKING:
    from slack_bolt import App, BoltResponse
    from slack_bolt.oauth.oauth_settings import OAuthSettings
    from slack_sdk import WebClient
    from slack_sdk.oauth.state_store import OAuthStateStore
    from sqlalchemy.engine import Engine

    from bot.server.app import ServerContext
    from bot.slack.services import Services
    from bot.slack.settings import SlackSettings

log = logging.getLogger("canipost.slack")

#: The bot scopes of slack/manifest.yml, plus what the admin settings need:
#: channels:read/groups:read (is the bot in the approvers' channel?),
#: usergroups:read (approver group members), users:read (is this user an admin?).
DEFAULT_SCOPES: tuple[str, ...] = (
    "commands",
    "chat:write",
    "im:write",
    "im:history",
    "app_mentions:read",
    "channels:read",
    "groups:read",
    "usergroups:read",
    "users:read",
)
#: How long an install link stays valid.
STATE_SECONDS = 600
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


@dataclass(frozen=True, slots=True)
class OAuthEnv:
    """The OAuth part of the environment; secrets never appear in ``repr``."""

    client_id: str | None = None
    client_secret: str | None = None
    signing_secret: str | None = None
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    state_secret: str | None = None
    redirect_uri: str | None = None

    def __repr__(self) -> str:
        return (
            f"OAuthEnv(client_id={self.client_id!r}, "
            f"client_secret={'set' if self.client_secret else None}, "
            f"signing_secret={'set' if self.signing_secret else None}, "
            f"scopes={','.join(self.scopes)!r}, "
            f"state_secret={'set' if self.state_secret else None})"
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> OAuthEnv:
        env = os.environ if env is None else env
        scopes = tuple(s.strip() for s in env.get("SLACK_SCOPES", "").split(",") if s.strip())
        return cls(
            client_id=env.get("SLACK_CLIENT_ID") or None,
            client_secret=env.get("SLACK_CLIENT_SECRET") or None,
            signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
            scopes=scopes or DEFAULT_SCOPES,
            state_secret=env.get("SLACK_STATE_SECRET") or None,
            redirect_uri=env.get("SLACK_REDIRECT_URI") or None,
        )

    @property
    def enabled(self) -> bool:
        """Client id or secret set: OAuth mode was asked for (and must then be complete)."""
        return bool(self.client_id or self.client_secret)

    def check(self) -> None:
        """Refuse a half-configured install flow, naming what is missing."""
        missing = [
            name
            for name, value in (
                ("SLACK_CLIENT_ID", self.client_id),
                ("SLACK_CLIENT_SECRET", self.client_secret),
                ("SLACK_SIGNING_SECRET", self.signing_secret),
            )
            if not value
        ]
        if missing:
            raise ConfigError(
                f"Slack OAuth needs {', '.join(missing)} (Basic Information → App Credentials)"
            )


def oauth_enabled(env: Mapping[str, str] | None = None) -> bool:
    """Whether the environment asks for the multi-workspace install flow."""
    return OAuthEnv.from_env(env).enabled


# ---------------------------------------------------------------------- stores


class SignedStateStore:
    """OAuth states in the database, each signed with ``SLACK_STATE_SECRET`` when set.

    A state we did not mint (wrong signature) is refused without touching the
    database; a genuine one is still consumed there, so it works exactly once.
    """

    def __init__(self, inner: OAuthStateStore, secret: str | None) -> None:
        self.inner = inner
        self._key = secret.encode() if secret else None

    @property
    def logger(self) -> logging.Logger:
        return log

    def _sign(self, state: str) -> str:
        assert self._key is not None
        return hmac.new(self._key, state.encode(), hashlib.sha256).hexdigest()[:32]

    def issue(self, *args: Any, **kwargs: Any) -> str:
        state = self.inner.issue(*args, **kwargs)
        return f"{state}.{self._sign(state)}" if self._key else state

    def consume(self, state: str) -> bool:
        if self._key:
            raw, _, sig = (state or "").rpartition(".")
            if not raw or not hmac.compare_digest(sig, self._sign(raw)):
                return False
            state = raw
        return bool(self.inner.consume(state))


def build_oauth_settings(
    env: OAuthEnv, engine: Engine, *, client: WebClient | None = None
) -> OAuthSettings:
    """Bolt's OAuth settings over our database: installations, states, pages, rotation.

    ``client`` (base URL, retries) is the one token rotation calls ``oauth.v2.access``
    with; Bolt's default would be a bare client on slack.com, ignoring ``SLACK_API_URL``.
    """
    from slack_bolt.authorization.authorize import InstallationStoreAuthorize
    from slack_bolt.oauth.callback_options import CallbackOptions
    from slack_bolt.oauth.oauth_settings import OAuthSettings
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

    env.check()
    assert env.client_id is not None and env.client_secret is not None
    installations = SQLAlchemyInstallationStore(client_id=env.client_id, engine=engine)
    states = SQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=engine)
    settings = OAuthSettings(
        client_id=env.client_id,
        client_secret=env.client_secret,
        scopes=list(env.scopes),
        user_scopes=[],
        redirect_uri=env.redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=installations,
        installation_store_bot_only=True,
        state_store=SignedStateStore(states, env.state_secret),  # type: ignore[arg-type]
        state_expiration_seconds=STATE_SECONDS,
        callback_options=CallbackOptions(success=_success_page, failure=_failure_page),
    )
    settings.authorize = InstallationStoreAuthorize(
        logger=logging.getLogger("slack_bolt.App"),
        client_id=env.client_id,
        client_secret=env.client_secret,
        token_rotation_expiration_minutes=settings.token_rotation_expiration_minutes,
        installation_store=installations,
        bot_only=True,
        client=client,
    )
    return settings


# ---------------------------------------------------------------------- pages

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem}}
</style></head><body><h1>{title}</h1>{body}</body></html>"""

#: Why an install failed, in words an installer can act on.
_REASONS = {
    "invalid_state": "This install link has expired or was already used.",
    "invalid_browser": "This install was started in another browser.",
    "missing_code": "Slack did not send an authorisation code.",
    "invalid_code": "Slack did not accept the authorisation code.",
    "access_denied": "The install was cancelled.",
    "storage_error": "The installation could not be saved. Nothing was stored.",
}


def _page(status: int, title: str, body: str) -> BoltResponse:
    from slack_bolt import BoltResponse

    return BoltResponse(
        status=status,
        body=_PAGE.format(title=html.escape(title), body=body),
        headers={"Content-Type": "text/html; charset=utf-8"},
    )


def _success_page(args: Any) -> BoltResponse:
    inst = args.installation
    where = inst.enterprise_name if inst.is_enterprise_install else inst.team_name
    team = inst.team_id or inst.enterprise_id or ""
    log.info("installed in workspace %s (enterprise install: %s)", team, inst.is_enterprise_install)
    home = f"slack://app?team={html.escape(team)}&id={html.escape(inst.app_id or '')}&tab=home"
    return _page(
        200,
        "canipost is installed",
        f"<p>canipost is now installed in <strong>{html.escape(where or team)}</strong>.</p>"
        f'<p>Next, an admin opens <a href="{home}">canipost\'s Home tab</a> to set the '
        "approvers' channel and the approvers, then invites the bot to that channel.</p>",
    )


def _failure_page(args: Any) -> BoltResponse:
    reason = str(args.reason or "unknown")
    log.warning("Slack install refused: %s", reason)
    status = 500 if reason == "storage_error" else 400
    text = _REASONS.get(reason, "The install could not be completed.")
    return _page(
        status,
        "canipost was not installed",
        f'<p>{html.escape(text)}</p><p><a href="{INSTALL_PATH}">Start the install again</a>.</p>',
    )


# ---------------------------------------------------------------------- per-workspace services


def workspace_id(context: Mapping[str, Any]) -> str:
    """The workspace a request belongs to: the org for an org-wide install, else the team."""
    if context.get("is_enterprise_install") and context.get("enterprise_id"):
        return str(context["enterprise_id"])
    return str(context.get("team_id") or context.get("enterprise_id") or "")


class WorkspaceServices:
    """The :class:`Services` each workspace's requests run with, rebuilt when its settings change.

    Everything process-wide (pools, settings, metrics hooks, the dashboard's observer)
    is shared; the config, the workflow and the review bound to that config are the
    workspace's own.
    """

    def __init__(
        self,
        base: Services,
        ctx: ServerContext,
        *,
        reviewer: Any = None,
        asker: Any = None,
        llm_enabled: bool | None = None,
    ) -> None:
        self.base, self.ctx = base, ctx
        self._kw = {"reviewer": reviewer, "asker": asker, "llm_enabled": llm_enabled}
        self._cache: dict[str, Services] = {}
        self._lock = threading.Lock()
        #: (workspace, user group id) → its members; set by the installer (Slack API).
        self.group_members: Callable[[str, str], frozenset[str]] | None = None

    def for_workspace(self, workspace: str) -> Services:
        from bot.conversation.steps import Conversation
        from bot.workflow import Workflow
        from bot.workspaces import workspace_for

        resolved = workspace_for(workspace, self.ctx.store, self.ctx.config)
        cfg = resolved.config
        with self._lock:
            hit = self._cache.get(workspace)
        if hit is not None and hit.config is cfg:
            return hit
        group, members = resolved.approver_group, self.group_members
        checker = (
            _GroupApprover(workspace, group, members) if group and members is not None else None
        )
        workflow = Workflow(
            self.ctx.store,
            config=cfg,
            notifier=self.ctx.notifier,
            inline=False,
            is_approver=checker,
        )
        if checker is not None:
            checker.workflow = workflow
        parts = Conversation.parts(cfg, deliver=self.base.deliver, **self._kw)
        services = replace(self.base, workflow=workflow, **parts)
        with self._lock:
            self._cache[workspace] = services
        return services


class _GroupApprover:
    """An approver is one the config lists, or a member of the workspace's Slack user group."""

    def __init__(
        self, workspace: str, group: str, members: Callable[[str, str], frozenset[str]]
    ) -> None:
        self.workspace, self.group, self.members = workspace, group, members
        self.workflow: Any = None

    def __call__(self, actor: Any) -> bool:
        if self.workflow is not None and self.workflow.is_configured_approver(actor):
            return True
        return actor.platform == "slack" and actor.id in self.members(self.workspace, self.group)


class GroupMembers:
    """Members of a workspace's approver user group (``usergroups.users.list``), cached briefly.

    Asked with the workspace's own bot token; a failed lookup counts as "no members" (a
    refusal the approver can retry), never as approval.
    """

    TTL = 60.0

    def __init__(self, installations: Any, settings: SlackSettings) -> None:
        self.installations, self.settings = installations, settings
        self._cache: dict[tuple[str, str], tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def __call__(self, workspace: str, group: str) -> frozenset[str]:
        import time

        from bot.slack.client import make_web_client

        key = (workspace, group)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and now - hit[0] < self.TTL:
            return hit[1]
        token = bot_token(self.installations, workspace)
        members: frozenset[str] = frozenset()
        if token:
            try:
                client = make_web_client(self.settings, token=token)
                members = frozenset(client.usergroups_users_list(usergroup=group)["users"] or [])
            except Exception:
                log.warning("could not read the approver group of workspace %s", workspace)
                return frozenset()
        with self._lock:
            self._cache[key] = (now, members)
        return members


class GroupSignIn:
    """For the dashboard: is a Slack user in their workspace's approver user group?

    The same group and the same cached ``usergroups.users.list`` lookup the workspace's
    chat workflow decides with, so whoever may approve in Slack may sign in to the
    dashboard (Slack OpenID Connect) as that workspace's approver, and nobody else.
    Registered on the server's app under :data:`GROUP_SIGN_IN_KEY`, where the
    dashboard looks for it.
    """

    def __init__(self, ctx: ServerContext, members: Callable[[str, str], frozenset[str]]) -> None:
        self.ctx, self.members = ctx, members

    def __call__(self, workspace: str, identity: str, user_id: str) -> bool:
        from bot.workspaces import workspace_for

        if identity != "slack" or not workspace or not user_id:
            return False
        group = workspace_for(workspace, self.ctx.store, self.ctx.config).approver_group
        return group is not None and user_id in self.members(workspace, group)


#: Where the OAuth installer leaves its :class:`GroupSignIn` on the server's app.
GROUP_SIGN_IN_KEY = web.AppKey("canipost_slack_group_sign_in", GroupSignIn)


def bot_token(installations: Any, workspace: str) -> str | None:
    """The bot token stored for a workspace (a team, or an org-wide install's enterprise)."""
    bot = installations.find_bot(enterprise_id=None, team_id=workspace, is_enterprise_install=False)
    if bot is None:
        bot = installations.find_bot(
            enterprise_id=workspace, team_id=None, is_enterprise_install=True
        )
    return bot.bot_token if bot is not None and bot.bot_token else None


# ---------------------------------------------------------------------- the route installer


def install_routes(
    web_app: web.Application,
    ctx: ServerContext,
    *,
    settings: SlackSettings | None = None,
    oauth: OAuthEnv | None = None,
    socket_mode: bool = False,
    reviewer: Any = None,
    asker: Any = None,
    llm_enabled: bool | None = None,
) -> None:
    """The Slack installer: OAuth (many workspaces) when configured, else one bot token."""
    from bot.slack import http as slack_http

    oauth = oauth or OAuthEnv.from_env()
    if not oauth.enabled:
        slack_http.install_routes(
            web_app,
            ctx,
            settings=settings,
            socket_mode=socket_mode,
            reviewer=reviewer,
            asker=asker,
            llm_enabled=llm_enabled,
        )
        return
    if socket_mode:
        raise ConfigError("Socket Mode serves one workspace; unset SLACK_CLIENT_ID to use it")
    from bot.slack.app import build_slack_app
    from bot.slack.client import make_web_client
    from bot.slack.services import IO_WORKERS, SLOW_WORKERS, Services, prestart
    from bot.slack.settings import SlackSettings

    settings = settings or SlackSettings.from_env()
    if settings.bot_token:
        log.warning("SLACK_BOT_TOKEN is ignored: OAuth installs give each workspace its own")
    settings = replace(
        settings, bot_token=None, signing_secret=oauth.signing_secret or settings.signing_secret
    )
    oauth = replace(oauth, signing_secret=settings.signing_secret)
    client = make_web_client(settings)  # no token: each request's client gets its own
    oauth_settings = build_oauth_settings(oauth, ctx.store.engine, client=client)
    services = Services.build(
        config=ctx.config,
        workflow=ctx.workflow,
        settings=settings,
        reviewer=reviewer,
        asker=asker,
        llm_enabled=llm_enabled,
        deliver=ctx.pump.kick,
    )
    services.observe = ctx.metrics.observe_stage
    services.workspace_settings = True  # the settings shortcut is registered below
    prestart(services.io, IO_WORKERS)
    prestart(services.background, SLOW_WORKERS)
    bolt_app = build_slack_app(services, client=client, oauth_settings=oauth_settings)
    bolt_app.enable_token_revocation_listeners()
    from bot.workspaces.slack_ui import register_settings  # the admins' settings modal

    register_settings(bolt_app, store=ctx.store, base_config=ctx.config, workspace_of=workspace_id)
    per_workspace = WorkspaceServices(
        services, ctx, reviewer=reviewer, asker=asker, llm_enabled=llm_enabled
    )
    # Token look-ups on a read-only connection: the workflow asks "is this an approver?"
    # inside its write transaction, and on SQLite a second writer would wait on it forever.
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

    from bot.store.engine import READ_ONLY

    assert oauth.client_id is not None
    lookups = SQLAlchemyInstallationStore(
        client_id=oauth.client_id, engine=ctx.store.engine.execution_options(**{READ_ONLY: True})
    )
    per_workspace.group_members = GroupMembers(lookups, settings)
    web_app[GROUP_SIGN_IN_KEY] = GroupSignIn(ctx, per_workspace.group_members)

    @bolt_app.middleware
    def own_workspace(context: Any, next: Callable[[], None]) -> None:
        # Runs after authorisation (a request from a workspace without an installation
        # never gets here) and after the shared ``prepare`` middleware.
        context["canipost"] = per_workspace.for_workspace(workspace_id(context))
        next()

    web_app[slack_http.SLACK_APP_KEY] = bolt_app
    ctx.notifier.add(
        "slack",
        WorkspaceNotifier(
            ctx,
            oauth_settings,
            settings=settings,
            titles=services.titles,
        ),
    )

    def observe(kind: str, status: int, seconds: float) -> None:
        ctx.metrics.observe_platform("slack", kind, status, seconds)

    web_app.router.add_post(
        "/slack/events",
        slack_http.slack_events_handler(
            bolt_app, signing_secret=settings.signing_secret, observe=observe
        ),
    )
    web_app.router.add_get(INSTALL_PATH, _oauth_handler(bolt_app, "install"))
    web_app.router.add_get(REDIRECT_PATH, _oauth_handler(bolt_app, "callback"))
    log.info("Slack OAuth: %s and %s enabled", INSTALL_PATH, REDIRECT_PATH)


def _oauth_handler(bolt_app: App, which: str) -> Callable[[web.Request], Any]:
    from slack_bolt.request import BoltRequest

    from bot.slack.http import to_aiohttp_response

    async def handle(request: web.Request) -> web.StreamResponse:
        flow = bolt_app.oauth_flow
        assert flow is not None
        headers: dict[str, Any] = {k.lower(): request.headers.getall(k) for k in request.headers}
        req = BoltRequest(body="", query=request.query_string, headers=headers, mode="http")
        run = flow.handle_installation if which == "install" else flow.handle_callback
        loop = asyncio.get_running_loop()
        resp = await loop.run_in_executor(None, run, req)
        out = to_aiohttp_response(resp)
        for cookie in resp.headers.get("set-cookie", []):
            out.headers.add("Set-Cookie", cookie)
        return out

    return handle


# ---------------------------------------------------------------------- approval cards


class WorkspaceNotifier:
    """Sends each submission's cards and messages in its own workspace, with its token.

    The workflow's notifications carry a submission; its workspace is read from the
    queue, its bot token from the installation store, its approvers' channel from
    the workspace's settings (``CANIPOST_APPROVERS_CHANNEL`` as the default).
    """

    def __init__(
        self,
        ctx: ServerContext,
        oauth_settings: OAuthSettings,
        *,
        settings: SlackSettings,
        titles: Mapping[str, str],
    ) -> None:
        self.ctx, self.oauth, self.settings, self.titles = ctx, oauth_settings, settings, titles

    def _for(self, submission: Any) -> Any:
        from sqlalchemy import select

        from bot.slack.client import make_web_client
        from bot.slack.notifier import SlackNotifier
        from bot.store import models as m
        from bot.workspaces import workspace_for

        with self.ctx.store.read() as s:
            ws = s.execute(
                select(m.Submission.workspace).where(m.Submission.id == submission.id)
            ).scalar_one_or_none()
        if not ws:
            return None
        token = bot_token(self.oauth.installation_store, ws)
        if token is None:
            log.warning("no installation for workspace %s: its notifications are dropped", ws)
            return None
        channel = workspace_for(ws, self.ctx.store, self.ctx.config).approvers_channel(
            self.settings.approvers_channel
        )
        client = make_web_client(self.settings, token=token)
        return SlackNotifier(client, channel=channel, titles=self.titles)

    def _send(self, kind: str, submission: Any, **kw: Any) -> Any:
        target = self._for(submission)
        return None if target is None else getattr(target, kind)(submission, **kw)

    def submitted(self, submission: Any) -> Any:
        return self._send("submitted", submission)

    def first_approval(self, submission: Any) -> Any:
        return self._send("first_approval", submission)

    def decided(self, submission: Any) -> Any:
        return self._send("decided", submission)

    def withdrawn(self, submission: Any) -> Any:
        return self._send("withdrawn", submission)

    def reminder(self, submission: Any) -> Any:
        return self._send("reminder", submission)

    def escalation(self, submission: Any, *, backup: Any) -> Any:
        return self._send("escalation", submission, backup=backup)

    def expired(self, submission: Any) -> Any:
        return self._send("expired", submission)
