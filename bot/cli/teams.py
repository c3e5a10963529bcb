"""``canipost teams package``: the Teams app package to sideload or upload.

Fills the bot's Microsoft App ID and your organisation's developer details
(name, website, privacy and terms pages: what Teams shows people before they
install) into ``teams/manifest.json`` and zips it with the two icons, each at
the zip's root as Teams requires:

    export CANIPOST_TEAMS_DEVELOPER_NAME="Riverside Council"
    export CANIPOST_TEAMS_WEBSITE_URL=https://www.riverside.gov.uk
    export CANIPOST_TEAMS_PRIVACY_URL=https://www.riverside.gov.uk/privacy
    export CANIPOST_TEAMS_TERMS_URL=https://www.riverside.gov.uk/terms
    canipost teams package            # bot id from $CONNECTIONS__..._CLIENTID (or --bot-id)

The package is checked before it is written: no placeholder or example
developer details left, the required fields of manifest schema 1.25+ present
and well-formed (:func:`manifest_problems`; the official JSON schema is not
shipped, so its required fields and limits are checked here), ids are GUIDs,
the icons are PNGs of the sizes Teams demands (192×192 colour, 32×32 outline),
so a bad package fails here and not in the Teams admin centre.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import struct
import zipfile
from pathlib import Path
from typing import Any

from bot.errors import ConfigError, InputError
from bot.resources import data_dir
from bot.teams.settings import PREFIX

GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
PLACEHOLDER = re.compile(r"\{\{[A-Z_]+\}\}")
ICON_SIZES = {"color": (192, 192), "outline": (32, 32)}
DEFAULT_OUT = "teams-app.zip"
#: Developer details: option, manifest placeholder, environment variable, manifest key.
DEVELOPER_FIELDS = (
    ("developer_name", "{{DEVELOPER_NAME}}", "CANIPOST_TEAMS_DEVELOPER_NAME", "name"),
    ("website_url", "{{WEBSITE_URL}}", "CANIPOST_TEAMS_WEBSITE_URL", "websiteUrl"),
    ("privacy_url", "{{PRIVACY_URL}}", "CANIPOST_TEAMS_PRIVACY_URL", "privacyUrl"),
    ("terms_url", "{{TERMS_URL}}", "CANIPOST_TEAMS_TERMS_URL", "termsOfUseUrl"),
)
#: Developer details nobody real has: the template's old defaults and documentation names.
_PLACEHOLDER_NAMES = {"your organisation", "your organization", "contoso", "fabrikam", "example"}
_PLACEHOLDER_HOSTS = re.compile(
    r"(^|\.)(example\.(org|com|net)|localhost|contoso\.com|fabrikam\.com)$", re.IGNORECASE
)
#: The oldest manifest version with ``supportsChannelFeatures`` (private and shared channels).
MIN_MANIFEST = (1, 25)
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_SCOPES = {"personal", "team", "groupChat", "copilot"}
_PERMISSIONS = {"identity", "messageTeamMembers"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "teams",
        help="Microsoft Teams: build the app package to install",
        description="Microsoft Teams helpers. See docs/teams.md for the whole installation.",
    )
    verbs = p.add_subparsers(dest="teams_command", metavar="VERB")
    pkg = verbs.add_parser(
        "package",
        help="zip manifest.json and the icons into a Teams app package",
        description=(
            "Write the Teams app package (manifest.json, color.png, outline.png) with the bot's "
            "Microsoft App ID filled in. Upload it in Teams (Apps → Manage your apps → Upload an "
            "app) or in the Teams admin centre."
        ),
    )
    pkg.add_argument(
        "--bot-id",
        metavar="GUID",
        help=f"the Azure Bot's Microsoft App ID (default ${PREFIX}CLIENTID)",
    )
    pkg.add_argument(
        "--app-id",
        metavar="GUID",
        help="the Teams app's own id (default: the bot id, as most single-bot apps use)",
    )
    pkg.add_argument(
        "--manifest",
        metavar="FILE",
        help="manifest template with {{BOT_ID}} / {{APP_ID}}; its folder holds the icons "
        "(default teams/manifest.json)",
    )
    for option, _placeholder, env, key in DEVELOPER_FIELDS:
        pkg.add_argument(
            "--" + option.replace("_", "-"),
            metavar="TEXT" if option == "developer_name" else "URL",
            help=f"developer.{key} shown in Teams before install (default ${env}); "
            + ("your organisation's name" if option == "developer_name" else "an https:// page"),
        )
    pkg.add_argument(
        "--out", metavar="ZIP", default=DEFAULT_OUT, help=f"where to write (default {DEFAULT_OUT})"
    )
    pkg.set_defaults(func=run_package)
    p.set_defaults(func=lambda _args: _usage(p))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def find_manifest(explicit: str | None) -> Path:
    """The manifest template: as given, else ./teams/, else the checkout's or wheel's teams/."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise InputError(f"no manifest at {path}")
        return path
    for folder in (Path.cwd() / "teams", data_dir("teams")):
        path = folder / "manifest.json"
        if path.is_file():
            return path
    raise InputError("teams/manifest.json not found: run from the checkout or pass --manifest")


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR; InputError for anything that is not a PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise InputError("not a PNG file")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _json_string(value: str) -> str:
    """``value`` as it must appear inside a JSON string (quotes, backslashes escaped)."""
    return json.dumps(value)[1:-1]


