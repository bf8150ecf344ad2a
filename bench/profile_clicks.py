"""Where a click's time goes in the browser: a JavaScript CPU profile of drill / cross-filter clicks.

    .venv/bin/python bench/profile_clicks.py [--scale 1] [--page /] [--clicks 10]

Serves the app as bench_pages does, clicks the page's clickable bars while Chromium's sampling
profiler runs (DevTools protocol), and prints the self time summed by script and by function, and
the time the browser spent on layout, style and paint (Performance metrics). It explains the
"click → every panel updated" figure of bench_pages.py; it does not replace it.
"""
from __future__ import annotations

import argparse
import collections
import re

from common import BENCH_END, bench_database

from bench_pages import INSTRUMENT_JS, SETTLED_JS, click_and_settle, clickable_marks, wait_drawn, wait_warmed


def _short(url: str) -> str:
    name = url.rsplit("/", 1)[-1].split("?", 1)[0] or url or "(native)"
    return re.sub(r"\.v[\d_]+m\d+", "", name)


def profile(base: str, path: str, clicks: int) -> None:
    from playwright.sync_api import sync_playwright

    from served import CHROMIUM_ARGS
    from services import chromium_path

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        page.goto(base + path)
        wait_drawn(page)
        page.goto(base + path)
        wait_drawn(page)
        session = page.context.new_cdp_session(page)
        session.send("Performance.enable")
        session.send("Profiler.enable")
        session.send("Profiler.setSamplingInterval", {"interval": 200})
        before = {m["name"]: m["value"] for m in session.send("Performance.getMetrics")["metrics"]}
        session.send("Profiler.start")
        times = []
        for i in range(clicks):
            seconds = click_and_settle(page, clickable_marks(path), i)
            if seconds is None:
                continue
            times.append(seconds * 1000)
            page.evaluate(INSTRUMENT_JS)  # and back (the profile holds both updates)
            page.go_back()
            page.wait_for_function(SETTLED_JS, timeout=30000, polling=50)
        result = session.send("Profiler.stop")["profile"]
        after = {m["name"]: m["value"] for m in session.send("Performance.getMetrics")["metrics"]}
        browser.close()

    nodes = {node["id"]: node for node in result["nodes"]}
    interval = collections.Counter()
    deltas = result["timeDeltas"]
    for sample, delta in zip(result["samples"], deltas[1:] + [0]):
        interval[sample] += delta / 1000.0
    by_script, by_function = collections.Counter(), collections.Counter()
    for node_id, spent in interval.items():
        frame = nodes[node_id]["callFrame"]
        if frame["functionName"] == "(idle)":
            continue
        script = _short(frame["url"])
        by_script[script] += spent
        by_function[f"{frame['functionName'] or '(anonymous)'} {script}:{frame['lineNumber']}"] += spent
    print(f"{len(times)} clicks: " + ", ".join(f"{t:.0f}" for t in times) + " ms")
    total = sum(by_script.values())
    print(f"\nCPU (not idle) over the clicks and their way back: {total:.0f} ms, {total / max(1, len(times)) / 2:.0f} ms per update")
    print("\nself time by script (ms):")
    for script, spent in by_script.most_common(15):
        print(f"  {spent:8.0f}  {script}")
    print("\nself time by function (ms):")
    for function, spent in by_function.most_common(30):
        print(f"  {spent:8.0f}  {function}")
    print("\nbrowser metrics over the run (s):")
    for name in ("ScriptDuration", "LayoutDuration", "RecalcStyleDuration", "TaskDuration", "LayoutCount",
                 "RecalcStyleCount", "Nodes", "JSHeapUsedSize"):
        if name in after:
            print(f"  {name:22} {after[name] - before.get(name, 0):10.3f}   (now {after[name]:.0f})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--page", default="/")
    parser.add_argument("--clicks", type=int, default=10)
    args = parser.parse_args()
    url, folder = bench_database(args.scale)
    import app as _app  # noqa: F401
    from served import ServedApp

    served = ServedApp(url, folder, {"COCKPIT_DEMO_END": BENCH_END.isoformat(), "COCKPIT_PREWARM_SECONDS": "60"})
    try:
        wait_warmed(served)
        profile(served.base, args.page, args.clicks)
    finally:
        served.stop()


if __name__ == "__main__":
    main()
