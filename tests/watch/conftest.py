"""Fixtures for watch-list tests: a real database per backend, approvers, a service.

Each test gets a fresh SQLite file and a fresh PostgreSQL schema (dropped
afterwards). Postgres cases SKIP with the reason when no server answers at
``TEST_DATABASE_URL``, and FAIL instead under ``CANIPOST_REQUIRE_POSTGRES=1``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from bot.config import Approvers, Config
from bot.store import Store, open_store
from bot.store.testing import PostgresUnavailable, postgres_required, temporary_database
from bot.watch.service import WatchList

BACKEND_PARAMS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKEND_PARAMS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty database on each backend, dropped afterwards."""
    with ExitStack() as stack:
        try:
            url = stack.enter_context(temporary_database(request.param, tmp_path))
        except PostgresUnavailable as exc:
            if postgres_required():
                pytest.fail(f"CANIPOST_REQUIRE_POSTGRES=1 but {exc}")
            pytest.skip(str(exc))
        yield url


@pytest.fixture
def config() -> Config:
    return Config(approvers=Approvers(cli=["bob"], slack=["U0SAM"]))


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = open_store(db_url)
    yield s
    s.dispose()


@pytest.fixture
def watch(store: Store, config: Config) -> WatchList:
    return WatchList(store, config=config)
