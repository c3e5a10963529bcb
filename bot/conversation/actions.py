"""The buttons a screen offers, named once: each surface derives its own ids from these names.

Slack's action ids are ``canipost_<name>``, Teams' ``Action.Execute`` verbs
``canipost.<name>``; the names and which of them are decisions live here so
a new surface offers the same actions under the same names.
"""

from __future__ import annotations

SUBMIT = "submit"
SUBMIT_JUSTIFY = "submit_justify"
APPROVE = "approve"
CHANGES = "changes"
REJECT = "reject"
WITHDRAW = "withdraw"
REFRESH = "refresh"
FEEDBACK = "feedback"
FEEDBACK_CONFIRM = "feedback_confirm"
FEEDBACK_DISMISS = "feedback_dismiss"
WATCH_ADD = "watch_add"
WATCH_REMOVE = "watch_remove"

#: Button name → the workflow's decision verb.
DECISIONS: dict[str, str] = {APPROVE: "approve", CHANGES: "changes", REJECT: "reject"}


def named(prefix: str, *names: str) -> tuple[str, ...]:
    """``named("canipost.", "submit", "approve")`` → ``("canipost.submit", "canipost.approve")``."""
    return tuple(prefix + name for name in names)
