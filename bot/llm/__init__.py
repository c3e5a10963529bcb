"""The LLM layer: critique, redaction before the wire, and the client they share.

The review core needs two names::

    from bot.llm import critique_enabled, critique_verdict
    if critique_enabled(config):
        verdict = critique_verdict(draft, verdict, config=config)  # never raises

Modules: :mod:`~bot.llm.client` (openai SDK, tenacity retries, deadline,
structured-output fallback), :mod:`~bot.llm.redaction` (typed placeholders),
:mod:`~bot.llm.critique`, :mod:`~bot.llm.merge`, :mod:`~bot.llm.cache`,
:mod:`~bot.llm.fallback` (errors, reasons, circuit breaker),
:mod:`~bot.llm.prompts` (templates in ``prompts/``) and :mod:`~bot.llm.fake`
(a loopback OpenAI-compatible server for tests and demos).
"""

from __future__ import annotations

from bot.llm.client import LLMClient, LLMSettings, get_client, llm_enabled, settings_from_config
from bot.llm.critique import critique_verdict
from bot.llm.fallback import (
    LLMError,
    LLMInvalidAnswer,
    LLMNotConfigured,
    LLMRejected,
    LLMUnavailable,
)
from bot.llm.redaction import Redaction, redact

#: True when the organisation wants the critique and the environment can reach a model.
critique_enabled = llm_enabled

__all__ = [
    "LLMClient",
    "LLMError",
    "LLMInvalidAnswer",
    "LLMNotConfigured",
    "LLMRejected",
    "LLMSettings",
    "LLMUnavailable",
    "Redaction",
    "critique_enabled",
    "critique_verdict",
    "get_client",
    "redact",
    "reset",
    "settings_from_config",
]


def reset() -> None:
    """Forget cached answers, clients, known formats and circuit state (tests, config reload)."""
    from bot.llm import client, critique
    from bot.policy.retrieval import clear_cache as clear_index_cache

    client.reset()
    critique.clear_cache()
    clear_index_cache()
