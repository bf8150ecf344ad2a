"""The 智慧交通 cockpit in a real headless Chromium: drill into a county on the map, cross-filter by a
segment, an hour and a lot, open the incident desk from an incident type — each panel showing exactly
what the query layer returns for that view, with no console error and no request to another host."""
from __future__ import annotations

import re
from datetime import date

import pytest

from cockpit_dom import (click_bar, click_map_point, click_map_region, graph_data, wait_for_customdata, wait_for_kpi,
                         wait_for_points, wait_for_series)
from conftest import DEMO_END
from core.viewstate import ViewState

pytestmark = pytest.mark.browser
CITY = ViewState(region="341000", start=date(2026, 11, 19), end=DEMO_END)
SHEXIAN = "341021"


def test_drill_on_the_map_then_filter_by_segment_hour_and_lot(page, demo_env):
    from data.queries import traffic

    page.goto(page.base + "/traffic")
    city = traffic.kpis(CITY).set_index("key")["value"]
    wait_for_kpi(page, "kpi-congestion", city["traffic.congestion"])
    wait_for_kpi(page, "kpi-free-spaces", city["free_spaces"])
    wait_for_kpi(page, "kpi-traffic-incidents", city["incidents"])

    # drill: click 歙县 on the map; every headline follows, the map shows its segments and lots
    click_map_region(page, "歙县")
    page.wait_for_url(re.compile(rf"/traffic\?region={SHEXIAN}"))
    county = CITY.with_region(SHEXIAN)
    values = traffic.kpis(county).set_index("key")["value"]
    wait_for_kpi(page, "kpi-congestion", values["traffic.congestion"])
    wait_for_kpi(page, "kpi-free-spaces", values["free_spaces"])
    assert page.locator("#breadcrumb .crumb.current").inner_text() == "歙县"
    points = len(traffic.segments_now(county)) + len(traffic.parking_now(county))
    wait_for_points(page, "traffic.map", f"points.length === {points}")
    worst = traffic.worst_segments_now(county)
    wait_for_series(page, "traffic.worst", 0, "x", worst["congestion"][::-1], tolerance=1e-9)

    # cross-filter: the most congested segment now → hour profile, trend and heat map are its own
    segment = str(worst["segment_id"].iloc[0])
    click_bar(page, "traffic.worst", 0, segment)
    page.wait_for_url(re.compile(rf"segment={segment}"))
    page.locator(".chip", has_text=worst["name"].iloc[0]).wait_for()
    chosen = county.set_filter("segment", (segment,))
    wait_for_series(page, "traffic.hours", 0, "y", traffic.hour_profile(chosen)["congestion"])
    wait_for_series(page, "traffic.trend", 0, "y", traffic.congestion_trend(chosen)["value"])
    assert graph_data(page, "traffic.worst")[0]["x"] == pytest.approx(list(worst["congestion"][::-1]))  # not filtered
    # the chosen segment is outlined on the map, the others dimmed (only the choice was sent)
    wait_for_points(page, "traffic.map", f"""points.length === {points}
        && points.filter(p => p.colour === '#f59f00' && p.weight === 3).map(p => p.key).join() === 'segment-{segment}'
        && points.filter(p => p.fillOpacity === 0.25).length === {points - 1}""")

    # cross-filter: 08:00 on the hour profile → the segment ranking is of 8 o'clock
    click_bar(page, "traffic.hours", 0, "8")
    page.wait_for_url(re.compile(r"hour=8"))
    at_eight = traffic.segment_ranking(county.set_filter("hour", ("8",))).head(12)
    wait_for_series(page, "traffic.segments", 0, "x", at_eight["congestion"][::-1], tolerance=1e-9)
    wait_for_series(page, "traffic.trend", 0, "y",
                    traffic.congestion_trend(chosen.set_filter("hour", ("8",)))["value"])

    # cross-filter: a lot → the occupancy curve is that lot's
    lots = traffic.parking_now(county)
    lot = str(lots["lot_id"].iloc[0])
    wait_for_customdata(page, "traffic.parking", 0, f"c.includes('{lot}')")
    click_bar(page, "traffic.parking", 0, lot)
    page.wait_for_url(re.compile(rf"lot={lot}"))
    wait_for_series(page, "traffic.parking_trend", 0, "y",
                    traffic.parking_trend(county.set_filter("lot", (lot,)))["occupancy"])

    # one action clears the filters; the headlines never moved
    page.locator("#clear-filters").click()
    page.wait_for_function("() => !/segment=|hour=|lot=/.test(location.search)")
    wait_for_series(page, "traffic.hours", 0, "y", traffic.hour_profile(county)["congestion"])
    wait_for_kpi(page, "kpi-congestion", values["traffic.congestion"])

    # a lot on the map: its point leads where the lot's bar would (the URL comes from the map's template)
    placed = lots.dropna(subset=["lat", "lon"])
    other = str(placed["lot_id"].iloc[-1])
    click_map_point(page, "traffic.map", f"lot-{other}")
    page.wait_for_url(re.compile(rf"lot={other}$"))
    wait_for_series(page, "traffic.parking_trend", 0, "y",
                    traffic.parking_trend(county.set_filter("lot", (other,)))["occupancy"])

    assert page.console_errors == []
    assert page.outside_requests == []


def test_incident_counts_open_the_incident_desk_filtered_to_them(page, demo_env):
    from data.queries import traffic

    page.goto(page.base + f"/traffic?region={SHEXIAN}&start=2026-10-01&end=2026-11-24")
    view = ViewState(region=SHEXIAN, start=date(2026, 10, 1), end=date(2026, 11, 24))
    kinds = traffic.incidents_by_type(view)
    wait_for_series(page, "traffic.incidents", 0, "x", kinds["incidents"][::-1])
    link = page.locator('[id="kpi-traffic-incidents"]').locator("xpath=..")
    assert "theme=traffic" in link.get_attribute("href") and f"region={SHEXIAN}" in link.get_attribute("href")

    code = kinds["type_code"].iloc[0]
    click_bar(page, "traffic.incidents", 0, code)
    page.wait_for_url(re.compile(r"/incidents\?"))
    query = page.url.split("?", 1)[1]
    for part in (f"region={SHEXIAN}", "start=2026-10-01", "end=2026-11-24", "theme=traffic", f"type={code}"):
        assert part in query
    assert page.outside_requests == []


def test_the_county_ranking_drills_too(page, demo_env):
    from data.queries import traffic

    page.goto(page.base + "/traffic")
    wait_for_customdata(page, "traffic.ranking", 0, "c.includes('341023')")
    click_bar(page, "traffic.ranking", 0, "341023")
    page.wait_for_url(re.compile(r"region=341023"))
    wait_for_kpi(page, "kpi-congestion",
                 traffic.kpis(CITY.with_region("341023")).set_index("key")["value"]["traffic.congestion"])
    assert page.console_errors == []
