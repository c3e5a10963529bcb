"""Organisation configuration: who we are, which profile, who approves.

One YAML file (``CANIPOST_CONFIG`` or ``--config``) makes the product bespoke:
a council, an NHS trust, a charity and a business differ in profile, own
contact details and approvers. Every key is optional; with no file the
built-in defaults apply. Unknown keys fail loudly, naming file and line,
because a misspelt ``aproovers`` silently ignored is a governance bug.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.errors import ConfigError

if TYPE_CHECKING:
    from bot.yamlutil import KeyLines

PROFILES: tuple[str, ...] = ("council", "nhs", "charity", "business")
DEFAULT_PROFILE = "council"

#: Allowed keys per section; ``None`` means a free-form mapping owned by a module.
_SCHEMA: dict[str, Any] = {
    "profile": str,
    "policy_dir": str,
    "organisation": {
        "name": str,
        "domains": list,
        "emails": list,
        "phones": list,
        "head_office": str,
        "places": list,
        "handles": list,
    },
    "approvers": {
        "slack": list,
        "teams": list,
        "cli": list,
        "any": list,
        "backup": list,
        "two_step_categories": list,
    },
    "llm": {
        "enabled": bool,
        "model": str,
        "redact": bool,
        "timeout": (int, float),
        "cache_size": int,
        "azure_api_version": str,
        "azure_deployment": str,
        "protocol": str,
        "prompt_chars": int,
        "price_per_million": (int, float, dict),
    },
    "workflow": {
        "auto_send": bool,
        "reminder_after_minutes": (int, float),
        "escalate_after_minutes": (int, float),
        "expire_after_minutes": (int, float),
        "retention_days": (int, float),
        "purge_notes": bool,
        "redact_on_decision": bool,
        "tick_seconds": (int, float),
    },
    "overrides": dict,
}


@dataclass(slots=True)
class Organisation:
    """The organisation's own public identity, which is never a leak."""

    name: str = "Our organisation"
    domains: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    head_office: str | None = None
    places: list[str] = field(default_factory=list)
    handles: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Approvers:
    """Approver ids per platform; ``any`` applies on every platform."""

    slack: list[str] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)
    cli: list[str] = field(default_factory=list)
    any: list[str] = field(default_factory=list)
    backup: list[str] = field(default_factory=list)
    two_step_categories: list[str] = field(default_factory=list)

    def ids_for(self, platform: str) -> set[str]:
        own: list[str] = (
            getattr(self, platform, []) if platform in ("slack", "teams", "cli") else []
        )
        return set(own) | set(self.any)


@dataclass(slots=True)
class Config:
    """Everything the review core and the workflow need to know about the org."""

    profile: str = DEFAULT_PROFILE
    policy_dir: Path | None = None
    organisation: Organisation = field(default_factory=Organisation)
    approvers: Approvers = field(default_factory=Approvers)
    llm: dict[str, Any] = field(default_factory=dict)
    workflow: dict[str, Any] = field(default_factory=dict)
    overrides: dict[str, str] = field(default_factory=dict)
    source: str | None = None
    #: Which installation this config belongs to (Slack team / Teams tenant id).
    #: "" is the single-organisation install. Watch list, learned model,
    #: feedback, threads and the audit log are scoped by it.
    workspace: str = ""

    def with_profile(self, profile: str | None) -> Config:
        """Return a copy using ``profile`` (validated), or self when None."""
        if profile is None:
            return self
        check_profile(profile)
        from dataclasses import replace

        return replace(self, profile=profile)


def check_profile(profile: str) -> str:
    if profile not in PROFILES:
        raise ConfigError(f"unknown profile {profile!r}; allowed: {', '.join(PROFILES)}")
    return profile


def _validate(data: Any, schema: dict[str, Any], where: str, lines: KeyLines) -> None:
    from bot.yamlutil import line_of

    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping")
    for key, value in data.items():
        line = line_of(lines, data, key)
        loc = f"{where}:{line}" if line else where
        if key not in schema:
            raise ConfigError(f"{loc}: unknown key {key!r}; allowed: {', '.join(sorted(schema))}")
        expected = schema[key]
        if isinstance(expected, dict):
            _validate(value or {}, expected, where, lines)
        elif value is not None and not isinstance(value, expected):
            names = (
                " or ".join(t.__name__ for t in expected)
                if isinstance(expected, tuple)
                else expected.__name__
            )
            raise ConfigError(f"{loc}: {key!r} must be {names}")


def _str_list(values: list[Any] | None) -> list[str]:
    return [str(v).strip() for v in (values or []) if str(v).strip()]


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Load the organisation config: explicit path, else ``CANIPOST_CONFIG``, else defaults.

    >>> load_config(None).profile  # doctest: +SKIP
    'council'
    """
    chosen = path if path is not None else os.environ.get("CANIPOST_CONFIG") or None
    cfg = Config()
    if chosen:
        import yaml  # only with a config file: the default install never parses YAML here

        from bot.yamlutil import load_yaml_with_lines

        p = Path(chosen)
        if not p.is_file():
            raise ConfigError(f"config file not found: {p}")
        try:
            data, lines = load_yaml_with_lines(p)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{p}: not valid YAML: {exc}") from None
        if data is None:
            data = {}
        _validate(data, _SCHEMA, str(p), lines)
        org = data.get("organisation") or {}
        appr = data.get("approvers") or {}
        cfg = Config(
            profile=check_profile(str(data.get("profile", DEFAULT_PROFILE))),
            policy_dir=(p.parent / data["policy_dir"]) if data.get("policy_dir") else None,
            organisation=Organisation(
                name=str(org.get("name") or "Our organisation"),
                domains=[d.lower().lstrip("@") for d in _str_list(org.get("domains"))],
                emails=[e.lower() for e in _str_list(org.get("emails"))],
                phones=_str_list(org.get("phones")),
                head_office=org.get("head_office"),
                places=_str_list(org.get("places")),
                handles=[h.lower().lstrip("@") for h in _str_list(org.get("handles"))],
            ),
            approvers=Approvers(
                slack=_str_list(appr.get("slack")),
                teams=_str_list(appr.get("teams")),
                cli=_str_list(appr.get("cli")),
                any=_str_list(appr.get("any")),
                backup=_str_list(appr.get("backup")),
                two_step_categories=_str_list(appr.get("two_step_categories")),
            ),
            llm=dict(data.get("llm") or {}),
            workflow=dict(data.get("workflow") or {}),
            overrides={
                str(k): "off" if v is False else str(v)  # YAML reads a bare off as False
                for k, v in (data.get("overrides") or {}).items()
            },
            source=str(p),
        )
    extra = _str_list(os.environ.get("CANIPOST_APPROVERS", "").split(","))
    if extra:
        cfg.approvers.any = sorted(set(cfg.approvers.any) | set(extra))
    return cfg
