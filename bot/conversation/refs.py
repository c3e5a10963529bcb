"""One reference to a checked draft, the same on every surface, and what a submission records.

A verdict on screen is stateless on our side: its "Send to comms" button
carries a :class:`DraftRef` — the draft itself, the target network, whether
it is posted for the organisation, and ``check``, an id naming this one
check. ``check`` seeds the submission's idempotency key
(:func:`bot.workflow.keys.submit_key`), so a double click, a platform retry or
a second worker can never queue the same check twice.

    ref = DraftRef("Hello", "twitter", True, new_check())
    DraftRef.from_data(ref.to_data()) == ref
    DraftRef.unpack(ref.pack()) == ref          # compact form for small button values
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.errors import InputError
from bot.workflow.types import Submission

#: Longest draft a button's data carries as plain fields (Teams caps a message near 28 KB).
MAX_DRAFT_IN_DATA = 12_000


def new_check() -> str:
    """A short random id for one check (the seed of its submit idempotency key)."""
    return secrets.token_urlsafe(9)


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class DraftRef:
    """A checked draft as a button or a form carries it between requests."""

    text: str
    channel: str = "any"
    on_behalf: bool | None = None
    check: str = ""

    # ------------------------------------------------------------------ named fields

    def to_data(self) -> dict[str, Any] | None:
        """Named fields for a card's action data; None when the draft is too long to carry."""
        if len(self.text) > MAX_DRAFT_IN_DATA:
            return None
        data: dict[str, Any] = {"text": self.text, "channel": self.channel, "check": self.check}
        if self.on_behalf is not None:
            data["on_behalf"] = self.on_behalf
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> DraftRef:
        """Read :meth:`to_data` back (also what a form merged into it)."""
        behalf = data.get("on_behalf")
        return cls(
            text=str(data.get("text") or ""),
            channel=str(data.get("channel") or "any"),
            on_behalf=behalf if isinstance(behalf, bool) else None,
            check=str(data.get("check") or ""),
        )

    # ------------------------------------------------------------------ compact string

    def pack(self, *, limit: int = 2000) -> str | None:
        """At most ``limit`` characters (Slack's button value), or None when it cannot fit.

        Plain JSON when it fits, else the text zlib-compressed and base64-encoded:
        prose compresses well, so drafts of a few thousand characters still fit.
        """
        head: dict[str, Any] = {"i": self.check, "c": self.channel, "o": self.on_behalf}
        plain = _dump({**head, "t": self.text})
        if len(plain) <= limit:
            return plain
        packed = base64.b64encode(zlib.compress(self.text.encode("utf-8"), 9)).decode("ascii")
        small = _dump({**head, "z": packed})
        return small if len(small) <= limit else None

    @classmethod
    def unpack(cls, value: str) -> DraftRef:
        """Decode :meth:`pack`; :class:`InputError` if it is not ours."""
        try:
            data = json.loads(value)
            if not isinstance(data, dict):
                raise ValueError("not an object")
            if "z" in data:
                text = zlib.decompress(base64.b64decode(str(data["z"]))).decode("utf-8")
            else:
                text = str(data["t"])
            on_behalf = data.get("o")
            return cls(
                text=text,
                channel=str(data.get("c") or "any"),
                on_behalf=on_behalf if isinstance(on_behalf, bool) else None,
                check=str(data.get("i") or ""),
            )
        except (ValueError, KeyError, TypeError, zlib.error, binascii.Error) as exc:
            raise InputError(f"this button's data is not readable ({type(exc).__name__})") from None

    @classmethod
    def of(cls, sub: Submission) -> DraftRef:
        """The reference to redraw a stored submission's verdict (no check: it is sent)."""
        return cls(sub.text or "", sub.channel, on_behalf_of(sub))


# ---------------------------------------------------------------------- what a submission records


def origin_key(platform: str) -> str:
    """``message_refs`` key under which a surface records where the author asked."""
    return f"{platform}_origin"


def origin_refs(platform: str, ref: DraftRef, **where: Any) -> dict[str, Any]:
    """The submission's ``message_refs`` at submit time: posting for whom, and where asked."""
    return {origin_key(platform): {"on_behalf": ref.on_behalf, **where}}


def origin_of(sub: Submission) -> dict[str, Any]:
    """What the author's surface recorded at submit time (empty when nothing)."""
    origin = sub.message_refs.get(origin_key(sub.author.platform))
    return origin if isinstance(origin, dict) else {}


def on_behalf_of(sub: Submission) -> bool | None:
    """Whether the author posts for the organisation, as recorded at submit time."""
    value = origin_of(sub).get("on_behalf")
    return value if isinstance(value, bool) else None
