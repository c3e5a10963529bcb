"""The dashboard in a real browser: Debian's Chromium driven by Playwright.

Skips with the reason when Chromium or Playwright is missing, unless
``CANIPOST_REQUIRE_BROWSER=1`` (CI, see ``.ci/run``), where it fails instead.
Playwright's own browser downloads are never used: ``executable_path`` points
at the system Chromium.
"""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from harness import link_path

from bot.config import Approvers, Config
from bot.dashboard.stats import record_check
from bot.server import build_app
from bot.server.live import LiveServer
from bot.store import Store, open_store
from bot.verdict import Finding, Severity, Verdict
from bot.workflow import Actor, Workflow

CHROMIUM = os.environ.get("CANIPOST_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
pytestmark = pytest.mark.slow


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"Chromium not installed at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install playwright)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = _missing()
    if reason:
        if os.environ.get("CANIPOST_REQUIRE_BROWSER") == "1":
            pytest.fail(f"CANIPOST_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


CONFIG = Config(
    approvers=Approvers(cli=["bob"], any=["carol"]),
    workflow={"tick_seconds": 3600, "reminder_after_minutes": 60},
)
CATEGORIES = ["confidentiality", "legal", "reputation", "sensitivity", "strategy", "conflict"]


def _verdict(text: str, decision: str, category: str) -> Verdict:
    if decision == "ok":
        return Verdict([], "p")
    word = text.split()[2]
    start = text.index(word)
    return Verdict(
        [
            Finding(
                rule=f"{category}.example_rule",
                category=category,
                severity=Severity.parse(decision),
                start=start,
                end=start + len(word),
                quote=word,
                message=f"This may be a {category} problem.",
                suggestion="Rephrase it.",
                policy_ref="protocol#overview",
            )
        ],
        "p",
    )


def seed(store: Store, now: datetime) -> list[str]:
    """A realistic month: pending drafts of various ages, decisions, thousands of checks."""
    rnd = random.Random(7)
    drafts = [
        "Great news: our new library on Park Road opens Monday!",
        "Sorry to hear Mr Jones in ward 7 passed away last night",
        "Vote for the mayor's plan at the council meeting tonight",
        "The court case against our former director starts next week",
        "Our staff are the worst at answering emails, honestly",
        "Join our fun run on Sunday and raise money for the hospice",
        "BREAKING!!! Huge announcement coming, stay tuned #news",
    ]
    pending = []
    for i, hours in enumerate((0.2, 0.8, 1.5, 3, 6, 26, 50)):
        wf = Workflow(store, config=CONFIG, clock=lambda h=hours: now - timedelta(hours=h))
        decision = ["needs_approval", "do_not_post", "needs_approval", "advise"][i % 4]
        text = drafts[i % len(drafts)]
        sub = wf.submit(
            text=text,
            verdict=_verdict(text, decision, CATEGORIES[i % len(CATEGORIES)]),
            author=Actor("slack", f"U{100 + i}", ["Sam Lee", "Priya Shah", "Tom Brown"][i % 3]),
            channel=["twitter", "facebook", "linkedin", "instagram"][i % 4],
            note="We need to post this today" if decision == "do_not_post" else None,
        )
        pending.append(sub.id)
    for day in range(60):
        for _ in range(rnd.randint(0, 3)):
            created = now - timedelta(days=day, hours=rnd.uniform(2, 40))
            wf = Workflow(store, config=CONFIG, clock=lambda c=created: c)
            text = rnd.choice(drafts)
            sub = wf.submit(
                text=text,
                verdict=_verdict(text, "needs_approval", rnd.choice(CATEGORIES)),
                author=Actor("slack", "U200", "Ana Ruiz"),
                channel="twitter",
            )
            decided = Workflow(
                store,
                config=CONFIG,
                clock=lambda c=created: c + timedelta(hours=rnd.expovariate(1 / 3)),
            )
            verb = rnd.choice(["approve", "approve", "changes", "reject"])
            decided.decide(
                sub.id,
                verb,
                by=Actor("cli", "carol", "Carol King"),
                note=None if verb == "approve" else "Please remove the name",
            )
    for day in range(30):
        for _ in range(rnd.randint(40, 90)):
            decision = rnd.choices(
                ["ok", "advise", "needs_approval", "do_not_post"], [60, 20, 15, 5]
            )[0]
            rules = (
                []
                if decision == "ok"
                else [
                    (f"{c}.rule_{rnd.randint(1, 4)}", c)
                    for c in rnd.sample(CATEGORIES, rnd.randint(1, 2))
                ]
            )
            record_check(
                store,
                decision=decision,
                rules=rules,
                platform=rnd.choice(["slack", "teams"]),
                day=(now - timedelta(days=day)).date(),
            )
    return pending


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Store, list[str]]]:
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('browser') / 'dash.db'}")
    pending = seed(store, datetime.now(UTC))
    app = build_app(CONFIG, platforms=[], store=store, tick=False)
    with LiveServer(app) as live:
        yield live, store, pending
    store.dispose()


