"""Teams text in and out: pure string functions.

Teams sends a mention of the bot as ``<at>canipost</at>`` (the SDK strips
that one), mentions of other people in the same markup, and the message a
message-extension action points at as HTML. We review what the person would
post, so :func:`to_plain` and :func:`html_to_text` turn those back into text.
Going out, :func:`md_escape` keeps names and ids from being read as markdown
in a ``TextBlock``; drafts themselves go in ``TextRun``s, which Teams never
parses as markdown.
"""

from __future__ import annotations

import hashlib
import html
import re

_AT = re.compile(r"<at(?:\s[^>]*)?>(.*?)</at>", re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<\s*(?:br|/p|/div|/ul|/ol|/h[1-6])\s*/?\s*>", re.IGNORECASE)
_ITEM = re.compile(r"<\s*li(?:\s[^>]*)?>", re.IGNORECASE)
_TAG = re.compile(r"<[^<>]+>")
_BLANK_LINES = re.compile(r"\n{3,}")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]()#>~|!-])")

#: "review: ...", "check this - ...", "can I post: ..." (the same words the Slack app takes).
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
HELP_WORDS = frozenset({"", "help", "hi", "hello", "hey", "?", "start"})
#: Longer than this, a message is a draft even when it starts like a question.
MAX_QUESTION = 300


def to_plain(text: str) -> str:
    """Teams message text → what the author typed: ``<at>Sam</at>`` → ``@Sam``, entities decoded.

    >>> to_plain("Thanks <at>Sam Jones</at> &amp; team")
    'Thanks @Sam Jones & team'
    """
    out = _AT.sub(lambda m: "@" + m.group(1).strip(), text)
    return html.unescape(out).replace("\xa0", " ")


def html_to_text(markup: str) -> str:
    """The HTML body of a Teams message → plain text, keeping line and list breaks.

    >>> html_to_text("<p>Hello <b>all</b></p><p>Join us&nbsp;today</p>")
    'Hello all\\nJoin us today'
    """
    out = _AT.sub(lambda m: "@" + m.group(1).strip(), markup)
    out = _ITEM.sub("\n• ", out)
    out = _BREAK.sub("\n", out)
    out = _TAG.sub("", out)
    out = html.unescape(out).replace("\xa0", " ").replace("\r\n", "\n")
    lines = [line.rstrip() for line in out.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def classify(text: str) -> tuple[str, str]:
    """What a chat message asks for: ``("help", "")``, ``("review", draft)`` or ``("ask", question)``.

    A draft is anything with a ``review:`` style prefix, or any message that
    does not read as a question about the policy: in a chat with a reviewing
    bot, pasting a post means "check this".

    >>> classify("review: Come to the fair!")
    ('review', 'Come to the fair!')
    >>> classify("Can I comment on a court case on Facebook?")
    ('ask', 'Can I comment on a court case on Facebook?')
    >>> classify("Great turnout at the library today!")
    ('review', 'Great turnout at the library today!')
    """
    stripped = text.strip()
    if stripped.lower().rstrip("!.") in HELP_WORDS:
        return ("help", "")
    m = DRAFT_PREFIX.match(stripped)
    if m:
        return ("review", m.group("draft").strip())
    m = ASK_PREFIX.match(stripped)
    if m:
        return ("ask", m.group("q").strip())
    short = len(stripped) <= MAX_QUESTION and "\n" not in stripped
    if short and (stripped.endswith("?") or QUESTION_START.match(stripped)):
        return ("ask", stripped)
    return ("review", stripped)


def md_escape(text: str) -> str:
    """Backslash-escape markdown so a name like ``_Sam_`` shows as typed in a TextBlock."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def activity_key(kind: str, *parts: str | None) -> str:
    """An idempotency key from Teams ids: ``teams:<kind>:<digest>``.

    Teams conversation ids run to hundreds of characters, so the ids are
    hashed; the same activity (a redelivery) always yields the same key.

    >>> activity_key("decide", "19:abc@thread.tacv2", "1700000000000")[:13]
    'teams:decide:'
    """
    digest = hashlib.sha256("\x1f".join(p or "" for p in parts).encode()).hexdigest()[:40]
    return f"teams:{kind}:{digest}"
