"""The admins' settings card in Teams: ``settings`` in the personal chat (issue 16).

    settings            → the card: what is in force, and a form (channel, approvers,
                          profile, organisation name, domains, numbers, mailboxes)
    Save on the card    → bot.workspaces.change_settings (validated, audited); the card
                          comes back redrawn with what changed or what was wrong

Only the tenant's approvers may see or change it (:func:`bot.workspaces.may_administer`;
Teams does not tell a bot who the tenant's admins are without Graph permissions, so the
first approvers come from the config file). Settings belong to the activity's tenant,
exactly as its reviews do (:class:`~bot.teams.services.TenantServices`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.errors import InputError
from bot.teams.cards import PROFILE_DEFAULT, SETTINGS_INPUTS, Card, help_card, settings_card
from bot.teams.flows import Steps, actor_of
from bot.teams.services import tenant_of

if TYPE_CHECKING:
    from microsoft_agents.activity import Activity

    from bot.config import Config
    from bot.store import Store
    from bot.workspaces import ResolvedWorkspace, WorkspaceSettings

#: Said in a channel or group chat: the card shows who approves, so it stays private.
PRIVATE_ONLY = "Settings are changed in your personal chat with me: open it and type `settings`."
NOTHING_CHANGED = "Nothing changed."


def _where(steps: Steps, activity: Activity) -> tuple[str, Store, Config]:
    """The activity's workspace, the store, and the config file every tenant starts from."""
    tenants = steps.tenants
    if tenants is not None:
        return tenants.workspace(tenant_of(activity)), tenants.store, tenants.base.config
    services = steps.services
    return services.config.workspace, services.workflow.store, services.config


def stored_values(settings: WorkspaceSettings) -> dict[str, str]:
    """The tenant's own settings as the card's field values (empty: as in the config file)."""
    out: dict[str, str] = {}
    for key, _label, _hint in SETTINGS_INPUTS:
        value = getattr(settings, key)
        out[key] = ", ".join(value) if isinstance(value, tuple) else str(value or "")
    out["profile"] = settings.profile or ""
    return out


def changes_from(data: Mapping[str, Any], current: Mapping[str, str]) -> dict[str, str]:
    """The fields the admin actually changed (so the audit trail names only those)."""
    changes: dict[str, str] = {}
    for key in [k for k, _l, _h in SETTINGS_INPUTS] + ["profile"]:
        new = str(data.get(key) or "").strip()
        if key == "profile" and new == PROFILE_DEFAULT:
            new = ""
        if new != current.get(key, ""):
            changes[key] = new
    return changes


def _card(
    resolved: ResolvedWorkspace,
    base: Config,
    *,
    values: Mapping[str, str] | None = None,
    notice: str | None = None,
    error: str | None = None,
) -> Card:
    from bot.config import PROFILES
    from bot.workspaces import describe

    rows = [(label, value) for label, value in describe(resolved) if label != "Approver group"]
    return settings_card(
        values if values is not None else stored_values(resolved.settings),
        rows=rows,
        profiles=PROFILES,
        file_profile=base.profile,
        notice=notice,
        error=error,
    )


def _personal(activity: Activity) -> bool:
    conversation = activity.conversation
    return conversation is None or conversation.conversation_type in (None, "personal")


async def help_for(steps: Steps, activity: Activity) -> Card:
    """The help card for whoever sent ``activity``: every command they can use here.

    Approvers (the workflow's check, as for ``reports`` and ``watch``) also see those;
    whoever may change the settings (:func:`bot.workspaces.may_administer`, as
    :func:`show` checks) also sees ``settings``. Anyone unknown gets everyone's help.
    """
    from bot.workspaces import may_administer, workspace_for

    steps = steps.for_activity(activity)
    try:
        actor = actor_of(activity)
    except InputError:
        return help_card()
    workspace, store, base = _where(steps, activity)

    def who() -> tuple[bool, bool]:
        resolved = workspace_for(workspace, store, base)
        approver = steps.services.workflow.is_approver(actor)
        return approver, may_administer(actor, resolved, platform_admin=False)

    approver, admin = await steps.services.run(who)
    return help_card(approver=approver, admin=admin)


async def show(steps: Steps, activity: Activity) -> Card | str:
    """The settings card for the activity's tenant, or why not (a line to send)."""
    from bot.workspaces import may_administer, workspace_for
    from bot.workspaces.admin import REFUSED_TEXT

    if not _personal(activity):
        return PRIVATE_ONLY
    actor = actor_of(activity)
    workspace, store, base = _where(steps, activity)
    resolved = await steps.services.run(workspace_for, workspace, store, base)
    if not may_administer(actor, resolved, platform_admin=False):
        return REFUSED_TEXT
    return _card(resolved, base)


async def save(steps: Steps, activity: Activity, data: Mapping[str, Any]) -> Card | str:
    """Save the card's changes; the card redrawn with what changed, or with the error."""
    from bot.workspaces import SettingsError, change_settings, may_administer, workspace_for
    from bot.workspaces.admin import REFUSED_TEXT

    if not _personal(activity):
        return PRIVATE_ONLY
    actor = actor_of(activity)
    workspace, store, base = _where(steps, activity)

    def work() -> Card | str:
        resolved = workspace_for(workspace, store, base)
        if not may_administer(actor, resolved, platform_admin=False):
            return REFUSED_TEXT
        current = stored_values(resolved.settings)
        changes = changes_from(data, current)
        if not changes:
            return _card(resolved, base, notice=NOTHING_CHANGED)
        try:
            outcome = change_settings(store, workspace, changes, by=actor, base_config=base)
        except SettingsError as exc:
            typed = {**current, **changes}  # what they typed stays on the card to fix
            return _card(resolved, base, values=typed, error=f"Not saved: {exc}")
        saved = "Saved: " + ", ".join(k.replace("_", " ") for k in outcome.changed) + "."
        return _card(outcome.resolved, base, notice=" ".join([saved, *outcome.notices]))

    return await steps.services.run(work)
