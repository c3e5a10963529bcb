"""The admin's side of workspace settings, platform-neutral: who may, what to say, what to show.

Slack's App Home section and Teams' settings card both come down to three calls:

    if not may_administer(actor, resolved, platform_admin=is_admin):
        ...                                   # REFUSED_TEXT
    outcome = change_settings(store, ws, parse_settings_text(text), by=actor,
                              base_config=cfg, bot_in_channel=lambda c: ...)
    outcome.notices                           # e.g. "invite me to <#C1>"
    describe(outcome.resolved)                # rows for the settings view

A platform answers ``bot_in_channel`` from its own API (Slack
``conversations.info`` → ``is_member``; Teams: the bot is in every channel of a
team it was added to), so this module never calls a chat API.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.workspaces.resolve import ResolvedWorkspace, update_settings
from bot.workspaces.settings import KEYS, SettingsError, canonical_key

if TYPE_CHECKING:
    from bot.config import Config
    from bot.store import Store
    from bot.workflow.types import Actor

REFUSED_TEXT = (
    "Only a workspace admin or one of the comms team's approvers can change canipost's settings."
)


def may_administer(actor: Actor, resolved: ResolvedWorkspace, *, platform_admin: bool) -> bool:
    """Workspace admins/owners always; approvers of this workspace too (the comms team)."""
    if platform_admin:
        return True
    approvers = resolved.config.approvers
    return actor.id in approvers.ids_for(actor.platform)


def channel_notice(channel: str, platform: str) -> str:
    """What an admin is told when the bot cannot post in the channel they chose."""
    if platform == "slack":
        return (
            f"I'm not in <#{channel}> yet, so I can't post approval cards there. "
            "Invite me: type `/invite @canipost` in that channel."
        )
    return (
        "I'm not in that channel's team yet, so I can't post approval cards there. "
        "Add canipost to the team (Manage team → Apps), then set the channel again."
    )


@dataclass(frozen=True, slots=True)
class AdminOutcome:
    """The settings now in force and anything the admin should do next."""

    resolved: ResolvedWorkspace
    changed: tuple[str, ...]
    notices: tuple[str, ...] = ()


def change_settings(
    store: Store,
    workspace: str,
    changes: Mapping[str, Any],
    *,
    by: Actor,
    base_config: Config,
    bot_in_channel: Callable[[str], bool] | None = None,
) -> AdminOutcome:
    """Store ``changes`` (validated, audited) and say what still needs doing.

    Raises :class:`~bot.workspaces.settings.SettingsError` (nothing stored) on bad input.
    A channel the bot is not in is still saved (the admin may invite it next), with a
    notice asking them to.
    """
    resolved = update_settings(store, workspace, changes, by=by, base_config=base_config)
    changed = tuple(sorted({canonical_key(k) for k in changes}))
    notices: list[str] = []
    channel = resolved.settings.approvers_channel
    if (
        "approvers_channel" in changed
        and channel
        and bot_in_channel is not None
        and not bot_in_channel(channel)
    ):
        notices.append(channel_notice(channel, by.platform))
    return AdminOutcome(resolved, changed, tuple(notices))


_LINE = re.compile(r"^\s*([A-Za-z_ -]+?)\s*(?:[:=]\s*|\s+)(.*)$")


def parse_settings_text(text: str) -> dict[str, str]:
    """``"channel #comms; profile nhs"`` → ``{"approvers_channel": "#comms", "profile": "nhs"}``.

    One setting per line or per ``;``; the key first, then its value (``key: value``,
    ``key = value`` and ``key value`` all work). An empty value clears the setting.
    """
    out: dict[str, str] = {}
    for part in re.split(r"[;\n]", text):
        if not part.strip():
            continue
        m = _LINE.match(part)
        if m is None:
            raise SettingsError(f"cannot read {part.strip()[:80]!r}; write: setting value")
        key, value = m.group(1), m.group(2)
        # "approvers channel #x": the longest key that matches wins.
        words = part.strip().split()
        for n in (2, 1):
            candidate = " ".join(words[:n]).rstrip(":=")
            try:
                key = canonical_key(candidate)
            except SettingsError:
                continue
            value = part.strip()[len(" ".join(words[:n])) :].lstrip(" :=")
            break
        else:
            key = canonical_key(key)
        out[key] = value.strip()
    if not out:
        raise SettingsError(f"no settings given; allowed: {', '.join(KEYS)}")
    return out


def describe(resolved: ResolvedWorkspace) -> list[tuple[str, str]]:
    """(label, value) rows of what is in force, for App Home or a Teams card."""
    cfg, s = resolved.config, resolved.settings
    approvers = sorted(cfg.approvers.ids_for("slack") | cfg.approvers.ids_for("teams"))
    return [
        ("Approvers' channel", s.approvers_channel or "not set"),
        ("Approvers", ", ".join(approvers) or "not set"),
        ("Approver group", s.approver_group or "not set"),
        ("Profile", cfg.profile),
        ("Organisation", cfg.organisation.name),
        ("Own domains", ", ".join(cfg.organisation.domains) or "none"),
        ("Public numbers", ", ".join(cfg.organisation.phones) or "none"),
        ("Public mailboxes", ", ".join(cfg.organisation.emails) or "none"),
        (
            "Rule overrides",
            ", ".join(f"{k}={v}" for k, v in sorted(cfg.overrides.items())) or "none",
        ),
    ]
