"""Dashboard fixtures: a real ``canipost serve`` app on 127.0.0.1 over SQLite and PostgreSQL."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from bot.config import Approvers, Config
from bot.server import build_app
from bot.server.live import LiveServer
from bot.store import Store, open_store
from bot.store.testing import PostgresUnavailable, postgres_required, temporary_database
from bot.workflow import Workflow

sys.path.insert(0, str(Path(__file__).parent))

from harness import Client


@pytest.fixture
def config() -> Config:
    return Config(
        approvers=Approvers(cli=["bob"], slack=["UBOSS"], any=["carol"]),
        workflow={"tick_seconds": 3600, "reminder_after_minutes": 60},
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated store on each backend (PostgreSQL skips with its reason when absent)."""
    with ExitStack() as stack:
        try:
            url = stack.enter_context(temporary_database(request.param, tmp_path))
        except PostgresUnavailable as exc:
            if postgres_required():
                pytest.fail(f"CANIPOST_REQUIRE_POSTGRES=1 but {exc}")
            pytest.skip(str(exc))
        s = open_store(url)
        yield s
        s.dispose()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path / 'dash.db'}")
    yield s
    s.dispose()


@pytest.fixture
def wf(store: Store, config: Config) -> Workflow:
    return Workflow(store, config=config)


@pytest.fixture
def server(store: Store, config: Config) -> Iterator[LiveServer]:
    app = build_app(config, platforms=[], store=store, tick=False)
    with LiveServer(app) as live:
        yield live


@pytest.fixture
def client(server: LiveServer) -> Client:
    return Client(server.url)
