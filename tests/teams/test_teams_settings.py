"""The admins' settings card in Teams (issue 16): `settings` in the personal chat, Save on the card.

Through the real server: the card is schema-checked, Save stores through
``bot.workspaces.change_settings`` (validated, audited) for the activity's own
tenant, errors come back on the card with nothing stored, and anyone who is
not one of the tenant's approvers is refused.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from teams_harness import APPROVER, APPROVER2, STRANGER, Teams, card_text

from bot.store import models as m
from bot.teams.card_schema import validate_card
from bot.teams.cards import VERB_SETTINGS_SAVE
from bot.teams.testing import ConnectorCall, TeamsUser
from bot.workspaces import config_for, load_settings
from bot.workspaces.admin import REFUSED_TEXT

TENANT_A = "aaaaaaaa-0000-4000-8000-00000000000a"
CHANNEL = "19:comms-team@thread.tacv2"


def _open(teams: Teams, user: TeamsUser = APPROVER, **kw: Any) -> ConnectorCall:
    conversation = kw.get("conversation", "a:personal-chat")
    teams.say("settings", user=user, **kw)
    (card,) = teams.wait("reply", conversation=conversation, text="canipost settings")
    assert card.card is not None and card.returned_id
    validate_card(card.card)
    return card


def _inputs(card: dict[str, Any]) -> dict[str, str]:
    """What Teams would send back for an untouched form: each input's current value."""
    return {
        el["id"]: str(el.get("value") or "")
        for el in card["body"]
        if el.get("type", "").startswith("Input.")
    }


def _save(
    teams: Teams, shown: ConnectorCall, user: TeamsUser = APPROVER, **fields: str
) -> dict[str, Any]:
    assert shown.card is not None and shown.returned_id
    data = {**_inputs(shown.card), **fields}
    tenant = fields.pop("tenant", None)
    extra = {"tenant": tenant} if tenant else {}
    data.pop("tenant", None)
    return teams.click(VERB_SETTINGS_SAVE, data, user=user, card_id=shown.returned_id, **extra)


def test_an_approver_changes_settings_on_the_card(teams: Teams) -> None:
    shown = _open(teams)
    text = card_text(shown.card)
    assert "In force now" in text and "Approvers' channel" in text
    answer = _save(
        teams,
        shown,
        approvers_channel=CHANNEL,
        organisation_name="Riverside Council",
        profile="nhs",
        phones="0300 123 4567",
    )
    card = answer["value"]
    validate_card(card)
    after = card_text(card)
    assert "Saved: approvers channel, organisation name, phones, profile." in after
    assert "Riverside Council" in after and CHANNEL in after
    store, base = teams.ctx.store, teams.ctx.config
    stored = load_settings(store, "")
    assert stored.settings.approvers_channel == CHANNEL
    assert stored.settings.profile == "nhs"
    assert config_for("", store, base).organisation.name == "Riverside Council"
    with store.read() as s:
        audit = [
            (r.action, r.actor_id, r.workspace, sorted(r.detail["changed"]))
            for r in s.scalars(select(m.AuditEntry))
        ]
    changed = ["approvers_channel", "organisation_name", "phones", "profile"]
    assert audit == [("settings", APPROVER.aad, "", changed)]

    # Saving the redrawn card untouched changes nothing (and says so).
    again = teams.click(
        VERB_SETTINGS_SAVE, _inputs(card), user=APPROVER, card_id=shown.returned_id or ""
    )
    assert "Nothing changed." in card_text(again["value"])
    assert load_settings(store, "").version == stored.version


def test_a_bad_value_is_shown_on_the_card_and_nothing_is_stored(teams: Teams) -> None:
    shown = _open(teams)
    answer = _save(teams, shown, profile="no-such-profile", organisation_name="Kept Typed")
    card = answer["value"]
    validate_card(card)
    text = card_text(card)
    assert "Not saved:" in text and "no-such-profile" in text
    assert "Kept Typed" in text  # what they typed stays on the card to fix
    assert load_settings(teams.ctx.store, "").version == 0


def test_anyone_but_an_approver_is_refused(teams: Teams) -> None:
    teams.say("settings", user=STRANGER, conversation="a:stranger-chat")
    (refused,) = teams.wait("reply", conversation="a:stranger-chat")
    assert refused.text == REFUSED_TEXT and refused.card is None
    # A crafted Save from them stores nothing.
    answer = teams.click(
        VERB_SETTINGS_SAVE,
        {"approvers": STRANGER.aad, "profile": "default"},
        user=STRANGER,
        card_id="1700000001",
        conversation="a:stranger-chat",
    )
    assert answer["value"] == REFUSED_TEXT
    assert load_settings(teams.ctx.store, "").version == 0


def test_settings_are_not_shown_in_a_channel(teams: Teams) -> None:
    teams.say(
        "settings",
        user=APPROVER,
        conversation="19:general@thread.tacv2",
        conversation_type="channel",
    )
    (reply,) = teams.wait("reply", conversation="19:general@thread.tacv2")
    assert "personal chat" in reply.text and reply.card is None


def test_settings_belong_to_the_tenant_they_are_saved_in(teams: Teams) -> None:
    shown = _open(teams, tenant=TENANT_A, conversation="a:alpha-chat")
    answer = _save(teams, shown, approvers=APPROVER2.aad, tenant=TENANT_A)
    assert "Saved: approvers." in card_text(answer["value"])
    store, base = teams.ctx.store, teams.ctx.config
    assert load_settings(store, TENANT_A).settings.approvers == (APPROVER2.aad,)
    assert load_settings(store, "").version == 0
    assert config_for(TENANT_A, store, base).approvers.ids_for("teams") == {APPROVER2.aad}
    # Alpha's approvers are now only APPROVER2: APPROVER may no longer administer there,
    # but still may at home.
    teams.say("settings", user=APPROVER, tenant=TENANT_A, conversation="a:alpha-again")
    (refused,) = teams.wait("reply", conversation="a:alpha-again")
    assert refused.text == REFUSED_TEXT
    assert _open(teams, conversation="a:home-chat")
