"""Alembic environment: always online, always on a connection we hand in.

``bot.store.migrate`` opens the transaction (and, on PostgreSQL, takes the
advisory lock) before calling Alembic, so concurrent workers cannot run the
same migration twice; this file only wires that connection in.
"""

from __future__ import annotations

from alembic import context

from bot.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached if someone runs `alembic` by hand
    raise RuntimeError("run migrations with `canipost db upgrade` (bot.store.migrate.upgrade)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
