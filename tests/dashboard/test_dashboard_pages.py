"""The dashboard over real HTTP: sign-in, sessions, CSRF, queue, decisions, history, policy."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from harness import Client, Reply, link_path, sign_in

from bot.config import Config
from bot.dashboard import auth
from bot.server.live import LiveServer
from bot.store import Store
from bot.verdict import Finding, Severity, Verdict
from bot.workflow import Actor, Workflow

ALICE = Actor("slack", "UALICE", "Alice Author")
DRAFT = "Sorry to hear Mr Jones in ward 7 passed away last night"


def risky_verdict(text: str = DRAFT) -> Verdict:
    start = text.index("ward 7")
    return Verdict(
        [
            Finding(
                rule="confidentiality.patient_context",
                category="confidentiality",
                severity=Severity.NEEDS_APPROVAL,
                start=start,
                end=start + 6,
                quote="ward 7",
                message="A ward next to a person suggests a patient.",
                suggestion="Remove the ward.",
                policy_ref="protocol#confidential-information",
            )
        ],
        "test-policy",
    )


def submit(wf: Workflow, text: str = DRAFT) -> str:
    return wf.submit(text=text, verdict=risky_verdict(text), author=ALICE, channel="twitter").id


# ---------------------------------------------------------------------- sign-in


def test_without_a_session_only_the_sign_in_page_and_no_draft_text(
    client: Client, wf: Workflow
) -> None:
    sid = submit(wf)
    for path in (
        "/dashboard",
        "/dashboard/queue",
        f"/dashboard/submissions/{sid}",
        "/dashboard/decisions",
        "/dashboard/decisions.csv",
        "/dashboard/charts",
        "/dashboard/policy",
        "/dashboard/watch",
        "/dashboard/feedback",
    ):
        reply = client.get(path)
        assert reply.status == 200 and "/dashboard/login" in reply.url, path
        assert "Sign in to the comms dashboard" in reply.text
        assert "Mr Jones" not in reply.body and sid not in reply.text, path
    # A POST without a session is refused outright.
    assert (
        client.post(f"/dashboard/submissions/{sid}/decide", {"decision": "approve"}).status == 403
    )
    assert wf.get(sid).state == "pending"


def test_link_signs_in_once_and_sets_a_safe_cookie(
    client: Client, store: Store, config: Config
) -> None:
    path = link_path(store, config, "bob", name="Bob Boss")
    page = client.get(path)
    assert "Your sign-in link is valid" in page.text
    token = re.search(r'name="token" value="([^"]+)"', page.body)
    assert token
    reply = client.post(
        "/dashboard/login", {"csrf": page.csrf(), "token": token.group(1)}, follow=False
    )
    assert reply.status == 303 and reply.headers["Location"] == "/dashboard/queue"
    cookie = reply.headers["Set-Cookie"]
    assert "canipost_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP on loopback
    queue = client.get("/dashboard/queue")
    assert queue.status == 200 and "Bob Boss (bob)" in queue.text
    # Reused: the sign-in page says so, on GET and on POST.
    other = Client(client.base)
    again = other.get(path)
    assert again.status == 200 and "already been used" in again.text
    assert "Continue to the dashboard" not in again.text


def test_expired_and_unknown_links_say_so(client: Client, store: Store, config: Config) -> None:
    old = datetime.now(UTC) - timedelta(minutes=16)
    secret = auth.create_link(store, config, "bob", now=old)
    reply = client.get(f"/dashboard/login?token={secret}")
    assert "has expired" in reply.text and "15 minutes" in reply.text
    assert "not valid" in client.get("/dashboard/login?token=nonsense").text
    with pytest.raises(auth.LinkInvalid, match="expired"):
        auth.redeem_link(store, config, secret)


def test_secure_cookie_behind_https_proxy(client: Client, store: Store, config: Config) -> None:
    page = client.get(link_path(store, config, "carol"), headers={"X-Forwarded-Proto": "https"})
    token = re.search(r'name="token" value="([^"]+)"', page.body)
    assert token and "Secure" in page.headers["Set-Cookie"]
    reply = client.request(
        "POST",
        "/dashboard/login",
        {"csrf": page.csrf(), "token": token.group(1)},
        follow=False,
        # A browser sends the Secure pre-session cookie back over HTTPS; do the same.
        headers={"X-Forwarded-Proto": "https", "Cookie": page.headers["Set-Cookie"].split(";")[0]},
    )
    assert reply.status == 303
    assert "Secure" in reply.headers["Set-Cookie"] and "HttpOnly" in reply.headers["Set-Cookie"]


def test_link_only_for_approvers_or_admins(
    store: Store, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(auth.NotAllowed):
        auth.create_link(store, config, "UALICE")
    monkeypatch.setenv("CANIPOST_DASHBOARD_ADMINS", "manager1")
    assert auth.create_link(store, config, "manager1")


def test_login_form_without_csrf_is_403(client: Client, store: Store, config: Config) -> None:
    page = client.get(link_path(store, config, "bob"))
    token = re.search(r'name="token" value="([^"]+)"', page.body)
    assert token
    reply = client.post("/dashboard/login", {"token": token.group(1)})
    assert reply.status == 403 and "expired or was sent from elsewhere" in reply.text
    # The link was not used up by the refused post.
    assert auth.link_problem(store, token.group(1)) is None


def test_sign_out_ends_the_session(client: Client, store: Store, config: Config) -> None:
    queue = sign_in(client, store, config, "bob")
    out = client.post("/dashboard/logout", {"csrf": queue.csrf()})
    assert "You are signed out" in out.text
    assert "/dashboard/login" in client.get("/dashboard/queue").url


# ---------------------------------------------------------------------- queue and decisions


def test_queue_oldest_first_with_age_sla_and_filters(
    client: Client, store: Store, config: Config, wf: Workflow
) -> None:
    now = datetime.now(UTC)
    old_clock = Workflow(store, config=config, clock=lambda: now - timedelta(hours=5))
    mid_clock = Workflow(store, config=config, clock=lambda: now - timedelta(minutes=90))
    old = submit(old_clock, "Old draft about ward 7 and Mr Jones")
    mid = submit(mid_clock, "Middle draft on ward 7 for instagram")
    new = wf.submit(
        text="Brand new draft", verdict=Verdict([], "p"), author=ALICE, channel="facebook"
    ).id
    sign_in(client, store, config, "bob")
    page = client.get("/dashboard/queue")
    text = page.text
    assert text.index(old) < text.index(mid) < text.index(new)
    assert (
        "5 h 0 min" in text and "Overdue" in text and "Reminder due" in text and "On time" in text
    )
    assert "Waiting for a decision 3" in text
    overdue = client.get("/dashboard/queue?sla=overdue").text
    assert old in overdue and mid not in overdue and new not in overdue
    assert new in client.get("/dashboard/queue?channel=facebook").text
    assert old not in client.get("/dashboard/queue?channel=facebook").text
    assert new not in client.get("/dashboard/queue?review=needs_approval").text
    assert "Waiting for a decision 0" in client.get("/dashboard/queue?author=nobody").text
    # Works without JavaScript: the filters are a GET form, the rows are links.
    assert '<form class="filters" method="get"' in page.body and "<script" not in page.body


def test_submission_page_and_decision_audited_as_web(
    client: Client, store: Store, config: Config, wf: Workflow
) -> None:
    sid = submit(wf)
    sign_in(client, store, config, "bob")
    page = client.get(f"/dashboard/submissions/{sid}")
    assert "Mr Jones" in page.text and "“ward 7”" in page.text
    assert "<mark" in page.body and "Remove the ward." in page.text
    assert "submit ok" in page.text  # audit trail
    # Request changes needs a note: the page says so and nothing is recorded.
    refused = client.post(
        f"/dashboard/submissions/{sid}/decide",
        {"csrf": page.csrf(), "decision": "changes", "note": ""},
    )
    assert refused.status == 400 and "a note is required" in refused.text
    done = client.post(
        f"/dashboard/submissions/{sid}/decide",
        {"csrf": page.csrf(), "decision": "changes", "note": "Drop the ward"},
    )
    assert done.status == 200 and "Recorded: changes requested" in done.text
    sub = wf.get(sid)
    assert sub.state == "changes_requested" and sub.decided_by == Actor("web", "bob", None)
    trail = wf.audit_trail(sid)
    assert trail[-1].action == "decide" and trail[-1].actor is not None
    assert trail[-1].actor.platform == "web" and trail[-1].outcome == "ok"


def test_decision_on_a_decided_draft_says_who_and_when(
    client: Client, store: Store, config: Config, wf: Workflow
) -> None:
    sid = submit(wf)
    sign_in(client, store, config, "bob")
    page = client.get(f"/dashboard/submissions/{sid}")  # opened before carol decided
    wf.decide(sid, "approve", by=Actor("cli", "carol", "Carol"))
    late = client.post(
        f"/dashboard/submissions/{sid}/decide",
        {"csrf": page.csrf(), "decision": "reject", "note": "no"},
    )
    assert late.status == 409
    assert "already decided: approved by Carol (carol) at" in late.text
    assert wf.get(sid).state == "approved"


def test_form_without_csrf_is_403_and_changes_nothing(
    client: Client, store: Store, config: Config, wf: Workflow
) -> None:
    sid = submit(wf)
    sign_in(client, store, config, "bob")
    for form in ({"decision": "approve"}, {"decision": "approve", "csrf": "0" * 64}):
        reply = client.post(f"/dashboard/submissions/{sid}/decide", form)
        assert reply.status == 403 and "security token" in reply.text
    assert client.post("/dashboard/policy/try", {"draft": "hello"}).status == 403
    assert client.post("/dashboard/logout", {}).status == 403
    assert wf.get(sid).state == "pending"


def test_admin_reads_but_cannot_decide_nor_see_watch_list(
    client: Client, store: Store, config: Config, wf: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CANIPOST_DASHBOARD_ADMINS", "manager1")
    sid = submit(wf)
    sign_in(client, store, config, "manager1")
    page = client.get(f"/dashboard/submissions/{sid}")
    assert "read only" in page.text
    reply = client.post(
        f"/dashboard/submissions/{sid}/decide", {"csrf": page.csrf(), "decision": "approve"}
    )
    assert reply.status == 403 and "not an approver" in reply.text
    assert client.get("/dashboard/watch").status == 403
    assert wf.get(sid).state == "pending"


def test_author_cannot_approve_own_draft_from_the_web(
    client: Client, store: Store, config: Config, wf: Workflow
) -> None:
    sid = wf.submit(text=DRAFT, verdict=risky_verdict(), author=Actor("slack", "UBOSS")).id
    sign_in(client, store, config, "UBOSS")
    page = client.get(f"/dashboard/submissions/{sid}")
    reply = client.post(
        f"/dashboard/submissions/{sid}/decide", {"csrf": page.csrf(), "decision": "approve"}
    )
    assert reply.status == 400 and "own draft" in reply.text


def test_unknown_submission_is_404(client: Client, store: Store, config: Config) -> None:
    sign_in(client, store, config, "bob")
    assert client.get("/dashboard/submissions/S-NOSUCHTHING").status == 404
    assert client.get("/dashboard/submissions/%00weird").status in (400, 404)


def test_decisions_history_search_and_csv(
    client: Client, store: Store, config: Config, wf: Workflow
) -> None:
    a = submit(wf, "The ward 7 story one")
    b = submit(wf, "Another ward 7 story")
    c = submit(wf, "Still pending ward 7")
    wf.decide(a, "approve", by=Actor("cli", "bob", "Bob"))
    wf.decide(b, "reject", by=Actor("cli", "carol"), note='=HYPERLINK("evil")')
    sign_in(client, store, config, "bob")
    page = client.get("/dashboard/decisions")
    assert a in page.text and b in page.text and c not in page.text
    assert page.text.index(b) < page.text.index(a)  # most recent first
    assert "<script" not in page.body
    found = client.get("/dashboard/decisions?q=another").text
    assert b in found and a not in found
    only = client.get("/dashboard/decisions?state=approved").text
    assert a in only and b not in only
    export = client.get("/dashboard/decisions.csv")
    assert export.status == 200 and export.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in export.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(export.body)))
    assert [r["id"] for r in rows] == [b, a]
    assert rows[0]["decision_note"].startswith("'=")  # no formula injection
    assert "story" not in export.body  # no draft text in exports
    filtered = list(
        csv.DictReader(io.StringIO(client.get("/dashboard/decisions.csv?state=approved").body))
    )
    assert [r["id"] for r in filtered] == [a]


def test_policy_page_lists_rules_with_examples_and_tries_a_draft(
    client: Client, store: Store, config: Config
) -> None:
    page = sign_in(client, store, config, "bob")
    page = client.get("/dashboard/policy")
    assert page.status == 200 and "Flagged" in page.text and "Fine" in page.text
    rules = re.findall(r'<article class="rule" id="rule-([^"]+)"', page.body)
    assert len(rules) > 50
    tried = client.post(
        "/dashboard/policy/try",
        {"csrf": page.csrf(), "draft": "Mrs Patel in bed 4 went home after her stroke"},
    )
    assert tried.status == 200 and "Verdict:" in tried.text
    assert "do not post" in tried.text or "needs approval" in tried.text
    from sqlalchemy import select

    from bot.store import models as m

    with store.read() as s:
        rows = s.execute(
            select(m.CheckStat.platform, m.CheckStat.decision, m.CheckStat.rules)
        ).all()
    assert len(rows) == 1 and rows[0].platform == "web" and rows[0].rules
    empty = client.post("/dashboard/policy/try", {"csrf": page.csrf(), "draft": "   "})
    assert empty.status == 400 and "Type or paste a draft" in empty.text


def test_security_headers(client: Client, store: Store, config: Config) -> None:
    reply = client.get("/dashboard/login")
    assert "default-src 'self'" in reply.headers["Content-Security-Policy"]
    assert reply.headers["X-Frame-Options"] == "DENY"
    assert reply.headers["Referrer-Policy"] == "no-referrer"
    assert reply.headers["Cache-Control"] == "no-store"


def test_static_assets_come_from_the_package(server: LiveServer) -> None:
    client = Client(server.url)
    chart = client.get("/dashboard/static/vendor/chart.umd.min.js")
    assert chart.status == 200 and "Chart.js v4" in chart.body[:200]
    assert client.get("/dashboard/static/vendor/CHART_JS_LICENSE.md").status == 200
    assert client.get("/dashboard/static/app.css").status == 200
    assert client.get("/dashboard/static/../routes.py").status in (403, 404)


def test_reply_type_is_used(client: Client) -> None:
    assert isinstance(client.get("/dashboard/login"), Reply)
