"""What the model cost: requests, tokens, latency, failures, per review and per run.

Every critique (and, where its owner records it, every ``ask`` answer) adds
one :class:`Call` to the meters open in the current context. Callers that
want the figures open one::

    from bot.llm.usage import metering
    with metering() as meter:
        verdict = review(draft, config=config)
    meter.to_dict()   # {"requests": 1, "prompt_tokens": 1834, ...}

``canipost check --json`` prints it as ``"usage"`` when the model was used;
``canipost eval --llm`` sums it over a labelled file. Meters live in a
:class:`contextvars.ContextVar`, so concurrent reviews in other threads or
tasks never mix their figures, and recording with no meter open costs
nothing. Token counts are the API's own ``usage``; a server that reports
none counts 0. This module imports nothing heavy: ``check`` may import it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Call:
    """One model call: a critique or an answer, with its retries and re-asks."""

    kind: str
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    ms: float = 0.0
    failed: bool = False
    #: Answered from the in-process cache: no request, no cost.
    cached: bool = False
    #: Characters of the prompt sent (system + user messages); 0 when none was sent.
    prompt_chars: int = 0
    #: At ``llm.price_per_million``; None when no price is configured.
    cost: float | None = None


def percentile(values: list[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) by the nearest-rank method; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass(slots=True)
class Meter:
    """The calls recorded while it was open."""

    calls: list[Call] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(c.requests for c in self.calls)

    @property
    def prompt_tokens(self) -> int:
        return sum(c.prompt_tokens for c in self.calls)

    @property
    def completion_tokens(self) -> int:
        return sum(c.completion_tokens for c in self.calls)

    @property
    def failed(self) -> int:
        return sum(c.failed for c in self.calls)

    @property
    def cost(self) -> float | None:
        """Summed cost, or None when any call had no price (no price configured)."""
        costs = [c.cost for c in self.calls]
        if not costs or any(c is None for c in costs):
            return None
        return round(sum(c for c in costs if c is not None), 6)

    def latencies(self) -> list[float]:
        """Milliseconds of each call that reached the model (cache hits excluded)."""
        return [c.ms for c in self.calls if not c.cached]

    def to_dict(self) -> dict[str, Any]:
        """One review's usage, as ``check --json`` prints it."""
        out: dict[str, Any] = {
            "requests": self.requests,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "latency_ms": round(sum(c.ms for c in self.calls), 1),
        }
        if any(c.cached for c in self.calls):
            out["cached"] = True
        if self.cost is not None:
            out["cost"] = self.cost
        return out

    def summary(self) -> dict[str, Any]:
        """A run's usage, as ``eval --llm --json`` prints it."""
        lat = self.latencies()
        p50, p95 = percentile(lat, 50), percentile(lat, 95)
        chars = [c.prompt_chars for c in self.calls if c.prompt_chars]
        out: dict[str, Any] = {
            "calls": len(self.calls),
            "requests": self.requests,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "latency_p50_ms": None if p50 is None else round(p50, 1),
            "latency_p95_ms": None if p95 is None else round(p95, 1),
            "failed": self.failed,
            "cached": sum(c.cached for c in self.calls),
            "prompt_chars_p50": percentile([float(c) for c in chars], 50),
            "prompt_chars_max": max(chars) if chars else None,
        }
        if self.cost is not None:
            out["cost"] = self.cost
        return out


_meters: ContextVar[tuple[Meter, ...]] = ContextVar("canipost_llm_meters", default=())


@contextmanager
def metering() -> Iterator[Meter]:
    """Collect the model calls made in this context until the block ends (nestable)."""
    meter = Meter()
    token = _meters.set((*_meters.get(), meter))
    try:
        yield meter
    finally:
        _meters.reset(token)


def record(call: Call) -> None:
    """Add a call to every meter open in this context (none: nothing happens)."""
    for meter in _meters.get():
        meter.calls.append(call)
