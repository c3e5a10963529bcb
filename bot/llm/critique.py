"""The second review layer: a model reads the redacted draft against the protocol.

:func:`critique_verdict` is what :func:`bot.review.review` calls after the
rules. It never raises: any failure returns the rules verdict with
``llm: "failed"`` and a one-line ``llm_reason``.

The draft is data, not instructions: invisible characters are stripped, it
goes in a ``<draft>`` block whose delimiters cannot be forged from inside,
the prompt tells the model to ignore instructions in it, and, whatever the
model says, it can only add findings (see :mod:`bot.llm.merge`).
"""

from __future__ import annotations

import copy
import json
import logging
import re
import time
from dataclasses import replace
from typing import Any

from bot.config import Config
from bot.llm.cache import AnswerCache, cache_key
from bot.llm.client import get_client, settings_from_config
from bot.llm.fallback import LLMContextTooLong, LLMError, describe, fall_back
from bot.llm.merge import MAX_LLM_FINDINGS, llm_findings, merge, to_clean
from bot.llm.prompts import load_prompt
from bot.llm.redaction import Redaction, clean_with_map, redact
from bot.policy import Policy, Section, load_policy
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

_DELIMITER = re.compile(r"<\s*/?\s*draft\b[^>]*>", re.IGNORECASE)
_cache = AnswerCache(256)
_protocols: dict[str, str] = {}
_compact_endpoints: set[str] = set()
_SCHEMA_JSON = json.dumps(CRITIQUE_SCHEMA, ensure_ascii=False)


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
        f"{'#' * s.level} {s.heading} [protocol#{s.anchor}]\n{s.text}" for s in sections
    )


def relevant_sections(policy: Policy, text: str, verdict: Verdict, k: int = 4) -> list[Section]:
    """The sections the rules cited plus the ``k`` most relevant to the draft (BM25), in order.

    Used instead of the whole protocol when the model's context window is too
    small for it (a small local model).
    """
    from bot.policy.retrieval import index_for  # one BM25 index per protocol per process

    anchors = {f.policy_ref.split("#", 1)[-1] for f in verdict.findings}
    hits, _ = index_for(policy).search(text)
    anchors.update(s.anchor for s, _ in hits[:k])
    return [s for a, s in policy.sections.items() if a in anchors]


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
    return json.dumps(items, ensure_ascii=False, indent=1) if items else "[]"


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
        config.profile,
        config.organisation.name,
        [(f.rule, f.start, f.end) for f in verdict.findings],
    )
    data: dict[str, Any] | None = _cache.get(key)
    requests, fmt = 0, "cache"
    if data is None:
        compact = settings.endpoint_key in _compact_endpoints
        while True:
            messages = prompt.messages(
                organisation=config.organisation.name,
                profile=config.profile,
                channel=channel,
                protocol=protocol_text(
                    policy, relevant_sections(policy, red.text, verdict) if compact else None
                ),
                rule_findings=_rule_findings_json(verdict, red, index_map),
                rewrite_instructions=rewrite_prompt.text(
                    channel=channel, max_chars=MAX_CHARS.get(channel, 2200)
                ),
                schema=_SCHEMA_JSON,
                draft=fence(red.text),
            )
            try:
                completion = get_client(settings).complete_json(
                    messages,
                    CRITIQUE_SCHEMA,
                    name="canipost_critique",
                    max_tokens=min(4000, 900 + len(text) // 2),
                    grammar_schema=bounded_schema(),
                )
                break
            except LLMContextTooLong as exc:
                if compact:
                    raise
                # Remember: this endpoint gets the relevant sections from now on.
                compact = True
                _compact_endpoints.add(settings.endpoint_key)
                requests += exc.requests
        data, fmt = completion.data, completion.format
        requests += completion.requests
        _cache.put(key, data)
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
    try:
        return critique(draft, verdict, config=config)
    except LLMError as exc:
        log.warning("LLM critique unavailable: %s", exc)
        return fall_back(verdict, describe(exc))
    except Exception as exc:  # a bug or a broken prompt file must not cost the author the verdict
        log.warning("LLM critique failed: %s", type(exc).__name__)
        log.debug("LLM critique failure", exc_info=True)
        return fall_back(verdict, describe(exc))


def clear_cache() -> None:
    _cache.clear()
    _protocols.clear()
    _compact_endpoints.clear()


def cache_stats() -> tuple[int, int]:
    """(hits, misses) since the last clear."""
    return _cache.hits, _cache.misses
