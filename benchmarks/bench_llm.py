"""What the LLM layer costs beyond the model's own time, and how it behaves under faults.

    python benchmarks/bench_llm.py [--n 200] [--faults]

Runs the loopback fake OpenAI server (``python -m bot.llm.fake``) in its own
process, so it does not compete with the client for the GIL, answering
instantly. For each of ``--n`` drafts (the dev set, cycled) it times
``review(use_llm=False)`` and ``review(use_llm=True)`` with the answer cache
off, and reports the difference: redaction, prompt rendering, the SDK,
JSON-schema validation, merging, and the loopback round trip itself. The
round trip of the same request body with a bare HTTP client is measured too,
so the layer's own share can be read off. Also: requests per review once
the endpoint's format is known, a cache hit, the size of each critique
request (characters of the messages, median and largest, with the default
prompt budget and with ``llm.protocol: full``) and the tokens the fake's
``usage`` reports, and with ``--faults`` one review against each failure
mode of the fake (time taken, ``llm`` state, reason).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx2 as httpx  # noqa: E402  (the openai SDK's own HTTP client)

from bot.config import Config  # noqa: E402
from bot.llm import reset  # noqa: E402
from bot.llm.usage import metering  # noqa: E402
from bot.review import review  # noqa: E402
from bot.verdict import Draft  # noqa: E402

SAMPLES = [
    "Our libraries are now open until 8pm on Thursdays. Come and see us!",
    "Mrs Patel in bed 4 went home after her stroke, call her daughter on 07700 900987",
    "Well done Mia and Oliver from Class 4 at Oak Lane Primary!",
    "FANTASTIC NEWS!!! Click here bit.ly/3xYz #news #council #update #local",
]


def _drafts(n: int) -> list[str]:
    dev = ROOT.parent / "shared" / "eval" / "dev.jsonl"
    texts: list[str] = []
    if dev.is_file():
        texts = [
            json.loads(line)["text"]
            for line in dev.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
    texts = texts or SAMPLES
    return [texts[i % len(texts)] for i in range(n)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def fake_server(mode: str = "good", **opts: str) -> Iterator[str]:
    port = _free_port()
    cmd = [sys.executable, "-m", "bot.llm.fake", "--port", str(port), "--mode", mode]
    for k, v in opts.items():
        cmd += [f"--{k.replace('_', '-')}", v]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(200):
            try:
                httpx.get(f"{url}/models", timeout=0.2)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def _completions(url: str) -> int:
    base = url.rsplit("/v1", 1)[0]
    return int(httpx.get(f"{base}/_fake/stats").json()["completions"])


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def bench_overhead(n: int) -> dict[str, object]:
    config = Config(llm={"cache_size": 0})
    drafts = _drafts(n)
    with fake_server() as url:
        os.environ.update(OPENAI_API_KEY="bench", OPENAI_BASE_URL=url)
        reset()
        for text in drafts[:5]:  # warm up: imports, policy, index, HTTP pool, format discovery
            review(Draft(text), config=config, use_llm=True)
        before = _completions(url)
        extra: list[float] = []
        with metering() as meter:
            for text in drafts:
                d = Draft(text)
                t0 = time.perf_counter()
                review(d, config=config, use_llm=False)
                t1 = time.perf_counter()
                v = review(d, config=config, use_llm=True)
                t2 = time.perf_counter()
                assert v.llm == "used", v.llm_reason
                extra.append(((t2 - t1) - (t1 - t0)) * 1000)
        requests = _completions(url) - before
        chars = [c.prompt_chars for c in meter.calls]
        full_config = Config(llm={"cache_size": 0, "protocol": "full"})
        with metering() as full_meter:
            for text in sorted(set(drafts)):
                review(Draft(text), config=full_config, use_llm=True)
        full_chars = [c.prompt_chars for c in full_meter.calls]
        # The bare loopback round trip of a typical request body, for comparison.
        body = {
            "model": "gpt-4.1-mini",
            "messages": [
                {"role": "system", "content": "x" * 7500},
                {"role": "user", "content": "<draft>\nhi\n</draft>"},
            ],
        }
        client = httpx.Client()
        rtt: list[float] = []
        for _ in range(50):
            t0 = time.perf_counter()
            client.post(f"{url}/chat/completions", json=body).json()
            rtt.append((time.perf_counter() - t0) * 1000)
        # A cache hit.
        cached_config = Config(llm={"cache_size": 64})
        review(Draft(drafts[0]), config=cached_config, use_llm=True)
        hits: list[float] = []
        for _ in range(50):
            t0 = time.perf_counter()
            review(Draft(drafts[0]), config=cached_config, use_llm=True)
            t1 = time.perf_counter()
            review(Draft(drafts[0]), config=cached_config, use_llm=False)
            hits.append(((t1 - t0) - (time.perf_counter() - t1)) * 1000)
    return {
        "reviews": n,
        "extra_ms_median": round(statistics.median(extra), 2),
        "extra_ms_p95": round(_pct(extra, 0.95), 2),
        "loopback_round_trip_ms_median": round(statistics.median(rtt), 2),
        "layer_ms_without_round_trip": round(statistics.median(extra) - statistics.median(rtt), 2),
        "requests_per_review": round(requests / n, 3),
        "prompt_chars_median": statistics.median(chars),
        "prompt_chars_max": max(chars),
        "prompt_tokens_per_review": round(meter.prompt_tokens / n),
        "full_protocol_prompt_chars_median": statistics.median(full_chars),
        "cache_hit_extra_ms_median": round(statistics.median(hits), 2),
    }


FAULTS: list[tuple[str, dict[str, str], dict[str, object]]] = [
    ("good", {}, {}),
    ("reject_json_schema", {}, {}),
    ("plain_only", {}, {}),
    ("rate_limit", {"retry_after": "1"}, {"timeout": 5}),
    ("rate_limit", {"retry_after": "60"}, {}),
    ("server_error", {}, {}),
    ("slow", {"delay": "10"}, {"timeout": 2}),
    ("malformed", {}, {}),
    ("invalid", {}, {}),
    ("garbage", {}, {}),
]


def bench_faults() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    text = "Well done to everyone at the Christmas lights switch-on. Call Dave on 07700 900987 for photos"
    for mode, opts, llm in FAULTS:
        with fake_server(mode, **opts) as url:
            os.environ.update(OPENAI_API_KEY="bench", OPENAI_BASE_URL=url)
            reset()
            config = Config(llm={"cache_size": 0, **llm})
            runs: list[str] = []
            first = None
            for n in range(3):  # the third shows the circuit breaker, where it applies
                sent = _completions(url)
                t0 = time.perf_counter()
                v = review(Draft(f"{text} ({n})"), config=config, use_llm=True)
                runs.append(
                    f"{v.llm} {_completions(url) - sent} req {time.perf_counter() - t0:.2f} s"
                )
                first = first or v
            assert first is not None
            rows.append(
                {
                    "mode": mode + (f" {opts}" if opts else ""),
                    "decision": first.decision.label,
                    "reviews": runs,
                    "reason": first.llm_reason,
                }
            )
    os.environ["OPENAI_BASE_URL"] = "http://127.0.0.1:9/v1"  # nothing listens on the discard port
    reset()
    config = Config(llm={"cache_size": 0})
    t0 = time.perf_counter()
    v = review(Draft(text), config=config, use_llm=True)
    rows.append(
        {"mode": "endpoint down", "decision": v.decision.label, "reviews": [f"{v.llm} {time.perf_counter() - t0:.2f} s"],
         "reason": v.llm_reason}
    )  # fmt: skip
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="reviews to time (default 200)")
    parser.add_argument(
        "--faults", action="store_true", help="also run one review per failure mode"
    )
    args = parser.parse_args()
    os.environ.pop("AZURE_OPENAI_ENDPOINT", None)
    logging.basicConfig(level=logging.ERROR)  # the fault runs log warnings by design
    print(json.dumps(bench_overhead(args.n), indent=2))
    if args.faults:
        os.environ["CANIPOST_LLM_BACKOFF"] = os.environ.get("CANIPOST_LLM_BACKOFF", "0.25")
        for row in bench_faults():
            print(json.dumps(row, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