def _page(browser: Any, site: tuple[LiveServer, Store, list[str]], *, js: bool = True) -> Any:
    live, store, _ = site
    context = browser.new_context(java_script_enabled=js, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(live.url) else outside.append(r.url))
    page.outside = outside  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors  # type: ignore[attr-defined]
    page.goto(live.url + link_path(store, CONFIG, "bob", name="Bob Boss"))
    page.get_by_role("button", name="Continue to the dashboard").click()
    page.wait_for_url("**/dashboard/queue")
    return page


SHOTS = (
    Path(os.environ.get("CANIPOST_SCREENSHOTS", ""))
    if os.environ.get("CANIPOST_SCREENSHOTS")
    else None
)


def test_queue_and_charts_render_with_no_outside_requests(
    browser: Any, site: Any, tmp_path: Path
) -> None:
    page = _page(browser, site)
    assert page.get_by_role("heading", name="Waiting for a decision").is_visible()
    rows = page.locator("table.grid tbody tr")
    assert rows.count() == 7
    assert "Overdue" in rows.first.inner_text()  # oldest first
    page.screenshot(path=str(tmp_path / "queue.png"), full_page=True)
    page.get_by_role("link", name="Charts").click()
    page.wait_for_url("**/dashboard/charts")
    page.wait_for_function(
        "() => ['c-checks','c-cats','c-rules','c-ttd'].every(id => Chart.getChart(id))"
    )
    drawn = page.evaluate(
        "() => ['c-checks','c-cats','c-rules','c-ttd'].map(id => Chart.getChart(id).data.datasets.length)"
    )
    assert all(n >= 1 for n in drawn), drawn
    total = page.evaluate(
        "() => Chart.getChart('c-checks').data.datasets.reduce((a, d) => a + d.data.reduce((x, y) => x + y, 0), 0)"
    )
    assert total > 1000
    page.screenshot(path=str(tmp_path / "charts.png"), full_page=True)
    if SHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        for name in ("queue.png", "charts.png"):
            shutil.copy(tmp_path / name, SHOTS / name)
    assert page.outside == [] and page.errors == []  # type: ignore[attr-defined]


def test_keyboard_only_decision(browser: Any, site: Any) -> None:
    page = _page(browser, site)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # Tab to the first draft in the queue (through the filter form) and open it.
    for _ in range(40):
        page.keyboard.press("Tab")
        href = page.evaluate("document.activeElement.getAttribute('href') || ''")
        if "/dashboard/submissions/" in href:
            break
    else:
        pytest.fail("no queue link reachable by keyboard")
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboard/submissions/*")
    page.get_by_label("Note to the author").focus()
    page.keyboard.type("Please drop the location")
    page.keyboard.press("Tab")  # Approve
    page.keyboard.press("Tab")  # Request changes
    assert page.evaluate("document.activeElement.textContent") == "Request changes"
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Recorded: changes requested")
    assert "Please drop the location" in page.inner_text("main")


def test_works_without_javascript(browser: Any, site: Any) -> None:
    page = _page(browser, site, js=False)
    page.get_by_label("SLA").select_option("overdue")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**sla=overdue**")
    assert page.locator("table.grid tbody tr").count() == 2  # 26 h and 50 h old
    page.get_by_role("link", name="Decisions").click()
    page.get_by_role("searchbox", name="Search").fill("Carol")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**q=Carol**")
    assert page.locator("table.grid tbody tr").count() >= 10
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    path = download.value.path()
    assert Path(path).read_text().startswith("id,state,author")


def test_labels_and_contrast(browser: Any, site: Any) -> None:
    page = _page(browser, site)
    for path in (
        "/dashboard/queue",
        "/dashboard/decisions",
        "/dashboard/policy",
        "/dashboard/watch",
    ):
        page.goto(site[0].url + path)
        unlabelled = page.evaluate(
            """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                 .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
                 .map(e => e.name)"""
        )
        assert unlabelled == [], (path, unlabelled)
        worst = page.evaluate(CONTRAST_JS)
        assert worst["ratio"] >= 4.5, (path, worst)


CONTRAST_JS = """() => {
  const lum = c => { const [r, g, b] = c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number).map(v => {
      v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const bg = el => { for (let e = el; e; e = e.parentElement) { const c = getComputedStyle(e).backgroundColor;
      if (c && !c.startsWith('rgba(0, 0, 0, 0)') && c !== 'transparent') return c; } return 'rgb(255, 255, 255)'; };
  let worst = {ratio: 99};
  for (const el of document.querySelectorAll('main *, header *')) {
    if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    const st = getComputedStyle(el); if (st.visibility === 'hidden' || st.display === 'none') continue;
    const a = lum(st.color), b = lum(bg(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < worst.ratio) worst = {ratio, text: el.textContent.trim().slice(0, 40), color: st.color, bg: bg(el)};
  }
  return worst;
}"""
