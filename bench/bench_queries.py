"""Speed of the query layer: every call a cockpit makes, on SQLite and on PostgreSQL (issue 2).

    .venv/bin/python bench/bench_queries.py [--scale 1] [--database sqlite|postgresql|both] [--days N]
                                            [--rounds 3] [--warmup full|light] [--pages / ...] [--show]

    e.g. nice -n 10 .venv/bin/python bench/bench_queries.py --scale 100 --days 400 --database postgresql \
             --rounds 1 --warmup light

For every page of core.panels.PAGE_PANELS, uncached (the query cache off, as on a cold cache):
  * each panel's `panel.data(view)`;
  * for a map panel, its region colours `components.mapping.region_values(panel, view)` and its
    points `panel.map.points(...)` (at county level, and at city level where the map shows them);
over the city and three counties × 近7天 / 近30天 / 本年, plus one cross-filtered view per page (the
filter most of the page's panels read, with a value taken from the data). The calls of one view
share a database connection, as in the page's one fill request (callbacks/panels.fill). p50/p95 per call over
views × rounds, after one warm-up pass.
Goals: ≤ 30 ms p95 at 1×, ≤ 200 ms p95 at 100× (10× is judged against 200 ms too); peak memory
of the process serving the queries < 300 MB at 100×. Also reported: how long the data took to
generate and how big the database is.

Each database is generated (once, reused) in a process of its own and measured in another, so
the peak RSS is that of a process that only serves queries. PostgreSQL data lives in a database
per scale (cockpit_bench_<scale>), never in the one the test suite uses. Data of a scale is reused
whatever --days it was made with (the report says which): drop it to change the history.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from common import BENCH_END, BENCH_VAR, bench_database, generation_record, percentiles, postgres_bench_url

CITY = "341000"
COUNTIES = {"341003": "黄山区", "341021": "歙县", "341024": "祁门县"}
PRESETS = ("7d", "30d", "year")


def goal_ms(scale: float) -> float:
    return 30.0 if scale < 10 else 200.0


def database_url(database: str, scale: float) -> str | None:
    return postgres_bench_url(scale) if database == "postgresql" else None


# -- the views ---------------------------------------------------------------------------------
def filter_value(dimension: str) -> str:
    """A real value of a filter dimension, as a click would give it: the most common one in the data."""
    from datetime import timedelta

    from sqlalchemy import func, select

    from data.models import (
        AirStation,
        CareInstitution,
        HomeCareDaily,
        Incident,
        ParkingLot,
        RoadSegment,
        ScenicSpot,
        VisitorOriginDaily,
    )
    from data.queries.common import day_bounds, scalar

    since, until = day_bounds(BENCH_END - timedelta(days=29), BENCH_END)
    recent = Incident.reported_at.between(since, until)

    def most_common(column, *where):
        return select(column).where(*where).group_by(column).order_by(func.count().desc(), column).limit(1)

    statements = {
        "spot": select(ScenicSpot.id).order_by(ScenicSpot.capacity.desc(), ScenicSpot.id).limit(1),
        "station": select(func.min(AirStation.id)),
        "segment": select(func.min(RoadSegment.id)),
        "lot": select(func.min(ParkingLot.id)),
        "tier": most_common(CareInstitution.tier),
        "service": most_common(HomeCareDaily.kind, HomeCareDaily.day == BENCH_END),
        "origin": most_common(VisitorOriginDaily.origin_province, VisitorOriginDaily.day == BENCH_END),
        "type": most_common(Incident.type_code, recent),
        "source": most_common(Incident.source, recent),
        "severity": most_common(Incident.severity, recent),
        "status": most_common(Incident.status, recent),
    }
    fixed = {"pollutant": "pm25", "call": "fall", "theme": "safety", "hazard": "hazmat", "weekday": "0",
             "hour": "8", "overdue": "1"}
    if dimension in fixed:
        return fixed[dimension]
    return str(scalar(statements[dimension]))


def page_filter(panels) -> str | None:
    """The cross-filter dimension of a page that most of its queries read."""
    from core.panels import CrossFilter

    clickable = [c.dimension for p in panels for c in (p.click, p.map.point_click if p.map else None)
                 if isinstance(c, CrossFilter)]
    if not clickable:
        return None
    readers = Counter(d for p in panels for d in p.filters + (p.map.point_filters if p.map else ()))
    return max(dict.fromkeys(clickable), key=lambda d: readers[d])  # ties: the first clicked


def page_views(path: str, panels) -> list[tuple[str, object]]:
    from core.viewstate import ViewState, preset_range

    views = []
    for region in (CITY, *COUNTIES):
        for preset in PRESETS:
            start, end = preset_range(preset, BENCH_END)
            views.append((f"{region} {preset}", ViewState(page=path, region=region, start=start, end=end,
                                                          scope=CITY)))
    dimension = page_filter(panels)
    if dimension:
        value = filter_value(dimension)
        start, end = preset_range("30d", BENCH_END)
        view = ViewState(page=path, region=CITY, start=start, end=end, scope=CITY).set_filter(dimension, (value,))
        views.append((f"{CITY} 30d {dimension}={value}", view))
    return views


# -- the calls ---------------------------------------------------------------------------------
def page_calls(panels) -> list[tuple[str, object, object]]:
    """(name, call(view), applies(view)) for every query-layer call the page's panels make."""
    from components.mapping import region_values
    from core.viewstate import narrow
    from data.regions import region_tree

    tree = region_tree()

    def at_county(view):
        return tree.get(view.region).level == "county"

    calls = []
    for panel in panels:
        calls.append((panel.id, panel.data, lambda view: True))
        if panel.map is not None:
            calls.append((f"{panel.id} · regions", lambda view, p=panel: region_values(p, view), lambda view: True))
            if panel.map.points is not None:
                calls.append((f"{panel.id} · points",
                              lambda view, p=panel: p.map.points(narrow(view, p.map.point_filters)),
                              lambda view, p=panel: at_county(view) or p.map.points_at_city))
    return calls


