"""The dashboard's HTTP handlers, mounted under ``/dashboard`` of ``canipost serve``.

Server-rendered (Jinja2) pages that work without JavaScript; the only script
draws the charts, from data also shown as tables. Without a session only the
sign-in page (and the static assets) are served: every other path redirects
there, and no draft text ever leaves without a session. Every POST carries a
CSRF token bound to the session (or, on the sign-in form, to a pre-session
cookie); a POST without it gets 403.

Database work runs in the default thread pool so the event loop (and the
Slack/Teams endpoints in the same process) never waits on it.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import aiohttp
import jinja2
from aiohttp import web

from bot.config import Config
from bot.dashboard import auth, queries
from bot.dashboard.auth import DashboardUser
from bot.dashboard.oidc import Flow, OidcClient, OidcError, Provider, configured_providers, new_flow
from bot.store import Store
from bot.workflow import Actor, Refusal, Workflow, WorkflowSettings
from bot.workflow.errors import AlreadyDecided, NotAnApprover, UnknownSubmission
from bot.workspaces.settings import SettingsError

log = logging.getLogger("canipost.dashboard")

HERE = Path(__file__).parent
PREFIX = "/dashboard"
SESSION_COOKIE = "canipost_session"
PRE_COOKIE = "canipost_presign"
FLOW_COOKIE = "canipost_oidc"
#: Longest draft the "try a draft" box takes (the same bound as the queue).
MAX_TRY = 40_000

T = TypeVar("T")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class WorkspaceView:
    """One workspace's dashboard: its config (approvers, profile) and a workflow scoped to it."""

    config: Config
    workflow: Workflow
    settings: WorkflowSettings

    @property
    def workspace(self) -> str:
        return self.config.workspace


def _web_workflow(store: Store, config: Config) -> Workflow:
    """Decisions from the browser: only this config's approvers, audited as ``web``."""

    def web_approver(actor: Actor) -> bool:
        return actor.platform == "web" and auth.is_approver(config, actor.id)

    return Workflow(store, config=config, is_approver=web_approver)


