"""Long posts: each anchor group is scanned only near its anchor, with the same matches.

``Matcher._spans_near`` replaces one whole-text scan per anchor group (which made a
5,000-word post cost anchors x length) by scans of windows around the anchor's
occurrences. It must return exactly what the whole-text scan returns, for every group
of every rule, on long texts made of real drafts.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import Draft, load_config
from bot.config import PROFILES
from bot.policy import load_policy
from bot.policy.model import _SUB, LONG_TEXT, Context, Matcher
from bot.review import review_rules
from bot.text import prepare

DATA = Path(__file__).resolve().parent / "data"


def _drafts() -> list[str]:
    out: list[str] = []
    for path in sorted(DATA.glob("*.jsonl")):
        if "_heldout" in path.name:
            continue  # held-out halves stay unread (tests/data/README.md)
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                text = json.loads(line).get("text")
                if isinstance(text, str):
                    out.append(text)
    return out


def _long_posts() -> list[str]:
    drafts = _drafts()
    policy = load_policy(load_config(None))
    examples = [t for r in policy.rules for t, _ in r.examples_flag + r.examples_pass]
    return [
        " ".join(drafts[:250]),  # one paragraph of many drafts
        "\n\n".join(drafts[400:650]),  # paragraphs
        " - ".join(examples),  # every rule's own examples, hyphen-separated
    ]


def _groups(m: Matcher) -> list[tuple[str, str, tuple[str, ...]]]:
    out = [(k, k, t) for k, t in (m.word_groups or {}).items()]
    out += [(_SUB + k, k, t) for k, t in (m.sub_groups or {}).items()]
    return out


def _whole_regex_spans(matcher: Matcher, ctx: Context) -> list[tuple[int, int]]:
    """What the matcher's whole alternation finds (its lower-case twin where it has one)."""
    twin = matcher._program("", None, True)
    if twin is not None and len(ctx.lower) == len(ctx.text):
        return [m.span() for m in twin.finditer(ctx.lower)]
    prog = matcher._program("", None, False)
    assert prog is not None
    return [m.span() for m in prog.finditer(ctx.text)]


@pytest.mark.slow
@pytest.mark.parametrize("post", range(3))
def test_windowed_scan_equals_whole_text_scan(post: int) -> None:
    text = _long_posts()[post]
    assert len(text) > LONG_TEXT
    cfg = load_config(None)
    checked = 0
    seen: set[tuple[int, str, tuple[str, ...]]] = set()  # profiles share most packs
    for profile in PROFILES:
        policy = load_policy(cfg.with_profile(profile))
        ctx = Context(prepared=prepare(text), channel="any", org=cfg.organisation, vocab={})
        policy.candidates(ctx)  # fills ctx.positions from the anchor automaton
        assert ctx.positions
        for rule in policy.rules:
            for matcher in rule.matchers():
                for key, anchor, terms in _groups(matcher):
                    if anchor not in ctx.lower or (matcher.flags, key, terms) in seen:
                        continue
                    seen.add((matcher.flags, key, terms))
                    twin = matcher._program(key, terms, True)
                    prog = twin or matcher._program(key, terms, False)
                    assert prog is not None
                    hay = ctx.lower if twin is not None else ctx.text
                    whole = [m.span() for m in prog.finditer(hay)]
                    near = matcher._spans_near(ctx, anchor, terms, hay, prog)
                    assert near == whole, (rule.id, anchor)
                    checked += 1
    assert checked > 500


def _split_matchers(post: int, attr: str) -> Iterator[tuple[str, Matcher, Context]]:
    """Every matcher with ``attr`` set (a split alternation), under every profile, over a
    long post as typed, upper-cased and with Unicode that changes length when folded."""
    text = _long_posts()[post]
    cfg = load_config(None)
    for profile in PROFILES:
        policy = load_policy(cfg.with_profile(profile))
        for hay_text in (text, text.upper(), "\u017ftreet İLL " + text):
            ctx = Context(prepared=prepare(hay_text), channel="any", org=cfg.organisation, vocab={})
            policy.candidates(ctx)
            for rule in policy.rules:
                for matcher in rule.matchers():
                    if getattr(matcher, attr) is not None:
                        yield rule.id, matcher, ctx


