"""Policy questions, one at a time or as a conversation.

One question::

    from bot.ask import ask
    answer = ask("Can I comment on a court case?", config=config)   # -> Answer
    answer.to_dict()   # {"answer", "citations": [{"section", "anchor", "quote"}], "llm"}

A conversation (Slack threads, Teams conversations, ``canipost ask --thread``)::

    from bot.ask import ask_in_thread
    answer = ask_in_thread("what about on my personal account?", thread_key="C1:1733.1",
                           user="U042", platform="slack", config=config, store=store)
    answer.to_dict()   # ... + "thread", "turn" (question|followup|draft|verdict|off_topic)

Modules: :mod:`bot.ask.core` (one question: retrieval, the offline answer, the
model's), :mod:`bot.ask.conversation` (follow-ups, drafts, "why?"; the thread
API), :mod:`bot.ask.threads` (turns in the store, retention),
:mod:`bot.ask.evaluate` (scoring conversation sets), :mod:`bot.ask.scorer` (the
learned question-to-section model blended with BM25). The section index itself
is :mod:`bot.policy.retrieval`, shared with the LLM critique.
"""

from __future__ import annotations

from bot.ask.conversation import ask_in_thread, respond
from bot.ask.core import (
    OFF_TOPIC,
    Answer,
    Citation,
    PolicyIndex,
    ask,
    clear_cache,
    index_for,
    offline_answer,
    split_units,
)

__all__ = [
    "OFF_TOPIC",
    "Answer",
    "Citation",
    "PolicyIndex",
    "ask",
    "ask_in_thread",
    "clear_cache",
    "index_for",
    "offline_answer",
    "respond",
    "split_units",
]
