"""Run ``Workflow.tick()`` periodically in a background thread, for ``canipost serve``.

Every worker process may run one: tick passes claim their rows, so several
tickers never send a reminder twice. A failing pass is logged and the next
one runs on schedule — the queue must never stall silently, nor crash the
web server. Intervals are jittered so workers started together spread out.

    ticker = Ticker(workflow)      # every workflow.settings.tick_seconds
    ticker.start()
    ...
    ticker.stop()
"""

from __future__ import annotations

import logging
import random
import threading

from bot.workflow.service import Workflow
from bot.workflow.types import TickReport

log = logging.getLogger(__name__)


class Ticker:
    """A daemon thread calling ``workflow.tick()`` every ``interval`` seconds (±``jitter``)."""

    def __init__(
        self, workflow: Workflow, *, interval: float | None = None, jitter: float = 0.1
    ) -> None:
        self.workflow = workflow
        self.interval = interval if interval is not None else workflow.settings.tick_seconds
        self.jitter = jitter
        self.passes = 0
        self.failures = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> TickReport | None:
        """One pass; exceptions are logged and counted, never raised."""
        try:
            report = self.workflow.tick()
        except Exception:
            self.failures += 1
            log.exception("tick failed; retrying in %.0f s", self.interval)
            return None
        finally:
            self.passes += 1
        return report

    def start(self) -> None:
        """Start ticking (idempotent)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="canipost-ticker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current pass."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.wait(self._next_delay()):
            self.run_once()

    def _next_delay(self) -> float:
        spread = self.interval * self.jitter
        return max(0.0, self.interval + random.uniform(-spread, spread))
