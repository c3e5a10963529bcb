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

import html
import re

from bot.workflow.keys import request_key

_AT = re.compile(r"<at(?:\s[^>]*)?>(.*?)</at>", re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<\s*(?:br|/p|/div|/ul|/ol|/h[1-6])\s*/?\s*>", re.IGNORECASE)
_ITEM = re.compile(r"<\s*li(?:\s[^>]*)?>", re.IGNORECASE)
_TAG = re.compile(r"<[^<>]+>")
_BLANK_LINES = re.compile(r"\n{3,}")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]()#>~|!-])")


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


def md_escape(text: str) -> str:
    """Backslash-escape markdown so a name like ``_Sam_`` shows as typed in a TextBlock."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def activity_key(kind: str, *parts: str | None) -> str:
    """An idempotency key from Teams ids: ``teams:<kind>:<digest>`` (:mod:`bot.workflow.keys`).

    >>> activity_key("decide", "19:abc@thread.tacv2", "1700000000000")[:13]
    'teams:decide:'
    """
    return request_key("teams", kind, *parts)
