"""Shared by the benchmarks: a generated database at a scale, reused between runs."""
from __future__ import annotations

import json
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


def cpu_check() -> float:
    """Seconds this machine takes for ten million Python additions, best of three. Shared virtual
    machines change speed from hour to hour (the same code measured twice as slow); figures taken
    at different times compare only alongside this."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for number in range(10_000_000):
            total += number
        best = min(best, time.perf_counter() - started)
    return best


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
        seconds = time.perf_counter() - started
        print(f"generated scale {scale:g} in {seconds:.1f} s", flush=True)
        # kept beside the data, so that a later run that reuses it can still report how long it took
        generation_record_path(folder, url).write_text(json.dumps(
            {"scale": scale, "days": days, "seconds": round(seconds, 1), "end": BENCH_END.isoformat()}))
    return url, folder


def generation_record_path(folder: Path, url: str) -> Path:
    return folder / f"generated-{url.split(':', 1)[0].split('+', 1)[0]}.json"


def generation_record(folder: Path, url: str) -> dict | None:
    """How the bench data at `url` was generated (scale, days, seconds), if this machine generated it."""
    path = generation_record_path(folder, url)
    return json.loads(path.read_text()) if path.exists() else None


def postgres_bench_url(scale: float, server: str = "postgresql+psycopg://postgres@127.0.0.1:5432") -> str:
    """A PostgreSQL database of its own for the bench data at `scale` (created if missing), so that
    benchmarks never touch the database the test suite uses."""
    from sqlalchemy import create_engine, text

    name = f"cockpit_bench_{scale:g}".replace(".", "_")
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar() is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return f"{server}/{name}"


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return p50, p95


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"
