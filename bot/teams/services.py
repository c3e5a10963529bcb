"""What the Teams routes need, built once per process and handed to them.

Routes stay thin and testable: they get a :class:`TeamsServices` (config,
workflow, review functions, a pool for blocking work) instead of reaching
for globals, so tests swap in an LLM stand-in or a fake asker without
patching. Everything that blocks (the database, the review, the LLM) runs on
:attr:`TeamsServices.pool`, never on the event loop that serves Teams.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bot import adapters as _adapters
from bot.config import Config
from bot.review import review, review_rules
from bot.verdict import Draft, Verdict
from bot.workflow import Workflow

log = logging.getLogger("canipost.teams")

Reviewer = _adapters.Reviewer
Asker = _adapters.Asker
T = TypeVar("T")

#: Threads for blocking work. LLM calls wait on the network, so more threads than
#: cores is right; the bound keeps a burst from opening hundreds of LLM connections.
POOL_WORKERS = 32


# Shared with the Slack adapter.
policy_titles = _adapters.policy_titles
default_llm_enabled = _adapters.llm_enabled
default_asker = _adapters.asker


def new_reference() -> str:
    """A short id a person can quote to the admins; the log line carries the same id."""
    return secrets.token_hex(4)


@dataclass
class TeamsServices:
    """Everything a route may use; one per process."""

    config: Config
    workflow: Workflow
    review_rules: Reviewer
    review_full: Reviewer
    ask: Asker
    llm_enabled: bool
    pool: ThreadPoolExecutor
    titles: Mapping[str, str] = field(default_factory=dict)
    #: Called with (stage, seconds) for latency metrics.
    observe: Callable[[str, float], None] = lambda _stage, _seconds: None
    #: Asks the server's outbox pump to deliver soon (cards to approvers, news to authors).
    deliver: Callable[[], None] = lambda: None

    @classmethod
    def build(
        cls,
        *,
        config: Config,
        workflow: Workflow,
        reviewer: Reviewer | None = None,
        asker: Asker | None = None,
        llm_enabled: bool | None = None,
        deliver: Callable[[], None] | None = None,
    ) -> TeamsServices:
        """Defaults: the real review, ``bot.ask``, LLM on when configured, a bounded pool.

        Loads the policy now, so the first message is answered as fast as the rest.
        """
        titles = policy_titles(config)

        def rules(draft: Draft) -> Verdict:
            return review_rules(draft, config=config)

        def full(draft: Draft) -> Verdict:
            return review(draft, config=config)

        return cls(
            config=config,
            workflow=workflow,
            review_rules=rules,
            review_full=reviewer or full,
            ask=asker or default_asker(config),
            llm_enabled=default_llm_enabled(config) if llm_enabled is None else llm_enabled,
            pool=ThreadPoolExecutor(max_workers=POOL_WORKERS, thread_name_prefix="canipost-teams"),
            titles=titles,
            deliver=deliver or (lambda: None),
        )

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on the pool, awaited: the event loop keeps serving meanwhile."""
        return await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)

    @property
    def auto_send(self) -> bool:
        """``workflow.auto_send``: needs_approval drafts go to comms without a click."""
        return bool(self.config.workflow.get("auto_send"))
