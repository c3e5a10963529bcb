"""What differs between the databases we run on, so the workflow need not know.

SQLite (one file, one writer at a time) and PostgreSQL (many workers) report
conflicts and affected rows differently; the code above the store asks here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import OperationalError

#: PostgreSQL serialization failure and deadlock: the whole transaction may be retried.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})


def rowcount(result: Any) -> int:
    """Rows an UPDATE/DELETE touched (0 when the driver does not say)."""
    return int(getattr(result, "rowcount", 0) or 0)


def retryable(exc: OperationalError) -> bool:
    """True when the database asks for the transaction to be run again (not an outage)."""
    return getattr(exc.orig, "sqlstate", None) in RETRYABLE_SQLSTATES


def first_line(exc: OperationalError) -> str:
    """The driver's message, first line only (fit for one log or error line)."""
    return str(exc.orig).strip().splitlines()[0] if exc.orig else ""
