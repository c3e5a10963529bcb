"""Data folders are found in a checkout, in a wheel (bot/_shipped), or named by env."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import resources


def test_checkout_first_then_wheel_then_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout, package = tmp_path / "checkout", tmp_path / "site" / "bot"
    (package / "_shipped" / "policy").mkdir(parents=True)
    monkeypatch.setattr(resources, "_CHECKOUT", checkout)
    monkeypatch.setattr(resources, "_PACKAGE", package)
    monkeypatch.chdir(tmp_path)
    assert resources.data_dir("policy") == package / "_shipped" / "policy"  # installed wheel
    (checkout / "policy").mkdir(parents=True)
    assert resources.data_dir("policy") == checkout / "policy"  # source checkout wins
    assert resources.data_dir("prompts") == tmp_path / "prompts"  # nothing: ./prompts
    monkeypatch.setenv("CANIPOST_PROMPTS_DIR", str(tmp_path / "mine"))
    assert resources.data_dir("prompts", "CANIPOST_PROMPTS_DIR") == tmp_path / "mine"


def test_this_checkout_has_all_three() -> None:
    for name in ("policy", "prompts", "teams"):
        assert resources.data_dir(name).is_dir()
    assert (resources.data_dir("teams") / "manifest.json").is_file()
