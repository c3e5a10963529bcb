"""The watch list inside real reviews: in other processes, within the refresh bound,
without SQLAlchemy on the check path, and never failing a review."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from watch_actors import BOB

from bot.config import Config
from bot.review import review_rules
from bot.store import open_store, upgrade
from bot.store.engine import make_engine
from bot.verdict import Draft
from bot.watch import watch_spans
from bot.watch.live import REFRESH_SECONDS, LiveWatchList, WatchUnavailable, sqlite_path
from bot.watch.service import WatchList

REPO = Path(__file__).resolve().parents[2]
DRAFT = "Thrilled to share #ProjectLighthouse with you all next week"

COLD = """
import json, sys
from bot.config import Config
from bot.text import prepare
from bot.verdict import Draft, Verdict
from bot.watch.layer import apply
text = sys.argv[1]
v = apply(Verdict([], "p"), draft=Draft(text), text=text, prepared=prepare(text), config=Config())
print(json.dumps({"rules": [f.rule for f in v.findings], "sqlalchemy": "sqlalchemy" in sys.modules}))
"""


def _env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CANIPOST_"))}
    env.update(DATABASE_URL=url, PYTHONUNBUFFERED="1", PYTHONPATH=str(REPO))
    return env


def test_check_path_reads_sqlite_without_sqlalchemy(tmp_path: Path, config: Config) -> None:
    url = f"sqlite:///{tmp_path / 'list.db'}"
    store = open_store(url)
    WatchList(store, config=config).add("Project Lighthouse", kind="embargo", by=BOB)
    store.dispose()
    out = subprocess.run(
        [sys.executable, "-c", COLD, DRAFT], env=_env(url), capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"rules": ["watch.embargo"], "sqlalchemy": False}


def test_check_never_creates_the_database(tmp_path: Path) -> None:
    db = tmp_path / "absent.db"
    out = subprocess.run(
        [sys.executable, "-c", COLD, DRAFT],
        env=_env(f"sqlite:///{db}"),
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"rules": [], "sqlalchemy": False}
    assert not db.exists()


def test_a_running_worker_sees_changes_within_the_refresh_bound(
    db_url: str, config: Config
) -> None:
    """A long-running `canipost check --jsonl -` process stands in for a web worker."""
    store = open_store(db_url)
    wl = WatchList(store, config=config)
    worker = subprocess.Popen(
        [sys.executable, "-m", "bot", "check", "--jsonl", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(db_url),
        text=True,
        cwd=REPO,
    )
    assert worker.stdin is not None and worker.stdout is not None

    def ask() -> list[str]:
        assert worker.stdin is not None and worker.stdout is not None
        worker.stdin.write(json.dumps({"text": DRAFT}) + "\n")
        worker.stdin.flush()
        verdict = json.loads(worker.stdout.readline())
        return [f["rule"] for f in verdict["findings"] if f["rule"].startswith("watch.")]

    try:
        assert ask() == []
        entry = wl.add("Project Lighthouse", kind="embargo", by=BOB)
        added = time.monotonic()
        seen: list[str] = []
        while not seen and time.monotonic() - added < 10:
            seen = ask()
        assert seen == ["watch.embargo"]
        assert time.monotonic() - added < REFRESH_SECONDS + 1.5  # bound plus a review
        wl.remove(entry.id, by=BOB)
        removed = time.monotonic()
        while seen and time.monotonic() - removed < 10:
            seen = ask()
        assert seen == []
    finally:
        worker.stdin.close()
        worker.wait(timeout=30)
        store.dispose()
    # Exit 1: one of the drafts must not be posted; nothing on stderr.
    assert worker.stderr is not None and worker.stderr.read() == ""
    assert worker.returncode == 1


def test_refresh_is_bounded_and_cheap(db_url: str, config: Config) -> None:
    """Two workers' views of one database, on a settable clock: at most one marker read a second."""
    store = open_store(db_url)
    now = [100.0]
    worker = LiveWatchList(db_url, clock=lambda: now[0])
    assert worker.matcher() is None
    e = WatchList(store, config=config).add("Project Lighthouse", kind="embargo", by=BOB)
    now[0] += REFRESH_SECONDS / 2
    assert worker.matcher() is None  # not re-read yet: within the bound
    now[0] += REFRESH_SECONDS / 2
    first = worker.matcher()
    assert first is not None and [x.id for x in first.entries] == [e.id]
    now[0] += REFRESH_SECONDS
    assert worker.matcher() is first  # marker unchanged: no rebuild
    WatchList(store, config=config).add("Kingfisher", kind="codename", by=BOB)
    now[0] += REFRESH_SECONDS
    second = worker.matcher()
    assert second is not first and second is not None and len(second) == 2
    store.dispose()


def test_a_database_before_migration_0004_means_an_empty_list(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    upgrade(engine, "0003")
    engine.dispose()
    assert LiveWatchList(url).matcher() is None


def test_an_unreadable_list_never_fails_a_review_but_redaction_is_told(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "broken.db"
    db.write_bytes(b"this is not a database file at all" * 100)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
    verdict = review_rules(Draft("Lovely day at the park"), config=Config())
    assert verdict.decision.label == "ok"
    assert "watch list unavailable" in caplog.text
    with pytest.raises(WatchUnavailable, match="cannot be read"):
        watch_spans("Project Lighthouse", Config())


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///canipost.db", "canipost.db"),
        ("sqlite:////var/lib/canipost.db", "/var/lib/canipost.db"),
        ("sqlite+pysqlite:///a%20b.db?timeout=3", "a b.db"),
        ("sqlite://", ""),
        ("sqlite:///:memory:", ""),
        ("postgresql+psycopg://u@h/db", None),
    ],
)
def test_sqlite_path(url: str, path: str | None) -> None:
    assert sqlite_path(url) == path
