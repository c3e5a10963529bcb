"""The LLM layer: critique, redaction before the wire, and the client they share.

The review core reaches it through its critic registry
(:data:`bot.review.CRITICS`, built-in ``"llm"`` -> :mod:`bot.llm.critic`)::

    from bot.llm import critique_enabled, critique_verdict
    if critique_enabled(config):
        verdict = critique_verdict(draft, verdict, config=config)  # never raises

Modules: :mod:`~bot.llm.client` (openai SDK, tenacity retries, deadline,
structured-output fallback, usage), :mod:`~bot.llm.redaction` (typed
placeholders, by recall), :mod:`~bot.llm.critique` (the prompt budget),
:mod:`~bot.llm.merge`, :mod:`~bot.llm.cache`, :mod:`~bot.llm.usage` (tokens,
latency, cost), :mod:`~bot.llm.fallback` (errors, reasons, circuit breaker),
:mod:`~bot.llm.prompts` (templates in ``prompts/``), :mod:`~bot.llm.critic`
and :mod:`~bot.llm.fake` (a loopback OpenAI-compatible server).

Names are imported on first use (PEP 562), so ``import bot.llm.usage`` or
``bot.llm.critic`` does not load the ``openai`` SDK.
"""

from __future__ import annotations

import importlib
from typing import Any

_NAMES: dict[str, str] = {
    "LLMClient": "bot.llm.client",
    "LLMSettings": "bot.llm.client",
    "get_client": "bot.llm.client",
    "settings_from_config": "bot.llm.client",
    "llm_enabled": "bot.llm.critic",
    "critique_verdict": "bot.llm.critique",
    "LLMError": "bot.llm.fallback",
    "LLMInvalidAnswer": "bot.llm.fallback",
    "LLMNotConfigured": "bot.llm.fallback",
    "LLMRejected": "bot.llm.fallback",
    "LLMUnavailable": "bot.llm.fallback",
    "Redaction": "bot.llm.redaction",
    "redact": "bot.llm.redaction",
}

__all__ = [*sorted(_NAMES), "critique_enabled", "reset"]


def __getattr__(name: str) -> Any:
    if name == "critique_enabled":  # True when the organisation wants it and a model is reachable
        name = "llm_enabled"
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'bot.llm' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def reset() -> None:
    """Forget cached answers, clients, known formats and circuit state (tests, config reload).

    Every :class:`~bot.llm.cache.AnswerCache` (the critique's, ``ask``'s) is
    emptied without importing its owner: ``ask`` imports ``llm``, never the
    other way round.
    """
    from bot.llm import cache, client, critique

    client.reset()
    critique.clear_cache()
    cache.clear_all()
