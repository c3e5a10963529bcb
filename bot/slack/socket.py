"""Socket Mode: Slack pushes requests over a WebSocket we open, so no public URL is needed.

For development and firewalled installs. The same Bolt app serves both
modes; ``SLACK_APP_TOKEN`` (``xapp-...``, scope ``connections:write``) opens
the connection, through ``SLACK_API_URL`` like every other Web API call.
"""

from __future__ import annotations

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.errors import ConfigError

#: Requests handled at once from the socket (each waits only for its ack).
SOCKET_CONCURRENCY = 32


def start_socket_mode(app: App, app_token: str | None) -> SocketModeHandler:
    """Connect in the background and return the handler (``.close()`` to stop)."""
    if not app_token:
        raise ConfigError("Socket Mode needs SLACK_APP_TOKEN (an xapp- app-level token)")
    handler = SocketModeHandler(app, app_token, concurrency=SOCKET_CONCURRENCY)
    handler.connect()
    return handler
