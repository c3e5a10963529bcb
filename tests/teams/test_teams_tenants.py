"""Teams per tenant (issue 16): each tenant's activities run with its own settings and data.

Two tenants share one server and one database. Each has its own approvers,
approvers' channel and organisation details (set through the same
``bot.workspaces`` calls the settings card uses); their reviews, approval
cards, queues, audit trails and watch lists must never cross. An activity
from the bot's home tenant, or naming no tenant, is the single-organisation
install (workspace ``""``) running on the config file.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from teams_harness import (
    APPROVER,
    APPROVER2,
    APPROVERS_CHANNEL,
    AUTHOR,
    RISKY,
    Teams,
    card_text,
    submission_id,
)

from bot.store import models as m
from bot.teams.services import tenant_of
from bot.teams.testing import TENANT
from bot.workflow import Actor, UnknownSubmission, Workflow
from bot.workspaces import config_for, update_settings

TENANT_A = "aaaaaaaa-0000-4000-8000-00000000000a"
TENANT_B = "bbbbbbbb-0000-4000-8000-00000000000b"
CHANNEL_A = "19:alpha-comms@thread.tacv2"
CHANNEL_B = "19:beta-comms@thread.tacv2"
#: Alpha's own public numbers: fine for Alpha to post, a leak for anyone else.
CONTACTS = "Press office: 07700 900123, press@alpha.example"
ADMIN = Actor("teams", "aad-0000-admin")


@pytest.fixture
def two_tenants(make_teams: Callable[..., Teams]) -> Teams:
    teams = make_teams()
    store, base = teams.ctx.store, teams.ctx.config
    update_settings(
        store,
        TENANT_A,
        {
            "approvers_channel": CHANNEL_A,
            "approvers": APPROVER.aad,
            "organisation_name": "Alpha Council",
            "phones": "07700 900123",
            "emails": "press@alpha.example",
        },
        by=ADMIN,
        base_config=base,
    )
    update_settings(
        store,
        TENANT_B,
        {"approvers_channel": CHANNEL_B, "approvers": APPROVER2.aad, "organisation_name": "Beta"},
        by=ADMIN,
        base_config=base,
    )
    return teams


def _verdict(teams: Teams, text: str, tenant: str, conversation: str) -> str:
    status, _ = teams.say(f"review: {text}", tenant=tenant, conversation=conversation)
    assert status == 202
    (card,) = teams.wait("reply", conversation=conversation, text="Policy version")
    assert card.card is not None
    return str(card.card["body"][0]["items"][0]["text"]) + "\n" + card_text(card.card)


def _submit(teams: Teams, tenant: str, conversation: str) -> str:
    """AUTHOR reviews RISKY in ``tenant`` and presses "Send to comms"; the submission id."""
    teams.say(f"review: {RISKY}", tenant=tenant, conversation=conversation)
    (verdict,) = teams.wait("reply", conversation=conversation, text="Policy version")
    assert verdict.card is not None and verdict.returned_id
    action = verdict.card["actions"][0]
    answer = teams.click(
        action["verb"],
        dict(action["data"]),
        user=AUTHOR,
        card_id=verdict.returned_id,
        conversation=conversation,
        tenant=tenant,
    )
    teams.settle()
    return submission_id(answer)


def test_the_tenant_is_read_from_channel_data_then_the_conversation() -> None:
    from microsoft_agents.activity import Activity

    both = Activity.model_validate(
        {
            "type": "message",
            "channelData": {"tenant": {"id": TENANT_A}},
            "conversation": {"id": "c", "tenantId": TENANT_B},
        }
    )
    conversation_only = Activity.model_validate(
        {"type": "message", "conversation": {"id": "c", "tenantId": TENANT_B}}
    )
    none = Activity.model_validate({"type": "message", "conversation": {"id": "c"}})
    assert tenant_of(both) == TENANT_A
    assert tenant_of(conversation_only) == TENANT_B
    assert tenant_of(none) == ""


def test_each_tenant_reviews_with_its_own_organisation_details(two_tenants: Teams) -> None:
    alpha = _verdict(two_tenants, CONTACTS, TENANT_A, "a:alpha-chat")
    beta = _verdict(two_tenants, CONTACTS, TENANT_B, "a:beta-chat")
    assert alpha.startswith("🟢 OK to post")  # Alpha's own public contacts: nothing to flag
    assert not beta.startswith("🟢 OK to post")  # the same contacts are a leak in Beta's post
    assert beta.startswith("🔴 Do not post") and "**Confidentiality**" in beta


def test_approval_cards_go_to_the_tenants_channel_for_its_approvers_only(
    two_tenants: Teams,
) -> None:
    teams = two_tenants
    sid = _submit(teams, TENANT_A, "a:alpha-chat")
    (card,) = teams.wait("send", conversation=CHANNEL_A)
    assert card.card is not None and sid in card_text(card.card)
    assert card.card["refresh"]["userIds"] == [APPROVER.aad]
    assert card.body["conversation"].get("tenantId") in (None, TENANT_A)
    assert not [
        c for c in teams.connector.calls if c.conversation in (CHANNEL_B, APPROVERS_CHANNEL)
    ]

    # Beta's approver, even knowing the id, cannot see or decide Alpha's draft.
    data = dict(card.card["actions"][0]["data"])
    assert card.returned_id
    refused = teams.click(
        "canipost.approve",
        data,
        user=APPROVER2,
        card_id=card.returned_id,
        conversation=CHANNEL_A,
        conversation_type="channel",
        tenant=TENANT_B,
    )
    assert refused["type"] == "application/vnd.microsoft.activity.message", refused
    assert refused["value"] == f"unknown submission {sid!r}"
    store, base = teams.ctx.store, teams.ctx.config
    alpha = Workflow(store, config=config_for(TENANT_A, store, base))
    beta = Workflow(store, config=config_for(TENANT_B, store, base))
    assert alpha.get(sid).state == "pending"
    with pytest.raises(UnknownSubmission):
        beta.get(sid)
    assert beta.submissions() == []

    # Alpha's approver approves it from Alpha.
    approved = teams.click(
        "canipost.approve",
        data,
        user=APPROVER,
        card_id=card.returned_id,
        conversation=CHANNEL_A,
        conversation_type="channel",
        tenant=TENANT_A,
    )
    assert "Approved" in card_text(approved["value"])
    teams.settle()
    assert alpha.get(sid).state == "approved"
    with store.read() as s:
        rows = {(r.id, r.workspace) for r in s.scalars(select(m.Submission))}
        trail = {r.workspace for r in s.scalars(select(m.AuditEntry)) if r.submission_id == sid}
    assert rows == {(sid, TENANT_A)}
    assert TENANT_A in trail and "" not in trail
    # Beta's refused attempt is in Beta's own trail, and nothing of Alpha's is.
    assert [(e.action, e.outcome) for e in beta.audit_trail(sid)] == [("decide", "refused")]


def test_watch_lists_are_the_tenants_own(two_tenants: Teams) -> None:
    teams = two_tenants
    teams.say("watch add codename Project Nightjar", user=APPROVER, tenant=TENANT_A)
    assert teams.wait("reply", text="Added")
    # Alpha's approver is nobody in Beta: no watch list for them there.
    teams.say("watch list", user=APPROVER, tenant=TENANT_B, conversation="a:approver-in-beta")
    assert teams.wait("reply", conversation="a:approver-in-beta", text="Only comms approvers")
    teams.say("watch", user=APPROVER2, tenant=TENANT_B, conversation="a:beta-approver")
    assert teams.wait("reply", conversation="a:beta-approver", text="Watch list (0)")
    news = "Big news soon about Project Nightjar!"
    alpha = _verdict(teams, news, TENANT_A, "a:alpha-chat")
    beta = _verdict(teams, news, TENANT_B, "a:beta-chat")
    assert not alpha.startswith("🟢 OK to post")  # Alpha's watch list flags it
    assert beta.startswith("🟢 OK to post")


def test_the_home_tenant_and_no_tenant_are_the_single_organisation_install(
    two_tenants: Teams,
) -> None:
    teams = two_tenants
    for tenant, chat in ((TENANT, "a:home-chat"), (None, "a:plain-chat")):
        sid = _submit(teams, tenant, chat)  # type: ignore[arg-type]
        cards = teams.wait("send", conversation=APPROVERS_CHANNEL, text=sid)
        assert cards
        with teams.ctx.store.read() as s:
            ws = s.execute(
                select(m.Submission.workspace).where(m.Submission.id == sid)
            ).scalar_one()
        assert ws == ""
    assert not [c for c in teams.connector.calls if c.conversation in (CHANNEL_A, CHANNEL_B)]


def test_a_tenant_without_its_own_channel_never_uses_the_home_channel(
    make_teams: Callable[..., Teams],
) -> None:
    teams = make_teams()
    update_settings(
        teams.ctx.store,
        TENANT_A,
        {"approvers": APPROVER.aad},
        by=ADMIN,
        base_config=teams.ctx.config,
    )
    sid = _submit(teams, TENANT_A, "a:alpha-chat")
    assert sid
    assert not [c for c in teams.connector.calls if c.conversation == APPROVERS_CHANNEL]
