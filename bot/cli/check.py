"""``canipost check``: review one draft (argument or stdin) or a JSONL batch."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import IO, Any

from bot.config import Config, load_config
from bot.errors import CanipostError, InputError
from bot.verdict import CHANNELS, Draft, Severity, Verdict, normalise_channel

_COLOURS = {
    "ok": "\033[32m",
    "advise": "\033[33m",
    "needs_approval": "\033[35m",
    "do_not_post": "\033[31m",
}
_ICONS = {"advise": "!", "needs_approval": "?", "do_not_post": "✖"}
_HEADLINES = {
    "ok": "OK to post",
    "advise": "OK to post, with advice",
    "needs_approval": "NEEDS APPROVAL from the comms team before posting",
    "do_not_post": "DO NOT POST",
}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "check",
        help="review a draft post (or a JSONL batch) against the policy",
        description=(
            "Review a draft social media post. The verdict is ok, advise, needs_approval "
            "or do_not_post, with every finding explained. Exit status: 0 ok/advise, "
            "1 needs_approval/do_not_post, 2 usage/configuration/input error. "
            "With --jsonl: one verdict per input line, in order; exit 2 if any line "
            "was bad, else 1 if any draft needs approval or must not be posted, else 0."
        ),
    )
    p.add_argument("draft", nargs="?", help="the draft text, or - to read it from stdin")
    p.add_argument(
        "--jsonl",
        metavar="FILE",
        help="batch mode: JSONL file (or - for stdin) of {id, text, channel}",
    )
    add_review_options(p)
    p.add_argument(
        "--json", action="store_true", help="print the verdict as JSON (the contract's shape)"
    )
    p.set_defaults(func=run)


def add_review_options(p: argparse.ArgumentParser) -> None:
    """Options shared by commands that review drafts."""
    p.add_argument(
        "--channel",
        default="any",
        metavar="NET",
        help=f"target network: {'|'.join(CHANNELS)} (default any)",
    )
    p.add_argument(
        "--profile",
        choices=None,
        metavar="PROFILE",
        help="council|nhs|charity|business (default: from config)",
    )
    p.add_argument(
        "--config", metavar="FILE", help="organisation config YAML (default: $CANIPOST_CONFIG)"
    )
    p.add_argument("--no-llm", action="store_true", help="rules only, even if an LLM is configured")


def config_from_args(args: argparse.Namespace) -> Config:
    cfg = load_config(args.config)
    return cfg.with_profile(args.profile)


def read_stdin_text() -> str:
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("standard input is not valid UTF-8 text") from None


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    use_llm = False if args.no_llm else None
    if args.jsonl:
        if args.draft:
            raise InputError("give either a draft or --jsonl FILE, not both")
        return _run_batch(args.jsonl, args, config, use_llm)
    if args.draft is None:
        raise InputError('no draft given: canipost check "your draft" (or - to read stdin)')
    text = read_stdin_text() if args.draft == "-" else args.draft
    channel = normalise_channel(args.channel)
    from bot.llm.usage import metering  # light: no SDK import
    from bot.review import review

    with metering() as meter:
        verdict = review(Draft(text=text, channel=channel), config=config, use_llm=use_llm)
    counter = _CheckCounter(config)
    counter.add(verdict)
    counter.close()
    if args.json:
        out = verdict.to_dict()
        if meter.calls:  # the model was asked: what it cost (tokens from the API's usage)
            out["usage"] = meter.to_dict()
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(
            render_text(
                text, verdict, config, colour=sys.stdout.isatty() and "NO_COLOR" not in os.environ
            )
        )
    return 1 if verdict.decision >= Severity.NEEDS_APPROVAL else 0


class _CheckCounter:
    """Counts checks for the dashboard's charts, text-free, when a database is configured.

    Only with an explicit ``DATABASE_URL``: a one-off ``check`` on a laptop must
    neither create ``canipost.db`` nor pay for SQLAlchemy's import. Best effort:
    a count that cannot be written never changes a verdict or the exit status.
    """

    def __init__(self, config: Config) -> None:
        self.workspace = config.workspace
        self.enabled = bool(os.environ.get("DATABASE_URL"))
        self.store: Any = None

    def add(self, verdict: Verdict) -> None:
        if not self.enabled:
            return
        from bot.dashboard.stats import record_verdict  # SQLAlchemy only on this path

        if self.store is None:
            from bot.store import open_store

            try:
                self.store = open_store()
            except Exception as exc:
                self.enabled = False
                print(f"canipost: checks not counted ({type(exc).__name__})", file=sys.stderr)
                return
        record_verdict(self.store, verdict, platform="cli", workspace=self.workspace)

    def close(self) -> None:
        if self.store is not None:
            self.store.dispose()
            self.store = None


def _open_batch(path: str) -> IO[bytes]:
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None


def _run_batch(path: str, args: argparse.Namespace, config: Config, use_llm: bool | None) -> int:
    from bot.policy import load_policy
    from bot.review import review

    load_policy(config)  # fail fast on a broken policy, before any output
    default_channel = normalise_channel(args.channel)
    stream = _open_batch(path)
    progress = _progress(path)
    errors = risky = 0
    counter = _CheckCounter(config)
    try:
        for lineno, raw in enumerate(stream, 1):
            if not raw.strip():
                continue
            out: dict[str, Any]
            item_id: Any = None
            try:
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise InputError(f"line {lineno}: not valid UTF-8") from None
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"line {lineno}: not JSON ({exc.msg})") from None
                if not isinstance(obj, dict):
                    raise InputError(f"line {lineno}: expected a JSON object")
                item_id = obj.get("id")
                if "text" not in obj or not isinstance(obj["text"], str):
                    raise InputError(f"line {lineno}: no 'text' string")
                channel = normalise_channel(obj.get("channel") or default_channel)
                verdict = review(
                    Draft(
                        text=obj["text"],
                        channel=channel,
                        id=None if item_id is None else str(item_id),
                    ),
                    config=config,
                    use_llm=use_llm,
                )
                out = verdict.to_dict()
                if item_id is not None:
                    out["id"] = item_id
                    out = {"id": item_id, **{k: v for k, v in out.items() if k != "id"}}
                risky += verdict.decision >= Severity.NEEDS_APPROVAL
                counter.add(verdict)
            except (CanipostError, ValueError) as exc:
                if isinstance(exc, CanipostError) and not isinstance(exc, InputError):
                    raise
                errors += 1
                out = {"id": item_id, "error": str(exc)}
            sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
            if progress is not None:
                progress.update(1)
    finally:
        counter.close()
        if progress is not None:
            progress.close()
        if stream is not sys.stdin.buffer:
            stream.close()
    if errors:
        print(
            f"canipost: {errors} line(s) could not be reviewed (see their 'error')", file=sys.stderr
        )
        return 2
    return 1 if risky else 0


def _progress(path: str) -> Any:
    if not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    total = None
    if path != "-":
        try:
            with open(path, "rb") as fh:
                total = sum(1 for line in fh if line.strip())
        except OSError:
            total = None
    return tqdm(total=total, unit="draft", file=sys.stderr, leave=False)


def render_text(text: str, verdict: Verdict, config: Config, *, colour: bool = False) -> str:
    """The human-readable verdict: headline, each finding with its words highlighted."""
    from bot.policy import load_policy

    sections = load_policy(config).sections
    label = verdict.decision.label

    def c(code: str, s: str) -> str:
        return f"{code}{s}\033[0m" if colour else s

    lines = [c(_COLOURS[label] + "\033[1m", _HEADLINES[label])]
    if not verdict.findings:
        lines.append(
            "No concerns found. Use your common sense: would you be happy to see it quoted?"
        )
    for n, f in enumerate(verdict.findings, 1):
        lab = f.severity.label
        lines.append("")
        lines.append(
            f"{n}. {c(_COLOURS[lab], _ICONS[lab] + ' ' + lab)}  {f.category} · {f.rule}"
            + (" (AI)" if f.source == "llm" else "")
        )
        if f.start is not None and f.end is not None:
            lines.append("   " + _highlight(text, f.start, f.end, colour))
        lines.append(f"   {f.message}")
        if f.suggestion:
            lines.append(f"   Fix: {f.suggestion}")
        anchor = f.policy_ref.split("#", 1)[-1]
        heading = sections[anchor].heading if anchor in sections else anchor
        lines.append(f"   Policy: {heading} ({f.policy_ref})")
    if verdict.critique:
        lines += ["", "AI critique: " + verdict.critique]
    if verdict.rewrite:
        lines += ["", "Safer rewrite:", "   " + verdict.rewrite]
    if verdict.llm == "failed" and verdict.llm_reason:
        lines += ["", f"(AI critique unavailable: {verdict.llm_reason}; the rules verdict stands.)"]
    lines += ["", f"policy {verdict.policy_version} · profile {config.profile} · llm {verdict.llm}"]
    return "\n".join(lines)


def _highlight(text: str, start: int, end: int, colour: bool, width: int = 60) -> str:
    lo = max(0, start - width)
    hi = min(len(text), end + width)
    before = ("…" if lo > 0 else "") + text[lo:start]
    quote = text[start:end]
    after = text[end:hi] + ("…" if hi < len(text) else "")
    mark = f"\033[1;4m{quote}\033[0m" if colour else f"[{quote}]"
    return (before + mark + after).replace("\n", " ")
