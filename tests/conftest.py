"""Suite-wide fixtures: guards against a developer's settings, and one ``db_url`` for every folder.

Tests never talk to a real model or pick up a developer's settings. A test
that needs a database asks for ``db_url``: an empty database on each backend
(a fresh SQLite file, and a fresh PostgreSQL database at
``TEST_DATABASE_URL``), dropped afterwards. The PostgreSQL case SKIPs with
the reason when no server answers, and FAILs instead under
``CANIPOST_REQUIRE_POSTGRES=1`` (CI).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from bot.store.testing import PostgresUnavailable, postgres_required, temporary_database

#: Both backends; the PostgreSQL one is marked so ``-m "not postgres"`` leaves it out.
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


_LEAKY_PREFIXES = ("OPENAI_", "AZURE_OPENAI_")
_LEAKY_NAMES = ("CANIPOST_CONFIG", "CANIPOST_MODEL", "CANIPOST_APPROVERS", "CANIPOST_POLICY_DIR")


@pytest.fixture(autouse=True)
def _no_outside_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A developer's OPENAI_API_KEY or CANIPOST_CONFIG must not change what a test sees,
    and no test may write the default ``canipost.db`` into the working directory."""
    for name in list(os.environ):
        if name.startswith(_LEAKY_PREFIXES) or name in _LEAKY_NAMES:
            monkeypatch.delenv(name, raising=False)
    if "DATABASE_URL" not in os.environ:
        db = tmp_path_factory.mktemp("db") / "canipost.db"
        monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
