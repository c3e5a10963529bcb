"""``review(draft, config=...) -> Verdict``: the one function every adapter calls.

Local rules decide first (fast, offline, explainable, authoritative for
blocking). When an LLM is configured its critique may *add* findings and a
safer rewrite, but never lowers or removes what the rules decided.
"""

from __future__ import annotations

import importlib
import logging
import time
from typing import Protocol

from bot.config import Config
from bot.policy import Policy, load_policy
from bot.policy.model import Context
from bot.text import Prepared, check_draft, prepare
from bot.verdict import Draft, Finding, Verdict, normalise_channel

log = logging.getLogger("canipost.review")

#: Longest quote shown for one finding; the offsets still cover the whole span.
MAX_QUOTE = 200


class LocalLayer(Protocol):
    """A local (offline) review layer that runs after the YAML rules.

    It gets the rules' verdict and returns the verdict to use. Built-in layers
    are registered in :data:`LOCAL_LAYERS` exactly as an outside one would be:
    ``"module:function"``. A layer whose module is not importable in this
    build is skipped; a layer must never lower a rules ``do_not_post``.
    """

    def __call__(
        self, verdict: Verdict, *, draft: Draft, text: str, prepared: Prepared, config: Config
    ) -> Verdict: ...


#: Local layers, in order: the comms team's watch list, then the learned layer
#: (which sees the watch list's findings as features).
LOCAL_LAYERS: list[str] = ["bot.watch.layer:apply", "bot.learned.layer:apply"]

_loaded_layers: list[LocalLayer] | None = None


def local_layers() -> list[LocalLayer]:
    """Import the registered layers once per process; missing modules are skipped."""
    global _loaded_layers
    if _loaded_layers is None:
        found: list[LocalLayer] = []
        for spec in LOCAL_LAYERS:
            module_name, _, attr = spec.partition(":")
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name and module_name.startswith(exc.name):
                    continue  # layer not built in this checkout
                raise
            layer: LocalLayer = getattr(module, attr)
            found.append(layer)
        _loaded_layers = found
    return _loaded_layers


def reset_layers() -> None:
    """Forget the imported layers (tests that change :data:`LOCAL_LAYERS`)."""
    global _loaded_layers
    _loaded_layers = None


def review_rules(
    draft: Draft, *, config: Config, policy: Policy | None = None, layers: bool = True
) -> Verdict:
    """The local review: YAML rules, then the local layers (watch list, learned model).

    This is the verdict the workflow relies on, offline and fast. ``layers=False``
    gives the YAML rules alone (rule tests, the learned layer's own features).

    >>> from bot import Draft, load_config
    >>> review_rules(Draft("Lovely day at the park"), config=load_config()).decision.label
    'ok'
    """
    text = check_draft(draft.text)
    channel = normalise_channel(draft.channel)
    policy = policy or load_policy(config)
    prepared = prepare(text)
    ctx = Context(prepared=prepared, channel=channel, org=config.organisation, vocab=policy.vocab)
    findings: list[Finding] = []
    for rule in policy.candidates(ctx):
        for hit in rule.run(ctx):
            if hit.start is None or hit.end is None:
                start = end = None
                quote = None
            else:
                start, end = prepared.to_original(hit.start, hit.end)
                quote = text[start:end]
                if len(quote) > MAX_QUOTE:
                    quote = quote[: MAX_QUOTE - 1] + "…"
            findings.append(
                Finding(
                    rule=rule.id,
                    category=rule.category,
                    severity=rule.severity,
                    start=start,
                    end=end,
                    quote=quote,
                    message=rule.message,
                    suggestion=rule.suggestion,
                    policy_ref=rule.policy_ref,
                )
            )
    if len(findings) > 1:
        findings = merge_findings(findings)
    verdict = Verdict(findings=findings, policy_version=policy.version, id=draft.id)
    if layers:
        for layer in local_layers():
            verdict = layer(verdict, draft=draft, text=text, prepared=prepared, config=config)
    return verdict


