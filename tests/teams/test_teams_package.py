"""``canipost teams package``: the zip Teams accepts, built from teams/manifest.json."""

from __future__ import annotations

import copy
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest

from bot.cli.main import main
from bot.cli.teams import manifest_problems, png_size

REPO = Path(__file__).resolve().parents[2]
BOT_ID = "11111111-2222-4333-8444-555555555555"
DEVELOPER = [
    "--developer-name",
    "Riverside Council",
    "--website-url",
    "https://www.riverside.gov.uk",
    "--privacy-url",
    "https://www.riverside.gov.uk/privacy",
    "--terms-url",
    "https://www.riverside.gov.uk/terms",
]


@pytest.fixture(autouse=True)
def _no_developer_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NAME", "WEBSITE_URL", "PRIVACY_URL", "TERMS_URL"):
        monkeypatch.delenv(f"CANIPOST_TEAMS_DEVELOPER_{name}", raising=False)
        monkeypatch.delenv(f"CANIPOST_TEAMS_{name}", raising=False)


def test_package_fills_in_the_bot_id_and_zips_manifest_and_icons(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "app.zip"
    assert main(["teams", "package", "--bot-id", BOT_ID, *DEVELOPER, "--out", str(out)]) == 0
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
    assert manifest["developer"] == {
        "name": "Riverside Council",
        "websiteUrl": "https://www.riverside.gov.uk",
        "privacyUrl": "https://www.riverside.gov.uk/privacy",
        "termsOfUseUrl": "https://www.riverside.gov.uk/terms",
    }
    assert manifest_problems(manifest) == []
    # Private and shared approvers' channels: manifest 1.25+ with supportsChannelFeatures.
    assert tuple(int(p) for p in manifest["manifestVersion"].split(".")) >= (1, 25)
    assert manifest["supportsChannelFeatures"] == "tier1"
    assert "/v1.25/" in manifest["$schema"] or manifest["manifestVersion"] in manifest["$schema"]


def test_bot_id_comes_from_the_sdk_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID", BOT_ID)
    monkeypatch.setenv("CANIPOST_TEAMS_DEVELOPER_NAME", 'Quote "Trust"')
    for key, url in (("WEBSITE", ""), ("PRIVACY", "/privacy"), ("TERMS", "/terms")):
        monkeypatch.setenv(f"CANIPOST_TEAMS_{key}_URL", "https://nhs-trust.example.net.uk" + url)
    out = tmp_path / "app.zip"
    assert main(["teams", "package", "--out", str(out), "--app-id", BOT_ID.replace("1", "9")]) == 0
    manifest = json.loads(zipfile.ZipFile(out).read("manifest.json"))
    assert manifest["bots"][0]["botId"] == BOT_ID and manifest["id"] == BOT_ID.replace("1", "9")
    assert manifest["developer"]["name"] == 'Quote "Trust"'  # JSON-escaped on the way in


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
    assert main([*args, *DEVELOPER, "--out", str(tmp_path / "b.zip")]) == 2
    assert "needs 192x192" in capsys.readouterr().err
    assert not (tmp_path / "b.zip").exists()


def test_placeholder_developer_details_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "a.zip"
    assert main(["teams", "package", "--bot-id", BOT_ID, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "developer details are placeholders" in err and "--developer-name" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    example = [*DEVELOPER]
    example[example.index("https://www.riverside.gov.uk")] = "https://www.example.org"
    assert main(["teams", "package", "--bot-id", BOT_ID, *example, "--out", str(out)]) == 2
    assert "developer.websiteUrl 'https://www.example.org' is a placeholder" in (
        capsys.readouterr().err
    )
    named = [*DEVELOPER]
    named[1] = "Your organisation"
    assert main(["teams", "package", "--bot-id", BOT_ID, *named, "--out", str(out)]) == 2
    assert "is a placeholder" in capsys.readouterr().err
    plain = [*DEVELOPER]
    plain[plain.index("https://www.riverside.gov.uk/terms")] = "http://www.riverside.gov.uk/terms"
    assert main(["teams", "package", "--bot-id", BOT_ID, *plain, "--out", str(out)]) == 2
    assert "termsOfUseUrl must be an https:// URL" in capsys.readouterr().err
    assert not out.exists()


def _good() -> dict[str, Any]:
    text = (REPO / "teams" / "manifest.json").read_text(encoding="utf-8")
    for placeholder, value in (
        ("{{BOT_ID}}", BOT_ID),
        ("{{APP_ID}}", BOT_ID),
        ("{{DEVELOPER_NAME}}", "Riverside Council"),
        ("{{WEBSITE_URL}}", "https://www.riverside.gov.uk"),
        ("{{PRIVACY_URL}}", "https://www.riverside.gov.uk/privacy"),
        ("{{TERMS_URL}}", "https://www.riverside.gov.uk/terms"),
    ):
        text = text.replace(placeholder, value)
    data: dict[str, Any] = json.loads(text)
    return data


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        ("manifestVersion", "1.19", "too old"),
        ("supportsChannelFeatures", None, "supportsChannelFeatures is required"),
        ("supportsChannelFeatures", "tier9", "must be 'tier1'"),
        ("version", "1.0", "MAJOR.MINOR.PATCH"),
        ("id", "canipost", "id must be a GUID"),
        ("accentColor", "green", "#RRGGBB"),
        ("name.short", "x" * 31, "name.short must be at most 30"),
        ("description.short", "x" * 81, "description.short must be at most 80"),
        ("description.full", None, "description.full is required"),
        ("developer.name", None, "developer.name is required"),
        ("icons.outline", None, "icons.outline is required"),
        ("permissions", ["everything"], "permissions must be"),
    ],
)
def test_required_fields_of_the_schema_are_checked(path: str, value: Any, problem: str) -> None:
    m = copy.deepcopy(_good())
    assert manifest_problems(m) == []
    *parents, last = path.split(".")
    node = m
    for p in parents:
        node = node[p]
    if value is None:
        del node[last]
    else:
        node[last] = value
    assert any(problem in p for p in manifest_problems(m)), manifest_problems(m)


def test_bot_scopes_and_commands_are_checked() -> None:
    m = _good()
    m["bots"][0]["scopes"] = ["personal", "everywhere"]
    m["bots"][0]["commandLists"][0]["commands"][0]["title"] = "x" * 33
    problems = manifest_problems(m)
    assert any("bots[0].scopes" in p for p in problems)
    assert any("at most 32" in p for p in problems)
