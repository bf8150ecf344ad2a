"""The URL ⇄ view state round trip, and what bad URLs produce (messages, never exceptions)."""
from datetime import date

import pytest

from core.viewstate import ViewState, default_range, parse_view, preset_range, view_to_search

TODAY = date(2026, 11, 25)
COUNTIES = {"341002", "341003", "341004", "341021", "341022", "341023", "341024"}


def parse(path="/", search=""):
    return parse_view(path, search, root="341000", today=TODAY,
                      region_exists=lambda c: c in COUNTIES | {"341000"},
                      allowed_region=lambda c: True, metric_exists=lambda c: c in {"env.aqi"})


def test_defaults_are_the_city_and_the_last_seven_days():
    view = parse()
    assert view.page == "/" and view.region == "341000"
    assert (view.start, view.end) == default_range(TODAY) == (date(2026, 11, 19), TODAY)
    assert view.filters == () and view.errors == ()


def test_round_trip_keeps_every_part():
    search = "?region=341003&start=2026-11-01&end=2026-11-07&spot=3,5&type=fire&metric=env.aqi&lang=en"
    view = parse("/tourism", search)
    assert view.errors == ()
    again = parse("/tourism", view_to_search(view, root="341000", today=TODAY))
    assert again == view
    assert again.filter_values("spot") == ("3", "5")


def test_toggle_filter_adds_then_removes():
    view = parse("/tourism")
    on = view.toggle_filter("spot", "3")
    assert on.filter_values("spot") == ("3",)
    off = on.toggle_filter("spot", "3")
    assert off.filters == ()
    assert view_to_search(off, root="341000", today=TODAY) == ""


@pytest.mark.parametrize("search, fragment", [
    ("?region=999999", "区域代码"),
    ("?region=abc", "区域代码"),
    ("?start=2026-11-10&end=2026-11-01", "开始日期晚于结束日期"),
    ("?start=2026-13-01", "YYYY-MM-DD"),
    ("?start=2020-01-01&end=2026-01-01", "三年"),
    ("?bogus=1", "未知筛选条件"),
    ("?severity=9", "无效"),
    ("?spot=1;DROP TABLE incident", "无效"),
    ("?lang=fr", "zh 或 en"),
    ("?metric=nope", "指标"),
])
def test_bad_parameters_become_messages_and_defaults(search, fragment):
    view = parse("/", search)
    assert any(fragment in message for message in view.errors), view.errors
    assert view.region == "341000"  # a bad part falls back to its default, the rest still works


def test_unknown_page_and_bad_incident_id():
    assert "不存在" in parse("/nowhere").errors[0]
    assert parse("/nowhere").page == "/"
    view = parse("/incidents/12x")
    assert view.page == "/incidents" and view.detail == "" and view.errors
    assert parse("/incidents/42").detail == "42"


def test_scope_refuses_regions_outside_it():
    view = parse_view("/", "?region=341002", root="341003", today=TODAY,
                      region_exists=lambda c: True, allowed_region=lambda c: c == "341003")
    assert view.region == "341003"
    assert any("无权" in m for m in view.errors)


def test_screen_mode_from_path_or_parameter():
    assert parse("/screen/tourism").screen and parse("/screen/tourism").page == "/tourism"
    assert parse("/traffic", "?screen=1").screen


def test_presets_and_comparison_periods():
    assert preset_range("today", TODAY) == (TODAY, TODAY)
    assert preset_range("month", TODAY) == (date(2026, 11, 1), TODAY)
    assert preset_range("year", TODAY) == (date(2026, 1, 1), TODAY)
    view = ViewState(start=date(2026, 11, 1), end=date(2026, 11, 7))
    assert view.previous_period() == (date(2026, 10, 25), date(2026, 10, 31))
    assert view.same_period_last_year() == (date(2025, 11, 1), date(2025, 11, 7))
    leap = ViewState(start=date(2024, 2, 29), end=date(2024, 2, 29))
    assert leap.same_period_last_year() == (date(2023, 2, 28), date(2023, 2, 28))
