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
