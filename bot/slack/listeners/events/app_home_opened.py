"""The App Home tab: redrawn each time it is opened, so it is never stale."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.slack.flows import publish_home


def handle_app_home_opened(event: dict[str, Any], client: WebClient, context: Any) -> None:
    if event.get("tab", "home") != "home":
        return
    publish_home(context["canipost"], client, str(event["user"]))
