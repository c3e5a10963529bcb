"""Dashboard speed at scale: the queue and the charts with 100,000 submissions and 1,000,000 checks.

    python benchmarks/bench_dashboard.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/test]
                                         [--submissions 100000] [--checks 1000000] [--repeat 20]

Seeds a scratch schema (dropped afterwards) on the PostgreSQL server named by
``--url`` / ``TEST_DATABASE_URL`` in bulk with ``generate_series`` — a year of
submissions (5 % pending, the rest decided) and a year of text-free check
records, with the per-rule daily roll-up built from them as the live upserts
would have — then serves the real ``canipost serve`` app on 127.0.0.1, signs
in with a one-time link, and times whole HTTP requests (server work, template
rendering and the loopback round trip) for each page: p50, p95 and max in ms.
The SQL alone is timed too, and ``EXPLAIN`` shows which index each query uses.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "dashboard"))

from sqlalchemy import text  # noqa: E402

from bot.config import Approvers, Config  # noqa: E402
from bot.dashboard import queries  # noqa: E402
from bot.server import build_app  # noqa: E402
from bot.server.live import LiveServer  # noqa: E402
from bot.store import Store, open_store  # noqa: E402
from bot.store.testing import temporary_schema  # noqa: E402
from bot.workflow import WorkflowSettings  # noqa: E402

CONFIG = Config(approvers=Approvers(cli=["bench"]), workflow={"tick_seconds": 3600})

SEED_SUBMISSIONS = """
INSERT INTO submissions (id, text, channel, author_platform, author_id, author_name, verdict,
    review_decision, policy_version, state, approvals_needed, created_at, updated_at,
    decided_at, decided_by, decided_by_platform, decision_note, message_refs)
SELECT 'S-' || lpad(i::text, 10, '0'),
       'Draft number ' || i || ' about the ward 7 open day',
       (ARRAY['twitter','facebook','linkedin','instagram'])[1 + i % 4],
       'slack', 'U' || (i % 500), 'Author ' || (i % 500),
       jsonb_build_object('decision', 'needs_approval', 'policy_version', 'bench',
         'findings', jsonb_build_array(jsonb_build_object('rule', 'confidentiality.patient_context',
           'category', (ARRAY['confidentiality','legal','reputation','sensitivity'])[1 + i % 4],
           'severity', 'needs_approval', 'start', 21, 'end', 27, 'quote', 'ward 7',
           'message', 'm', 'suggestion', 's', 'policy_ref', 'protocol#x', 'source', 'rules'))),
       CASE WHEN i % 7 = 0 THEN 'do_not_post' ELSE 'needs_approval' END,
       'bench',
       CASE WHEN i % 20 = 0 THEN 'pending'
            ELSE (ARRAY['approved','approved','changes_requested','rejected','withdrawn','expired'])[1 + i % 6] END,
       1,
       now() - make_interval(secs => (i % 31536000)::double precision / :n * 31536000),
       now(),
       NULL, NULL, NULL, NULL, '{}'::jsonb
FROM generate_series(1, :n) AS i
"""

DECIDE = """
UPDATE submissions SET
  decided_at = created_at + make_interval(secs => 600 + (hashtext(id) & 65535)),
  decided_by = 'bench', decided_by_platform = 'web', decision_note = 'ok'
WHERE state <> 'pending'
"""

SEED_CHECKS = """
INSERT INTO check_stats (workspace, day, decision, platform, categories, rules)
SELECT '', current_date - (i % 365),
       (ARRAY['ok','ok','ok','advise','needs_approval','do_not_post'])[1 + i % 6],
       (ARRAY['slack','teams','cli','web'])[1 + i % 4],
       CASE WHEN i % 6 < 3 THEN '[]'::jsonb
            ELSE jsonb_build_array((ARRAY['confidentiality','legal','reputation','strategy'])[1 + i % 4]) END,
       CASE WHEN i % 6 < 3 THEN '[]'::jsonb
            ELSE jsonb_build_array((ARRAY['confidentiality','legal','reputation','strategy'])[1 + i % 4]
                                   || '.rule_' || (i % 37)) END
