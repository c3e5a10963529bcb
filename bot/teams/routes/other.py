"""Greetings on install, and a quiet catch-all for every other activity.

The catch-all matters: the SDK logs an unmatched activity *with its text* at
WARNING, and message text is a draft, which must not reach the logs at
that level. Unknown invokes get no answer, so Teams sees 501 as it should.
"""

from __future__ import annotations

from microsoft_agents.activity import ActivityTypes
from microsoft_agents.hosting.core import AgentApplication, RouteRank, TurnContext, TurnState

from bot.teams.admin import help_for
from bot.teams.flows import Steps
from bot.teams.messenger import card_activity


def register(app: AgentApplication[TurnState], steps: Steps) -> None:
    async def on_members_added(context: TurnContext, _state: TurnState) -> None:
        act = context.activity
        bot_id = act.recipient.id if act.recipient else None
        personal = act.conversation is not None and act.conversation.conversation_type == "personal"
        if personal and any(m.id == bot_id for m in act.members_added or []):
            card = await help_for(steps, act)
            await context.send_activity(card_activity(card, summary="Welcome to canipost"))

    async def ignore(_context: TurnContext, _state: TurnState) -> None:
        return None

    app.conversation_update("membersAdded")(on_members_added)
    app.add_route(lambda c: c.activity.type != ActivityTypes.invoke, ignore, rank=RouteRank.LAST)
