"""canipost: can I post this? Review social media drafts against the organisation's policy.

The public surface is re-exported here and pinned by ``tests/test_public_api.py``::

    from bot import Draft, review, load_config
    verdict = review(Draft("Mrs Patel in bed 4 went home after her stroke"), config=load_config())
    verdict.decision.label  # 'do_not_post'

Policy questions: ``from bot.ask import ask`` (kept out of this namespace so that the
submodule ``bot.ask`` never shadows the function).

Names are resolved on first use (PEP 562), so ``canipost --help`` and every command
that does not review a draft never pay for loading the review engine.
"""

from __future__ import annotations

import importlib
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.config import Config, load_config
    from bot.errors import CanipostError, ConfigError, InputError, PolicyError, WorkflowError
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

#: Where each public name lives.
_EXPORTS: dict[str, str] = {
    "CATEGORIES": "bot.verdict",
    "CHANNELS": "bot.verdict",
    "Draft": "bot.verdict",
    "Finding": "bot.verdict",
    "Severity": "bot.verdict",
    "Verdict": "bot.verdict",
    "Config": "bot.config",
    "load_config": "bot.config",
    "CanipostError": "bot.errors",
    "ConfigError": "bot.errors",
    "InputError": "bot.errors",
    "PolicyError": "bot.errors",
    "WorkflowError": "bot.errors",
    "review": "bot.review",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'bot' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """Keeps ``bot.review`` the function when the submodule ``bot.review`` is imported.

    Importing a submodule sets it as an attribute of its package; without this the
    module would shadow the public function of the same name.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _EXPORTS and isinstance(value, types.ModuleType):
            if name in self.__dict__:
                return
            value = getattr(value, name)
        super().__setattr__(name, value)


import sys as _sys  # noqa: E402

_sys.modules[__name__].__class__ = _Package
