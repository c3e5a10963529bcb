"""A watch entry as every surface sees it: a plain frozen value, never a live ORM row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.verdict import Severity
from bot.watch.kinds import KINDS, Kind

#: Entry states shown by ``watch list --all``.
STATUSES: tuple[str, ...] = ("active", "expired", "removed")


@dataclass(frozen=True, slots=True)
class WatchEntry:
    """One thing the comms team is watching for.

    ``severity`` is the entry's own choice (None: the kind's default, see
    :attr:`effective_severity`). ``until`` is the moment it stops matching
    (None: until removed). ``note`` is for approvers only.
    """

    id: str
    term: str
    kind: str
    aliases: tuple[str, ...] = ()
    severity: Severity | None = None
    until: datetime | None = None
    note: str | None = None
    added_by: str = ""
    added_by_platform: str = "cli"
    added_at: datetime | None = None
    removed_at: datetime | None = None
    removed_by: str | None = None
    workspace: str = ""

    @property
    def kind_info(self) -> Kind:
        return KINDS[self.kind]

    @property
    def effective_severity(self) -> Severity:
        return self.severity if self.severity is not None else self.kind_info.severity

    @property
    def category(self) -> str:
        return self.kind_info.category

    def status(self, now: datetime | None = None) -> str:
        """``active``, ``expired`` (its ``until`` has passed) or ``removed``."""
        if self.removed_at is not None:
            return "removed"
        if self.until is not None and self.until <= (now or datetime.now(UTC)):
            return "expired"
        return "active"

    def is_active(self, now: datetime | None = None) -> bool:
        return self.status(now) == "active"

    def to_dict(self, now: datetime | None = None) -> dict[str, Any]:
        """JSON shape of ``watch show --json`` (approvers only: it carries the note)."""
        return {
            "id": self.id,
            "term": self.term,
            "kind": self.kind,
            "aliases": list(self.aliases),
            "severity": self.effective_severity.label,
            "severity_set": self.severity is not None,
            "category": self.category,
            "until": _iso(self.until),
            "note": self.note,
            "added_by": self.added_by,
            "added_by_platform": self.added_by_platform,
            "added_at": _iso(self.added_at),
            "removed_at": _iso(self.removed_at),
            "removed_by": self.removed_by,
            "status": self.status(now),
        }


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None
