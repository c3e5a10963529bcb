"""Organisation config: defaults, validation with file:line, env approvers."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_config
from bot.errors import ConfigError


def test_defaults_without_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CANIPOST_CONFIG", raising=False)
    cfg = load_config()
    assert cfg.profile == "council" and cfg.organisation.domains == []


def test_full_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "org.yaml"
    f.write_text(
        "profile: nhs\norganisation:\n  name: Ridgeway NHS Trust\n  domains: ['@ridgeway.nhs.uk']\n"
        "  phones: ['0114 273 4567']\napprovers:\n  slack: [U1]\n  teams: [t1]\n"
    )
    monkeypatch.setenv("CANIPOST_APPROVERS", "U9, U1")
    cfg = load_config(f)
    assert cfg.profile == "nhs" and cfg.organisation.domains == ["ridgeway.nhs.uk"]
    assert cfg.approvers.ids_for("slack") == {"U1", "U9"}
    assert cfg.approvers.ids_for("teams") == {"t1", "U1", "U9"}


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("profile: school\n", "unknown profile 'school'"),
        ("organisation:\n  nmae: X\n", "org.yaml:2: unknown key 'nmae'"),
        ("aproovers: {}\n", "org.yaml:1: unknown key 'aproovers'"),
        ("organisation:\n  domains: example.org\n", "'domains' must be list"),
        ("profile: [\n", "not valid YAML"),
    ],
)
def test_bad_config_is_named(tmp_path: Path, text: str, needle: str) -> None:
    f = tmp_path / "org.yaml"
    f.write_text(text)
    with pytest.raises(ConfigError) as exc:
        load_config(f)
    assert needle in str(exc.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")
