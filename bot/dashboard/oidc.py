"""Sign in with Slack or Microsoft Entra ID, by OpenID Connect (authorization code + PKCE).

A provider is configured from the environment (nothing is on by default):

* Slack: ``SLACK_CLIENT_ID`` and ``SLACK_CLIENT_SECRET`` (the same app as the
  OAuth install; add ``<base>/dashboard/oidc/slack/callback`` as a redirect
  URL and the ``openid`` and ``profile`` user scopes). The Slack user id in the
  ID token (``https://slack.com/user_id``) is matched against the approvers.
* Microsoft Entra ID: ``CANIPOST_ENTRA_CLIENT_ID``, ``CANIPOST_ENTRA_CLIENT_SECRET``
  and ``CANIPOST_ENTRA_TENANT_ID`` (default ``organizations``); redirect URI
  ``<base>/dashboard/oidc/entra/callback``. The user's object id (``oid``, the
  id Teams approvers are listed by) is matched.

``CANIPOST_SLACK_OIDC_ISSUER`` / ``CANIPOST_ENTRA_ISSUER`` point at another
issuer (a proxy, a sovereign cloud, or the tests' loopback provider); its
``/.well-known/openid-configuration`` is read once and cached.

The ID token is verified with the provider's published keys (JWKS): signature,
issuer, audience, expiry and the nonce we sent. State, nonce and the PKCE
verifier live in a short-lived HttpOnly cookie, so a callback that did not
start in this browser is refused.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp
import jwt

#: How long a sign-in round trip at the provider may take.
FLOW_TTL_SECONDS = 600
_DISCOVERY_TTL = 3600.0


class OidcError(Exception):
    """The sign-in could not be completed; ``str()`` is shown on the sign-in page."""


@dataclass(frozen=True, slots=True)
class Provider:
    """One OpenID Connect provider and how its ID token names a user."""

    name: str
    label: str
    issuer: str
    client_id: str
    client_secret: str
    identity: str  # which approver list the user id belongs to
    user_claim: str
    workspace_claim: str | None = None
    scopes: str = "openid profile"
    multi_tenant: bool = False

    @property
    def discovery_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


def configured_providers(env: Mapping[str, str] | None = None) -> dict[str, Provider]:
    """The providers whose credentials are set, by name (``slack``, ``entra``)."""
    env = os.environ if env is None else env
    found: dict[str, Provider] = {}
    if env.get("SLACK_CLIENT_ID") and env.get("SLACK_CLIENT_SECRET"):
        found["slack"] = Provider(
            name="slack",
            label="Sign in with Slack",
            issuer=env.get("CANIPOST_SLACK_OIDC_ISSUER") or "https://slack.com",
            client_id=env["SLACK_CLIENT_ID"],
            client_secret=env["SLACK_CLIENT_SECRET"],
            identity="slack",
            user_claim="https://slack.com/user_id",
            workspace_claim="https://slack.com/team_id",
        )
    if env.get("CANIPOST_ENTRA_CLIENT_ID") and env.get("CANIPOST_ENTRA_CLIENT_SECRET"):
        tenant = env.get("CANIPOST_ENTRA_TENANT_ID") or "organizations"
        found["entra"] = Provider(
            name="entra",
            label="Sign in with Microsoft",
            issuer=env.get("CANIPOST_ENTRA_ISSUER")
            or f"https://login.microsoftonline.com/{tenant}/v2.0",
            client_id=env["CANIPOST_ENTRA_CLIENT_ID"],
            client_secret=env["CANIPOST_ENTRA_CLIENT_SECRET"],
            identity="teams",
            user_claim="oid",
            workspace_claim="tid",
            multi_tenant=tenant in ("organizations", "common"),
        )
    return found


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the provider says signed in."""

    user_id: str
    name: str | None
    workspace: str | None
    identity: str


@dataclass(frozen=True, slots=True)
class Flow:
    """What a sign-in round trip remembers (in its cookie)."""

    state: str
    nonce: str
    verifier: str

    def to_cookie(self) -> str:
        return f"{self.state}.{self.nonce}.{self.verifier}"

    @staticmethod
    def from_cookie(value: str | None) -> Flow | None:
        parts = (value or "").split(".")
        if len(parts) != 3 or not all(parts):
            return None
        return Flow(*parts)


def new_flow() -> Flow:
    return Flow(secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48))


