"""A loopback OpenID Connect provider: discovery, authorize, token and JWKS endpoints.

It signs real RS256 ID tokens with its own key and checks what a real provider
checks (client secret, redirect URI, PKCE verifier), so the dashboard's OIDC
code runs end to end without Slack or Microsoft.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class StandInProvider:
    client_id: str = "dash-client"
    client_secret: str = "dash-secret"
    issuer_template: str | None = None  # e.g. "{base}/{tenantid}/v2.0" for Entra-style
    claims: dict[str, Any] = field(default_factory=dict)  # the next user's claims
    tamper: str = ""  # "nonce", "audience", "signature", "expired"
    key: rsa.RSAPrivateKey = field(default_factory=_key)
    base: str = ""
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/.well-known/openid-configuration", self.discovery)
        app.router.add_get("/authorize", self.authorize)
        app.router.add_post("/token", self.token)
        app.router.add_get("/jwks", self.jwks)
        return app

    def issuer(self) -> str:
        return (
            self.issuer_template.format(base=self.base, tenantid="{tenantid}")
            if self.issuer_template
            else self.base
        )

    async def discovery(self, _request: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": self.issuer(),
                "authorization_endpoint": f"{self.base}/authorize",
                "token_endpoint": f"{self.base}/token",
                "jwks_uri": f"{self.base}/jwks",
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    async def authorize(self, request: web.Request) -> web.Response:
        q = request.query
        if q.get("client_id") != self.client_id or q.get("response_type") != "code":
            return web.Response(status=400, text="bad client")
        code = secrets.token_urlsafe(16)
        self.codes[code] = dict(q)
        target = q["redirect_uri"] + "?" + urlencode({"code": code, "state": q["state"]})
        return web.Response(status=302, headers={"Location": target})

    async def token(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        self.token_requests.append({k: str(v) for k, v in form.items()})
        grant = self.codes.pop(str(form.get("code")), None)
        if (
            grant is None
            or form.get("client_secret") != self.client_secret
            or form.get("redirect_uri") != grant["redirect_uri"]
        ):
            return web.json_response({"error": "invalid_grant"}, status=400)
        verifier = str(form.get("code_verifier", ""))
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        if challenge != grant["code_challenge"]:
            return web.json_response({"error": "invalid_grant", "why": "pkce"}, status=400)
        now = int(time.time())
        tid = str(self.claims.get("tid", ""))
        claims = {
            "iss": self.issuer().replace("{tenantid}", tid),
            "aud": self.client_id if self.tamper != "audience" else "someone-else",
            "sub": "subject-1",
            "iat": now,
            "exp": now - 3600 if self.tamper == "expired" else now + 600,
            "nonce": grant["nonce"] if self.tamper != "nonce" else "other-nonce",
            **self.claims,
        }
        key = _key() if self.tamper == "signature" else self.key
        token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})
        return web.json_response({"access_token": "at", "token_type": "Bearer", "id_token": token})

    async def jwks(self, _request: web.Request) -> web.Response:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        jwk.update(kid="k1", use="sig", alg="RS256")
        return web.json_response({"keys": [jwk]})
