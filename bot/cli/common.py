"""What the approver-facing sub-commands (``queue``, ``watch``, ``feedback``) share.

Their options (``--config``, ``--json``; ``--by``/``--by-name`` where an approver
acts), the group's help (exit 2), the acting person (platform ``cli``: approvers
come from ``approvers.cli``, ``approvers.any`` and ``CANIPOST_APPROVERS``; the
refusal, exit 3, is the service's) and JSON output. Nothing heavy is imported here.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.workflow.types import Actor

#: The platform the command line acts as.
PLATFORM = "cli"


def add_common(p: argparse.ArgumentParser) -> None:
    """``--config FILE`` and ``--json``, on every action."""
    p.add_argument("--config", metavar="FILE", help="organisation config YAML ($CANIPOST_CONFIG)")
    p.add_argument("--json", action="store_true", help="print JSON")


def add_by(
    p: argparse.ArgumentParser, *, what: str = "your approver id", name: bool = True
) -> None:
    """``--by ID`` (required) and, with ``name``, ``--by-name NAME``: who acts."""
    p.add_argument("--by", required=True, metavar="ID", help=what)
    if name:
        p.add_argument("--by-name", metavar="NAME", help="your display name")


def acting(args: argparse.Namespace) -> Actor:
    """The person ``--by`` (and ``--by-name``) names, as platform ``cli``."""
    from bot.workflow.types import Actor

    return Actor(PLATFORM, args.by.strip(), getattr(args, "by_name", None))


def group_help(p: argparse.ArgumentParser) -> int:
    """A command group run without an action: its help, exit 2."""
    p.print_help()
    return 2


def print_json(data: Any, *, indent: int | None = None) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=indent))
