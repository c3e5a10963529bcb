"""What the listeners need, built once per process and handed to them through Bolt's context.

Listeners stay thin and testable: they get a :class:`Services` (config,
workflow, review functions, a pool for slow work) instead of reaching for
globals, so tests and benchmarks swap in a slow LLM stand-in or a fake
workflow without patching.

    services = Services.build(config=cfg, workflow=wf, settings=SlackSettings.from_env())
    app = build_slack_app(services)
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field

from bot import adapters as _adapters
from bot.config import Config
from bot.policy import load_policy
from bot.review import review, review_rules
from bot.slack.settings import SlackSettings
from bot.verdict import Draft, Verdict
from bot.workflow import Workflow

log = logging.getLogger("canipost.slack")

Reviewer = _adapters.Reviewer
Asker = _adapters.Asker

#: Threads for quick work after an ack (views.open, chat.postMessage, a decision):
#: the ack goes out first, this follows within milliseconds.
IO_WORKERS = 32
#: Threads for slow work (LLM critique, answers, submissions). LLM calls wait on the
#: network, so more threads than cores is right; the bound keeps a burst from
#: opening hundreds of connections to the LLM at once.
SLOW_WORKERS = 32


# Shared with the Teams adapter (kept importable from here for existing callers).
policy_titles = _adapters.policy_titles
default_llm_enabled = _adapters.llm_enabled
default_asker = _adapters.asker


def prestart(executor: Executor, threads: int) -> None:
    """Start ``threads`` worker threads now rather than during the first burst.

    A thread pool creates its threads one request at a time; under a burst of
    fifty requests that creation, competing for the GIL with the requests,
    showed up as hundreds of milliseconds on the first acks.
    """
    if threads < 1:
        return
    barrier = threading.Barrier(threads + 1)

    def hold() -> None:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=5)

    for _ in range(threads):
        executor.submit(hold)
    with contextlib.suppress(threading.BrokenBarrierError):
        barrier.wait(timeout=5)


#: A draft that wakes every lazily loaded detector (phone metadata, the offensive-language
#: model, link and hashtag rules) before the first real request needs it.
WARM_UP_DRAFT = (
    "BREAKING!!! Call Kevin on 07700 900123, he is an idiot. Email kev@example.com, "
    "NHS number 943 476 5919, see https://bit.ly/x #ad #news #council #fail"
)


def warm_up(rules: Reviewer, config: Config) -> None:
    """Review throwaway drafts now (ours, then every rule's own examples), so the first
    burst of real drafts does not pay for lazily built matchers and models: fifty threads
    would otherwise each build them at once, and the acks would wait on that."""
    texts = [(WARM_UP_DRAFT, "any")]
    for rule in load_policy(config).rules:
        texts.extend(rule.examples_flag + rule.examples_pass)
    for text, channel in texts:
        try:
            rules(Draft(text, channel=channel))
        except Exception:  # a broken rule shows up on real drafts, with its own error
            log.warning("warm-up review failed", exc_info=True)
            return


def new_reference() -> str:
    """A short id a person can quote to the admins; the log line carries the same id."""
    return secrets.token_hex(4)


@dataclass
class Services:
    """Everything a listener may use; one per process, shared by all threads."""

    config: Config
    workflow: Workflow
    settings: SlackSettings
    review_rules: Reviewer
    review_full: Reviewer
    ask: Asker | None
    llm_enabled: bool
    background: Executor
    io: Executor = field(
        default_factory=lambda: ThreadPoolExecutor(
            max_workers=IO_WORKERS, thread_name_prefix="canipost-io"
        )
    )
    titles: Mapping[str, str] = field(default_factory=dict)
    #: Called with (kind, seconds) for latency metrics; no-op by default.
    observe: Callable[[str, float], None] = lambda _kind, _seconds: None
    #: Asks for the workflow's outbox to be delivered soon. Listeners record with a
    #: notifier-less workflow (a few ms of database work, so the ack is never held up
    #: by Slack API calls) and call this; the server's outbox pump does the sending.
    deliver: Callable[[], None] = lambda: None

    @classmethod
    def build(
        cls,
        *,
        config: Config,
        workflow: Workflow,
        settings: SlackSettings,
        reviewer: Reviewer | None = None,
        asker: Asker | None = None,
        llm_enabled: bool | None = None,
        background: Executor | None = None,
        deliver: Callable[[], None] | None = None,
    ) -> Services:
        """Defaults: the real review, ``bot.ask``, LLM on when configured, a bounded pool.

        Loads the policy now, so the first ``/canipost`` answers as fast as the rest.
        """
        titles = policy_titles(config)

        def rules(draft: Draft) -> Verdict:
            return review_rules(draft, config=config)

        warm_up(rules, config)

        def full(draft: Draft) -> Verdict:
            return review(draft, config=config)

        return cls(
            config=config,
            workflow=workflow,
            settings=settings,
            review_rules=rules,
            review_full=reviewer or full,
            ask=asker if asker is not None else default_asker(config),
            llm_enabled=default_llm_enabled(config) if llm_enabled is None else llm_enabled,
            background=background
            or ThreadPoolExecutor(max_workers=SLOW_WORKERS, thread_name_prefix="canipost-slow"),
            titles=titles,
            deliver=deliver or (lambda: None),
        )

    @property
    def auto_send(self) -> bool:
        """``workflow.auto_send``: needs_approval drafts go to comms without a click."""
        return bool(self.config.workflow.get("auto_send"))
