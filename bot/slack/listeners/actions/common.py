"""Helpers for block actions: where the click came from, and how to answer the clicker."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.slack.blocks import Message, text_message, validate_message
from bot.slack.flows import (
    MessageSurface,
    ResponseUrlSurface,
    Surface,
    ViewSurface,
    send_to_response_url,
)
from bot.slack.services import Services
from bot.workflow.keys import request_key


def clicked_value(body: dict[str, Any]) -> str:
    return str((body.get("actions") or [{}])[0].get("value") or "")


def action_key(kind: str, body: dict[str, Any]) -> str:
    """An idempotency key for one click: Slack retries repeat it, a new click does not."""
    action = (body.get("actions") or [{}])[0]
    user = (body.get("user") or {}).get("id", "")
    return request_key("slack", kind, user, action.get("action_ts") or body.get("trigger_id"))


def in_home(body: dict[str, Any]) -> bool:
    return (body.get("view") or {}).get("type") == "home"


def origin_of(body: dict[str, Any]) -> dict[str, Any]:
    """Where to redraw after a form: the modal, the message's response_url, or the message."""
    view = body.get("view") or {}
    if view.get("type") == "modal":
        return {"v": view.get("id")}
    if body.get("response_url"):
        return {"r": body["response_url"]}
    container = body.get("container") or {}
    if container.get("channel_id") and container.get("message_ts"):
        return {"c": container["channel_id"], "t": container["message_ts"]}
    return {}


def surface_of(services: Services, client: WebClient, body: dict[str, Any]) -> Surface | None:
    view = body.get("view") or {}
    user = (body.get("user") or {}).get("id", "")
    if view.get("type") == "modal":
        return ViewSurface(services, client, str(view.get("id")), user)
    if body.get("response_url"):
        return ResponseUrlSurface(services, body["response_url"])
    container = body.get("container") or {}
    if container.get("channel_id") and container.get("message_ts"):
        return MessageSurface(services, client, container["channel_id"], container["message_ts"])
    return None


def tell_clicker(client: WebClient, body: dict[str, Any], msg: Message) -> None:
    """An answer only the clicker sees: ephemeral via response_url, else in their DM."""
    msg = validate_message(msg)
    if body.get("response_url"):
        send_to_response_url(body["response_url"], msg, replace=False)
        return
    user = (body.get("user") or {}).get("id")
    if user:
        client.chat_postMessage(channel=user, **msg)


def tell_text(client: WebClient, body: dict[str, Any], text: str) -> None:
    tell_clicker(client, body, text_message(text))
