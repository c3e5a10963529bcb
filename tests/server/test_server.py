"""The HTTP process on its own: health, readiness, metrics, platform installers, outbox, CLI."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.config import Approvers, Config
from bot.errors import ConfigError
from bot.server import build_app, configured_platforms, context_of, register_platform
from bot.server.app import ServerContext
from bot.server.background import FanoutNotifier, tick_once
from bot.slack.testing import LiveServer
from bot.store import Store, open_store
from bot.store.engine import make_engine
from bot.verdict import Verdict
from bot.workflow import Actor, MemoryNotifier

ALICE = Actor("cli", "alice")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path / 'q.db'}")
    yield s
    s.dispose()


@pytest.fixture
def config() -> Config:
    return Config(
        approvers=Approvers(cli=["bob"]),
        workflow={"tick_seconds": 3600, "reminder_after_minutes": 60},
    )


def test_health_ready_metrics_without_any_platform(store: Store, config: Config) -> None:
    app = build_app(config, platforms=[], store=store, tick=False)
    with LiveServer(app) as server:
        assert server.get("/healthz")[:2] == (200, '{"status": "ok"}')
        status, body, _ = server.get("/readyz")
        ready = json.loads(body)
        assert status == 200 and ready["database"] == "ok" and len(ready["policy"]) == 12
        assert server.get("/nowhere")[0] == 404
        status, text, headers = server.get("/metrics")
    assert status == 200 and "text/plain" in headers["Content-Type"]
    assert 'canipost_http_requests_total{path="/healthz",status="200"} 1.0' in text
    assert 'path="unmatched",status="404"' in text  # raw paths never become labels


def test_ready_is_503_when_the_database_is_gone(tmp_path: Path, config: Config) -> None:
    folder = tmp_path / "db"
    folder.mkdir()
    url = f"sqlite:///{folder / 'q.db'}"
    open_store(url).dispose()
    app = build_app(config, platforms=[], store=Store(make_engine(url)), tick=False)
    shutil.rmtree(folder)
    with LiveServer(app) as server:
        status, body, _ = server.get("/readyz")
    assert status == 503 and json.loads(body)["database"] == "unreachable"


def test_a_platform_plugs_in_with_one_call(store: Store, config: Config) -> None:
    """How Teams will add POST /api/messages (and its notifier) to the same server."""
    seen: dict[str, Any] = {}
    notifier = MemoryNotifier()

    def install(web_app: web.Application, ctx: ServerContext, **options: Any) -> None:
        seen.update(options)

        async def messages(_request: web.Request) -> web.Response:
            return web.json_response({"platform": "fake"})

        web_app.router.add_post("/api/messages", messages)
        ctx.notifier.add("fake", notifier)

    register_platform("fake", install)
    app = build_app(config, platforms=["fake"], store=store, options={"fake": {"x": 1}}, tick=False)
    ctx = context_of(app)
    with LiveServer(app) as server:
        assert server.post("/api/messages", "{}", {})[:2] == (200, '{"platform": "fake"}')
        assert json.loads(server.get("/readyz")[1])["platforms"] == ["fake"]
        # a submission recorded on a request path reaches the platform through the outbox
        sub = ctx.workflow.submit(text="Hello", verdict=Verdict([], "v"), author=ALICE)
        ctx.pump.kick()
        assert ctx.pump.wait_idle(10)
    assert seen == {"x": 1}
    assert notifier.kinds(sub.id) == ["submitted"]


def test_unknown_or_missing_platforms_fail_at_startup(store: Store, config: Config) -> None:
    with pytest.raises(ConfigError, match="unknown platform 'nope'"):
        build_app(config, platforms=["nope"], store=store, tick=False)
    register_platform("ghost", "bot.no_such_module:install")
    with pytest.raises(ConfigError, match="not available"):
        build_app(config, platforms=["ghost"], store=store, tick=False)


def test_slack_http_mode_refuses_to_start_without_a_signing_secret(
    store: Store, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        build_app(config, platforms=["slack"], store=store, tick=False)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN"):
        build_app(
            config,
            platforms=["slack"],
            store=store,
            tick=False,
            options={"slack": {"socket_mode": True}},
        )


def test_configured_platforms_follow_the_environment() -> None:
    assert configured_platforms({}) == []
    assert configured_platforms({"SLACK_BOT_TOKEN": "x"}) == ["slack"]
    env = {"SLACK_BOT_TOKEN": "x", "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID": "y"}
    assert configured_platforms(env) == ["slack", "teams"]


class Failing:
    def __getattr__(self, kind: str) -> Any:
        def fail(*_a: Any, **_k: Any) -> None:
            raise ConnectionError("down")

        return fail


def test_fanout_keeps_the_refs_of_platforms_that_worked(store: Store, config: Config) -> None:
    app = build_app(config, platforms=[], store=store, tick=False)
    ctx = context_of(app)
    ok = MemoryNotifier(refs={"channel": "C1", "ts": "1.1"})
    ctx.notifier.add("ok", ok)
    ctx.notifier.add("down", Failing())  # type: ignore[arg-type]
    sub = ctx.workflow.submit(text="Hello", verdict=Verdict([], "v"), author=ALICE)
    delivered, failed, _ = ctx.workflow.deliver_pending()
    assert (delivered, failed) == (0, 1)
    assert ctx.workflow.get(sub.id).message_refs["submitted"] == {"channel": "C1", "ts": "1.1"}


class FailsOnce:
    """Down for the first call of each kind, then fine."""

    def __init__(self) -> None:
        self.inner = MemoryNotifier(refs={"conversation": "T1"})
        self.failed: set[str] = set()

    def __getattr__(self, kind: str) -> Any:
        def call(sub: Any, **kw: Any) -> Any:
            if kind not in self.failed:
                self.failed.add(kind)
                raise ConnectionError("down")
            return getattr(self.inner, kind)(sub, **kw)

        return call


def test_fanout_retry_goes_only_to_the_platform_that_failed(store: Store, config: Config) -> None:
    app = build_app(config, platforms=[], store=store, tick=False)
    ctx = context_of(app)
    ok = MemoryNotifier(refs={"channel": "C1", "ts": "1.1"})
    flaky = FailsOnce()
    ctx.notifier.add("ok", ok)
    ctx.notifier.add("flaky", flaky)  # type: ignore[arg-type]
    sub = ctx.workflow.submit(text="Hello", verdict=Verdict([], "v"), author=ALICE)
    assert ctx.workflow.deliver_pending()[:2] == (0, 1)
    later = datetime.now(UTC) + timedelta(minutes=5)
    ctx.workflow._now = lambda: later  # type: ignore[method-assign]
    assert ctx.workflow.deliver_pending()[:2] == (1, 0)
    assert ok.kinds(sub.id) == ["submitted"]  # not posted twice on the retry
    assert flaky.inner.kinds(sub.id) == ["submitted"]
    refs = ctx.workflow.get(sub.id).message_refs
    assert refs["fanout_sent"] == {"submitted": ["ok"]}


def test_fanout_without_platforms_is_quiet() -> None:
    assert FanoutNotifier().submitted(None) is None  # type: ignore[arg-type]


def test_tick_runs_reminders_through_the_platforms(store: Store, config: Config) -> None:
    app = build_app(config, platforms=[], store=store, tick=False)
    ctx = context_of(app)
    memory = MemoryNotifier()
    ctx.notifier.add("memory", memory)
    sub = ctx.workflow.submit(text="Hello", verdict=Verdict([], "v"), author=ALICE)
    ctx.workflow.deliver_pending()
    later = datetime.now(UTC) + timedelta(minutes=61)
    ctx.workflow._now = lambda: later  # type: ignore[method-assign]
    report = tick_once(ctx.workflow, ctx.metrics)
    assert report is not None and report["reminded"] == [sub.id]
    assert memory.kinds(sub.id) == ["submitted", "reminder"]
    assert ctx.metrics.ticks.labels("ok")._value.get() == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_canipost_serve_runs_on_port_and_stops_cleanly(tmp_path: Path, workers: int) -> None:
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "CONNECTIONS__", "OPENAI_"))
    }
    env.update(PORT=str(port), DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--workers", str(workers)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        import urllib.request

        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out
    assert "serving health and metrics only" in out
    assert out.count("server ready for") >= 1


@pytest.mark.slow
def test_serve_socket_mode_needs_a_bot_token(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(SLACK_APP_TOKEN="xapp-1", DATABASE_URL=f"sqlite:///{tmp_path / 's.db'}")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "serve"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "SLACK_BOT_TOKEN" in done.stderr and "Traceback" not in done.stderr
