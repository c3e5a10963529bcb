"""Refuse malformed Teams activities at the door: 400 and one log line, never a traceback.

The Agents SDK validates an activity inside the request (and logs a
traceback at ERROR before the server answers 500), and routes read
``activity.from_property.id`` without looking. An authenticated request
whose body is not an activity Teams would send is answered here instead,
before the agent runs: nothing is stored, nothing is sent.

    problem = malformed_activity(body)
    if problem: ...  # 400
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator
from typing import Any

__all__ = ["malformed_activity"]

#: Activity types that come from a person and need a sender.
_FROM_A_PERSON = frozenset({"message", "invoke", "messageReaction"})
_quiet = contextvars.ContextVar("canipost_teams_quiet", default=False)


class _QuietWhileVetting(logging.Filter):
    """Drop the SDK's own traceback for an activity we are only vetting."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not _quiet.get()


logging.getLogger("microsoft_agents.activity.activity").addFilter(_QuietWhileVetting())


@contextlib.contextmanager
def _vetting() -> Iterator[None]:
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


def _has_id(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("id"), str) and bool(value["id"])


def malformed_activity(body: Any) -> str | None:
    """None when ``body`` is an activity we can handle, else what is wrong (for the log)."""
    if not isinstance(body, dict):
        return f"activity is a JSON {type(body).__name__}, not an object"
    kind = body.get("type")
    if not isinstance(kind, str) or not kind:
        return "activity without a type"
    if not _has_id(body.get("conversation")):
        return "activity without a conversation id"
    if not isinstance(body.get("serviceUrl"), str):
        return "activity without a serviceUrl"
    if kind in _FROM_A_PERSON and not _has_id(body.get("from")):
        return f"{kind} activity without a sender"
    if kind == "invoke" and not isinstance(body.get("name"), str):
        return "invoke activity without a name"
    if body.get("name") == "adaptiveCard/action":
        value = body.get("value")
        if not isinstance(value, dict) or not isinstance(value.get("action"), dict):
            return "card action without an action"
    from microsoft_agents.activity import Activity
    from pydantic import ValidationError

    try:
        with _vetting():
            Activity.model_validate(body)
    except ValidationError as exc:
        where = ".".join(str(p) for p in (exc.errors()[0].get("loc") or ())) or "activity"
        return f"activity does not validate at {where}"
    return None
