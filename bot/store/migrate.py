"""Run the migrations shipped inside the package, from code.

No ``alembic.ini`` is needed: the script location is this package's
``migrations`` folder. ``upgrade()`` is safe to call from every worker at
start-up: on PostgreSQL it holds a transaction-scoped advisory lock (keyed
on the schema, so test schemas don't queue behind each other), on SQLite
the ``BEGIN IMMEDIATE`` write lock; both backends run DDL transactionally,
so a worker killed mid-migration leaves the previous revision intact.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from bot.errors import ConfigError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(connection: Connection | None = None) -> AlembicConfig:
    """An Alembic config pointing at the packaged migrations (and ``connection``)."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest revision this code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None for an empty database."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Upgrade the database to ``revision``; return the revision it ends at.

    A no-op (one query) when already there, so it is cheap to call on every start.
    """
    target = head_revision() if revision == "head" else revision
    with engine.begin() as conn:
        _lock(conn)
        current = MigrationContext.configure(conn).get_current_revision()
        if current == target:
            return current
        _check_known(current)
        log.info("migrating database from %s to %s", current or "empty", target)
        try:
            command.upgrade(alembic_config(conn), target)
        except CommandError as exc:
            raise ConfigError(f"cannot migrate the database: {exc}") from None
        return MigrationContext.configure(conn).get_current_revision()


def downgrade(engine: Engine, revision: str) -> str | None:
    """Downgrade to ``revision`` (``base`` empties the schema); for tests and rollbacks."""
    with engine.begin() as conn:
        _lock(conn)
        command.downgrade(alembic_config(conn), revision)
        return MigrationContext.configure(conn).get_current_revision()


def _lock(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtext('canipost.migrate:' || current_schema()))")
        )
    # SQLite: the transaction began with BEGIN IMMEDIATE, which already excludes other writers.


def _check_known(current: str | None) -> None:
    if current is None:
        return
    script = ScriptDirectory.from_config(alembic_config())
    try:
        script.get_revision(current)
    except CommandError:
        raise ConfigError(
            f"the database is at schema revision {current!r}, which this version of "
            "canipost does not know; upgrade canipost"
        ) from None
