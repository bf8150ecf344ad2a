"""The views people open first are computed in the background when the data change, once per data
version, so the first drill into a county is answered from the cache; then the views one click away
from them, so that a first cross-filter is answered from the cache too."""
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
def first_views_only():
    """Warming of the first views alone (seconds, not the half minute the views a click away take)."""
    before = get_settings().prewarm_clicks
    override_settings(prewarm_clicks=False)
    yield
    override_settings(prewarm_clicks=before)


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


def test_a_county_is_answered_from_the_cache_once_warmed_and_again_after_new_data(demo_env, warm_cache,
                                                                                   first_views_only):
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


def test_warming_again_renews_entries_rather_than_reading_them(demo_env, warm_cache, first_views_only):
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


def test_an_entry_many_views_share_is_renewed_once_per_warming(warm_cache):
    """A warming computes each entry anew once: a view one click away shares most of its figures
    with the view it was clicked from, and reads them as that view's warming renewed them."""
    from data.cache import cached, refreshing

    calls = []

    @cached
    def scenic_spot_load(spot: int) -> int:
        calls.append(spot)
        return spot * 10

    with warm_cache.app_context():
        assert scenic_spot_load(1) == 10 and scenic_spot_load(1) == 10
        assert calls == [1]  # memoized
        token = refreshing.set(set())
        try:
            assert scenic_spot_load(1) == 10 and scenic_spot_load(1) == 10 and scenic_spot_load(2) == 20
        finally:
            refreshing.reset(token)
        assert calls == [1, 1, 2]  # renewed once, although asked for twice; the other computed once


def test_the_views_one_click_away_are_each_filter_the_first_views_offer(demo_env, warm_cache, first_views_only):
    from callbacks.panels import fill
    from callbacks.prewarm import MAX_POINT_VIEWS, one_click_views, prewarm_once, prewarm_views
    from callbacks.state import data_days

    prewarm_once(warm_cache)
    views = prewarm_views(data_days()[0])
    city = next(v for v in views if v.page == "/environment" and v.region == "341000" and not v.screen)
    with warm_cache.app_context():
        (_, ranking), = [(f, f.targets) for f in fill([("bars", {"type": "bars", "id": "env.stations"}, None)],
                                                        city, refresh=False)]
        clicked = one_click_views(city)
    # every station of the ranking, every pollutant; each view is the city's with one value chosen
    stations = {v.filter_values("station") for v in clicked if v.filter_values("station")}
    assert stations == {(key,) for key in ranking} and len(stations) >= 5
    assert {v.filter_values("pollutant") for v in clicked if v.filter_values("pollutant")} == {
        (p,) for p in ("pm25", "pm10", "o3", "no2", "so2", "co")}
    assert all(v.region == city.region and v.start == city.start and v.end == city.end for v in clicked)
    assert all(sum(len(values) for _, values in v.filters) == 1 for v in clicked)
    assert len(set(clicked)) == len(clicked) and city not in clicked
    # a county's traffic map offers its few segments and lots; the counties are no views a click away
    # here (a drill leads to a first view), nor are the incident desk's links
    county = next(v for v in views if v.page == "/traffic" and v.region == "341003" and not v.screen)
    with warm_cache.app_context():
        from callbacks.panels import map_content

        points = map_content("traffic.map", county).content["points"]["features"]
        clicked = one_click_views(county)
    assert 0 < len(points) <= MAX_POINT_VIEWS
    keyed = {f"{dimension}-{values[0]}" for v in clicked for dimension, values in v.filters
             if dimension in ("segment", "lot")}
    assert {point["properties"]["key"] for point in points} <= keyed
    assert all(v.region == "341003" for v in clicked)


def test_a_first_cross_filter_reads_nothing_from_the_database_once_warmed(demo_env, warm_cache, monkeypatch):
    """What a duty officer clicks first — a station on the city's environment page, a segment in a
    county's traffic — is filled from the cache alone, every panel of it."""
    from test_panel_fill import checkouts_while, requested

    from callbacks import state
    from callbacks.panels import fill
    from callbacks.prewarm import one_click_views, prewarm_once, prewarm_views
    from callbacks.state import data_days

    # the data version and days are re-read every few seconds, whatever the fill; not while this runs
    monkeypatch.setattr(cache_module, "VERSION_TTL_SECONDS", 3600.0)
    monkeypatch.setattr(state, "DATA_DAYS_TTL_SECONDS", 3600.0)
    views = prewarm_views(data_days()[0])
    assert prewarm_once(warm_cache) > len(views) * 10
    city = next(v for v in views if v.page == "/environment" and v.region == "341000" and not v.screen)
    county = next(v for v in views if v.page == "/traffic" and v.region == "341021" and not v.screen)
    with warm_cache.app_context():
        station = next(v for v in one_click_views(city) if v.filter_values("station"))
        segment = next(v for v in one_click_views(county) if v.filter_values("segment"))
        for view in (station, segment):
            checkouts, results = checkouts_while(demo_env["url"],
                                                 lambda: fill(requested(view.page), view, refresh=False))
            assert checkouts == 0, view
            assert all(result.hash for result in results)
