"""The fakes for tests and benchmarks, shipped beside the real thing.

* :class:`MockSlackAPI` — a loopback HTTP server standing in for the Slack
  Web API (point ``SLACK_API_URL`` at ``.url``) and for ``response_url``
  (``.response_url()``), recording every call; it can answer 429 with
  ``Retry-After`` on demand.
* :func:`signed_headers` — Slack's request signature, as Slack computes it.
* :func:`command_body`, :func:`action_body`, :func:`view_body`,
  :func:`shortcut_body`, :func:`event_body` — request bodies as Slack sends them.
* :class:`LiveServer` — runs an aiohttp app on 127.0.0.1 in a thread.

    with MockSlackAPI() as api, LiveServer(build_app(...)) as server:
        body = command_body("/canipost", "Hello", response_url=api.response_url())
        status, text, _ = server.post("/slack/events", body, signed_headers(SECRET, body))
"""

from __future__ import annotations

import contextlib
import itertools
import json
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

from slack_sdk.signature import SignatureVerifier

from bot.server.live import LiveServer as _LiveServer
from bot.server.live import StandIn

# ---------------------------------------------------------------------- the Web API stand-in


@dataclass
class Call:
    """One request the app made: ``method`` is the API method or ``response_url``."""

    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    path: str
    at: float = field(default_factory=time.monotonic)


class MockSlackAPI(StandIn):
    """A recording Slack Web API on 127.0.0.1 (threaded; safe to share across tests)."""

    def __init__(self, *, bot_user_id: str = "UBOT", delay: float = 0.0) -> None:
        super().__init__()
        self.calls: list[Call] = []
        self.bot_user_id = bot_user_id
        self.delay = delay
        self._ts = itertools.count(1)
        self._views = itertools.count(1)
        #: method → number of upcoming calls to answer with 429 (Retry-After: 1).
        self.rate_limit: dict[str, int] = {}
        #: What apps.connections.open hands out (a Socket Mode WebSocket URL).
        self.socket_url = "ws://127.0.0.1:9/link"
        self.url = f"{self.base_url}/api/"

    def response_url(self, name: str = "r") -> str:
        return f"{self.base_url}/response/{name}"

    # ------------------------------------------------------------------ recording

    def handle(
        self, method: str, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if self.delay:
            time.sleep(self.delay)
        text = raw.decode("utf-8")
        ctype = headers.get("Content-Type") or headers.get("content-type") or ""
        args: dict[str, Any]
        if "json" in ctype and text:
            args = json.loads(text)
        else:
            args = {k: v[0] for k, v in parse_qs(text).items()}
            for key in ("blocks", "view"):
                if isinstance(args.get(key), str):
                    with contextlib.suppress(ValueError):
                        args[key] = json.loads(args[key])
        if path.startswith("/response/"):
            api_method = "response_url"
        else:
            api_method = path.split("/api/", 1)[-1].split("?")[0]
        with self.cond:
            if self.rate_limit.get(api_method, 0) > 0:
                self.rate_limit[api_method] -= 1
                self.calls.append(Call(api_method + " (429)", args, headers, path))
                self.cond.notify_all()
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}
            self.calls.append(Call(api_method, args, headers, path))
            self.cond.notify_all()
        return 200, self._answer(api_method, args), {}

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "user_id": self.bot_user_id,
                "bot_id": "BBOT",
                "team_id": "T1",
                "team": "Test",
                "url": "https://test.slack.com/",
            }
        if method in ("chat.postMessage", "chat.update"):
            ts = args.get("ts") or f"1700000000.{next(self._ts):06d}"
            return {"ok": True, "channel": args.get("channel"), "ts": ts}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.socket_url}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1700000000.{next(self._ts):06d}"}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(args.get("users", "X"))}}
        if method.startswith("views."):
            view = args.get("view") or {}
            vid = args.get("view_id") or f"V{next(self._views):04d}"
            return {"ok": True, "view": {**view, "id": vid, "hash": "h"}}
        return {"ok": True}

    # ------------------------------------------------------------------ queries

    def of(self, method: str) -> list[Call]:
        with self.cond:
            return [c for c in self.calls if c.method == method]

    def wait_for(
        self,
        method: str,
        *,
        count: int = 1,
        timeout: float = 10.0,
        where: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Block until ``count`` calls of ``method`` (matching ``where``) were made."""

        def ready() -> list[Call] | None:
            found = [c for c in self.calls if c.method == method and (where is None or where(c))]
            return found if len(found) >= count else None

        def failure() -> str:
            seen = ", ".join(c.method for c in self.calls) or "none"
            return f"expected {count} {method} call(s) within {timeout}s; calls made: {seen}"

        return self.wait_until(ready, timeout, failure)

    def reset(self) -> None:
        with self.cond:
            self.calls.clear()


# ---------------------------------------------------------------------- requests as Slack sends them


def signed_headers(
    secret: str, body: str, *, timestamp: int | None = None, content_type: str | None = None
) -> dict[str, str]:
    """Headers Slack would send with ``body``, signed with ``secret`` (v0 scheme)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    sig = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body) or ""
    ctype = content_type or (
        "application/json" if body.startswith("{") else "application/x-www-form-urlencoded"
    )
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig, "Content-Type": ctype}


