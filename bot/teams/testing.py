"""The fakes for tests and benchmarks, shipped beside the real thing.

* :class:`MockBotConnector` — a loopback HTTP server standing in for Teams'
  Bot Connector service (activities carry its ``.url`` as ``serviceUrl``):
  it records every activity sent, replied and updated, and can demand a
  bearer token.
* :class:`TestIssuer` — an RSA key pair made on the spot, a loopback OpenID
  metadata + JWKS server, and JWTs signed as Azure Bot Service signs them.
  :meth:`TestIssuer.trusted` points the SDK's JWT validator at it (the SDK
  maps the Bot Framework issuer to its JWKS URL in
  ``_entra_issuers.BOTFRAMEWORK_JWKS_URIS``; it has no setting for it).
* :func:`static_connections` — an SDK connection manager whose outbound
  token is a fixed string, so nothing calls Entra ID.
* :func:`message_activity`, :func:`card_action_activity`,
  :func:`fetch_task_activity`, :func:`submit_action_activity` — activities as
  Teams sends them.
* :class:`LiveServer` — runs an aiohttp app on 127.0.0.1 in a thread.

    with MockBotConnector() as connector, TestIssuer(APP_ID) as issuer, issuer.trusted():
        body = message_activity("review: Hello", service_url=connector.url)
        server.post("/api/messages", body, {"Authorization": f"Bearer {issuer.token(connector.url)}"})
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from microsoft_agents.hosting.core import (
    AgentAuthConfiguration,
    AnonymousTokenProvider,
    AuthenticationConstants,
    ConnectionManager,
    Connections,
)

from bot.server.live import LiveServer as _LiveServer
from bot.server.live import StandIn

TENANT = "72f988bf-0000-4000-8000-000000000001"
BOT_ISSUER = AuthenticationConstants.AGENTS_SDK_TOKEN_ISSUER  # https://api.botframework.com

# ---------------------------------------------------------------------- Bot Connector stand-in


@dataclass
class ConnectorCall:
    """One request the bot made to the Bot Connector."""

    method: str
    path: str
    conversation: str
    activity_id: str | None
    body: dict[str, Any]
    authorization: str | None
    #: The id the stand-in gave the activity (what Teams would return).
    returned_id: str | None = None
    at: float = field(default_factory=time.monotonic)

    @property
    def kind(self) -> str:
        """``send``, ``reply``, ``update`` or ``create`` (a new conversation)."""
        if self.method == "PUT":
            return "update"
        if self.path.rstrip("/") == "/v3/conversations":
            return "create"
        return "reply" if self.activity_id else "send"

    @property
    def card(self) -> dict[str, Any] | None:
        for att in self.body.get("attachments") or []:
            if att.get("contentType") == "application/vnd.microsoft.card.adaptive":
                content: dict[str, Any] = att.get("content") or {}
                return content
        return None

    @property
    def text(self) -> str:
        return str(self.body.get("text") or "")


class MockBotConnector(StandIn):
    """A recording Bot Connector on 127.0.0.1 (threaded; one per test)."""

    def __init__(self, *, token: str | None = None) -> None:
        super().__init__()
        #: When set, calls without ``Authorization: Bearer <token>`` get 401.
        self.token = token
        self.calls: list[ConnectorCall] = []
        self._ids = itertools.count(1)
        self.url = f"{self.base_url}/"

    def handle(
        self, method: str, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        status, payload = self._record(method, path, headers.get("Authorization"), raw)
        return status, payload, {}

    def _record(
        self, method: str, path: str, auth: str | None, raw: bytes
    ) -> tuple[int, dict[str, Any]]:
        if self.token is not None and auth != f"Bearer {self.token}":
            return 401, {"error": {"code": "Unauthorized", "message": "bad token"}}
        body = json.loads(raw) if raw else {}
        parts = [urllib.parse.unquote(p) for p in path.split("?")[0].strip("/").split("/")]
        # v3/conversations[/<conversation>/activities[/<activity>]]
        conversation = parts[2] if len(parts) > 2 else ""
        activity_id = parts[4] if len(parts) > 4 else None
        call = ConnectorCall(method, path, conversation, activity_id, body, auth)
        if call.kind == "create":
            call.returned_id = f"a:personal-{next(self._ids)}"
            payload: dict[str, Any] = {"id": call.returned_id, "activityId": "0"}
        elif call.kind == "update":
            call.returned_id = activity_id
            payload = {"id": activity_id}
        else:
            call.returned_id = f"1700000000{next(self._ids):03d}"
            payload = {"id": call.returned_id}
        with self.cond:
            self.calls.append(call)
            self.cond.notify_all()
        return 200, payload

    # ------------------------------------------------------------------ queries

    def of(self, kind: str, conversation: str | None = None) -> list[ConnectorCall]:
        with self.cond:
            return [
                c
                for c in self.calls
                if c.kind == kind and (conversation is None or c.conversation == conversation)
            ]

    def wait_for(
        self, predicate: Callable[[list[ConnectorCall]], bool], timeout: float = 10.0
    ) -> list[ConnectorCall]:
        """Block until ``predicate(calls)`` holds; the calls so far, else AssertionError."""

        def ready() -> list[ConnectorCall] | None:
            calls = list(self.calls)
            return calls if predicate(calls) else None

        def failure() -> str:
            kinds = [(c.kind, c.conversation) for c in self.calls]
            return f"timed out waiting; calls so far: {kinds}"

        return self.wait_until(ready, timeout, failure)


# ---------------------------------------------------------------------- tokens


def _b64(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class TestIssuer:
    """Sign inbound tokens as Azure Bot Service does, with keys made for this test.

    Serves ``/v1/.well-known/openidconfiguration`` (whose ``jwks_uri`` is
    ``/v1/.well-known/keys``) on 127.0.0.1, like ``login.botframework.com``.
    """

    __test__ = False  # not a pytest class

    def __init__(self, app_id: str, *, kid: str = "test-key-1") -> None:
        self.app_id = app_id
        self.kid = kid
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        numbers = self.key.public_key().public_numbers()
        self.jwks = {
            "keys": [
                {
                    "kty": "RSA",
                    "use": "sig",
                    "alg": "RS256",
                    "kid": kid,
                    "n": _b64(numbers.n),
                    "e": _b64(numbers.e),
                    "endorsements": ["msteams"],
                }
            ]
        }
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                if self.path.endswith("/openidconfiguration"):
                    payload: dict[str, Any] = {
                        "issuer": BOT_ISSUER,
                        "jwks_uri": issuer.jwks_url,
                        "id_token_signing_alg_values_supported": ["RS256"],
                    }
                elif self.path.endswith("/keys"):
                    payload = issuer.jwks
                else:
                    self.send_error(404)
                    return
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.metadata_url = f"{base}/v1/.well-known/openidconfiguration"
        self.jwks_url = f"{base}/v1/.well-known/keys"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> TestIssuer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def token(self, service_url: str, *, key: Any = None, **claims: Any) -> str:
        """A token as Azure Bot Service sends it; ``claims`` override (``aud``, ``exp``...)."""
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": BOT_ISSUER,
            "aud": self.app_id,
            "serviceurl": service_url,
            "nbf": now - 5,
            "iat": now - 5,
            "exp": now + 3600,
        }
        payload.update(claims)
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers={"kid": self.kid})

    @contextlib.contextmanager
    def trusted(self) -> Iterator[None]:
        """Make the SDK fetch Bot Framework signing keys from this issuer, then restore."""
        from microsoft_agents.hosting.core.authorization import _entra_issuers

        uris = _entra_issuers.BOTFRAMEWORK_JWKS_URIS  # shared with jwt_token_validator
        with urllib.request.urlopen(self.metadata_url, timeout=5) as resp:
            jwks_uri = json.loads(resp.read())["jwks_uri"]
        old = uris[BOT_ISSUER]
        uris[BOT_ISSUER] = jwks_uri
        try:
            yield
        finally:
            uris[BOT_ISSUER] = old


class StaticTokenProvider(AnonymousTokenProvider):
    """An outbound token provider that hands out one fixed token (no Entra ID call)."""

    def __init__(self, config: AgentAuthConfiguration, token: str) -> None:
        self._config = config
        self._token = token

    @property
    def configuration(self) -> AgentAuthConfiguration:
        return self._config

    async def get_access_token(
        self, resource_url: str, scopes: list[str], force_refresh: bool = False
    ) -> str:
        return self._token


def static_connections(client_id: str, token: str) -> Connections:
    """An SDK connection manager for ``client_id`` whose outbound token is ``token``."""
    config = AgentAuthConfiguration(client_id=client_id, tenant_id=TENANT)
    return ConnectionManager(
        provider_factory=lambda cfg: StaticTokenProvider(cfg, token),
        connections_configurations={"SERVICE_CONNECTION": config},
    )


# ---------------------------------------------------------------------- activities


@dataclass(frozen=True)
class TeamsUser:
    """A person in Teams: their Teams id (29:…), Entra object id and name."""

    id: str
    aad: str
    name: str

    def account(self) -> dict[str, str]:
        return {"id": self.id, "aadObjectId": self.aad, "name": self.name}


BOT = {"id": "28:canipost-bot", "name": "canipost"}


def _base(
    kind: str,
    *,
    service_url: str,
    user: TeamsUser,
    conversation: str,
    conversation_type: str,
    tenant: str | None = TENANT,
    **extra: Any,
) -> dict[str, Any]:
    """An activity as Teams sends it; ``tenant=None`` leaves the tenant out (a plain bot)."""
    activity: dict[str, Any] = {
        "type": kind,
        "id": extra.pop("id", None) or f"1700{uuid.uuid4().int % 10**9:09d}",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": user.account(),
        "recipient": dict(BOT),
        "conversation": {
            "id": conversation,
            "conversationType": conversation_type,
        },
        "locale": "en-GB",
        **extra,
    }
    if tenant is not None:
        activity["conversation"]["tenantId"] = tenant
        activity["channelData"] = {**activity.get("channelData", {}), "tenant": {"id": tenant}}
    return activity


def message_activity(
    text: str,
    *,
    service_url: str,
    user: TeamsUser,
    conversation: str = "a:personal-chat",
    conversation_type: str = "personal",
    mention: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """A chat message; ``mention`` prefixes an @mention of the bot, as in a channel."""
    if mention:
        text = f"<at>{BOT['name']}</at> {text}"
        extra["entities"] = [
            {"type": "mention", "text": f"<at>{BOT['name']}</at>", "mentioned": dict(BOT)}
        ]
    return _base(
        "message",
        service_url=service_url,
        user=user,
        conversation=conversation,
        conversation_type=conversation_type,
        text=text,
        textFormat="plain",
        **extra,
    )


def card_action_activity(
    verb: str,
    data: dict[str, Any],
    *,
    service_url: str,
    user: TeamsUser,
    card_id: str,
    conversation: str = "a:personal-chat",
    conversation_type: str = "personal",
    **extra: Any,
) -> dict[str, Any]:
    """An ``adaptiveCard/action`` invoke: a click on ``Action.Execute`` with its inputs."""
    return _base(
        "invoke",
        service_url=service_url,
        user=user,
        conversation=conversation,
        conversation_type=conversation_type,
        name="adaptiveCard/action",
        replyToId=card_id,
        value={
            "action": {"type": "Action.Execute", "verb": verb, "data": data},
            "trigger": "manual",
        },
        **extra,
    )


def fetch_task_activity(
    message_html: str,
    *,
    service_url: str,
    user: TeamsUser,
    message_id: str = "1699999999999",
    conversation: str = "19:general@thread.tacv2",
    **extra: Any,
) -> dict[str, Any]:
    """The "Check with canipost" message action, as Teams sends it (``fetchTask: true``)."""
    return _base(
        "invoke",
        service_url=service_url,
        user=user,
        conversation=conversation,
        conversation_type="channel",
        name="composeExtension/fetchTask",
        value={
            "commandId": "checkWithCanipost",
            "commandContext": "message",
            "messagePayload": {
                "id": message_id,
                "messageType": "message",
                "body": {"contentType": "html", "content": message_html},
                "from": {"user": {"id": user.aad, "displayName": user.name}},
            },
            "context": {"theme": "default"},
        },
        **extra,
    )


def submit_action_activity(
    data: dict[str, Any],
    *,
    service_url: str,
    user: TeamsUser,
    conversation: str = "19:general@thread.tacv2",
    **extra: Any,
) -> dict[str, Any]:
    """An ``Action.Submit`` from our dialog (``composeExtension/submitAction``)."""
    return _base(
        "invoke",
        service_url=service_url,
        user=user,
        conversation=conversation,
        conversation_type="channel",
        name="composeExtension/submitAction",
        value={"commandId": "checkWithCanipost", "commandContext": "message", "data": data},
        **extra,
    )


# ---------------------------------------------------------------------- the server


class LiveServer(_LiveServer):
    """The shared loopback server, with a JSON POST helper for activities."""

    def post(
        self, path: str, body: dict[str, Any] | str, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        """POST JSON; ``(status, parsed JSON body or text)``."""
        raw = body if isinstance(body, str) else json.dumps(body)
        req = urllib.request.Request(
            self.url + path,
            data=raw.encode(),
            headers={"Content-Type": "application/json", **(headers or {})},
            method="POST",
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                status, text = resp.status, resp.read().decode()
        except urllib.error.HTTPError as err:
            status, text = err.code, err.read().decode()
        try:
            return status, json.loads(text) if text else None
        except ValueError:
            return status, text