class OidcClient:
    """Talks to the providers; caches their discovery documents and keys."""

    def __init__(self, providers: Mapping[str, Provider]) -> None:
        self.providers = dict(providers)
        self._discovery: dict[str, tuple[float, dict[str, Any]]] = {}
        self._keys: dict[str, tuple[float, jwt.PyJWKSet]] = {}

    async def _get_json(self, http: aiohttp.ClientSession, url: str) -> dict[str, Any]:
        try:
            async with http.get(url) as resp:
                if resp.status != 200:
                    raise OidcError(f"the sign-in provider answered {resp.status}")
                data = await resp.json(content_type=None)
        except aiohttp.ClientError as exc:
            raise OidcError(f"the sign-in provider is unreachable ({type(exc).__name__})") from None
        if not isinstance(data, dict):
            raise OidcError("the sign-in provider sent an unexpected answer")
        return data

    async def discovery(self, http: aiohttp.ClientSession, p: Provider) -> dict[str, Any]:
        cached = self._discovery.get(p.name)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        doc = await self._get_json(http, p.discovery_url)
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(doc.get(key), str):
                raise OidcError(f"the sign-in provider's configuration lacks {key}")
        self._discovery[p.name] = (time.monotonic() + _DISCOVERY_TTL, doc)
        return doc

    async def authorize_url(
        self, http: aiohttp.ClientSession, p: Provider, flow: Flow, redirect_uri: str
    ) -> str:
        """Where to send the browser to sign in."""
        doc = await self.discovery(http, p)
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(flow.verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        query = urlencode(
            {
                "response_type": "code",
                "client_id": p.client_id,
                "redirect_uri": redirect_uri,
                "scope": p.scopes,
                "state": flow.state,
                "nonce": flow.nonce,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        sep = "&" if "?" in doc["authorization_endpoint"] else "?"
        return f"{doc['authorization_endpoint']}{sep}{query}"

    async def finish(
        self,
        http: aiohttp.ClientSession,
        p: Provider,
        flow: Flow,
        *,
        code: str,
        state: str,
        redirect_uri: str,
    ) -> Identity:
        """Exchange the code, verify the ID token, and say who signed in."""
        if not secrets.compare_digest(state, flow.state):
            raise OidcError("the sign-in did not start in this browser; please try again")
        doc = await self.discovery(http, p)
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": p.client_id,
            "client_secret": p.client_secret,
            "code_verifier": flow.verifier,
        }
        try:
            async with http.post(doc["token_endpoint"], data=form) as resp:
                body = await resp.json(content_type=None)
                status = resp.status
        except (aiohttp.ClientError, ValueError) as exc:
            raise OidcError(f"the sign-in provider is unreachable ({type(exc).__name__})") from None
        if status != 200 or not isinstance(body, dict) or not body.get("id_token"):
            error = body.get("error") if isinstance(body, dict) else None
            raise OidcError(f"the sign-in provider refused the code ({error or status})")
        claims = await self._verify(http, p, doc, str(body["id_token"]), flow.nonce)
        user_id = claims.get(p.user_claim)
        if not isinstance(user_id, str) or not user_id:
            raise OidcError("the sign-in provider did not say who you are")
        name = claims.get("name") or claims.get("preferred_username")
        workspace = claims.get(p.workspace_claim) if p.workspace_claim else None
        return Identity(
            user_id=user_id,
            name=str(name) if name else None,
            workspace=str(workspace) if workspace else None,
            identity=p.identity,
        )

    async def _signing_key(
        self, http: aiohttp.ClientSession, p: Provider, jwks_uri: str, kid: str | None
    ) -> Any:
        for attempt in range(2):  # refetch once: the provider may have rotated its keys
            cached = self._keys.get(p.name)
            if attempt or not cached or cached[0] <= time.monotonic():
                try:
                    keyset = jwt.PyJWKSet.from_dict(await self._get_json(http, jwks_uri))
                except jwt.PyJWTError:
                    raise OidcError("the sign-in provider's keys are unreadable") from None
                self._keys[p.name] = (time.monotonic() + _DISCOVERY_TTL, keyset)
            keyset = self._keys[p.name][1]
            for key in keyset.keys:
                if kid is None or key.key_id == kid:
                    return key.key
        raise OidcError("the sign-in token was signed with an unknown key")

    async def _verify(
        self,
        http: aiohttp.ClientSession,
        p: Provider,
        doc: dict[str, Any],
        token: str,
        nonce: str,
    ) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise OidcError("the sign-in token is malformed") from None
        issuer = str(doc.get("issuer") or p.issuer)
        if p.multi_tenant and "{tenantid}" in issuer:
            issuer = issuer.replace("{tenantid}", str(unverified.get("tid", "")))
        key = await self._signing_key(http, p, doc["jwks_uri"], header.get("kid"))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256", "RS384", "RS512", "ES256", "PS256"],
                audience=p.client_id,
                issuer=issuer,
                leeway=60,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise OidcError(f"the sign-in token was refused ({exc})") from None
        if not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
            raise OidcError("the sign-in token was not issued for this sign-in")
        return claims
