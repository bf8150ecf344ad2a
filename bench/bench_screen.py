"""The wall's speed: carousel switches and refresh ticks, measured in a real Chromium.

    .venv/bin/python bench/bench_screen.py [--scale 1] [--cycles 3] [--seconds 8]

  * carousel switch (assets/wall.html): from the swap to the next cockpit until it is painted —
    the wall swaps only to a cockpit already fully drawn (every panel with its content) — and
    how long each cockpit takes to load and draw in the background, which must fit in a dwell;
  * for comparison, the same cockpits navigated inside one page (what the wall avoids);
  * refresh tick with unchanged data: bytes on the wire (headers and bodies, both ways) per page;
  * refresh tick after a live-generator tick: the same, when data did change.
Goals (the big-screen issue): a switch fully drawn ≤ 500 ms; a tick with no change ≤ 50 KB.
Runs on a copy of the benchmark database (a live tick writes to it).
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import urllib.request

from common import BENCH_END, BENCH_VAR, bench_database, percentiles

SWITCH_GOAL_MS = 500
TICK_GOAL_BYTES = 50_000
REFRESH_SECONDS = 4

# In the wall: each swap (a frame becomes .front) is timed until the frame has been painted (two
# animation frames later) and checked to be fully drawn; each frame's page load is timed from its
# navigation start until cockpitScreen.drawn() (assets/screen.js).
WALL_PROBE = """() => {
    window.__swaps = []; window.__loads = [];
    new MutationObserver((mutations) => mutations.forEach((m) => {
        const frame = m.target;
        if (!frame.classList.contains('front') || m.oldValue.includes('front')) { return; }
        const started = performance.now(), page = frame.contentWindow;
        const drawn = page.cockpitScreen.drawn();
        requestAnimationFrame(() => requestAnimationFrame(() => window.__swaps.push(
            {path: page.location.pathname, ms: performance.now() - started, drawn: drawn})));
    })).observe(document.body, {subtree: true, attributes: true, attributeFilter: ['class'], attributeOldValue: true});
    setInterval(() => document.querySelectorAll('.wall-frame').forEach((frame) => {
        const page = frame.contentWindow;
        try {
            if (!page.__timed && page.cockpitScreen && page.cockpitScreen.drawn()) {
                page.__timed = true;
                window.__loads.push({path: page.location.pathname, ms: page.performance.now()});
            }
        } catch (e) { /* between two pages */ }
    }), 50);
}"""

# Inside one page: the time from a history push until the new cockpit is fully drawn.
NAVIGATION_PROBE = """() => {
    window.__navigations = [];
    const push = history.pushState;
    history.pushState = function () {
        const result = push.apply(this, arguments);
        const started = performance.now(), path = location.pathname;
        (function poll() {
            if (location.pathname !== path) { return; }
            if (window.cockpitScreen.drawn()) {
                requestAnimationFrame(() => window.__navigations.push({path: path, ms: performance.now() - started}));
            } else { requestAnimationFrame(poll); }
        })();
        return result;
    };
}"""


def served_carousel(base: str) -> list[dict]:
    """The carousel as the served app configured it (its screen-config store)."""
    with urllib.request.urlopen(base + "/_dash-layout") as response:
        layout = json.load(response)

    def find(node):
        if isinstance(node, dict):
            if node.get("props", {}).get("id") == "screen-config":
                return node["props"]["data"]["pages"]
            return next((hit for hit in map(find, node.values()) if hit is not None), None)
        if isinstance(node, list):
            return next((hit for hit in map(find, node) if hit is not None), None)
        return None

    return find(layout) or []


def copy_database(url: str, name: str = "screen") -> tuple[str, object]:
    """A fresh copy of the benchmark database under var/bench/<name> (SQLite's backup also copies
    what is still in the write-ahead log)."""
    folder = BENCH_VAR / name
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "cockpit.db"
    target.unlink(missing_ok=True)
    with sqlite3.connect(url.removeprefix("sqlite:///")) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    return f"sqlite:///{target}", folder


def wire_bytes(requests) -> int:
    total = 0
    for request in requests:
        sizes = request.sizes()
        total += sum(sizes[key] for key in ("requestHeadersSize", "requestBodySize", "responseHeadersSize",
                                            "responseBodySize"))
    return total


def measure_wall(page, base: str, pages: list[str], seconds: int, cycles: int) -> tuple[list, list]:
    page.goto(base + "/assets/wall.html")
    page.evaluate(WALL_PROBE)
    page.wait_for_timeout((len(pages) * cycles * seconds + 5) * 1000)
    return page.evaluate("() => window.__swaps"), page.evaluate("() => window.__loads")


def measure_navigation(page, base: str, pages: list[str]) -> list[dict]:
    """Each cockpit reached by the app's own navigation inside one page, twice (the second warm)."""
    page.goto(base + "/?screen=1")
    page.wait_for_function("() => window.cockpitScreen && window.cockpitScreen.drawn()", timeout=60000)
    page.evaluate(NAVIGATION_PROBE)
    for path in pages[1:] + pages[:1] + pages[1:] + pages[:1]:
        count = page.evaluate("() => window.__navigations.length")
        page.evaluate("(href) => window.dash_clientside.set_props('url', {href: href})", path + "?screen=1")
        page.wait_for_function(f"() => window.__navigations.length > {count}", timeout=60000)
    return page.evaluate("() => window.__navigations")[len(pages):]


