"""Proactive messages through the Agents SDK: post a card, update it, reply under it.

Teams lets a bot write to a conversation outside a turn once it knows the
conversation's id and its Bot Connector ``serviceUrl``. :class:`Messenger`
does that with the SDK's own ``continue_conversation_with_claims``, so the
SDK picks the outbound credentials exactly as for replies: the claims saved
from the turn that started it (a person's chat), or the bot's own app id
(the approvers' channel). In local mode (anonymous) no token is sent.

:class:`LoopThread` lets synchronous callers (the workflow's outbox pump
runs notifiers on a thread) await those coroutines on an event loop of its
own, so a slow Bot Connector never stalls the loop serving ``/api/messages``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from microsoft_agents.activity import (
    Activity,
    ActivityEventNames,
    ActivityTypes,
    Attachment,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
)
from microsoft_agents.hosting.core import (
    AuthenticationConstants,
    ChannelServiceAdapter,
    ClaimsIdentity,
    TurnContext,
)

from bot.teams.card_schema import check_card
from bot.teams.cards import CONTENT_TYPE, Card, card_summary

T = TypeVar("T")

#: Claims worth keeping from an inbound turn to answer later (the SDK's own choice).
KEPT_CLAIMS = ("aud", "azp", "appid", "idtyp", "ver", "iss", "tid")
#: Longest a synchronous caller waits for one Bot Connector call.
SEND_TIMEOUT = 30.0


def card_activity(card: Card, *, summary: str | None = None) -> Activity:
    """A message carrying one Adaptive Card (checked against the 1.5 subset first)."""
    return Activity(
        type=ActivityTypes.message,
        summary=summary or card_summary(card),
        attachments=[Attachment(content_type=CONTENT_TYPE, content=check_card(card))],
    )


def text_activity(text: str) -> Activity:
    return Activity(type=ActivityTypes.message, text=text, text_format="markdown")


@dataclass(frozen=True)
class Place:
    """Where to write: a Teams conversation, its Bot Connector, and whose credentials to use.

    Stored in a submission's ``message_refs`` (:meth:`to_dict`), so an outbox
    retry in another process can still reach it. ``claims`` holds no secret:
    only the audience, issuer and tenant of the inbound token.
    """

    conversation_id: str
    service_url: str
    tenant_id: str | None = None
    claims: Mapping[str, str] | None = None
    user_id: str | None = None
    bot_id: str | None = None
    personal: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "conversation": self.conversation_id,
            "service_url": self.service_url,
        }
        for key, value in (
            ("tenant", self.tenant_id),
            ("claims", dict(self.claims) if self.claims is not None else None),
            ("user", self.user_id),
            ("bot", self.bot_id),
        ):
            if value is not None:
                out[key] = value
        if self.personal:
            out["personal"] = True
        out.update(self.extra)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Place | None:
        if not data.get("conversation") or not data.get("service_url"):
            return None
        known = {"conversation", "service_url", "tenant", "claims", "user", "bot", "personal"}
        claims = data.get("claims")
        return cls(
            conversation_id=str(data["conversation"]),
            service_url=str(data["service_url"]),
            tenant_id=data.get("tenant"),
            claims=dict(claims) if isinstance(claims, dict) else None,
            user_id=data.get("user"),
            bot_id=data.get("bot"),
            personal=bool(data.get("personal")),
            extra={k: v for k, v in data.items() if k not in known},
        )

    @classmethod
    def of_turn(cls, context: TurnContext) -> Place:
        """The conversation of the current turn, with the turn's claims for answering later."""
        act = context.activity
        identity = context.identity
        claims = (
            {k: str(v) for k, v in identity.claims.items() if k in KEPT_CLAIMS}
            if identity is not None
            else {}
        )
        conv = act.conversation
        assert conv is not None  # the adapter refuses activities without one
        return cls(
            conversation_id=conv.id,
            service_url=act.service_url or "",
            tenant_id=conv.tenant_id,
            claims=claims,
            user_id=act.from_property.id if act.from_property else None,
            bot_id=act.recipient.id if act.recipient else None,
            personal=(conv.conversation_type or "") == "personal",
        )

    def thread(self, root_activity_id: str) -> Place:
        """The reply thread under a channel post (Teams addresses it as ``<channel>;messageid=<root>``)."""
        base = self.conversation_id.split(";messageid=")[0]
        return Place(
            conversation_id=f"{base};messageid={root_activity_id}",
            service_url=self.service_url,
            tenant_id=self.tenant_id,
            claims=self.claims,
            bot_id=self.bot_id,
        )