FROM generate_series(1, :n) AS i
"""

ROLLUP = """
INSERT INTO check_rule_days (workspace, day, rule, category, hits)
SELECT workspace, day, r.rule, split_part(r.rule, '.', 1), count(*)
FROM check_stats, jsonb_array_elements_text(rules) AS r(rule)
GROUP BY workspace, day, r.rule
"""


def seed(store: Store, submissions: int, checks: int) -> dict[str, float]:
    took: dict[str, float] = {}
    with store.engine.begin() as conn:
        for name, sql, n in (
            ("submissions", SEED_SUBMISSIONS, submissions),
            ("decisions", DECIDE, 0),
            ("checks", SEED_CHECKS, checks),
            ("rollup", ROLLUP, 0),
        ):
            started = time.perf_counter()
            conn.execute(text(sql), {"n": n} if n else {})
            took[name] = time.perf_counter() - started
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return took


def timed(fn, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def summary(ms: list[float]) -> str:
    ms = sorted(ms)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return f"p50 {statistics.median(ms):6.1f}  p95 {p95:6.1f}  max {ms[-1]:6.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url",
        default=os.environ.get(
            "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--submissions", type=int, default=100_000)
    parser.add_argument("--checks", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    from harness import Client, sign_in

    with temporary_schema(args.url, prefix="canipost_bench") as url:
        store = open_store(url)
        print(f"seeding {args.submissions:,} submissions and {args.checks:,} checks ...")
        for name, secs in seed(store, args.submissions, args.checks).items():
            print(f"  {name:<12} {secs:6.1f} s")
        with store.read() as s:
            counts = s.execute(
                text(
                    "SELECT (SELECT count(*) FROM submissions), "
                    "(SELECT count(*) FROM submissions WHERE state = 'pending'), "
                    "(SELECT count(*) FROM check_stats), (SELECT count(*) FROM check_rule_days)"
                )
            ).one()
        print(
            f"  rows: submissions {counts[0]:,} (pending {counts[1]:,}), check_stats "
            f"{counts[2]:,}, check_rule_days {counts[3]:,}"
        )

        settings = WorkflowSettings.from_config(CONFIG)
        print("\nSQL only (in process):")
        for label, fn in (
            ("queue, first page", lambda: queries.queue(store, queries.QueueFilters(), settings)),
            (
                "queue, overdue filter",
                lambda: queries.queue(store, queries.QueueFilters(sla="overdue"), settings),
            ),
            ("charts (all four)", lambda: queries.charts(store)),
            ("decisions history", lambda: queries.history(store, queries.HistoryFilters())),
        ):
            fn()
            print(f"  {label:<24} {summary(timed(fn, args.repeat))}")

        app = build_app(CONFIG, platforms=[], store=store, tick=False)
        with LiveServer(app) as server:
            client = Client(server.url)
            sign_in(client, store, CONFIG, "bench")
            print("\nwhole HTTP requests (server + templates + loopback):")
            worst = 0.0
            for path in (
                "/dashboard/queue",
                "/dashboard/queue?sla=overdue&review=needs_approval",
                "/dashboard/queue?page=50",
                "/dashboard/charts",
                "/dashboard/decisions",
            ):
                first = client.get(path)
                assert first.status == 200 and "/login" not in first.url, (path, first.status)
                ms = timed(lambda p=path: client.get(p), args.repeat)
                worst = max(worst, sorted(ms)[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))])
                print(f"  {path:<52} {summary(ms)}")
            rows = len(
                re.findall(r"/dashboard/submissions/S-", client.get("/dashboard/queue").body)
            )
            print(f"  (queue page shows {rows} rows)")

        print("\nquery plans:")
        with store.read() as s:
            for label, sql in (
                (
                    "queue",
                    "SELECT id FROM submissions WHERE workspace = '' AND state = 'pending' "
                    "ORDER BY created_at, id LIMIT 50",
                ),
                (
                    "checks/day",
                    "SELECT day, decision, count(*) FROM check_stats WHERE workspace = '' "
                    "AND day >= current_date - 29 GROUP BY day, decision",
                ),
                (
                    "time to decision",
                    "SELECT count(*) FROM submissions WHERE workspace = '' AND state IN "
                    "('approved','changes_requested','rejected') AND decided_at >= now() - interval '84 days'",
                ),
            ):
                plan = [r[0] for r in s.execute(text("EXPLAIN " + sql))]
                used = sorted(
                    set(
                        re.findall(
                            r"(?:Index(?: Only)? Scan|Bitmap Index Scan) (?:Backward )?using (\w+)|on (\w+)",
                            " ".join(plan),
                        )
                    )
                )
                print(f"  {label:<18} {[u for pair in used for u in pair if u]}")
        store.dispose()
        print(f"\nslowest page p95: {worst:.1f} ms (target < 300 ms)")
        return 0 if worst < 300 else 1


if __name__ == "__main__":
    sys.exit(main())
