"""What every chat adapter (Slack, Teams) needs from the core, written once.

The adapters translate; these helpers bind the core's functions to an
organisation's config and make sure a misconfigured optional layer (the LLM)
degrades to rules-only instead of stopping the app.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bot.config import Config
from bot.policy import load_policy
from bot.verdict import Draft, Verdict

log = logging.getLogger("canipost.adapters")

#: A review bound to a config: draft in, verdict out.
Reviewer = Callable[[Draft], Verdict]
#: A policy question bound to a config: (question, use_llm) -> the Answer's JSON.
Asker = Callable[[str, bool | None], dict[str, Any]]


def policy_titles(config: Config) -> dict[str, str]:
    """Protocol anchors → section headings, for "📖 Court cases" under a finding."""
    return {anchor: s.heading for anchor, s in load_policy(config).sections.items()}


def llm_enabled(config: Config) -> bool:
    """True when the LLM layer is configured (``OPENAI_API_KEY``); never fails startup."""
    try:
        from bot.llm import critique_enabled

        return bool(critique_enabled(config))
    except Exception:  # a misconfigured LLM must not stop the chat app
        log.warning("LLM configuration unusable; reviewing with rules only", exc_info=True)
        return False


def asker(config: Config) -> Asker:
    """``bot.ask.ask`` bound to ``config``, answering as JSON."""
    from bot.ask import ask

    def _ask(question: str, use_llm: bool | None) -> dict[str, Any]:
        result: dict[str, Any] = ask(question, config=config, use_llm=use_llm).to_dict()
        return result

    return _ask


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, saying how much was left out.

    Both Block Kit and Adaptive Cards have text limits; the author should see
    that something was cut, and how much.

    >>> clip("abcdefghij", 9)
    'abc… (+7)'
    """
    if len(text) <= limit:
        return text
    for _ in range(3):  # the note's own length depends on the number it shows
        note = f"… (+{len(text) - max(limit - 8, 0)})"
        keep = max(limit - len(note), 0)
        note = f"… (+{len(text) - keep})"
        if keep + len(note) <= limit:
            return text[:keep] + note
    return text[: max(limit - 1, 0)] + "…"
