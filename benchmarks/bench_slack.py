"""Slack ack latency under load with a slow LLM: is the 3-second ack safe?

Starts the real server (``bot.server.build_app``, the Bolt app on
``POST /slack/events``) on 127.0.0.1 in a process of its own with a recording stand-in for the Slack
Web API and an LLM stand-in that takes ``--llm-seconds`` per review, then
sends ``--requests`` correctly signed ``/canipost <draft>`` requests,
``--concurrency`` at a time, and reports:

* ack latency p50 / p99 / max (the rules verdict is *in* the ack, so this
  is also the time until the person sees the verdict), and failures;
* rules review time per draft (inside the server);
* when the LLM follow-ups (``response_url`` redraws) finished;
* resident memory (RSS) of the server process (one worker; the client runs apart).

    python benchmarks/bench_slack.py                  # 200 requests, 50 at a time, 5 s LLM
    python benchmarks/bench_slack.py --requests 1000 --concurrency 100
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bot.config import Approvers, Config
from bot.review import review_rules
from bot.server import build_app, context_of
from bot.slack.services import warm_up
from bot.slack.settings import SlackSettings
from bot.slack.testing import LiveServer, MockSlackAPI, command_body, signed_headers
from bot.verdict import Draft, Verdict

SECRET = "bench-signing-secret"


def drafts() -> list[str]:
    """Realistic drafts: the labelled dev set when present, else a few built in."""
    for path in (
        Path(__file__).resolve().parents[1] / "shared" / "eval" / "dev.jsonl",
        Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev.jsonl",
    ):
        if path.is_file():
            rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
            texts = [str(r["text"]) for r in rows if r.get("text")]
            if texts:
                return texts
    return [
        "Kevin from ward 4 is an idiot and everyone knows it",
        "Call me on 07700 900123 about the patient",
        "Our library opens at 9am on Saturday. Everyone welcome!",
        "BREAKING!!! Council tax going UP again #scandal #council #news #breaking",
    ]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def fire(url: str, bodies: list[str], concurrency: int) -> tuple[list[float], int, list[str]]:
    sem = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    failures: list[str] = []
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(body: str) -> None:
            async with sem:
                headers = signed_headers(SECRET, body)
                started = time.perf_counter()
                try:
                    async with session.post(url, data=body, headers=headers) as resp:
                        text = await resp.text()
                        elapsed = time.perf_counter() - started
                        if resp.status != 200 or "blocks" not in text:
                            failures.append(f"HTTP {resp.status}: {text[:100]}")
                            return
                        if elapsed > 3.0:
                            failures.append(f"ack took {elapsed:.2f}s (Slack gives up at 3 s)")
                        latencies.append(elapsed)
                except aiohttp.ClientError as exc:
                    failures.append(f"{type(exc).__name__}: {exc}")

        await asyncio.gather(*(one(b) for b in bodies))
    return latencies, len(bodies), failures


def serve_in_child(
    conn: Any,
    api_url: str,
    db_url: str,
    llm_seconds: float,
    ready: Any,
    stop: Any,
    port: int = 0,
) -> None:
    """The server under test, alone in its own process (its own GIL), as in production."""
    import logging

    logging.disable(logging.WARNING)  # the server's INFO lines are not what we measure
    config = Config(approvers=Approvers(slack=["UAPPROVER"]), workflow={"tick_seconds": 3600})

    def slow_llm(draft: Draft) -> Verdict:
        time.sleep(llm_seconds)
        v = review_rules(draft, config=config)
        v.critique, v.llm = "Stand-in critique.", "used"
        return v

    from bot.store import open_store

    settings = SlackSettings(
        bot_token="xoxb-bench",
        signing_secret=SECRET,
        api_url=api_url,
        approvers_channel="CAPPROVERS",
    )
    app = build_app(
        config,
        platforms=["slack"],
        options={"slack": {"settings": settings, "reviewer": slow_llm, "llm_enabled": True}},
        store=open_store(db_url),
        tick=False,
    )
    ctx = context_of(app)
    with LiveServer(app, port=port, reuse_port=bool(port)) as server:
        conn.send(server.port)
        ready.set()
        stop.wait()
        rules = ctx.metrics.review_seconds.labels("rules")
        acks = ctx.metrics.ack_seconds.labels("slack", "command")
        # totals inside the server: rules review seconds, and the server-side ack time
        conn.send((rules._sum.get(), acks._sum.get()))


def rss_of(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main(argv: list[str] | None = None) -> int:
    import multiprocessing as mp

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--llm-seconds", type=float, default=5.0)
    ap.add_argument(
        "--workers", type=int, default=1, help="server processes sharing the port (SO_REUSEPORT)"
    )
    ap.add_argument("--warm-burst", action="store_true", help="send one unmeasured burst first")
    ap.add_argument("--no-wait", action="store_true", help="don't wait for the LLM follow-ups")
    args = ap.parse_args(argv)

    texts = drafts()
    config = Config()
    warm_up(lambda d: review_rules(d, config=config), config)  # as the server does at boot
    rule_times = []
    for t in texts[:500]:
        started = time.perf_counter()
        review_rules(Draft(t), config=config)
        rule_times.append((time.perf_counter() - started) * 1000)

    ctx_mp = mp.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp, MockSlackAPI() as api:
        fixed = 0
        if args.workers > 1:
            import socket

            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                fixed = s.getsockname()[1]
        procs, pipes = [], []
        ready, stop = ctx_mp.Event(), ctx_mp.Event()
        for _ in range(args.workers):
            parent, child = ctx_mp.Pipe()
            proc = ctx_mp.Process(
                target=serve_in_child,
                args=(
                    child,
                    api.url,
                    f"sqlite:///{tmp}/bench.db",
                    args.llm_seconds,
                    ready,
                    stop,
                    fixed,
                ),
                daemon=True,
            )
            proc.start()
            procs.append(proc)
            pipes.append(parent)
        ports = [p.recv() for p in pipes]  # each worker reports once it listens
        port = ports[0]
        pids = [p.pid for p in procs if p.pid is not None]
        url = f"http://127.0.0.1:{port}/slack/events"
        bodies = [
            command_body(
                "/canipost",
                texts[i % len(texts)],
                user=f"U{i:05d}",
                response_url=api.response_url(f"r{i}"),
            )
            for i in range(args.requests)
        ]
        # Warm-up, not measured: auth.test and the first dispatch (a fresh server's thread
        # pools are started at boot); --warm-burst also opens the client's connections.
        asyncio.run(fire(url, bodies[:1], 1))
        warm = 1
        if args.warm_burst:
            asyncio.run(fire(url, bodies[: args.concurrency], args.concurrency))
            warm += args.concurrency
        rss_idle = max(rss_of(pid) for pid in pids)
        started = time.perf_counter()
        latencies, sent, failures = asyncio.run(fire(url, bodies, args.concurrency))
        wall = time.perf_counter() - started
        rss_peak = max(rss_of(pid) for pid in pids)
        followups = None
        if not args.no_wait:
            expected = args.requests + warm
            deadline = time.monotonic() + args.requests * args.llm_seconds + 60
            while len(api.of("response_url")) < expected and time.monotonic() < deadline:
                rss_peak = max(rss_peak, *(rss_of(pid) for pid in pids))
                time.sleep(0.2)
            followups = time.perf_counter() - started
        done_followups = len(api.of("response_url"))
        stop.set()
        totals = [p.recv() for p in pipes]
        rules_total = sum(t[0] for t in totals)
        server_ack_total = sum(t[1] for t in totals)
        for proc in procs:
            proc.join(30)

    ms = [x * 1000 for x in latencies]
    print(f"canipost Slack ack benchmark (Python {sys.version.split()[0]})")
    print(
        f"  requests {sent}, concurrency {args.concurrency}, LLM stand-in {args.llm_seconds:g} s, "
        f"{args.workers} worker process(es), {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    print(f"  failures {len(failures)}" + (f" (first: {failures[0]})" if failures else ""))
    if ms:
        print(
            f"  ack latency ms: p50 {pct(ms, 50):.1f}  p90 {pct(ms, 90):.1f}  "
            f"p99 {pct(ms, 99):.1f}  max {max(ms):.1f}  mean {statistics.mean(ms):.1f}"
        )
    print(f"  throughput {sent / wall:.0f} req/s over {wall:.2f} s")
    print(
        f"  rules review per draft ms (alone): p50 {pct(rule_times, 50):.2f}  "
        f"p99 {pct(rule_times, 99):.2f} ({len(rule_times)} drafts); inside the server under "
        f"load: mean {rules_total / (sent + warm) * 1000:.2f}"
    )
    print(
        f"  server-side ack time (request read to response, mean over all): "
        f"{server_ack_total / (sent + warm) * 1000:.1f} ms"
    )
    print("  time to rules verdict = ack latency (the verdict is in the ack itself)")
    if followups is not None:
        print(
            f"  LLM follow-ups delivered {done_followups - warm}/{args.requests} "
            f"{followups:.1f} s after the first request "
            f"({args.workers} x 32 slow threads x {args.llm_seconds:g} s)"
        )
    print(f"  RSS of one worker, MB: idle {rss_idle:.0f}, peak under load {rss_peak:.0f}")
    target_ok = bool(not failures and ms and pct(ms, 99) < 300)
    print(f"  target p99 < 300 ms and 0 failures: {'MET' if target_ok else 'NOT MET'}")
    return 0 if target_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
