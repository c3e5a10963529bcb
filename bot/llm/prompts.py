"""Prompt templates live in ``prompts/*.md``, not in Python.

Each file starts with YAML front matter naming the template and documenting
every variable; the body uses ``$name`` placeholders (``string.Template``,
``$$`` for a literal dollar) and is split into messages by the lines
``=== system ===`` and ``=== user ===`` (a file without them is a fragment
included in another prompt). Validation is strict, like the policy packs: a
variable used but not documented, documented but unused, or an unknown
front-matter key fails loudly, naming the file. A comms officer can read and
edit the prompts; a silent typo would change what the model is told.

The prompt version (part of the cache key) is a hash of the file contents, so
editing a prompt invalidates cached critiques without anyone bumping a number.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

import yaml

from bot.errors import ConfigError
from bot.resources import data_dir

_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)
_MARKER = re.compile(r"^=== (system|user) ===$", re.MULTILINE)
_KEYS = ("name", "description", "variables")


def default_prompts_dir() -> Path:
    """``CANIPOST_PROMPTS_DIR``, else the ``prompts/`` folder (checkout or wheel)."""
    return data_dir("prompts", "CANIPOST_PROMPTS_DIR")


@dataclass(frozen=True, slots=True)
class Prompt:
    """One validated template: its documented variables and its message parts."""

    name: str
    path: Path
    variables: dict[str, str]
    #: ``{"system": ..., "user": ...}``, or ``{"text": ...}`` for a fragment.
    parts: dict[str, str]
    version: str

    def render(self, **values: Any) -> dict[str, str]:
        """Substitute every documented variable; a missing or extra one is a bug here."""
        missing = sorted(set(self.variables) - set(values))
        extra = sorted(set(values) - set(self.variables))
        if missing or extra:
            raise ConfigError(
                f"{self.path}: render needs exactly {', '.join(sorted(self.variables))}"
                f" (missing {missing or 'none'}, unexpected {extra or 'none'})"
            )
        strs = {k: str(v) for k, v in values.items()}
        return {part: Template(body).substitute(strs) for part, body in self.parts.items()}

    def messages(self, **values: Any) -> list[dict[str, str]]:
        """Render as chat messages (system first, then user)."""
        parts = self.render(**values)
        if "text" in parts:
            raise ConfigError(f"{self.path}: a fragment has no === system === / === user === parts")
        return [
            {"role": role, "content": parts[role].strip()}
            for role in ("system", "user")
            if role in parts
        ]

    def text(self, **values: Any) -> str:
        """Render a fragment (a file with no message markers)."""
        parts = self.render(**values)
        return "\n\n".join(p.strip() for p in parts.values())


def parse_prompt(path: Path) -> Prompt:
    """Read and validate one template file."""
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read prompt {path}: {exc.strerror}") from None
    m = _FRONT_MATTER.match(raw)
    if not m:
        raise ConfigError(
            f"{path}: a prompt starts with front matter (--- name/description/variables ---)"
        )
    try:
        meta = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: front matter is not valid YAML: {exc}") from None
    if not isinstance(meta, dict):
        raise ConfigError(f"{path}: front matter must be a mapping")
    unknown = sorted(set(meta) - set(_KEYS))
    if unknown:
        raise ConfigError(
            f"{path}: unknown key {unknown[0]!r} in front matter; allowed: {', '.join(_KEYS)}"
        )
    variables = meta.get("variables") or {}
    if not isinstance(variables, dict) or not all(
        isinstance(v, str) and v.strip() for v in variables.values()
    ):
        raise ConfigError(f"{path}: 'variables' maps each variable name to a description")
    body = raw[m.end() :]
    pieces = _MARKER.split(body)
    parts: dict[str, str]
    if len(pieces) == 1:
        parts = {"text": body}
    else:
        if pieces[0].strip():
            raise ConfigError(f"{path}: text before the first === system === / === user === line")
        parts = {pieces[i]: pieces[i + 1] for i in range(1, len(pieces), 2)}
    used: set[str] = set()
    for part, text in parts.items():
        tmpl = Template(text)
        if not tmpl.is_valid():
            raise ConfigError(
                f"{path}: invalid $ placeholder in the {part} part (write $$ for a dollar sign)"
            )
        used.update(tmpl.get_identifiers())
    undocumented = sorted(used - set(variables))
    unused = sorted(set(variables) - used)
    if undocumented:
        raise ConfigError(
            f"{path}: variable ${undocumented[0]} is used but not documented in 'variables'"
        )
    if unused:
        raise ConfigError(f"{path}: variable {unused[0]!r} is documented but not used")
    name = str(meta.get("name") or path.stem)
    version = hashlib.sha256(raw.encode("utf-8")).hexdigest()[:12]
    return Prompt(name=name, path=path, variables=dict(variables), parts=parts, version=version)


_lock = threading.Lock()
_cache: dict[tuple[Path, float], Prompt] = {}


def load_prompt(name: str, directory: Path | None = None) -> Prompt:
    """Load ``<directory>/<name>.md`` (validated once per file version per process).

    >>> load_prompt("critique").variables["draft"]  # doctest: +SKIP
    'the draft as data, ...'
    """
    path = (directory or default_prompts_dir()) / f"{name}.md"
    try:
        mtime = path.stat().st_mtime
    except OSError:
        raise ConfigError(f"prompt template not found: {path}") from None
    key = (path, mtime)
    with _lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    prompt = parse_prompt(path)
    with _lock:
        _cache[key] = prompt
    return prompt
