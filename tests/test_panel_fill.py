"""The page's one fill request reads every panel on at most two database connections (one per thread
that fills panels), and none when the cache answers everything (each checkout costs PostgreSQL a
round trip)."""
from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from sqlalchemy import event

from conftest import demo_database
from core.settings import get_settings, override_settings
from data import cache as cache_module

COCKPITS = ("/", "/tourism", "/environment", "/traffic", "/safety", "/eldercare")


@pytest.fixture(autouse=True)
def cockpits(demo_env):
    import app  # noqa: F401  registers the pages and their panels


def requested(page: str) -> list[tuple[str, dict, None]]:
    from core.panels import PAGE_PANELS

    return [(panel.kind, {"type": panel.kind, "id": panel.id}, None) for panel in PAGE_PANELS[page]]


def checkouts_while(url: str, action) -> tuple[int, object]:
    from data.db import get_engine

    engine = get_engine(url)
    count = []
    listener = lambda *args: count.append(1)  # noqa: E731
    event.listen(engine, "checkout", listener)
    try:
        result = action()
    finally:
        event.remove(engine, "checkout", listener)
    return len(count), result


@pytest.mark.parametrize("page", COCKPITS)
def test_a_page_fill_reads_on_a_connection_per_thread(backend, page):
    from callbacks.panels import fill
    from core.viewstate import ViewState

    view = ViewState(page=page, region="341003", start=date(2026, 1, 1), end=date(2026, 11, 25), scope="341000")
    checkouts, results = checkouts_while(backend, lambda: fill(requested(page), view, refresh=False))
    # SQLite: one thread; PostgreSQL: a helper thread beside it, on its own connection
    assert checkouts == 1 if backend.startswith("sqlite") else 1 <= checkouts <= 2
    # every panel was filled (none failed on the shared connection): content and a fingerprint
    assert len(results) == len(requested(page))
    assert all(result.hash for result in results), [r for r in results if not r.hash]


def test_a_fill_the_cache_answers_checks_out_no_connection(backend, tmp_path, monkeypatch):
    from callbacks import state
    from callbacks.panels import fill
    from core.viewstate import ViewState

    # the data version and days are re-read every few seconds, whatever the fill; not while this runs
    monkeypatch.setattr(cache_module, "VERSION_TTL_SECONDS", 3600.0)
    monkeypatch.setattr(state, "DATA_DAYS_TTL_SECONDS", 3600.0)

    before = get_settings()
    override_settings(var_dir=tmp_path)
    server = Flask("fill")
    cache_module.init_cache(server)
    cache_module.forget_data_version()
    try:
        view = ViewState(page="/tourism", region="341000", start=date(2026, 11, 19), end=date(2026, 11, 25),
                         scope="341000")
        graphs = [item for item in requested("/tourism") if item[0] == "graph"]  # HTML is not memoized
        with server.app_context():
            first, _ = checkouts_while(backend, lambda: fill(graphs, view, refresh=False))
            again, results = checkouts_while(backend, lambda: fill(graphs, view, refresh=False))
        assert 1 <= first <= 2 and again == 0
        assert all(result.hash for result in results)
    finally:
        cache_module._configured = False
        override_settings(var_dir=before.var_dir)


def test_a_map_moves_on_a_drill_and_stays_put_on_a_cross_filter(demo_env):
    """Choosing a spot outlines it on the county map where it is, sending only the selection;
    drilling to another county flies the map there (a flight on every filter would move the points
    under the pointer)."""
    from dash import no_update

    from callbacks.panels import fill
    from core.viewstate import ViewState
    from data.regions import region_tree

    ident = {"type": "map", "id": "tourism.map"}
    county = ViewState(page="/tourism", region="341023", start=date(2026, 11, 19), end=date(2026, 11, 25))
    (first,) = fill([("map", ident, None)], county, refresh=False)
    assert first.content["viewport"]["bounds"] == region_tree().bounds("341023")

    (filtered,) = fill([("map", ident, first.hash)], county.set_filter("spot", ("3",)), refresh=False)
    assert filtered.content["viewport"] is no_update
    assert filtered.content["points_hideout"] == {"selected": ["3"]}  # the point is outlined in place
    assert filtered.hash != first.hash
    # the county's outline, colours and points are what the page shows: only the selection is sent
    assert first.content["points"]["features"]
    assert all(filtered.content[part] is no_update for part in ("url", "hideout", "points"))

    (again,) = fill([("map", ident, filtered.hash)], county, refresh=False)  # the chip removed
    assert again.content["points_hideout"] == {"selected": []}
    assert again.content["points"] is no_update

    (unknown,) = fill([("map", ident, "an-old-fingerprint")], county, refresh=False)  # sends it all
    assert unknown.content["points"] == first.content["points"] and unknown.content["viewport"] is not no_update

    (elsewhere,) = fill([("map", ident, filtered.hash)], county.with_region("341021"), refresh=False)
    assert elsewhere.content["viewport"]["bounds"] == region_tree().bounds("341021")


