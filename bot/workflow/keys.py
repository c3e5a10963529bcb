"""Idempotency keys: one scheme for every platform, so a redelivery is replayed, not redone.

``<platform>:<kind>:<id>`` — ``kind`` is what the request does (``submit``,
``decide``, ``withdraw``), ``id`` names the one request: a check's id for a
submission (carried on the verdict's button), otherwise a digest of the
platform's ids for the click (Teams conversation ids run to hundreds of
characters, and keys are at most 255).

    submit_key("slack", "Xy12")                      # 'slack:submit:Xy12'
    request_key("teams", "decide", conversation, activity_id)
"""

from __future__ import annotations

import hashlib


def digest(*parts: str | None) -> str:
    """A stable 40-character digest of ``parts`` (the same ids always give the same one)."""
    return hashlib.sha256("\x1f".join(p or "" for p in parts).encode()).hexdigest()[:40]


def request_key(platform: str, kind: str, *parts: str | None) -> str:
    """The key of one platform request (a click, a form) from the platform's own ids.

    >>> request_key("teams", "decide", "19:abc@thread.tacv2", "1700000000000")[:13]
    'teams:decide:'
    """
    return f"{platform}:{kind}:{digest(*parts)}"


def submit_key(platform: str, check: str) -> str | None:
    """The key of "send this check to comms"; None when the check has no id.

    >>> submit_key("slack", "c1")
    'slack:submit:c1'
    """
    if not check:
        return None
    prefix = f"{platform}:submit:"
    return check if check.startswith(prefix) else prefix + check
