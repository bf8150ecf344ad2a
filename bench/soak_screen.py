"""Soak: the wall runs unattended with the live generator; do the page and the server hold memory?

    .venv/bin/python bench/soak_screen.py [--minutes 30] [--scale 1] [--seconds 15] [--refresh 10]

Serves the app with COCKPIT_LIVE=1 (the generator appends readings every 5 s and bumps the data
version, so every refresh tick redraws what changed), opens the wall (assets/wall.html: the
carousel through every cockpit) in Chromium at 1920×1080, and each time the overview comes round
again and the next cockpit is drawn behind it records, after a forced garbage collection, the
page's JS heap (one V8 heap for the wall and its two frames) and DOM nodes, and the server's
resident memory. Start = the second round (code
loaded, caches filled); end = the last round. Goal (the big-screen issue): page heap growth < 10 %.
Runs on a copy of the benchmark database (the generator writes to it).
"""
from __future__ import annotations

import argparse
import time

from bench_screen import copy_database
from common import BENCH_END, bench_database

HEAP_GOAL = 0.10
LIVE_INTERVAL_SECONDS = 5  # app.py's live generator

FRONT_PATH = """() => { try { return document.querySelector('.wall-frame.front').contentWindow.location.pathname; }
                        catch (e) { return null; } }"""
FRONT_DRAWN = """() => { try { return document.querySelector('.wall-frame.front').contentWindow.cockpitScreen.drawn(); }
                         catch (e) { return false; } }"""
BOTH_DRAWN = """() => Array.from(document.querySelectorAll('.wall-frame')).every((frame) => {
    try { return frame.contentWindow.cockpitScreen.drawn(); } catch (e) { return false; } })"""
FRONT_OFFLINE = """() => { try { return document.querySelector('.wall-frame.front').contentWindow
                                           .cockpitScreen.connection().offline; } catch (e) { return false; } }"""


def server_rss(pid: int) -> int:
    import psutil

    process = psutil.Process(pid)
    return process.memory_info().rss + sum(child.memory_info().rss for child in process.children(recursive=True))


def page_memory(cdp) -> tuple[int, int]:
    """(JS heap used after a full garbage collection, DOM nodes) of the wall's renderer."""
    cdp.send("HeapProfiler.collectGarbage")
    used = cdp.send("Runtime.getHeapUsage")["usedSize"]
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return int(used), int(metrics.get("Nodes", 0))


def data_version(url: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        version = conn.execute(text("SELECT value FROM data_meta WHERE key = 'version'")).scalar()
    engine.dispose()
    return version


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seconds", type=int, default=15, help="time on screen of each cockpit")
    parser.add_argument("--refresh", type=int, default=10, help="refresh interval of the pages, seconds")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from served import CHROMIUM_ARGS, ServedApp
    from services import chromium_path

    source, _ = bench_database(args.scale)
    url, folder = copy_database(source, "soak")
    app = ServedApp(url, folder, {"COCKPIT_LIVE": "1", "COCKPIT_CAROUSEL_SECONDS": str(args.seconds),
                                  "COCKPIT_REFRESH_SECONDS": str(args.refresh),
                                  "COCKPIT_DEMO_END": BENCH_END.isoformat()})
    errors: list[str] = []
    samples: list[dict] = []
    offline_seen = 0
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            cdp = page.context.new_cdp_session(page)
            cdp.send("Performance.enable")
            page.goto(app.base + "/assets/wall.html")
            started = time.monotonic()
            deadline = started + args.minutes * 60
            print(f"scale {args.scale:g}, {args.seconds} s per cockpit, refresh {args.refresh} s, live generator "
                  f"every {LIVE_INTERVAL_SECONDS} s, {args.minutes:g} min", flush=True)
            print(f"{'minute':>7}{'JS heap':>12}{'DOM nodes':>11}{'server RSS':>13}{'data version':>14}", flush=True)
            was_front = None
            while time.monotonic() < deadline:
                page.wait_for_timeout(500)
                offline_seen += bool(page.evaluate(FRONT_OFFLINE))
                path = page.evaluate(FRONT_PATH)
                if path == "/" and was_front != "/" and page.evaluate(FRONT_DRAWN):
                    # the same state every round: the overview on show, the next cockpit drawn behind it
                    page.wait_for_timeout(2000)
                    page.wait_for_function(BOTH_DRAWN, timeout=args.seconds * 1000)
                    heap, nodes = page_memory(cdp)
                    sample = {"minute": (time.monotonic() - started) / 60, "heap": heap, "nodes": nodes,
                              "rss": server_rss(app.process.pid), "version": data_version(url)}
                    samples.append(sample)
                    print(f"{sample['minute']:7.1f}{heap / 2**20:9.1f} MB{nodes:11,}{sample['rss'] / 2**20:10.1f} MB"
                          f"{sample['version']:>14}", flush=True)
                was_front = path
            browser.close()
    finally:
        app.stop()

    if len(samples) < 3:
        print("too few rounds to judge: run longer")
        return
    first, last = samples[1], samples[-1]  # the first round loads code and fills caches
    growth = (last["heap"] - first["heap"]) / first["heap"]
    verdict = "ok" if growth < HEAP_GOAL else "OVER GOAL"
    print(f"page JS heap: {first['heap'] / 2**20:.1f} MB at minute {first['minute']:.1f} → "
          f"{last['heap'] / 2**20:.1f} MB at minute {last['minute']:.1f}: {growth:+.1%} (goal < {HEAP_GOAL:.0%}: {verdict})")
    print(f"page DOM nodes: {first['nodes']:,} → {last['nodes']:,}")
    print(f"server RSS: {first['rss'] / 2**20:.1f} MB → {last['rss'] / 2**20:.1f} MB "
          f"({(last['rss'] - first['rss']) / first['rss']:+.1%})")
    print(f"data versions {first['version']} → {last['version']}; page errors: {len(errors)}; "
          f"polls that found the server away: {offline_seen}")


if __name__ == "__main__":
    main()
