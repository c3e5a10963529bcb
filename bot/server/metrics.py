"""Prometheus metrics of one ``canipost serve`` process, on a registry of its own.

A registry per server (not the global one) lets tests and benchmarks build
several servers in one process without "duplicated timeseries" errors.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

_FAST = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_SLOW = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """The counters and histograms every platform adapter reports into."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.http_requests = Counter(
            "canipost_http_requests", "HTTP requests served", ["path", "status"], registry=r
        )
        self.http_seconds = Histogram(
            "canipost_http_request_seconds",
            "HTTP request time",
            ["path"],
            buckets=_FAST,
            registry=r,
        )
        self.platform_requests = Counter(
            "canipost_platform_requests",
            "Chat platform requests (Slack commands, actions, events...)",
            ["platform", "kind", "status"],
            registry=r,
        )
        self.ack_seconds = Histogram(
            "canipost_ack_seconds",
            "Time from receiving a chat platform request to its acknowledgement",
            ["platform", "kind"],
            buckets=_FAST,
            registry=r,
        )
        self.review_seconds = Histogram(
            "canipost_review_seconds",
            "Review time by stage (rules, llm)",
            ["stage"],
            buckets=(*_FAST, 10.0, 30.0),
            registry=r,
        )
        self.ticks = Counter("canipost_ticks", "Workflow tick passes", ["outcome"], registry=r)
        self.deliveries = Counter(
            "canipost_notifications", "Outbox deliveries", ["outcome"], registry=r
        )
        self.tick_seconds = Histogram(
            "canipost_tick_seconds", "Time of one workflow tick", buckets=_SLOW, registry=r
        )

    def observe_platform(self, platform: str, kind: str, status: int, seconds: float) -> None:
        self.platform_requests.labels(platform, kind, str(status)).inc()
        self.ack_seconds.labels(platform, kind).observe(seconds)

    def observe_stage(self, stage: str, seconds: float) -> None:
        self.review_seconds.labels(stage).observe(seconds)

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
