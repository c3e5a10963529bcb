"""No import runs back up the layers, and Slack and Teams never import each other.

Layers, top to bottom (each may import only what is below it):
the host (``bot.server``, ``bot.cli``) → the surfaces (``bot.slack``,
``bot.teams``, ``bot.dashboard``) → ``bot.conversation`` → the core
(``bot.workflow``, ``bot.review``, ``bot.ask``, ``bot.llm``, ``bot.feedback``,
``bot.watch``, ``bot.learned``) → ``bot.store``, ``bot.policy``,
``bot.detectors`` and the contract's types. Every ``import`` statement counts,
lazy ones inside functions too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[2] / "bot"
HOST = {"server", "cli", "__main__"}
SURFACES = {"slack", "teams", "dashboard"}
CONVERSATION = {"conversation"}
#: What each layer must never import.
FORBIDDEN: dict[str, set[str]] = {
    "conversation": HOST | SURFACES,
    "workflow": HOST | SURFACES | CONVERSATION,
    "store": HOST | SURFACES | CONVERSATION | {"workflow"},
    "policy": HOST | SURFACES | CONVERSATION | {"workflow", "store"},
    "verdict": HOST | SURFACES | CONVERSATION | {"workflow", "store"},
    "adapters": HOST | SURFACES | CONVERSATION,
    "slack": HOST - {"server"} | {"teams", "dashboard"},
    "teams": HOST - {"server"} | {"slack", "dashboard"},
}


def _imports(path: Path) -> set[str]:
    """The ``bot.<package>`` names a module imports (absolute imports; we use no relative ones)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "bot" and len(parts) > 1:
                found.add(parts[1])
    return found


def _modules(layer: str) -> list[Path]:
    folder = BOT / layer
    if folder.is_dir():
        return sorted(folder.rglob("*.py"))
    return [BOT / f"{layer}.py"]


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_no_import_runs_back_up_the_layers(layer: str) -> None:
    wrong = {
        f"{path.relative_to(BOT)} imports bot.{name}"
        for path in _modules(layer)
        for name in _imports(path) & FORBIDDEN[layer]
    }
    assert not wrong, sorted(wrong)


def test_slack_and_teams_import_the_server_only_to_install_their_routes() -> None:
    """The installers (``bot/slack/http.py`` and its OAuth pages, ``bot/teams/server.py``)
    take the host's context; nothing else on a surface knows about the host."""
    allowed = {BOT / "slack" / "http.py", BOT / "slack" / "oauth.py", BOT / "teams" / "server.py"}
    wrong = [
        str(p.relative_to(BOT))
        for layer in ("slack", "teams")
        for p in _modules(layer)
        if "server" in _imports(p) and p not in allowed and p.name != "testing.py"
    ]
    assert not wrong


def test_the_import_reader_sees_lazy_imports_too() -> None:
    steps = _imports(BOT / "conversation" / "steps.py")
    assert {"workflow", "review", "conversation"} <= steps  # ``review`` is imported lazily
