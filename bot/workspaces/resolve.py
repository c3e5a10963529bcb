"""The :class:`~bot.config.Config` a workspace's requests run with: the file, then its settings.

    cfg = config_for("T0123", store, base_config)   # cached; sees changes within a second
    cfg.workspace                                    # "T0123": scopes its data everywhere

The config file stays the default (and all there is for a single-organisation
install, workspace ``""``). A workspace's admin settings replace the matching
parts: its approvers replace the file's per-platform and ``any`` lists (ids from
another workspace must never approve here; ``backup`` and two-step categories
stay), its profile, organisation details and overrides win, and
``Config.workspace`` names it, so the watch list, feedback, learned model,
threads, queue and audit log it touches are its own.

Resolution is cached per (database, workspace, base config). A change saved in
this process invalidates at once; a change saved by another worker is noticed
by comparing the stored version, read at most once per :data:`REFRESH_SECONDS`.
The same ``Config`` object is returned until something changes, so the
policy's per-config fast path keeps hitting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from bot.config import Approvers, Config, Organisation
from bot.workspaces.settings import (
    StoredSettings,
    WorkspaceSettings,
    check_workspace,
    load_settings,
    save_settings,
    settings_version,
)

if TYPE_CHECKING:
    from bot.store import Store
    from bot.workflow.types import Actor

#: How stale another worker's change may be before we see it.
REFRESH_SECONDS = 1.0


def apply_settings(base: Config, settings: WorkspaceSettings, workspace: str) -> Config:
    """``base`` with ``settings`` laid over it, for ``workspace`` (a new object; base untouched)."""
    org = base.organisation
    organisation = Organisation(
        name=settings.organisation_name or org.name,
        domains=list(settings.domains) or list(org.domains),
        emails=list(settings.emails) or list(org.emails),
        phones=list(settings.phones) or list(org.phones),
        head_office=org.head_office,
        places=list(org.places),
        handles=list(org.handles),
    )
    a = base.approvers
    if settings.approvers:
        approvers = Approvers(
            any=list(settings.approvers),
            backup=list(a.backup),
            two_step_categories=list(a.two_step_categories),
        )
    else:
        approvers = Approvers(
            slack=list(a.slack),
            teams=list(a.teams),
            cli=list(a.cli),
            any=list(a.any),
            backup=list(a.backup),
            two_step_categories=list(a.two_step_categories),
        )
    return replace(
        base,
        profile=settings.profile or base.profile,
        organisation=organisation,
        approvers=approvers,
        llm=dict(base.llm),
        workflow=dict(base.workflow),
        overrides={**base.overrides, **dict(settings.overrides)},
        workspace=workspace,
    )


@dataclass(frozen=True, slots=True)
class ResolvedWorkspace:
    """A workspace's config plus what the chat surfaces need beyond it."""

    workspace: str
    config: Config
    settings: WorkspaceSettings
    version: int

    def approvers_channel(self, default: str | None = None) -> str | None:
        """Where its approval cards go: its own channel, else the deployment's default."""
        return self.settings.approvers_channel or default

    @property
    def approver_group(self) -> str | None:
        return self.settings.approver_group


class _Entry:
    __slots__ = ("checked", "resolved")

    def __init__(self, resolved: ResolvedWorkspace, checked: float) -> None:
        self.resolved = resolved
        self.checked = checked


class WorkspaceResolver:
    """Per-process cache of resolved workspaces; thread-safe; share one per process."""

    def __init__(self, *, refresh_seconds: float = REFRESH_SECONDS) -> None:
        self._entries: dict[tuple[str, str, int], _Entry] = {}
        self._lock = threading.Lock()
        self._refresh = refresh_seconds

    def resolve(self, workspace: str, store: Store, base: Config) -> ResolvedWorkspace:
        """The workspace's resolved settings (cached; re-read when its version moved)."""
        check_workspace(workspace)
        key = (store.url, workspace, id(base))
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and now - entry.checked < self._refresh:
            return entry.resolved
        if entry is not None and settings_version(store, workspace) == entry.resolved.version:
            entry.checked = now
            return entry.resolved
        stored = load_settings(store, workspace)
        resolved = self._build(stored, base)
        with self._lock:
            if len(self._entries) > 4096:  # many workspaces: forget the idle ones
                self._entries.clear()
            self._entries[key] = _Entry(resolved, now)
        return resolved

    @staticmethod
    def _build(stored: StoredSettings, base: Config) -> ResolvedWorkspace:
        if stored.version == 0 and base.workspace == stored.workspace:
            cfg = base  # nothing set and nothing to rename: the file as it is
        else:
            cfg = apply_settings(base, stored.settings, stored.workspace)
        return ResolvedWorkspace(stored.workspace, cfg, stored.settings, stored.version)

    def invalidate(self, workspace: str | None = None) -> None:
        """Forget one workspace (or all), so the next request reads the database."""
        with self._lock:
            if workspace is None:
                self._entries.clear()
            else:
                for key in [k for k in self._entries if k[1] == workspace]:
                    del self._entries[key]


#: The process's resolver.
RESOLVER = WorkspaceResolver()


def config_for(workspace: str, store: Store, base_config: Config) -> Config:
    """The :class:`Config` requests from ``workspace`` run with (cached, see module doc)."""
    return RESOLVER.resolve(workspace, store, base_config).config


def workspace_for(workspace: str, store: Store, base_config: Config) -> ResolvedWorkspace:
    """Like :func:`config_for`, with the approvers' channel and user group too."""
    return RESOLVER.resolve(workspace, store, base_config)


def policy_check(base: Config, workspace: str) -> Callable[[WorkspaceSettings], None]:
    """A validator for :func:`save_settings`: the resulting policy must load.

    An override naming a rule that does not exist in the chosen profile is refused
    here, with the policy's own message, instead of breaking every review later.
    """

    def check(settings: WorkspaceSettings) -> None:
        from bot.errors import ConfigError
        from bot.policy import load_policy
        from bot.workspaces.settings import SettingsError

        try:
            load_policy(apply_settings(base, settings, workspace))
        except ConfigError as exc:
            raise SettingsError(str(exc).split(": ", 1)[-1]) from None

    return check


def update_settings(
    store: Store,
    workspace: str,
    changes: Mapping[str, Any],
    *,
    by: Actor,
    base_config: Config,
) -> ResolvedWorkspace:
    """Validate (policy included), store and audit ``changes``; return the new resolution."""
    save_settings(store, workspace, changes, by=by, validate=policy_check(base_config, workspace))
    RESOLVER.invalidate(workspace)
    return RESOLVER.resolve(workspace, store, base_config)
