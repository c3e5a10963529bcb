"""The conversation layer: what a person and canipost say to each other, on any chat surface.

Slack, Teams (and any later surface) are thin adapters over this package:
they turn a platform event into an :class:`Intent` or a button press, call a
step of :class:`Conversation`, and render the plain result it returns — a
:class:`VerdictScreen` (a verdict, maybe with its submission's state and a
notice) or a line of text — as Block Kit, an Adaptive Card, HTML or the
terminal. Everything said to people (refusals, error reports, queue news)
is in :mod:`bot.conversation.texts`, once.

Layers, each importing only the ones below it::

    bot.slack, bot.teams, bot.server         adapters (and the process that hosts them)
    bot.conversation                         intents, draft references, texts, steps, notices
    bot.workflow, bot.review, bot.ask        the approval queue, the review, policy answers
    bot.store, bot.policy, bot.verdict       storage, rules, the contract's types

Modules: :mod:`~bot.conversation.intents` (what a message asks for),
:mod:`~bot.conversation.refs` (the one draft reference, what a submission
records), :mod:`~bot.conversation.texts` (every word said),
:mod:`~bot.conversation.screens` (what a verdict shows, as parts),
:mod:`~bot.conversation.actions` (button names), :mod:`~bot.conversation.steps`
(check, follow up, submit, decide, withdraw, ask in a thread, feedback, watch)
and :mod:`~bot.conversation.notices` (the outbox's three operations per surface).

**A third chat surface** is a new adapter folder (``bot/<platform>/``) that
renders :func:`~bot.conversation.screens.verdict_parts`, calls the
:class:`Conversation` steps, implements a
:class:`~bot.conversation.notices.Carrier`, and offers a route installer; then
one registration, ``bot.server.app.register_platform("<platform>",
"bot.<platform>.http:install_routes")``.

**What a plain message is** (a DM, or a message that mentions the bot, on
every platform): ``help``/``hi`` gets help; ``review: …``, ``check: …``,
``can I post: …`` is a draft; ``ask: …`` is a question; ``watch …`` is a
command; otherwise a short single line that reads as a question ("Can I…?",
"Is it OK to…", anything ending in ``?``) is a question, and anything else is
a draft to review — in a chat with a reviewing bot, pasting a post means
"check this". See :func:`classify`.
"""

from __future__ import annotations

from bot.conversation.intents import Intent, classify
from bot.conversation.refs import DraftRef, new_check, on_behalf_of, origin_refs
from bot.conversation.steps import Conversation, Outcome, VerdictScreen

__all__ = [
    "Conversation",
    "DraftRef",
    "Intent",
    "Outcome",
    "VerdictScreen",
    "classify",
    "new_check",
    "on_behalf_of",
    "origin_refs",
]
