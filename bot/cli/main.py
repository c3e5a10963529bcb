"""Entry point of the ``canipost`` command.

Each sub-command lives in its own module exposing ``register(subparsers)``;
the handler it sets as ``func`` takes the parsed args and returns the exit
status. Errors we raise on purpose (:class:`bot.errors.CanipostError`) are
printed as one line on stderr; nothing reaches the user as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import os
import sys
from collections.abc import Sequence

from bot.errors import CanipostError

#: Every sub-command, in ``--help`` order: (name, module, one-line help). The table is
#: static so that ``canipost --help`` and ``canipost check`` import only what they run:
#: a command's module (and its SQLAlchemy, Slack or HTTP imports) loads when it is used.
#: Each module exposes ``register(subparsers)``; its ``help=`` must match the line here
#: (``tests/cli/test_cli_main.py`` checks it).
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("check", "bot.cli.check", "review a draft post (or a JSONL batch) against the policy"),
    ("ask", "bot.cli.ask", "ask a question about the social media policy"),
    ("policy", "bot.cli.policy", "lint, test or list the policy packs"),
    ("eval", "bot.cli.evaluate", "measure the reviewer on a labelled JSONL file"),
    ("queue", "bot.cli.queue", "the approval queue: submit, list, show, decide, withdraw, tick"),
    ("audit", "bot.cli.audit", "export the audit log of the approval queue"),
    ("feedback", "bot.cli.feedback", "report a false alarm or a miss, and review reports"),
    ("model", "bot.cli.model", "the learned layer: train, show and reset the organisation model"),
    (
        "watch",
        "bot.cli.watch",
        "the comms team's watch list: live cases, injunctions, embargoes, codenames",
    ),
    ("dashboard", "bot.cli.dashboard", "the web dashboard: print a one-time sign-in link"),
    ("db", "bot.cli.db", "database schema: upgrade, current"),
    ("serve", "bot.cli.serve", "run the Slack (and Teams) app, /healthz, /readyz and /metrics"),
    ("teams", "bot.cli.teams", "Microsoft Teams: build the app package to install"),
)

#: The modules alone, in the same order (kept for callers of the earlier name).
COMMAND_MODULES: tuple[str, ...] = tuple(module for _, module, _ in COMMANDS)


def _available(module: str) -> bool:
    """Is the command's module in this build? (A path lookup, no import.)"""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``canipost`` parser.

    With ``command`` only that sub-command's module is imported and registered; the
    others appear in ``--help`` from :data:`COMMANDS` without being imported. Without
    it every command is registered for real (tests, documentation tools).
    """
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
    for name, module_name, helptext in COMMANDS:
        if command is None or name == command:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name == module_name:
                    continue  # command not built yet in this checkout
                raise
            module.register(sub)
        elif _available(module_name):
            sub.add_parser(name, help=helptext, add_help=False)
    return parser


def _command_in(argv: Sequence[str]) -> str | None:
    """The sub-command named on the command line (the first word that is not an option)."""
    for arg in argv:
        if not arg.startswith("-"):
            return arg
        if arg == "--":
            return None
    return None


def _version() -> str:
    from bot import __version__

    return f"canipost {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = _command_in(argv)
    # `canipost` alone or `canipost --help`: the table is enough, import no command.
    parser = build_parser(command or "")
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
