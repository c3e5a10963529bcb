"""What our buttons and modals carry between requests: small, self-contained, bounded.

A verdict message is stateless on our side: its "Send to comms" button
carries the :class:`~bot.conversation.DraftRef` (compressed when long); a
modal carries what it needs in ``private_metadata``.

    value = pack_draft(DraftRef("Hello", "twitter", True, "c1"))
    unpack_draft(value).text == "Hello"
"""

from __future__ import annotations

import json
from typing import Any

from bot.conversation.refs import DraftRef, new_check
from bot.errors import InputError

__all__ = [
    "DraftRef",
    "dump_metadata",
    "load_metadata",
    "new_check",
    "pack_draft",
    "unpack_draft",
]

#: Slack's limit for a button ``value``.
MAX_BUTTON_VALUE = 2000
#: Slack's limit for a view's ``private_metadata``.
MAX_PRIVATE_METADATA = 3000


def pack_draft(ref: DraftRef, *, limit: int = MAX_BUTTON_VALUE) -> str | None:
    """``ref`` in a button value (at most ``limit`` characters), or None when it cannot fit."""
    return ref.pack(limit=limit)


def unpack_draft(value: str) -> DraftRef:
    """Read :func:`pack_draft` back; :class:`InputError` if it is not ours."""
    return DraftRef.unpack(value)


def dump_metadata(data: dict[str, Any]) -> str:
    """JSON for a view's ``private_metadata``; raises InputError when over Slack's limit."""
    out = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    if len(out) > MAX_PRIVATE_METADATA:
        raise InputError("this draft is too long to carry through a form")
    return out


def load_metadata(value: str | None) -> dict[str, Any]:
    """Parse a view's ``private_metadata`` (empty → {})."""
    if not value:
        return {}
    try:
        data = json.loads(value)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
