"""DATABASE_URL resolution: defaults, PaaS spellings, clear errors."""

from __future__ import annotations

import pytest

from bot.errors import ConfigError
from bot.store import DEFAULT_URL, is_sqlite, resolve_url, safe_url


def test_default_is_embedded_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert resolve_url() == DEFAULT_URL == "sqlite:///canipost.db"
    assert is_sqlite(resolve_url())


def test_environment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/x.db")
    assert resolve_url() == "sqlite:////tmp/x.db"
    assert resolve_url("sqlite:///explicit.db") == "sqlite:///explicit.db"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db.example:5432/app", "postgresql+psycopg://u:p@db.example:5432/app"),
        ("postgresql://u@db/app", "postgresql+psycopg://u@db/app"),
        ("postgresql+psycopg://u@db/app", "postgresql+psycopg://u@db/app"),
    ],
)
def test_heroku_style_urls_get_the_psycopg_driver(given: str, expected: str) -> None:
    assert resolve_url(given) == expected
    assert not is_sqlite(expected)


def test_unsupported_backend_names_the_allowed_ones() -> None:
    with pytest.raises(ConfigError, match="allowed: sqlite, postgresql"):
        resolve_url("mysql://u@db/app")


def test_garbage_url_is_a_config_error_without_the_password() -> None:
    with pytest.raises(ConfigError) as exc:
        resolve_url("not a url://user:secret@host")
    assert "secret" not in str(exc.value)


def test_safe_url_hides_password() -> None:
    assert "secret" not in safe_url("postgresql+psycopg://u:secret@db/app")