_trigger = itertools.count(1)


def command_body(
    command: str,
    text: str,
    *,
    user: str = "UAUTHOR",
    channel: str = "CGENERAL",
    response_url: str = "http://127.0.0.1:9/response",
) -> str:
    return urlencode(
        {
            "token": "legacy",
            "team_id": "T1",
            "team_domain": "test",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A1",
            "response_url": response_url,
            "trigger_id": f"trigger.{next(_trigger)}",
        }
    )


def _interactive(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


def action_body(
    action_id: str,
    value: str,
    *,
    user: str = "UAUTHOR",
    response_url: str | None = None,
    view: dict[str, Any] | None = None,
    channel: str = "CGENERAL",
    message_ts: str = "1700000000.000001",
) -> str:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": "T1", "domain": "test"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T1"},
        "api_app_id": "A1",
        "token": "legacy",
        "trigger_id": f"trigger.{next(_trigger)}",
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b",
                "value": value,
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    if view is not None:
        payload["view"] = view
        payload["container"] = {"type": "view", "view_id": view.get("id")}
    else:
        payload["container"] = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": response_url is not None,
        }
        payload["channel"] = {"id": channel, "name": "general"}
    if response_url is not None:
        payload["response_url"] = response_url
    return _interactive(payload)


def view_body(
    callback_id: str,
    values: dict[str, dict[str, Any]],
    *,
    user: str = "UAUTHOR",
    view_id: str = "V9999",
    private_metadata: str = "",
) -> str:
    return _interactive(
        {
            "type": "view_submission",
            "team": {"id": "T1", "domain": "test"},
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T1"},
            "api_app_id": "A1",
            "token": "legacy",
            "trigger_id": f"trigger.{next(_trigger)}",
            "view": {
                "id": view_id,
                "type": "modal",
                "callback_id": callback_id,
                "private_metadata": private_metadata,
                "state": {"values": values},
                "hash": "h",
            },
        }
    )


def shortcut_body(
    callback_id: str, text: str, *, user: str = "UAUTHOR", response_url: str | None = None
) -> str:
    return _interactive(
        {
            "type": "message_action",
            "callback_id": callback_id,
            "team": {"id": "T1", "domain": "test"},
            "user": {"id": user, "name": user.lower()},
            "channel": {"id": "CGENERAL", "name": "general"},
            "message": {"type": "message", "user": user, "text": text, "ts": "1700000000.000100"},
            "message_ts": "1700000000.000100",
            "trigger_id": f"trigger.{next(_trigger)}",
            "response_url": response_url or "http://127.0.0.1:9/response",
            "token": "legacy",
        }
    )


_event_ids = itertools.count(1)


def event_body(event: dict[str, Any], *, event_id: str | None = None) -> str:
    return json.dumps(
        {
            "token": "legacy",
            "team_id": "T1",
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_event_ids):06d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}],
            "event": event,
        }
    )


# ---------------------------------------------------------------------- the server under test


class LiveServer(_LiveServer):
    """The shared loopback server, with plain HTTP helpers for Slack's form-encoded bodies."""

    def request(
        self, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, str, dict[str, str]]:
        """A plain blocking HTTP call: (status, body text, headers)."""
        req = urllib.request.Request(
            self.url + path,
            data=body.encode() if body is not None else None,
            headers=headers or {},
            method=method,
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, resp.read().decode(), dict(resp.headers)
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode(), dict(err.headers)

    def post(
        self, path: str, body: str, headers: dict[str, str]
    ) -> tuple[int, str, dict[str, str]]:
        return self.request("POST", path, body, headers)

    def get(self, path: str) -> tuple[int, str, dict[str, str]]:
        return self.request("GET", path)


def iter_blocks(payload: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every block in a recorded message or view payload (for assertions)."""
    blocks = payload.get("blocks")
    if blocks is None and isinstance(payload.get("view"), dict):
        blocks = payload["view"].get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    yield from blocks or []


def action_ids(payload: dict[str, Any]) -> list[str]:
    """The action ids of every button in a payload."""
    out: list[str] = []
    for b in iter_blocks(payload):
        for el in b.get("elements") or []:
            if isinstance(el, dict) and el.get("action_id"):
                out.append(el["action_id"])
        acc = b.get("accessory")
        if isinstance(acc, dict) and acc.get("action_id"):
            out.append(acc["action_id"])
    return out
