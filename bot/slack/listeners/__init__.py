"""Every listener, one file per trigger; each folder's ``register(app)`` wires its files.

A new listener is one file plus one line in its folder's ``__init__.py``.
Listeners find the shared :class:`bot.slack.services.Services` in
``context["canipost"]`` (put there by a middleware in :mod:`bot.slack.app`).
"""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners import actions, commands, events, shortcuts, views


def register_listeners(app: App) -> None:
    commands.register(app)
    actions.register(app)
    views.register(app)
    shortcuts.register(app)
    events.register(app)
