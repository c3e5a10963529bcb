"""Loopback servers for tests and benchmarks: our app, and the platforms it talks to.

* :class:`LiveServer` runs an aiohttp application (``canipost serve``'s) on
  127.0.0.1 in a background thread; the Slack and Teams harnesses add their
  request helpers on top.
* :class:`StandIn` is the base of every stand-in for a platform's API (Slack's
  Web API, Teams' Bot Connector, an OpenAI-compatible endpoint): a threaded,
  recording HTTP server on a free loopback port.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self, TypeVar

from aiohttp import web

T = TypeVar("T")


class LiveServer:
    """An aiohttp app served on 127.0.0.1 (a free port unless given) from a thread.

    >>> with LiveServer(web.Application()) as server:  # doctest: +SKIP
    ...     server.url
    'http://127.0.0.1:54321'
    """

    def __init__(self, app: web.Application, *, port: int = 0, reuse_port: bool = False) -> None:
        self.app = app
        self.port = port
        self._reuse_port = reuse_port
        self.loop = asyncio.new_event_loop()
        self._runner = web.AppRunner(app, access_log=None)
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)

        async def start() -> None:
            await self._runner.setup()
            site = web.TCPSite(
                self._runner, "127.0.0.1", self.port, reuse_port=self._reuse_port or None
            )
            await site.start()
            server = site._server
            assert server is not None
            self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

        self.loop.run_until_complete(start())
        self._ready.set()
        self.loop.run_forever()

    def __enter__(self) -> LiveServer:
        self._thread.start()
        if not self._ready.wait(20):
            raise RuntimeError("server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self.loop).result(20)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def run(self, coro: Any, timeout: float = 20) -> Any:
        """Run a coroutine on the server's loop (e.g. wait for background follow-ups)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)


class StandIn:
    """A recording HTTP server on 127.0.0.1 standing in for a platform's API (tests, benchmarks).

    Subclasses implement :meth:`handle` — ``(method, path, headers, body)`` in,
    ``(status, JSON payload, extra headers)`` out — and record what they were
    asked under :attr:`cond`, which :meth:`wait_until` waits on. The Slack Web
    API (:class:`bot.slack.testing.MockSlackAPI`), the Bot Connector
    (:class:`bot.teams.testing.MockBotConnector`) and the OpenAI stand-in
    (:class:`bot.llm.fake.FakeOpenAI`) share this one lifecycle: a threaded
    server on a free port, started and stopped as a context manager.

    For misbehaving APIs, a payload given as ``bytes`` is sent as it is (an
    HTML error page, a body that is not JSON; extra headers override the JSON
    ``Content-Type``), and ``None`` instead of a reply sends nothing — a slow
    reply waits on :attr:`stopping` and gives up when the stand-in stops.
    """

    #: How often the serving thread checks for a stop; the shutdown takes up to this long.
    poll_interval = 0.05

    def __init__(self, *, port: int = 0) -> None:
        self.cond = threading.Condition()
        #: Set when the stand-in stops, so a deliberately slow reply can stop waiting.
        self.stopping = threading.Event()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the real APIs
            disable_nagle_algorithm = True  # as real servers; else delayed ACKs add ~40 ms

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                reply = stand_in.handle(self.command, self.path, dict(self.headers), raw)
                if reply is None:
                    self.close_connection = True
                    return
                status, payload, extra = reply
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                headers = {"Content-Type": "application/json", **extra}
                # The client may have given up already (a timeout test): nothing to do then.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self._thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": self.poll_interval},
            name=type(self).__name__,
            daemon=True,
        )

    def handle(
        self, method: str, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any, dict[str, str]] | None:
        """Answer one request: ``(status, JSON-able payload or raw bytes, extra headers)``,
        or ``None`` to send nothing."""
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def wait_until(
        self, ready: Callable[[], T | None], timeout: float, failure: Callable[[], str]
    ) -> T:
        """Block until ``ready()`` returns something (checked whenever a request is recorded)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                found = ready()
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(failure())
                self.cond.wait(left)
