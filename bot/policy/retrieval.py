"""Which protocol sections a piece of text is about: BM25 over the protocol.

Policy questions (:mod:`bot.ask`) and the LLM critique (which sends a small
model only the relevant sections) share one index per protocol text per
process::

    from bot.policy.retrieval import index_for
    hits, coverage = index_for(policy).search("can I tweet about the trial?")

It lives here, with the protocol it indexes, so that neither ``bot.ask`` nor
``bot.llm`` has to import the other. Words are stemmed (``retweeting`` finds
``retweet``); stopwords and staff's informal spellings (``abt``, ``pic``) are
data in ``bot/policy/data/``; a word one typo away from a protocol word
(``coment``) is read as that word. Imports ``bm25s`` and ``numpy``: keep it off
the ``canipost check`` path.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
import re
import threading
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

from bot.policy.loader import Policy, Section
from bot.policy.model import STOPWORDS

# bm25s sets its own logger to DEBUG on import, which would print on every CLI run.
logging.getLogger("bm25s").setLevel(logging.WARNING)

_DATA = Path(__file__).with_name("data")

#: Rank weight of overview sections (see PolicyIndex.__init__).
OVERVIEW_WEIGHT = 0.75
#: Words too common to make a question about the protocol by themselves (beyond stopwords).
#: The headings' plain words ("Keep it legal", "Don't get into a row", "Permanence: nothing
#: online is temporary") are no topic either: "it's nothing bad" is not about permanence.
GENERIC = frozenset(
    {"need", "know", "good", "best", "make", "time"}
    | {"get", "keep", "use", "noth", "exist", "organis", "inform", "activ", "situat", "common"}
    | {"sens", "temporari"}
)
#: Weight of a question's words that are a section's own topic words (heading and
#: keywords), each by how few sections share it, on top of BM25 over the whole text:
#: staff ask in the keywords' words, which BM25 dilutes in a long section.
KEYWORD_WEIGHT = 0.15
#: A word of a multi-word keyword found without the rest of its phrase counts this much
#: of its keyword weight (a whole phrase counts in full).
PART_WEIGHT = 0.75
#: Shortest stem that typo repair touches: shorter ones have too many neighbours.
MIN_TYPO_LEN = 6
#: Second sentence of a quote: only when it scores at least this share of the first.
RELATIVE = 0.7

_MD = re.compile(r"\*\*|__|`")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"\u201c(])")
_BOLD_LEAD = re.compile(r"\*\*(.+?)\*\*")
_COMMENT = re.compile(r"^\s*<!--.*?-->\s*$", re.M)
_ASK = re.compile(r"^\s*<!--\s*ask:\s*(.*?)\s*-->\s*$", re.M)
#: Who to ask when a section says nothing of its own (``<!-- ask: ... -->`` in protocol.md).
DEFAULT_CONTACT = "the comms team"
_WORD = re.compile(r"[a-z0-9#@&]+(?:'[a-z]+)?")


#: ``canipost ask``'s own additions to the phrase list, read before phrases.txt (a conversation's
#: "the same post on my personal facebook" is the thread's post, not one post everywhere).
_ASK_PHRASES = Path(__file__).parents[1] / "ask" / "data" / "phrases.txt"


def _lines(name: str | Path) -> list[str]:
    text = (_DATA / name).read_text(encoding="utf-8")
    return [s for line in text.splitlines() if (s := line.split(" #", 1)[0].strip())]


def _load_spellings() -> dict[str, str]:
    """``abt -> about``: informal spellings and slang, read before stemming."""
    out: dict[str, str] = {}
    for line in _lines("spellings.txt"):
        if line.startswith("#") or "=" not in line:
            continue
        left, right = (p.strip() for p in line.split("=", 1))
        for word in left.split(","):
            if word.strip():
                out[word.strip().lower()] = right.lower()
    return out


def _load_phrases() -> list[tuple[re.Pattern[str], str]]:
    """``every hour -> how often``: ways of saying a topic in several words (the ask
    additions, then phrases.txt)."""
    out: list[tuple[re.Pattern[str], str]] = []
    extra = _lines(_ASK_PHRASES) if _ASK_PHRASES.is_file() else []
    for line in extra + _lines("phrases.txt"):
        if line.startswith("#") or " = " not in line:
            continue
        left, right = (p.strip() for p in line.rsplit(" = ", 1))
        out.append((re.compile(rf"(?<![\w#@])(?:{left})(?!\w)"), right.lower()))
    return out


_STEMMER = Stemmer.Stemmer("english")
#: bm25s's own English list has 33 words and keeps "my", "about", "got": ours is fuller.
QUESTION_STOPWORDS = frozenset(
    STOPWORDS | {w for w in _lines("question_stopwords.txt") if not w.startswith("#")}
)
_STOP = sorted(QUESTION_STOPWORDS)
SPELLINGS = _load_spellings()
PHRASES = _load_phrases()
#: A hashtag written in CamelCase (``#MondayMotivation``): a question about its capitals.
_CAMEL_TAG = re.compile(r"#[A-Za-z]*[a-z][A-Z]")


@functools.lru_cache(maxsize=4096)  # a turn reads one message several times
def normalise_question(text: str, *, phrases: bool = True) -> str:
    """Lower-case, curly quotes straightened, informal spellings replaced (``abt`` -> about),
    then phrases (``5x a day`` -> how often post frequency); a CamelCase hashtag adds
    ``camelcase``: whether to capitalise a hashtag's words is a question of accessibility.

    ``phrases=False`` keeps the asker's words: phrases say *which* section a question
    is about, never *whether* it is about the policy ("did you see that footballer's
    goal?" holds no celebrity patient, "my sister had a baby!" no child to protect)."""
    camel = " camelcase hashtag" if _CAMEL_TAG.search(text) else ""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = _WORD.sub(lambda m: SPELLINGS.get(m.group(0), m.group(0)), text)
    for pattern, words in PHRASES if phrases else ():
        text = pattern.sub(words, text)
    return text + camel


def tokens(texts: list[str], *, phrases: bool = True) -> list[list[str]]:
    """Stemmed words without stopwords: "retweeting" finds "retweet", "legally" "legal"."""
    out: list[list[str]] = bm25s.tokenize(
        [normalise_question(t, phrases=phrases) for t in texts],
        stopwords=_STOP,
        stemmer=_STEMMER.stemWords,
        return_ids=False,
        show_progress=False,
    )
    return out


@functools.lru_cache(maxsize=4096)
def tokens_of(text: str, phrases: bool = True) -> tuple[str, ...]:
    """:func:`tokens` of one text, remembered: a turn tokenises the same message many times
    (retrieval, quoting, intent), and bm25s's tokenizer costs a progress bar each call."""
    return tuple(tokens([text], phrases=phrases)[0])


def plain(line: str) -> str:
    """A line of protocol markdown without bold or code marks."""
    return _MD.sub("", line).strip()


def _sentences(line: str) -> list[str]:
    """Split a paragraph or bullet into sentences, never inside a quoted example."""
    label = _BOLD_LEAD.match(line)
    text = plain(line)
    if any(q in text for q in '"\u201c\u201d') and len(text) <= 400:
        return [text]
    parts = [p for p in _SENTENCE.split(text) if p]
    if label and len(parts) > 1 and parts[0] == plain(label.group(1)):
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
        text_line = plain(line)
        lead = text_line if text_line.endswith(":") else ""
        label = _BOLD_LEAD.match(line)
        if lead and label and not label.group(1).endswith(":"):
            # "**Identifiers.** Never post any of these:" leads its bullets without the label
            lead = plain(line[label.end() :]) or lead
        if lead and len(text_line.split()) <= 3:
            continue  # a bare "Don't:" is only a lead-in
        units.extend(_sentences(line))
    return units


def who_to_ask(section: Section) -> str:
    """Who the section says to ask (``<!-- ask: the safeguarding lead -->``), else the comms team."""
    m = _ASK.search(section.text)
    return m.group(1) if m else DEFAULT_CONTACT


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class PolicyIndex:
    """BM25 over the protocol's sections, and over their sentences for quoting."""

    def __init__(self, sections: list[Section]) -> None:
        self.sections = sections
        self._position = {s.anchor: i for i, s in enumerate(sections)}
        # The heading counts twice and the section's search keywords once: staff ask in
        # their own words ("my mate got nicked"), not the protocol's.
        docs = [
            f"{s.heading}\n{s.heading}\n{' '.join(s.keywords)}\n{_COMMENT.sub('', s.text)}"
            for s in sections
        ]
        # The protocol is indexed in its own words: phrases.txt reads the asker's.
        toks = tokens(docs, phrases=False)
        self.vocab = {t for doc in toks for t in doc}
        #: Topic words (headings and keywords): a question with none of them is off topic,
        #: however many everyday words ("last", "night") it shares with the text.
        topics = tokens([f"{s.heading} {' '.join(s.keywords)}" for s in sections], phrases=False)
        # A one-word keyword ("nicked") makes a question on topic by itself; a phrase
        # ("night shift") only whole, or "who won the match last night?" would be.
        keywords = sorted({k for s in sections for k in s.keywords})
        single: set[str] = set()
        #: Multi-word keywords, each as the set of its search tokens.
        self.phrases: list[frozenset[str]] = []
        for keyword, words in zip(keywords, tokens(keywords, phrases=False), strict=True):
            if len(keyword.split()) == 1:
                single.update(words)
            elif len(set(words)) > 1:  # "night out" is only "night" once "out" is dropped
                self.phrases.append(frozenset(words))
        headings = tokens([s.heading for s in sections], phrases=False)
        self.domain = ({t for doc in headings for t in doc} | single) - GENERIC
        # Networks are on topic everywhere and favour no section: known, not indexed.
        platforms = {t for doc in tokens(_lines("platforms.txt"), phrases=False) for t in doc}
        self.vocab |= platforms
        self.domain |= platforms
        #: Each section's own topic words, to tell when a conversation changes topic.
        self.topics = [set(doc) - GENERIC for doc in topics]
        shared: dict[str, int] = {}
        for own_words in self.topics:
            for w in own_words:
                shared[w] = shared.get(w, 0) + 1
        self._topic_idf = [
            {w: math.log(len(sections) / shared[w]) for w in own_words} for own_words in self.topics
        ]
        # The bonus weighs phrases, not only words: a word of a section's heading or of
        # a one-word keyword counts in full alone, a word of a multi-word keyword
        # ("sports day", "new starter", "passed away") in full only with the rest of its
        # phrase (PART_WEIGHT without it), or "a team away day" would be about sports
        # day, new starters and bereavement.
        self._alone: list[frozenset[str]] = []
        self._own_phrases: list[list[frozenset[str]]] = []
        for s, heading in zip(sections, headings, strict=True):
            kw = [k for k in s.keywords if k != "overview"]
            kw_tokens: list[list[str]] = tokens(kw, phrases=False) if kw else []
            alone = set(heading)
            own_phrases: list[frozenset[str]] = []
            for k, ws in zip(kw, kw_tokens, strict=True):
                if len(k.split()) == 1 or len(set(ws)) <= 1:
                    alone.update(ws)
                else:
                    own_phrases.append(frozenset(ws))
            self._alone.append(frozenset(alone - GENERIC))
            self._own_phrases.append(own_phrases)
        # An overview section (``<!-- keywords: overview ... -->``) mentions every topic in
        # passing; it yields to the section that covers the topic itself.
        self._weights = np.array(
            [OVERVIEW_WEIGHT if "overview" in s.keywords else 1.0 for s in sections]
        )
        self._sections = bm25s.BM25()
        self._sections.index(toks, show_progress=False)
        self.units: list[tuple[int, str]] = [
            (i, u) for i, s in enumerate(sections) for u in split_units(s.text)
        ]
        self._units = bm25s.BM25()
        self._units.index(tokens([u for _, u in self.units], phrases=False), show_progress=False)
        # Typo repair, toward topic words only (SymSpell-style deletes): "coment" is
        # "comment", but an everyday word ("night") must not turn into a protocol one.
        self._near: dict[str, str] = {}
        for word in sorted(self.domain, key=len):
            if len(word) >= MIN_TYPO_LEN:
                for d in _deletes(word) | {word}:
                    self._near.setdefault(d, word)

    # ------------------------------------------------------------------ queries

    def query(self, text: str, *, phrases: bool = True) -> list[str]:
        """The text's search tokens, a word one typo from a protocol word read as that word
        (``phrases=False``: without phrases.txt, see :func:`normalise_question`)."""
        out: list[str] = []
        for t in tokens_of(text, phrases):
            if t in self.vocab or len(t) < MIN_TYPO_LEN or t.isdigit():
                out.append(t)
                continue
            fixed = self._near.get(t) or next(
                (self._near[d] for d in sorted(_deletes(t)) if d in self._near), None
            )
            out.append(fixed or t)
        return out

    def scores(self, q: list[str]) -> np.ndarray:
        """Weighted BM25 score of every section for the query tokens (zeros if none)."""
        if not q:
            return np.zeros(len(self.sections))
        own = np.array([self.own_score(i, set(q)) for i in range(len(self.sections))])
        result: np.ndarray = (self._sections.get_scores(q) + KEYWORD_WEIGHT * own) * self._weights
        return result

    def own_score(self, i: int, words: set[str]) -> float:
        """Rarity of the query's words that are section ``i``'s own topic words: in full
        for heading words, one-word keywords and whole phrases, in part for a word of
        a phrase on its own."""
        full = words & self._alone[i]
        part: set[str] = set()
        for p in self._own_phrases[i]:
            if p <= words:
                full |= p
            else:
                part |= p & words
        idf = self._topic_idf[i]
        whole = sum(idf.get(w, 0.0) for w in full)
        return whole + PART_WEIGHT * sum(idf.get(w, 0.0) for w in part - full)

    def coverage(self, q: list[str]) -> float:
        """Share of the query's words the protocol knows; 0 when none is a topic word."""
        if not q or not self.on_topic(q):
            return 0.0  # nothing about social media or the protocol's topics
        return sum(t in self.vocab for t in q) / len(q)

    def on_topic(self, q: list[str]) -> bool:
        """Does the query hold a topic word, or every word of a topic phrase?"""
        if not self.domain.isdisjoint(q):
            return True
        words = set(q)
        return any(p <= words for p in self.phrases)

    def rank(self, scores: np.ndarray) -> list[tuple[Section, float]]:
        """Sections by score, best first, zero scores dropped."""
        order = np.argsort(-scores, kind="stable")
        return [(self.sections[i], float(scores[i])) for i in order if scores[i] > 0]

    def search(self, question: str) -> tuple[list[tuple[Section, float]], float]:
        """Sections by BM25 score (best first, zero scores dropped) and word coverage."""
        q = self.query(question)
        if not q:
            return [], 0.0
        return self.rank(self.scores(q)), self.coverage(q)

    def topic_words(self, section: Section, q: list[str]) -> set[str]:
        """The query tokens that are topic words of ``section``."""
        return self.topics[self._position[section.anchor]] & set(q)

    # ------------------------------------------------------------------ quoting

    def section_units(self, section: Section) -> list[tuple[int, str]]:
        """(unit number, sentence) for each quotable sentence of ``section``."""
        idx = self._position[section.anchor]
        return [(k, u) for k, (i, u) in enumerate(self.units) if i == idx]

    def unit_scores(self, question: str) -> np.ndarray:
        """BM25 score of every quotable sentence for the question."""
        q = self.query(question)
        if not q:
            return np.zeros(len(self.units))
        result: np.ndarray = self._units.get_scores(q)
        return result

    def best_unit(self, section: Section, question: str, prefix: str) -> str | None:
        """The sentence of ``section`` starting with ``prefix`` (e.g. "Do: ") that best
        matches the question, without the prefix; None if none matches at all."""
        scores = self.unit_scores(question)
        best: tuple[float, str] | None = None
        for k, unit in self.section_units(section):
            # An empty question takes the section's first such sentence.
            good = unit.startswith(prefix) and (scores[k] > 0 or not question)
            if good and (best is None or scores[k] > best[0]):
                best = (float(scores[k]), unit)
        if best is None:
            return None
        text = best[1][len(prefix) :].rstrip(" ;,")
        return text if text.endswith((".", "!", "?", '"')) else text + "."

    def what_to_do(self, section: Section, question: str) -> str | None:
        """The section's "Do:" advice that best matches the question (None if none does)."""
        return self.best_unit(section, question, "Do: ")

    def quote(self, section: Section, question: str, sentences: int = 2) -> str:
        """The sentences of ``section`` that best match the question, in document order."""
        mine = self.section_units(section)
        if not mine:
            return section.text.strip().split("\n", 1)[0]
        scores = self.unit_scores(question)
        ranked = sorted(mine, key=lambda ku: -float(scores[ku[0]]))
        top = float(scores[ranked[0][0]])
        if top <= 0:
            return mine[0][1]
        # A second sentence only when it is nearly as relevant as the first.
        best = [ranked[0]] + [ku for ku in ranked[1:sentences] if scores[ku[0]] >= RELATIVE * top]
        return " ".join(u for _, u in sorted(best))


_index_lock = threading.Lock()
_indexes: dict[str, PolicyIndex] = {}


def index_for(policy: Policy) -> PolicyIndex:
    """The index for this protocol text, built once per process."""
    sections = list(policy.sections.values())
    blob = json.dumps([(s.anchor, s.heading, s.text, s.keywords) for s in sections])
    key = hashlib.sha256(blob.encode("utf-8")).hexdigest()
    with _index_lock:
        index = _indexes.get(key)
        if index is None:
            index = PolicyIndex(sections)
            _indexes[key] = index
        return index


def clear_cache() -> None:
    """Forget built indexes (tests, policy reload)."""
    with _index_lock:
        _indexes.clear()
