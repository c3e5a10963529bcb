"""``canipost teams package``: the Teams app package to sideload or upload.

Fills the bot's Microsoft App ID into ``teams/manifest.json`` and zips it
with the two icons, each at the zip's root as Teams requires:

    canipost teams package                       # bot id from $CONNECTIONS__..._CLIENTID
    canipost teams package --bot-id 00000000-... --out build/canipost-teams.zip

The package is checked before it is written: no placeholder left, ids are
GUIDs, the icons are PNGs of the sizes Teams demands (192×192 colour,
32×32 outline), so a bad package fails here and not in the Teams admin centre.
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


def render_manifest(template: str, *, bot_id: str, app_id: str) -> dict[str, Any]:
    """The manifest with ids filled in, checked for what Teams rejects."""
    for what, value in (("bot id", bot_id), ("app id", app_id)):
        if not GUID.match(value):
            raise InputError(f"the {what} must be a GUID like 00000000-0000-0000-0000-000000000000")
    text = template.replace("{{BOT_ID}}", bot_id).replace("{{APP_ID}}", app_id)
    left = sorted(set(PLACEHOLDER.findall(text)))
    if left:
        raise InputError(f"manifest still has placeholders: {', '.join(left)}")
    try:
        manifest: dict[str, Any] = json.loads(text)
    except ValueError as exc:
        raise InputError(f"manifest is not valid JSON: {exc}") from None
    for key in ("manifestVersion", "version", "id", "name", "developer", "icons", "bots"):
        if key not in manifest:
            raise InputError(f"manifest has no {key!r}")
    if len(manifest["name"].get("short", "")) > 30:
        raise InputError("name.short must be at most 30 characters")
    if len(manifest.get("description", {}).get("short", "")) > 80:
        raise InputError("description.short must be at most 80 characters")
    return manifest


def build_package(manifest_path: Path, out: Path, *, bot_id: str, app_id: str) -> dict[str, Any]:
    """Write the zip; returns the rendered manifest."""
    manifest = render_manifest(
        manifest_path.read_text(encoding="utf-8"), bot_id=bot_id, app_id=app_id
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
    out = Path(args.out)
    manifest = build_package(find_manifest(args.manifest), out, bot_id=bot_id, app_id=app_id)
    print(
        f"wrote {out} ({manifest['name']['short']} {manifest['version']}, bot {bot_id}); "
        "upload it in Teams: Apps → Manage your apps → Upload an app"
    )
    return 0
