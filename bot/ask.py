"""Policy Q&A: ``ask("Can I comment on a court case?", config=...) -> Answer``.

Retrieval is BM25 (the ``bm25s`` library) over the protocol's sections,
built once per process per protocol text. With a model configured, the
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
import threading
from dataclasses import dataclass, field
from typing import Any

import bm25s
import numpy as np
import Stemmer

from bot.config import Config
from bot.errors import InputError
from bot.llm.cache import AnswerCache, cache_key
from bot.llm.client import get_client, llm_enabled, settings_from_config
from bot.llm.fallback import LLMError, describe
from bot.llm.prompts import load_prompt
from bot.llm.redaction import redact
from bot.policy import Policy, Section, load_policy
from bot.policy.model import STOPWORDS

log = logging.getLogger("canipost.ask")
# bm25s sets its own logger to DEBUG on import, which would print on every CLI run.
logging.getLogger("bm25s").setLevel(logging.WARNING)

OFF_TOPIC = (
    "I only answer questions about the social media policy. "
    "Try, for example: \u201cCan I comment on a court case?\u201d"
)
MAX_QUESTION_CHARS = 2000

#: Sections cited without a model: the best, and others scoring at least RELATIVE of it.
MAX_CITATIONS = 3
RELATIVE = 0.7
#: Sections given to the model.
LLM_SECTIONS = 4
#: Off-topic heuristic (no model): share of question words found in the protocol, best BM25 score.
MIN_COVERAGE = 0.6
#: Rank weight of overview sections (see PolicyIndex.__init__).
OVERVIEW_WEIGHT = 0.75
#: Words too common to make a question about the protocol by themselves (beyond stopwords).
GENERIC = frozenset({"need", "know", "good", "best", "make", "time"})
MIN_SCORE = 0.9
#: A match this strong is on-topic whatever a (small, confused) model says.
STRONG_COVERAGE = 0.8
STRONG_SCORE = 2.0

_MD = re.compile(r"\*\*|__|`")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"\u201c(])")
_BOLD_LEAD = re.compile(r"\*\*(.+?)\*\*")


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
        return out


# ---------------------------------------------------------------------- retrieval


_STEMMER = Stemmer.Stemmer("english")
#: bm25s's own English list has 33 words and keeps "my", "about", "got": ours is fuller.
_STOP = sorted(STOPWORDS | {"got", "get", "gets", "about", "ok", "okay", "allowed", "im"})


def _tokens(texts: list[str]) -> list[list[str]]:
    """Stemmed words without stopwords: "retweeting" finds "retweet", "legally" "legal"."""
    tokens: list[list[str]] = bm25s.tokenize(
        texts, stopwords=_STOP, stemmer=_STEMMER.stemWords, return_ids=False, show_progress=False
    )
    return tokens


def _plain(line: str) -> str:
    return _MD.sub("", line).strip()


def _sentences(line: str) -> list[str]:
    """Split a paragraph or bullet into sentences, never inside a quoted example."""
    label = _BOLD_LEAD.match(line)
    plain = _plain(line)
    if any(q in plain for q in '"\u201c\u201d') and len(plain) <= 400:
        return [plain]
    parts = [p for p in _SENTENCE.split(plain) if p]
    if label and len(parts) > 1 and parts[0] == _plain(label.group(1)):
        parts[:2] = [f"{parts[0]} {parts[1]}"]  # "**Victims.** Under the Act..." stays one unit
    return parts


def split_units(text: str) -> list[str]:
    """Quotable sentences of a section; a bullet keeps its lead-in ("Don't: ...")."""
    units: list[str] = []
    lead = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("|", "<!--")):
            continue
        if line.startswith(("- ", "* ")):
            sentences = _sentences(line[2:])
            if lead and sentences:
                sentences[0] = f"{lead} {sentences[0]}"
            units.extend(sentences)
            continue
        plain = _plain(line)
        lead = plain if plain.endswith(":") else ""
        label = _BOLD_LEAD.match(line)
        if lead and label and not label.group(1).endswith(":"):
            # "**Identifiers.** Never post any of these:" leads its bullets without the label
            lead = _plain(line[label.end() :]) or lead
        if lead and len(plain.split()) <= 3:
            continue  # a bare "Don't:" is only a lead-in
        units.extend(_sentences(line))
    return units


class PolicyIndex:
    """BM25 over the protocol's sections, and over their sentences for quoting."""

    def __init__(self, sections: list[Section]) -> None:
        self.sections = sections
        # The heading counts twice and the section's search keywords once: staff ask in
        # their own words ("my mate got nicked"), not the protocol's.
        docs = [f"{s.heading}\n{s.heading}\n{' '.join(s.keywords)}\n{s.text}" for s in sections]
        tokens = _tokens(docs)
        self.vocab = {t for doc in tokens for t in doc}
        #: Topic words (headings and keywords): a question with none of them is off topic,
        #: however many everyday words ("last", "night") it shares with the text.
        topics = _tokens([f"{s.heading} {' '.join(s.keywords)}" for s in sections])
        self.domain = {t for doc in topics for t in doc} - GENERIC
        # An overview section (``<!-- keywords: overview ... -->``) mentions every topic in
        # passing; it yields to the section that covers the topic itself.
        self._weights = np.array(
            [OVERVIEW_WEIGHT if "overview" in s.keywords else 1.0 for s in sections]
        )
        self._sections = bm25s.BM25()
        self._sections.index(tokens, show_progress=False)
        self.units: list[tuple[int, str]] = [
            (i, u) for i, s in enumerate(sections) for u in split_units(s.text)
        ]
        self._units = bm25s.BM25()
        self._units.index(_tokens([u for _, u in self.units]), show_progress=False)

    def search(self, question: str) -> tuple[list[tuple[Section, float]], float]:
        """Sections by BM25 score (best first, zero scores dropped) and word coverage."""
        q = _tokens([question])[0]
        if not q:
            return [], 0.0
        coverage = sum(t in self.vocab for t in q) / len(q)
        if self.domain.isdisjoint(q):
            coverage = 0.0  # nothing about social media or the protocol's topics
        scores = self._sections.get_scores(q) * self._weights
        order = np.argsort(-scores, kind="stable")
        hits = [(self.sections[i], float(scores[i])) for i in order if scores[i] > 0]
        return hits, coverage

    def what_to_do(self, section: Section, question: str) -> str | None:
        """The section's "Do:" advice that best matches the question (None if none does).

        The positive half of an answer: what the person *can* post instead.
        """
        idx = self.sections.index(section)
        q = _tokens([question])[0]
        if not q:
            return None
        scores = self._units.get_scores(q)
        best: tuple[float, str] | None = None
        for k, (i, unit) in enumerate(self.units):
            good = i == idx and unit.startswith("Do: ") and scores[k] > 0
            if good and (best is None or scores[k] > best[0]):
                best = (float(scores[k]), unit)
        if best is None:
            return None
        do = best[1][4:].rstrip(" ;,")
        return do if do.endswith((".", "!", "?", '"')) else do + "."

    def quote(self, section: Section, question: str, sentences: int = 2) -> str:
        """The sentences of ``section`` that best match the question, in document order."""
        idx = self.sections.index(section)
        mine = [(k, u) for k, (i, u) in enumerate(self.units) if i == idx]
        if not mine:
            return section.text.strip().split("\n", 1)[0]
        q = _tokens([question])[0]
        scores = self._units.get_scores(q) if q else np.zeros(len(self.units))
        ranked = sorted(mine, key=lambda ku: -float(scores[ku[0]]))
        top = float(scores[ranked[0][0]])
        if top <= 0:
            return mine[0][1]
        # A second sentence only when it is nearly as relevant as the first.
        best = [ranked[0]] + [ku for ku in ranked[1:sentences] if scores[ku[0]] >= RELATIVE * top]
        return " ".join(u for _, u in sorted(best))


