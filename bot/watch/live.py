"""The list as the review sees it: loaded lazily, rebuilt only when it changed.

Every process (CLI run, web worker) keeps one :class:`WatchMatcher` per
database and workspace. At most once every :data:`REFRESH_SECONDS` it reads a
change marker — ``count(*), count(removed_at), max(added_at), max(removed_at)``
over the workspace's rows, one indexed query — and rebuilds the automaton only
when the marker moved. Entries are only ever added or soft-removed, so every
change moves the marker. **Bound:** an entry added or removed on any worker
takes effect everywhere within ``REFRESH_SECONDS`` (1 s), with no restart; in the
process that made the change, at once (:func:`invalidate`). Expiry needs no
rebuild: the matcher skips an entry past its ``until`` on the next check.

Cold start: this module imports no SQLAlchemy. A SQLite URL is read with the
standard library's ``sqlite3``, read-only; a SQLite file that does not exist
means an empty list (``check`` never creates a database). Only PostgreSQL goes
through :mod:`bot.store`.

If the database cannot be read, the last list loaded keeps being used (or none
on a first load) and a warning is logged, at most once a minute: a review is
never refused because the list is unreachable.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from bot.config import Config
from bot.errors import CanipostError
from bot.verdict import Severity
from bot.watch.kinds import KINDS
from bot.watch.matcher import WatchMatcher
from bot.watch.types import WatchEntry

log = logging.getLogger("canipost.watch")

#: Longest time a change made by another process takes to reach this one.
REFRESH_SECONDS = 1.0
#: Same default as :data:`bot.store.url.DEFAULT_URL` (kept here to avoid importing SQLAlchemy).
DEFAULT_URL = "sqlite:///canipost.db"
_WARN_EVERY = 60.0

Marker = tuple[Any, ...]
_EMPTY: Marker = ("empty",)

_COLUMNS = (
    "id, term, kind, aliases, severity, until, note, added_by, added_by_platform, added_at, "
    "removed_at, removed_by, workspace"
)
_MARKER_SQL = (
    "SELECT count(*), count(removed_at), max(added_at), max(removed_at) "
    "FROM watch_entries WHERE workspace = ?"
)
_ENTRIES_SQL = f"SELECT {_COLUMNS} FROM watch_entries WHERE workspace = ? AND removed_at IS NULL"


def database_url() -> str:
    """``DATABASE_URL`` or the embedded default, as the store would resolve it."""
    return os.environ.get("DATABASE_URL", "").strip() or DEFAULT_URL


def sqlite_path(url: str) -> str | None:
    """The file of a SQLite URL; ``""`` for an in-memory database; None if not SQLite."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+", 1)[0].lower() != "sqlite":
        return None
    path = unquote(rest[1:] if rest.startswith("/") else rest).split("?", 1)[0]
    if path in ("", ":memory:") or path.startswith("file::memory:"):
        return ""
    return path


class _Source:
    """Reads the marker and, when it moved, the active entries of one workspace."""

    def read(self, workspace: str, known: Marker | None) -> tuple[Marker, list[WatchEntry] | None]:
        raise NotImplementedError


class SqliteSource(_Source):
    """Stdlib ``sqlite3``, read-only; a missing file or table is an empty list."""

    def __init__(self, path: str) -> None:
        self.path = Path(path).expanduser()

    def read(self, workspace: str, known: Marker | None) -> tuple[Marker, list[WatchEntry] | None]:
        if not self.path.is_file():
            return _EMPTY, []
        uri = self.path.resolve().as_uri() + "?mode=ro"
        con = sqlite3.connect(uri, uri=True, timeout=10, isolation_level=None)
        try:
            con.execute("BEGIN")  # one snapshot for the marker and the rows
            try:
                marker: Marker = tuple(con.execute(_MARKER_SQL, (workspace,)).fetchone())
            except sqlite3.OperationalError as exc:
                if "no such table" in str(exc):
                    return _EMPTY, []  # database from before migration 0004
                raise
            if marker == known:
                return marker, None
            rows = con.execute(_ENTRIES_SQL, (workspace,)).fetchall()
            con.execute("COMMIT")
        finally:
            con.close()
        return marker, [_entry(row) for row in rows]


class StoreSource(_Source):
    """PostgreSQL (or anything else) through :mod:`bot.store`, opened without migrating."""

    def __init__(self, url: str) -> None:
        from bot.store import open_store

        self.store = open_store(url, migrate=False)

    def read(self, workspace: str, known: Marker | None) -> tuple[Marker, list[WatchEntry] | None]:
        from sqlalchemy import inspect, text

        with self.store.engine.connect() as conn, conn.begin():
            if not inspect(conn).has_table("watch_entries"):
                return _EMPTY, []  # database from before migration 0004
            params = {"ws": workspace}
            marker: Marker = tuple(
                conn.execute(text(_MARKER_SQL.replace("?", ":ws")), params).one()
            )
            if marker == known:
                return marker, None
            rows = conn.execute(text(_ENTRIES_SQL.replace("?", ":ws")), params).all()
        return marker, [_entry(tuple(row)) for row in rows]


