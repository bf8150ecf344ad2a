"""The warnings engine over the whole city: read every indicator's current value, judge, persist.

    .venv/bin/python bench/bench_warnings.py [--scale 1] [--rounds 30]

Goal (issue 5): ≤ 200 ms for the whole city.
"""
from __future__ import annotations

import argparse
import time

from common import bench_database, ms, percentiles


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    url, _ = bench_database(args.scale)
    from data.alerts import evaluate_warnings

    evaluate_warnings(url)
    samples = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        summary = evaluate_warnings(url)
        samples.append(time.perf_counter() - started)
    p50, p95 = percentiles(samples)
    print(f"warnings evaluation, scale {args.scale:g}: p50 {ms(p50)}  p95 {ms(p95)}  ({summary.get('open', 0)} open)")


if __name__ == "__main__":
    main()
