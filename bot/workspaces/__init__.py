"""Many organisations in one deployment: per-workspace (Slack team / Teams tenant) settings.

    from bot.workspaces import config_for
    cfg = config_for(team_id, store, base_config)   # the file, then the workspace's settings

See :mod:`bot.workspaces.settings` (what an admin sets, stored and audited),
:mod:`bot.workspaces.resolve` (the cached per-workspace ``Config``) and
:mod:`bot.workspaces.admin` (who may change them, what they are told).
"""

from __future__ import annotations

from bot.workspaces.admin import (
    AdminOutcome,
    change_settings,
    describe,
    may_administer,
    parse_settings_text,
)
from bot.workspaces.resolve import (
    RESOLVER,
    ResolvedWorkspace,
    apply_settings,
    config_for,
    update_settings,
    workspace_for,
)
from bot.workspaces.settings import (
    KEYS,
    SettingsError,
    StoredSettings,
    WorkspaceSettings,
    load_settings,
    save_settings,
)

__all__ = [
    "KEYS",
    "RESOLVER",
    "AdminOutcome",
    "ResolvedWorkspace",
    "SettingsError",
    "StoredSettings",
    "WorkspaceSettings",
    "apply_settings",
    "change_settings",
    "config_for",
    "describe",
    "load_settings",
    "may_administer",
    "parse_settings_text",
    "save_settings",
    "update_settings",
    "workspace_for",
]
