"""Slack's message markup in and out: pure string functions.

Slack sends text with ``&``, ``<`` and ``>`` escaped and links, mentions and
channels wrapped in angle brackets; we review what the person would post, so
:func:`to_plain` undoes that. Going out, :func:`escape` stops a draft that
contains ``<!channel>`` from pinging a whole channel when we quote it.
"""

from __future__ import annotations

import re

from bot.adapters import clip

_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")
_MENTION_PREFIX = re.compile(r"^\s*<@[A-Z0-9]+>[\s:,]*")


def _link(match: re.Match[str]) -> str:
    target, label = match.group(1), match.group(2)
    if target.startswith("@"):
        return "@" + (label or target[1:])
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!"):
        return "@" + (label or target[1:].split("^")[0])
    if target.startswith("mailto:"):
        return label or target[len("mailto:") :]
    # A link the user typed bare arrives as <https://x> or <https://x|x>: keep the URL,
    # which is what the post will contain and what the link rules look at.
    return target


def to_plain(text: str) -> str:
    """Slack-formatted text → what the author typed.

    >>> to_plain("Call &lt;now&gt; <mailto:a@b.org|a@b.org> <https://x.org|x.org>")
    'Call <now> a@b.org https://x.org'
    """
    out = _LINK.sub(_link, text)
    return out.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def strip_leading_mention(text: str) -> str:
    """``<@U123> can I post: hi`` → ``can I post: hi`` (app mentions start with ours)."""
    return _MENTION_PREFIX.sub("", text, count=1)


def escape(text: str) -> str:
    """Escape the three characters Slack treats as markup in ``mrkdwn`` and ``plain_text``."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quote_block(text: str) -> str:
    """Escaped text as a Slack block quote, one ``>`` per line."""
    lines = escape(text).splitlines() or [""]
    return "\n".join(f">{line}" if line else ">" for line in lines)


def fit_quote(text: str, limit: int) -> tuple[str, bool]:
    """A block quote of ``text`` no longer than ``limit`` characters; True when cut.

    Escaping lengthens the text, so the cut is made on the raw text and
    tightened until the escaped quote fits (never splitting an entity).
    """
    out = quote_block(text)
    if len(out) <= limit:
        return out, False
    budget = min(len(text), limit)
    while budget > 0:
        out = quote_block(clip(text, budget))
        if len(out) <= limit:
            return out, True
        # shrink in proportion to the overshoot (escaping can triple the length)
        budget = min(budget - 1, int(budget * limit / len(out)))
    return "", True
