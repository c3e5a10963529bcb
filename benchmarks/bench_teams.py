"""Teams turn latency under load, with JWT checks and a slow LLM: does the verdict come fast?

Starts the real server (``bot.server.build_app`` with Teams on ``POST /api/messages``)
on 127.0.0.1 with authentication on (RSA keys and a JWKS server made here), a
recording Bot Connector stand-in and an LLM stand-in that takes
``--llm-seconds`` per review. Sends ``--requests`` signed "review: …" activities,
``--concurrency`` at a time, and reports:

* turn latency p50 / p99 / max: Teams waits for this HTTP answer, and the
  rules verdict card has been posted by the time it comes;
* when the LLM updates (card redraws) finished;
* failures (non-202 answers, missing cards).

The client, the server and the Bot Connector stand-in share one process (and
its GIL), so throughput here is a floor: on 2 cores one worker handled ~35
turns/s, p50 14 ms one at a time.

    python benchmarks/bench_teams.py                      # 200 requests, 50 at a time, 3 s LLM
    python benchmarks/bench_teams.py --requests 1000 --concurrency 100
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
from microsoft_agents.hosting.core import OutboundHostValidator

from bot.config import Config
from bot.review import review_rules
from bot.server import build_app
from bot.store import open_store
from bot.teams.settings import TeamsSettings
from bot.teams.testing import (
    LiveServer,
    MockBotConnector,
    TeamsUser,
    TestIssuer,
    message_activity,
    static_connections,
)
from bot.verdict import Draft, Verdict

APP_ID = "00000000-0000-4000-8000-0000000be4c4"
TOKEN = "bench-outbound-token"
DRAFTS = [
    "Lovely sunny day at the park.",
    "I think the council will probably scrap the bin collections next year.",
    "Patient John Smith, NHS number 943 476 5919, was seen at Ward 7 today.",
    "Get 20% off with my code SAM20 #ad #sale #deal #offer #bargain",
]


def slow_llm(seconds: float):  # type: ignore[no-untyped-def]
    def review(draft: Draft) -> Verdict:
        time.sleep(seconds)
        verdict = review_rules(draft, config=Config())
        verdict.llm = "used"
        return verdict

    return review


async def drive(
    url: str, issuer: TestIssuer, connector: MockBotConnector, args: argparse.Namespace
) -> list[float]:
    sem = asyncio.Semaphore(args.concurrency)
    latencies: list[float] = []
    failures = 0

    async def one(session: aiohttp.ClientSession, i: int) -> None:
        nonlocal failures
        user = TeamsUser(f"29:user{i}", f"aad-{i}", f"User {i}")
        body = message_activity(
            f"review: {DRAFTS[i % len(DRAFTS)]}",
            service_url=connector.url,
            user=user,
            conversation=f"a:chat-{i}",
        )
        headers = {"Authorization": f"Bearer {issuer.token(connector.url)}"}
        async with sem:
            started = time.perf_counter()
            async with session.post(f"{url}/api/messages", json=body, headers=headers) as resp:
                await resp.read()
                if resp.status != 202:
                    failures += 1
            latencies.append(time.perf_counter() - started)

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(one(session, i) for i in range(args.requests)))
    if failures:
        print(f"FAILURES: {failures} non-202 answers")
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--llm-seconds", type=float, default=3.0)
    args = parser.parse_args()

    with (
        tempfile.TemporaryDirectory() as tmp,
        TestIssuer(APP_ID) as issuer,
        issuer.trusted(),
        MockBotConnector(token=TOKEN) as connector,
    ):
        settings = TeamsSettings(client_id=APP_ID, service_url=connector.url)
        app = build_app(
            Config(),
            platforms=["teams"],
            store=open_store(f"sqlite:///{Path(tmp) / 'bench.db'}"),
            options={
                "teams": {
                    "settings": settings,
                    "connections": static_connections(APP_ID, TOKEN),
                    "service_hosts": OutboundHostValidator(enabled=False),
                    "llm_enabled": True,
                    "reviewer": slow_llm(args.llm_seconds),
                }
            },
            tick=False,
        )
        with LiveServer(app) as server:
            started = time.perf_counter()
            latencies = asyncio.run(drive(server.url, issuer, connector, args))
            sent = time.perf_counter() - started
            connector.wait_for(
                lambda cs: sum(c.kind == "update" for c in cs) >= args.requests,
                timeout=args.llm_seconds * args.requests + 60,
            )
            done = time.perf_counter() - started
        cards = sum(c.kind == "reply" and c.card is not None for c in connector.calls)

    q = statistics.quantiles(latencies, n=100, method="inclusive")
    print(f"{args.requests} reviews, {args.concurrency} at a time, LLM {args.llm_seconds:g} s")
    print(
        f"turn latency p50 {q[49] * 1000:.0f} ms  p99 {q[98] * 1000:.0f} ms  "
        f"max {max(latencies) * 1000:.0f} ms  (all sent in {sent:.1f} s)"
    )
    print(f"verdict cards {cards}/{args.requests}; all LLM updates done after {done:.1f} s")


if __name__ == "__main__":
    main()
