"""The environment cockpit in a real headless Chromium: its numbers are the query layer's; a county
on the map drills, a station (bar, then map point) and a pollutant filter the air panels, an event
kind opens the incident desk — with no console error and no request to another host."""
from __future__ import annotations

import re
import time
from datetime import date

import pytest

from cockpit_dom import click_bar as click_mark, click_map_point, graph_data, wait_for_points
from conftest import DEMO_END
from core.viewstate import ViewState

pytestmark = pytest.mark.browser
CITY, HUANGSHAN_DISTRICT = "341000", "341003"
LAST_WEEK = ViewState(region=CITY, start=date(2026, 11, 19), end=DEMO_END)
RANGE_CODES = ("env.aqi", "env.good_days", "env.pm25", "env.water_attainment", "env.source_online_rate",
               "env.source_exceedances")
REL = 1e-5  # cards carry 6 significant digits (data-value)


def graph(page, panel_id: str) -> list[dict] | None:
    """The traces a panel's chart draws (x, y, customdata), read from the page; None until drawn."""
    return graph_data(page, panel_id) or None


def eventually(check, timeout: float = 20.0):
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


def close(a, b) -> bool:
    return abs(float(a) - float(b)) <= REL * max(abs(float(b)), 1)


def same(values, expected) -> bool:
    values, expected = list(values), list(expected)
    return len(values) == len(expected) and all(close(a, b) for a, b in zip(values, expected))


def data_value(page, selector: str) -> float:
    return float(page.locator(selector).first.get_attribute("data-value", timeout=15000))


def bars_show(page, panel_id: str, key_values: dict, axis: str = "x") -> bool:
    traces = graph(page, panel_id)
    if not traces:
        return False
    shown = dict(zip(traces[0]["customdata"], traces[0][axis]))
    return shown.keys() == key_values.keys() and all(close(shown[k], v) for k, v in key_values.items())


def click_bar(page, panel_id: str, key: str) -> None:
    """Click the bar whose customdata is `key`."""
    eventually(lambda: graph(page, panel_id) and key in graph(page, panel_id)[0]["customdata"])
    click_mark(page, panel_id, 0, key)


def check_headlines(page, view: ViewState) -> None:
    from data.queries.environment import latest_readings
    from data.queries.indicators import kpis

    expected = kpis(view, RANGE_CODES).set_index("indicator")["value"]
    for code in RANGE_CODES:
        eventually(lambda: close(data_value(page, f'[id="kpi-{code}"] .kpi-value'), expected[code]))
    now = latest_readings(view)["aqi"].mean()
    eventually(lambda: close(data_value(page, "#kpi-aqi-now .kpi-value"), now))


def test_drill_on_the_map_filter_by_station_and_pollutant_links_to_the_desk(page, demo_env):
    from data.queries.environment import air_trend, pollutant_summary, station_ranking

    page.goto(page.base + "/environment")
    page.locator('[id="kpi-env.aqi"]').wait_for()
    check_headlines(page, LAST_WEEK)
    ranking = station_ranking(LAST_WEEK)
    eventually(lambda: bars_show(page, "env.stations", dict(zip(ranking["station_id"].astype(str), ranking["value"]))))

    # drill: click 黄山区 on the map
    label = page.locator('[data-panel="env.map"] .cockpit-map-label', has_text="黄山区").first
    label.wait_for()
    box = label.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url(re.compile(rf"region={HUANGSHAN_DISTRICT}"))
    page.wait_for_function("() => document.querySelector('#breadcrumb .crumb.current').innerText === '黄山区'")
    county = LAST_WEEK.with_region(HUANGSHAN_DISTRICT)
    check_headlines(page, county)
    ranking = station_ranking(county)
    eventually(lambda: bars_show(page, "env.stations", dict(zip(ranking["station_id"].astype(str), ranking["value"]))))

    # cross-filter by a station: the trend shows it hour by hour, the pollutants are its own
    station = str(ranking.iloc[0]["station_id"])
    click_bar(page, "env.stations", station)
    page.wait_for_url(re.compile(rf"station={station}"))
    page.locator(".chip", has_text=ranking.iloc[0]["name"]).wait_for()
    chosen = county.set_filter("station", (station,))
    trend = air_trend(chosen)
    eventually(lambda: same(graph(page, "env.trend")[0]["y"], trend["value"]))
    pollutants = pollutant_summary(chosen)
    eventually(lambda: bars_show(page, "env.pollutants", dict(zip(pollutants["pollutant"], pollutants["iaqi"])),
                                 axis="y"))

    # cross-filter by a pollutant: stations rank by its concentration, the trend follows it
    click_bar(page, "env.pollutants", "o3")
    page.wait_for_url(re.compile(r"pollutant=o3"))
    page.locator(".chip", has_text="O₃").wait_for()
    both = chosen.set_filter("pollutant", ("o3",))
    ozone = station_ranking(county.set_filter("pollutant", ("o3",)))
    eventually(lambda: bars_show(page, "env.stations", dict(zip(ozone["station_id"].astype(str), ozone["value"]))))
    eventually(lambda: same(graph(page, "env.trend")[0]["y"], air_trend(both)["value"]))

    # the selected station is outlined on the county map; clicking its point takes it off again
    wait_for_points(page, "env.map", f"""points.filter(p => p.colour === '#f59f00' && p.weight === 3
        && p.fillOpacity === 0.85).map(p => p.key).join() === '{station}'""")
    click_map_point(page, "env.map", station)
    page.wait_for_function("() => !location.search.includes('station=')")
    ozone_trend = air_trend(county.set_filter("pollutant", ("o3",)))
    eventually(lambda: same(graph(page, "env.trend")[0]["y"], ozone_trend["value"]))

    # an event kind opens those events on the incident desk
    from data.queries.incidents import by_type

    events = by_type(ViewState(region=HUANGSHAN_DISTRICT, start=county.start, end=county.end,
                               filters=(("theme", ("environment",)),)))
    if not events.empty:
        kind = events.iloc[0]["type_code"]
        click_bar(page, "env.events", kind)
        page.wait_for_url(re.compile(r"/incidents\?"))
        for part in ("theme=environment", f"type={kind}", f"region={HUANGSHAN_DISTRICT}"):
            assert part in page.url
        eventually(lambda: page.locator(".range-picker input").first.input_value() == "2026-11-19")

    assert page.console_errors == []
    assert page.outside_requests == []


def test_month_view_water_grades_and_good_days(page, demo_env):
    from data.queries.environment import aqi_level_days, water_grades
    from data.queries.indicators import kpis

    view = ViewState(region=CITY, start=date(2026, 10, 1), end=date(2026, 10, 31))
    page.goto(page.base + "/environment?start=2026-10-01&end=2026-10-31")
    levels = aqi_level_days(view)
    eventually(lambda: same(graph(page, "env.levels")[0]["y"], levels["days"]))
    good = kpis(view, ("env.good_days",)).iloc[0]["value"]
    assert f"{good:.1f}%" in page.locator('[id="panel-env.levels"]').inner_text()
    water = water_grades(view)
    eventually(lambda: graph(page, "env.water") is not None)
    shown = page.locator('[id="panel-env.water"]').inner_text()
    for name in water["name"].unique():
        assert name in shown
    assert page.console_errors == []
    assert page.outside_requests == []
