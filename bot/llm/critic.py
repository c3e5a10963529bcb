"""The built-in critic: the LLM critique, as :func:`bot.review.review` finds it.

:data:`bot.review.CRITICS` names critics as ``"module:attribute"``, the way the
``llm`` tool lists its built-in plugins beside the ones it finds through
entry points; this module is the built-in ``llm`` entry. It imports nothing
heavy: deciding that no model is configured must not load the ``openai`` SDK
on the ``canipost check`` path.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from bot.config import Config
from bot.verdict import Draft, Verdict


def _env(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def llm_enabled(config: Config, environ: Mapping[str, str] | None = None) -> bool:
    """On when a key is set (``OPENAI_API_KEY`` / ``AZURE_OPENAI_API_KEY``) or ``llm.enabled: true``.

    ``llm.enabled: false`` in the organisation config turns it off whatever
    the environment says.
    """
    env = os.environ if environ is None else environ
    enabled = config.llm.get("enabled")
    if enabled is not None:
        return bool(enabled)
    return bool(_env(env, "OPENAI_API_KEY") or _env(env, "AZURE_OPENAI_API_KEY"))


class LLMCritic:
    """The model reads the redacted draft against the relevant protocol sections.

    It may add findings and a rewrite, never lower the rules' decision, and
    never raises: a failure returns the rules verdict with ``llm: "failed"``.
    """

    name = "llm"

    def enabled(self, config: Config) -> bool:
        return llm_enabled(config)

    def __call__(self, draft: Draft, verdict: Verdict, *, config: Config) -> Verdict:
        from bot.llm.critique import critique_verdict

        return critique_verdict(draft, verdict, config=config)


#: What ``bot.review.CRITICS["llm"]`` points at.
critic = LLMCritic()
