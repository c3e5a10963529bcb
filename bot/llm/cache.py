"""An in-process LRU of validated model answers, so a draft is never paid for twice.

Keys hash everything that changes the answer: the draft, the channel, the
policy version, the model and endpoint, the prompt version and the rule
findings the model was shown. Values are the model's validated JSON (still in
placeholder form), so a hit goes through the same merge as a fresh answer.

Only this process benefits; several workers each keep their own. A shared
store (the database, or Redis) could sit behind the same two methods later.
"""

from __future__ import annotations

import hashlib
import json
import threading
import weakref
from collections import OrderedDict
from typing import Any


def cache_key(*parts: Any) -> str:
    """A stable digest of JSON-serialisable parts."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


_all: weakref.WeakSet[AnswerCache] = weakref.WeakSet()


def clear_all() -> None:
    """Empty every answer cache in the process (``bot.llm.reset``)."""
    for c in list(_all):
        c.clear()


class AnswerCache:
    """Thread-safe LRU; ``size <= 0`` disables it."""

    def __init__(self, size: int = 256) -> None:
        _all.add(self)
        self.size = size
        self._data: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> Any | None:
        if self.size <= 0:
            return None
        with self._lock:
            value = self._data.get(key)
            if value is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: str, value: Any) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._data)