_index_lock = threading.Lock()
_indexes: dict[str, PolicyIndex] = {}
_answers = AnswerCache(256)


def index_for(policy: Policy) -> PolicyIndex:
    """The index for this protocol text, built once per process."""
    sections = list(policy.sections.values())
    key = cache_key([(s.anchor, s.heading, s.text) for s in sections])
    with _index_lock:
        index = _indexes.get(key)
        if index is None:
            index = PolicyIndex(sections)
            _indexes[key] = index
        return index


def clear_cache() -> None:
    with _index_lock:
        _indexes.clear()
    _answers.clear()


# ---------------------------------------------------------------------- answers


def _citation(index: PolicyIndex, section: Section, question: str) -> Citation:
    return Citation(section.heading, f"protocol#{section.anchor}", index.quote(section, question))


def offline_answer(question: str, index: PolicyIndex) -> Answer:
    """The answer without a model: the best sections, quoted and cited."""
    hits, coverage = index.search(question)
    if not hits or coverage < MIN_COVERAGE or hits[0][1] < MIN_SCORE:
        return Answer(OFF_TOPIC, off_topic=True)
    top = hits[0][1]
    chosen = [s for s, score in hits[:MAX_CITATIONS] if score >= RELATIVE * top]
    citations = [_citation(index, s, question) for s in chosen]
    lines = ["Here is what the social media policy says:"]
    lines += [f"- {c.section}: {c.quote}" for c in citations]
    do = index.what_to_do(chosen[0], question)
    if do and do not in citations[0].quote:
        lines.append(f"What you can do: {do[0].upper()}{do[1:]}")
    lines.append("If you're still unsure, ask the comms team before you post.")
    return Answer("\n".join(lines), citations)


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
