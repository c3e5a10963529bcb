"""A digest of every rules decision over a large corpus: run it before and after an engine change.

    python scripts/verdict_digest.py [--shared ../shared] [--tweets N] [--out lines.tsv]
                                     [--cache off|DIR] [--corpus FILE] [--policy DIR]

Speed work on the rules engine must not change a single verdict. This script reviews
every draft of ``tests/data/*_tune.jsonl`` and ``tests/data/train*.jsonl``, every rule
example, the tweets of ``../shared/data/public`` (read by path, when present) and long
posts made of those tweets (the long-text code paths), each under every profile in
``policy/profiles`` and a few channels, with the learned layer switched off
(``CANIPOST_LEARNED=off``). It prints counts and one SHA-256 over every decision and every
finding's (rule, severity, start, end); ``--out`` writes one line per review so that two
runs can be diffed. Others may add drafts or edit rules meanwhile: ``--corpus FILE`` writes
the corpus there on the first run and reads it back on later ones, and ``--policy DIR``
reviews under a copy of the policy folder taken once. Not shipped in the wheel (``scripts/`` is not a package).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: Channels each short draft is reviewed under ("any" reaches every channel-limited rule).
CHANNELS = ("twitter", "linkedin", "instagram", "any")
#: Long posts (several thousand characters) are reviewed under these only: they cost more.
LONG_CHANNELS = ("linkedin", "any")
#: Never read (see tests/data/README.md): the held-out halves stay unseen.
_HELDOUT = "_heldout"


def data_drafts() -> list[tuple[str, str]]:
    """(id, text) of every draft in the tune and train sets (never the held-out halves)."""
    out: list[tuple[str, str]] = []
    files = sorted((ROOT / "tests/data").glob("*_tune.jsonl"))
    files += sorted((ROOT / "tests/data").glob("train*.jsonl"))
    for path in files:
        if _HELDOUT in path.name:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            if not line.strip():
                continue
            row = json.loads(line)
            if isinstance(row.get("text"), str) and row["text"].strip():
                out.append((f"{path.stem}:{row.get('id', n)}", row["text"]))
            for k, turn in enumerate(row.get("turns") or []):  # conversations: the questions
                q = turn.get("q") if isinstance(turn, dict) else None
                if isinstance(q, str) and q.strip():
                    out.append((f"{path.stem}:{row.get('id', n)}:{k}", q))
    return out


def shared_tweets(shared: Path) -> list[str]:
    """The public tweets bench_review reads (OLID, HatEval, corporate), when present."""
    pub = shared / "data/public"
    out: list[str] = []
    names = [
        pub / "tweeteval_offensive" / n for n in ("test_text.txt", "train_text.txt", "val_text.txt")
    ]
    names.append(pub / "tweeteval_hate/test_text.txt")
    for path in names:
        if path.is_file():
            out += path.read_text(encoding="utf-8").splitlines()
    corp = pub / "corporate_messaging/Corporate-messaging-DFE.csv"
    if corp.is_file():
        with corp.open(encoding="cp1252", errors="replace") as fh:
            out += [r["text"] for r in csv.DictReader(fh)]
    return [t for t in out if t.strip()]


def long_posts(tweets: list[str], count: int) -> list[str]:
    """Posts of 2,500 to 30,000 characters made of consecutive tweets."""
    out: list[str] = []
    i = 0
    sizes = (2_500, 4_000, 8_000, 15_000, 30_000)
    while tweets and len(out) < count:
        target = sizes[len(out) % len(sizes)]
        parts: list[str] = []
        length = 0
        while length < target:
            t = tweets[i % len(tweets)]
            i += 1
            parts.append(t)
            length += len(t) + 2
        out.append(("\n\n" if len(out) % 2 else " ").join(parts))
    return out


def build_corpus(
    args: argparse.Namespace, base: Any, profiles: list[str]
) -> list[tuple[str, str, tuple[str, ...]]]:
    """(id, text, channels) of every draft to review."""
    from bot.policy import load_policy

    corpus = [(i, t, CHANNELS) for i, t in data_drafts()]
    examples: dict[str, str] = {}
    for profile in profiles:
        for rule in load_policy(base.with_profile(profile)).rules:
            for kind, items in (("flag", rule.examples_flag), ("pass", rule.examples_pass)):
                for k, (text, _channel) in enumerate(items):
                    examples.setdefault(text, f"example:{rule.id}:{kind}:{k}")
    corpus += [(i, t, CHANNELS) for t, i in examples.items()]
    tweets = shared_tweets(Path(args.shared))
    if args.tweets:
        tweets = tweets[: args.tweets]
    corpus += [(f"tweet:{n}", t, CHANNELS) for n, t in enumerate(tweets)]
    corpus += [(f"long:{n}", t, LONG_CHANNELS) for n, t in enumerate(long_posts(tweets, args.long))]
    return corpus


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--tweets", type=int, default=0, help="at most this many tweets (0: all)")
    ap.add_argument("--long", type=int, default=40, help="long posts made of tweets")
    ap.add_argument("--out", help="write one line per review here (to diff two runs)")
    ap.add_argument("--cache", default="off", help="CANIPOST_CACHE_DIR for this run (default: off)")
    ap.add_argument("--corpus", help="read the corpus from this file; write it there if missing")
    ap.add_argument("--policy", help="the policy folder (default: policy/ of this checkout)")
    args = ap.parse_args()
    policy_dir = Path(args.policy).resolve() if args.policy else ROOT / "policy"
    if args.policy:
        os.environ["CANIPOST_POLICY_DIR"] = str(policy_dir)

    os.environ["CANIPOST_LEARNED"] = "off"
    os.environ["CANIPOST_CACHE_DIR"] = args.cache
    for k in [k for k in os.environ if k.startswith(("OPENAI_", "AZURE_"))]:
        del os.environ[k]
    sys.path.insert(0, str(ROOT))

    from bot import Draft, load_config
    from bot.review import review_rules

    base = load_config(None)
    profiles = sorted(p.stem for p in (policy_dir / "profiles").glob("*.yaml"))
    saved = Path(args.corpus) if args.corpus else None
    if saved is not None and saved.is_file():
        corpus = [
            (row[0], row[1], tuple(row[2]))
            for row in map(json.loads, saved.read_text(encoding="utf-8").splitlines())
        ]
    else:
        corpus = build_corpus(args, base, profiles)
        if saved is not None:
            saved.write_text(
                "".join(json.dumps([i, t, list(c)]) + "\n" for i, t, c in corpus),
                encoding="utf-8",
            )

    digest = hashlib.sha256()
    decisions: Counter[str] = Counter()
    rules: Counter[str] = Counter()
    reviews = findings = 0
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(Path(args.out).open("w", encoding="utf-8")) if args.out else None
        for profile in profiles:
            cfg = base.with_profile(profile)
            for ident, text, channels in corpus:
                for channel in channels:
                    v = review_rules(Draft(text, channel), config=cfg)
                    found = ";".join(
                        f"{f.rule},{int(f.severity)},{f.start},{f.end}" for f in v.findings
                    )
                    line = f"{profile}\t{channel}\t{ident}\t{v.decision.label}\t{found}\n"
                    digest.update(line.encode())
                    if out is not None:
                        out.write(line)
                    reviews += 1
                    findings += len(v.findings)
                    decisions[v.decision.label] += 1
                    rules.update(f.rule for f in v.findings)
    seconds = time.perf_counter() - started
    print(f"profiles      {' '.join(profiles)}")
    kinds = Counter(i.split(":", 1)[0] for i, _t, _c in corpus)
    print(f"drafts        {len(corpus)} {dict(sorted(kinds.items()))}")
    print(f"reviews       {reviews}")
    print(f"findings      {findings} from {len(rules)} rules")
    print(f"decisions     {dict(sorted(decisions.items()))}")
    print(f"seconds       {seconds:.1f}")
    print(f"digest        {digest.hexdigest()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
