"""A cookie-keeping HTTP client and helpers for dashboard tests (real server, real HTTP)."""

from __future__ import annotations

import html
import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from bot.config import Config
from bot.dashboard.auth import create_link
from bot.store import Store


@dataclass
class Reply:
    status: int
    body: str
    headers: dict[str, str]
    url: str

    def csrf(self) -> str:
        match = re.search(r'name="csrf" value="([^"]+)"', self.body)
        assert match, "no CSRF token on the page"
        return match.group(1)

    @property
    def text(self) -> str:
        """The visible text, tags stripped and entities decoded (for assertions)."""
        no_tags = re.sub(r"<[^>]+>", " ", re.sub(r"(?s)<script.*?</script>", " ", self.body))
        return re.sub(r"\s+", " ", html.unescape(no_tags))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Client:
    """A browser-like client: keeps cookies, follows redirects unless told not to."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        cookies = urllib.request.HTTPCookieProcessor(self.jar)
        self._follow = urllib.request.build_opener(cookies)
        self._stay = urllib.request.build_opener(cookies, _NoRedirect())

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        *,
        follow: bool = True,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        url = path if path.startswith("http") else self.base + path
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        opener = self._follow if follow else self._stay
        try:
            with opener.open(req, timeout=30) as resp:
                return Reply(resp.status, resp.read().decode(), dict(resp.headers), resp.url)
        except urllib.error.HTTPError as err:
            return Reply(err.code, err.read().decode(), dict(err.headers), url)

    def get(self, path: str, **kw: object) -> Reply:
        return self.request("GET", path, **kw)  # type: ignore[arg-type]

    def post(self, path: str, form: dict[str, str], **kw: object) -> Reply:
        return self.request("POST", path, form, **kw)  # type: ignore[arg-type]

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)


def link_path(store: Store, config: Config, user: str, name: str | None = None) -> str:
    return "/dashboard/login?" + urllib.parse.urlencode(
        {"token": create_link(store, config, user, name=name)}
    )


def sign_in(client: Client, store: Store, config: Config, user: str) -> Reply:
    """Sign in with a fresh one-time link, as a person clicking it would."""
    page = client.get(link_path(store, config, user))
    assert page.status == 200, page.text
    token = re.search(r'name="token" value="([^"]+)"', page.body)
    assert token
    reply = client.post(
        "/dashboard/login", {"csrf": page.csrf(), "token": token.group(1), "next": ""}
    )
    assert reply.status == 200 and reply.url.endswith("/dashboard/queue"), reply.text[:300]
    return reply