def render_manifest(
    template: str,
    *,
    bot_id: str,
    app_id: str,
    developer: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The manifest with ids and developer details filled in, checked for what Teams rejects.

    ``developer`` maps ``developer_name``/``website_url``/``privacy_url``/``terms_url``
    to values; a template that already carries real details needs none.
    """
    for what, value in (("bot id", bot_id), ("app id", app_id)):
        if not GUID.match(value):
            raise InputError(f"the {what} must be a GUID like 00000000-0000-0000-0000-000000000000")
    text = template.replace("{{BOT_ID}}", bot_id).replace("{{APP_ID}}", app_id)
    missing = []
    for option, placeholder, env, _key in DEVELOPER_FIELDS:
        value = ((developer or {}).get(option) or "").strip()
        if value:
            text = text.replace(placeholder, _json_string(value))
        elif placeholder in text:
            missing.append(f"--{option.replace('_', '-')} (or ${env})")
    if missing:
        raise InputError(
            "the developer details are placeholders; Teams shows them before install: "
            "give " + ", ".join(missing)
        )
    left = sorted(set(PLACEHOLDER.findall(text)))
    if left:
        raise InputError(f"manifest still has placeholders: {', '.join(left)}")
    try:
        manifest: dict[str, Any] = json.loads(text)
    except ValueError as exc:
        raise InputError(f"manifest is not valid JSON: {exc}") from None
    problems = manifest_problems(manifest)
    if problems:
        raise InputError("manifest: " + "; ".join(problems))
    return manifest


def _version(value: Any) -> tuple[int, ...] | None:
    try:
        return tuple(int(p) for p in str(value).split("."))
    except ValueError:
        return None


def _https(value: Any) -> bool:
    from urllib.parse import urlparse

    if not isinstance(value, str) or len(value) > 2048:
        return False
    url = urlparse(value)
    return url.scheme == "https" and bool(url.hostname)


def _str_max(m: dict[str, Any], path: str, limit: int, out: list[str]) -> str:
    """The string at ``path`` (dotted) if present, non-empty and within ``limit``."""
    node: Any = m
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    if not isinstance(node, str) or not node.strip():
        out.append(f"{path} is required")
        return ""
    if len(node) > limit:
        out.append(f"{path} must be at most {limit} characters")
    return node


def manifest_problems(m: dict[str, Any]) -> list[str]:
    """What the Teams manifest schema (1.25+) would reject, as short messages; [] when fine.

    The required fields and limits of the official schema for what this app uses
    (root, developer, name, description, icons, bots, commands, compose extensions),
    plus Teams' upload rule that 1.25+ apps with ``team`` scope declare
    ``supportsChannelFeatures``, and refusal of placeholder developer details.
    """
    out: list[str] = []
    version = _version(m.get("manifestVersion"))
    if version is None:
        out.append("manifestVersion is required")
    elif version < MIN_MANIFEST:
        out.append(
            f"manifestVersion {m['manifestVersion']} is too old; "
            "1.25 or later is needed for private and shared channels"
        )
    schema = str(m.get("$schema") or "")
    if schema and f"/v{m.get('manifestVersion')}/" not in schema:
        out.append("$schema does not match manifestVersion")
    if not _SEMVER.match(str(m.get("version") or "")):
        out.append("version must be MAJOR.MINOR.PATCH")
    if not GUID.match(str(m.get("id") or "")):
        out.append("id must be a GUID")
    name = _str_max(m, "developer.name", 32, out)
    if name and name.strip().lower() in _PLACEHOLDER_NAMES:
        out.append(f"developer.name {name!r} is a placeholder")
    for key in ("websiteUrl", "privacyUrl", "termsOfUseUrl"):
        value = (m.get("developer") or {}).get(key)
        if not _https(value):
            out.append(f"developer.{key} must be an https:// URL")
            continue
        from urllib.parse import urlparse

        host = urlparse(str(value)).hostname or ""
        if _PLACEHOLDER_HOSTS.search(host):
            out.append(f"developer.{key} {value!r} is a placeholder")
    _str_max(m, "name.short", 30, out)
    if isinstance((m.get("name") or {}).get("full"), str) and len(m["name"]["full"]) > 100:
        out.append("name.full must be at most 100 characters")
    _str_max(m, "description.short", 80, out)
    _str_max(m, "description.full", 4000, out)
    _str_max(m, "icons.color", 2048, out)
    _str_max(m, "icons.outline", 2048, out)
    if not _HEX_COLOUR.match(str(m.get("accentColor") or "")):
        out.append("accentColor must be #RRGGBB")
    team_scope = False
    bots = m.get("bots") or []
    if not isinstance(bots, list) or len(bots) > 1:
        out.append("bots must be a list of at most one bot")
        bots = []
    for bot in bots:
        if not GUID.match(str(bot.get("botId") or "")):
            out.append("bots[0].botId must be a GUID")
        scopes = bot.get("scopes") or []
        if not scopes or not set(scopes) <= _SCOPES:
            out.append(f"bots[0].scopes must be some of {', '.join(sorted(_SCOPES))}")
        team_scope = team_scope or "team" in scopes
        for lst in bot.get("commandLists") or []:
            if not set(lst.get("scopes") or []) <= set(scopes):
                out.append("bots[0].commandLists scopes must be among the bot's scopes")
            cmds = lst.get("commands") or []
            if len(cmds) > 10:
                out.append("a command list holds at most 10 commands")
            for c in cmds:
                if not (c.get("title") and len(c["title"]) <= 32):
                    out.append("bot command titles are required, at most 32 characters")
                if not (c.get("description") and len(c["description"]) <= 128):
                    out.append("bot command descriptions are required, at most 128 characters")
    for ext in m.get("composeExtensions") or []:
        if "botId" in ext and not GUID.match(str(ext.get("botId") or "")):
            out.append("composeExtensions[].botId must be a GUID")
        for c in ext.get("commands") or []:
            if not c.get("id") or len(c["id"]) > 64:
                out.append("compose extension commands need an id of at most 64 characters")
            if not c.get("title") or len(c["title"]) > 32:
                out.append("compose extension command titles are required, at most 32 characters")
            if c.get("type", "query") not in ("query", "action"):
                out.append("compose extension command type must be query or action")
    if version is not None and version >= MIN_MANIFEST:
        if team_scope and m.get("supportsChannelFeatures") is None:
            out.append("supportsChannelFeatures is required with team scope (manifest 1.25+)")
        if m.get("supportsChannelFeatures") not in (None, "tier1"):
            out.append("supportsChannelFeatures must be 'tier1'")
    if not set(m.get("permissions") or []) <= _PERMISSIONS:
        out.append(f"permissions must be some of {', '.join(sorted(_PERMISSIONS))}")
    return out


def build_package(
    manifest_path: Path,
    out: Path,
    *,
    bot_id: str,
    app_id: str,
    developer: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Write the zip; returns the rendered manifest. Nothing is written when a check fails."""
    manifest = render_manifest(
        manifest_path.read_text(encoding="utf-8"),
        bot_id=bot_id,
        app_id=app_id,
        developer=developer,
    )
    icons: dict[str, bytes] = {}
    for kind, size in ICON_SIZES.items():
        name = str(manifest["icons"].get(kind) or "")
        path = manifest_path.parent / name
        if not name or not path.is_file():
            raise InputError(f"the {kind} icon {name or '(unset)'} is missing next to the manifest")
        data = path.read_bytes()
        try:
            got = png_size(data)
        except InputError:
            raise InputError(f"{path} is not a PNG") from None
        if got != size:
            raise InputError(f"{path} is {got[0]}x{got[1]}; Teams needs {size[0]}x{size[1]}")
        icons[name] = data
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        for name, data in icons.items():
            zf.writestr(name, data)
    return manifest


def run_package(args: argparse.Namespace) -> int:
    bot_id = (args.bot_id or os.environ.get(PREFIX + "CLIENTID") or "").strip()
    if not bot_id:
        raise ConfigError(f"no bot id: pass --bot-id or set {PREFIX}CLIENTID")
    app_id = (args.app_id or bot_id).strip()
    developer = {
        option: (getattr(args, option, None) or os.environ.get(env) or "").strip()
        for option, _placeholder, env, _key in DEVELOPER_FIELDS
    }
    out = Path(args.out)
    manifest = build_package(
        find_manifest(args.manifest), out, bot_id=bot_id, app_id=app_id, developer=developer
    )
    print(
        f"wrote {out} ({manifest['name']['short']} {manifest['version']}, bot {bot_id}); "
        "upload it in Teams: Apps → Manage your apps → Upload an app"
    )
    return 0
