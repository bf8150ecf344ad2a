"""Command line of the demo-data generator.

    python -m data.generate [--scale 1] [--seed N] [--years 3 | --days N] [--end YYYY-MM-DD]
                            [--url DB_URL] [--root ADCODE] [--live [--interval 5]]

Without --live: replace the generated data with a fresh history and print what was written
(the summary tables of data/summaries.py included). With --live: keep the data moving, a tick
every --interval seconds (the history is generated first when the database has none); each tick
keeps the summaries of the days it changes in step. The database and the region default to the
app's settings (DATABASE_URL, COCKPIT_REGION).
"""
from __future__ import annotations

import argparse
import logging
import sys
from datetime import date
from pathlib import Path

from core.settings import get_settings
from data.generator import generate, has_data, run_live


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m data.generate",
        description="Generate realistic demo data for the cockpit's region (and keep it moving with --live).")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiplies incidents, device calls and the counts of roads, parking lots, "
                             "pollution sources, care institutions and hazard sources (default 1)")
    parser.add_argument("--seed", type=int, default=20211, help="random seed (default 20211)")
    span = parser.add_mutually_exclusive_group()
    span.add_argument("--years", type=int, default=3, help="years of history (default 3)")
    span.add_argument("--days", type=int, help="days of history instead of years")
    parser.add_argument("--end", type=date.fromisoformat, help="last day YYYY-MM-DD (default: today, up to now)")
    parser.add_argument("--url", help="database URL (default: the app's setting)")
    parser.add_argument("--root", help="region adcode, a city or a province (default: the app's setting)")
    parser.add_argument("--live", action="store_true", help="keep the data moving")
    parser.add_argument("--interval", type=float, default=5, help="seconds between live ticks (default 5)")
    return parser


def _progress(fraction: float, message: str) -> None:
    print(f"\r{fraction:6.1%}  {message}", end="", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    url = args.url or get_settings().db_url
    if not args.live or not has_data(url):
        report = generate(url, scale=args.scale, seed=args.seed, end=args.end, years=args.years, days=args.days,
                          root=args.root, progress=_progress)
        print(file=sys.stderr)
        width = max(map(len, report.rows))
        for table, rows in report.rows.items():
            print(f"{table:<{width}}  {rows:>12,}")
        print(f"{report.total_rows:,} rows, {report.first_day} … {report.last_day}, {report.seconds:.1f} s")
        if url.startswith("sqlite:///"):
            path = Path(url.split("///", 1)[1])
            print(f"database {path}: {path.stat().st_size / 1e6:,.0f} MB")
    if args.live:
        print(f"live mode: a tick every {args.interval:g} s (Ctrl-C stops)", file=sys.stderr)
        try:
            run_live(url, interval_seconds=args.interval)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
