"""The second review layer: a model reads the redacted draft against the protocol.

:func:`critique_verdict` is what :func:`bot.review.review` calls after the
rules. It never raises: any failure returns the rules verdict with
``llm: "failed"`` and a one-line ``llm_reason``.

The draft is data, not instructions: invisible characters are stripped, it
goes in a ``<draft>`` block whose delimiters cannot be forged from inside,
the prompt tells the model to ignore instructions in it, and, whatever the
model says, it can only add findings (see :mod:`bot.llm.merge`).

The prompt has a budget (:func:`build_messages`). By default it carries only
the protocol sections that matter: those the rules' findings cite, then those
BM25 finds most relevant to the draft (:mod:`bot.policy.retrieval`), plus two
or three of the matching rules' own flag and pass examples as calibration,
filling ``llm.prompt_chars`` (default 7,200 characters with the response_format schema, never more than
12,000). A small local model answers in seconds instead of timing out on
35,000 characters; ``llm.protocol: full`` sends the whole protocol instead,
for hosted models with prompt caching. An endpoint that still refuses the
prompt as too long for its context window gets one retry at half the budget,
and that smaller budget is remembered for it.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import time
from dataclasses import dataclass, replace
from typing import Any

from bot.config import Config
from bot.llm import usage
from bot.llm.cache import AnswerCache, cache_key
from bot.llm.client import (
    MAX_PROMPT_CHARS,
    LLMSettings,
    get_client,
    known_format,
    settings_from_config,
)
from bot.llm.fallback import LLMContextTooLong, LLMError, describe, fall_back
from bot.llm.merge import MAX_LLM_FINDINGS, llm_findings, merge, to_clean
from bot.llm.prompts import load_prompt
from bot.llm.redaction import Redaction, clean_with_map, redact
from bot.policy import Policy, Section, load_policy
from bot.policy.model import Rule
from bot.verdict import CATEGORIES, RULE_SEVERITIES, Draft, Verdict, normalise_channel

log = logging.getLogger("canipost.llm")

#: The answer every critique must match (also sent as ``response_format``).
CRITIQUE_SCHEMA: dict[str, Any] = {
    "title": "canipost_critique",
    "type": "object",
    "additionalProperties": False,
    "required": ["findings", "summary", "rewrite"],
    "properties": {
        "findings": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["category", "severity", "quote", "explanation", "suggestion"],
                "properties": {
                    "category": {"type": "string", "enum": list(CATEGORIES)},
                    "severity": {"type": "string", "enum": list(RULE_SEVERITIES)},
                    "quote": {"type": "string"},
                    "explanation": {"type": "string"},
                    "suggestion": {"type": "string"},
                },
            },
        },
        "summary": {"type": "string"},
        "rewrite": {"type": ["string", "null"]},
    },
}


def bounded_schema() -> dict[str, Any]:
    """The critique schema with an item limit, for grammar-constrained servers (llama.cpp).

    Same shape as :data:`CRITIQUE_SCHEMA`, so every bounded answer is valid;
    OpenAI's strict mode never sees the limit. Only ``maxItems``: llama.cpp
    expands ``maxLength`` into nested grammar rules and refuses (and its
    server may die on) anything but tiny lengths.
    """
    schema = copy.deepcopy(CRITIQUE_SCHEMA)
    schema["properties"]["findings"]["maxItems"] = MAX_LLM_FINDINGS
    return schema


#: Longest post each network accepts, for the rewrite instructions.
MAX_CHARS: dict[str, int] = {
    "twitter": 280,
    "bluesky": 300,
    "threads": 500,
    "linkedin": 3000,
    "facebook": 63206,
    "instagram": 2200,
    "tiktok": 4000,
    "any": 2200,
}

_COMMENTS = re.compile(r"^\s*<!--.*?-->\s*\n?", re.MULTILINE)  # keywords and contacts: metadata
_DELIMITER = re.compile(r"<\s*/?\s*draft\b[^>]*>", re.IGNORECASE)
_cache = AnswerCache(256)
_protocols: dict[str, str] = {}
#: Endpoints whose context window refused a prompt: the share of the budget they get now.
_shrunk: dict[str, float] = {}
_SCHEMA_JSON = json.dumps(CRITIQUE_SCHEMA, ensure_ascii=False, separators=(",", ":"))
#: What the prompt says in place of the schema when the request carries it as response_format.
SCHEMA_IN_FORMAT = "(the JSON schema given as this request's response_format)"
#: Calibration examples per prompt, and the longest one kept.
MAX_EXAMPLES = 3
MAX_EXAMPLE_CHARS = 200
#: Sections BM25 may add beside the ones the rules cite.
RELEVANT_SECTIONS = 3
#: A section cut to fit the budget keeps at least this much, or is left out.
MIN_SECTION_CHARS = 300


def fence(text: str) -> str:
    """Make ``<draft>`` / ``</draft>`` inside the draft harmless, so it cannot close its block."""
    return _DELIMITER.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›"), text)


def protocol_text(policy: Policy, sections: list[Section] | None = None) -> str:
    """The protocol as the model sees it: each section labelled with the anchor findings cite."""
    if sections is not None:
        return _protocol_text(sections)
    cached = _protocols.get(policy.version)
    if cached is None:
        cached = _protocols[policy.version] = _protocol_text(list(policy.sections.values()))
    return cached


def _protocol_text(sections: list[Section]) -> str:
    return "\n\n".join(
        f"{'#' * s.level} {s.heading} [protocol#{s.anchor}]\n{_COMMENTS.sub('', s.text).strip()}"
        for s in sections
    )


def relevant_sections(
    policy: Policy, text: str, verdict: Verdict, k: int = RELEVANT_SECTIONS
) -> list[Section]:
    """The sections the rules cited (most severe finding first), then the ``k`` BM25 finds
    most relevant to the (redacted) draft, best first: the order they get the budget in."""
    from bot.policy.retrieval import index_for  # bm25s and numpy: only when a model is used

    anchors: list[str] = []
    for f in sorted(verdict.findings, key=lambda f: -f.severity):
        anchor = f.policy_ref.split("#", 1)[-1]
        if anchor in policy.sections and anchor not in anchors:
            anchors.append(anchor)
    hits, _ = index_for(policy).search(text)
    added = 0
    for section, _ in hits:
        if added >= k:
            break
        if section.anchor not in anchors:
            anchors.append(section.anchor)
            added += 1
    return [policy.sections[a] for a in anchors]


def _fit(section: Section, room: int) -> str | None:
    """The section as the model sees it, cut at a line end to ``room`` characters (or None)."""
    head = f"{'#' * section.level} {section.heading} [protocol#{section.anchor}]\n"
    body = _COMMENTS.sub("", section.text).strip()
    if len(head) + len(body) <= room:
        return head + body
    if room < MIN_SECTION_CHARS:
        return None
    cut = body[: room - len(head) - 2]
    cut = cut[: cut.rfind("\n")] if "\n" in cut else cut
    return head + cut.rstrip() + "\n…" if cut.strip() else None


def calibration_examples(
    policy: Policy, anchors: list[str], verdict: Verdict, org: Any, limit: int = MAX_EXAMPLES
) -> list[str]:
    """Up to ``limit`` of the rules' own flag and pass examples for these sections.

    Rules that fired on the draft come first (their shortest flag example, then their
    shortest pass example: the line the rule draws), then other rules of the first
    section. Examples are redacted like a draft, so the model sees placeholders
    the way it will in drafts, and cut to :data:`MAX_EXAMPLE_CHARS`.
    """
    wanted = set(anchors)
    fired = [f.rule for f in verdict.findings]
    by_id = {r.id: r for r in policy.rules}
    rules: list[Rule] = [by_id[r] for r in dict.fromkeys(fired) if r in by_id]
    rules += [
        r
        for r in policy.rules
        if r.policy_ref.split("#", 1)[-1] in anchors[:1] and r.id not in fired
    ]
    out: list[str] = []
    for rule in rules:
        if rule.policy_ref.split("#", 1)[-1] not in wanted and rule.id not in fired:
            continue
        for kind, examples in (("flag", rule.examples_flag), ("pass", rule.examples_pass)):
            if not examples or len(out) >= limit:
                continue
            # the shortest: the line the rule draws, in the fewest words (and more of them fit)
            text = min((e[0] for e in examples), key=len)
            if len(text) > MAX_EXAMPLE_CHARS:
                continue
            shown = redact(text, org=org, names_in_context=True).text
            if kind == "flag":
                out.append(
                    f'- "{shown}" -> {rule.severity.label} ({rule.category}): {rule.message}'
                )
            else:
                out.append(f'- "{shown}" -> fine: the rule does not apply')
        if len(out) >= limit:
            break
    return out


@dataclass(frozen=True, slots=True)
class PromptPlan:
    """What went into one critique request, for logs and the prompt-size figures."""

    messages: list[dict[str, str]]
    chars: int
    anchors: tuple[str, ...]
    examples: int
    full: bool


def build_messages(
    draft: Draft,
    verdict: Verdict,
    red: Redaction,
    index_map: list[int] | None,
    *,
    policy: Policy,
    config: Config,
    settings: LLMSettings,
    budget: int | None = None,
    examples: bool = True,
) -> PromptPlan:
    """The critique messages within ``budget`` characters, the response_format schema included.

    Fixed parts first (instructions, schema, rule findings, the draft); then
    calibration examples, then protocol sections in :func:`relevant_sections`
    order, each whole if it fits, else cut at a line end, until the budget is
    spent. A draft too long for any budget is still sent whole, with the
    sections it needs named but not quoted.
    """
    channel = normalise_channel(draft.channel)
    prompt = load_prompt("critique")
    rewrite_prompt = load_prompt("rewrite")
    full = settings.protocol == "full" and budget is None
    limit = min(budget or settings.prompt_chars, MAX_PROMPT_CHARS)
    # The schema travels as response_format unless the endpoint only takes plain requests; once
    # the endpoint is known to take it there, the prompt need not repeat it. Either way it counts.
    fmt = known_format(settings.endpoint_key)
    schema_text = _SCHEMA_JSON if fmt in (None, "plain") else SCHEMA_IN_FORMAT
    limit -= 0 if fmt == "plain" else len(_SCHEMA_JSON)

    def render(protocol: str, calibration: str) -> list[dict[str, str]]:
        return prompt.messages(
            organisation=config.organisation.name,
            profile=config.profile,
            channel=channel,
            protocol=protocol,
            examples=calibration or "(none)",
            rule_findings=_rule_findings_json(verdict, red, index_map),
            rewrite_instructions=rewrite_prompt.text(
                channel=channel, max_chars=MAX_CHARS.get(channel, 2200)
            ),
            schema=schema_text,
            draft=fence(red.text),
        )

    def size(messages: list[dict[str, str]]) -> int:
        return sum(len(m["content"]) for m in messages)

    sections = relevant_sections(policy, red.text, verdict)
    anchors = [s.anchor for s in sections]
    if full:
        shown = calibration_examples(policy, anchors, verdict, config.organisation)
        messages = render(protocol_text(policy), "\n".join(shown) if examples else "")
        return PromptPlan(messages, size(messages), tuple(policy.sections), len(shown), True)
    base = size(render("", ""))
    room = limit - base
    shown = calibration_examples(policy, anchors, verdict, config.organisation) if examples else []
    while shown and len("\n".join(shown)) > room // 4:  # examples never crowd out the protocol
        shown.pop()
    calibration = "\n".join(shown)
    room -= len(calibration)
    parts: list[str] = []
    used: list[str] = []
    for section in sections:
        text = _fit(section, room - 2)
        if text is None:
            break
        parts.append(text)
        used.append(section.anchor)
        room -= len(text) + 2
    if not parts:  # a very long draft: name the sections, the model knows the topics
        parts = [f"{s.heading} [protocol#{s.anchor}]" for s in sections[:2]]
        used = [s.anchor for s in sections[:2]]
    messages = render("\n\n".join(parts), calibration)
    return PromptPlan(messages, size(messages), tuple(used), len(shown), False)


def _rule_findings_json(verdict: Verdict, red: Redaction, index_map: list[int] | None) -> str:
    items = []
    for f in verdict.findings:
        quote = None
        if f.start is not None and f.end is not None:
            quote = red.slice(to_clean(f.start, index_map), to_clean(f.end, index_map))[:200]
        items.append(
            {
                "rule": f.rule,
                "category": f.category,
                "severity": f.severity.label,
                "quote": quote,
                "message": f.message,
            }
        )
    if not items:
        return "[]"
    lines = (json.dumps(i, ensure_ascii=False, separators=(",", ":")) for i in items)
    return "[\n" + ",\n".join(lines) + "\n]"


def critique(draft: Draft, verdict: Verdict, *, config: Config) -> Verdict:
    """Ask the model, merge its findings and rewrite; raise :class:`LLMError` on failure."""
    started = time.perf_counter()
    settings = settings_from_config(config)
    policy = load_policy(config)
    channel = normalise_channel(draft.channel)
    text = draft.text
    _, index_map = clean_with_map(text)
    red = redact(
        text,
        org=config.organisation,
        first_names=policy.vocab.get("first_names", ()),
        findings=verdict.findings,
        enabled=settings.redact,
    )
    prompt = load_prompt("critique")
    rewrite_prompt = load_prompt("rewrite")
    _cache.size = settings.cache_size
    key = cache_key(
        "critique",
        text,
        channel,
        policy.version,
        settings.endpoint_key,
        prompt.version,
        rewrite_prompt.version,
        settings.redact,
        settings.protocol,
        settings.prompt_chars,
        config.profile,
        config.organisation.name,
        [(f.rule, f.start, f.end) for f in verdict.findings],
    )
    data: dict[str, Any] | None = _cache.get(key)
    requests, fmt, chars = 0, "cache", 0
    prompt_tokens = completion_tokens = 0
    if data is None:
        share = _shrunk.get(settings.endpoint_key)
        retried = False
        while True:
            plan = build_messages(
                draft,
                verdict,
                red,
                index_map,
                policy=policy,
                config=config,
                settings=settings,
                budget=None if share is None else int(settings.prompt_chars * share),
                examples=share is None,
            )
            chars = plan.chars
            log.debug(
                "LLM critique prompt: %d characters, sections %s, %d examples",
                plan.chars,
                ",".join(plan.anchors),
                plan.examples,
            )
            try:
                completion = get_client(settings).complete_json(
                    plan.messages,
                    CRITIQUE_SCHEMA,
                    name="canipost_critique",
                    max_tokens=min(4000, 900 + len(text) // 2),
                    grammar_schema=bounded_schema(),
                )
                break
            except LLMContextTooLong as exc:
                requests += exc.requests
                prompt_tokens += exc.prompt_tokens
                if retried or (share is not None and share <= 0.25):
                    exc.requests = requests
                    raise
                # Once more at half the budget, without examples; remembered for this endpoint.
                share = 0.5 if share is None else share / 2
                _shrunk[settings.endpoint_key] = share
                retried = True
        requests += completion.requests
        prompt_tokens += completion.prompt_tokens
        completion_tokens += completion.completion_tokens
        data, fmt = completion.data, completion.format
        _cache.put(key, data)
    usage.record(
        usage.Call(
            kind="critique",
            requests=requests,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            ms=(time.perf_counter() - started) * 1000,
            cached=fmt == "cache",
            prompt_chars=chars,
            cost=settings.cost(prompt_tokens, completion_tokens),
        )
    )
    extra = llm_findings(
        data, text=text, redaction=red, index_map=index_map, sections=policy.sections
    )
    findings = merge(verdict.findings, extra)
    rewrite = data.get("rewrite")
    rewrite = red.restore(rewrite).strip() if isinstance(rewrite, str) else None
    if not rewrite or rewrite == text.strip():
        rewrite = None
    summary = red.restore(str(data.get("summary") or "")).strip() or None
    log.info(
        "LLM critique model=%s format=%s requests=%d redacted=%d added=%d in %.0f ms",
        settings.model,
        fmt,
        requests,
        len(red.replacements),
        len(findings) - len(verdict.findings),
        (time.perf_counter() - started) * 1000,
    )
    return replace(
        verdict, findings=findings, llm="used", llm_reason=None, critique=summary, rewrite=rewrite
    )


def critique_verdict(draft: Draft, verdict: Verdict, *, config: Config) -> Verdict:
    """The rules verdict plus the model's critique, or the rules verdict and why not.

    Never raises: the author always gets the rules' answer.

    >>> v = critique_verdict(Draft("Lovely day"), review_rules(d, config=cfg), config=cfg)  # doctest: +SKIP
    >>> v.llm in ("used", "failed")  # doctest: +SKIP
    True
    """
    started = time.perf_counter()
    try:
        return critique(draft, verdict, config=config)
    except LLMError as exc:
        log.warning("LLM critique unavailable: %s", exc)
        _record_failure(exc, started, config)
        return fall_back(verdict, describe(exc))
    except Exception as exc:  # a bug or a broken prompt file must not cost the author the verdict
        log.warning("LLM critique failed: %s", type(exc).__name__)
        log.debug("LLM critique failure", exc_info=True)
        _record_failure(exc, started, config)
        return fall_back(verdict, describe(exc))


def _record_failure(exc: BaseException, started: float, config: Config) -> None:
    """A failed critique still counts: its requests, tokens and time were spent."""
    prompt_tokens = getattr(exc, "prompt_tokens", 0)
    completion_tokens = getattr(exc, "completion_tokens", 0)
    try:
        cost = settings_from_config(config).cost(prompt_tokens, completion_tokens)
    except Exception:  # a broken price is reported by the call itself
        cost = None
    usage.record(
        usage.Call(
            kind="critique",
            requests=getattr(exc, "requests", 0),
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            ms=(time.perf_counter() - started) * 1000,
            failed=True,
            cost=cost,
        )
    )


def clear_cache() -> None:
    _cache.clear()
    _protocols.clear()
    _shrunk.clear()


def cache_stats() -> tuple[int, int]:
    """(hits, misses) since the last clear."""
    return _cache.hits, _cache.misses
