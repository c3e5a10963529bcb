"""Run an aiohttp application on 127.0.0.1 in a background thread.

Shared by the Slack and Teams test harnesses (and the benchmarks): each adds
its own request helpers on top of this one lifecycle.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from aiohttp import web


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
