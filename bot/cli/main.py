"""Entry point of the ``canipost`` command.

Each sub-command lives in its own module exposing ``register(subparsers)``;
the handler it sets as ``func`` takes the parsed args and returns the exit
status. Errors we raise on purpose (:class:`bot.errors.CanipostError`) are
printed as one line on stderr; nothing reaches the user as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from bot.errors import CanipostError

#: Sub-command modules, in the order they appear in ``--help``.
COMMAND_MODULES: tuple[str, ...] = (
    "bot.cli.check",
    "bot.cli.ask",
    "bot.cli.policy",
    "bot.cli.evaluate",
    "bot.cli.queue",
    "bot.cli.audit",
    "bot.cli.feedback",
    "bot.cli.model",
    "bot.cli.watch",
    "bot.cli.dashboard",
    "bot.cli.db",
    "bot.cli.serve",
    "bot.cli.teams",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="canipost",
        description=(
            "Can I post this? Review a social media draft against your organisation's "
            "policy, ask about the policy, and run the approval queue."
        ),
        epilog=(
            "Exit status of `check`: 0 ok/advise, 1 needs_approval/do_not_post, "
            "2 usage, configuration or input error. Environment: CANIPOST_CONFIG, "
            "OPENAI_API_KEY, OPENAI_BASE_URL, CANIPOST_MODEL, DATABASE_URL."
        ),
    )
    parser.add_argument("--version", action="version", version=_version())
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log more (-vv for debug)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # command not built yet in this checkout
            raise
        module.register(sub)
    return parser


def _version() -> str:
    from bot import __version__

    return f"canipost {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(
        level=int(os.environ.get("CANIPOST_LOG_LEVEL", level))
        if os.environ.get("CANIPOST_LOG_LEVEL", "").isdigit()
        else level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args))
    except CanipostError as exc:
        print(f"canipost: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("canipost: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # last resort: never a traceback to users
        logging.getLogger("canipost").debug("unexpected error", exc_info=True)
        print(
            f"canipost: unexpected error ({type(exc).__name__}); run with -vv for details",
            file=sys.stderr,
        )
        return 2