@dataclass
class Dashboard:
    """What the handlers share: store, config, templates, OIDC, and a view per workspace.

    ``multi_workspace``: the deployment serves many Slack workspaces (OAuth), so a
    Slack or Entra sign-in opens the dashboard of the team / tenant it names.
    """

    store: Store
    config: Config
    templates: jinja2.Environment
    oidc: OidcClient
    public_url: str | None = None
    kick: Callable[[], None] | None = None
    multi_workspace: bool = False
    #: The server's app, where the Slack OAuth installer registers its approver-group check.
    host: web.Application | None = field(default=None, repr=False)
    _http: aiohttp.ClientSession | None = field(default=None, repr=False)
    _views: dict[str, WorkspaceView] = field(default_factory=dict, repr=False)
    _member_views: dict[tuple[str, str, str], tuple[Config, WorkspaceView]] = field(
        default_factory=dict, repr=False
    )

    def hook(self) -> auth.ApproverHook | None:
        """The approver check the Slack OAuth installer registered (approver user groups)."""
        if self.host is None:
            return None
        from bot.slack.oauth import GROUP_SIGN_IN_KEY

        return self.host.get(GROUP_SIGN_IN_KEY)

    def http(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        return self._http

    def view(self, workspace: str) -> WorkspaceView:
        """The workspace's view; rebuilt when its settings change (may read the database)."""
        cfg = auth.workspace_config(self.store, self.config, workspace)
        hit = self._views.get(workspace)
        if hit is not None and hit.config is cfg:
            return hit
        view = WorkspaceView(
            config=cfg,
            workflow=_web_workflow(self.store, cfg),
            settings=WorkflowSettings.from_config(cfg),
        )
        if len(self._views) > 1024:  # many workspaces: forget the idle ones
            self._views.clear()
        self._views[workspace] = view
        return view

    def view_for(self, user: DashboardUser) -> WorkspaceView:
        """The user's view: their workspace's, listing them as an approver when a hook
        (their Slack approver user group) vouched for them, so deciding, the watch list
        and feedback treat them exactly as a configured approver."""
        view = self.view(user.workspace)
        if not user.by_hook:
            return view
        key = (user.workspace, user.identity, user.id)
        hit = self._member_views.get(key)
        if hit is not None and hit[0] is view.config:
            return hit[1]
        cfg = auth.with_approver(view.config, user.identity, user.id)
        member = WorkspaceView(
            config=cfg,
            workflow=_web_workflow(self.store, cfg),
            settings=WorkflowSettings.from_config(cfg),
        )
        if len(self._member_views) > 1024:
            self._member_views.clear()
        self._member_views[key] = (view.config, member)
        return member


DASHBOARD_KEY = web.AppKey("canipost_dashboard", Dashboard)


def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["age"] = _age
    env.filters["label"] = _label
    env.filters["hours"] = _hours
    return env


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else ""


def _age(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min"


def _label(value: str | None) -> str:
    return (value or "").replace("_", " ")


def _hours(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value * 60:.0f} min" if value < 1 else f"{value:.1f} h"


# ---------------------------------------------------------------------- setup


def install(
    web_app: web.Application,
    *,
    store: Store,
    config: Config,
    kick: Callable[[], None] | None = None,
    public_url: str | None = None,
    providers: dict[str, Provider] | None = None,
    multi_workspace: bool | None = None,
) -> Dashboard:
    """Mount the dashboard on ``web_app`` under ``/dashboard``.

    ``multi_workspace`` defaults to what the Slack installer decides (OAuth configured:
    ``SLACK_CLIENT_ID`` or ``SLACK_CLIENT_SECRET`` set), so the dashboard and the chat
    surfaces agree on whose data is whose.
    """
    if multi_workspace is None:
        from bot.slack.oauth import OAuthEnv

        multi_workspace = OAuthEnv.from_env().enabled
    dash = Dashboard(
        store=store,
        config=config,
        templates=_templates(),
        oidc=OidcClient(configured_providers() if providers is None else providers),
        public_url=public_url,
        kick=kick,
        multi_workspace=multi_workspace,
        host=web_app,
    )
    sub = web.Application(middlewares=[_headers_middleware])
    sub[DASHBOARD_KEY] = dash
    r = sub.router
    r.add_get("/", index)
    r.add_get("/login", login_page)
    r.add_post("/login", login_submit)
    r.add_get("/login/{provider}", oidc_start)
    r.add_get("/oidc/{provider}/callback", oidc_callback)
    r.add_post("/logout", _signed_in(logout))
    r.add_get("/queue", _signed_in(queue_page))
    r.add_get("/submissions/{sid}", _signed_in(submission_page))
    r.add_post("/submissions/{sid}/decide", _signed_in(decide))
    r.add_get("/decisions", _signed_in(decisions_page))
    r.add_get("/decisions.csv", _signed_in(decisions_csv))
    r.add_get("/charts", _signed_in(charts_page))
    r.add_get("/policy", _signed_in(policy_page))
    r.add_post("/policy/try", _signed_in(try_draft))
    r.add_get("/watch", _signed_in(watch_page))
    r.add_post("/watch", _signed_in(watch_change))
    r.add_get("/feedback", _signed_in(feedback_page))
    r.add_post("/feedback", _signed_in(feedback_review))
    r.add_static("/static", HERE / "static", follow_symlinks=False)
    sub.on_cleanup.append(_close_http)
    web_app.router.add_get(PREFIX, _to_index)
    web_app.add_subapp(PREFIX, sub)
    return dash


async def _close_http(app: web.Application) -> None:
    http = app[DASHBOARD_KEY]._http
    if http is not None:
        await http.close()


async def _to_index(_request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound(PREFIX + "/")


@web.middleware
async def _headers_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    h = response.headers
    h.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    )
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("Referrer-Policy", "no-referrer")  # sign-in links never leak via Referer
    if not request.path.startswith(PREFIX + "/static/"):
        h.setdefault("Cache-Control", "no-store")
    return response


# ---------------------------------------------------------------------- helpers


def _dash(request: web.Request) -> Dashboard:
    return request.app[DASHBOARD_KEY]


async def _db(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, partial(fn, *args, **kwargs))


def is_https(request: web.Request) -> bool:
    """True over HTTPS, including behind a proxy that says so (X-Forwarded-Proto)."""
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return request.secure or forwarded == "https"


def base_url(request: web.Request) -> str:
    """The public origin: ``CANIPOST_PUBLIC_URL`` when set, else as the proxy reports it."""
    dash = _dash(request)
    if dash.public_url:
        return dash.public_url.rstrip("/")
    host = request.headers.get("X-Forwarded-Host", "").split(",")[0].strip() or request.host
    return f"{'https' if is_https(request) else 'http'}://{host}"


def _set_cookie(
    request: web.Request,
    response: web.StreamResponse,
    name: str,
    value: str,
    *,
    max_age: int,
    samesite: str = "Lax",
    path: str = PREFIX,
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        httponly=True,
        samesite=samesite,
        secure=is_https(request),
    )


def render(
    request: web.Request,
    template: str,
    *,
    status: int = 200,
    user: DashboardUser | None = None,
    csrf: str = "",
    **context: Any,
) -> web.Response:
    dash = _dash(request)
    view = request.get(VIEW_KEY)
    config = view.config if isinstance(view, WorkspaceView) else dash.config
    html = dash.templates.get_template(template).render(
        user=user,
        csrf=csrf,
        path=request.path,
        prefix=PREFIX,
        organisation=config.organisation.name,
        **context,
    )
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


@dataclass(frozen=True, slots=True)
class Signed:
    """The signed-in user of a request, their CSRF token and their workspace's view."""

    user: DashboardUser
    csrf: str
    view: WorkspaceView


SIGNED_KEY = "canipost_signed"
#: The signed-in user's :class:`WorkspaceView`, for :func:`render` (organisation name).
VIEW_KEY: Any = (
    web.RequestKey("canipost_view", WorkspaceView)  # aiohttp 3.12+
    if hasattr(web, "RequestKey")
    else "canipost_view"
)


def _signed_in(handler: Callable[[web.Request, Signed], Awaitable[web.StreamResponse]]) -> Handler:
    """Require a session; POSTs also require the session's CSRF token (403 without)."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        dash = _dash(request)
        secret = request.cookies.get(SESSION_COOKIE)
        user = await _db(auth.session_user, dash.store, dash.config, secret, hook=dash.hook())
        if user is None or secret is None:
            if request.method != "GET":
                raise web.HTTPForbidden(text="Sign in first.")
            target = request.path_qs if request.path.startswith(PREFIX) else PREFIX + "/"
            raise web.HTTPSeeOther(f"{PREFIX}/login?{urlencode({'next': target})}")
        view = await _db(dash.view_for, user)
        signed = Signed(user=user, csrf=auth.csrf_token(secret), view=view)
        request[VIEW_KEY] = view
        if request.method == "POST":
            form = await request.post()
            if not auth.csrf_ok(secret, str(form.get("csrf", ""))):
                log.info(
                    "dashboard: %s %s refused: missing or wrong CSRF token",
                    request.method,
                    request.path,
                )
                return render(
                    request,
                    "error.html",
                    status=403,
                    user=user,
                    csrf=signed.csrf,
                    title="Form expired",
                    message="This form was missing its security token. Go back, reload the page and try again.",
                )
        return await handler(request, signed)

    return wrapped


def _safe_next(value: str | None) -> str:
    """Only our own pages are valid targets after sign-in (no open redirect)."""
    if (
        value
        and value.startswith(PREFIX + "/")
        and not value.startswith("//")
        and "\\" not in value
    ):
        return value
    return PREFIX + "/queue"


# ---------------------------------------------------------------------- sign-in


async def index(request: web.Request) -> web.StreamResponse:
    dash = _dash(request)
    user = await _db(
        auth.session_user,
        dash.store,
        dash.config,
        request.cookies.get(SESSION_COOKIE),
        hook=dash.hook(),
    )
    raise web.HTTPSeeOther(PREFIX + ("/queue" if user else "/login"))


async def _login_response(
    request: web.Request,
    *,
    status: int = 200,
    error: str | None = None,
    notice: str | None = None,
    token: str = "",
) -> web.Response:
    dash = _dash(request)
    pre = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        status=status,
        csrf=auth.csrf_token(pre),
        error=error,
        notice=notice,
        token=token,
        next=_safe_next(request.query.get("next")),
        providers=list(dash.oidc.providers.values()),
    )
    _set_cookie(request, response, PRE_COOKIE, pre, max_age=3600, samesite="Strict")
    return response


async def login_page(request: web.Request) -> web.StreamResponse:
    """The sign-in page; with ``?token=`` it offers to continue or says why it cannot."""
    dash = _dash(request)
    token = request.query.get("token", "")
    if token:
        problem = await _db(auth.link_problem, dash.store, token)
        if problem:
            return await _login_response(request, error=problem)
        return await _login_response(request, token=token)
    notice = "You are signed out." if request.query.get("signed_out") else None
    return await _login_response(request, notice=notice)


async def login_submit(request: web.Request) -> web.StreamResponse:
    """Redeem a one-time link (POSTed by the sign-in page, so link previews cannot burn it)."""
    dash = _dash(request)
    form = await request.post()
    if not auth.csrf_ok(request.cookies.get(PRE_COOKIE), str(form.get("csrf", ""))):
        return await _login_response(
            request,
            status=403,
            error="The sign-in form expired or was sent from elsewhere. Open your link again.",
        )
    try:
        secret, user = await _db(
            auth.redeem_link, dash.store, dash.config, str(form.get("token", ""))
        )
    except auth.LinkInvalid as exc:
        return await _login_response(request, status=400, error=str(exc))
    log.info("dashboard sign-in by %s (link)", user.id)
    return _signed_in_redirect(request, secret, _safe_next(str(form.get("next", ""))))


def _redirect(location: str, status: int = 303) -> web.Response:
    """A redirect we can still set cookies on (raising HTTPException would drop them)."""
    return web.Response(status=status, headers={"Location": location})


def _signed_in_redirect(request: web.Request, secret: str, target: str) -> web.StreamResponse:
    response = _redirect(target)
    _set_cookie(
        request, response, SESSION_COOKIE, secret, max_age=int(auth.SESSION_TTL.total_seconds())
    )
    response.del_cookie(PRE_COOKIE, path=PREFIX)
    return response


async def oidc_start(request: web.Request) -> web.StreamResponse:
    dash = _dash(request)
    provider = dash.oidc.providers.get(request.match_info["provider"])
    if provider is None:
        return await _login_response(
            request, status=404, error="That sign-in method is not configured here."
        )
    flow = new_flow()
    redirect_uri = f"{base_url(request)}{PREFIX}/oidc/{provider.name}/callback"
    try:
        url = await dash.oidc.authorize_url(dash.http(), provider, flow, redirect_uri)
    except OidcError as exc:
        return await _login_response(request, status=502, error=f"{provider.label}: {exc}.")
    response = _redirect(url, 302)
    _set_cookie(
        request,
        response,
        FLOW_COOKIE,
        flow.to_cookie(),
        max_age=600,
        path=f"{PREFIX}/oidc/{provider.name}",
    )
    return response


async def oidc_callback(request: web.Request) -> web.StreamResponse:
    dash = _dash(request)
    provider = dash.oidc.providers.get(request.match_info["provider"])
    if provider is None:
        return await _login_response(
            request, status=404, error="That sign-in method is not configured here."
        )
    if request.query.get("error"):
        return await _login_response(
            request,
            status=400,
            error=f"{provider.label} did not sign you in ({request.query['error'][:80]}).",
        )
    flow = Flow.from_cookie(request.cookies.get(FLOW_COOKIE))
    if flow is None:
        return await _login_response(
            request,
            status=400,
            error="The sign-in took too long or did not start here. Please try again.",
        )
    redirect_uri = f"{base_url(request)}{PREFIX}/oidc/{provider.name}/callback"
    try:
        who = await dash.oidc.finish(
            dash.http(),
            provider,
            flow,
            code=request.query.get("code", ""),
            state=request.query.get("state", ""),
            redirect_uri=redirect_uri,
        )
    except OidcError as exc:
        return await _login_response(request, status=400, error=f"{provider.label}: {exc}.")
    if dash.multi_workspace:
        # Many workspaces: the Slack team / Entra tenant signed in to is the session's.
        if not who.workspace:
            return await _login_response(
                request,
                status=403,
                error=f"{provider.label} did not say which workspace you belong to.",
            )
        workspace = who.workspace
    elif dash.config.workspace and who.workspace and who.workspace != dash.config.workspace:
        return await _login_response(
            request,
            status=403,
            error="You signed in to a different workspace than this dashboard's.",
        )
    else:
        workspace = dash.config.workspace
    try:
        secret, user = await _db(
            auth.start_session,
            dash.store,
            dash.config,
            who.user_id,
            name=who.name,
            identity=who.identity,
            workspace=workspace,
            hook=dash.hook(),
        )
    except auth.LinkInvalid as exc:
        return await _login_response(request, status=403, error=str(exc))
    except SettingsError:
        return await _login_response(
            request,
            status=400,
            error=f"{provider.label} named a workspace id this dashboard cannot use.",
        )
    log.info("dashboard sign-in by %s (%s, workspace %r)", user.id, provider.name, workspace)
    response = _signed_in_redirect(request, secret, PREFIX + "/queue")
    response.del_cookie(FLOW_COOKIE, path=f"{PREFIX}/oidc/{provider.name}")
    return response


async def logout(request: web.Request, signed: Signed) -> web.StreamResponse:
    dash = _dash(request)
    await _db(auth.end_session, dash.store, request.cookies.get(SESSION_COOKIE))
    response = _redirect(PREFIX + "/login?signed_out=1")
    response.del_cookie(SESSION_COOKIE, path=PREFIX)
    return response


# ---------------------------------------------------------------------- pages


def _int(value: str | None, default: int = 1) -> int:
    try:
        return max(1, min(int(value or default), 100_000))
    except ValueError:
        return default


async def queue_page(request: web.Request, signed: Signed) -> web.StreamResponse:
    dash, view = _dash(request), signed.view
    q = request.query
    f = queries.QueueFilters(
        channel=q.get("channel", "")[:16],
        review=q.get("review", "") if q.get("review") in queries.REVIEW_DECISIONS else "",
        author=q.get("author", "").strip()[:128],
        sla=q.get("sla", "") if q.get("sla") in queries.SLA_STATES else "",
        page=_int(q.get("page")),
        workspace=view.workspace,
    )
    page = await _db(queries.queue, dash.store, f, view.settings)
    channels = await _db(queries.queue_channels, dash.store, view.workspace)
    params = {
        k: v
        for k, v in (
            ("channel", f.channel),
            ("review", f.review),
            ("author", f.author),
            ("sla", f.sla),
        )
        if v
    }
    return render(
        request,
        "queue.html",
        user=signed.user,
        csrf=signed.csrf,
        page=page,
        filters=f,
        channels=channels,
        reviews=queries.REVIEW_DECISIONS,
        sla_states=queries.SLA_STATES,
        query=urlencode(params),
        settings=view.settings,
    )


async def _submission_context(view: WorkspaceView, sid: str) -> dict[str, Any]:
    """A submission of the viewer's workspace (another's is :class:`UnknownSubmission`)."""
    sub = await _db(view.workflow.get, sid)
    trail = await _db(view.workflow.audit_trail, sub.id)
    return {"sub": sub, "trail": trail, "segments": _segments(sub.text or "", sub.verdict.findings)}


def _segments(text: str, findings: list[Any]) -> list[tuple[str, int | None]]:
    """The draft cut into plain and highlighted pieces (finding number, 1-based)."""
    spans = sorted(
        (f.start, f.end, i + 1)
        for i, f in enumerate(findings)
        if f.start is not None and f.end is not None and 0 <= f.start < f.end <= len(text)
    )
    out: list[tuple[str, int | None]] = []
    pos = 0
    for start, end, n in spans:
        if start < pos:
            continue  # overlapping spans: the first one wins the highlight
        if start > pos:
            out.append((text[pos:start], None))
        out.append((text[start:end], n))
        pos = end
    if pos < len(text):
        out.append((text[pos:], None))
    return out


_SID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,23}")


def _not_found(request: web.Request, signed: Signed) -> web.Response:
    return render(
        request,
        "error.html",
        status=404,
        user=signed.user,
        csrf=signed.csrf,
        title="Not found",
        message="There is no submission with that id.",
    )


async def submission_page(request: web.Request, signed: Signed) -> web.StreamResponse:
    if not _SID.fullmatch(request.match_info["sid"]):
        return _not_found(request, signed)
    try:
        ctx = await _submission_context(signed.view, request.match_info["sid"])
    except UnknownSubmission:
        return render(
            request,
            "error.html",
            status=404,
            user=signed.user,
            csrf=signed.csrf,
            title="Not found",
            message="There is no submission with that id.",
        )
    except Exception as exc:
        if isinstance(exc, Refusal):
            return render(
                request,
                "error.html",
                status=400,
                user=signed.user,
                csrf=signed.csrf,
                title="Not found",
                message=str(exc),
            )
        raise
    done = request.query.get("done")
    return render(
        request,
        "submission.html",
        user=signed.user,
        csrf=signed.csrf,
        done=done,
        error=None,
        note="",
        **ctx,
    )


async def decide(request: web.Request, signed: Signed) -> web.StreamResponse:
    """Approve / request changes / reject through the workflow, audited as ``web``."""
    dash = _dash(request)
    form = await request.post()
    sid = request.match_info["sid"]
    if not _SID.fullmatch(sid):
        return _not_found(request, signed)
    verb = str(form.get("decision", ""))
    note = str(form.get("note", ""))[:4000]
    status = 200
    try:
        if verb not in ("approve", "changes", "reject"):
            raise web.HTTPBadRequest(text="Choose approve, changes or reject.")
        actor = Actor("web", signed.user.id, signed.user.name)
        sub = await _db(signed.view.workflow.decide, sid, verb, by=actor, note=note or None)
    except Refusal as exc:
        if isinstance(exc, UnknownSubmission):
            return render(
                request,
                "error.html",
                status=404,
                user=signed.user,
                csrf=signed.csrf,
                title="Not found",
                message="There is no submission with that id.",
            )
        status = (
            409
            if isinstance(exc, AlreadyDecided)
            else 403
            if isinstance(exc, NotAnApprover)
            else 400
        )
        ctx = await _submission_context(signed.view, sid)
        return render(
            request,
            "submission.html",
            status=status,
            user=signed.user,
            csrf=signed.csrf,
            done=None,
            error=str(exc),
            note=note,
            **ctx,
        )
    if dash.kick is not None:
        dash.kick()  # tell the author and approvers now, not at the next tick
    log.info("dashboard decision on %s by %s: %s", sub.id, signed.user.id, verb)
    raise web.HTTPSeeOther(f"{PREFIX}/submissions/{sub.id}?done={verb}")


def _history_filters(request: web.Request, signed: Signed) -> queries.HistoryFilters:
    q = request.query
    workspace = signed.view.workspace
    state = q.get("state", "")
    return queries.HistoryFilters(
        q=q.get("q", "").strip()[:200],
        state=state if state in queries.m.TERMINAL_STATES else "",
        page=_int(q.get("page")),
        workspace=workspace,
    )


async def decisions_page(request: web.Request, signed: Signed) -> web.StreamResponse:
    dash = _dash(request)
    f = _history_filters(request, signed)
    page = await _db(queries.history, dash.store, f)
    params = {k: v for k, v in (("q", f.q), ("state", f.state)) if v}
    return render(
        request,
        "decisions.html",
        user=signed.user,
        csrf=signed.csrf,
        page=page,
        filters=f,
        states=queries.m.TERMINAL_STATES,
        query=urlencode(params),
    )


async def decisions_csv(request: web.Request, signed: Signed) -> web.StreamResponse:
    dash = _dash(request)
    f = _history_filters(request, signed)
    chunks = await _db(lambda: list(queries.history_csv(dash.store, f)))
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="canipost-decisions-{stamp}.csv"',
        }
    )
    await response.prepare(request)
    for chunk in chunks:
        await response.write(chunk.encode())
    await response.write_eof()
    return response


async def charts_page(request: web.Request, signed: Signed) -> web.StreamResponse:
    dash = _dash(request)
    view = signed.view
    false_alarms = await _db(_false_alarms, dash.store, view.config)
    data = await _db(
        queries.charts, dash.store, workspace=view.workspace, false_alarms=false_alarms
    )
    return render(
        request,
        "charts.html",
        user=signed.user,
        csrf=signed.csrf,
        charts=data,
        chart_json=data.to_dict(),
    )


def _false_alarms(store: Store, config: Config) -> dict[str, int]:
    """Confirmed false-alarm reports per rule, from the feedback package when present."""
    from bot.dashboard import extras

    return extras.false_alarms_by_rule(store, config)


async def policy_page(request: web.Request, signed: Signed) -> web.StreamResponse:
    return await _policy_response(request, signed)


async def _policy_response(
    request: web.Request,
    signed: Signed,
    *,
    draft: str = "",
    verdict: Any = None,
    error: str | None = None,
    status: int = 200,
) -> web.Response:
    from bot.policy import load_policy

    policy = await _db(load_policy, signed.view.config)
    packs: dict[str, list[Any]] = {}
    for rule in sorted(policy.rules, key=lambda r: r.id):
        packs.setdefault(rule.id.split(".", 1)[0], []).append(rule)
    return render(
        request,
        "policy.html",
        status=status,
        user=signed.user,
        csrf=signed.csrf,
        packs=packs,
        policy=policy,
        draft=draft,
        verdict=verdict,
        error=error,
        segments=_segments(draft, verdict.findings) if verdict else [],
    )


async def try_draft(request: web.Request, signed: Signed) -> web.StreamResponse:
    """Run a check from the policy page; counted (without text) like every other check."""
    from bot.dashboard.stats import record_verdict
    from bot.review import review
    from bot.verdict import Draft

    dash = _dash(request)
    form = await request.post()
    draft = str(form.get("draft", ""))
    if not draft.strip():
        return await _policy_response(
            request, signed, draft=draft, status=400, error="Type or paste a draft to check."
        )
    if len(draft) > MAX_TRY:
        return await _policy_response(
            request,
            signed,
            draft=draft[:MAX_TRY],
            status=400,
            error=f"That draft is too long ({len(draft)} characters; limit {MAX_TRY}).",
        )
    view = signed.view
    verdict = await _db(review, Draft(draft), config=view.config)
    await _db(record_verdict, dash.store, verdict, platform="web", workspace=view.workspace)
    return await _policy_response(request, signed, draft=draft, verdict=verdict)


async def watch_page(request: web.Request, signed: Signed) -> web.StreamResponse:
    return await _watch_response(request, signed)


async def _watch_response(
    request: web.Request,
    signed: Signed,
    *,
    status: int = 200,
    error: str | None = None,
    done: str | None = None,
    form: dict[str, str] | None = None,
) -> web.StreamResponse:
    from bot.dashboard import extras

    dash = _dash(request)
    if not signed.user.is_approver:
        return render(
            request,
            "error.html",
            status=403,
            user=signed.user,
            csrf=signed.csrf,
            title="Approvers only",
            message="The watch list is for approvers.",
        )
    entries, problem = await _db(
        extras.watch_entries, dash.store, signed.view.config, signed.user.id
    )
    return render(
        request,
        "watch.html",
        status=status,
        user=signed.user,
        csrf=signed.csrf,
        entries=entries,
        problem=problem,
        error=error,
        done=done,
        form=form or {},
        kinds=extras.watch_kinds(),
        severities=queries.REVIEW_DECISIONS[1:],
    )


async def watch_change(request: web.Request, signed: Signed) -> web.StreamResponse:
    """Add or remove a watch entry (approvers only; audited by the watch list as ``web``)."""
    from bot.dashboard import extras
    from bot.errors import CanipostError

    dash = _dash(request)
    if not signed.user.is_approver:
        return await _watch_response(request, signed)
    posted = await request.post()
    form = {k: str(v)[:2000] for k, v in posted.items() if k != "csrf"}
    try:
        done = await _db(
            extras.watch_change,
            dash.store,
            signed.view.config,
            signed.user.id,
            signed.user.name,
            form,
        )
    except CanipostError as exc:
        keep = form if form.get("action") != "remove" else None
        return await _watch_response(request, signed, status=400, error=str(exc), form=keep)
    log.info("dashboard watch list %s by %s", form.get("action", "add"), signed.user.id)
    return await _watch_response(request, signed, done=done)


async def feedback_page(request: web.Request, signed: Signed) -> web.StreamResponse:
    return await _feedback_response(request, signed)


async def _feedback_response(
    request: web.Request,
    signed: Signed,
    *,
    status: int = 200,
    error: str | None = None,
    done: str | None = None,
) -> web.StreamResponse:
    from bot.dashboard import extras

    dash = _dash(request)
    if not signed.user.is_approver:
        return render(
            request,
            "error.html",
            status=403,
            user=signed.user,
            csrf=signed.csrf,
            title="Approvers only",
            message="Feedback reports are for approvers.",
        )
    reports, problem = await _db(
        extras.pending_feedback, dash.store, signed.view.config, signed.user.id
    )
    return render(
        request,
        "feedback.html",
        status=status,
        user=signed.user,
        csrf=signed.csrf,
        reports=reports,
        problem=problem,
        error=error,
        done=done,
    )


async def feedback_review(request: web.Request, signed: Signed) -> web.StreamResponse:
    """Confirm or dismiss a staff report (approvers only, as in ``canipost feedback``)."""
    from bot.dashboard import extras
    from bot.errors import CanipostError

    dash = _dash(request)
    if not signed.user.is_approver:
        return await _feedback_response(request, signed)
    form = await request.post()
    try:
        done = await _db(
            extras.review_feedback,
            dash.store,
            signed.view.config,
            signed.user.id,
            signed.user.identity,
            str(form.get("id", ""))[:32],
            str(form.get("action", "")),
        )
    except CanipostError as exc:
        return await _feedback_response(request, signed, status=400, error=str(exc))
    log.info("dashboard feedback %s by %s", form.get("action"), signed.user.id)
    return await _feedback_response(request, signed, done=done)
