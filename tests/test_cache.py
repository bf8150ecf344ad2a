"""The query cache: Redis when configured, a file cache shared by the worker processes otherwise;
either way a change of data (version bump) is never hidden by a cached answer."""
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from core.viewstate import ViewState

ROOT = Path(__file__).resolve().parent.parent
VIEW = ViewState(region="341022", start=date(2026, 11, 1), end=date(2026, 11, 10))

WORKER = textwrap.dedent("""
    import sys
    from datetime import date
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from flask import Flask
    from core.settings import override_settings
    override_settings(database_url={url!r}, var_dir=Path({var!r}), cache_redis_url={redis!r})
    from data import cache
    from data.queries.indicators import kpis
    from core.viewstate import ViewState
    server = Flask("worker")
    cache.init_cache(server)
    with server.app_context():
        view = ViewState(region="341022", start=date(2026, 11, 1), end=date(2026, 11, 10))
        print(kpis(view, ("tourism.visitors",)).iloc[0]["value"])
""")


def run_worker(url: str, var: Path, redis: str = "") -> float:
    code = WORKER.format(root=str(ROOT), url=url, var=str(var), redis=redis)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return float(result.stdout.strip().splitlines()[-1])


def change(url: str, delta: float, bump_version: bool = True) -> None:
    """Add `delta` to a county's visitors of a day, as a load does (with the indicator summary of
    the day), and bump the data version unless told not to."""
    from data.db import get_engine
    from data.summaries import refresh_days

    with get_engine(url).begin() as conn:
        conn.execute(text("UPDATE region_daily SET value = value + :d WHERE indicator='tourism.visitors' "
                          "AND adcode='341022' AND day='2026-11-05'"), {"d": delta})
        refresh_days(conn, [date(2026, 11, 5)], tables=["summary_region_period"])
        if bump_version:
            conn.execute(text("UPDATE data_meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) "
                              "WHERE key='version'"))


@pytest.mark.parametrize("kind", ["file", "redis"])
def test_workers_share_the_cache_and_see_new_data(demo_env, tmp_path, kind):
    """Two worker processes: the second is answered from the first one's cache entry; after new
    data arrive (version bump), a third computes the new figure instead of the stale one."""
    redis = ""
    if kind == "redis":
        from services import require_redis

        redis = require_redis()
        import redis as redis_client

        redis_client.Redis.from_url(redis).flushdb()
    url = demo_env["url"]
    var = tmp_path / "var"
    first = run_worker(url, var, redis)
    # a cache entry now exists: tamper with the data without bumping the version, the cache answers
    change(url, 500, bump_version=False)
    assert run_worker(url, var, redis) == pytest.approx(first)
    change(url, 0)  # the loader and the generator bump the version with every write
    assert run_worker(url, var, redis) == pytest.approx(first + 500)
    change(url, -500)
    if kind == "file":
        assert any((var / "cache").iterdir())


def test_a_full_file_cache_is_pruned_in_one_pass_keeping_what_expires_last(tmp_path, monkeypatch):
    """Past its threshold the file cache removes what has expired and then what expires first, down
    to PRUNED_TO of the threshold, in one reading of its folder; the writes after it read no folder
    until it is full again (cachelib's own read every file on every write once full)."""
    import time

    from flask import Flask

    from data import cache as cache_module

    server = Flask("prune")
    server.config.update(CACHE_TYPE="data.cache.PrunedFileSystemCache", CACHE_DIR=str(tmp_path),
                         CACHE_THRESHOLD=50, CACHE_DEFAULT_TIMEOUT=3600)
    store = cache_module.Cache(server)
    backend = server.extensions["cache"][store]
    assert isinstance(backend, cache_module.PrunedFileSystemCache)
    clock = [1_000_000.0]
    # each entry written a second after the one before (cachelib reads the clock as `time`)
    monkeypatch.setattr(time, "time", lambda: clock[0])
    monkeypatch.setattr("cachelib.file.time", lambda: clock[0])
    scans = []
    listed = backend._list_dir
    monkeypatch.setattr(backend, "_list_dir", lambda: scans.append(1) or listed())
    store.set("expired", "gone", timeout=1)
    for number in range(50):
        clock[0] += 1
        store.set(f"entry {number}", number)
    assert scans == []  # at the threshold, not over it
    clock[0] += 1
    store.set("entry 50", 50)  # over: one pass before it is written
    assert len(scans) == 1
    assert len(list(listed())) == 41 and backend._file_count == 41  # 40 kept, and the entry written
    assert store.get("expired") is None and all(store.get(f"entry {number}") is None for number in range(10))
    assert all(store.get(f"entry {number}") == number for number in range(10, 51))
    for number in range(51, 61):
        clock[0] += 1
        store.set(f"entry {number}", number)
    assert len(scans) == 1  # ten writes later, still one pass
