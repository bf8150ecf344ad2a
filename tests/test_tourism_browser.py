"""The tourism cockpit in a real headless Chromium: its numbers are the query layer's; a bar drills
into a county, a spot filters the visitor panels (by its bar, and off again by its map point), a
province shows its cities, a complaint kind opens the incident desk — with no console error and no
request to another host."""
from __future__ import annotations

import re
import time
from datetime import date

import pytest

from cockpit_dom import click_bar as click_mark, click_map_point, graph_data, hover_map_point, wait_for_points
from conftest import DEMO_END
from core.viewstate import ViewState

pytestmark = pytest.mark.browser
CITY, YI = "341000", "341023"
LAST_WEEK = ViewState(region=CITY, start=date(2026, 11, 19), end=DEMO_END)
RANGE_CODES = ("tourism.visitors", "tourism.revenue", "tourism.hotel_occupancy", "tourism.complaints")
HONGCUN = "3"  # 宏村, in 黟县


def graph(page, panel_id: str) -> list[dict] | None:
    """The traces a panel's chart draws (x, y, customdata), read from the page; None until drawn."""
    return graph_data(page, panel_id) or None


def eventually(check, timeout: float = 20.0):
    """Poll until `check()` returns a truthy value (the page updates asynchronously)."""
    deadline = time.time() + timeout
    while True:
        try:
            result = check()
            if result:
                return result
        except (AssertionError, TypeError, KeyError, IndexError, ValueError):
            if time.time() > deadline:
                raise
        if time.time() > deadline:
            raise AssertionError("the page did not show the expected values in time")
        time.sleep(0.25)


# Cards carry 6 significant digits (data-value), so numbers are compared to 1e-5.
REL = 1e-5


def same(values, expected, rel: float = REL) -> bool:
    values, expected = list(values), list(expected)
    return len(values) == len(expected) and all(
        abs(float(a) - float(b)) <= rel * max(abs(float(b)), 1) for a, b in zip(values, expected))


def data_value(page, selector: str) -> float | None:
    raw = page.locator(selector).first.get_attribute("data-value", timeout=15000)
    return float(raw) if raw not in (None, "") else None


def bars_show(page, panel_id: str, key_values: dict, trace: int = 0, value_axis: str = "x") -> bool:
    """Whether a panel's bars carry exactly these customdata → value pairs."""
    traces = graph(page, panel_id)
    if not traces:
        return False
    shown = dict(zip(traces[trace]["customdata"], traces[trace][value_axis]))
    return shown.keys() == key_values.keys() and all(
        abs(shown[k] - v) <= REL * max(abs(v), 1) for k, v in key_values.items())


def click_bar(page, panel_id: str, key: str) -> None:
    """Click the bar whose customdata is `key`."""
    eventually(lambda: graph(page, panel_id) and key in graph(page, panel_id)[0]["customdata"])
    click_mark(page, panel_id, 0, key)


def check_headlines(page, view: ViewState) -> None:
    from data.queries.indicators import kpis
    from data.queries.tourism import period_totals

    expected = kpis(view, RANGE_CODES).set_index("indicator")["value"]
    for code in RANGE_CODES:
        eventually(lambda: abs(data_value(page, f'[id="kpi-{code}"] .kpi-value') - expected[code])
                   <= REL * max(abs(expected[code]), 1))
    totals = period_totals(view).set_index(["indicator", "period"])["value"]
    for code, card in (("tourism.visitors", "period-visitors"), ("tourism.revenue", "period-revenue")):
        for period in ("day", "month", "year"):
            assert data_value(page, f"#{card}-{period}") == pytest.approx(totals[(code, period)], rel=REL)


