"""A workspace admin's settings in Slack: the "canipost settings" shortcut and its modal.

Registered by the OAuth installer (:func:`bot.slack.oauth.install_routes`), where each
workspace has its own settings; a single-organisation install keeps its config file.

* The global shortcut ``canipost_settings`` opens a modal with what is in force: the
  approvers' channel, the approvers, an approver user group, the profile, the
  organisation's name, domains, public numbers and mailboxes, and rule overrides.
* Only a workspace admin or owner (``users.info``) or one of the workspace's approvers
  may open or save it; anyone else is told so in a modal.
* Saving validates everything first (:func:`bot.workspaces.change_settings`): a bad value
  is shown under its field and nothing is stored. A channel the bot is not in
  (``conversations.info`` → ``is_member``) is saved, and the admin is told to invite the
  bot there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.workspaces.admin import REFUSED_TEXT, change_settings, may_administer
from bot.workspaces.resolve import ResolvedWorkspace, workspace_for
from bot.workspaces.settings import PROFILES, SettingsError

if TYPE_CHECKING:
    from slack_bolt import App
    from slack_sdk import WebClient

    from bot.config import Config
    from bot.store import Store

log = logging.getLogger("canipost.slack")

SHORTCUT = "canipost_settings"
VIEW = "canipost_settings_save"
#: Block id of each field = the setting it edits; the action id is always "v".
_TEXT_FIELDS = (
    ("approver_group", "Approver user group (optional)", "@comms-team or its S… id"),
    ("organisation_name", "Organisation name", "Riverside Council"),
    ("domains", "Your own domains", "riverside.gov.uk, riversidelibraries.org"),
    ("phones", "Your public phone numbers", "0300 123 4567, 01234 567890"),
    ("emails", "Your public mailboxes", "press@riverside.gov.uk"),
    ("overrides", "Rule overrides", "strategy.hashtags=off, reputation.sarcasm=advise"),
)


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _message_view(text: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": _plain("canipost settings"),
        "close": _plain("OK"),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }


def settings_view(resolved: ResolvedWorkspace) -> dict[str, Any]:
    """The settings modal, filled with what is in force for the workspace."""
    s, cfg = resolved.settings, resolved.config
    channel: dict[str, Any] = {
        "type": "conversations_select",
        "action_id": "v",
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    if s.approvers_channel and s.approvers_channel.startswith(("C", "G")):
        channel["initial_conversation"] = s.approvers_channel
    users: dict[str, Any] = {
        "type": "multi_users_select",
        "action_id": "v",
        "max_selected_items": 60,
    }
    if s.approvers:
        users["initial_users"] = list(s.approvers)
    profile = {
        "type": "static_select",
        "action_id": "v",
        "options": [{"text": _plain(p), "value": p} for p in PROFILES],
        "initial_option": {"text": _plain(cfg.profile), "value": cfg.profile},
    }
    current = {
        "approver_group": s.approver_group or "",
        "organisation_name": s.organisation_name or "",
        "domains": ", ".join(s.domains),
        "phones": ", ".join(s.phones),
        "emails": ", ".join(s.emails),
        "overrides": ", ".join(f"{k}={v}" for k, v in s.overrides.items()),
    }
    blocks: list[dict[str, Any]] = [
        {
            "type": "input",
            "block_id": "approvers_channel",
            "label": _plain("Approvers' channel"),
            "element": channel,
            "optional": True,
        },
        {
            "type": "input",
            "block_id": "approvers",
            "label": _plain("Approvers"),
            "element": users,
            "optional": True,
        },
        {"type": "input", "block_id": "profile", "label": _plain("Profile"), "element": profile},
    ]
    for key, label, hint in _TEXT_FIELDS:
        element: dict[str, Any] = {
            "type": "plain_text_input",
            "action_id": "v",
            "placeholder": _plain(hint),
            "multiline": key == "overrides",
        }
        if current[key]:
            element["initial_value"] = current[key]
        blocks.append(
            {
                "type": "input",
                "block_id": key,
                "label": _plain(label),
                "element": element,
                "optional": True,
            }
        )
    return {
        "type": "modal",
        "callback_id": VIEW,
        "title": _plain("canipost settings"),
        "submit": _plain("Save"),
        "close": _plain("Cancel"),
        "blocks": blocks,
    }


def changes_from(values: dict[str, Any]) -> dict[str, Any]:
    """The modal's state → the settings it sets (an emptied field clears its setting)."""
    out: dict[str, Any] = {}
    for block_id, actions in values.items():
        v = (actions or {}).get("v") or {}
        if "selected_conversation" in v:
            out[block_id] = v.get("selected_conversation") or ""
        elif "selected_users" in v:
            out[block_id] = list(v.get("selected_users") or [])
        elif "selected_option" in v:
            out[block_id] = (v.get("selected_option") or {}).get("value") or ""
        else:
            out[block_id] = v.get("value") or ""
    return out


def _field_of(message: str) -> str:
    for key in ("approvers_channel", "approver_group", "approvers", "profile", "overrides"):
        if message.startswith(key) or f" {key}" in message[:40]:
            return key
    for key, _label, _hint in _TEXT_FIELDS:
        if message.startswith(key):
            return key
    return "overrides" if "rule" in message or "override" in message else "organisation_name"


def register_settings(
    app: App,
    *,
    store: Store,
    base_config: Config,
    workspace_of: Callable[[dict[str, Any]], str],
) -> None:
    """Add the settings shortcut and modal to ``app`` (one registration for Slack)."""
    from bot.workflow.types import Actor

    def is_admin(client: WebClient, user: str) -> bool:
        info = client.users_info(user=user).get("user") or {}
        return bool(info.get("is_admin") or info.get("is_owner") or info.get("is_primary_owner"))

    def allowed(client: WebClient, ws: str, user: str) -> tuple[bool, ResolvedWorkspace]:
        resolved = workspace_for(ws, store, base_config)
        actor = Actor("slack", user)
        if may_administer(actor, resolved, platform_admin=False):
            return True, resolved
        return is_admin(client, user), resolved

    @app.shortcut(SHORTCUT)
    def open_settings(ack: Any, body: dict[str, Any], client: WebClient, context: Any) -> None:
        ack()
        ws, user = workspace_of(context), str(body["user"]["id"])
        ok, resolved = allowed(client, ws, user)
        view = settings_view(resolved) if ok else _message_view(REFUSED_TEXT)
        client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.view(VIEW)
    def save_settings(ack: Any, body: dict[str, Any], client: WebClient, context: Any) -> None:
        ws, user = workspace_of(context), str(body["user"]["id"])
        ok, _resolved = allowed(client, ws, user)
        if not ok:
            ack(response_action="update", view=_message_view(REFUSED_TEXT))
            return
        changes = changes_from(body["view"]["state"]["values"])

        def bot_in(channel: str) -> bool:
            try:
                return bool(client.conversations_info(channel=channel)["channel"].get("is_member"))
            except Exception:  # not found, or not visible to the bot: it is not in there
                return False

        try:
            outcome = change_settings(
                store,
                ws,
                changes,
                by=Actor("slack", user),
                base_config=base_config,
                bot_in_channel=bot_in,
            )
        except SettingsError as exc:
            message = str(exc)
            ack(response_action="errors", errors={_field_of(message): message[:150]})
            return
        log.info("workspace %s settings changed by %s: %s", ws, user, ", ".join(outcome.changed))
        text = "Saved. " + " ".join(outcome.notices) if outcome.notices else "Saved."
        ack(response_action="update", view=_message_view(text))