def database_size(url: str) -> int:
    from sqlalchemy import text

    from data.db import get_engine

    engine = get_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar())
    path = Path(url.split("///", 1)[-1])
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def measure(scale: float, database: str, rounds: int, pages: list[str] | None, warmup: str = "full") -> dict:
    url, folder = bench_database(scale, database_url(database, scale))

    import app as _app  # noqa: F401  (registers the pages and panels in this process)
    from core.panels import PAGE_PANELS
    from data import cache as cache_module
    from data.queries.common import shared_connection

    cache_module._configured = False  # every call reaches the database
    load_before = os.getloadavg()[0]
    results = []
    for path, panels in PAGE_PANELS.items():
        if pages and path not in pages:
            continue
        views = page_views(path, panels)
        calls = page_calls(panels)
        samples: dict[str, list[tuple[float, str]]] = {name: [] for name, _, _ in calls}
        for round_number in range(rounds + 1):  # round 0 warms the connection pool and the page cache
            # a light warm-up (one view) leaves the database's cache cold for the others: for big data
            for label, view in (views[:1] if round_number == 0 and warmup == "light" else views):
                with shared_connection():  # as the page's one fill request reads its panels
                    for name, call, applies in calls:
                        if not applies(view):
                            continue
                        started = time.perf_counter()
                        call(view)
                        elapsed = time.perf_counter() - started
                        if round_number:
                            samples[name].append((elapsed, label))
        for name, timed in samples.items():
            p50, p95 = percentiles([t for t, _ in timed])
            slowest = max(timed)
            # 本年 reads up to 48 times the rows of 近7天: its share of the misses is worth seeing apart
            short = [t for t, label in timed if " year" not in label]
            year = [t for t, label in timed if " year" in label]
            results.append({"page": path, "call": name, "p50": p50, "p95": p95, "max": slowest[0],
                            "slowest_view": slowest[1], "n": len(timed),
                            "p95_short": percentiles(short)[1] if short else None,
                            "p95_year": percentiles(year)[1] if year else None})
        # saved page by page: at 100× a run takes long, and what it measured so far can be shown (--show)
        report_path(scale, database).write_text(json.dumps(
            {"scale": scale, "database": database, "results": results, "partial": True, "rounds": rounds,
             "warmup": warmup, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
             "size_bytes": 0, "generation_seconds": None, "days": None}, ensure_ascii=False, indent=1))
    peak_rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    record = generation_record(folder, url) or {}
    return {"scale": scale, "database": database, "results": results, "peak_rss_mb": peak_rss_kb / 1024,
            "size_bytes": database_size(url), "generation_seconds": record.get("seconds"),
            "days": record.get("days"), "rounds": rounds, "warmup": warmup,
            "load": (round(load_before, 1), round(os.getloadavg()[0], 1), os.cpu_count())}