def measure_ticks(page, base: str, url: str) -> tuple[list[int], int]:
    """Bytes per refresh tick of one cockpit page: without a data change (several ticks), then the
    tick after a live-generator tick."""
    from data.generator import live_tick

    page.goto(base + "/?screen=1")
    page.wait_for_function("() => window.cockpitScreen && window.cockpitScreen.drawn()", timeout=60000)
    page.wait_for_timeout(2000)
    exchanges = []
    page.on("requestfinished", lambda request: exchanges.append(request)
            if "/_dash-update-component" in request.url else None)
    quiet = []
    for _ in range(3):
        exchanges.clear()
        page.wait_for_timeout(REFRESH_SECONDS * 1000)
        quiet.append(wire_bytes(exchanges))
    live_tick(url)
    exchanges.clear()
    page.wait_for_timeout((REFRESH_SECONDS + 3) * 1000)  # the version is re-read at most every 2 s
    return quiet, wire_bytes(exchanges)


def report(title: str, samples: list[dict], pages: list[str], goal_ms: float | None) -> None:
    print(title)
    for path in pages:
        times = [s["ms"] for s in samples if s["path"] == path]
        if times:
            print(f"  {path:<14} p50 {statistics.median(times):7.0f} ms   max {max(times):7.0f} ms   (n={len(times)})")
    times = [s["ms"] for s in samples]
    if times:
        p50, p95 = percentiles(times)
        verdict = "" if goal_ms is None else ("  ok" if p95 <= goal_ms else "  OVER GOAL")
        print(f"  {'all':<14} p50 {p50:7.0f} ms   p95 {p95:7.0f} ms   max {max(times):.0f} ms{verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--cycles", type=int, default=3, help="carousel rounds (the first is cold)")
    parser.add_argument("--seconds", type=int, default=8, help="time on screen of each cockpit")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from served import CHROMIUM_ARGS, ServedApp
    from services import chromium_path

    source, _ = bench_database(args.scale)
    url, folder = copy_database(source)
    app = ServedApp(url, folder, {"COCKPIT_CAROUSEL_SECONDS": str(args.seconds),
                                  "COCKPIT_REFRESH_SECONDS": str(REFRESH_SECONDS),
                                  "COCKPIT_DEMO_END": BENCH_END.isoformat()})
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            pages = [entry["path"] for entry in served_carousel(app.base)]
            print(f"scale {args.scale:g}, carousel {' → '.join(pages)}, {args.seconds} s each, "
                  f"{args.cycles} rounds", flush=True)
            swaps, loads = measure_wall(page, app.base, pages, args.seconds, args.cycles)
            assert all(swap["drawn"] for swap in swaps), "the wall showed a cockpit before it was drawn"
            report(f"carousel switch, swap → painted (goal ≤ {SWITCH_GOAL_MS} ms), every cockpit fully drawn:",
                   swaps, pages, SWITCH_GOAL_MS)
            report(f"each cockpit loaded and drawn in the background (must fit in the {args.seconds} s dwell):",
                   loads, pages, None)
            report("for comparison, navigating inside one page until fully drawn (warm):",
                   measure_navigation(page, app.base, pages), pages, None)
            quiet, changed = measure_ticks(page, app.base, url)
            verdict = "ok" if max(quiet) <= TICK_GOAL_BYTES else "OVER GOAL"
            print(f"refresh tick, data unchanged: {', '.join(f'{b:,} B' for b in quiet)} "
                  f"(goal ≤ {TICK_GOAL_BYTES:,} B: {verdict})")
            print(f"refresh tick after a live-generator tick: {changed:,} B (the panels whose data changed)")
            browser.close()
    finally:
        app.stop()


if __name__ == "__main__":
    main()
