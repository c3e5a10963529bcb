"""Is a message a question about the social media policy at all? Evidence, not a score.

Without a model, ``canipost ask`` must refuse small talk, IT help, lunch, pay,
sport and weather, yet answer short real questions ("can i retweet this?",
"is a selfie at work ok?"). Sharing words with the protocol is not enough:
its keywords include everyday office words ("password", "joke", "paid",
"party", "email"). A message is about the policy when it shows an intent to
post or asks about the protocol itself (:attr:`Intent.posting`), or names one
of the protocol's own topics (:attr:`Intent.topic`: "court", "injunction",
"#ad"); everyday words count only when the message asks for permission ("can
I ...", "is it ok to ..."). Other workplace business (:attr:`Intent.elsewhere`:
"payslip", "vpn", "canteen") marks an aside in a conversation.

The word lists are data (``bot/policy/data/intent.txt``, then ``bot/ask/data/intent.txt``:
groups of the same name add up), matched after the same spellings and stemming as
retrieval, so "tweeting" and "pics" count. A ``[topic]`` group names the protocol's topics
in words the protocol itself does not use ("catfishing", "pr package"), matched as typed.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from bot.policy.retrieval import _STEMMER, PolicyIndex, normalise_question, tokens, tokens_of

_DATA = (
    Path(__file__).parents[1] / "policy" / "data" / "intent.txt",
    Path(__file__).with_name("data") / "intent.txt",
)
_RAW_WORD = re.compile(r"[a-z0-9#@&]+")
_ACK_WORD = re.compile(r"[a-z']+")
#: Groups of intent.txt read as plain words (no stemming, no phrases).
_WORD_GROUPS = frozenset({"thanks", "thank"})
_HASHTAG = re.compile(r"(?<![\w&])#[a-z]\w*")

#: Asking whether something is allowed: what makes everyday words a policy question.
_PERMISSION = re.compile(
    r"""\b(?:
        (?<!when\s)(?<!how\s)(?<!where\s)(?<!why\s)(?<!who\s)(?<!what\s)(?<!which\s)
        (?:can|could|may|should|shall|must|do|does)\s+(?:i|we|staff|people|volunteers|they|he|she|someone|anyone|my|our)\b
      | (?:am\s+i|are\s+we|are\s+staff|is\s+\w+|are\s+\w+)\s+(?:even\s+)?allowed\b
      | (?:ok|okay|alright|fine|allowed|safe|wise|legal|illegal|acceptable|appropriate)\s+(?:to|if|for)\b
      | (?:is|are|would|will|was)\s+\w[^?.!]{0,60}?\b
        (?:ok|okay|alright|fine|allowed|acceptable|appropriate|legal|a\s+problem|an\s+issue|risky)\b
      | (?:ok|okay|alright|fine|allowed)\s*\?
      | (?:does|would|will|could)\s+(?:it|that|this)\s+(?:matter|count|apply|be\s+a\s+problem)\b
      | (?:am\s+i|are\s+we|would\s+i\s+be|will\s+i\s+be)\s+(?:ok|okay|alright|covered|in\s+trouble)\b
      | (?:will|would|could|can)\s+i\s+get\s+(?:in(?:to)?\s+trouble|sacked|fired|sued|disciplined)\b
      | what\s+happens\s+if\b
      | what\s+(?:do|should|can|could|would)\s+(?:i|we)\s+(?:say|post|write|put|do)\b
      | \b(?:rules?|guidelines?|polic(?:y|ies)|banned|forbidden|not\s+allowed)\b
      | what\s+(?:if|about)\s+(?:i|we)\b
      | any\s+(?:rules|problem|issue)s?\b
    )""",
    re.I | re.X,
)
#: "can I have / get / borrow the wifi password?" asks for a thing, not for permission.
_REQUEST = re.compile(
    r"\b(?:can|could|may)\s+(?:i|we)\s+(?:have|get|borrow|grab|book|claim|swap|order|take)\b"
    # "can i have a laugh / a moan about it?" asks to do something, not for a thing
    r"(?!\s+(?:a\s+)?(?:laugh|moan|rant|go\s+at|dig|vent|joke|whinge|pop\s+at)\b)",
    re.I,
)


@dataclass(frozen=True, slots=True)
class Intent:
    """What a message shows about being a policy question (see the module docstring)."""

    posting: bool
    topic: bool
    everyday: bool
    elsewhere: bool
    permission: bool
    #: The only evidence of a protocol topic is one word ("the patient in bed 4").
    single: bool = False
    #: Other business named as typed (a phrase, or "payroll" but not "park" for "parking").
    named: bool = False

    @property
    def faint(self) -> bool:
        """One topic word beside other business ("is the staff survey anonymous?")."""
        return self.single and self.named

    @property
    def strong(self) -> bool:
        """Words of posting or of the protocol's own topics."""
        return self.posting or self.topic

    @property
    def evidence(self) -> bool:
        """Enough to answer a question that starts a conversation."""
        if self.aside:
            return False
        if self.strong:
            return True
        return self.everyday and self.permission and not self.elsewhere

    @property
    def aside(self) -> bool:
        """Clearly about something else: other workplace business, nothing of the policy
        but at most a single topic word ("can i get the day off for the funeral?", "is the
        staff survey anonymous?", "are we allowed jeans now or was that a trial?")."""
        if not self.elsewhere or self.posting:
            return False
        return not self.topic or self.faint


