"""The views people open first are computed in the background when the data change, once per data
version, so the first drill into a county is answered from the cache."""
from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import text

from core.settings import get_settings, override_settings
from data import cache as cache_module


@pytest.fixture(autouse=True)
def cockpits(demo_env):
    import app  # noqa: F401  registers the pages and their panels (after demo_env set the settings)


@pytest.fixture
def warm_cache(demo_env, tmp_path):
    """A cache of its own (the served apps of other tests warm theirs) on the demo database."""
    before = get_settings()
    override_settings(var_dir=tmp_path)
    server = Flask("prewarm")
    cache_module.init_cache(server)
    cache_module.forget_data_version()
    yield server
    cache_module._configured = False
    override_settings(var_dir=before.var_dir)


def bump_version(url: str) -> None:
    from data.db import get_engine

    with get_engine(url).begin() as conn:
        conn.execute(text("UPDATE data_meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) "
                          "WHERE key='version'"))
    cache_module.forget_data_version()


def test_every_cockpit_is_warmed_for_the_region_its_counties_and_the_wall(demo_env):
    from callbacks.prewarm import prewarm_views
    from callbacks.state import data_days

    views = prewarm_views(data_days()[0])
    desk = {(v.page, v.region) for v in views if not v.screen}
    assert {("/", "341000"), ("/", "341003"), ("/tourism", "341024"), ("/eldercare", "341021")} <= desk
    assert len(desk) == 6 * 8  # six cockpits × the city and its seven county units
    assert {v.page for v in views if v.screen} == {"/", "/tourism", "/environment", "/traffic", "/safety",
                                                  "/eldercare"}
    assert all(v.end == data_days()[0] and (v.end - v.start).days == 6 for v in views)


def test_a_county_is_answered_from_the_cache_once_warmed_and_again_after_new_data(demo_env, warm_cache):
    from callbacks.panels import figure_view, graph_content
    from callbacks.prewarm import prewarm_once, prewarm_views
    from callbacks.state import data_days
    from core.panels import PANELS

    views = prewarm_views(data_days()[0])
    county = next(v for v in views if v.page == "/" and v.region == "341003" and not v.screen)
    ranking = PANELS["overview.ranking"]
    with warm_cache.app_context():
        assert not cache_module.is_cached(graph_content.uncached, ranking.id, figure_view(ranking, county))
    assert prewarm_once(warm_cache) == len(views)
    with warm_cache.app_context():
        assert cache_module.is_cached(graph_content.uncached, ranking.id, figure_view(ranking, county))
    assert prewarm_once(warm_cache) == 0  # done for this data version: not again

    bump_version(demo_env["url"])
    with warm_cache.app_context():
        assert not cache_module.is_cached(graph_content.uncached, ranking.id, figure_view(ranking, county))
    assert prewarm_once(warm_cache) == len(views)
    with warm_cache.app_context():
        assert cache_module.is_cached(graph_content.uncached, ranking.id, figure_view(ranking, county))


def test_warming_again_renews_entries_rather_than_reading_them(demo_env, warm_cache):
    """While the data stay the same the views are warmed again after half the cache's lifetime; that
    warm computes and stores each entry anew (a read would let it expire on schedule)."""
    from callbacks.panels import figure_view, graph_content
    from callbacks.prewarm import prewarm_once, prewarm_views
    from callbacks.state import data_days
    from core.panels import PANELS
    from data.cache import cache, cache_key, code_version, data_version

    county = next(v for v in prewarm_views(data_days()[0]) if v.page == "/" and v.region == "341024")
    ranking = PANELS["overview.ranking"]
    assert prewarm_once(warm_cache) > 0
    with warm_cache.app_context():
        key = cache_key(graph_content.uncached, ranking.id, figure_view(ranking, county))
        good = cache.get(key)
        cache.set(key, ("an entry written long ago", None, []))
        cache.delete(f"prewarm:{data_version()}:{code_version()}")  # half the lifetime has passed
    assert prewarm_once(warm_cache) > 0
    with warm_cache.app_context():
        renewed = cache.get(key)
        assert renewed[0] != "an entry written long ago" and renewed[1] == good[1] and renewed[2] == good[2]
