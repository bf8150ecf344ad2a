"""Load: wall screens and duty officers against the production stack on this machine.

    .venv/bin/python bench/bench_load.py [--walls 200] [--officers 20] [--seconds 120] [--workers 2]
                                         [--database-url postgresql+psycopg://…] [--scale 1]

Starts gunicorn (--workers, gthread) on PostgreSQL (or the bench SQLite file) with Redis as the shared
cache and the live generator appending data every --live-seconds (default 5; each new version makes every
cached answer stale), signs one wall account and one duty account
in, then runs:
  * walls: every 30 s each screen sends its refresh tick; when the data version changed, it sends
    the page's one fill request with the fingerprints it shows (as the page does; unchanged panels
    answer no update);
  * officers: every 2–5 s a click (a drill to a random county), i.e. what the browser sends for it:
    the header and the page's one fill request, side by side (a click's URL is computed in the
    browser; the router answers no update and is not counted).
Reports the p50/p95 of callback latency per kind, errors, throughput and the RSS of each worker.
Goal (issue 8): p95 ≤ 300 ms for the officers' callbacks, no errors.
"""
from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from common import BENCH_END, bench_database, percentiles

from http_client import Client, fill_hashes, fill_request, header_request
from served import ROOT, ServedApp

PASSWORD = "Bench-load-2026!"
PAGES = ["/", "/tourism", "/environment", "/traffic", "/safety", "/eldercare"]
COUNTIES = ["341002", "341003", "341004", "341021", "341022", "341023", "341024"]


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.samples: dict[str, list[float]] = {}
        self.errors: list[str] = []
        self.count = 0

    def add(self, kind: str, seconds: float, status: int) -> None:
        with self.lock:
            self.count += 1
            if status not in (200, 204):
                self.errors.append(f"{kind}: HTTP {status}")
            self.samples.setdefault(kind, []).append(seconds)


def page_panels(path: str) -> dict[str, list[str]]:
    from core.panels import PAGE_PANELS

    panels: dict[str, list[str]] = {}
    for panel in PAGE_PANELS.get(path, []):
        panels.setdefault(panel.kind, []).append(panel.id)
    return panels


def timed(client: Client, body: dict, kind: str, recorder: Recorder):
    started = time.perf_counter()
    status, answer = client.callback(body)
    recorder.add(kind, time.perf_counter() - started, status)
    return answer


def clone(template: Client) -> Client:
    client = Client(template.base)
    for cookie in template.jar:
        client.jar.set_cookie(cookie)
    return client


def wall(template: Client, stop: float, recorder: Recorder) -> None:
    client = clone(template)
    path = random.choice(PAGES)
    panels = page_panels(path)
    known, hashes = None, {}
    time.sleep(random.uniform(0, 30))
    while time.time() < stop:
        started = time.perf_counter()
        status, body = client.callback({
            "output": "data-version.data", "outputs": {"id": "data-version", "property": "data"},
            "inputs": [{"id": "refresh-tick", "property": "n_intervals", "value": 1}],
            "changedPropIds": ["refresh-tick.n_intervals"], "state": [
                {"id": "data-version", "property": "data", "value": known}]})
        recorder.add("wall tick", time.perf_counter() - started, status)
        if status == 200 and isinstance(body, dict):
            known = body["response"]["data-version"]["data"]
            answer = timed(client, fill_request(panels, "?screen=1", path, known, hashes, refresh=True),
                           "wall refresh (all panels)", recorder)
            if isinstance(answer, dict):
                hashes.update(fill_hashes(answer))
        time.sleep(30)


def officer(template: Client, stop: float, recorder: Recorder) -> None:
    client = clone(template)
    shown = None  # the header parts this officer's page shows (it sends only the changed ones)
    with ThreadPoolExecutor(2) as browser_connections:
        while time.time() < stop:
            path = random.choice(PAGES)
            search = f"?region={random.choice(COUNTIES)}"
            bodies = [(header_request(search, path, shown=shown), "officer header"),
                      (fill_request(page_panels(path), search, path), "officer fill (all panels)")]
            started = time.perf_counter()
            header, _fill = browser_connections.map(lambda item: timed(client, item[0], item[1], recorder), bodies)
            recorder.add("officer click (both callbacks)", time.perf_counter() - started, 200)
            if isinstance(header, dict):
                shown = (header.get("response") or {}).get("header-shown", {}).get("data", shown)
            time.sleep(random.uniform(2, 5))


def worker_memory(master_pid: int) -> list[float]:
    children = subprocess.run(["pgrep", "-P", str(master_pid)], capture_output=True, text=True).stdout.split()
    sizes = []
    for pid in children:
        try:
            with open(f"/proc/{pid}/status") as status:
                rss = next(line for line in status if line.startswith("VmRSS"))
            sizes.append(int(rss.split()[1]) / 1024)
        except (OSError, StopIteration):
            pass
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--walls", type=int, default=200)
    parser.add_argument("--officers", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--live-seconds", type=int, default=5,
                        help="how often the live generator appends data (each time, every cached answer is stale)")
    args = parser.parse_args()
    url, folder = bench_database(args.scale, args.database_url or None)

    import app as _app  # noqa: F401  (the panel declarations, to build the requests)
    from core.auth import create_user, find_user

    for name, role in (("bench_wall", "leader"), ("bench_duty", "duty")):
        if find_user(name) is None:
            create_user(name, PASSWORD, role, "341000")
    env = {"COCKPIT_AUTH": "1", "COCKPIT_REDIS_URL": args.redis_url, "COCKPIT_WORKERS": str(args.workers),
           "COCKPIT_DEMO_END": BENCH_END.isoformat(), "COCKPIT_LIVE": "0",
           "COCKPIT_PREWARM_SECONDS": "10"}  # as in production: the first views warmed after new data
    web = ServedApp(url, folder, env, command=[os.path.join(os.path.dirname(sys.executable), "gunicorn"), "-c",
                                               "gunicorn.conf.py", "app:server"])
    live = subprocess.Popen([sys.executable, "-m", "data.generate", "--live", "--interval", str(args.live_seconds), "--url", url],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        walls, officers = Client(web.base), Client(web.base)
        walls.sign_in("bench_wall", PASSWORD)
        officers.sign_in("bench_duty", PASSWORD)
        recorder = Recorder()
        stop = time.time() + args.seconds
        memory_start = worker_memory(web.process.pid)
        threads = [threading.Thread(target=wall, args=(walls, stop, recorder)) for _ in range(args.walls)]
        threads += [threading.Thread(target=officer, args=(officers, stop, recorder)) for _ in range(args.officers)]
        started = time.time()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.time() - started
        memory_end = worker_memory(web.process.pid)
        print(f"\n{args.walls} walls + {args.officers} officers, {args.workers} workers, new data every "
              f"{args.live_seconds} s, {elapsed:.0f} s, "
              f"{recorder.count} requests ({recorder.count / elapsed:.1f}/s), {len(recorder.errors)} errors")
        for kind, samples in sorted(recorder.samples.items()):
            p50, p95 = percentiles(samples)
            print(f"  {kind:28} n={len(samples):6}  p50 {p50 * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms")
        print(f"  worker RSS start {['%.0f MB' % m for m in memory_start]}  end {['%.0f MB' % m for m in memory_end]}")
        for error in recorder.errors[:10]:
            print("  error:", error)
    finally:
        live.terminate()
        web.stop()


if __name__ == "__main__":
    main()
