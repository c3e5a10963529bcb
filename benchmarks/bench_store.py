"""Throughput of the approval queue's store: submissions/s and decisions/s.

    python benchmarks/bench_store.py [--n 200] [--rounds 5] [--threads 4] [--backend all]

Runs on a fresh SQLite file (WAL, synchronous=FULL: every commit is fsynced)
and, when it answers, on PostgreSQL (``TEST_DATABASE_URL``, default the local
server; a throwaway schema). Each operation is a full workflow call — the
transaction, audit entry, outbox row and notification delivery — not a bare
INSERT. Prints the median of the rounds, for one caller and for ``--threads``
concurrent callers.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import Approvers, Config
from bot.store import open_store
from bot.store.testing import PostgresUnavailable, temporary_database
from bot.verdict import Finding, Severity, Verdict
from bot.workflow import Actor, MemoryNotifier, Workflow

CONFIG = Config(approvers=Approvers(cli=["bob"]))
VERDICT = Verdict(
    [Finding("reputation.x", "reputation", Severity.NEEDS_APPROVAL, 0, 4, "Our", "m", "s", "p")],
    "bench",
)
TEXT = "Our new library opens on Monday at 9am. Come along and say hello! #Library " * 2


def _parallel(threads: int, n: int, op: Callable[[int], None]) -> float:
    """Run ``op(i)`` for i in range(n) split over ``threads``; return ops/s."""
    barrier = threading.Barrier(threads + 1)
    errors: list[BaseException] = []

    def work(part: range) -> None:
        barrier.wait()
        try:
            for i in part:
                op(i)
        except BaseException as exc:
            errors.append(exc)

    parts = [range(t, n, threads) for t in range(threads)]
    pool = [threading.Thread(target=work, args=(p,)) for p in parts]
    for t in pool:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return n / elapsed


def bench(url: str, *, n: int, rounds: int, threads: int) -> dict[str, float]:
    store = open_store(url)
    wf = Workflow(store, config=CONFIG, notifier=MemoryNotifier())
    alice, bob = Actor("cli", "alice"), Actor("cli", "bob")
    results: dict[str, list[float]] = {}
    for _ in range(rounds):
        for label, width in (("1 caller", 1), (f"{threads} threads", threads)):
            ids: list[str] = [""] * n

            def submit(i: int, ids: list[str] = ids) -> None:
                ids[i] = wf.submit(text=TEXT, verdict=VERDICT, author=alice).id

            def decide(i: int, ids: list[str] = ids) -> None:
                wf.decide(ids[i], "approve", by=bob)

            results.setdefault(f"submissions/s ({label})", []).append(_parallel(width, n, submit))
            results.setdefault(f"decisions/s ({label})", []).append(_parallel(width, n, decide))
    store.dispose()
    return {k: statistics.median(v) for k, v in results.items()}


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--n", type=int, default=200, help="operations per round (default 200)")
    ap.add_argument(
        "--rounds", type=int, default=5, help="rounds; the median is reported (default 5)"
    )
    ap.add_argument("--threads", type=int, default=4, help="concurrent callers (default 4)")
    ap.add_argument("--backend", choices=("all", "sqlite", "postgres"), default="all")
    args = ap.parse_args()
    backends = ("sqlite", "postgres") if args.backend == "all" else (args.backend,)
    print(f"median of {args.rounds} rounds x {args.n} operations; full workflow calls")
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            with ExitStack() as stack:
                try:
                    url = stack.enter_context(temporary_database(backend, Path(tmp)))
                except PostgresUnavailable as exc:
                    print(f"{backend:<9} skipped: {exc}")
                    continue
                figures = bench(url, n=args.n, rounds=args.rounds, threads=args.threads)
                for name, value in figures.items():
                    print(f"{backend:<9} {name:<32} {value:8.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
