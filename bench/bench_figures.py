"""Where a graph panel's server time goes: reading its data, building its figure, turning it into JSON.

    .venv/bin/python bench/bench_figures.py [--scale 1] [--database-url URL] [--pages / /traffic …] [--rounds 5]

For each graph panel of each page, at the city and at a county, the best of `rounds` for: the panel's
query (as the app runs it, the query cache on: from the second round it answers), its figure
builder, and the JSON the browser receives (to_plotly_json, margins fitted, click values read).
It explains the "uncached" column of bench_pages.py; it does not replace it.
"""
from __future__ import annotations

import argparse
import collections
import time

from common import bench_database, cpu_check


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--database-url")
    parser.add_argument("--pages", nargs="*", default=["/", "/tourism", "/environment", "/traffic", "/safety",
                                                       "/eldercare"])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    bench_database(args.scale, args.database_url)

    import pandas as pd

    import app as cockpit
    from callbacks.clicks import figure_values
    from callbacks.state import resolve_view
    from components.figures import empty_figure
    from components.margins import fit_margins
    from core.panels import PAGE_PANELS
    from data.regions import region_tree

    county = region_tree().counties()[0].adcode
    print(f"CPU check: 10^7 Python additions in {cpu_check():.2f} s (figures scale with it)")
    with cockpit.server.test_request_context("/"):
        for page in args.pages:
            for search in ("", f"?region={county}"):
                view = resolve_view(page, search)
                totals = collections.Counter()
                print(f"\n== {page}{search}\n{'panel':32} {'data':>9} {'figure':>9} {'json':>9}")
                for panel in PAGE_PANELS[page]:
                    if panel.figure is None:
                        continue
                    best = {}
                    for _ in range(args.rounds):
                        started = time.perf_counter()
                        frame = panel.data(view)
                        read = time.perf_counter()
                        empty = frame is None or (isinstance(frame, pd.DataFrame) and frame.empty)
                        figure = empty_figure("—") if empty else panel.figure(frame, view, panel)
                        built = time.perf_counter()
                        figure_values(fit_margins(figure.to_plotly_json()))
                        done = time.perf_counter()
                        for part, seconds in (("data", read - started), ("figure", built - read), ("json", done - built)):
                            best[part] = min(best.get(part, seconds), seconds)
                    totals.update(best)
                    print(f"{panel.id:32} " + " ".join(f"{best[p] * 1000:6.1f} ms" for p in ("data", "figure", "json")))
                print(f"{'all graph panels':32} " + " ".join(f"{totals[p] * 1000:6.1f} ms"
                                                             for p in ("data", "figure", "json")))


if __name__ == "__main__":
    main()