class Critic(Protocol):
    """A second review layer that reads the local verdict and may add to it.

    Registered in :data:`CRITICS` as ``"module:attribute"``. A critic may add
    findings and a rewrite, must never lower or remove a rules finding, and
    must not raise: on failure it returns the verdict it was given, marked
    (``llm: "failed"`` and a reason).
    """

    name: str

    def enabled(self, config: Config) -> bool:
        """Whether this organisation and environment want the critic (a key is set...)."""
        ...

    def __call__(self, draft: Draft, verdict: Verdict, *, config: Config) -> Verdict: ...


#: Critics by name, as ``"module:attribute"``: the built-in ones are listed here
#: and loaded exactly like outside ones, which come from the ``canipost.critics``
#: entry-point group (the way the ``llm`` tool loads its default plugins and then
#: its entry points). Importing a critic's module must stay cheap.
CRITICS: dict[str, str] = {"llm": "bot.llm.critic:critic"}
#: The critic :func:`review` uses unless told otherwise.
DEFAULT_CRITIC = "llm"
CRITIC_ENTRY_POINTS = "canipost.critics"

_critics: dict[str, Critic | None] = {}


def get_critic(name: str = DEFAULT_CRITIC) -> Critic | None:
    """The critic registered as ``name`` (imported once), or None when it is not installed."""
    if name in _critics:
        return _critics[name]
    spec = CRITICS.get(name)
    if spec is None:
        from importlib.metadata import entry_points

        found = [ep.value for ep in entry_points(group=CRITIC_ENTRY_POINTS) if ep.name == name]
        spec = found[0] if found else None
    critic: Critic | None = None
    if spec is not None:
        module_name, _, attr = spec.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if not (exc.name and module_name.startswith(exc.name)):
                raise
        else:
            critic = getattr(module, attr or "critic")
    _critics[name] = critic
    return critic


def review(
    draft: Draft,
    *,
    config: Config,
    use_llm: bool | None = None,
    critic: Critic | str | None = None,
) -> Verdict:
    """Review a draft: rules, then (when configured) the critic's findings merged in.

    ``use_llm=None`` follows the configuration (the critic's ``enabled``, e.g.
    ``OPENAI_API_KEY`` set and not disabled); ``False`` forces rules only
    (``--no-llm``), ``True`` runs the critic whatever the configuration says.
    ``critic`` is a registered name or a :class:`Critic` (default: the LLM).
    """
    started = time.perf_counter()
    verdict = review_rules(draft, config=config)
    if use_llm is False:
        return verdict
    chosen = get_critic(critic or DEFAULT_CRITIC) if not callable(critic) else critic
    if chosen is None or (use_llm is None and not chosen.enabled(config)):
        return verdict
    verdict = chosen(draft, verdict, config=config)
    log.info(
        "reviewed draft id=%s decision=%s findings=%d llm=%s in %.0f ms",
        draft.id,
        verdict.decision.label,
        len(verdict.findings),
        verdict.llm,
        (time.perf_counter() - started) * 1000,
    )
    return verdict


def _overlaps(a: Finding, b: Finding) -> bool:
    if a.start is None or b.start is None or a.end is None or b.end is None:
        return a.start is None and b.start is None and a.rule == b.rule
    return a.start < b.end and b.start < a.end


def merge_findings(findings: list[Finding]) -> list[Finding]:
    """Drop repeats: on overlapping spans of one category keep the most severe.

    Different categories on the same words are kept: each is a different
    reason, and the author should see both. Result is ordered most severe
    first, then by position.
    """
    ranked = sorted(
        findings,
        key=lambda f: (
            -f.severity,
            -((f.end or 0) - (f.start or 0)),
            f.start if f.start is not None else -1,
        ),
    )
    kept: list[Finding] = []
    for f in ranked:
        if any(k.category == f.category and _overlaps(k, f) for k in kept):
            continue
        if any(k.rule == f.rule and k.start == f.start and k.end == f.end for k in kept):
            continue
        kept.append(f)
    kept.sort(key=lambda f: (-f.severity, f.start if f.start is not None else -1))
    return kept
