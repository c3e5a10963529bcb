"""The deploy files: pinned requirements in step with pyproject, a slim non-root image that checks /healthz.

No Docker daemon or registry is reachable here, so the image itself is not built; what the
build and the platforms rely on is checked instead, and the HEALTHCHECK command is run
against a real server.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bot.server import build_app
from bot.server.live import LiveServer
from bot.store import open_store

REPO = Path(__file__).resolve().parents[2]


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (REPO / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[canonicalize_name(name.split("[")[0])] = version.strip()
    return pins


def test_requirements_pin_every_dependency_of_pyproject_within_its_range() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pins = _pins()
    for spec in project["dependencies"]:
        req = Requirement(spec)
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is in pyproject.toml but not in requirements.txt"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"requirements.txt pins {req.name}=={pins[name]}, outside {req.specifier}; "
            "regenerate it (docs/deploy.md)"
        )
    text = (REPO / "requirements.txt").read_text()
    assert "uv pip compile pyproject.toml" in text  # says how it was made
    assert text.rstrip().splitlines()[-1] == "."  # and installs the app (the `canipost` command)


def test_one_python_version_for_heroku_docker_and_pyproject() -> None:
    version = (REPO / ".python-version").read_text().strip()
    dockerfile = (REPO / "Dockerfile").read_text()
    assert f"ARG PYTHON_VERSION={version}" in dockerfile
    assert f"--python-version {version}" in (REPO / "requirements.txt").read_text()
    requires = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert Requirement(f"python{requires}").specifier.contains(version + ".0")


def _instructions() -> list[tuple[str, str]]:
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_dockerfile_is_slim_non_root_and_checks_healthz() -> None:
    steps = _instructions()
    bases = [rest for word, rest in steps if word == "FROM"]
    assert bases and all("-slim" in b for b in bases)
    users = [rest for word, rest in steps if word == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    last_from = max(i for i, (w, _) in enumerate(steps) if w == "FROM")
    assert any(w == "USER" for w, _ in steps[last_from:])  # the runtime stage is non-root
    (health,) = [rest for word, rest in steps if word == "HEALTHCHECK"]
    assert "/healthz" in health and "CMD" in health
    assert any(w == "EXPOSE" for w, _ in steps)


def _ignored(path: str) -> bool:
    """Docker's .dockerignore rule: the last matching pattern wins; ``!`` re-includes."""
    ignored = False
    for raw in (REPO / ".dockerignore").read_text().splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        pattern = pattern.removeprefix("**/")
        if (
            fnmatch(path, pattern)
            or fnmatch(Path(path).name, pattern)
            or path.startswith(pattern + "/")
        ):
            ignored = not negate
    return ignored


def test_everything_the_dockerfile_copies_exists_and_is_in_the_build_context() -> None:
    copies = [rest for word, rest in _instructions() if word == "COPY" and "--from" not in rest]
    assert copies
    for rest in copies:
        *sources, _dest = shlex.split(rest)
        for source in sources:
            assert (REPO / source).exists(), f"COPY {source}: not in the repository"
            assert not _ignored(source), f"COPY {source}: excluded by .dockerignore"
    for secret in (".env", "canipost.db", "tests/conftest.py", ".venv/bin/python", ".git/HEAD"):
        assert _ignored(secret), f"{secret} would be sent to the Docker daemon"


def test_the_healthcheck_command_passes_on_a_live_server_and_fails_without_one(
    tmp_path: Path,
) -> None:
    (health,) = [rest for word, rest in _instructions() if word == "HEALTHCHECK"]
    argv = json.loads(health[health.index("CMD") + 3 :].strip())
    assert argv[0] == "python"
    store = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    app = build_app(platforms=[], store=store, tick=False)
    with LiveServer(app) as server:
        env = {"PORT": str(server.port), "PATH": "/usr/bin:/bin"}
        ok = subprocess.run([sys.executable, *argv[1:]], env=env, capture_output=True, timeout=30)
        assert ok.returncode == 0, ok.stderr
    dead = subprocess.run([sys.executable, *argv[1:]], env=env, capture_output=True, timeout=30)
    assert dead.returncode != 0
    store.dispose()


@pytest.mark.parametrize("name", ["Procfile"])
def test_heroku_runs_migrations_on_release_and_serves_web(name: str) -> None:
    text = (REPO / name).read_text()
    assert re.search(r"^web:\s*canipost serve", text, re.M)
    assert re.search(r"^release:\s*canipost db upgrade", text, re.M)
