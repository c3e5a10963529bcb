"""Who may use the dashboard, one-time sign-in links, sessions and CSRF tokens.

Secrets are random (``secrets.token_urlsafe``) and only their SHA-256 is
stored, so a copy of the database signs nobody in. A link works once, for
:data:`LINK_TTL`; using it is a conditional ``UPDATE ... WHERE used_at IS
NULL``, so two tabs racing on one link get exactly one session.

CSRF tokens are an HMAC of the session secret: nothing extra to store, and a
token from one session is useless in another.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update

from bot.config import Config
from bot.errors import WorkflowError
from bot.store import Store
from bot.store import models as m

#: A sign-in link is valid this long, once.
LINK_TTL = timedelta(minutes=15)
#: A dashboard session lasts a working day.
SESSION_TTL = timedelta(hours=12)
#: Identities a dashboard user can have proved: where their id comes from.
IDENTITIES: tuple[str, ...] = ("cli", "slack", "teams")

log = logging.getLogger(__name__)


#: Another way than the config's lists to be a workspace's approver: called with
#: (workspace, identity, user id). The Slack OAuth installer offers one
#: (:class:`bot.slack.oauth.GroupSignIn`): "is this Slack user in the workspace's approver
#: user group?", the check the chat surfaces decide with.
ApproverHook = Callable[[str, str, str], bool]


class NotAllowed(WorkflowError):
    """The user is neither an approver nor a dashboard admin (exit 3)."""


class LinkInvalid(Exception):
    """A sign-in link that cannot be used; ``str()`` is the message for the sign-in page."""


@dataclass(frozen=True, slots=True)
class DashboardUser:
    """Someone signed in to the dashboard."""

    id: str
    name: str | None
    identity: str
    workspace: str
    is_approver: bool
    #: An approver by the workspace's :class:`ApproverHook` (its Slack approver user
    #: group), not by the config's lists: the dashboard then treats them as if listed.
    by_hook: bool = False

    @property
    def label(self) -> str:
        return f"{self.name} ({self.id})" if self.name else self.id


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def admins(env: dict[str, str] | None = None) -> set[str]:
    """Dashboard admins from ``CANIPOST_DASHBOARD_ADMINS``: may sign in and read, not decide."""
    raw = (env if env is not None else os.environ).get("CANIPOST_DASHBOARD_ADMINS", "")
    return {part.strip() for part in raw.split(",") if part.strip()}


def is_approver(config: Config, user_id: str) -> bool:
    """True when ``user_id`` is an approver on any platform (or a backup approver)."""
    a = config.approvers
    return user_id in (set(a.slack) | set(a.teams) | set(a.cli) | set(a.any) | set(a.backup))


def approver_by_hook(
    config: Config, user_id: str, identity: str, hook: ApproverHook | None
) -> bool:
    """True when ``hook`` (not the config) makes ``user_id`` an approver of the config's
    workspace; a hook that fails counts as "no" (the user can retry), never as "yes"."""
    if hook is None or is_approver(config, user_id):
        return False
    try:
        return bool(hook(config.workspace, identity, user_id))
    except Exception:
        log.warning("approver check for workspace %r failed", config.workspace, exc_info=True)
        return False


def with_approver(config: Config, identity: str, user_id: str) -> Config:
    """A copy of ``config`` that lists ``user_id`` as an ``identity`` approver.

    For someone an :class:`ApproverHook` vouched for: every check below the dashboard
    (web decisions, watch list, feedback confirmations) then treats them exactly as a
    configured approver, without knowing about hooks.
    """
    if is_approver(config, user_id):
        return config
    a = config.approvers
    field = identity if identity in ("slack", "teams", "cli") else "any"
    approvers = replace(a, **{field: [*getattr(a, field), user_id]})
    return replace(config, approvers=approvers)


def may_sign_in(
    config: Config, user_id: str, *, identity: str = "cli", hook: ApproverHook | None = None
) -> bool:
    """Approvers (listed, or vouched for by ``hook``) and dashboard admins; nobody else."""
    return (
        is_approver(config, user_id)
        or user_id in admins()
        or approver_by_hook(config, user_id, identity, hook)
    )


def workspace_config(store: Store, config: Config, workspace: str | None = None) -> Config:
    """The config a workspace's dashboard runs with: the file, then that workspace's settings.

    Its approvers decide who may sign in, and its ``workspace`` scopes every query, so one
    Slack workspace's (or Teams tenant's) comms team never sees another's data.
    """
    from bot.workspaces import config_for

    return config_for(config.workspace if workspace is None else workspace, store, config)


def create_link(
    store: Store,
    config: Config,
    user_id: str,
    *,
    name: str | None = None,
    identity: str | None = None,
    now: datetime | None = None,
    workspace: str | None = None,
) -> str:
    """A one-time sign-in secret for ``user_id``; :class:`NotAllowed` for anyone else.

    ``identity`` (which platform's id this is) defaults to the first approver list
    naming the user, so platform-scoped checks elsewhere (feedback) see the same person.
    The link signs in to ``workspace`` (default: the config's own), checked against
    that workspace's approvers.
    """
    user_id = user_id.strip()
    if not user_id:
        raise NotAllowed("a user id is required")
    config = workspace_config(store, config, workspace)
    if not may_sign_in(config, user_id):
        where = f" of workspace {config.workspace!r}" if config.workspace else ""
        raise NotAllowed(
            f"{user_id} is not an approver or dashboard admin{where} "
            "(approvers in the config or the workspace's settings, CANIPOST_APPROVERS, "
            "CANIPOST_DASHBOARD_ADMINS)"
        )
    if identity is None:
        a = config.approvers
        identity = next(
            (p for p in IDENTITIES if user_id in getattr(a, p, []) or user_id in a.any), "cli"
        )
    return _issue(store, "link", user_id, name, identity, config.workspace, LINK_TTL, now)


def _issue(
    store: Store,
    kind: str,
    user_id: str,
    name: str | None,
    identity: str,
    workspace: str,
    ttl: timedelta,
    now: datetime | None,
) -> str:
    now = now or _now()
    secret = secrets.token_urlsafe(32)
    with store.write() as s:
        s.add(
            m.DashboardToken(
                token_hash=_hash(secret),
                workspace=workspace,
                kind=kind,
                user_id=user_id,
                user_name=name,
                identity=identity if identity in IDENTITIES else "cli",
                created_at=now,
                expires_at=now + ttl,
            )
        )
        # Housekeeping: expired secrets are useless; keep the table small.
        s.execute(delete(m.DashboardToken).where(m.DashboardToken.expires_at < now - ttl))
    return secret


def link_problem(store: Store, secret: str, *, now: datetime | None = None) -> str | None:
    """Why the link cannot be used (for the sign-in page), or None when it can."""
    now = now or _now()
    with store.read() as s:
        row = s.get(m.DashboardToken, _hash(secret)) if secret else None
        if row is None or row.kind != "link":
            return (
                "This sign-in link is not valid. Ask for a new one with `canipost dashboard link`."
            )
        if row.used_at is not None:
            return (
                "This sign-in link has already been used. Each link works once; ask for a new one."
            )
        if row.expires_at <= now:
            return "This sign-in link has expired (links last 15 minutes). Ask for a new one."
    return None


def redeem_link(
    store: Store, config: Config, secret: str, *, now: datetime | None = None
) -> tuple[str, DashboardUser]:
    """Use a sign-in link once; return a new session secret and its user.

    Raises :class:`LinkInvalid` (expired, used, unknown, or the user is no
    longer allowed) with a message fit for the sign-in page.
    """
    now = now or _now()
    problem = link_problem(store, secret, now=now)
    if problem:
        raise LinkInvalid(problem)
    with store.write() as s:
        claimed = s.execute(
            update(m.DashboardToken)
            .where(
                m.DashboardToken.token_hash == _hash(secret),
                m.DashboardToken.kind == "link",
                m.DashboardToken.used_at.is_(None),
                m.DashboardToken.expires_at > now,
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(claimed, "rowcount", 0) != 1:
            raise LinkInvalid(
                "This sign-in link has already been used. Each link works once; ask for a new one."
            )
        row = s.get(m.DashboardToken, _hash(secret))
        assert row is not None
        user_id, name, identity, workspace = row.user_id, row.user_name, row.identity, row.workspace
    return start_session(
        store, config, user_id, name=name, identity=identity, now=now, workspace=workspace
    )


def start_session(
    store: Store,
    config: Config,
    user_id: str,
    *,
    name: str | None = None,
    identity: str = "cli",
    now: datetime | None = None,
    workspace: str | None = None,
    hook: ApproverHook | None = None,
) -> tuple[str, DashboardUser]:
    """A session for a user whose identity was proved (link or OpenID Connect).

    The session belongs to ``workspace`` (default: the config's own) for its whole life;
    the user must be one of that workspace's approvers (listed, or vouched for by
    ``hook``: a member of its Slack approver user group) or a dashboard admin.
    """
    config = workspace_config(store, config, workspace)
    user = _user(config, user_id, name, identity, hook)
    if user is None:
        raise LinkInvalid(f"{user_id} is not an approver or dashboard admin, so cannot sign in.")
    secret = _issue(store, "session", user_id, name, identity, config.workspace, SESSION_TTL, now)
    return secret, user


def _user(
    config: Config, user_id: str, name: str | None, identity: str, hook: ApproverHook | None
) -> DashboardUser | None:
    """Who ``user_id`` is in the config's workspace now; None when they may not sign in."""
    listed = is_approver(config, user_id)
    by_hook = not listed and approver_by_hook(config, user_id, identity, hook)
    if not (listed or by_hook or user_id in admins()):
        return None
    return DashboardUser(
        id=user_id,
        name=name,
        identity=identity,
        workspace=config.workspace,
        is_approver=listed or by_hook,
        by_hook=by_hook,
    )


def session_user(
    store: Store,
    config: Config,
    secret: str | None,
    *,
    now: datetime | None = None,
    hook: ApproverHook | None = None,
) -> DashboardUser | None:
    """The user of a live session, or None (unknown, expired, or no longer allowed).

    Allowed means allowed now, by the session's workspace's current approvers (and
    ``hook``: someone who left the Slack approver user group is signed out).
    """
    if not secret or len(secret) > 200:
        return None
    now = now or _now()
    with store.read() as s:
        row = s.execute(
            select(
                m.DashboardToken.user_id,
                m.DashboardToken.user_name,
                m.DashboardToken.identity,
                m.DashboardToken.workspace,
            ).where(
                m.DashboardToken.token_hash == _hash(secret),
                m.DashboardToken.kind == "session",
                m.DashboardToken.expires_at > now,
            )
        ).first()
    if row is None:
        return None
    config = workspace_config(store, config, row.workspace)
    return _user(config, row.user_id, row.user_name, row.identity, hook)


def end_session(store: Store, secret: str | None) -> None:
    """Sign out: the session secret stops working at once."""
    if not secret:
        return
    with store.write() as s:
        s.execute(
            delete(m.DashboardToken).where(
                m.DashboardToken.token_hash == _hash(secret),
                m.DashboardToken.kind == "session",
            )
        )


def csrf_token(secret: str) -> str:
    """The CSRF token bound to a session (or pre-session) secret."""
    return hmac.new(secret.encode(), b"canipost-dashboard-csrf", hashlib.sha256).hexdigest()


def csrf_ok(secret: str | None, token: str | None) -> bool:
    """Constant-time check of a posted CSRF token against its secret."""
    if not secret or not token:
        return False
    return hmac.compare_digest(csrf_token(secret), token)