class Messenger:
    """Send and update activities in any conversation, outside a turn."""

    def __init__(
        self, adapter: ChannelServiceAdapter, *, app_id: str | None, anonymous: bool = False
    ) -> None:
        self.adapter = adapter
        self.app_id = app_id
        self.anonymous = anonymous

    def _identity(self, place: Place) -> ClaimsIdentity:
        if place.claims is not None:
            # Claims saved from the inbound turn; empty ones mean that turn was anonymous.
            return ClaimsIdentity(dict(place.claims)) if place.claims else ClaimsIdentity()
        if self.anonymous or not self.app_id:
            return ClaimsIdentity()
        return self.adapter.create_claims_identity(self.app_id)

    def _bot(self, place: Place) -> ChannelAccount:
        return ChannelAccount(id=place.bot_id or f"28:{self.app_id or 'canipost'}")

    def _continuation(self, place: Place) -> Activity:
        # No id: a continuation without one makes sends new posts, not replies to an activity.
        fields: dict[str, Any] = {
            "type": ActivityTypes.event,
            "name": ActivityEventNames.continue_conversation,
            "channel_id": "msteams",
            "service_url": place.service_url,
            "conversation": ConversationAccount(
                id=place.conversation_id, tenant_id=place.tenant_id
            ),
            "recipient": self._bot(place),
        }
        if place.user_id:
            fields["from_property"] = ChannelAccount(id=place.user_id)
        if place.tenant_id:
            fields["channel_data"] = {"tenant": {"id": place.tenant_id}}
        return Activity.model_validate(fields)

    async def _turn(self, place: Place, work: Any) -> Any:
        result: list[Any] = []
        failure: list[BaseException] = []

        async def callback(context: TurnContext) -> None:
            try:
                result.append(await work(context))
            except Exception as exc:  # re-raised below: the adapter would swallow it
                failure.append(exc)

        await self.adapter.continue_conversation_with_claims(
            self._identity(place), self._continuation(place), callback
        )
        if failure:
            raise failure[0]
        return result[0] if result else None

    async def send(self, place: Place, activity: Activity) -> str | None:
        """Post ``activity`` to ``place``; returns the new message's id."""

        async def work(context: TurnContext) -> str | None:
            if place.tenant_id:
                activity.channel_data = {"tenant": {"id": place.tenant_id}}
            response = await context.send_activity(activity)
            return response.id if response is not None else None

        sent: str | None = await self._turn(place, work)
        return sent

    async def update(self, place: Place, activity_id: str, activity: Activity) -> None:
        """Replace the message ``activity_id`` in ``place`` (a card refreshed for everyone)."""

        async def work(context: TurnContext) -> None:
            activity.id = activity_id
            await context.update_activity(activity)

        await self._turn(place, work)

    async def personal(self, place: Place) -> Place:
        """The 1:1 chat between the bot and ``place.user_id`` (``place`` if it already is one).

        Teams lets a bot start that chat with anyone in a team or chat where the
        app is installed; the id comes back from the Bot Connector.
        """
        if place.personal or not place.user_id:
            return place
        fields: dict[str, Any] = {
            "is_group": False,
            "bot": self._bot(place),
            "members": [ChannelAccount(id=place.user_id)],
        }
        if place.tenant_id:
            fields["tenant_id"] = place.tenant_id
            fields["channel_data"] = {"tenant": {"id": place.tenant_id}}
        params = ConversationParameters.model_validate(fields)
        created: list[str] = []

        async def callback(context: TurnContext) -> None:
            if context.activity.conversation is not None:
                created.append(context.activity.conversation.id)

        await self.adapter.create_conversation(
            self.app_id or "",
            "msteams",
            place.service_url,
            AuthenticationConstants.AGENTS_SDK_SCOPE,
            params,
            callback,
        )
        if not created:
            raise ConnectionError("the Bot Connector did not open a personal chat")
        return Place(
            conversation_id=created[0],
            service_url=place.service_url,
            tenant_id=place.tenant_id,
            claims=place.claims,
            user_id=place.user_id,
            bot_id=place.bot_id,
            personal=True,
        )

    async def tell(self, place: Place, activity: Activity) -> str | None:
        """Send to the person behind ``place`` privately: their 1:1 chat with the bot."""
        return await self.send(await self.personal(place), activity)


class LoopThread:
    """An event loop on a daemon thread, for running coroutines from synchronous code."""

    def __init__(self, name: str = "canipost-teams-send") -> None:
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _ensure(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name=self.name, daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = SEND_TIMEOUT) -> T:
        """Run ``coro`` on the thread's loop and wait for its result (or its exception)."""
        loop = self._ensure()
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            coro.close()
            raise RuntimeError("LoopThread.run called from its own loop: it would deadlock")
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)

    def stop(self) -> None:
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
