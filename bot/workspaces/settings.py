"""What one workspace's admin sets, validated, and how it is stored.

A Slack workspace or a Teams tenant installed from the directory has no config
file of its own: its admin sets the approvers' channel, the approvers (users,
or a Slack user group), the profile, the organisation's public details and
rule overrides from App Home or a Teams card. Those land here, one row per
workspace in ``workspace_settings``, and :mod:`bot.workspaces.resolve` lays
them over the config file (which stays the default, and the whole story for a
single-organisation install).

Every change is checked before anything is written (a bad profile, an
unknown rule, a malformed domain: one clear message, nothing stored) and
audited in ``audit_log`` under the workspace, with the keys changed but never
their values' free text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.config import PROFILES
from bot.errors import InputError

if TYPE_CHECKING:
    from bot.store import Store
    from bot.workflow.types import Actor

#: Longest workspace id stored (the column is String(64)).
MAX_WORKSPACE = 64
#: Most approvers per workspace; a Teams card's refresh.userIds takes 60 at most.
MAX_APPROVERS = 60
_SEVERITIES = ("advise", "needs_approval", "do_not_post", "off")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@([a-z0-9-]+\.)+[a-z]{2,63}$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{5,24}$")
# Slack channel ids (C…, G…), Teams conversation ids (19:…@thread.tacv2 / .skype).
_CHANNEL = re.compile(r"^([CG][A-Z0-9]{6,20}|19:[A-Za-z0-9_\-]+@thread\.(tacv2|skype))$")
_SLACK_CHANNEL_MENTION = re.compile(r"^<#([CG][A-Z0-9]+)(\|[^>]*)?>$")
_SLACK_USER_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(\|[^>]*)?>$")
_SLACK_GROUP_MENTION = re.compile(r"^<!subteam\^(S[A-Z0-9]+)(\|[^>]*)?>$")
_USER_ID = re.compile(r"^[A-Za-z0-9:_\-.@]{2,128}$")
_GROUP_ID = re.compile(r"^S[A-Z0-9]{6,20}$")


class SettingsError(InputError):
    """A workspace setting cannot be used; the message says which and why (exit 2)."""


@dataclass(frozen=True, slots=True)
class WorkspaceSettings:
    """One workspace's own settings; ``None`` / empty means "as in the config file"."""

    approvers_channel: str | None = None
    approvers: tuple[str, ...] = ()
    approver_group: str | None = None
    profile: str | None = None
    organisation_name: str | None = None
    domains: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    overrides: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Only what is set, so the stored row says exactly what the admin chose."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value in (None, (), {}):
                continue
            out[f.name] = (
                list(value)
                if isinstance(value, tuple)
                else (dict(value) if isinstance(value, Mapping) else value)
            )
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> WorkspaceSettings:
        """Read a stored row; keys this version does not know are ignored (newer writer)."""
        data = data or {}
        kw: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in data or data[f.name] is None:
                continue
            value = data[f.name]
            if f.name == "overrides":
                kw[f.name] = {str(k): str(v) for k, v in dict(value).items()}
            elif isinstance(value, list):
                kw[f.name] = tuple(str(v) for v in value)
            else:
                kw[f.name] = str(value)
        return cls(**kw)


#: The keys an admin may set, with what each takes (shown by help texts).
KEYS: dict[str, str] = {
    "approvers_channel": "the channel where approval cards go (a Slack channel or Teams channel)",
    "approvers": "who may approve: user ids or @mentions, comma-separated (up to 60)",
    "approver_group": "a Slack user group whose members may approve (@group or S… id)",
    "profile": f"the rule profile: {', '.join(PROFILES)}",
    "organisation_name": "your organisation's name",
    "domains": "your own web and email domains, comma-separated",
    "phones": "your public phone numbers, comma-separated",
    "emails": "your public mailboxes, comma-separated",
    "overrides": "rule=severity pairs (advise, needs_approval, do_not_post or off)",
}
#: Friendly spellings people type.
_ALIASES = {
    "channel": "approvers_channel",
    "approvers channel": "approvers_channel",
    "group": "approver_group",
    "usergroup": "approver_group",
    "user_group": "approver_group",
    "name": "organisation_name",
    "organisation": "organisation_name",
    "organization": "organisation_name",
    "organization_name": "organisation_name",
    "domain": "domains",
    "phone": "phones",
    "numbers": "phones",
    "email": "emails",
    "mailboxes": "emails",
    "override": "overrides",
}


