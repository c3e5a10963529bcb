"""When the model fails, the rules verdict stands: errors become one-line reasons.

The LLM layer never raises to its callers. Every failure is one of these,
each carrying a message fit to show the author (no secrets, no draft text)::

    LLMError                 the model gave no usable answer
    ├── LLMNotConfigured     no API key / endpoint
    ├── LLMUnavailable       connection refused, timeout, 429 or 5xx after the retries,
    │                        or the deadline passed; counts towards the circuit breaker
    ├── LLMRejected          a 4xx other than 408/429 (bad key, unknown model, bad request)
    │   └── LLMContextTooLong    the prompt does not fit the model's context window
    └── LLMInvalidAnswer     the answer was not JSON matching the schema, twice

:func:`describe` turns any exception (ours, the SDK's, or a bug) into such a
line; :func:`fall_back` puts it on the rules verdict with ``llm: "failed"``.
:class:`CircuitBreaker` stops a batch of a thousand drafts from each waiting
out the retries against an endpoint that is down.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace

from bot.errors import CanipostError
from bot.verdict import Verdict


class LLMError(Exception):
    """The model gave no usable answer; ``str(exc)`` is one line for the author."""

    #: Requests the failed call had sent, and the tokens they used (for the usage figures).
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0


class LLMNotConfigured(LLMError):
    """No credentials or endpoint to talk to."""


class LLMUnavailable(LLMError):
    """The service could not be reached or kept failing until the deadline."""


class LLMRejected(LLMError):
    """The service refused the request (a 4xx we must not retry)."""


class LLMContextTooLong(LLMRejected):
    """The prompt is longer than the model's context window (small local models)."""


class LLMInvalidAnswer(LLMError):
    """The answer did not parse or did not match the schema, even when re-asked."""


def describe(exc: BaseException) -> str:
    """A one-line reason for the author, never a traceback nor a secret.

    Our own errors (including a broken prompt file, which names the file)
    say what happened; anything else is named by its type only, because its
    message could hold request content.
    """
    if isinstance(exc, LLMError | CanipostError):
        return (str(exc) or type(exc).__name__).splitlines()[0]
    return f"unexpected error in the AI layer ({type(exc).__name__})"


def fall_back(verdict: Verdict, reason: str, *, state: str = "failed") -> Verdict:
    """The rules verdict, marked as reviewed without the model, and why."""
    return replace(verdict, llm=state, llm_reason=reason.splitlines()[0] if reason else None)


class CircuitBreaker:
    """Fail fast for ``cooldown`` seconds after ``threshold`` unavailability failures in a row.

    Keyed by endpoint. A success closes it; after the cooldown one call is
    let through to probe the endpoint again.
    """

    def __init__(
        self,
        *,
        threshold: int = 2,
        cooldown: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, tuple[int, float, str]] = {}

    def check(self, key: str) -> None:
        """Raise :class:`LLMUnavailable` while the circuit for ``key`` is open."""
        with self._lock:
            state = self._failures.get(key)
            if state is None:
                return
            count, since, reason = state
            if count < self.threshold:
                return
            left = self.cooldown - (self._clock() - since)
            if left <= 0:
                # Half-open: let this call probe; one more failure re-opens at once.
                self._failures[key] = (self.threshold - 1, since, reason)
                return
        raise LLMUnavailable(f"{reason} (not retried for {left:.0f} s)")

    def failure(self, key: str, reason: str) -> None:
        with self._lock:
            count = self._failures.get(key, (0, 0.0, ""))[0] + 1
            self._failures[key] = (count, self._clock(), reason)

    def success(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()
