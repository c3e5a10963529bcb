"""Teams settings from the environment, in the Microsoft 365 Agents SDK's own names.

    CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID       the bot's app (client) id
    CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET   its client secret
    CONNECTIONS__SERVICE_CONNECTION__SETTINGS__TENANTID       the Entra tenant (single-tenant bots)
    CANIPOST_TEAMS_APPROVERS_CHANNEL   conversation id of the approvers' channel (19:...@thread.tacv2)
    CANIPOST_TEAMS_SERVICE_URL         Bot Connector URL for proactive posts (default: Teams' global one)
    CANIPOST_TEAMS_ANONYMOUS=1         accept unauthenticated activities: local testing only
    CANIPOST_TEAMS_ALLOWED_HOSTS       extra Bot Connector hosts (comma-separated) beyond Microsoft's

The SDK reads the whole ``CONNECTIONS__...`` family itself (other auth types,
certificates, managed identity), so :meth:`TeamsSettings.sdk_configuration`
hands it every such variable unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.errors import ConfigError

PREFIX = "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__"
#: Where Teams' Bot Connector listens for proactive messages when no activity has told us.
DEFAULT_SERVICE_URL = "https://smba.trafficmanager.net/teams/"
_TRUE = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class TeamsSettings:
    """What the Teams adapter needs; ``client_secret`` never appears in ``repr``."""

    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    tenant_id: str | None = None
    approvers_channel: str | None = None
    service_url: str = DEFAULT_SERVICE_URL
    anonymous: bool = False
    #: Hosts a ``serviceUrl`` may name besides the SDK's Microsoft defaults (sovereign clouds).
    allowed_hosts: tuple[str, ...] = ()
    #: Every ``CONNECTIONS__*`` / ``CONNECTIONSMAP__*`` variable, for the SDK's own loader.
    sdk_env: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TeamsSettings:
        env = os.environ if env is None else env
        return cls(
            client_id=env.get(PREFIX + "CLIENTID") or None,
            client_secret=env.get(PREFIX + "CLIENTSECRET") or None,
            tenant_id=env.get(PREFIX + "TENANTID") or None,
            approvers_channel=env.get("CANIPOST_TEAMS_APPROVERS_CHANNEL") or None,
            service_url=env.get("CANIPOST_TEAMS_SERVICE_URL") or DEFAULT_SERVICE_URL,
            anonymous=env.get("CANIPOST_TEAMS_ANONYMOUS", "").strip().lower() in _TRUE,
            allowed_hosts=tuple(
                h.strip()
                for h in env.get("CANIPOST_TEAMS_ALLOWED_HOSTS", "").split(",")
                if h.strip()
            ),
            sdk_env={
                k: v for k, v in env.items() if k.startswith(("CONNECTIONS__", "CONNECTIONSMAP__"))
            },
        )

    def check(self) -> None:
        """Fail at startup, naming the variable, rather than 401 every activity later."""
        if not self.client_id and not self.anonymous:
            raise ConfigError(
                f"{PREFIX}CLIENTID is not set (the Azure Bot's Microsoft App ID); "
                "set CANIPOST_TEAMS_ANONYMOUS=1 only for local testing without Azure"
            )

    def sdk_configuration(self) -> dict[str, Any]:
        """The SDK's ``load_configuration_from_env`` result: CONNECTIONS, CONNECTIONSMAP, ..."""
        from microsoft_agents.activity import load_configuration_from_env

        env = dict(self.sdk_env)
        # Explicit settings (tests, or a caller building settings by hand) win over the env.
        for key, value in (
            ("CLIENTID", self.client_id),
            ("CLIENTSECRET", self.client_secret),
            ("TENANTID", self.tenant_id),
        ):
            if value:
                env[PREFIX + key] = value
        if self.anonymous:
            env[PREFIX + "ANONYMOUS_ALLOWED"] = "true"
        config: dict[str, Any] = load_configuration_from_env(env)
        return config
