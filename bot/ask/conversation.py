"""Policy questions as a conversation: follow-ups, drafts and "why?" in one thread.

The platform-neutral thread API, for every chat surface and the CLI::

    from bot.ask.conversation import ask_in_thread
    answer = ask_in_thread(
        "and what about on my personal account?",
        thread_key="C0123:1733212345.000100",   # Slack channel+thread ts, Teams conversation id, ...
        user="U042",                            # who is asking: threads are per user
        platform="slack",                       # slack | teams | cli | web
        config=config,                          # Config.workspace scopes the thread
        store=store,                            # bot.store.Store (None: open DATABASE_URL)
    )
    answer.to_dict()   # {"answer", "citations", "llm", "thread", "turn"} (+ "verdict" for a draft)

Each message is one of:

- **a draft** ("what if I wrote: ...", "here's my draft: ..."): reviewed with
  :func:`bot.review.review`; the answer gives the verdict and its findings;
- **a question about that verdict** ("why is that a problem?", "how do I fix
  it?"): answered from the last draft's findings, citing their sections;
- **a follow-up** ("what about on my personal account?", "and if it's already
  in the paper?"): offline, the earlier turns' topic words are carried into
  retrieval, and a small learned ranker (``data/follow_model.json``, trained by
  ``scripts/train_ask.py --follow``) weighs, for each section, the message's own
  match, the carried words, the section the thread started on and the last ones
  cited, and the learned scorer's reading of the message alone and beside the
  earlier questions; the section the thread started on stays second unless
  another is clearly better (without the file: a fixed blend of the same);
  with a model, the follow-up is first condensed into a standalone
  question (``prompts/ask_condense.md``);
- **a new question**: a question that matches another section strongly, says
  enough to stand alone (three topic words or more) and does not read as a
  follow-up changes the topic; nothing is carried (a statement adds to the
  situation instead);
- **off topic**: refused, as in :func:`bot.ask.ask`. Whether a message is about
  the policy at all is read from evidence (:mod:`bot.ask.intent`): words of
  posting or of a protocol topic. Mid-thread, a message without them is a reply
  when it opens like a follow-up ("what if ...", "and if ..."), points back
  ("it", "she", "the same") or adds to the situation ("just for a week tho");
  a question of its own ("how do I change my password?", "and when's the
  christmas party?", "can you tell me a joke?") is one only when it is the
  asker's and matches what the thread cited. Other workplace business (IT, pay,
  lunch, sport, weather) is always an aside; thanks are thanked back.

:func:`respond` does the same on a history held in memory (evaluation, tests).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.ask import scorer
from bot.ask.core import (
    CITE_RELATIVE,
    MAX_CITATIONS,
    MAX_QUESTION_CHARS,
    MIN_COVERAGE,
    MIN_SCORE,
    OFF_TOPIC,
    Answer,
    Citation,
    PolicyIndex,
    answerable,
    ask,
    compose_answer,
    index_for,
    must_not,
)
from bot.ask.intent import acknowledgement, intent
from bot.config import Config
from bot.errors import InputError
from bot.policy import Policy, Section, load_policy
from bot.policy.retrieval import GENERIC, who_to_ask

if TYPE_CHECKING:
    from bot.ask.threads import Turn
    from bot.store import Store
    from bot.verdict import Verdict

log = logging.getLogger("canipost.ask")

#: Follow-ups: weight of the carried topic words against the message's own words (both
#: scaled to 1), and of the section the conversation started on and of the last cited ones.
CARRY = 0.8
ROOT = 0.6
RECENT = 0.3
#: A follow-up's own match counts fully only from this BM25 score up.
OWN_FLOOR = 1.5
#: Topic words a thread carries forward (the newest kept).
MAX_TOPICS = 16
#: A question about "that" verdict must come within this many turns of the draft.
VERDICT_REACH = 4
#: A message that neither opens like a follow-up nor points back is one when its own words
#: match a section the thread cited at least this share of its best match.
RELATED = 0.5
#: A new question this strong, on a section the thread has not cited, changes the topic.
NEW_TOPIC_SCORE = 1.5
#: ... and says enough to stand alone: a message of one or two topic words leans on the thread.
NEW_TOPIC_WORDS = 3
#: A question to the room ("who", "when", "where") that is the asker's own but names this
#: many words with none of posting, of a protocol topic or pointing back, is an aside.
ASIDE_WORDS = 3
#: ... and this many more when it points back ("it", "that") but asks a question of its own.
SELF_CONTAINED = 2

_DRAFT = re.compile(
    r"""^\s*(?:(?:so|ok|okay|and|but|right|hmm+|then)[,\s]+)*
    (?:
        what\s+if\s+i\s+(?:wrote|write|posted|post|said|say|put|tweeted|tweet|shared|share|changed\s+it\s+to)
        (?:\s+(?:this|instead|it\s+as))?
      | how\s+about(?:\s+if\s+i\s+(?:wrote|posted|said|put))?
      | (?:here'?s|here\s+is|this\s+is)\s+(?:my|a|the)\s+(?:new\s+|revised\s+|updated\s+)?(?:draft|post|tweet|version|wording)
      | (?:my\s+)?(?:new\s+|revised\s+)?draft
      | (?:can|could|may)\s+i\s+(?:post|write|say|tweet|put|share)\s+(?:this|the\s+following)
      | (?:is|would)\s+this\s+(?:be\s+)?(?:ok|okay|fine|allowed)
      | check\s+this
    )
    \s*(?:[:\-\u2013\u2014]\s*|(?=["\u201c\u2018']))
    (?P<draft>\S.*)$""",
    re.I | re.S | re.X,
)
_QUOTES = "\"'\u201c\u201d\u2018\u2019"

_ABOUT_VERDICT = re.compile(
    r"""\b(?:why|how\s+come|what'?s\s+(?:wrong|the\s+problem|the\s+issue)|what\s+is\s+(?:wrong|the\s+problem)
    |problem|issue|wrong\s+with|fix|change|reword|rewrite|rephrase|which\s+(?:bit|part|word|words)
    |flag(?:ged)?|explain|what\s+(?:should|do|can)\s+i\s+(?:change|do|write\s+instead)
    |(?:is|was)\s+(?:it|that|this)\s+(?:ok|okay|fine|bad|allowed)|better\s+version|instead)\b""",
    re.I | re.X,
)
_FOLLOW_UP = re.compile(
    r"""^\s*(?:(?:ok|okay|right|hmm+|oh|ah|so|and|but|also|sorry)[,!.\s]+)*
    (?:and|but|so|or|then|what\s+about|how\s+about|what\s+if|even\s+if
    |same\s+(?:for|with|if)|does\s+(?:that|this|it)|is\s+(?:that|this|it)|would\s+(?:that|this|it)
    |does\s+the\s+same|do\s+the\s+same|can\s+i\s+still|and\s+if|if\s+so|in\s+that\s+case|what\s+else
    |if\s|(?:just|only)\s+(?:to\s|\w+ing\b)
    |who\s+(?:do|does|should|can|would|could)\s+(?:i|we|she|he|they|you|u)\s+(?:need\s+to\s+|have\s+to\s+|got\s+to\s+)?
        (?:ask|tell|contact|talk\s+to|speak\s+to|go\s+to|report|check\s+with|talk\s+with|speak\s+with
        |clear\s+it\s+with|run\s+it\s+(?:past|by)|get\s+(?:it\s+)?(?:signed\s+off|approved|checked)
        |push\s+back\s+(?:to|on|with)|raise\s+(?:it|this|that)\s+with|escalate\s+(?:it\s+|this\s+)?to
        |complain\s+to|flag\s+(?:it|this|that)\s+(?:to|with))
    |what\s+(?:happens|would\s+happen|could\s+happen|will\s+happen|might\s+happen)\b
    |without\s|who\s+(?:would|will|has\s+to|needs?\s+to|must|gets?\s+to)\s+(?:need\s+to\s+|have\s+to\s+)?
        (?:say|sign|approve|check|agree|ok|okay|decide|give|clear|know)
    |what(?:'?s|\s+is|\s+are)\s+(?:the|my|our)\s+(?:alternatives?|options?|other\s+options?)
    |what\s+(?:else\s+)?(?:can|should|could|do)\s+(?:i|we)\s+(?:do|say|post|write|use|put)\s+(?:then|instead))""",
    re.I | re.X,
)
_NEW_TOPIC = re.compile(
    r"\b(?:(?:new|diff|different|another|other|separate|unrelated|random|one\s+more)\s+(?:q|qu|question|topic|thing)"
    r"|on\s+(?:a|another)\s+(?:different\s+)?(?:note|subject|topic)|chang(?:e|ing)\s+(?:the\s+)?subject"
    r"|something\s+(?:else|different)|unrelated)\b",
    re.I,
)
#: A question to the room rather than about the post: "anyone know when payday is?".
#: "random one,", "quick q:" before a question to the room.
_OPENER = (
    r"(?:random|quick|another|one\s+more)\s+(?:one|q|qu|question|thing)"
    r"(?:\s*[,:!.\-]+|\s+(?:but|tho|though|btw))?\s+"
)
_ASIDE = re.compile(
    r"^\s*(?:" + _OPENER + r"|(?:also|and|but|btw|random|oh|ok|okay|so|sorry|anyway)[,!.\s]+)*"
    r"(?:who|when|where|whos|who's|whens|when's|wheres|where's|anyone|any\s*one|does\s+anyone"
    r"|do\s+you\s+know|what\s+time"
    r"|what'?s\s+(?:the\s+)?(?:weather|score|time|date|wifi)|how\s+(?:much|many|long|far))\b",
    re.I,
)
#: An acknowledgement before another sentence: "fine ill leave it. whens the next pay day?".
_LEAD_ACK = re.compile(
    r"^\s*(?:fine|ok|okay|right|cool|great|thanks|thank\s+you|thx|ty|ta|cheers|fair\s+enough|got\s+it"
    r"|noted|will\s+do|no\s+worries|lovely|perfect|brill|nice\s+one)\b[^.!?]{0,30}[.!?]+\s+(?=\S)",
    re.I,
)
#: ... or with a comma before a question: "ok thanks, when's the next training day".
_LEAD_ACK_COMMA = re.compile(
    r"^\s*(?:(?:ok|okay|right|cool|great|thanks|thank\s+you|thx|ty|ta|cheers|fair\s+enough|got\s+it"
    r"|noted|will\s+do|no\s+worries|lovely|perfect|brill|nice\s+one|fine|makes\s+sense|understood"
    r"|lol|haha+|ha|ah|oh|ahh+|ooh+"
    r"|i'?ll\s+(?:leave|skip|drop)\s+it(?:\s+then)?|i'?ll\s+hold\s+off(?:\s+then)?)[\s,!.]*)+"
    r"[,!.]\s*(?=(?:when|whens|when's|where|wheres|where's|who|whos|who's|what|whats|what's"
    r"|how|hows|how's|is|are|does|do|anyone|any)\b)",
    re.I,
)
#: Someone acting on what the thread is about: "who should deal with it?", "how long till
#: someone looks at it?" ask about the post, however much they open like a question to the room.
_ACTS_ON = re.compile(
    r"\b(?:deal(?:s|t)?\s+with|look(?:s|ed)?\s+(?:at|into|over)|check(?:s|ed)?|sign(?:s|ed)?"
    r"(?:\s+off)?|approve[sd]?|handle[sd]?|sort(?:s|ed)?(?:\s+out)?|report(?:s|ed)?|review(?:s|ed)?"
    r"|clear(?:s|ed)?|vet(?:s|ted)?|moderate[sd]?|delete[sd]?|take\s+down|respond\s+to|reply\s+to)"
    r"\s+(?:it|this|that|them|these|those)\b"
    # "how long should it be?", "when should it go out?": what to do with the post
    r"|\b(?:should|would|could|must|needs?\s+to|has\s+to)\s+(?:it|this|that|they|the\s+post)\b",
    re.I,
)
#: A question rather than a reply, even without a question mark.
_QUESTION = re.compile(
    r"^\s*(?:" + _OPENER + r"|(?:also|and|but|btw|oh|ok|okay|so|sorry|anyway|hi|hey)[,!.\s]+)*"
    r"(?:can|could|would|will|do|does|did|is|are|was|were(?=\s+(?:you|u|they|there|we|it|he|she)\b)"
    r"|what|whats|what's|who|whos|who's"
    r"|when|whens|when's|where|wheres|where's|why|how|hows|how's|which|any|anyone|has|have)\b",
    re.I,
)
#: ... or a question after the situation: "i posted something stupid, can i say i was hacked".
_ASKS_LATER = re.compile(
    r"[,;.!\-\u2013]\s*(?:so\s+|but\s+|and\s+)?(?:can|could|should|may|is|are|do|does|am|would|will)"
    r"\s+(?:i|we|it|that|this|you|u|they|he|she)\b",
    re.I,
)
#: Asking the bot to do something: "can you tell me a joke?", "could u help me with ...".
_REQUEST = re.compile(
    r"^\s*(?:(?:also|and|but|btw|oh|ok|okay|so|sorry|anyway|hi|hey)[,!.\s]+)*"
    r"(?:(?:can|could|will|would)\s+(?:you|u)|(?:please\s+)?(?:tell|give|show|write|send|find|make)\s+me)\b",
    re.I,
)
#: A conjunction, then a question that stands on its own.
_CONJ_QUESTION = re.compile(
    r"^\s*(?:(?:and|but|so|or|also|then|ok|okay|oh|btw)[,!.\s]+)+"
    # "ok who do i need to check with then" asks whom to ask about the thread
    r"(?:when|whens|when's|where|wheres|where's|who(?!\s+(?:do|should|can|could|would|must)\s+(?:i|we)\b)"
    r"|whos|who's|what\s+time"
    r"|(?:what's|whats)\s+the(?!\s+(?:alternative|option|other|difference|risk|problem|issue))"
    r"|how\s+(?:do|can|long|much|many)|is\s+there|are\s+there|does\s+anyone|can\s+(?:you|u|someone|anyone)"
    # "oh and is the minibus free on saturday?": a question about something it names
    r"|is\s+the|are\s+the)\b",
    re.I,
)
#: A how-to question: about the post only with a word of the policy or pointing back.
_HOW_TO = re.compile(
    r"^\s*(?:" + _OPENER + r"|(?:also|and|but|btw|oh|ok|okay|so|sorry|anyway|hi|hey)[,!.\s]+)*"
    r"how\s+(?:do|can|should|could|would|will)\s+(?:i|we|u|you)\b",
    re.I,
)
#: "who do I tell?" is about the post; "who won last night?" is not.
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|im|i've|me|my|we|we're|us|our)\b", re.I)
#: Thanks and goodbyes: acknowledged, never answered with a section.
_THANKS = re.compile(
    r"^\s*(?:(?:ok|okay|great|brill|brilliant|perfect|lovely|cool|right|ah|oh|nice)[,!.\s]+)*"
    r"(?:thanks?|thank\s+you|thx|ta|cheers|got\s+it|makes\s+sense|understood|noted|bye|nice\s+one)"
    r"(?:\s+(?:so\s+much|a\s+lot|loads|very\s+much|mate|for\s+(?:that|the\s+help|your\s+help)))*"
    r"(?:[,!.\s]+(?:that\s+(?:really\s+)?helps|that'?s\s+(?:really\s+|very\s+|so\s+|super\s+)?"
    r"(?:helpful|great|clear|useful|brill|handy|perfect|good|ace|spot\s+on|fab)|will\s+do"
    r"|i'?ll\s+(?:do\s+that|leave\s+it|hold\s+off|ask\s+them)))?"
    r"[\s!.:)x]*$",
    re.I,
)


def _acknowledged(message: str) -> str | None:
    """The reply to thanks, goodbyes and bare acknowledgements ("nice one cheers", "ok",
    "fair enough": ``[thanks]`` in intent.txt), or None for anything else."""
    if _THANKS.match(message):
        return THANKS
    kind = acknowledgement(message)
    return {"thanks": THANKS, "ok": ACKNOWLEDGED}.get(kind or "")


THANKS = "You're welcome. Ask again any time, or paste a draft and I'll check it."
ACKNOWLEDGED = "OK. Ask me anything else about the policy, or paste a draft and I'll check it."
_REFERS = re.compile(
    r"\b(?:it|its|it's|that|this|those|these|they|them|there|she|he|her|his|him|hers|their"
    r"|she's|he's|they're|the\s+same|one|instead|too|either|as\s+well"
    r"|thats|theyre|theyve|theyll|shes|hes|em)\b",
    re.I,
)


@dataclass(slots=True)
class _Context:
    """What the thread is about so far.

    ``topics`` and ``anchors`` are the last on-topic turn's topic words and
    cited sections; ``root`` is the section the conversation started on (the
    last new question's, or a reviewed draft's, first citation).
    """

    topics: list[str]
    anchors: list[str]
    root: str | None = None
    #: Read from an aside just refused (see :func:`_aside_context`).
    aside: bool = False
    #: The last on-topic turn's message, and the new question the conversation started
    #: with: the learned scorer reads them beside a follow-up.
    question: str = ""
    root_question: str = ""


#: More ways to paste a draft: "can I tweet: ...", "would this be ok? \"...\"", "what about
#: \"...\"" (a quote of three words or more: "just say 'a certain striker'" stays a question).
_POST_VERB = r"(?:post|tweet|put|share|say|write|publish)"
_DRAFT_MORE = re.compile(
    rf"""^\s*(?:(?:so|ok|okay|and|but|right|hmm+|then)[,\s]+)*
    (?:
        (?:(?:can|could|may|should)\s+(?:i|we)|i\s+want\s+to|we\s+want\s+to|i'?d\s+like\s+to)
            \s+{_POST_VERB}(?:\s+(?:this|the\s+following|something\s+like))?\s*(?:[:\-\u2013\u2014]\s*)
      | (?:here'?s|here\s+is)\s+what\s+(?:i|we)\s+(?:want|would\s+like|plan|am\s+going)\s+to\s+{_POST_VERB}
            \s*[:\-\u2013\u2014]\s*
    )
    (?P<draft>\S.{{8,}})$""",
    re.I | re.S | re.X,
)
_DRAFT_QUOTED = re.compile(
    rf"""^\s*(?:(?:so|ok|okay|and|but|right|hmm+|then)[,\s]+)*
    (?:what\s+about|how\s+about|(?:can|could|may|should)\s+(?:i|we)\s+{_POST_VERB}
      |(?:is|would)\s+it\s+(?:be\s+)?(?:ok|okay|fine|alright|allowed)\s+(?:to|if\s+i)\s+{_POST_VERB}
      |(?:would|is)\s+this\s+(?:be\s+)?(?:ok|okay|fine|alright|allowed)\s*\??
      |(?:i|we)\s+want\s+to\s+{_POST_VERB})
    \s*[:\-\u2013\u2014]?\s*
    (?P<draft>["\u201c\u2018'][^"\u201c\u201d]{{12,}}["\u201d\u2019']?)\s*\??\s*$""",
    re.I | re.S | re.X,
)


#: "can I reply to this resident on our page: '...'": a post verb, where or to whom, a colon,
#: then a quoted draft (or one of eight words or more).
_DRAFT_AFTER_COLON = re.compile(
    rf"""^\s*(?:(?:so|ok|okay|and|but|right|hmm+|then)[,\s]+)*
    (?:can|could|may|should|would\s+it\s+be\s+ok\s+(?:to|if)|is\s+it\s+ok\s+(?:to|if))\s+(?:i|we\s+)?\s*
    (?:{_POST_VERB}|reply|respond|comment|answer|message)\b[^:\n"\u201c]{{1,80}}:\s*
    (?P<draft>\S.{{8,}})$""",
    re.I | re.S | re.X,
)


def extract_draft(message: str) -> str | None:
    """The draft inside "what if I wrote: ...", or None when the message is not one."""
    m = _DRAFT.match(message) or _DRAFT_MORE.match(message)
    if not m:
        m = _DRAFT_AFTER_COLON.match(message)
        if m and m.group("draft")[0] not in _QUOTES and len(m.group("draft").split()) < 8:
            m = None
    if not m:
        m = _DRAFT_QUOTED.match(message)
        if not m or len(m.group("draft").split()) < 3:
            return None
    draft = m.group("draft").strip()
    if len(draft) >= 2 and draft[0] in _QUOTES and draft[-1] in _QUOTES + "?":
        draft = draft[1:].rstrip("?").rstrip().rstrip(_QUOTES).strip()
    elif draft[0] in _QUOTES:
        draft = draft[1:].strip()
    return draft or None


def _context(history: list[Turn]) -> _Context | None:
    last: Turn | None = None
    for turn in reversed(history):
        if turn.kind == "off_topic" or not (turn.topics or turn.anchors):
            continue
        last = last or turn
        if turn.kind == "question" and turn.anchors:
            return _Context(
                list(last.topics),
                list(last.anchors),
                turn.anchors[0],
                question=last.question,
                root_question=turn.question,
            )
    if last is None:
        return None
    return _Context(
        list(last.topics),
        list(last.anchors),
        last.anchors[0] if last.anchors else None,
        question=last.question,
    )


def _aside_context(message: str, history: list[Turn], index: PolicyIndex) -> _Context | None:
    """A thread's first policy question that points back at the aside just refused ("what's
    the wifi in the new hub?", then "can i put it on the poster?") reads "it" from the aside's
    words; no section of it is cited yet."""
    if not history or history[-1].kind != "off_topic" or not _refers(message):
        return None
    topics = [t for t in index.query(history[-1].question) if t in index.vocab]
    return _Context(topics[:MAX_TOPICS], [], aside=True) if topics else None


def _last_draft(history: list[Turn]) -> Turn | None:
    for turn in reversed(history[-VERDICT_REACH:]):
        if turn.kind == "draft":
            return turn
    return None


def _merge_topics(old: list[str], new: list[str]) -> list[str]:
    merged = [t for t in old if t not in new] + list(dict.fromkeys(new))
    return merged[-MAX_TOPICS:]


def _scaled(scores: Any, floor: float = 0.0) -> Any:
    """Scores over the best one, or over ``floor`` when the best is weaker: a message whose
    best match is faint ("its not me who posted it") must not outweigh the thread."""
    top = max(float(scores.max()) if len(scores) else 0.0, floor)
    return scores / top if top > 0 else scores


# ---------------------------------------------------------------------- the turn kinds


def _review_draft(
    message: str,
    draft: str,
    context: _Context | None,
    *,
    config: Config,
    index: PolicyIndex,
    use_llm: bool | None,
) -> tuple[Answer, Turn]:
    """Review a draft pasted into the conversation; cite its findings' sections first.

    The section the conversation is about, and the one the draft itself is
    about (retrieval over its words), follow: a draft the rules pass can still
    be one the policy has advice on.
    """
    from bot.ask.threads import Turn
    from bot.review import review
    from bot.verdict import Draft

    verdict = review(Draft(draft), config=config, use_llm=use_llm)
    findings = [f.to_dict() for f in verdict.findings]
    found = _finding_sections(index, findings)
    by_anchor = {s.anchor: s for s in index.sections}
    related: list[Section] = []
    root = by_anchor.get(((context and context.root) or "").removeprefix("protocol#"))
    if root is not None:
        related.append(root)
    hits, coverage = index.search(draft)
    if hits and coverage > 0 and hits[0][1] >= MIN_SCORE:
        related.append(hits[0][0])
    sections: list[Section] = []
    for s in found[:1] + related + found[1:]:
        if s not in sections:
            sections.append(s)
    sections = sections[:MAX_CITATIONS]
    text = _verdict_text(verdict)
    if not findings and sections:
        rule = must_not(index, sections[0], draft)
        if rule:
            text += (
                f" The policy's advice on \u201c{sections[0].heading}\u201d still applies: {rule}"
            )
    answer = Answer(
        text,
        [_citation(index, s, _finding_words(findings, s) or draft) for s in sections],
        llm=verdict.llm,
        llm_reason=verdict.llm_reason,
    )
    answer.verdict = verdict.to_dict()
    topics = index.query(" ".join(f"{f['message']} {f['suggestion']}" for f in findings) or draft)
    turn = Turn(
        "draft",
        message,
        anchors=[f"protocol#{s.anchor}" for s in sections],
        topics=[t for t in dict.fromkeys(topics) if t in index.vocab][:MAX_TOPICS],
        answer=answer.answer,
        findings=findings,
        decision=verdict.decision.label,
    )
    return answer, turn


_DECISION_TEXT = {
    "ok": "nothing in it breaks the policy's rules, so you can post it, using your judgement.",
    "advise": "you can post it, but it could be better.",
    "needs_approval": "it needs the comms team's approval before you post it.",
    "do_not_post": "don't post it as it stands.",
}


def _verdict_text(verdict: Verdict) -> str:
    label = verdict.decision.label
    out = [f"I checked that draft: {_DECISION_TEXT.get(label, label)}"]
    worst = sorted(verdict.findings, key=lambda f: -f.severity.value)[:2]
    for f in worst:
        out.append(f.message.strip())
    if verdict.findings:
        out.append('Ask "why?" for the reasons and how to fix them, or paste a new version.')
    return " ".join(out)


def _finding_sections(index: PolicyIndex, findings: list[dict[str, Any]]) -> list[Section]:
    by_anchor = {s.anchor: s for s in index.sections}
    out: list[Section] = []
    for f in sorted(
        findings, key=lambda f: _SEVERITY_ORDER.get(str(f.get("severity")), 0), reverse=True
    ):
        anchor = str(f.get("policy_ref") or "").split("#", 1)[-1]
        section = by_anchor.get(anchor)
        if section is not None and section not in out:
            out.append(section)
    return out


_SEVERITY_ORDER = {"advise": 1, "needs_approval": 2, "do_not_post": 3}


def _finding_words(findings: list[dict[str, Any]], section: Section) -> str:
    return " ".join(
        f"{f.get('message', '')} {f.get('suggestion', '')}"
        for f in findings
        if str(f.get("policy_ref", "")).endswith(f"#{section.anchor}")
    )


def _citation(index: PolicyIndex, section: Section, words: str) -> Citation:
    return Citation(section.heading, f"protocol#{section.anchor}", index.quote(section, words))


def _explain_verdict(message: str, draft_turn: Turn, index: PolicyIndex) -> tuple[Answer, Turn]:
    """Answer "why is that a problem?" from the findings of the draft reviewed earlier."""
    from bot.ask.threads import Turn

    findings = sorted(
        draft_turn.findings or [],
        key=lambda f: _SEVERITY_ORDER.get(str(f.get("severity")), 0),
        reverse=True,
    )
    sections = _finding_sections(index, findings)
    if not findings:
        by_anchor = {s.anchor: s for s in index.sections}
        common = by_anchor.get("common-sense") or index.sections[0]
        about = [s for a in draft_turn.anchors if (s := by_anchor.get(a.removeprefix("protocol#")))]
        text = "That draft came back ok: none of the policy's rules matched it."
        words = f"{draft_turn.question} {message}"
        if about:
            rule = must_not(index, about[0], words)
            if rule:
                text += (
                    f" But the policy's advice on \u201c{about[0].heading}\u201d applies: {rule}"
                )
        text += (
            " An ok verdict is not a guarantee, so read it once more and think about who could"
            f" see it. If you're not sure, ask {who_to_ask(about[0] if about else common)}."
        )
        cited = [*about, common][:MAX_CITATIONS]
        answer = Answer(text, [_citation(index, s, words) for s in cited])
        anchors = [f"protocol#{s.anchor}" for s in cited]
    else:
        parts: list[str] = []
        for f in findings[:3]:
            quote = str(f.get("quote") or "").strip()
            reason = str(f.get("message") or "").strip()
            fix = str(f.get("suggestion") or "").strip()
            lead = f"\u201c{quote}\u201d: " if quote else ""
            parts.append(f"{lead}{reason} {fix}".strip())
        if len(findings) > 3:
            parts.append(f"There are {len(findings) - 3} more findings like these.")
        contact = who_to_ask(sections[0]) if sections else "the comms team"
        parts.append(f"If you're not sure, ask {contact}.")
        # The draft turn's own order: the worst finding's section, then what the
        # conversation and the draft are about, then the other findings' sections.
        by_anchor = {s.anchor: s for s in index.sections}
        ordered = [x for a in draft_turn.anchors if (x := by_anchor.get(a.split("#")[-1]))]
        sections = [
            x for i, x in enumerate(ordered + sections) if x not in (ordered + sections)[:i]
        ]
        # "is the all lowercase hashtags thing a problem?": a question naming one of the
        # findings' topics is answered with that finding's section first.
        q = index.query(message)
        if q and len(sections) > 1:
            own = index.scores(q)
            pos = {x.anchor: i for i, x in enumerate(index.sections)}
            best = max(sections, key=lambda x: float(own[pos[x.anchor]]))
            if float(own[pos[best.anchor]]) >= NEW_TOPIC_SCORE and best is not sections[0]:
                sections = [best, *[x for x in sections if x is not best]]
        words = f"{draft_turn.question} {message}"
        citations = [
            _citation(index, s, _finding_words(findings, s) or words)
            for s in sections[:MAX_CITATIONS]
        ]
        answer = Answer(" ".join(parts), citations)
        anchors = [f"protocol#{s.anchor}" for s in sections]
    turn = Turn(
        "verdict",
        message,
        anchors=anchors,
        topics=list(draft_turn.topics),
        answer=answer.answer,
    )
    return answer, turn


#: Words that look like pointing back but are not: "is there ...?", the IT desk.
_NOT_REFERRING = re.compile(
    r"\b(?:(?:is|are|was|were)\s+there|there(?:'s|s|\s+is|\s+are)"
    # "is it too late to ...", "it's worth ...": an "it" that points at nothing
    r"|(?:is|was|isn't|wasn't)\s+it\s+(?:too\s+(?:late|early|soon)|possible|worth|easy|hard|true\s+that)"
    r"|it'?s\s+(?:too\s+(?:late|early|soon)|possible|worth)"
    r"|(?:random|quick|another|one\s+more)\s+one"
    r"|(?:this|that|next|last)\s+(?:morning|afternoon|evening|night|week|weekend|month|year|time"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b",
    re.I,
)
_IT_DESK = re.compile(r"\bIT\b")


def _refers(message: str) -> bool:
    """Does the message point back to the thread ("it", "that", "she", "the same")?"""
    return bool(_REFERS.search(_NOT_REFERRING.sub(" ", _IT_DESK.sub(" ", message))))


def _related(own: Any, context: _Context, index: PolicyIndex) -> bool:
    """Do the message's own words match the sections the thread is about nearly best?"""
    top = float(own.max()) if len(own) else 0.0
    if top <= 0:
        return False
    cited = {context.root, *context.anchors}
    near = [
        float(own[pos])
        for pos, section in enumerate(index.sections)
        if f"protocol#{section.anchor}" in cited
    ]
    return bool(near) and max(near) >= RELATED * top


def _offline_turn(
    message: str, context: _Context | None, index: PolicyIndex
) -> tuple[Answer, Turn]:
    """Resolve a question against the conversation without a model."""
    from bot.ask.threads import Turn

    q = index.query(message)
    own = index.scores(q)
    coverage = index.coverage(q)
    shown = intent(message, index)
    hits, standalone = answerable(message, index)
    own_topics = [t for t in q if t in index.vocab]

    follow_up = False
    marked = refers = False
    if context is not None:
        # "and when's the christmas party?": a conjunction before a question of its own is
        # no follow-up's opening; "and if it's already in the paper?" is.
        marked = bool(_FOLLOW_UP.match(message)) and not _CONJ_QUESTION.match(message)
        refers = _refers(message)
        asks = "?" in message or bool(
            _QUESTION.match(message) or _ASKS_LATER.search(message) or _ASIDE.match(message)
        )
        # BM25's best, not the blend's (bot.ask.scorer): the model only reorders.
        own_best = f"protocol#{index.sections[int(own.argmax())].anchor}"
        new_topic = bool(_NEW_TOPIC.search(message)) or (
            standalone
            and not marked
            and float(own.max()) >= NEW_TOPIC_SCORE
            and own_best not in context.anchors[:2]
            and not context.aside  # nothing cited yet: "it" is the aside's
            # "can i just delete the comments?" leans on the thread; a question that says
            # this much of its own stands alone, whatever "it" or "that" it holds. A
            # statement adds to the situation ("everyone's already talking about it tho",
            # "oh god the christmas market post is scheduled for 3pm"): its own words still
            # rank first when they match best, beside the thread's section.
            and asks
            and len(set(own_topics)) >= (NEW_TOPIC_WORDS + SELF_CONTAINED * refers)
        )
        # "can you tell me a joke?": a request to the bot that says nothing of the policy.
        request = bool(_REQUEST.match(message)) and not shown.strong and not refers
        # A single topic word beside other business is an aside when asked ("can i get the
        # day off for the funeral?"), not when it adds to the situation.
        aside = shown.aside and (not shown.topic or asks)
        if new_topic or aside or request:
            pass
        elif not q:
            follow_up = True  # "why?", "what about it?": all context
        elif shown.strong:
            # A statement adds to the situation ("oh god the christmas market post is
            # scheduled for 3pm"); a question stands alone when it says enough.
            follow_up = marked or refers or not standalone or len(q) <= 4 or not asks
        else:
            # No word of posting or of a protocol topic: a reply that adds to the situation
            # ("her family have said yes", "it's only for a week", "if I blur the name?")
            # rather than a question about something else ("who won the match last
            # night?", "what time is the christmas party?", "can you tell me a joke?").
            tail = _LEAD_ACK.sub("", message, count=1)
            tail = _LEAD_ACK_COMMA.sub("", tail, count=1)
            if tail != message:
                # "fine ill leave it. whens the next pay day btw", "ok thanks, when's the
                # next training day": what follows the acknowledgement is what is asked.
                marked = bool(_FOLLOW_UP.match(tail)) and not _CONJ_QUESTION.match(tail)
                refers = _refers(tail)
                asks = asks or bool(_QUESTION.match(tail))
            mine = bool(_FIRST_PERSON.search(tail))
            room = bool(_ASIDE.match(tail)) and not (marked or _ACTS_ON.search(tail))
            if room and not mine:
                pass  # "anyone know when payday is?"
            elif room and not refers and len(set(q)) >= ASIDE_WORDS:
                # "who do i swap my night shift with on the rota": the asker's own question
                # to the room, saying enough of its own with no word of posting, of a
                # protocol topic or pointing back; "who do i tell?" says next to nothing.
                pass
            elif marked or refers:
                follow_up = True  # "what if I blur the name?", "everyone's agreed to it"
            else:
                # Neither a follow-up's opening nor a word pointing back ("how do I change
                # my password?", "what's the dress code?"): a question is a reply only when
                # it is the asker's and about what the thread is about, or says next to
                # nothing of its own ("who do I tell?", "what could happen to me?").
                brief = len(set(q) - GENERIC) <= 1  # "do i need to say i work here?"
                how_to = bool(_HOW_TO.match(message))  # "how do I change my password?"
                related = not how_to and _related(own, context, index)
                # A statement adds to the situation ("just for a week tho", "only 30
                # followers"); a question must be the asker's and about the thread.
                # "would we need a separate login each?": the asker's own question naming
                # a word of the protocol (not a how-to, "how do I change my password?", nor
                # a when or where, "when do we get paid this month?").
                names = shown.everyday and not how_to and not _ASIDE.match(tail)
                follow_up = not asks or brief or (mine and (related or names))

    if not follow_up:
        if not standalone:
            answer = Answer(OFF_TOPIC, off_topic=True)
            return answer, Turn("off_topic", message, answer=OFF_TOPIC)
        top = hits[0][1]
        chosen = [s for s, score in hits[:MAX_CITATIONS] if score >= CITE_RELATIVE * top]
        answer = compose_answer(message, index, chosen)
        turn = Turn(
            "question",
            message,
            anchors=[c.anchor for c in answer.citations],
            topics=own_topics[:MAX_TOPICS],
            answer=answer.answer,
        )
        return answer, turn

    assert context is not None
    feats = follow_features(message, q, own, context, index, hits, coverage, marked, refers)
    if _RECORD is not None:
        _RECORD.append(feats)
    model = follow_model()
    if model is not None:
        # The learned follow-up ranker: which of the thread's sections and the message's
        # own matches a follow-up is about, weighed from labelled conversations.
        # The top two still cover both readings: the section the conversation started on
        # stays second unless the ranker puts another clearly (ROOT_MARGIN) above it.
        combined = feats @ model
        order = [int(i) for i in np.argsort(-combined, kind="stable")[:2]]
        roots = np.flatnonzero(feats[:, FOLLOW_FEATURES.index("root")])
        if (
            len(roots)
            and int(roots[0]) != order[0]
            and combined[order[1]] - combined[int(roots[0])] < ROOT_MARGIN
        ):
            order[1] = int(roots[0])
        chosen = [index.sections[i] for i in order]
    else:
        chosen = _handwritten_choice(feats, context, index, hits, coverage)
        if not chosen:
            answer = Answer(OFF_TOPIC, off_topic=True)
            return answer, Turn("off_topic", message, answer=OFF_TOPIC)
    words = f"{message} {' '.join(context.topics)}"
    answer = compose_answer(words, index, chosen)
    turn = Turn(
        "followup",
        message,
        anchors=[c.anchor for c in answer.citations],
        topics=_merge_topics(context.topics, own_topics),
        answer=answer.answer,
    )
    return answer, turn


FOLLOW_MODEL_PATH = Path(__file__).with_name("data") / "follow_model.json"
#: What the follow-up ranker reads of each section (scripts/train_ask.py --follow).
FOLLOW_FEATURES = (
    "own",  # the message's own BM25 match, scaled to 1 (or to OWN_FLOOR when faint)
    "own_best_strong",  # the message's own best match, when it is strong
    "carried",  # the thread's topic words' match, scaled to 1
    "root",  # the section the conversation started on
    "last_first",  # the last turn's citations (other than the root), in order
    "last_second",
    "last_rest",
    "p_message",  # the learned scorer on the message
    "p_thread",  # ... on the last on-topic turn's message and this one
    "root_refers",  # the root, when the message points back ("it", "she")
    "root_marked",  # ... when it opens like a follow-up ("what if", "and")
    "own_refers",  # the message's own match, when it points back or opens like a follow-up
    "hit_first",  # the first section for the message on its own (blended, when it covers)
    "p_message_alone",  # the scorer on the message, when it neither points back nor opens so
    "p_root",  # the scorer on the question the conversation started with and this message
    "own_second",  # the message's own second-best match
    "own_says_much",  # the message's own match, when it names three topic words or more
)
#: The learned ranker keeps the root second unless another section scores this much higher
#: (a logit: the other's probability over e times the root's). Out of fold, 0 to 2 tied.
ROOT_MARGIN = 1.0
_RECORD: list[Any] | None = None  # training: the features of every follow-up answered
_follow_lock = threading.Lock()
_follow: dict[str, Any] = {}


def follow_features(
    message: str,
    q: list[str],
    own: Any,
    context: _Context,
    index: PolicyIndex,
    hits: list[tuple[Section, float]],
    coverage: float,
    marked: bool,
    refers: bool,
) -> Any:
    """One row of :data:`FOLLOW_FEATURES` per section, for a follow-up."""
    n = len(index.sections)
    out = np.zeros((n, len(FOLLOW_FEATURES)))
    own_s = _scaled(own, OWN_FLOOR)
    out[:, 0] = own_s
    top = float(own.max()) if n else 0.0
    if top >= NEW_TOPIC_SCORE:
        out[int(own.argmax()), 1] = 1.0
    out[:, 2] = _scaled(index.scores(context.topics))
    pos = {f"protocol#{s.anchor}": i for i, s in enumerate(index.sections)}
    if context.root in pos:
        out[pos[context.root], 3] = 1.0
    for k, anchor in enumerate(context.anchors):
        if anchor in pos and anchor != context.root:
            out[pos[anchor], 4 + min(k, 2)] = 1.0
    anchors = tuple(s.anchor for s in index.sections)
    if q:
        probs = scorer.section_probabilities(message, anchors)
        if probs is not None:
            out[:, 7] = probs
    if context.question:
        probs = scorer.section_probabilities(f"{context.question} {message}", anchors)
        if probs is not None:
            out[:, 8] = probs
    back = float(refers or marked)
    out[:, 9] = out[:, 3] * float(refers)
    out[:, 10] = out[:, 3] * float(marked)
    out[:, 11] = own_s * back
    if hits and coverage > 0:
        out[pos[f"protocol#{hits[0][0].anchor}"], 12] = 1.0
    out[:, 13] = out[:, 7] * (1.0 - back)
    if context.root_question and context.root_question != context.question:
        probs = scorer.section_probabilities(f"{context.root_question} {message}", anchors)
        if probs is not None:
            out[:, 14] = probs
    else:
        out[:, 14] = out[:, 8]
    if n > 1 and top > 0:
        second = int(np.argsort(-own, kind="stable")[1])
        if float(own[second]) > 0:
            out[second, 15] = 1.0
    own_topics = {t for t in q if t in index.vocab}
    out[:, 16] = own_s * float(len(own_topics) >= NEW_TOPIC_WORDS)
    return out


def follow_model() -> Any:
    """The learned follow-up ranker's weights (one per feature), or None: the hand-set
    blend of :func:`_handwritten_choice`. Read once per process."""
    with _follow_lock:
        if "model" not in _follow:
            model = None
            try:
                data = json.loads(FOLLOW_MODEL_PATH.read_text(encoding="utf-8"))
                if (
                    data.get("kind") != "canipost-ask-follow"
                    or tuple(data.get("features", ())) != FOLLOW_FEATURES
                ):
                    raise ValueError("features differ from FOLLOW_FEATURES")
                model = np.asarray([float(w) for w in data["weights"]])
            except FileNotFoundError:
                pass
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("ask: follow-up ranker unavailable, using the fixed blend: %s", exc)
            _follow["model"] = model
        return _follow["model"]


def use_follow_model(weights: Any) -> None:
    """Install follow-up ranker weights (training, tests); None: the fixed blend."""
    with _follow_lock:
        _follow["model"] = None if weights is None else np.asarray(weights, dtype=float)


def _handwritten_choice(
    feats: Any,
    context: _Context,
    index: PolicyIndex,
    hits: list[tuple[Section, float]],
    coverage: float,
) -> list[Section]:
    """The fixed blend: own words, carried words, the root and the last citations, and the
    scorer; the top two cover both readings (the root, or the message's own best)."""
    combined = (
        feats[:, 0]
        + CARRY * feats[:, 2]
        + ROOT * (feats[:, 3] + RECENT * feats[:, 4:7].sum(axis=1))
        + scorer.follow_weight() * feats[:, 7]
    )
    ranked = index.rank(combined)
    if not ranked:
        return []
    chosen = [ranked[0][0]]
    by_anchor = {s.anchor: s for s in index.sections}
    second: Section | None = None
    root = by_anchor.get((context.root or "").removeprefix("protocol#"))
    if root is not None and root not in chosen:
        second = root
    elif hits and hits[0][0] not in chosen and coverage > 0:
        second = hits[0][0]
    if second is None and len(ranked) > 1:
        second = ranked[1][0]
    if second is not None:
        chosen.append(second)
    return chosen


# ---------------------------------------------------------------------- with a model


def condense_schema() -> dict[str, Any]:
    """What the condense prompt must return."""
    return {
        "title": "canipost_condensed",
        "type": "object",
        "additionalProperties": False,
        "required": ["question", "topic_changed"],
        "properties": {
            "question": {"type": "string"},
            "topic_changed": {"type": "boolean"},
        },
    }


def condense(message: str, history: list[Turn], *, config: Config, policy: Policy) -> str:
    """The follow-up as one standalone question, written by the model (raises LLMError)."""
    from bot.llm.client import get_client, settings_from_config
    from bot.llm.prompts import load_prompt
    from bot.llm.redaction import redact

    settings = settings_from_config(config)
    names = policy.vocab.get("first_names", ())

    def red(text: str) -> Any:
        return redact(
            text,
            org=config.organisation,
            first_names=names,
            names_in_context=True,
            enabled=settings.redact,
        )

    lines: list[str] = []
    for turn in history[-4:]:
        if turn.kind == "off_topic":
            continue
        lines.append(f"Q: {red(turn.question).text}")
        lines.append(f"A: {red(turn.answer[:400]).text}")
    red_q = red(message)
    schema = condense_schema()
    prompt = load_prompt("ask_condense")
    data = (
        get_client(settings)
        .complete_json(
            prompt.messages(
                conversation="\n".join(lines),
                schema=json.dumps(schema, ensure_ascii=False),
                question=red_q.text,
            ),
            schema,
            name="canipost_condensed",
            max_tokens=200,
        )
        .data
    )
    standalone = red_q.restore(str(data.get("question") or "")).strip()
    return standalone[:MAX_QUESTION_CHARS] or message


def _llm_turn(
    message: str, history: list[Turn], *, config: Config, policy: Policy, index: PolicyIndex
) -> tuple[Answer, Turn]:
    from bot.ask.threads import Turn
    from bot.llm.fallback import describe

    context = _context(history)
    standalone = message
    if context is not None:
        try:
            standalone = condense(message, history, config=config, policy=policy)
        except Exception as exc:  # the offline resolution always stands
            log.warning("ask: could not condense a follow-up: %s", describe(exc))
            answer, turn = _offline_turn(message, context, index)
            answer.llm, answer.llm_reason = "failed", describe(exc)
            return answer, turn
    answer = ask(standalone, config=config, use_llm=True)
    if answer.off_topic:
        return answer, Turn("off_topic", message, answer=OFF_TOPIC)
    topics = [t for t in index.query(standalone) if t in index.vocab][:MAX_TOPICS]
    kind = "followup" if context is not None and standalone != message else "question"
    return answer, Turn(
        kind,
        message,
        anchors=[c.anchor for c in answer.citations],
        topics=topics,
        answer=answer.answer,
    )


# ---------------------------------------------------------------------- entry points


def _check(question: str) -> str:
    q = (question or "").strip()
    if not q:
        raise InputError(
            'ask a question about the policy, for example: canipost ask "Can I comment on a court case?"'
        )
    if len(q) > MAX_QUESTION_CHARS:
        raise InputError(
            f"the question is {len(q):,} characters; keep it under {MAX_QUESTION_CHARS:,}"
        )
    return q


def respond(
    question: str,
    history: list[Turn],
    *,
    config: Config,
    use_llm: bool | None = None,
) -> tuple[Answer, Turn]:
    """Answer one message of a conversation given its earlier turns; nothing is stored.

    Returns the answer and the turn to remember. Raises
    :class:`~bot.errors.InputError` for an empty or oversized message.
    """
    from bot.llm.critic import llm_enabled

    q = _check(question)
    policy = load_policy(config)
    index = index_for(policy)
    reply = _acknowledged(q)
    if reply is not None:
        from bot.ask.threads import Turn

        return Answer(reply, off_topic=True), Turn("off_topic", q, answer=reply)
    draft = extract_draft(q)
    if draft is not None:
        return _review_draft(
            q, draft, _context(history), config=config, index=index, use_llm=use_llm
        )
    last_draft = _last_draft(history)
    if last_draft is not None and _ABOUT_VERDICT.search(q):
        hits, coverage = index.search(q)
        strong_elsewhere = (
            hits
            and coverage >= MIN_COVERAGE
            and hits[0][1] >= NEW_TOPIC_SCORE
            and f"protocol#{hits[0][0].anchor}" not in last_draft.anchors
            and not _REFERS.search(q)
        )
        if not strong_elsewhere:
            return _explain_verdict(q, last_draft, index)
    if use_llm is False or (use_llm is None and not llm_enabled(config)):
        return _offline_turn(q, _context(history) or _aside_context(q, history, index), index)
    return _llm_turn(q, history, config=config, policy=policy, index=index)


def ask_in_thread(
    question: str,
    *,
    thread_key: str,
    user: str,
    platform: str,
    config: Config,
    store: Store | None = None,
    use_llm: bool | None = None,
    now: datetime | None = None,
) -> Answer:
    """Answer a message in a conversation and remember the turn (see the module docstring).

    The thread is (``config.workspace``, ``platform``, ``thread_key``, ``user``);
    an unknown key starts a new thread. Turns older than
    ``workflow.retention_days`` are neither read nor kept. Raises
    :class:`~bot.errors.InputError` for an empty question, and
    :class:`~bot.store.StoreUnavailable` when the database cannot be opened.
    """
    from bot.ask.threads import ThreadId, append_turn, load_turns
    from bot.workflow.settings import WorkflowSettings

    q = _check(question)
    if not thread_key.strip():
        raise InputError("a thread id must not be empty")
    if store is None:
        from bot.store import open_store

        store = open_store()
    retention = WorkflowSettings.from_config(config).retention
    now = now or datetime.now(UTC)
    tid = ThreadId.of(config.workspace, platform, thread_key.strip(), user)
    history = load_turns(store, tid, retention=retention, now=now)
    answer, turn = respond(q, history, config=config, use_llm=use_llm)
    append_turn(store, tid, turn, retention=retention, now=now)
    answer.thread = thread_key.strip()
    answer.turn = turn.kind
    log.info(
        "ask: thread turn kind=%s turns_before=%d cited=%s llm=%s",
        turn.kind,
        len(history),
        ",".join(turn.anchors[:3]) or "-",
        answer.llm,
    )
    return answer
