"""The agent's routes, one module per kind of Teams activity.

* :mod:`.message` — chat messages (personal chat, @mentions): review, answer, help
* :mod:`.card_action` — ``adaptiveCard/action`` invokes: send to comms, withdraw,
  approve / request changes / reject, refresh
* :mod:`.message_extension` — the "Check with canipost" message action
* :mod:`.other` — install greetings; everything else is acknowledged quietly

Each has ``register(app, steps)``; a new trigger is one module plus one line here.
"""

from __future__ import annotations

from microsoft_agents.hosting.core import AgentApplication, TurnState

from bot.teams.flows import Steps
from bot.teams.routes import card_action, message, message_extension, other


def register_routes(app: AgentApplication[TurnState], steps: Steps) -> None:
    card_action.register(app, steps)
    message_extension.register(app, steps)
    message.register(app, steps)
    other.register(app, steps)  # last: the catch-all
