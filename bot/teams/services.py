"""What the Teams routes need, built once per process and handed to them.

Routes stay thin and testable: they get a :class:`TeamsServices` — the
platform-neutral :class:`~bot.conversation.Conversation` (config, workflow,
review, the steps) plus a pool for blocking work — instead of reaching for
globals, so tests swap in an LLM stand-in or a fake asker without patching.
Everything that blocks (the database, the review, the LLM) runs on
:attr:`TeamsServices.pool`, never on the event loop that serves Teams.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bot.conversation.steps import Asker, Conversation, Reviewer, new_reference
from bot.workflow import Workflow

__all__ = ["Asker", "Reviewer", "TeamsServices", "new_reference"]

T = TypeVar("T")

#: Threads for blocking work. LLM calls wait on the network, so more threads than
#: cores is right; the bound keeps a burst from opening hundreds of LLM connections.
POOL_WORKERS = 32


@dataclass(kw_only=True)
class TeamsServices(Conversation):
    """The conversation's steps plus a pool to run them off the event loop; one per process."""

    platform: str = "teams"
    pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(
            max_workers=POOL_WORKERS, thread_name_prefix="canipost-teams"
        )
    )

    @classmethod
    def build(cls, *, config: Any, workflow: Workflow, **kw: Any) -> TeamsServices:
        """Defaults: the real review, ``bot.ask``, LLM on when configured, a bounded pool."""
        return cls(workflow=workflow, **Conversation.parts(config, **kw))

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on the pool, awaited: the event loop keeps serving meanwhile."""
        return await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)