def source_for(url: str) -> _Source | None:
    """How to read the list at ``url``; None when there can be none (in-memory SQLite)."""
    path = sqlite_path(url)
    if path is None:
        return StoreSource(url)
    return SqliteSource(path) if path else None


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _entry(row: tuple[Any, ...]) -> WatchEntry:
    (eid, term, kind, aliases, severity, until, note, by, platform, at, removed, rby, ws) = row
    if isinstance(aliases, str):
        aliases = json.loads(aliases)
    return WatchEntry(
        id=eid,
        term=term,
        kind=kind if kind in KINDS else "topic",
        aliases=tuple(aliases or ()),
        severity=Severity.parse(severity) if severity else None,
        until=_time(until),
        note=note,
        added_by=by,
        added_by_platform=platform,
        added_at=_time(at),
        removed_at=_time(removed),
        removed_by=rby,
        workspace=ws,
    )


@dataclass
class _State:
    marker: Marker | None = None
    matcher: WatchMatcher | None = None
    checked: float = float("-inf")
    warned: float = float("-inf")
    #: The last read failed and no list was ever loaded.
    failed: str | None = None


class WatchUnavailable(CanipostError):
    """The list could not be read and none was loaded before (strict callers only)."""


class LiveWatchList:
    """One database's watch list in this process, refreshed at most every ``refresh_seconds``."""

    def __init__(
        self,
        url: str,
        *,
        refresh_seconds: float = REFRESH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.refresh_seconds = refresh_seconds
        self._clock = clock
        self._source: _Source | None = None
        self._source_made = False
        self._states: dict[str, _State] = {}
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def matcher(self, workspace: str = "", *, strict: bool = False) -> WatchMatcher | None:
        """The current matcher for ``workspace``; None when the list is empty.

        ``strict``: raise :class:`WatchUnavailable` instead of returning None when
        the list has never been readable (redaction must not guess "empty").
        """
        state = self._states.get(workspace)
        now = self._clock()
        due = state is None or now - state.checked >= self.refresh_seconds
        # When another thread is already refreshing, use what we have.
        if due and self._lock.acquire(blocking=state is None):
            try:
                state = self._states.setdefault(workspace, _State())
                if now - state.checked >= self.refresh_seconds:
                    self._refresh(workspace, state, now)
            finally:
                self._lock.release()
        if state is None:
            return None
        if strict and state.failed is not None:
            raise WatchUnavailable(f"the watch list cannot be read: {state.failed}")
        return state.matcher

    def invalidate(self) -> None:
        """Re-read the marker on the next review (this process changed the list)."""
        with self._lock:
            for state in self._states.values():
                state.checked = float("-inf")

    def _refresh(self, workspace: str, state: _State, now: float) -> None:
        state.checked = now
        if self._pid != os.getpid():  # forked worker: never share the parent's connections
            self._pid, self._source, self._source_made = os.getpid(), None, False
        try:
            if not self._source_made:
                self._source = source_for(self.url)
                self._source_made = True
            if self._source is None:
                state.marker, state.matcher = _EMPTY, None
                return
            marker, entries = self._source.read(workspace, state.marker)
        except Exception as exc:  # never fail a review because the list is unreachable
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            if state.marker is None:
                state.failed = reason
            if now - state.warned >= _WARN_EVERY:
                state.warned = now
                log.warning("watch list unavailable (%s); using the last one loaded", reason)
            return
        state.failed = None
        if entries is None:
            return  # unchanged
        state.marker = marker
        state.matcher = WatchMatcher(entries) if entries else None
        log.debug("watch list loaded: %d active entries", len(entries))


_lists: dict[str, LiveWatchList] = {}
_lists_lock = threading.Lock()


def live_list(url: str | None = None) -> LiveWatchList:
    """The process-wide :class:`LiveWatchList` of ``url`` (default: ``DATABASE_URL``)."""
    url = url or database_url()
    found = _lists.get(url)
    if found is None:
        with _lists_lock:
            found = _lists.setdefault(url, LiveWatchList(url))
    return found


def matcher_for(
    config: Config, url: str | None = None, *, strict: bool = False
) -> WatchMatcher | None:
    """The matcher for ``config.workspace`` in the current database; None when empty."""
    return live_list(url).matcher(config.workspace, strict=strict)


def invalidate(url: str | None = None) -> None:
    """Make this process see its own change at once (called after add and remove)."""
    if url is None:
        for found in list(_lists.values()):
            found.invalidate()
    elif url in _lists:
        _lists[url].invalidate()
