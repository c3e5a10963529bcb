"""canipost: can I post this? Review social media drafts against the organisation's policy.

The public surface is re-exported here and pinned by ``tests/test_public_api.py``::

    from bot import Draft, review, load_config
    verdict = review(Draft("Mrs Patel in bed 4 went home after her stroke"), config=load_config())
    verdict.decision.label  # 'do_not_post'

Policy questions: ``from bot.ask import ask`` (kept out of this namespace so that the
submodule ``bot.ask`` never shadows the function).
"""

from __future__ import annotations

from bot.config import Config, load_config
from bot.errors import CanipostError, ConfigError, InputError, PolicyError, WorkflowError

# Imported eagerly: the submodule ``bot.review`` would otherwise shadow the function.
from bot.review import review
from bot.verdict import CATEGORIES, CHANNELS, Draft, Finding, Severity, Verdict

__version__ = "0.1.0"

__all__ = [
    "CATEGORIES",
    "CHANNELS",
    "CanipostError",
    "Config",
    "ConfigError",
    "Draft",
    "Finding",
    "InputError",
    "PolicyError",
    "Severity",
    "Verdict",
    "WorkflowError",
    "__version__",
    "load_config",
    "review",
]
