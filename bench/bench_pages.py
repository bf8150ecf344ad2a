"""Cockpit speed, measured as a user sees it and as the server spends it.

    .venv/bin/python bench/bench_pages.py [--scale 1] [--pages / /tourism ...] [--clicks 20]

For each page:
  * fully drawn: navigation until every panel has its content (no Dash callback pending);
  * click → every panel updated: drills (a county's bar) and cross-filters (the first category bar),
    p50/p95 over --clicks clicks;
  * server time of each panel's callback work (query + figure), uncached and cached, p50/p95, and of
    the page's whole fill callback (every panel, as a drill asks for them);
  * the largest figure JSON.
The app warms the first views (each cockpit at the city and its counties, default range) and the
views one click away from them in the background, as it does in production; --cold measures
without that.
Goals (issues 3 and 4): drawn ≤ 1.0 s; click ≤ 250 ms p95; uncached ≤ 50 ms p95 at 1× (≤ 200 ms at 100×),
cached ≤ 10 ms; no figure over 100 KB.
"""
from __future__ import annotations

import argparse
import time
from datetime import date

from common import BENCH_END, bench_database, cpu_check, ms, percentiles

# Fully drawn: Dash has no callback pending, every graph shows its figure (data, or the "no data"
# note), every HTML panel has content and every map its regions. Checked on every animation frame
# in the page; the time it first holds is kept (performance.now(): ms since navigation started).
IDLE_JS = """() => {
    const drawn = window.store && !window.store.getState().isLoading
        && document.querySelectorAll('.panel').length > 0
        && [...document.querySelectorAll('.panel-graph .js-plotly-plot')].every(
               g => g._fullLayout && g.data && (g.data.length > 0 || ((g.layout || {}).annotations || []).length > 0))
        && [...document.querySelectorAll('.panel-html, .bars-host')].every(h => h.childElementCount > 0)
        && [...document.querySelectorAll('.cockpit-map')].every(m => m.querySelector('path.leaflet-interactive'));
    if (drawn && !window.__drawnAt) { window.__drawnAt = performance.now(); }
    return drawn;
}"""

# A click is done when Dash has no callback pending and every figure it changed has been redrawn
# (plotly redraws a moment after Dash has applied the answer). The page records when Dash last went
# idle and when a figure was last drawn; the click's time is the later of the two, taken once the
# page has been quiet for 300 ms (that wait is not counted).
INSTRUMENT_JS = """() => {
    window.__mark = (name) => { window[name] = performance.now(); };
    if (!window.__subscribed) {
        window.__subscribed = true;
        let loading = window.store.getState().isLoading;
        window.store.subscribe(() => {
            const now = window.store.getState().isLoading;
            if (loading && !now) { window.__mark('__idleAt'); }
            loading = now;
        });
    }
    document.querySelectorAll('.js-plotly-plot').forEach((g) => {
        if (!g.__hooked) { g.__hooked = true; g.on('plotly_afterplot', () => window.__mark('__plottedAt')); }
    });
    if (!window.__barsHooked) {  // rankings drawn as HTML bars (assets/rank_bars.js) count as figures
        window.__barsHooked = true;
        document.addEventListener('cockpit:bars-drawn', () => window.__mark('__plottedAt'));
    }
    window.__idleAt = 0; window.__plottedAt = 0; window.__pressedAt = 0;
    document.addEventListener('mousedown', () => window.__mark('__pressedAt'), {capture: true, once: true});
}"""
SETTLED_JS = """() => window.store && !window.store.getState().isLoading && window.__idleAt > 0
    && performance.now() - Math.max(window.__idleAt, window.__plottedAt) > 300"""


def wait_drawn(page, timeout=30000):
    page.wait_for_function(IDLE_JS, timeout=timeout, polling="raf")


