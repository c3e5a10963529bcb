"""Storage of the approval queue: SQLAlchemy models, engines, packaged Alembic migrations.

SQLite (``sqlite:///canipost.db``) is the embedded default and migrates itself
on first use; PostgreSQL (``postgresql+psycopg://...``, or Heroku's
``postgres://...``) is for several workers sharing one database. The same code
and tests run on both.

    from bot.store import open_store
    store = open_store()          # DATABASE_URL, migrated to head
"""

from __future__ import annotations

from bot.store.database import Store, StoreUnavailable, open_store
from bot.store.migrate import current_revision, downgrade, head_revision, upgrade
from bot.store.url import DEFAULT_URL, is_sqlite, resolve_url, safe_url

__all__ = [
    "DEFAULT_URL",
    "Store",
    "StoreUnavailable",
    "current_revision",
    "downgrade",
    "head_revision",
    "is_sqlite",
    "open_store",
    "resolve_url",
    "safe_url",
    "upgrade",
]