def test_drill_by_bar_filter_by_spot_and_map_point_links_to_the_desk(page, demo_env):
    from data.queries.tourism import origin_cities, selected_spots_arrivals, spot_hours, spot_load, visitor_trend

    page.goto(page.base + "/tourism")
    page.locator('[id="kpi-tourism.visitors"]').wait_for()
    check_headlines(page, LAST_WEEK)
    city_loads = spot_load(LAST_WEEK)
    eventually(lambda: bars_show(page, "tourism.spot_load", dict(zip(city_loads["spot_id"].astype(str),
                                                                     city_loads["load"]))))
    assert data_value(page, "#kpi-crowd .kpi-value") == (city_loads["load"] >= 80).sum()

    # drill: the 黟县 bar of hotel occupancy scopes the whole page to the county
    click_bar(page, "tourism.hotels", YI)
    page.wait_for_url(re.compile(rf"region={YI}"))
    page.wait_for_function("() => document.querySelector('#breadcrumb .crumb.current').innerText === '黟县'")
    county = LAST_WEEK.with_region(YI)
    check_headlines(page, county)
    loads = spot_load(county)
    eventually(lambda: bars_show(page, "tourism.spot_load", dict(zip(loads["spot_id"].astype(str), loads["load"]))))

    # cross-filter: the 宏村 bar narrows the trend, the hours and the headline to its arrivals
    click_bar(page, "tourism.spot_load", HONGCUN)
    page.wait_for_url(re.compile(rf"spot={HONGCUN}"))
    page.locator(".chip", has_text="宏村").wait_for()
    chosen = county.set_filter("spot", (HONGCUN,))
    trend = visitor_trend(chosen)
    eventually(lambda: same(graph(page, "tourism.trend")[0]["y"], trend["value"]))
    hours = spot_hours(chosen)
    eventually(lambda: same([0 if v is None or v != v else v for v in graph(page, "tourism.hours")[0]["y"]],
                            hours["arrivals"].fillna(0)))  # hours still to come are gaps
    arrivals = selected_spots_arrivals(chosen)["value"]
    eventually(lambda: data_value(page, "#kpi-selected-spots .kpi-value") == pytest.approx(arrivals, rel=REL))
    check_headlines(page, county)  # the region's headlines are not filtered away

    # the selected spot is outlined on the county map, above a neighbouring spot (drawn over it before);
    # clicking its point takes the filter off again
    wait_for_points(page, "tourism.map", f"""points.filter(p => p.colour === '#f59f00' && p.weight === 3
        && p.fillOpacity === 0.85).map(p => p.key).join() === '{HONGCUN}'""")
    assert "宏村" in hover_map_point(page, "tourism.map", HONGCUN)  # each point names itself
    page.mouse.move(5, 5)  # away: the tooltip goes; back: it comes again (it is made at the first hover)
    page.wait_for_function("() => !document.querySelector('[data-panel=\"tourism.map\"] .leaflet-tooltip')")
    assert "宏村" in hover_map_point(page, "tourism.map", HONGCUN)
    click_map_point(page, "tourism.map", HONGCUN)
    page.wait_for_function("() => !location.search.includes('spot=')")
    trend = visitor_trend(county)
    eventually(lambda: same(graph(page, "tourism.trend")[0]["y"], trend["value"]))
    eventually(lambda: page.locator("#kpi-selected-spots").count() == 0)

    # a province shows its cities
    click_bar(page, "tourism.origin_provinces", "浙江省")
    page.wait_for_url(re.compile(r"origin="))
    cities = origin_cities(county.set_filter("origin", ("浙江省",))).head(12)
    eventually(lambda: list(graph(page, "tourism.origin_cities")[0]["customdata"]) == list(cities["label"])[::-1])

    # a complaint kind opens those complaints on the incident desk, region and time kept
    from data.queries.incidents import by_type

    complaints = by_type(ViewState(region=YI, start=county.start, end=county.end, filters=(("theme", ("tourism",)),)))
    if not complaints.empty:
        kind = complaints.iloc[0]["type_code"]
        click_bar(page, "tourism.complaints", kind)
        page.wait_for_url(re.compile(r"/incidents\?"))
        for part in ("theme=tourism", f"type={kind}", f"region={YI}"):
            assert part in page.url
        # the range is the cockpit's (the default week is left out of links, so check the header)
        eventually(lambda: page.locator(".range-picker input").first.input_value() == "2026-11-19")

    assert page.console_errors == []
    assert page.outside_requests == []


def test_golden_week_deep_link_shows_crowd_warnings_and_holidays(page, demo_env):
    from data.queries.tourism import holiday_comparison, spot_load

    view = ViewState(region=CITY, start=date(2026, 9, 20), end=date(2026, 10, 3))
    page.goto(page.base + "/tourism?start=2026-09-20&end=2026-10-03")
    loads = spot_load(view)
    eventually(lambda: data_value(page, "#kpi-crowd .kpi-value") == (loads["load"] >= 80).sum())
    assert data_value(page, "#crowd-full") == (loads["load"] >= 100).sum() > 0
    assert "红色预警" in page.locator("#kpi-crowd").inner_text()
    holidays = holiday_comparison(view)
    eventually(lambda: same(graph(page, "tourism.holidays")[1]["y"], holidays["visitors"]))
    # the 国庆 and 中秋 breaks are shaded on the trend
    trend_text = page.locator('[id="panel-tourism.trend"]').inner_text()
    assert "国庆节" in trend_text and "中秋节" in trend_text
    assert page.console_errors == []
    assert page.outside_requests == []
