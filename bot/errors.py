"""The exception hierarchy, in one place.

CanipostError            anything we raise on purpose; the CLI prints it, no traceback
├── ConfigError          organisation config or policy pack is wrong (exit 2)
│   └── PolicyError      a rule file is invalid; the message names file:line
├── InputError           a draft or argument cannot be used (exit 2)
└── WorkflowError        an approval action was refused (exit 3); see bot.workflow
"""

from __future__ import annotations


class CanipostError(Exception):
    """Base class: an error with a message fit to show a user."""

    exit_code = 2


class ConfigError(CanipostError):
    """The configuration (org file or policy) cannot be used."""


class PolicyError(ConfigError):
    """A policy pack, profile or rule is invalid."""


class InputError(CanipostError):
    """The draft or request is unusable (empty, binary, too large...)."""


class WorkflowError(CanipostError):
    """An approval-workflow action was refused."""

    exit_code = 3