@pytest.mark.parametrize("post", range(3))
def test_branch_by_branch_scan_equals_whole_regex_scan(post: int) -> None:
    """``Matcher._spans_split`` (each branch of a terms-and-patterns alternation on its
    own, merged) returns exactly the whole alternation's matches."""
    checked = 0
    for rule_id, matcher, ctx in _split_matchers(post, "branch_needs"):
        whole = _whole_regex_spans(matcher, ctx)
        assert matcher._spans_split(ctx, matcher._live_branches(ctx)) == whole, rule_id
        checked += 1
    assert checked > 100


def test_long_post_cost_is_about_linear_in_length() -> None:
    """Twice the text should cost about twice the time, not anchors x length."""
    cfg = load_config(None)
    policy = load_policy(cfg)
    policy.compile_all()
    drafts = _drafts()

    def text_of(chars: int) -> str:
        """The first drafts, joined, up to ``chars`` characters (drafts vary in length,
        so twice the drafts need not be twice the text)."""
        out: list[str] = []
        for draft in drafts:
            out.append(draft)
            if sum(map(len, out)) >= chars:
                break
        return " ".join(out)

    half = text_of(40_000)
    full = text_of(80_000)

    def cost(text: str) -> float:
        best = float("inf")
        for _ in range(3):
            t = time.process_time()
            review_rules(Draft(text, "linkedin"), config=cfg, policy=policy, layers=False)
            best = min(best, time.process_time() - t)
        return best

    cost(half)
    ratio = cost(full) / max(cost(half), 1e-6)
    assert ratio < 3.0, ratio


def test_short_drafts_run_only_the_branches_they_hold_the_literals_of() -> None:
    """A draft lacking some branches' needed literals runs the others alone (``_spans``
    splits the alternation): the same matches as the whole regex, on every rule example."""
    cfg = load_config(None)
    checked = split = 0
    for profile in PROFILES:
        policy = load_policy(cfg.with_profile(profile))
        texts = {t for r in policy.rules for t, _ in r.examples_flag + r.examples_pass}
        for text in sorted(texts):
            ctx = Context(prepared=prepare(text), channel="any", org=cfg.organisation, vocab={})
            policy.candidates(ctx)
            for rule in policy.rules:
                for matcher in rule.matchers():
                    if matcher.branch_needs is None or matcher._cannot_match(ctx):
                        continue
                    whole = _whole_regex_spans(matcher, ctx)
                    assert matcher._spans(ctx, "") == whole, (rule.id, text)
                    checked += 1
                    split += len(matcher._live_branches(ctx)) < len(matcher.branch_needs)
    assert checked > 1000 and split > 500, (checked, split)


@pytest.mark.parametrize("post", range(3))
def test_scans_from_the_starts_equal_whole_regex_scans(post: int) -> None:
    """A long text tries a branch only where one of its ``branch_starts`` occurs
    (``Matcher._spans_at``): exactly the whole regex's matches, for every matcher."""
    checked = started = 0
    for rule_id, matcher, ctx in _split_matchers(post, "branch_starts"):
        assert matcher._spans(ctx, "") == _whole_regex_spans(matcher, ctx), rule_id
        checked += 1
        assert matcher.branch_starts is not None
        started += any(matcher._starts_at(ctx, k) for k in range(len(matcher.branch_starts)))
    assert checked > 100 and started > 50, (checked, started)


def test_a_gated_context_rule_is_reached_from_its_cues() -> None:
    """``confidentiality.colleague_personal`` has no anchor words: it is reached from its
    ``near`` cues, not run on every draft; a draft whose cases do not compare reaches it."""
    cfg = load_config(None)
    policy = load_policy(cfg)
    rule = policy.rule("confidentiality.colleague_personal")

    def picked(text: str) -> bool:
        ctx = Context(prepared=prepare(text), channel="any", org=cfg.organisation, vocab={})
        return rule in policy.candidates(ctx)

    assert rule.needs_gate()
    assert not picked("Lovely day at the park.")
    assert picked("Sue in accounts has been signed off with stress again.")
    assert picked("Sue \u0131n accounts is off")  # dotless i: lower case misleads
