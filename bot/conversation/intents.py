"""What a chat message asks for: help, a draft to review, a policy question, or a command.

One reading for every surface, so a DM means the same in Slack and Teams
(see :mod:`bot.conversation` for the rule in words).

    >>> classify("review: Come to the fair!")
    Intent(kind='draft', body='Come to the fair!', command='')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

IntentKind = Literal["help", "draft", "question", "command"]

#: "can I post: ...", "can i post this: ...", "check: ...", "review this - ..."
DRAFT_PREFIX = re.compile(
    r"^\s*(?:can\s+i\s+(?:post|tweet|share)(?:\s+this)?|check(?:\s+this)?|review(?:\s+this)?)"
    r"\s*[:\-–—]\s*(?P<draft>.+)$",
    re.IGNORECASE | re.DOTALL,
)
#: "ask: ..." forces a question, whatever it looks like.
ASK_PREFIX = re.compile(r"^\s*ask\s*[:\-–—]\s*(?P<q>.+)$", re.IGNORECASE | re.DOTALL)
#: How questions about the policy start; a draft rarely does ("Can I…", "Am I allowed…").
QUESTION_START = re.compile(
    r"^\s*(?:can|may|should|must|could)\s+(?:i|we|staff|you|someone|people)\b"
    r"|^\s*(?:am|are|is)\s+(?:i|we|it|staff)\s+(?:allowed|ok|okay|permitted|able)\b"
    r"|^\s*is\s+it\s+(?:ok|okay|fine|alright|acceptable)\b"
    r"|^\s*(?:how|when|where|who|why)\s+(?:do|does|should|can|must|to)\b"
    r"|^\s*what\s+(?:is|are|does|do|should|happens)\b"
    r"|^\s*do\s+(?:i|we)\s+(?:need|have)\b",
    re.IGNORECASE,
)
HELP_WORDS = frozenset({"", "help", "hi", "hello", "hey", "?", "start", "-h", "--help"})
#: Commands and the sub-commands that make a message one ("watch add Acme"); "Watch our
#: video!" stays a draft.
COMMANDS: dict[str, frozenset[str]] = {
    "watch": frozenset({"", "list", "add", "remove"}),
    "reports": frozenset({""}),  # approvers: "Was this right?" reports to confirm or dismiss
    "settings": frozenset({""}),  # admins/approvers: this workspace's settings (Teams card)
}
#: Longer than this, a message is a draft even when it starts like a question.
MAX_QUESTION = 300


@dataclass(frozen=True, slots=True)
class Intent:
    """What a message asks for; ``body`` is the draft, the question or the command's arguments."""

    kind: IntentKind
    body: str = ""
    command: str = ""


def classify(text: str) -> Intent:
    """Read a plain chat message (DM or mention, the bot's own mention already removed).

    >>> classify("Can I comment on a court case on Facebook?").kind
    'question'
    >>> classify("Great turnout at the library today!").kind
    'draft'
    >>> classify("watch add Acme Ltd")
    Intent(kind='command', body='add Acme Ltd', command='watch')
    """
    stripped = text.strip()
    if stripped.lower().rstrip("!.") in HELP_WORDS:
        return Intent("help")
    m = DRAFT_PREFIX.match(stripped)
    if m:
        return Intent("draft", m.group("draft").strip())
    m = ASK_PREFIX.match(stripped)
    if m:
        return Intent("question", m.group("q").strip())
    words = stripped.split(maxsplit=2)
    head = words[0].lower()
    if head in COMMANDS and "\n" not in stripped:
        sub = words[1].lower() if len(words) > 1 else ""
        if sub in COMMANDS[head]:
            return Intent("command", stripped[len(words[0]) :].strip(), command=head)
    short = len(stripped) <= MAX_QUESTION and "\n" not in stripped
    if short and (stripped.endswith("?") or QUESTION_START.match(stripped)):
        return Intent("question", stripped)
    return Intent("draft", stripped)
