"""The ``canipost`` entry point: a static command table, each command imported only when run."""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys

import pytest

from bot.cli.main import COMMANDS, build_parser

ENV = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CANIPOST_", "AZURE_"))}


def _present(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name == module:
            return False
        raise
    return True


def _loaded_modules(*args: str) -> set[str]:
    """The modules a real ``canipost`` process has imported when the command finishes."""
    code = (
        "import sys, atexit\n"
        "from bot.cli.main import main\n"
        "atexit.register(lambda: sys.stderr.write('MODULES ' + ' '.join(sys.modules) + '\\n'))\n"
        f"sys.exit(main({list(args)!r}))\n"
    )
    p = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, env=ENV, timeout=120, text=True
    )
    line = [ln for ln in p.stderr.splitlines() if ln.startswith("MODULES ")]
    assert line, p.stderr
    return set(line[-1].split()[1:])


@pytest.mark.parametrize(("name", "module", "helptext"), COMMANDS)
def test_table_matches_each_commands_own_help(name: str, module: str, helptext: str) -> None:
    """The one-line help in --help comes from the table; it must say what the command says."""
    if not _present(module):
        pytest.skip(f"{module} is not in this checkout")
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    importlib.import_module(module).register(sub)
    actions = {a.dest: a.help for a in sub._choices_actions}
    assert actions.get(name) == helptext


def test_help_lists_every_command_without_importing_them() -> None:
    p = subprocess.run(
        [sys.executable, "-m", "bot", "--help"], capture_output=True, env=ENV, text=True
    )
    assert p.returncode == 0 and "Traceback" not in p.stderr
    for name, module, _ in COMMANDS:
        if _present(module):
            assert f"    {name} " in p.stdout, name
    loaded = _loaded_modules("--help")
    for heavy in ("sqlalchemy", "openai", "slack_bolt", "aiohttp", "bot.review", "bot.policy"):
        assert heavy not in loaded, heavy
    assert not {m for m in loaded if m.startswith("bot.cli.") and m != "bot.cli.main"}


def test_check_imports_no_database_or_chat_sdk() -> None:
    loaded = _loaded_modules("check", "--no-llm", "Lovely day at the park.")
    for heavy in ("sqlalchemy", "alembic", "slack_bolt", "slack_sdk", "bot.store", "bot.cli.queue"):
        assert heavy not in loaded, heavy


def test_full_parser_still_parses_every_command() -> None:
    """Without a command name every module registers for real (tests and tools use this)."""
    parser = build_parser()
    args = parser.parse_args(["check", "--json", "hello"])
    assert args.command == "check" and args.json


def test_unknown_command_is_one_usage_error() -> None:
    p = subprocess.run(
        [sys.executable, "-m", "bot", "chek", "hello"], capture_output=True, env=ENV, text=True
    )
    assert p.returncode == 2
    assert "invalid choice: 'chek'" in p.stderr and "Traceback" not in p.stderr
