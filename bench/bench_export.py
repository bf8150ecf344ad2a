"""Export timings against the goals of the "Export for reports" issue.

    .venv/bin/python bench/bench_export.py

Goals: panel PNG ≤ 1 s with the browser warm; CSV and XLSX of a 10 000-row frame ≤ 300 ms each;
PPTX of 8 panels ≤ 10 s. Needs the system Chromium for the image figures.
"""
from __future__ import annotations

import statistics
import sys
import time
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.export import (ExportMeta, SlideSpec, render_report, renderer_available,  # noqa: E402
                         to_csv, to_png, to_pptx, to_xlsx, warm_up_renderer)

COUNTIES = ["屯溪区", "黄山区", "徽州区", "歙县", "休宁县", "黟县", "祁门县"]


def timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def line(name: str, values: list[float], goal: float) -> None:
    p50, p95 = statistics.median(values), percentile(values, 95)
    verdict = "ok" if p95 <= goal else "OVER GOAL"
    print(f"{name:<34} p50 {p50 * 1000:8.1f} ms   p95 {p95 * 1000:8.1f} ms   "
          f"(n={len(values)}, goal ≤ {goal * 1000:.0f} ms: {verdict})")


def sample_frame(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    days = pd.date_range("2024-01-01", periods=rows // len(COUNTIES) + 1, freq="D")
    frame = pd.DataFrame({
        "日期": np.repeat(days, len(COUNTIES))[:rows],
        "区县": (COUNTIES * (rows // len(COUNTIES) + 1))[:rows],
        "接待游客": rng.integers(1_000, 80_000, rows),
        "旅游收入": rng.normal(500, 120, rows).round(2),
        "过夜率": rng.uniform(0, 1, rows).round(4),
    })
    return frame


def sample_figures() -> list[go.Figure]:
    days = pd.date_range("2026-01-01", periods=365, freq="D")
    rng = np.random.default_rng(1)
    trend = go.Figure(go.Scatter(x=days, y=rng.integers(5_000, 60_000, len(days)), mode="lines",
                                 name="接待游客"))
    ranking = go.Figure(go.Bar(x=COUNTIES, y=rng.integers(10_000, 90_000, len(COUNTIES))))
    share = go.Figure(go.Pie(labels=COUNTIES, values=rng.integers(1, 100, len(COUNTIES))))
    return [trend, ranking, share]


def main() -> None:
    meta = ExportMeta(title="客流监测", cockpit="文旅", region_name="黄山市", region_path="安徽省 › 黄山市",
                      start=date(2026, 11, 1), end=date(2026, 11, 7), filters=[("景区", "宏村")],
                      source="市文化和旅游局", generated_at=datetime.now().replace(microsecond=0),
                      units={"接待游客": "人次", "旅游收入": "万元"}, user="bench")

    frame = sample_frame(10_000)
    line("CSV, 10 000 rows", timed(lambda: to_csv(frame, meta), 30), 0.3)
    line("XLSX, 10 000 rows", timed(lambda: to_xlsx(frame, meta), 30), 0.3)

    if not renderer_available():
        print("no Chromium: image, PPTX and PDF timings skipped")
        return
    start = time.perf_counter()
    warm_up_renderer()
    print(f"{'browser start (once per process)':<34} {(time.perf_counter() - start) * 1000:8.1f} ms")

    figures = sample_figures()
    to_png(figures[0], meta)  # first render loads the page's fonts
    rotation = iter(range(10**6))  # a trend, a ranking and a pie chart in turn
    line("panel PNG 3200×1800, warm",
         timed(lambda: to_png(figures[next(rotation) % len(figures)], meta), 20), 1.0)

    slides = [SlideSpec(f"面板{i + 1}", figures[i % len(figures)],
                        [("接待游客", "6.9 万人次"), ("同比", "+12.3%"), ("环比", "-2.1%")])
              for i in range(8)]
    report = replace(meta, title="文旅驾驶舱报告")
    line("PPTX, 8 panels", timed(lambda: to_pptx(slides, report), 3), 10.0)
    line("PPTX + PDF job, 8 panels", timed(lambda: render_report(slides, report), 3), 10.0)


if __name__ == "__main__":
    main()
