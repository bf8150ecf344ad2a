"""Cockpit speed, measured as a user sees it and as the server spends it.

    .venv/bin/python bench/bench_pages.py [--scale 1] [--pages / /tourism ...] [--clicks 20]

For each page:
  * fully drawn: navigation until every panel has its content (no Dash callback pending);
  * click → every panel updated: drills (a county's bar) and cross-filters (the first category bar),
    p50/p95 over --clicks clicks;
  * server time of each panel's callback work (query + figure), uncached and cached, p50/p95;
  * the largest figure JSON.
Goals (issues 3 and 4): drawn ≤ 1.0 s; click ≤ 250 ms p95; uncached ≤ 50 ms p95 at 1× (≤ 200 ms at 100×),
cached ≤ 10 ms; no figure over 100 KB.
"""
from __future__ import annotations

import argparse
import json
import time
from datetime import date

from common import BENCH_END, bench_database, ms, percentiles

# Fully drawn: Dash has no callback pending, every graph shows its figure (data, or the "no data"
# note), every HTML panel has content and every map its regions.
IDLE_JS = """() => window.store && !window.store.getState().isLoading
    && document.querySelectorAll('.panel').length > 0
    && [...document.querySelectorAll('.panel-graph .js-plotly-plot')].every(
           g => g._fullLayout && g.data && (g.data.length > 0 || ((g.layout || {}).annotations || []).length > 0))
    && [...document.querySelectorAll('.panel-html')].every(h => h.childElementCount > 0)
    && [...document.querySelectorAll('.cockpit-map')].every(m => m.querySelector('path.leaflet-interactive'))"""


def wait_drawn(page, timeout=30000):
    page.wait_for_function(IDLE_JS, timeout=timeout, polling=10)


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
        for _ in range(5):
            started = time.perf_counter()
            page.goto(base + path)
            page.wait_for_timeout(30)
            wait_drawn(page)
            drawn.append(time.perf_counter() - started)
        out["drawn"] = percentiles(drawn)
        click_times = []
        for i in range(clicks):
            bars = page.locator(".panel-graph .bars .point path")
            count = bars.count()
            if count == 0:
                break
            started = time.perf_counter()
            url_before = page.url
            bars.nth(i % count).click(force=True)
            try:
                page.wait_for_function("(u) => location.href !== u", arg=url_before, timeout=3000, polling=5)
            except Exception:
                continue  # that mark is not clickable; try the next one
            page.wait_for_timeout(20)
            wait_drawn(page)
            click_times.append(time.perf_counter() - started)
            if i % 3 == 2:
                page.goto(base + path)
                wait_drawn(page)
        out["click"] = percentiles(click_times) if click_times else (float("nan"), float("nan"))
        out["clicks"] = len(click_times)
        browser.close()
    return out


def server_timings(path: str, rounds: int = 15) -> list[tuple]:
    from flask import Flask

    import plotly.io as pio

    from core.panels import PAGE_PANELS
    from core.viewstate import ViewState
    from data import cache as cache_module

    views = [ViewState(page=path, region=region, start=date(2026, 11, 19), end=BENCH_END)
             for region in ("341000", "341003", "341021")]
    rows = []
    server = Flask("bench")
    cache_module.init_cache(server)
    for panel in PAGE_PANELS[path]:
        uncached, cached, size = [], [], 0
        for i in range(rounds):
            view = views[i % len(views)]
            cache_module._configured = False
            started = time.perf_counter()
            frame = panel.data(view)
            result = panel.figure(frame, view, panel) if panel.figure else (
                panel.render(frame, view, panel) if panel.render else frame)
            uncached.append(time.perf_counter() - started)
            if panel.figure:
                size = max(size, len(pio.to_json(result, validate=False)))
            cache_module._configured = True
            with server.app_context():
                panel.data(view)
                started = time.perf_counter()
                frame = panel.data(view)
                if panel.figure:
                    panel.figure(frame, view, panel)
                elif panel.render:
                    panel.render(frame, view, panel)
                cached.append(time.perf_counter() - started)
        rows.append((panel.id, percentiles(uncached), percentiles(cached), size))
    cache_module._configured = False
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--pages", nargs="*", default=["/"])
    parser.add_argument("--clicks", type=int, default=20)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    url, folder = bench_database(args.scale)

    import app as _app  # noqa: F401  (registers the pages and panels in this process)
    from served import ServedApp

    served = None if args.no_browser else ServedApp(url, folder, {"COCKPIT_DEMO_END": BENCH_END.isoformat()})
    try:
        for path in args.pages:
            print(f"\n== {path} (scale {args.scale:g})")
            if served:
                timings = browser_timings(served.base, path, args.clicks)
                print(f"fully drawn      p50 {ms(timings['drawn'][0])}  p95 {ms(timings['drawn'][1])}")
                print(f"click → updated  p50 {ms(timings['click'][0])}  p95 {ms(timings['click'][1])}"
                      f"  ({timings['clicks']} clicks)")
            print(f"{'panel':32} {'uncached p50':>13} {'p95':>10} {'cached p50':>11} {'p95':>10} {'figure':>9}")
            for pid, (u50, u95), (c50, c95), size in server_timings(path):
                print(f"{pid:32} {ms(u50)} {ms(u95)} {ms(c50)} {ms(c95)} {size / 1024:7.1f}KB")
    finally:
        if served:
            served.stop()


if __name__ == "__main__":
    main()
