"""Helpers for the Slack scenario tests: drive the server as Slack would, read what it did.

Every request is signed as Slack signs it; every Web API call and every
``response_url`` post lands on :class:`bot.slack.testing.MockSlackAPI`; the
approval queue is a fresh SQLite file per test.
"""

from __future__ import annotations

import json
from typing import Any

from bot.server.app import ServerContext
from bot.slack.testing import (
    LiveServer,
    MockSlackAPI,
    action_body,
    command_body,
    event_body,
    signed_headers,
    view_body,
)
from bot.workflow import Submission

SECRET = "test-signing-secret"
AUTHOR, APPROVER, APPROVER2, STRANGER = "UAUTHOR", "UAPPROVER", "UAPPROVER2", "USTRANGER"
APPROVERS_CHANNEL = "CAPPROVERS"
RISKY = "Kevin from ward 4 is an idiot and everyone knows it"  # needs_approval (insult)
BLOCKED = "Call me on 07700 900123 about the patient"  # do_not_post (personal mobile)
SAFE = "Our library opens at 9am on Saturday. Everyone welcome!"


class Slack:
    """Drive the server as Slack would, and look at what it did."""

    def __init__(self, api: MockSlackAPI, server: LiveServer, ctx: ServerContext) -> None:
        self.api, self.server, self.ctx = api, server, ctx

    def send(self, body: str, *, headers: dict[str, str] | None = None) -> tuple[int, str]:
        status, text, _ = self.server.post(
            "/slack/events", body, headers if headers is not None else signed_headers(SECRET, body)
        )
        return status, text

    @staticmethod
    def _json(status: int, text: str) -> dict[str, Any]:
        assert status == 200, (status, text)
        return json.loads(text) if text.strip().startswith("{") else {}

    def command(self, text: str, *, user: str = AUTHOR, url: str = "cmd") -> dict[str, Any]:
        body = command_body("/canipost", text, user=user, response_url=self.api.response_url(url))
        return self._json(*self.send(body))

    def click(
        self,
        action_id: str,
        value: str,
        *,
        user: str = AUTHOR,
        url: str | None = "click",
        view: dict[str, Any] | None = None,
        channel: str = "CGENERAL",
    ) -> dict[str, Any]:
        body = action_body(
            action_id,
            value,
            user=user,
            response_url=self.api.response_url(url) if url else None,
            view=view,
            channel=channel,
        )
        return self._json(*self.send(body))

    def submit_view(
        self,
        callback_id: str,
        values: dict[str, dict[str, Any]],
        *,
        user: str = AUTHOR,
        view_id: str = "V9999",
        private_metadata: str = "",
    ) -> dict[str, Any]:
        body = view_body(
            callback_id, values, user=user, view_id=view_id, private_metadata=private_metadata
        )
        return self._json(*self.send(body))

    def event(self, event: dict[str, Any], **kw: Any) -> tuple[int, str]:
        return self.send(event_body(event, **kw))

    def submissions(self, **kw: Any) -> list[Submission]:
        return self.ctx.workflow.submissions(**kw)

    def settle(self) -> None:
        """Wait until the outbox has sent what the last action queued."""
        assert self.ctx.pump.wait_idle(10)


def button_value(payload: dict[str, Any], action_id: str) -> str:
    for block in payload.get("blocks") or (payload.get("view") or {}).get("blocks") or []:
        for el in [*(block.get("elements") or []), block.get("accessory") or {}]:
            if isinstance(el, dict) and el.get("action_id") == action_id:
                return str(el.get("value", ""))
    raise AssertionError(f"no {action_id} button in {json.dumps(payload)[:500]}")


def feedback_form(
    expected: str, categories: list[str], note: str = ""
) -> dict[str, dict[str, Any]]:
    """The state values of a submitted "Was this right?" modal."""
    from bot.slack.blocks import (
        BLOCK_CATEGORIES,
        BLOCK_EXPECTED,
        BLOCK_NOTE,
        INPUT_CATEGORIES,
        INPUT_EXPECTED,
        INPUT_NOTE,
    )

    return {
        BLOCK_EXPECTED: {INPUT_EXPECTED: {"selected_option": {"value": expected}}},
        BLOCK_CATEGORIES: {
            INPUT_CATEGORIES: {"selected_options": [{"value": c} for c in categories]}
        },
        BLOCK_NOTE: {INPUT_NOTE: {"value": note}},
    }


def all_text(payload: dict[str, Any]) -> str:
    """Every piece of text in a payload, for "the user sees X" assertions."""
    return json.dumps(payload, ensure_ascii=False)


def fake_asker(question: str, use_llm: bool | None) -> dict[str, Any]:
    """Stands in for bot.ask: a fixed answer citing the court cases section."""
    return {
        "answer": f"On '{question[:40]}': don't comment on active court cases.",
        "citations": [
            {
                "section": "Court cases",
                "anchor": "protocol#court-cases",
                "quote": "Never comment on an active case.",
            }
        ],
        "llm": "off" if use_llm is False else "used",
    }