@dataclass(frozen=True, slots=True)
class _Lists:
    words: dict[str, frozenset[str]]
    plain: dict[str, frozenset[str]]
    phrases: dict[str, list[re.Pattern[str]]]
    phrase_tokens: dict[str, list[frozenset[str]]]


def _phrase(entry: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in entry.split()]
    return re.compile(r"\b" + r"\s+".join(words) + r"\b")


def _read(*paths: Path) -> _Lists:
    words: dict[str, set[str]] = {}
    plain: dict[str, set[str]] = {}
    phrases: dict[str, list[re.Pattern[str]]] = {}
    phrase_tokens: dict[str, list[frozenset[str]]] = {}
    group = ""
    lines = [line for path in paths for line in path.read_text(encoding="utf-8").splitlines()]
    for raw in lines:
        line = raw.split(" #", 1)[0].strip()  # "#ad" would be an entry, "# ..." a comment
        if not line or line == "#" or line.startswith("# "):
            continue
        if line.startswith("[") and line.endswith("]"):
            group = line[1:-1]
            words.setdefault(group, set())
            plain.setdefault(group, set())
            phrases.setdefault(group, [])
            phrase_tokens.setdefault(group, [])
            continue
        entry = line.lower()
        if group in _WORD_GROUPS:  # plain words, several to a line
            plain[group].update(entry.split())
            continue
        if " " in entry:
            phrases[group].append(_phrase(entry))
            toks = frozenset(tokens([entry], phrases=False)[0])
            if toks:
                phrase_tokens[group].append(toks)
        else:
            words[group].add(_STEMMER.stemWord(entry))  # as typed: "selfie" is not "photo"
            plain[group].add(entry)
    return _Lists(
        {g: frozenset(w) for g, w in words.items()},
        {g: frozenset(w) for g, w in plain.items()},
        phrases,
        phrase_tokens,
    )


def _stems(text: str) -> set[str]:
    """A text's words stemmed as typed and after the chat spellings ("pics" -> photo)."""
    out = set(_STEMMER.stemWords(_RAW_WORD.findall(text)))
    out.update(tokens_of(text, False))
    return out


_lock = threading.Lock()
_lists: _Lists | None = None


def _get_lists() -> _Lists:
    global _lists
    with _lock:
        if _lists is None:
            _lists = _read(*_DATA)
        return _lists


@functools.lru_cache(maxsize=512)
def intent(message: str, index: PolicyIndex) -> Intent:
    """Read what ``message`` shows about being a policy question (cached: a turn asks twice)."""
    lists = _get_lists()
    typed = " ".join(message.lower().replace("\u2019", "'").replace("\u2018", "'").split())
    # Phrases (retrieval's "footballer" -> famous) are no evidence of a policy question.
    text = " ".join(normalise_question(message, phrases=False).split())
    # "can i get the day off?" asks for a thing, whatever business it is about
    permission = bool(_PERMISSION.search(text)) and not _REQUEST.search(text)
    elsewhere = False
    for pattern in lists.phrases.get("elsewhere", []):
        if pattern.search(text) or pattern.search(typed):
            elsewhere = True
            # "share my screen" is not sharing a post
            text, typed = pattern.sub(" ", text), pattern.sub(" ", typed)
    stems = _stems(typed) | _stems(text)
    q = set(index.query(text, phrases=False))
    words = lists.words
    posting = (
        bool(stems & words.get("posting", frozenset()))
        or any(p.search(text) for p in lists.phrases.get("posting", []))
        or bool(_HASHTAG.search(typed))  # "is #gifted enough?"
    )
    everyday_words = words.get("everyday", frozenset()) | words.get("elsewhere", frozenset())
    topic_words = (q & index.domain) - everyday_words - words.get("posting", frozenset())
    weak_phrases = lists.phrase_tokens.get("everyday", [])
    phrase_hits = [p for p in index.phrases if p <= q]
    topic_phrases = any(
        not any(p == w for w in weak_phrases) and not p <= everyday_words for p in phrase_hits
    )
    # as typed: "hospitality" must not stem to "hospital", nor "gifted" to "gift"
    raw_words = set(_RAW_WORD.findall(typed)) | set(_RAW_WORD.findall(text))
    listed = bool(raw_words & lists.plain.get("topic", frozenset())) or any(
        p.search(text) or p.search(typed) for p in lists.phrases.get("topic", [])
    )
    topic = bool(topic_words) or topic_phrases or listed
    # A single topic word beside other business named as typed (a phrase, or "payroll" but
    # not "park" for "parking"): "can i get the day off for the funeral?"
    named = elsewhere or bool(
        lists.plain.get("elsewhere", frozenset()).intersection(_RAW_WORD.findall(typed))
    )
    single = len(topic_words) == 1 and not (topic_phrases or listed)
    everyday = bool(q & index.domain) or bool(phrase_hits)
    elsewhere = elsewhere or bool(stems & words.get("elsewhere", frozenset()))
    return Intent(posting, topic, everyday, elsewhere, permission, single, named)


def acknowledgement(message: str) -> str | None:
    """ "thanks" for nothing but acknowledgements with a thank among them ("nice one cheers"),
    "ok" for acknowledgements alone ("ok", "fair enough", "lol"), else None."""
    lists = _get_lists()
    words = _ACK_WORD.findall(message.lower().replace("\u2019", "'"))
    if not words or not set(words) <= lists.plain.get("thanks", frozenset()):
        return None
    return "ok" if lists.plain.get("thank", frozenset()).isdisjoint(words) else "thanks"
