"""Text-free check records: what the dashboard's charts count.

Every served check (Slack, Teams, the dashboard's "try a draft" box, and the
CLI when a database is configured) calls :func:`record_verdict`, which writes
one ``check_stats`` row — day, decision, platform, categories, rule ids, never
the draft — and bumps ``check_rule_days`` (hits per rule per day) in the same
transaction, so the charts read small aggregates instead of every check.

    from bot.dashboard.stats import record_verdict
    record_verdict(store, verdict, platform="slack", workspace=config.workspace)

This module imports SQLAlchemy: import it lazily from anything on the
``canipost check`` path.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert

from bot.store import models as m

if TYPE_CHECKING:
    from bot.store import Store
    from bot.verdict import Verdict

log = logging.getLogger(__name__)

#: Decisions a check can end in (the verdict's labels).
DECISIONS: tuple[str, ...] = ("ok", "advise", "needs_approval", "do_not_post")
#: Where checks come from; anything else is refused so the charts stay clean.
CHECK_PLATFORMS: tuple[str, ...] = ("cli", "slack", "teams", "web")


def record_check(
    store: Store,
    *,
    decision: str,
    rules: Iterable[tuple[str, str]],
    platform: str,
    workspace: str = "",
    day: date | None = None,
) -> None:
    """Count one check: its decision and the ``(rule id, category)`` of each finding.

    Categories are derived from the rules, so they can never disagree. Raises
    ``ValueError`` on an unknown decision or platform.
    """
    if decision not in DECISIONS:
        raise ValueError(f"unknown decision {decision!r}")
    if platform not in CHECK_PLATFORMS:
        raise ValueError(f"unknown platform {platform!r}")
    day = day or datetime.now(UTC).date()
    per_rule: dict[str, tuple[str, int]] = {}
    for rule, category in rules:
        _, hits = per_rule.get(rule, (category, 0))
        per_rule[rule] = (category, hits + 1)
    categories = sorted({c for c, _ in per_rule.values()})
    with store.write() as s:
        s.execute(
            insert(m.CheckStat).values(
                workspace=workspace,
                day=day,
                decision=decision,
                platform=platform,
                categories=categories,
                rules=sorted(per_rule),
            )
        )
        # Sorted, so concurrent writers take row locks in one order (no deadlocks).
        for rule in sorted(per_rule):
            category, hits = per_rule[rule]
            s.execute(_upsert_rule_day(store.dialect, workspace, day, rule, category, hits))


def _upsert_rule_day(
    dialect: str, workspace: str, day: date, rule: str, category: str, hits: int
) -> Any:
    from sqlalchemy.dialects import postgresql, sqlite

    table: Any = m.CheckRuleDay.__table__
    dialect_insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = dialect_insert(table).values(
        workspace=workspace, day=day, rule=rule[:128], category=category, hits=hits
    )
    return stmt.on_conflict_do_update(
        index_elements=["workspace", "day", "rule"],
        set_={"hits": table.c.hits + stmt.excluded.hits, "category": stmt.excluded.category},
    )


def record_verdict(
    store: Store | None, verdict: Verdict, *, platform: str, workspace: str = ""
) -> bool:
    """Count a served check; never raises (a failed count must not break a check).

    ``store=None`` opens the store named by ``DATABASE_URL`` (the CLI's case).
    Returns True when the check was recorded.
    """
    own = None
    try:
        if store is None:
            from bot.store import open_store

            store = own = open_store()
        record_check(
            store,
            decision=verdict.decision.label,
            rules=[(f.rule, f.category) for f in verdict.findings],
            platform=platform,
            workspace=workspace,
        )
        return True
    except Exception as exc:  # counting is best effort; the check itself already succeeded
        log.warning("could not record a check for the dashboard: %s", type(exc).__name__)
        log.debug("record_verdict failed", exc_info=True)
        return False
    finally:
        if own is not None:
            own.dispose()


# ---------------------------------------------------------------------- off the request path

_RECENT_MAX = 10_000
_recent: OrderedDict[str, None] = OrderedDict()
_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="canipost-stats")
        return _pool


def record_served(
    store: Store,
    verdict: Verdict,
    *,
    platform: str,
    workspace: str = "",
    key: str | None = None,
) -> None:
    """Count a check served by a chat surface, off the request path, once per ``key``.

    A surface may review the same draft again (the LLM follow-up, "send to
    comms"); ``key`` (the check id the surface gave the draft) makes that one
    count per process. The write happens on a background thread, so a slow or
    unreachable database never delays a Slack or Teams acknowledgement.
    """
    if key:
        with _lock:
            if key in _recent:
                return
            _recent[key] = None
            while len(_recent) > _RECENT_MAX:
                _recent.popitem(last=False)
    try:
        _executor().submit(record_verdict, store, verdict, platform=platform, workspace=workspace)
    except RuntimeError:  # interpreter shutting down: the count is lost, the check is not
        log.debug("record_served after shutdown", exc_info=True)


def flush(timeout: float = 10.0) -> None:
    """Wait until every check queued by :func:`record_served` is written (tests, shutdown)."""
    _executor().submit(lambda: None).result(timeout)
