"""What our buttons and modals carry between requests: small, self-contained, bounded.

A verdict message is stateless on our side: its "Send to comms" button
carries the draft itself (compressed when long), the target network, whether
it is for the organisation, and a ``check_id`` that names this one check. The
check id is the workflow idempotency key of the submission, so a double click,
a Slack retry or a second worker can never queue the same check twice.

    value = pack_draft(DraftRef("Hello", "twitter", True, "c1"))
    unpack_draft(value).text == "Hello"
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import zlib
from dataclasses import dataclass
from typing import Any

from bot.errors import InputError

#: Slack's limit for a button ``value``.
MAX_BUTTON_VALUE = 2000
#: Slack's limit for a view's ``private_metadata``.
MAX_PRIVATE_METADATA = 3000


@dataclass(frozen=True, slots=True)
class DraftRef:
    """A checked draft as carried in a button value or a modal's metadata."""

    text: str
    channel: str = "any"
    on_behalf: bool | None = None
    check_id: str = ""


def new_check_id() -> str:
    """A short random id for one check (also the submit idempotency key)."""
    return secrets.token_urlsafe(9)


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def pack_draft(ref: DraftRef, *, limit: int = MAX_BUTTON_VALUE) -> str | None:
    """Encode ``ref`` in at most ``limit`` characters, or None when it cannot fit.

    Plain JSON when it fits, else the text zlib-compressed and base64-encoded:
    prose compresses well, so drafts of a few thousand characters still fit.
    """
    head: dict[str, Any] = {"i": ref.check_id, "c": ref.channel, "o": ref.on_behalf}
    plain = _dump({**head, "t": ref.text})
    if len(plain) <= limit:
        return plain
    packed = base64.b64encode(zlib.compress(ref.text.encode("utf-8"), 9)).decode("ascii")
    small = _dump({**head, "z": packed})
    return small if len(small) <= limit else None


def unpack_draft(value: str) -> DraftRef:
    """Decode what :func:`pack_draft` produced; :class:`InputError` if it is not ours."""
    try:
        data = json.loads(value)
        if not isinstance(data, dict):
            raise ValueError("not an object")
        if "z" in data:
            text = zlib.decompress(base64.b64decode(str(data["z"]))).decode("utf-8")
        else:
            text = str(data["t"])
        on_behalf = data.get("o")
        return DraftRef(
            text=text,
            channel=str(data.get("c") or "any"),
            on_behalf=on_behalf if isinstance(on_behalf, bool) else None,
            check_id=str(data.get("i") or ""),
        )
    except (ValueError, KeyError, TypeError, zlib.error, binascii.Error) as exc:
        raise InputError(f"this button's data is not readable ({type(exc).__name__})") from None


def dump_metadata(data: dict[str, Any]) -> str:
    """JSON for a view's ``private_metadata``; raises InputError when over Slack's limit."""
    out = _dump(data)
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