@pytest.mark.parametrize("page", COCKPITS)
def test_two_threads_fill_each_panel_as_it_is_filled_alone(request, page):
    """On PostgreSQL the page's panels filled by two threads at once show what each shows filled on
    its own (a single panel is filled without the helper thread)."""
    from callbacks.panels import fill
    from core.viewstate import ViewState

    view = ViewState(page=page, region="341021", start=date(2026, 11, 1), end=date(2026, 11, 25), scope="341000")
    with demo_database(request, "postgresql") as url:
        checkouts, together = checkouts_while(url, lambda: fill(requested(page), view, refresh=False))
        alone = [fill([item], view, refresh=False)[0] for item in requested(page)]
    assert checkouts == 2  # the helper thread read on its own connection
    assert [filled.hash for filled in together] == [filled.hash for filled in alone]
    assert all(filled.hash for filled in together)


def test_a_fill_beside_another_is_filled_by_one_thread(backend, monkeypatch):
    """Under load the cores are busy with other requests: a fill that starts while another is running
    in the process gets no helper thread (one connection), and shows the same."""
    from callbacks import panels
    from core.viewstate import ViewState

    view = ViewState(page="/traffic", region="341003", start=date(2026, 1, 1), end=date(2026, 11, 25), scope="341000")
    alone = panels.fill(requested("/traffic"), view, refresh=False)
    monkeypatch.setattr(panels, "_fills_running", 1)  # another fill is running
    checkouts, beside = checkouts_while(backend, lambda: panels.fill(requested("/traffic"), view, refresh=False))
    assert checkouts == 1
    assert [filled.hash for filled in beside] == [filled.hash for filled in alone]
    assert panels._fills_running == 1  # the fill counted itself in and out again


def test_a_station_filter_kept_by_a_drill_into_another_county_fills_every_panel(demo_env, caplog):
    """A station chosen in the city stays chosen when one drills into a county: where it has no
    readings, every panel still draws (the selected stations' card says "—", the pollutants draw
    no bar) instead of showing an error."""
    import logging

    from callbacks.panels import fill
    from callbacks.state import resolve_view
    from data.queries import environment

    stations = environment.station_ranking(resolve_view("/environment", "")).astype({"station_id": str})
    outside = stations.loc[stations["adcode"] != "341003", "station_id"].iloc[0]
    caplog.set_level(logging.ERROR, logger="cockpit.panels")
    view = resolve_view("/environment", f"?region=341003&station={outside}")
    filled = fill(requested("/environment"), view, refresh=False)
    assert not [r.getMessage() for r in caplog.records if "failed" in r.getMessage()]
    assert all(item.content is not None for item in filled)


@pytest.mark.parametrize("page", COCKPITS)
def test_a_filter_chosen_in_the_city_fills_every_panel_of_each_county(demo_env, caplog, page):
    """Each cross-filter a click on the city's page can set (a value its chart shows) stays set
    when one drills into a county, where it may hold nothing: every panel of every county still
    draws, none shows an error."""
    import logging

    from callbacks.clicks import figure_values
    from callbacks.panels import fill, figure_view, graph_content
    from callbacks.state import resolve_view
    from core.panels import PAGE_PANELS, CrossFilter

    city = resolve_view(page, "")
    chosen = {}
    for panel in PAGE_PANELS[page]:
        if isinstance(panel.click, CrossFilter) and panel.figure is not None:
            values = figure_values(graph_content(panel.id, figure_view(panel, city))[0])
            if values:
                chosen.setdefault(panel.click.dimension, str(values[0]))
    assert chosen or page == "/", page
    caplog.set_level(logging.ERROR, logger="cockpit.panels")
    for dimension, value in chosen.items():
        for county in ("341003", "341021", "341024"):
            fill(requested(page), resolve_view(page, f"?region={county}&{dimension}={value}"), refresh=False)
    assert not [r.getMessage() for r in caplog.records if "failed" in r.getMessage()], chosen
