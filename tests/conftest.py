"""Suite-wide guards: tests never talk to a real model or pick up a developer's settings."""

from __future__ import annotations

import os

import pytest

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
