"""Audit export for reporting: CSV for spreadsheets, JSON Lines for pipelines.

One row per audit entry (every attempt, allowed or refused), joined with the
submission's channel, review decision, categories and policy version so a
report can answer "how many do_not_post drafts were approved, and by whom"
without the draft text, which the export never contains.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any, TextIO

from sqlalchemy import select

from bot.errors import InputError
from bot.store import models as m
from bot.store.database import Store

FORMATS: tuple[str, ...] = ("csv", "jsonl")

COLUMNS: tuple[str, ...] = (
    "id",
    "at",
    "submission_id",
    "action",
    "outcome",
    "reason",
    "actor_platform",
    "actor_id",
    "actor_name",
    "decision",
    "state",
    "channel",
    "review_decision",
    "categories",
    "policy_version",
    "detail",
)

# Spreadsheet apps execute cells starting with these; names come from chat profiles.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def parse_since(value: str | None) -> datetime | None:
    """``2026-11-01`` or ``2026-11-01T09:30`` (UTC unless an offset is given)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        try:
            d = date.fromisoformat(value.strip())
        except ValueError:
            raise InputError(
                f"--since must be a date like 2026-11-01 or 2026-11-01T09:30, not {value!r}"
            ) from None
        parsed = datetime(d.year, d.month, d.day)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def audit_rows(store: Store, *, since: datetime | None = None) -> Iterator[dict[str, Any]]:
    """Audit entries oldest first, each joined with its submission's review facts."""
    q = (
        select(m.AuditEntry, m.Submission)
        .outerjoin(m.Submission, m.Submission.id == m.AuditEntry.submission_id)
        .order_by(m.AuditEntry.id)
        .execution_options(yield_per=500)
    )
    if since is not None:
        q = q.where(m.AuditEntry.at >= since)
    with store.read() as s:
        for entry, sub in s.execute(q):
            detail = dict(entry.detail or {})
            categories: list[str] = []
            if sub is not None:
                for f in sub.verdict.get("findings", []):
                    if f.get("category") not in categories:
                        categories.append(str(f.get("category")))
            yield {
                "id": entry.id,
                "at": entry.at.isoformat(),
                "submission_id": entry.submission_id,
                "action": entry.action,
                "outcome": entry.outcome,
                "reason": entry.reason,
                "actor_platform": entry.actor_platform,
                "actor_id": entry.actor_id,
                "actor_name": entry.actor_name,
                "decision": detail.get("decision"),
                "state": detail.get("state"),
                "channel": sub.channel if sub else None,
                "review_decision": sub.review_decision if sub else None,
                "categories": categories,
                "policy_version": sub.policy_version if sub else None,
                "detail": detail,
            }


def export_audit(
    store: Store, out: TextIO, *, fmt: str = "csv", since: datetime | None = None
) -> int:
    """Write the audit log to ``out`` as ``csv`` or ``jsonl``; return the row count."""
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; allowed: {', '.join(FORMATS)}")
    n = 0
    if fmt == "jsonl":
        for row in audit_rows(store, since=since):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
        return n
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in audit_rows(store, since=since):
        writer.writerow([_cell(row[c]) for c in COLUMNS])
        n += 1
    return n


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
