"""The production guard: ``CANIPOST_ENV=production`` refuses a server that would lose data or trust.

A first deploy on a PaaS looks fine and then forgets every submission at the
next dyno or container restart (SQLite on an ephemeral disk), or accepts
forged requests because a signing secret was never set. With
``CANIPOST_ENV=production``, ``canipost serve`` checks before it binds the port
and refuses with one line naming every problem:

* the database must be PostgreSQL (``DATABASE_URL``), not SQLite;
* at least one chat platform must be configured;
* Slack (bot token or OAuth) needs ``SLACK_SIGNING_SECRET`` in HTTP mode, OAuth
  needs ``SLACK_CLIENT_SECRET`` too;
* Teams needs its tenant id (single-tenant bot) and a client secret unless the
  Agents SDK is told to use a managed identity, certificate or federated
  credential (``...__AUTHTYPE``); ``CANIPOST_TEAMS_ANONYMOUS`` is refused.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from bot.errors import ConfigError

_TRUE = ("1", "true", "yes", "on")
_TEAMS = "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__"
#: Agents SDK auth types that need no client secret in the environment.
_SECRETLESS_AUTH = {
    "usermanagedidentity",
    "systemmanagedidentity",
    "certificate",
    "certificatesubjectname",
    "federatedcredentials",
    "workloadidentity",
}


def is_production(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return env.get("CANIPOST_ENV", "").strip().lower() in ("production", "prod")


def production_problems(env: Mapping[str, str], *, socket_mode: bool = False) -> list[str]:
    """Everything that makes this environment unfit for production; empty when fit."""
    from bot.store.url import is_sqlite, resolve_url

    problems: list[str] = []
    raw = env.get("DATABASE_URL", "").strip()
    if not raw:
        problems.append("DATABASE_URL is not set (PostgreSQL is required)")
    else:
        try:
            if is_sqlite(resolve_url(raw)):
                problems.append(
                    "DATABASE_URL is SQLite, which a restart of the container or dyno can wipe "
                    "(use PostgreSQL)"
                )
        except ConfigError as exc:
            problems.append(str(exc))
    slack_token = bool(env.get("SLACK_BOT_TOKEN"))
    slack_oauth = bool(env.get("SLACK_CLIENT_ID") or env.get("SLACK_CLIENT_SECRET"))
    teams = bool(env.get(_TEAMS + "CLIENTID"))
    anonymous = env.get("CANIPOST_TEAMS_ANONYMOUS", "").strip().lower() in _TRUE
    if anonymous:
        problems.append("CANIPOST_TEAMS_ANONYMOUS is on (local testing only)")
    if not (slack_token or slack_oauth or teams):
        problems.append("no chat platform is configured (Slack or Teams credentials)")
    if slack_oauth:
        for name in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_SIGNING_SECRET"):
            if not env.get(name):
                problems.append(f"{name} is not set")
    elif slack_token:
        if socket_mode:
            if not env.get("SLACK_APP_TOKEN"):
                problems.append("SLACK_APP_TOKEN is not set (Socket Mode)")
        elif not env.get("SLACK_SIGNING_SECRET"):
            problems.append("SLACK_SIGNING_SECRET is not set")
    if teams:
        if not env.get(_TEAMS + "TENANTID"):
            problems.append(f"{_TEAMS}TENANTID is not set (single-tenant bot)")
        auth = env.get(_TEAMS + "AUTHTYPE", "ClientSecret").strip().lower()
        if auth not in _SECRETLESS_AUTH and not env.get(_TEAMS + "CLIENTSECRET"):
            problems.append(
                f"{_TEAMS}CLIENTSECRET is not set (or set {_TEAMS}AUTHTYPE=UserManagedIdentity)"
            )
    return problems


def check_production(env: Mapping[str, str] | None = None, *, socket_mode: bool = False) -> None:
    """Raise :class:`ConfigError` (exit 2, one line) when production was asked for and unfit."""
    env = os.environ if env is None else env
    if not is_production(env):
        return
    problems = production_problems(env, socket_mode=socket_mode)
    if problems:
        raise ConfigError("CANIPOST_ENV=production refuses to start: " + "; ".join(problems))
