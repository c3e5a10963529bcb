"""Refuse broken Slack requests at the door: a 4xx and one log line, never a traceback.

Bolt parses a body before it checks the signature, and some of its helpers
index into a payload without looking (``body["actions"][0]``,
``body["view"]["type"]``), so a signed request whose body is not the shape
Slack sends would otherwise crash inside Bolt with HTTP 500. This module
looks at the body first: if it is not what Slack sends, the caller answers
401 when the signature is wrong too (an outsider learns nothing) and 400
when it is right (a bug on Slack's side or ours worth a log line).

    problem = malformed(body, content_type)
    if problem: ...  # 400 (or 401 when unsigned)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

from slack_sdk.signature import SignatureVerifier

__all__ = ["malformed", "parse_body", "signature_ok"]


def parse_body(body: str, content_type: str | None) -> dict[str, Any] | str:
    """The request as Bolt will see it, or a one-line reason it is not readable.

    Form bodies carry commands as fields and interactivity as a JSON
    ``payload`` field; events come as JSON.
    """
    kind = (content_type or "").split(";")[0].strip().lower()
    text = body.lstrip()
    try:
        if kind == "application/json" or (
            kind != "application/x-www-form-urlencoded" and text[:1] in "{["
        ):
            data: Any = json.loads(body)
        else:
            fields = dict(parse_qsl(body, keep_blank_values=True))
            if "payload" in fields:
                data = json.loads(fields["payload"])
            elif "command" in fields or "ssl_check" in fields:
                data = fields
            else:
                return "form body with neither a command nor a payload"
    except ValueError as exc:
        return f"body is not JSON ({type(exc).__name__})"
    if not isinstance(data, dict):
        return f"body is a JSON {type(data).__name__}, not an object"
    return data


def _shape(data: Mapping[str, Any]) -> str | None:
    kind = data.get("type")
    if kind == "block_actions":
        actions = data.get("actions")
        if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
            return "block_actions without actions"
    elif kind in ("view_submission", "view_closed"):
        view = data.get("view")
        if not isinstance(view, dict) or not isinstance(view.get("type"), str):
            return f"{kind} without a view"
        state = view.get("state")
        if kind == "view_submission" and (
            not isinstance(state, dict) or not isinstance(state.get("values"), dict)
        ):
            return "view_submission without state"
    elif kind == "event_callback" and not isinstance(data.get("event"), dict):
        return "event_callback without an event"
    elif kind in ("shortcut", "message_action") and not isinstance(data.get("user"), dict):
        return f"{kind} without a user"
    return None


def malformed(body: str, content_type: str | None) -> str | None:
    """None when ``body`` is shaped as Slack sends it, else what is wrong (for the log)."""
    data = parse_body(body, content_type)
    if isinstance(data, str):
        return data
    return _shape(data)


def signature_ok(
    signing_secret: str | None, body: str, headers: Mapping[str, str | Sequence[str]]
) -> bool:
    """Slack's ``v0`` HMAC over timestamp and body, within five minutes; True without a secret."""
    if not signing_secret:
        return True

    def first(name: str) -> str | None:
        value = headers.get(name)
        if isinstance(value, str) or value is None:
            return value
        return value[0] if value else None

    return SignatureVerifier(signing_secret).is_valid(
        body=body,
        timestamp=first("x-slack-request-timestamp") or "",
        signature=first("x-slack-signature") or "",
    )
