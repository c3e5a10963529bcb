"""Policy Q&A: ``ask("Can I comment on a court case?", config=...) -> Answer``.

Retrieval is BM25 (the ``bm25s`` library) over the protocol's sections,
built once per process per protocol text; a small learned scorer
(:mod:`bot.ask.scorer`) reorders what BM25 found for the offline answer
(the sections sent to a model are still BM25's). With a model configured, the
question (redacted) and the top sections go to the model, which must answer
only from them and cite them; citations outside the retrieved sections are
dropped and every quote is checked against the section's text. Without a
model, or when it fails, the answer is the most relevant sections
themselves: for each, the one or two sentences that best match the question
(BM25 again, over sentences), cited.

Off-topic questions get a polite refusal. Without a model this is a
heuristic: most of the question's words must occur in the protocol and the
best section must match reasonably well; the model judges better, except
that it may not refuse a question the protocol plainly covers (a strong BM25
match): then the sections answer, with ``llm: "failed"`` and the reason.

Chat adapters call :func:`ask` and render :meth:`Answer.to_dict`.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from bot.config import Config
from bot.errors import InputError
from bot.llm.cache import AnswerCache, cache_key
from bot.llm.critic import llm_enabled
from bot.llm.fallback import LLMError, describe
from bot.policy import Policy, Section, load_policy
from bot.policy.retrieval import (
    PolicyIndex,
    index_for,
    split_units,
    who_to_ask,
)
from bot.policy.retrieval import clear_cache as clear_index_cache
from bot.policy.retrieval import plain as _plain

__all__ = [
    "OFF_TOPIC",
    "Answer",
    "Citation",
    "PolicyIndex",
    "ask",
    "clear_cache",
    "index_for",
    "offline_answer",
    "split_units",
]

log = logging.getLogger("canipost.ask")

OFF_TOPIC = (
    "I only answer questions about the social media policy. "
    "Try, for example: \u201cCan I comment on a court case?\u201d"
)
MAX_QUESTION_CHARS = 2000

#: Sections cited without a model: the best, and others scoring at least CITE_RELATIVE of it.
MAX_CITATIONS = 3
CITE_RELATIVE = 0.6
#: A prohibition is preferred to the best sentence when it scores at least this share of it.
RELATIVE = 0.7
#: Sections given to the model.
LLM_SECTIONS = 4
#: Off-topic heuristic (no model): share of question words found in the protocol, best BM25 score.
MIN_COVERAGE = 0.5
MIN_SCORE = 0.7
#: ... and for a message with words of posting ("submit a do_not_post draft").
MIN_COVERAGE_POSTING = 0.3
#: A match this strong is on-topic whatever a (small, confused) model says.
STRONG_COVERAGE = 0.8
STRONG_SCORE = 2.0


@dataclass(frozen=True, slots=True)
class Citation:
    """A protocol section an answer relies on, and words quoted from it."""

    section: str
    anchor: str
    quote: str

    def to_dict(self) -> dict[str, str]:
        return {"section": self.section, "anchor": self.anchor, "quote": self.quote}


@dataclass(slots=True)
class Answer:
    """What ``canipost ask`` prints and chat adapters render."""

    answer: str
    citations: list[Citation] = field(default_factory=list)
    llm: str = "off"
    llm_reason: str | None = None
    off_topic: bool = False
    #: In a conversation (bot.ask.conversation): the thread id, what kind of turn this
    #: was (question, followup, draft, verdict, off_topic) and a reviewed draft's verdict.
    thread: str | None = None
    turn: str | None = None
    verdict: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "answer": self.answer,
            "citations": [c.to_dict() for c in self.citations],
            "llm": self.llm,
        }
        if self.llm_reason:
            out["llm_reason"] = self.llm_reason
        if self.off_topic:
            out["off_topic"] = True
        if self.thread is not None:
            out["thread"] = self.thread
            out["turn"] = self.turn
        if self.verdict is not None:
            out["verdict"] = self.verdict
        return out


_answers = AnswerCache(256)


def clear_cache() -> None:
    """Forget built indexes and cached model answers (tests, config reload)."""
    from bot.ask.intent import intent

    clear_index_cache()
    intent.cache_clear()  # keyed by the index too
    _answers.clear()


# ---------------------------------------------------------------------- answers


def _citation(index: PolicyIndex, section: Section, question: str) -> Citation:
    return Citation(section.heading, f"protocol#{section.anchor}", index.quote(section, question))


def answerable(question: str, index: PolicyIndex) -> tuple[list[tuple[Section, float]], bool]:
    """The sections for a question on its own, and whether it is a policy question at all.

    It is when it shows an intent to post or names a protocol topic
    (:mod:`bot.ask.intent`: "what's the wifi password?" does not), most of its
    words are the protocol's, and the best section matches reasonably well. A
    message about posting ("how do I submit a do_not_post draft?") needs fewer
    of its words in the protocol.
    """
    from bot.ask.intent import intent
    from bot.ask.scorer import blend

    q = index.query(question)
    if not q:
        return [], False
    raw = index.scores(q)
    # The learned scorer (bot.ask.scorer) reorders what BM25 found; whether the best match
    # is strong enough to answer at all stays BM25's.
    if float(raw.max()) < MIN_SCORE:
        return index.rank(raw), False
    hits = index.rank(blend(question, tuple(s.anchor for s in index.sections), raw))
    # Phrases (phrases.txt) say which section a question is about; whether it is one at
    # all is read from the asker's own words (intent and coverage: "did you see that
    # footballer's goal?" holds no celebrity patient, "can i give the patient in bed 4 a
    # cup of tea?" no ward to keep confidential).
    shown = intent(question, index)
    if not shown.evidence:
        return hits, False
    asked = index.query(question, phrases=False) or q
    if index.coverage(asked) >= MIN_COVERAGE:
        return hits, True
    # With words of posting of its own, the protocol's words for its phrases count too.
    known = max(sum(t in index.vocab for t in w) / len(w) for w in (asked, q))
    # ... and so do they with more than one word of a protocol topic ("can i say they're
    # lying?"), but not with one ("can i give the patient in bed 4 a cup of tea?").
    return hits, (shown.posting or (shown.topic and not shown.single)) and known >= (
        MIN_COVERAGE_POSTING
    )


def offline_answer(question: str, index: PolicyIndex) -> Answer:
    """The answer without a model: advice built from the best sections, cited."""
    hits, on_topic = answerable(question, index)
    if not on_topic:
        return Answer(OFF_TOPIC, off_topic=True)
    top = hits[0][1]
    chosen = [s for s, score in hits[:MAX_CITATIONS] if score >= CITE_RELATIVE * top]
    return compose_answer(question, index, chosen)


def compose_answer(
    question: str, index: PolicyIndex, sections: list[Section], *, lead: str | None = None
) -> Answer:
    """Cite ``sections`` (most relevant first) and advise from them; see :func:`advice`."""
    citations = [_citation(index, s, question) for s in sections]
    return Answer(advice(question, index, sections, lead=lead), citations)


_PROHIBITION = re.compile(r"^(?:Don't|Never)\b|\b(?:don't|never|must not|mustn't|can't)\b")
_LEAD_IN = re.compile(r"^((?:Don't|Never|Do)\b[^:]{0,20}):\s+")


def _sentence(text: str) -> str:
    text = text.strip().rstrip(" ;,")
    if not text:
        return text
    text = text[0].upper() + text[1:]
    body = text.rstrip('"\u201d)')
    return text if body.endswith((".", "!", "?")) else text + "."


_CONDITION = re.compile(r"^If\s+([^,]+),")
_QUOTED = re.compile(r'"[^"]*"|\u201c[^\u201d]*\u201d|\([^)]*\)')
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def _one_sentence(index: PolicyIndex, unit: str, asked: set[str], budget: int = 1) -> str:
    """At most ``budget`` sentences of a multi-sentence rule (a bullet such as "Privacy
    settings aren't private. Friends can share ... group chats can be forwarded."), so that
    the answer stays within four sentences: the prohibition sharing most words with the
    question, else the sentence that does, else the first; one that opens with "It" or
    "This" keeps the sentence before it when the budget allows. Quotes are never split."""
    quotes: list[str] = []

    def hide(m: re.Match[str]) -> str:
        quotes.append(m.group(0))
        return f"\x00{len(quotes) - 1}\x00"

    parts = [p for p in _SENTENCE_END.split(_QUOTED.sub(hide, unit)) if p.strip()]
    if len(parts) <= budget:
        return unit
    restored = [re.sub(r"\x00(\d+)\x00", lambda m: quotes[int(m.group(1))], p) for p in parts]

    def key(pos: int) -> tuple[bool, int, bool, int]:
        text = restored[pos]
        shared = len(set(index.query(text, phrases=False)) & asked)
        alone = not _POINTS_BACK.match(text)
        return (bool(_PROHIBITION.search(text)) and shared > 0, shared, alone, -pos)

    best = max(range(len(restored)), key=key)
    first = best - 1 if best > 0 and budget > 1 and _POINTS_BACK.match(restored[best]) else best
    sentence = " ".join(restored[first : best + 1])
    lead = _LEAD_IN.match(unit)
    if lead and first > 0:  # keep "Don't:" with the sentence it leads
        sentence = f"{lead.group(0)}{sentence}"
    return sentence


_POINTS_BACK = re.compile(r"(?:It|It's|This|That|They|These|Those|He|She)\b")


def _applies(index: PolicyIndex, unit: str, asked: set[str]) -> bool:
    """Does a rule apply to the question: unconditional, or its "If ...," names a word of it?"""
    m = _CONDITION.match(unit)
    if m is None:
        return True
    condition = set(index.query(m.group(1), phrases=False)) - {"post"}
    return not condition or bool(condition & asked)


def must_not(
    index: PolicyIndex, section: Section, question: str, *, sentences: int = 1
) -> str | None:
    """The section's rule that best answers the question, a prohibition when one fits, in
    at most ``sentences`` sentences.

    A "Don't:" bullet or a "never" sentence that scores nearly as well as the
    best sentence is preferred: it is what people most need to hear.
    """
    units = index.section_units(section)
    if not units:
        return None
    scores = index.unit_scores(question)
    ranked = sorted(units, key=lambda ku: -float(scores[ku[0]]))
    # "If you are on a jury, don't post about the trial at all" answers a juror only: a rule
    # under a condition the question does not mention gives way to the section's others.
    asked = set(index.query(question))
    unconditional = [ku for ku in ranked if _applies(index, ku[1], asked)]
    ranked = unconditional or ranked
    best = float(scores[ranked[0][0]])
    chosen: str | None = None
    for k, unit in ranked:
        if unit.startswith("Do: "):
            continue
        if _PROHIBITION.search(unit) and float(scores[k]) >= RELATIVE * best:
            chosen = unit
            break
    if chosen is None:
        # What you must not do: with no prohibition near the best match, the section's
        # first one (its headline rule: "Don't comment on a live court case.").
        rules = [(k, u) for k, u in ranked if not u.startswith("Do: ") and _PROHIBITION.search(u)]
        if rules:
            chosen = min(rules)[1]
    if chosen is None:
        chosen = next((u for _, u in ranked if not u.startswith("Do: ")), None)
    if chosen is None:
        return None
    chosen = _one_sentence(index, chosen, asked, sentences)
    lead = _LEAD_IN.match(chosen)
    if lead and chosen[lead.end() :].startswith(('"', "\u201c")):
        example = chosen[lead.end() :].strip()
        # '"Well done Jake!" with a photo of him.' is one example, not two sentences.
        after = re.match(r'^(["\u201c][^"\u201d]*[.!?]["\u201d])\s+(\w[^"\u201c]*?)\.?$', example)
        if after:
            return f"A post to avoid ({after.group(2)}): {after.group(1)}"
        return f"A post to avoid: {_sentence(example)}"
    if lead:  # "Don't: say he did it" -> "Don't say he did it"
        chosen = f"{lead.group(1)} {chosen[lead.end() :]}"
    return _sentence(chosen)


def advice(
    question: str, index: PolicyIndex, sections: list[Section], *, lead: str | None = None
) -> str:
    """Two to four sentences: the rule that applies, what you can do, who to ask.

    Built from the sections' own words: the best-matching rule (a "Don't" when
    one fits), the best "Do:" advice, the other sections it touches on, and the
    contact the section names (``<!-- ask: ... -->``).
    """
    first = sections[0]
    out: list[str] = [lead] if lead else []
    # Four sentences in all: the rule gets what the advice, the other sections and the
    # contact leave.
    room = 4 - 2 - bool(lead) - (len(sections) > 1)
    rule = must_not(index, first, question, sentences=max(1, room))
    if rule:
        out.append(rule)
    do = next(filter(None, (index.what_to_do(s, question) for s in sections)), None)
    do = do or index.best_unit(first, "", "Do: ")  # any advice of the section beats none
    if do and (not rule or do.rstrip(".") not in rule):
        if do.startswith(('"', "\u201c")):
            out.append(f"A post that would be fine: {_sentence(do)}")
        else:
            out.append(f"What you can do: {_sentence(do)}")
    others = [s.heading for s in sections[1:]]
    if others:
        joined = " and ".join(f"\u201c{h}\u201d" for h in others)
        out.append(f"This also touches on {joined}.")
    out.append(f"If you're not sure, ask {who_to_ask(first)}.")
    return " ".join(out)


def _norm(s: str) -> str:
    s = (
        _plain(s)
        .replace("\u2019", "'")
        .replace("\u2018", "'")
        .replace("\u201c", '"')
        .replace("\u201d", '"')
    )
    return re.sub(r"\s+", " ", s).strip().lower()


def answer_schema(anchors: list[str], *, bounded: bool = False) -> dict[str, Any]:
    """The JSON the model must return; citations may only name the retrieved sections.

    ``bounded`` adds an item limit for grammar-constrained servers (llama.cpp),
    which turn it into grammar rules (see :func:`bot.llm.critique.bounded_schema`).
    """
    schema = _answer_schema(anchors)
    if bounded:
        schema["properties"]["citations"]["maxItems"] = LLM_SECTIONS
    return schema


def _answer_schema(anchors: list[str]) -> dict[str, Any]:
    return {
        "title": "canipost_answer",
        "type": "object",
        "additionalProperties": False,
        "required": ["answer", "citations", "off_topic"],
        "properties": {
            "answer": {"type": "string"},
            "citations": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["anchor", "quote"],
                    "properties": {
                        "anchor": {"type": "string", "enum": anchors},
                        "quote": {"type": "string"},
                    },
                },
            },
            "off_topic": {"type": "boolean"},
        },
    }


def _llm_answer(question: str, index: PolicyIndex, policy: Policy, config: Config) -> Answer:
    # The SDK, the prompt and redaction load only when a model is asked: a cold
    # offline `canipost ask` never imports openai.
    from bot.llm.client import get_client, settings_from_config
    from bot.llm.prompts import load_prompt
    from bot.llm.redaction import redact

    settings = settings_from_config(config)
    hits, _ = index.search(question)
    retrieved = [s for s, _ in hits[:LLM_SECTIONS]] or list(index.sections[:LLM_SECTIONS])
    anchors = [f"protocol#{s.anchor}" for s in retrieved]
    schema = answer_schema(anchors)
    prompt = load_prompt("ask")
    red = redact(
        question,
        org=config.organisation,
        first_names=policy.vocab.get("first_names", ()),
        names_in_context=True,
        enabled=settings.redact,
    )
    _answers.size = settings.cache_size
    key = cache_key(
        "ask", question, policy.version, settings.endpoint_key, prompt.version, settings.redact
    )
    data = _answers.get(key)
    if data is None:
        messages = prompt.messages(
            organisation=config.organisation.name,
            sections="\n\n".join(f"[protocol#{s.anchor}] {s.heading}\n{s.text}" for s in retrieved),
            off_topic_message=OFF_TOPIC,
            schema=json.dumps(schema, ensure_ascii=False),
            question=red.text,
        )
        data = (
            get_client(settings)
            .complete_json(
                messages,
                schema,
                name="canipost_answer",
                max_tokens=800,
                grammar_schema=answer_schema(anchors, bounded=True),
            )
            .data
        )
        _answers.put(key, data)
    if data.get("off_topic"):
        hits, coverage = index.search(question)
        if hits and hits[0][1] >= STRONG_SCORE and coverage >= STRONG_COVERAGE:
            fallback = offline_answer(question, index)
            fallback.llm = "failed"
            fallback.llm_reason = "the AI model declined a question the policy covers"
            return fallback
        return Answer(OFF_TOPIC, llm="used", off_topic=True)
    by_anchor = {f"protocol#{s.anchor}": s for s in retrieved}
    citations: list[Citation] = []
    for c in data.get("citations") or []:
        section = by_anchor.get(str(c.get("anchor")))
        if section is None or any(x.anchor == f"protocol#{section.anchor}" for x in citations):
            continue
        quote = red.restore(str(c.get("quote") or "")).strip()
        if not quote or _norm(quote) not in _norm(section.text):
            quote = index.quote(section, question)  # a quote must be the policy's own words
        citations.append(Citation(section.heading, f"protocol#{section.anchor}", quote))
    if not citations:  # an answer must be grounded: cite what it was given
        citations = [_citation(index, s, question) for s in retrieved[:1]]
    text = (
        red.restore(str(data.get("answer") or "")).strip() or offline_answer(question, index).answer
    )
    return Answer(text, citations, llm="used")


def ask(question: str, *, config: Config, use_llm: bool | None = None) -> Answer:
    """Answer a question about the social media policy, with citations.

    ``use_llm=None`` follows the configuration; ``False`` answers from the
    protocol alone. Never raises for model failures (the offline answer is
    returned with ``llm="failed"`` and a reason); an empty question is an
    :class:`~bot.errors.InputError`.

    >>> a = ask("Do I need to say #ad?", config=load_config(), use_llm=False)  # doctest: +SKIP
    >>> a.citations[0].anchor
    'protocol#paid-promotion'
    """
    q = (question or "").strip()
    if not q:
        raise InputError(
            'ask a question about the policy, for example: canipost ask "Can I comment on a court case?"'
        )
    if len(q) > MAX_QUESTION_CHARS:
        raise InputError(
            f"the question is {len(q):,} characters; keep it under {MAX_QUESTION_CHARS:,}"
        )
    policy = load_policy(config)
    index = index_for(policy)
    if use_llm is False or (use_llm is None and not llm_enabled(config)):
        return offline_answer(q, index)
    try:
        return _llm_answer(q, index, policy, config)
    except Exception as exc:  # the offline answer always stands
        if not isinstance(exc, LLMError):
            log.debug("ask: LLM failure", exc_info=True)
        log.warning("ask: LLM answer unavailable: %s", describe(exc))
        fallback = offline_answer(q, index)
        fallback.llm = "failed"
        fallback.llm_reason = describe(exc)
        return fallback
