"""Engines tuned per backend, so the workflow code never branches on the database.

SQLite: WAL (readers never block the writer), a generous busy timeout,
foreign keys on, ``synchronous=FULL`` (a committed submission survives power
loss, not only a crash), and write transactions opened with ``BEGIN
IMMEDIATE``. The last matters: a deferred transaction that reads and then
writes fails at once with "database is locked" when another connection wrote
in between, whereas ``BEGIN IMMEDIATE`` queues on the busy timeout. Python's
sqlite3 module would otherwise issue its own ``BEGIN`` lazily, so we switch
that off and emit ours.

PostgreSQL: psycopg 3, pre-ping (workers outlive database restarts), and the
default READ COMMITTED isolation, under which a conditional ``UPDATE ... WHERE
state = 'pending'`` re-checks the row after waiting for a concurrent writer —
the property "first decision wins" relies on.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import StaticPool

from bot.errors import ConfigError
from bot.store.url import is_sqlite

#: Execution option that makes a SQLite transaction a plain deferred ``BEGIN``.
READ_ONLY = "canipost_read_only"

#: Milliseconds a SQLite writer waits for the lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` (already resolved) with our per-backend settings."""
    if is_sqlite(url):
        return _sqlite_engine(url, **kwargs)
    kwargs.setdefault("pool_pre_ping", True)
    connect_args = dict(kwargs.pop("connect_args", {}))
    connect_args.setdefault("application_name", "canipost")
    return create_engine(url, connect_args=connect_args, **kwargs)


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    database = parsed.database or ""
    memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if not memory:
        parent = Path(database).expanduser().resolve().parent
        if not parent.is_dir():
            raise ConfigError(f"directory for the SQLite database does not exist: {parent}")
    connect_args = dict(kwargs.pop("connect_args", {}))
    connect_args.setdefault("check_same_thread", False)
    connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
    if memory:
        # One shared connection, or every checkout would see its own empty database.
        kwargs.setdefault("poolclass", StaticPool)
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_connection.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            if not memory:
                _use_wal(cur)
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=FULL")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def _use_wal(cur: Any) -> None:
    """Switch the database file to WAL, once, even when several processes open it at once.

    WAL is stored in the file, so later connections only read the mode. The
    switch itself needs an exclusive lock and SQLite may answer "database is
    locked" without waiting on the busy timeout (seen with four workers
    creating the database together), so it is retried here until that timeout.
    """
    cur.execute("PRAGMA journal_mode")
    row = cur.fetchone()
    if row and str(row[0]).lower() == "wal":
        return
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    delay = 0.005
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.25)
