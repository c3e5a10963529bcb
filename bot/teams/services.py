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
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar

from bot.conversation.steps import Asker, Conversation, Reviewer, new_reference
from bot.workflow import Workflow

if TYPE_CHECKING:
    from bot.workspaces import ResolvedWorkspace

__all__ = [
    "Asker",
    "Reviewer",
    "TeamsServices",
    "TenantServices",
    "new_reference",
    "tenant_of",
]

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


def tenant_of(activity: Any) -> str:
    """The Entra tenant an activity comes from (``channelData.tenant.id``, else
    ``conversation.tenantId``); ``""`` when it names none."""
    data = getattr(activity, "channel_data", None)
    tenant = data.get("tenant") if isinstance(data, dict) else getattr(data, "tenant", None)
    tid = tenant.get("id") if isinstance(tenant, dict) else getattr(tenant, "id", None)
    if not tid and getattr(activity, "conversation", None) is not None:
        tid = getattr(activity.conversation, "tenant_id", None)
    return str(tid or "").strip()


class TenantServices:
    """The :class:`TeamsServices` each tenant's activities run with, rebuilt when its settings change.

    Like Slack's ``WorkspaceServices``: the pool, the outbox and the metrics hooks are
    the process's; the config (``config_for(tenant)``: profile, approvers, organisation,
    ``Config.workspace`` scoping the queue, audit, watch list, feedback and threads), the
    workflow and the review bound to it are the tenant's own. The bot's home tenant
    (``CONNECTIONS__…__TENANTID``) and an activity naming no tenant are the
    single-organisation install, workspace ``""``, so an existing install keeps its data.
    """

    def __init__(
        self,
        base: TeamsServices,
        store: Any,
        *,
        home_tenant: str | None = None,
        reviewer: Reviewer | None = None,
        asker: Asker | None = None,
        llm_enabled: bool | None = None,
    ) -> None:
        self.base, self.store, self.home = base, store, (home_tenant or "").strip()
        self._kw: dict[str, Any] = {
            "reviewer": reviewer,
            "asker": asker,
            "llm_enabled": llm_enabled,
        }
        self._cache: dict[str, TeamsServices] = {}
        self._lock = threading.Lock()

    def workspace(self, tenant: str) -> str:
        """The workspace a tenant's data lives under: ``""`` for the home tenant or none."""
        return "" if not tenant or tenant == self.home else tenant

    def resolved(self, tenant: str) -> ResolvedWorkspace:
        """The tenant's resolved settings (cached; see :mod:`bot.workspaces.resolve`)."""
        from bot.workspaces import workspace_for

        return workspace_for(self.workspace(tenant), self.store, self.base.config)

    def for_tenant(self, tenant: str) -> TeamsServices:
        """The services for ``tenant``'s activities (the same object until its settings change)."""
        workspace = self.workspace(tenant)
        cfg = self.resolved(tenant).config
        if workspace == "" and cfg is self.base.config:
            return self.base
        with self._lock:
            hit = self._cache.get(workspace)
        if hit is not None and hit.config is cfg:
            return hit
        workflow = Workflow(
            self.store, config=cfg, notifier=self.base.workflow.notifier, inline=False
        )
        parts = Conversation.parts(cfg, deliver=self.base.deliver, **self._kw)
        services = replace(self.base, workflow=workflow, **parts)
        with self._lock:
            self._cache[workspace] = services
        return services