def canonical_key(key: str) -> str:
    """The setting a typed key means; :class:`SettingsError` names the allowed ones."""
    k = key.strip().lower().replace("-", "_")
    k = _ALIASES.get(k, _ALIASES.get(k.replace("_", " "), k))
    if k not in KEYS:
        raise SettingsError(f"unknown setting {key!r}; allowed: {', '.join(KEYS)}")
    return k


def _items(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        parts: Iterable[Any] = re.split(r"[,\s]+", value) if value.strip() else []
    else:
        parts = value
    return [str(p).strip() for p in parts if str(p).strip()]


def _channel(value: Any) -> str | None:
    text = str(value or "").strip()
    if not text or text.lower() in ("none", "-", "unset"):
        return None
    m = _SLACK_CHANNEL_MENTION.match(text)
    if m:
        return m.group(1)
    if not _CHANNEL.match(text):
        raise SettingsError(
            f"approvers_channel {text[:80]!r} is not a channel: pick one with #, or give its id"
        )
    return text


def _user(value: str) -> str:
    m = _SLACK_USER_MENTION.match(value)
    if m:
        return m.group(1)
    if not _USER_ID.match(value):
        raise SettingsError(f"approvers: {value[:80]!r} is not a user id or @mention")
    return value


def _group(value: Any) -> str | None:
    text = str(value or "").strip()
    if not text or text.lower() in ("none", "-", "unset"):
        return None
    m = _SLACK_GROUP_MENTION.match(text)
    if m:
        return m.group(1)
    if not _GROUP_ID.match(text):
        raise SettingsError(f"approver_group {text[:80]!r} is not a Slack user group (S… id)")
    return text


def _overrides(value: Any) -> dict[str, str]:
    if isinstance(value, Mapping):
        pairs = [(str(k), "off" if v is False else str(v)) for k, v in value.items()]
    else:
        pairs = []
        for item in _items(value):
            rule, sep, sev = item.partition("=")
            if not sep:
                raise SettingsError(f"overrides: {item[:80]!r} is not rule=severity")
            pairs.append((rule, sev))
    out: dict[str, str] = {}
    for rule, sev in pairs:
        rule, sev = rule.strip(), sev.strip().lower()
        if sev not in _SEVERITIES:
            raise SettingsError(
                f"overrides: {rule!r} must be one of {', '.join(_SEVERITIES)}, not {sev!r}"
            )
        out[rule] = sev
    return out


def _validate(key: str, value: Any) -> Any:
    """The stored form of ``value`` for ``key``; raises :class:`SettingsError`."""
    if key == "approvers_channel":
        return _channel(value)
    if key == "approver_group":
        return _group(value)
    if key == "approvers":
        users = tuple(dict.fromkeys(_user(v) for v in _items(value)))
        if len(users) > MAX_APPROVERS:
            raise SettingsError(f"approvers: at most {MAX_APPROVERS} (use a user group for more)")
        return users
    if key == "profile":
        text = str(value or "").strip().lower()
        if not text:
            return None
        if text not in PROFILES:
            raise SettingsError(f"unknown profile {text!r}; allowed: {', '.join(PROFILES)}")
        return text
    if key == "organisation_name":
        text = " ".join(str(value or "").split())
        if len(text) > 200:
            raise SettingsError("organisation_name: at most 200 characters")
        return text or None
    if key == "domains":
        domains = [d.lower().lstrip("@") for d in _items(value)]
        for d in domains:
            if not _DOMAIN.match(d):
                raise SettingsError(f"domains: {d[:80]!r} is not a domain name")
        return tuple(dict.fromkeys(domains))
    if key == "emails":
        emails = [e.lower() for e in _items(value)]
        for e in emails:
            if not _EMAIL.match(e):
                raise SettingsError(f"emails: {e[:80]!r} is not an email address")
        return tuple(dict.fromkeys(emails))
    if key == "phones":
        phones = (
            [p.strip() for p in str(value or "").split(",")]
            if isinstance(value, str)
            else (_items(value))
        )
        phones = [p for p in phones if p]
        for p in phones:
            if not _PHONE.match(p):
                raise SettingsError(f"phones: {p[:80]!r} is not a phone number")
        return tuple(dict.fromkeys(phones))
    if key == "overrides":
        return _overrides(value)
    raise SettingsError(f"unknown setting {key!r}")  # pragma: no cover - canonical_key guards


def apply_changes(current: WorkspaceSettings, changes: Mapping[str, Any]) -> WorkspaceSettings:
    """``current`` with ``changes`` (typed keys and values) validated and applied.

    >>> apply_changes(WorkspaceSettings(), {"profile": "NHS"}).profile
    'nhs'
    """
    if not changes:
        raise SettingsError("nothing to change")
    updates = {canonical_key(k): v for k, v in changes.items()}
    return replace(current, **{k: _validate(k, v) for k, v in updates.items()})


def check_workspace(workspace: str) -> str:
    """A workspace id as stored; ``""`` is the single-organisation install."""
    if len(workspace) > MAX_WORKSPACE or workspace != workspace.strip():
        raise SettingsError(f"workspace id {workspace[:80]!r} is not valid")
    return workspace


# ---------------------------------------------------------------------- storage


@dataclass(frozen=True, slots=True)
class StoredSettings:
    """A workspace's settings as stored, with the version workers compare."""

    workspace: str
    settings: WorkspaceSettings
    version: int = 0
    updated_at: datetime | None = None
    updated_by: str | None = None


def load_settings(store: Store, workspace: str) -> StoredSettings:
    """The workspace's stored settings; empty (version 0) when its admin set nothing."""
    from bot.store.models import WorkspaceSettingsRow

    with store.read() as s:
        row = s.get(WorkspaceSettingsRow, check_workspace(workspace))
        if row is None:
            return StoredSettings(workspace, WorkspaceSettings())
        return StoredSettings(
            workspace,
            WorkspaceSettings.from_json(row.settings),
            row.version,
            row.updated_at,
            row.updated_by,
        )


def workspace_known(store: Store, workspace: str) -> bool:
    """Whether this database knows ``workspace``: an admin stored its settings, canipost
    is installed there (a Slack team, or an org-wide install's enterprise), or it has
    submissions (a Teams tenant that has used canipost). ``""``, the single-organisation
    install, is always known. A few indexed reads."""
    from sqlalchemy import and_, or_, select

    from bot.store.models import Submission, WorkspaceSettingsRow, slack_bots

    if check_workspace(workspace) == "":
        return True
    bots = slack_bots.c
    queries = (
        select(WorkspaceSettingsRow.workspace).where(WorkspaceSettingsRow.workspace == workspace),
        select(bots.id).where(
            or_(
                bots.team_id == workspace,
                and_(bots.enterprise_id == workspace, bots.is_enterprise_install.is_(True)),
            )
        ),
        select(Submission.id).where(Submission.workspace == workspace),
    )
    with store.read() as s:
        return any(s.execute(q.limit(1)).first() is not None for q in queries)


def settings_version(store: Store, workspace: str) -> int:
    """One indexed read: the version of the workspace's settings (0: none stored)."""
    from sqlalchemy import select

    from bot.store.models import WorkspaceSettingsRow

    with store.read() as s:
        v = s.execute(
            select(WorkspaceSettingsRow.version).where(WorkspaceSettingsRow.workspace == workspace)
        ).scalar_one_or_none()
    return int(v or 0)


def save_settings(
    store: Store,
    workspace: str,
    changes: Mapping[str, Any],
    *,
    by: Actor,
    validate: Any = None,
    now: datetime | None = None,
) -> StoredSettings:
    """Validate and store ``changes`` for ``workspace``, audited, in one transaction.

    ``validate(settings)`` (optional) may raise to refuse the result as a whole (the
    resolver passes one that loads the policy, so an unknown rule in ``overrides`` is
    refused before it can break reviews). Nothing is written when anything fails.
    """
    from sqlalchemy import select

    from bot.store.models import AuditEntry, WorkspaceSettingsRow

    check_workspace(workspace)
    now = now or datetime.now(UTC)
    with store.write() as s:
        row = s.execute(
            select(WorkspaceSettingsRow)
            .where(WorkspaceSettingsRow.workspace == workspace)
            .with_for_update()
        ).scalar_one_or_none()
        current = WorkspaceSettings.from_json(row.settings if row is not None else None)
        new = apply_changes(current, changes)
        if validate is not None:
            validate(new)
        changed = sorted(canonical_key(k) for k in changes)
        if row is None:
            row = WorkspaceSettingsRow(
                workspace=workspace,
                platform=by.platform,
                settings=new.to_json(),
                version=1,
                updated_at=now,
                updated_by=by.id,
            )
            s.add(row)
        else:
            row.settings = new.to_json()
            row.version = row.version + 1
            row.updated_at = now
            row.updated_by = by.id
        s.add(
            AuditEntry(
                at=now,
                submission_id=None,
                action="settings",
                outcome="ok",
                actor_platform=by.platform,
                actor_id=by.id,
                actor_name=by.name,
                detail={"changed": changed},
                workspace=workspace,
            )
        )
        s.flush()
        return StoredSettings(workspace, new, row.version, now, by.id)
