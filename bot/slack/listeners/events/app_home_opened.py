"""The App Home tab: redrawn each time it is opened, so it is never stale."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.slack.flows import after_ack, publish_home


def handle_app_home_opened(event: dict[str, Any], client: WebClient, context: Any) -> None:
    if event.get("tab", "home") != "home":
        return
    services = context["canipost"]
    user = str(event["user"])
    after_ack(services, "app home", lambda: publish_home(services, client, user))
