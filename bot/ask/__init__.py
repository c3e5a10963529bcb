"""Policy questions, one at a time or as a conversation.

One question::

    from bot.ask import ask
    answer = ask("Can I comment on a court case?", config=config)   # -> Answer
    answer.to_dict()   # {"answer", "citations": [{"section", "anchor", "quote"}], "llm"}

See :mod:`bot.ask.core` for retrieval, the offline answer and the model's.
"""

from __future__ import annotations

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
    "clear_cache",
    "index_for",
    "offline_answer",
    "split_units",
]