def clickable_marks(path: str) -> str:
    """CSS of the marks that lead somewhere: bars of the page's panels that declare a click (plotly's,
    or those of a ranking drawn as HTML)."""
    from core.panels import PAGE_PANELS

    marks = {"graph": ".bars .point path", "bars": ".rank-link .rank-fill"}
    return ", ".join(f'[data-panel="{p.id}"] {marks[p.kind]}' for p in PAGE_PANELS[path]
                     if p.kind in marks and p.click is not None) or ".panel-graph .bars .point path"


def click_and_settle(page, clickable: str, i: int) -> float | None:
    """Click the i-th clickable mark (round robin) and wait until every panel is updated; the
    seconds from the press, or None when the mark has no target or the click led nowhere."""
    bars = page.locator(clickable)
    count = bars.count()
    if count == 0:
        return None
    mark = bars.nth(i % count)
    mark.scroll_into_view_if_needed()  # pages taller than the window (safety) have marks below it
    box = mark.bounding_box()
    if not box or box["width"] < 3 or box["height"] < 3:  # a zero bar (no incident of a kind) has no target
        return None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(150)
    page.evaluate(INSTRUMENT_JS)
    url_before = page.url
    page.mouse.down()
    page.mouse.up()
    try:
        page.wait_for_function("(u) => location.href !== u", arg=url_before, timeout=3000, polling="raf")
    except Exception:
        print(f"  (click {i} on mark {i % count} of {count} led nowhere)")
        return None
    page.wait_for_function(SETTLED_JS, timeout=30000, polling=50)
    return page.evaluate("() => (Math.max(window.__idleAt, window.__plottedAt) - window.__pressedAt)") / 1000


def browser_timings(base: str, path: str, clicks: int) -> dict:
    from playwright.sync_api import sync_playwright

    from served import CHROMIUM_ARGS
    from services import chromium_path

    out = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        page.goto(base + path)  # warm the browser cache with the scripts, like a wall that stays up
        wait_drawn(page)
        drawn = []
        for _ in range(7):
            page.goto(base + path)
            wait_drawn(page)
            drawn.append(page.evaluate("() => window.__drawnAt") / 1000)
        out["drawn"] = percentiles(drawn)
        click_times = []
        for i in range(clicks):
            seconds = click_and_settle(page, clickable_marks(path), i)
            if seconds is None:
                continue
            click_times.append(seconds)
            if i % 3 == 2:
                page.goto(base + path)
                wait_drawn(page)
        out["click"] = percentiles(click_times) if click_times else (float("nan"), float("nan"))
        out["clicks"] = len(click_times)
        browser.close()
    return out


def server_views(path: str) -> list:
    """The views the server side is timed on: the city and two counties over the last week."""
    from core.viewstate import ViewState

    return [ViewState(page=path, region=region, start=date(2026, 11, 19), end=BENCH_END, scope="341000")
            for region in ("341000", "341003", "341021")]


def page_fill_timings(path: str, rounds: int = 15) -> tuple[tuple, tuple]:
    """The page's one fill callback for all its panels (callbacks.panels.fill, what a drill asks
    the server for), p50/p95 with the cache off and on, over the city and two counties."""
    import app as cockpit
    from callbacks.panels import fill
    from core.panels import PAGE_PANELS
    from data import cache as cache_module

    requested = [(panel.kind, {"type": panel.kind, "id": panel.id}, None) for panel in PAGE_PANELS[path]]
    views = server_views(path)
    uncached, cached = [], []
    cache_module.init_cache(cockpit.server)
    with cockpit.server.test_request_context("/"):
        for i in range(rounds):
            view = views[i % len(views)]
            cache_module._configured = False
            started = time.perf_counter()
            fill(requested, view, refresh=False)
            uncached.append(time.perf_counter() - started)
            cache_module._configured = True
            fill(requested, view, refresh=False)
            started = time.perf_counter()
            fill(requested, view, refresh=False)
            cached.append(time.perf_counter() - started)
    cache_module._configured = False
    return percentiles(uncached), percentiles(cached)


