"""The 养老服务 cockpit in a real headless Chromium: drill into a county by its population bar and on
the map, cross-filter by a tier, a service kind and a call kind — each panel showing exactly what
the query layer returns for that view, with no console error and no request to another host."""
from __future__ import annotations

import re
from datetime import date

import pytest

from cockpit_dom import click_bar, click_map_region, wait_for_customdata, wait_for_kpi, wait_for_points, wait_for_series
from conftest import DEMO_END
from core.viewstate import ViewState

pytestmark = pytest.mark.browser
CITY = ViewState(region="341000", start=date(2026, 11, 19), end=DEMO_END)
SHEXIAN = "341021"


def test_drill_by_bar_then_filter_by_tier_service_and_call(page, demo_env):
    from data.queries import eldercare

    page.goto(page.base + "/eldercare")
    city = eldercare.kpis(CITY).set_index("key")["value"]
    wait_for_kpi(page, "kpi-aged-60", city["aged_60"])
    wait_for_kpi(page, "kpi-services", city["eldercare.services"])
    wait_for_kpi(page, "kpi-response", city["eldercare.response_seconds"])

    # drill: click 歙县's bar of the population chart
    wait_for_customdata(page, "eldercare.population", 0, f"c.includes('{SHEXIAN}')")
    click_bar(page, "eldercare.population", 0, SHEXIAN)
    page.wait_for_url(re.compile(rf"/eldercare\?region={SHEXIAN}"))
    county = CITY.with_region(SHEXIAN)
    values = eldercare.kpis(county).set_index("key")["value"]
    wait_for_kpi(page, "kpi-aged-60", values["aged_60"])
    wait_for_kpi(page, "kpi-aged-80", values["aged_80"])
    wait_for_kpi(page, "kpi-beds", values["eldercare.bed_occupancy"])
    assert page.locator("#breadcrumb .crumb.current").inner_text() == "歙县"
    # at county level the map shows every institution
    homes = eldercare.institutions(county)
    wait_for_points(page, "eldercare.map", f"points.length === {len(homes)}")

    # cross-filter: the care homes → the occupancy ranking lists only care homes
    click_bar(page, "eldercare.tiers", 0, "nursing_home")
    page.wait_for_url(re.compile(r"tier=nursing_home"))
    page.locator(".chip", has_text="养老机构").wait_for()
    care_homes = eldercare.institutions(county.set_filter("tier", ("nursing_home",))).head(10)
    wait_for_series(page, "eldercare.institutions", 0, "x", care_homes["occupancy"][::-1])

    # cross-filter: 助餐 → the services trend is of meals, last year beside
    click_bar(page, "eldercare.services", 0, "meal")
    page.wait_for_url(re.compile(r"service=meal"))
    meals = eldercare.services_trend(county.set_filter("service", ("meal",)))
    wait_for_series(page, "eldercare.services_trend", 0, "y", meals["value"])
    wait_for_series(page, "eldercare.services_trend", 1, "y", meals["last_year"])

    # cross-filter: 跌倒报警 → calls over time and response by county are of falls
    click_bar(page, "eldercare.calls", 0, "fall")
    page.wait_for_url(re.compile(r"call=fall"))
    falls = county.set_filter("call", ("fall",))
    wait_for_series(page, "eldercare.calls_trend", 0, "y", eldercare.calls_trend(falls)["calls"])
    by_county = eldercare.response_by_region(falls).dropna(subset=["mean_response"])
    wait_for_series(page, "eldercare.response", 0, "x", (by_county["mean_response"] / 60).round(1)[::-1])

    # a chip removes its filter; the others stay
    page.locator(".chip", has_text="助餐").click()
    page.wait_for_function("() => !location.search.includes('service=') && location.search.includes('call=fall')")
    wait_for_series(page, "eldercare.services_trend", 0, "y", eldercare.services_trend(county)["value"])

    assert page.console_errors == []
    assert page.outside_requests == []


def test_drill_on_the_map(page, demo_env):
    from data.queries import eldercare

    page.goto(page.base + "/eldercare")
    click_map_region(page, "黟县")
    page.wait_for_url(re.compile(r"region=341023"))
    values = eldercare.kpis(CITY.with_region("341023")).set_index("key")["value"]
    wait_for_kpi(page, "kpi-aged-60", values["aged_60"])
    wait_for_kpi(page, "kpi-calls", values["eldercare.device_calls"])
    assert page.console_errors == []
    assert page.outside_requests == []
