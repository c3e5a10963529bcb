"""The Teams agent: an Agents SDK ``AgentApplication`` with our routes, and its adapter.

    connections = connection_manager(settings)          # MSAL from the env, or anonymous
    adapter = build_adapter(connections)
    agent = build_agent(steps, connections)              # routes: bot.teams.routes
    # bot.teams.server mounts both at POST /api/messages

The agent is transport-free: the aiohttp route (with the SDK's JWT check)
feeds it in production, and ``microsoft_agents.testing.TestAdapter`` feeds it
in tests. State lives in our database (the workflow), so the SDK's turn
state only needs its in-memory storage.
"""

from __future__ import annotations

import logging
from typing import Any

from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import (
    AccessTokenProviderBase,
    AgentApplication,
    AgentAuthConfiguration,
    AnonymousTokenProvider,
    ApplicationOptions,
    ConnectionManager,
    Connections,
    MemoryStorage,
    OutboundHostValidator,
    TurnContext,
    TurnState,
)

from bot.conversation.steps import report_error
from bot.errors import ConfigError
from bot.teams.flows import Steps
from bot.teams.messenger import text_activity
from bot.teams.routes import register_routes
from bot.teams.settings import TeamsSettings

log = logging.getLogger("canipost.teams")


def connection_manager(settings: TeamsSettings) -> Connections:
    """The SDK's outbound credentials: MSAL (client id + secret, or any auth type the
    SDK's ``CONNECTIONS__`` settings name), or no token at all in anonymous local mode."""
    config = settings.sdk_configuration()
    if settings.client_id and not settings.anonymous:
        try:
            from microsoft_agents.authentication.msal import MsalConnectionManager
        except ImportError as exc:  # pragma: no cover - a dependency of this package
            raise ConfigError(
                "Teams needs microsoft-agents-authentication-msal for its credentials"
            ) from exc
        manager: Connections = MsalConnectionManager(**config)
        return manager

    def anonymous(_config: AgentAuthConfiguration) -> AccessTokenProviderBase:
        return AnonymousTokenProvider()

    return ConnectionManager(
        provider_factory=anonymous,
        connections_configurations={
            "SERVICE_CONNECTION": AgentAuthConfiguration(
                client_id=settings.client_id, anonymous_allowed=True
            )
        },
    )


def auth_configuration(settings: TeamsSettings, connections: Connections) -> AgentAuthConfiguration:
    """What the SDK's JWT middleware validates inbound tokens against (audience = our app id)."""
    config = connections.get_default_connection_configuration()
    if settings.anonymous:
        config.ANONYMOUS_ALLOWED = True
    return config


def host_validator(settings: TeamsSettings) -> OutboundHostValidator:
    """Which ``serviceUrl`` hosts an activity may name: Microsoft's (and any extra), over HTTPS.

    With it on, an activity whose ``serviceUrl`` is elsewhere, or differs from
    the one in its token, gets 401: a replayed token cannot make the bot send
    its own Bot Connector token to someone else's server. Off in anonymous
    local mode, where the Agents Playground listens on http://localhost.
    """
    return OutboundHostValidator(list(settings.allowed_hosts), enabled=not settings.anonymous)


def build_adapter(
    connections: Connections, *, validator: OutboundHostValidator | None = None
) -> CloudAdapter:
    """The SDK's aiohttp adapter, with errors reported our way (a reference, no details)."""
    adapter = CloudAdapter(connection_manager=connections, host_validator=validator)

    async def on_turn_error(context: TurnContext, error: Exception) -> None:
        _ref, words = report_error(error, what=f"teams {context.activity.type}")
        if context.activity.type != "invoke":
            await context.send_activity(text_activity(words))

    adapter.on_turn_error = on_turn_error
    return adapter


def build_agent(
    steps: Steps, connections: Connections, **options: Any
) -> AgentApplication[TurnState]:
    """The ``AgentApplication`` with every canipost route registered."""
    app = AgentApplication[TurnState](
        ApplicationOptions(
            storage=MemoryStorage(),
            # A "typing…" bubble per message costs one Bot Connector call; our first answer
            # (the rules verdict) comes back in milliseconds anyway.
            start_typing_timer=False,
            remove_recipient_mention=True,
            **options,
        ),
        connection_manager=connections,
    )

    @app.error
    async def on_error(context: TurnContext, error: Exception) -> None:
        _ref, words = report_error(error, what=f"teams {context.activity.type}")
        if context.activity.type != "invoke":
            await context.send_activity(text_activity(words))

    register_routes(app, steps)
    return app
