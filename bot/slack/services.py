"""What the listeners need, built once per process and handed to them through Bolt's context.

Listeners stay thin and testable: they get a :class:`Services` — the
platform-neutral :class:`~bot.conversation.Conversation` (config, workflow,
review, the steps) plus Slack's settings and pools — instead of reaching for
globals, so tests and benchmarks swap in a slow LLM stand-in without patching.

    services = Services.build(config=cfg, workflow=wf, settings=SlackSettings.from_env())
    app = build_slack_app(services)
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field

from bot.config import Config
from bot.conversation.steps import Asker, Conversation, Reviewer
from bot.policy import load_policy
from bot.slack.settings import SlackSettings
from bot.verdict import Draft
from bot.workflow import Workflow

log = logging.getLogger("canipost.slack")

#: Threads for quick work after an ack (views.open, chat.postMessage, a decision):
#: the ack goes out first, this follows within milliseconds.
IO_WORKERS = 32
#: Threads for slow work (LLM critique, answers, submissions). LLM calls wait on the
#: network, so more threads than cores is right; the bound keeps a burst from
#: opening hundreds of connections to the LLM at once.
SLOW_WORKERS = 32


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


@dataclass(kw_only=True)
class Services(Conversation):
    """The conversation's steps plus Slack's settings and pools; one per process."""

    platform: str = "slack"
    settings: SlackSettings
    #: Each workspace has its own settings ("canipost settings" shortcut): OAuth installs.
    workspace_settings: bool = False
    background: Executor
    io: Executor = field(
        default_factory=lambda: ThreadPoolExecutor(
            max_workers=IO_WORKERS, thread_name_prefix="canipost-io"
        )
    )

    @classmethod
    def build(  # type: ignore[override]
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

        Loads the policy and warms the matchers now, so the first ``/canipost``
        answers as fast as the rest.
        """
        parts = Conversation.parts(
            config, reviewer=reviewer, asker=asker, llm_enabled=llm_enabled, deliver=deliver
        )
        warm_up(parts["review_rules"], config)
        return cls(
            workflow=workflow,
            settings=settings,
            background=background
            or ThreadPoolExecutor(max_workers=SLOW_WORKERS, thread_name_prefix="canipost-slow"),
            **parts,
        )
