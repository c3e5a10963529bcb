"""Helpers for tests and benchmarks that need a real, disposable database.

Shipped beside the real store (like httpx's mock transport) so every test
suite of the project — workflow, Slack, Teams — gets the same fixtures:
a fresh SQLite file, or a fresh PostgreSQL schema dropped afterwards, so
concurrent runs on one server never collide.

    with temporary_schema(postgres_test_url()) as url:
        store = open_store(url)
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from bot.store.url import resolve_url

#: Where the Postgres tests go unless ``TEST_DATABASE_URL`` says otherwise.
DEFAULT_TEST_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_test_url() -> str:
    """``TEST_DATABASE_URL`` (any accepted spelling), else the local test server."""
    return resolve_url(os.environ.get("TEST_DATABASE_URL") or DEFAULT_TEST_POSTGRES_URL)


def postgres_required() -> bool:
    """True when CI demands the Postgres tests run (``CANIPOST_REQUIRE_POSTGRES=1``)."""
    return os.environ.get("CANIPOST_REQUIRE_POSTGRES", "").strip() in ("1", "true", "yes")


def postgres_unavailable_reason(url: str) -> str | None:
    """None when a server answers at ``url``, else a one-line reason to show in a skip."""
    engine = create_engine(url, connect_args={"connect_timeout": 3}, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return None
    except DBAPIError as exc:
        first = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        return f"PostgreSQL at {make_url(url).render_as_string(hide_password=True)}: {first}"
    finally:
        engine.dispose()


def with_search_path(url: str, schema: str) -> str:
    """``url`` with every connection's ``search_path`` set to ``schema``."""
    parsed = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return parsed.render_as_string(hide_password=False)


@contextmanager
def temporary_schema(url: str, prefix: str = "canipost_test") -> Iterator[str]:
    """Create a uniquely named schema, yield a URL using it, drop it afterwards."""
    schema = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield with_search_path(url, schema)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


#: The backends every store/workflow test runs on.
BACKENDS: tuple[str, ...] = ("sqlite", "postgres")

_reasons: dict[str, str | None] = {}


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server answered; the message says where and why."""


@contextmanager
def temporary_database(kind: str, tmp_dir: Path) -> Iterator[str]:
    """Yield the URL of a fresh, migrated-on-open database of ``kind``, removed afterwards.

    ``sqlite``: a file in ``tmp_dir``. ``postgres``: a new schema on the server
    named by ``TEST_DATABASE_URL``; raises :class:`PostgresUnavailable` when it
    does not answer (checked once per process).
    """
    if kind == "sqlite":
        yield f"sqlite:///{tmp_dir / 'canipost.db'}"
        return
    if kind != "postgres":
        raise ValueError(f"unknown backend {kind!r}; allowed: {', '.join(BACKENDS)}")
    url = postgres_test_url()
    if url not in _reasons:
        _reasons[url] = postgres_unavailable_reason(url)
    reason = _reasons[url]
    if reason is not None:
        raise PostgresUnavailable(reason)
    with temporary_schema(url) as schema_url:
        yield schema_url
