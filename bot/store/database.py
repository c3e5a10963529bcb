"""The store: one engine per process and the two kinds of transaction we use.

Workflow code never touches engines or dialects; it asks for ``store.write()``
(a transaction that will write: on SQLite it takes the write lock up front)
or ``store.read()`` (a snapshot read that never blocks writers).

    store = open_store()                      # DATABASE_URL or sqlite:///canipost.db
    with store.write() as session:
        session.add(...)
    # committed here, or rolled back if the block raised
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import CanipostError
from bot.store.engine import READ_ONLY, make_engine
from bot.store.migrate import upgrade
from bot.store.url import resolve_url, safe_url

log = logging.getLogger(__name__)


class StoreUnavailable(CanipostError):
    """The database cannot be reached or opened (exit 2, message names the URL sans password)."""


class Store:
    """An engine and its session factories; share one per process, it is thread-safe."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writer = sessionmaker(engine, expire_on_commit=False)
        self._reader = sessionmaker(
            engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
        )

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @property
    def url(self) -> str:
        """The database URL with the password hidden."""
        return safe_url(self.engine.url)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction that may write; commits on exit, rolls back on error."""
        with self._writer.begin() as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only transaction; anything written in it is rolled back.

        Loaded rows stay readable after the block (they are detached, not expired).
        """
        with self._reader() as session, session.begin():
            yield session
            session.expunge_all()
            session.rollback()

    def ping(self) -> bool:
        """True when the database answers (for readiness probes)."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except DBAPIError:
            return False

    def dispose(self) -> None:
        """Close pooled connections (before a fork, or at shutdown)."""
        self.engine.dispose()


def open_store(url: str | None = None, *, migrate: bool = True, **engine_kwargs: Any) -> Store:
    """Open the store at ``url`` (else ``DATABASE_URL``, else ``sqlite:///canipost.db``).

    With ``migrate`` (the default) the schema is brought to the newest revision
    first, so a fresh machine needs no setup step; concurrent callers are safe.
    """
    resolved = resolve_url(url)
    engine = make_engine(resolved, **engine_kwargs)
    try:
        if migrate:
            upgrade(engine)
        else:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise StoreUnavailable(f"cannot open the database {safe_url(resolved)}: {reason}") from None
    log.debug("store open: %s", safe_url(resolved))
    return Store(engine)