def server_timings(path: str, rounds: int = 15) -> list[tuple]:
    """Each panel's share of the page's fill callback, timed as the app does it
    (callbacks.panels._filled: query, figure or HTML, click targets): with the cache off, and with
    the cache on for a view filled before (figures are memoized whole)."""
    import plotly.io as pio

    import app as cockpit
    from callbacks.panels import _filled
    from core.panels import PAGE_PANELS
    from data import cache as cache_module

    views = server_views(path)
    rows = []
    cache_module.init_cache(cockpit.server)
    with cockpit.server.test_request_context("/"):
        for panel in PAGE_PANELS[path]:
            uncached, cached, size = [], [], 0
            for i in range(rounds):
                view = views[i % len(views)]
                cache_module._configured = False
                started = time.perf_counter()
                filled = _filled(panel.kind, panel, view)
                uncached.append(time.perf_counter() - started)
                if panel.kind == "graph":
                    size = max(size, len(pio.to_json(filled.content, validate=False)))
                cache_module._configured = True
                _filled(panel.kind, panel, view)
                started = time.perf_counter()
                _filled(panel.kind, panel, view)
                cached.append(time.perf_counter() - started)
            rows.append((panel.id, percentiles(uncached), percentiles(cached), size))
    cache_module._configured = False
    return rows


def wait_warmed(served, timeout: float = 1200) -> None:
    """Wait until the app has warmed the first views and those one click away (callbacks/prewarm.py;
    it starts with the first request), so that the timings are of a server that has settled."""
    import urllib.request

    urllib.request.urlopen(served.base + "/healthz").read()
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(served.log.name, encoding="utf-8", errors="replace") as log:
            text = log.read()
            if "one click away" in text or "warmed already" in text:  # warmed by this app, or by an earlier one
                return
        time.sleep(0.5)
    print("(the app did not report warming within the timeout)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--pages", nargs="*", default=["/"])
    parser.add_argument("--clicks", type=int, default=20)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--rounds", type=int, default=15,
                        help="server-side fills timed per page, over the city and two counties in turn")
    parser.add_argument("--cold", action="store_true", help="no background warming of the first views")
    parser.add_argument("--database-url", help="the data of --scale in this database (e.g. the 100x PostgreSQL "
                                               "one of bench_queries.py) instead of the scale's SQLite file")
    args = parser.parse_args()
    url, folder = bench_database(args.scale, args.database_url)

    import app as _app  # noqa: F401  (registers the pages and panels in this process)
    from served import ServedApp

    served = None
    if not args.no_browser:
        served = ServedApp(url, folder, {"COCKPIT_DEMO_END": BENCH_END.isoformat(),
                                         "COCKPIT_PREWARM_SECONDS": "0" if args.cold else "60"})
        if not args.cold:
            wait_warmed(served)
    print(f"CPU check: 10^7 Python additions in {cpu_check():.2f} s (figures scale with it)")
    try:
        for path in args.pages:
            print(f"\n== {path} (scale {args.scale:g})")
            if served:
                timings = browser_timings(served.base, path, args.clicks)
                print(f"fully drawn      p50 {ms(timings['drawn'][0])}  p95 {ms(timings['drawn'][1])}")
                print(f"click → updated  p50 {ms(timings['click'][0])}  p95 {ms(timings['click'][1])}"
                      f"  ({timings['clicks']} clicks)")
            print(f"{'panel':32} {'uncached p50':>13} {'p95':>10} {'cached p50':>11} {'p95':>10} {'figure':>9}")
            for pid, (u50, u95), (c50, c95), size in server_timings(path, args.rounds):
                print(f"{pid:32} {ms(u50)} {ms(u95)} {ms(c50)} {ms(c95)} {size / 1024:7.1f}KB")
            (u50, u95), (c50, c95) = page_fill_timings(path, args.rounds)
            print(f"{'the whole page (one fill)':32} {ms(u50)} {ms(u95)} {ms(c50)} {ms(c95)}")
    finally:
        if served:
            served.stop()


if __name__ == "__main__":
    main()
