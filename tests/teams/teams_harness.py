"""Helpers for the Teams scenario tests (a module name no other test folder uses).

:class:`Teams` drives the real server over HTTP: it posts activities to
``/api/messages`` (with a bearer token from the test issuer when auth is on)
and reads what the bot sent to the Bot Connector stand-in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.server.app import ServerContext
from bot.teams.server import TEAMS_KEY
from bot.teams.testing import (
    ConnectorCall,
    LiveServer,
    MockBotConnector,
    TeamsUser,
    TestIssuer,
    card_action_activity,
    message_activity,
)
from bot.verdict import Draft, Finding, Severity, Verdict

APP_ID = "00000000-0000-4000-8000-00000000a11d"
OUTBOUND_TOKEN = "outbound-token-for-tests"
APPROVERS_CHANNEL = "19:approvers@thread.tacv2"

AUTHOR = TeamsUser("29:1author", "aad-0000-author", "Sam Author")
APPROVER = TeamsUser("29:1approver", "aad-0000-approver", "Ann Approver")
APPROVER2 = TeamsUser("29:1approver2", "aad-0000-approver2", "Bo Approver")
STRANGER = TeamsUser("29:1stranger", "aad-0000-stranger", "Stan Stranger")
SLACK_APPROVER = "USLACKAPPR"

#: Needs approval under the default policy (conjecture on work matters).
RISKY = "I think the council will probably scrap the bin collections next year."
#: Do not post (an NHS number and a patient).
BLOCKED = "Patient John Smith, NHS number 943 476 5919, was seen at Ward 7 today."
SAFE = "Lovely sunny day at the park."


def fake_asker(question: str, use_llm: bool | None) -> dict[str, Any]:
    return {
        "answer": f"About {question!r}: don't comment on active court cases.",
        "citations": [
            {"section": "Court cases", "anchor": "protocol#court-cases", "quote": "Never comment."}
        ],
        "llm": "off" if use_llm is False else "used",
    }


def llm_reviewer(draft: Draft) -> Verdict:
    """A stand-in for the LLM review: adds one AI finding and a rewrite."""
    from bot.config import Config
    from bot.review import review_rules

    base = review_rules(draft, config=Config())
    extra = Finding(
        rule="llm.tone",
        category="reputation",
        severity=Severity.ADVISE,
        start=None,
        end=None,
        quote=None,
        message="The AI thinks the tone could be warmer.",
        suggestion="Add a thank-you.",
        policy_ref="protocol#tone",
        source="llm",
    )
    verdict = base.with_findings([*base.findings, extra])
    verdict.llm = "used"
    verdict.rewrite = "A warmer version of the post."
    return verdict


@dataclass
class Teams:
    """The running server, the Bot Connector stand-in, and (auth on) the token issuer."""

    server: LiveServer
    connector: MockBotConnector
    ctx: ServerContext
    issuer: TestIssuer | None

    # ------------------------------------------------------------------ sending

    def headers(self) -> dict[str, str]:
        if self.issuer is None:
            return {}
        return {"Authorization": f"Bearer {self.issuer.token(self.connector.url)}"}

    def post(
        self, activity: dict[str, Any], *, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        return self.server.post(
            "/api/messages", activity, self.headers() if headers is None else headers
        )

    def say(self, text: str, user: TeamsUser = AUTHOR, **kw: Any) -> tuple[int, Any]:
        return self.post(message_activity(text, service_url=self.connector.url, user=user, **kw))

    def click(
        self,
        verb: str,
        data: dict[str, Any],
        *,
        user: TeamsUser,
        card_id: str,
        conversation: str = "a:personal-chat",
        conversation_type: str = "personal",
        **kw: Any,
    ) -> dict[str, Any]:
        """Click an ``Action.Execute`` button; returns the invoke's answer (200 expected)."""
        status, body = self.post(
            card_action_activity(
                verb,
                data,
                service_url=self.connector.url,
                user=user,
                card_id=card_id,
                conversation=conversation,
                conversation_type=conversation_type,
                **kw,
            )
        )
        assert status == 200, (status, body)
        assert isinstance(body, dict)
        return body

    def approve_click(
        self, verb: str, card: ConnectorCall, user: TeamsUser, note: str | None = None, **kw: Any
    ) -> dict[str, Any]:
        data = dict(card.card["actions"][0]["data"]) if card.card else {}
        if note is not None:
            data["note"] = note
        assert card.returned_id
        return self.click(
            verb,
            data,
            user=user,
            card_id=card.returned_id,
            conversation=APPROVERS_CHANNEL,
            conversation_type="channel",
            **kw,
        )

    # ------------------------------------------------------------------ waiting and reading

    def settle(self) -> None:
        """Wait for background follow-ups and the outbox to go quiet."""
        steps = self.server.app[TEAMS_KEY]
        self.server.run(steps.background.join())
        assert self.ctx.pump.wait_idle(10)

    def wait(
        self,
        kind: str | None = None,
        conversation: str | None = None,
        text: str | None = None,
        timeout: float = 10.0,
    ) -> list[ConnectorCall]:
        """Wait until some Bot Connector call matches; return the matching ones, oldest first."""

        def match(c: ConnectorCall) -> bool:
            return (
                (kind is None or c.kind == kind)
                and (conversation is None or c.conversation == conversation)
                and (
                    text is None
                    or text in c.text
                    or text in card_text(c.card)
                    or text in str(c.body.get("summary"))
                )
            )

        calls = self.connector.wait_for(lambda cs: any(match(c) for c in cs), timeout)
        return [c for c in calls if match(c)]

    def last_card(self, conversation: str = "a:personal-chat") -> ConnectorCall:
        calls = [c for c in self.connector.calls if c.conversation == conversation and c.card]
        assert calls, f"no card sent to {conversation}"
        return calls[-1]

    def approval_card(self) -> ConnectorCall:
        calls = self.connector.wait_for(
            lambda cs: any(c.kind == "send" and c.conversation == APPROVERS_CHANNEL for c in cs)
        )
        return next(c for c in calls if c.kind == "send" and c.conversation == APPROVERS_CHANNEL)

    def submit(self, text: str = RISKY, note: str | None = None) -> tuple[str, ConnectorCall]:
        """Review ``text`` as AUTHOR and press "Send to comms"; the submission id and the card."""
        status, _ = self.say(f"review: {text}")
        assert status == 202
        verdict = self.last_card()
        action = verdict.card["actions"][0] if verdict.card else {}
        data = dict(action["data"])
        if note is not None:
            data["justification"] = note
        assert verdict.returned_id
        answer = self.click(action["verb"], data, user=AUTHOR, card_id=verdict.returned_id)
        self.settle()
        sid = submission_id(answer)
        return sid, self.approval_card()


def card_text(card: dict[str, Any] | None) -> str:
    """Every piece of text on a card, joined (for asserting what a person would read)."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("text", "title", "value", "label", "placeholder"):
                if isinstance(node.get(key), str):
                    out.append(node[key])
            for value in node.values():
                if isinstance(value, (dict, list)):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card or {})
    return "\n".join(out)


def submission_id(answer: dict[str, Any]) -> str:
    """The submission id shown on a verdict card after "Send to comms"."""
    import re

    m = re.search(r"\bS-[0-9A-Z]{6,}\b", card_text(answer.get("value")))
    assert m, f"no submission id on the card: {card_text(answer.get('value'))[:400]}"
    return m.group(0)
