"""Who acts in the watch-list tests (imported by conftest and the test modules)."""

from __future__ import annotations

from bot.workflow.types import Actor

BOB = Actor("cli", "bob", "Bob Approver")
SLACK_SAM = Actor("slack", "U0SAM", "Sam")
MALLORY = Actor("cli", "mallory")
