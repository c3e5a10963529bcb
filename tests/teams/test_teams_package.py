"""``canipost teams package``: the zip Teams accepts, built from teams/manifest.json."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.cli.teams import png_size

REPO = Path(__file__).resolve().parents[2]
BOT_ID = "11111111-2222-4333-8444-555555555555"


def test_package_fills_in_the_bot_id_and_zips_manifest_and_icons(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "app.zip"
    assert main(["teams", "package", "--bot-id", BOT_ID, "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    with zipfile.ZipFile(out) as zf:
        assert sorted(zf.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(zf.read("manifest.json"))
        assert png_size(zf.read("color.png")) == (192, 192)
        assert png_size(zf.read("outline.png")) == (32, 32)
    assert manifest["id"] == BOT_ID
    assert manifest["bots"][0]["botId"] == BOT_ID
    (extension,) = manifest["composeExtensions"]
    assert extension["botId"] == BOT_ID
    (command,) = extension["commands"]
    assert command["title"] == "Check with canipost"
    assert command["type"] == "action" and command["context"] == ["message"]
    assert "{{" not in json.dumps(manifest)


def test_bot_id_comes_from_the_sdk_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID", BOT_ID)
    out = tmp_path / "app.zip"
    assert main(["teams", "package", "--out", str(out), "--app-id", BOT_ID.replace("1", "9")]) == 0
    manifest = json.loads(zipfile.ZipFile(out).read("manifest.json"))
    assert manifest["bots"][0]["botId"] == BOT_ID and manifest["id"] == BOT_ID.replace("1", "9")


def test_outline_icon_is_transparent() -> None:
    data = (REPO / "teams" / "outline.png").read_bytes()
    assert data[25] == 6  # colour type 6: RGBA


def test_errors_are_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID", raising=False)
    assert main(["teams", "package", "--out", str(tmp_path / "a.zip")]) == 2
    assert "no bot id" in capsys.readouterr().err
    assert (
        main(["teams", "package", "--bot-id", "not-a-guid", "--out", str(tmp_path / "a.zip")]) == 2
    )
    assert "GUID" in capsys.readouterr().err
    # A wrong-sized icon is caught before anything is written.
    bad = tmp_path / "bad"
    shutil.copytree(REPO / "teams", bad)
    shutil.copy(bad / "outline.png", bad / "color.png")
    args = ["teams", "package", "--bot-id", BOT_ID, "--manifest", str(bad / "manifest.json")]
    assert main([*args, "--out", str(tmp_path / "b.zip")]) == 2
    assert "needs 192x192" in capsys.readouterr().err
    assert not (tmp_path / "b.zip").exists()
