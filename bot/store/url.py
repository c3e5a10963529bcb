"""Which database: ``DATABASE_URL`` resolved to a SQLAlchemy URL.

Heroku and most PaaS hand out ``postgres://`` URLs, which SQLAlchemy 2 rejects;
we accept them (and bare ``postgresql://``) and pin the psycopg 3 driver so the
same URL works everywhere.
"""

from __future__ import annotations

import os

from sqlalchemy.engine import URL, make_url

from bot.errors import ConfigError

#: The embedded default: a file in the working directory, migrated on first use.
DEFAULT_URL = "sqlite:///canipost.db"

_PG_PREFIXES = ("postgres://", "postgresql://")


def resolve_url(url: str | None = None) -> str:
    """Return the SQLAlchemy URL to use: ``url``, else ``DATABASE_URL``, else SQLite.

    >>> resolve_url("postgres://u:p@db.example/app")
    'postgresql+psycopg://u:p@db.example/app'
    """
    raw = (url or os.environ.get("DATABASE_URL") or DEFAULT_URL).strip()
    for prefix in _PG_PREFIXES:
        if raw.startswith(prefix):
            raw = "postgresql+psycopg://" + raw[len(prefix) :]
            break
    try:
        parsed = make_url(raw)
    except Exception:
        raise ConfigError(f"DATABASE_URL is not a database URL: {_redact(raw)!r}") from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(
            f"unsupported database {parsed.get_backend_name()!r} in DATABASE_URL; "
            "allowed: sqlite, postgresql"
        )
    return raw


def is_sqlite(url: str | URL) -> bool:
    """True for SQLite URLs, which need their own locking and pragmas."""
    return make_url(url).get_backend_name() == "sqlite"


def safe_url(url: str | URL) -> str:
    """The URL with its password hidden, fit for logs and error messages."""
    return make_url(url).render_as_string(hide_password=True)


def _redact(raw: str) -> str:
    # An unparseable URL may still hold a password between ':' and '@'.
    if "@" in raw and "://" in raw:
        scheme, rest = raw.split("://", 1)
        return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return raw
