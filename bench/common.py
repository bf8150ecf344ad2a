"""Shared by the benchmarks: a generated database at a scale, reused between runs."""
from __future__ import annotations

import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
BENCH_VAR = ROOT / "var" / "bench"
BENCH_END = date(2026, 11, 25)


def bench_database(scale: float, url: str | None = None, days: int | None = None) -> tuple[str, Path]:
    """An SQLite file (or the given URL) holding demo data at `scale`, generated once and reused."""
    from sqlalchemy import text

    from core.settings import override_settings
    from data.db import get_engine

    folder = BENCH_VAR / f"scale_{scale:g}"
    folder.mkdir(parents=True, exist_ok=True)
    url = url or f"sqlite:///{folder / 'cockpit.db'}"
    override_settings(database_url=url, var_dir=folder / "var", demo_end=BENCH_END, auth_required=False)
    try:
        with get_engine(url).connect() as conn:
            ready = conn.execute(text("SELECT value FROM data_meta WHERE key='scale'")).scalar()
    except Exception:
        ready = None
    if ready is None or float(ready) != scale:
        from data.alerts import evaluate_warnings
        from data.generator import generate

        started = time.perf_counter()
        generate(url, scale=scale, end=BENCH_END, days=days)
        evaluate_warnings(url)
        print(f"generated scale {scale:g} in {time.perf_counter() - started:.1f} s", flush=True)
    return url, folder


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return p50, p95


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"