# -- the report --------------------------------------------------------------------------------
def print_report(report: dict) -> None:
    scale, goal = report["scale"], goal_ms(report["scale"])
    if report.get("partial"):
        print("\n(partial: the run was still going or was stopped; pages measured so far)")
    print(f"\n== {report['database']} · scale {scale:g} · goal p95 ≤ {goal:g} ms · {report['rounds']} rounds"
          f" after a {report.get('warmup', 'full')} warm-up")
    generated, days = report["generation_seconds"], report["days"]
    history = f"{days} days" if days else "3 years"
    print("generation time  " + (f"{generated:.1f} s ({history})" if generated is not None
                                 else "not recorded (the data was generated before this script recorded it)"))
    print(f"database size    {report['size_bytes'] / 2**20:,.0f} MB")
    if report.get("load"):
        before, after, cpus = report["load"]
        print(f"machine load     {before} → {after} (1-min load average, {cpus} CPUs; other work on the machine "
              f"slows the figures)")
    print(f"{'call':40} {'p50':>8} {'p95':>8} {'max':>8}  {'verdict':7} {'p95 7d/30d':>10} {'p95 本年':>8}"
          f"  slowest view")
    over = 0
    page = None
    for row in report["results"]:
        if row["page"] != page:
            page = row["page"]
            page_rows = [r for r in report["results"] if r["page"] == page]
            print(f"-- {page}  (all calls, sum of p50: {sum(r['p50'] for r in page_rows) * 1000:.0f} ms)")
        ok = row["p95"] * 1000 <= goal
        over += not ok
        print(f"{row['call']:40} {_ms(row['p50'])} {_ms(row['p95'])} {_ms(row['max'])}  {'ok' if ok else 'OVER':7}"
              f"   {_ms(row.get('p95_short'))}   {_ms(row.get('p95_year'))}  {row['slowest_view']}")
    memory_goal = "" if scale < 100 else ("  ok (< 300 MB)" if report["peak_rss_mb"] < 300 else "  OVER (≥ 300 MB)")
    short_over = sum(1 for r in report["results"] if (r.get("p95_short") or 0) * 1000 > goal)
    print(f"calls over goal  {over} of {len(report['results'])}  (over on 近7天/近30天/filtered views alone: "
          f"{short_over})")
    print(f"peak RSS         {report['peak_rss_mb']:.0f} MB{memory_goal}", flush=True)


def _ms(seconds: float | None) -> str:
    return f"{'–':>8}" if seconds is None else f"{seconds * 1000:6.1f}ms"


def report_path(scale: float, database: str) -> Path:
    return BENCH_VAR / f"scale_{scale:g}" / f"queries-{database}.json"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--days", type=int, default=None, help="history to generate (default: 3 years)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pages", nargs="*", default=None)
    parser.add_argument("--warmup", choices=("full", "light"), default="full",
                        help="warm-up pass over every view (full) or over one view per page (light, for big data)")
    parser.add_argument("--show", action="store_true", help="print the last saved figures, measure nothing")
    parser.add_argument("--phase", choices=("generate", "measure"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phase == "generate":
        bench_database(args.scale, database_url(args.database, args.scale), days=args.days)
        return
    if args.phase == "measure":
        report = measure(args.scale, args.database, args.rounds, args.pages, args.warmup)
        report_path(args.scale, args.database).write_text(json.dumps(report, ensure_ascii=False, indent=1))
        return

    databases = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    if args.show:
        for database in databases:
            if report_path(args.scale, database).exists():
                print_report(json.loads(report_path(args.scale, database).read_text()))
        return
    me = [sys.executable, os.path.abspath(__file__), "--scale", f"{args.scale:g}"]
    for database in databases:
        generate = me + ["--database", database, "--phase", "generate"]
        if args.days:
            generate += ["--days", str(args.days)]
        subprocess.run(generate, check=True)
        run = me + ["--database", database, "--phase", "measure", "--rounds", str(args.rounds), "--warmup", args.warmup]
        if args.pages:
            run += ["--pages", *args.pages]
        subprocess.run(run, check=True)
        print_report(json.loads(report_path(args.scale, database).read_text()))


if __name__ == "__main__":
    main()
