"""Every store test runs on a fresh SQLite file and on a fresh PostgreSQL schema.

Postgres comes from ``TEST_DATABASE_URL`` (default: the local server); when it
does not answer the Postgres cases SKIP with the reason, unless
``CANIPOST_REQUIRE_POSTGRES=1`` (CI), where they FAIL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from bot.store.testing import PostgresUnavailable, postgres_required, temporary_database

BACKEND_PARAMS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKEND_PARAMS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty database (not yet migrated) on each backend, dropped afterwards."""
    with ExitStack() as stack:
        try:
            url = stack.enter_context(temporary_database(request.param, tmp_path))
        except PostgresUnavailable as exc:
            if postgres_required():
                pytest.fail(f"CANIPOST_REQUIRE_POSTGRES=1 but {exc}")
            pytest.skip(str(exc))
        yield url
