"""Where a click leads, worked out before anyone clicks: every mark's URL is the URL of the view the
click makes — toggling a filter on or off, a keyed map point's dimension, a drill — whether worked
out whole or from the one URL per dimension that thousands of map points share."""
from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlparse

import pytest

from core.viewstate import FILTER_DIMENSIONS, ViewState

VIEW = ViewState(page="/tourism", region="341003", start=date(2026, 11, 1), end=date(2026, 11, 24), scope="341000")


@pytest.fixture(autouse=True)
def cockpits(demo_env):
    import app  # noqa: F401  registers the pages and their panels


def whole_href(view: ViewState, dimension: str, value: str) -> str:
    from callbacks.clicks import view_href

    return view_href(view.toggle_filter(dimension, value))


@pytest.mark.parametrize("view", [VIEW, VIEW.set_filter("spot", ("3", "12")),
                                  VIEW.set_filter("origin", ("浙江", "上海")).set_filter("spot", ("5",)),
                                  VIEW.with_region("341000").set_filter("age", ("60+",))])
def test_a_filter_click_leads_to_the_view_with_the_value_toggled(view):
    from callbacks.clicks import click_targets
    from core.panels import CrossFilter

    for dimension, values in (("spot", ["1", "3", "12", "40", "5"]), ("origin", ["浙江", "江苏", "上海", "a b"]),
                              ("age", ["60+", "18-24", "25-34"])):
        targets = click_targets(view, CrossFilter(dimension), values)
        for value in values:
            clean = FILTER_DIMENSIONS[dimension].clean(value)
            if clean is None:  # not a value of the dimension (a space): no link
                assert value not in targets
                continue
            assert targets[value] == whole_href(view, dimension, clean), (dimension, value)
            chosen = parse_qs(urlparse(targets[value]).query).get(dimension, [""])[0].split(",")
            # on when it was off, off when it was on
            assert (clean in chosen) != (clean in view.filter_values(dimension))


def test_a_keyed_map_point_toggles_its_own_dimension():
    from callbacks.clicks import click_targets
    from core.panels import KeyedFilter

    view = VIEW.with_page("/traffic").set_filter("segment", ("7",))
    keys = ["segment-7", "segment-8", "lot-2", "lot-x", "spot-3", "segment-", "nonsense"]
    targets = click_targets(view, KeyedFilter(("segment", "lot")), keys)
    assert set(targets) == {"segment-7", "segment-8", "lot-2"}  # forged or foreign keys lead nowhere
    assert targets["segment-7"] == whole_href(view, "segment", "7")
    assert "segment" not in parse_qs(urlparse(targets["segment-7"]).query)  # the chosen one comes off
    assert parse_qs(urlparse(targets["segment-8"]).query)["segment"] == ["7,8"]
    assert parse_qs(urlparse(targets["lot-2"]).query)["lot"] == ["2"]
    assert parse_qs(urlparse(targets["lot-2"]).query)["segment"] == ["7"]


def test_the_traffic_map_points_are_keyed_filters_and_the_chosen_ones_are_outlined(demo_env):
    from flask import Flask

    from callbacks.clicks import click_targets, point_target
    from callbacks.panels import _map
    from core.panels import PANELS

    view = VIEW.with_page("/traffic").with_region("341021").with_range(date(2026, 11, 18), date(2026, 11, 24))
    with Flask(__name__).test_request_context("/"):
        filled = _map(PANELS["traffic.map"], view)
        keys = [feature["properties"]["key"] for feature in filled.content["points"]["features"]]
        segment = next(key for key in keys if key.startswith("segment-"))
        chosen = _map(PANELS["traffic.map"], view.set_filter("segment", (segment.split("-")[1],)))
    assert {key.split("-")[0] for key in keys} == {"segment", "lot"}
    full = click_targets(view, PANELS["traffic.map"].map.point_click, keys)
    assert set(full) == set(keys)
    assert {point_target(filled.targets["points"], key) for key in keys} == set(full.values())
    assert all(point_target(filled.targets["points"], key) == full[key] for key in keys)
    assert chosen.content["points_hideout"]["selected"] == [segment]
    # the choice is drawn from the hideout: the points are those shown, and are not sent again
    assert chosen.content["points"] == filled.content["points"]


@pytest.mark.parametrize("view", [VIEW.with_page("/safety"),
                                  VIEW.with_page("/safety").set_filter("severity", ("3", "4")).set_filter("theme", ("safety",))])
def test_an_incident_on_the_map_opens_its_detail_as_the_whole_url_would(view):
    from callbacks.state import href
    from components.incident_parts import incident_view
    from pages.safety import incident_href

    for incident in ("7", "123456", "42"):
        assert incident_href(view, incident) == href(incident_view(view, incident))
        assert incident in incident_href(view, incident)


def test_links_worked_out_for_clicks_are_the_same_for_every_user(monkeypatch):
    """Click targets are memoized with figures and maps across users: a county user (whose default
    region is their county) and a city user get URLs that mean the same place, the region written out."""
    from callbacks import state
    from callbacks.clicks import click_targets
    from core.panels import OpenLink
    from pages.safety import open_point

    view = VIEW.with_page("/safety")
    for user_root in ("341000", "341003"):
        monkeypatch.setattr(state, "user_root", lambda user=None, root=user_root: root)
        targets = click_targets(view, OpenLink(open_point), ["i77", "h5"])
        assert set(targets) == {"i77"}  # a hazard opens nothing
        assert parse_qs(urlparse(targets["i77"]).query)["region"] == ["341003"], user_root
    # outside click targets a link still leaves the user's own region unwritten
    assert "region=" not in state.href(view)


@pytest.mark.parametrize("page, region, filters", [
    ("/traffic", "341021", (("segment", ("7",)),)),
    ("/traffic", "341004", ()),
    ("/eldercare", "341021", (("tier", ("nursing_home",)),)),
    ("/safety", "341021", ()),
    ("/safety", "341000", (("severity", ("3", "4")),)),
    ("/environment", "341003", (("station", ("3",)),)),
    ("/tourism", "341022", ()),
])
def test_a_maps_points_lead_where_their_whole_urls_would_though_most_share_a_template(page, region, filters):
    """Thousands of points' URLs are sent as a few templates and the exceptions (a chosen point
    comes off; a point that leads nowhere stays so): each point drawn leads exactly where
    click_targets says, by the rule the browser follows."""
    from flask import Flask

    from callbacks.clicks import click_targets, point_target, view_href
    from callbacks.panels import _map
    from core.panels import PAGE_PANELS

    panel = next(p for p in PAGE_PANELS[page] if p.kind == "map")
    view = ViewState(page=page, region=region, start=date(2026, 11, 18), end=date(2026, 11, 24), scope="341000",
                     filters=filters)
    with Flask(__name__).test_request_context("/"):
        filled = _map(panel, view)
        compact = filled.targets["points"]
        keys = [f["properties"]["key"] for f in filled.content["points"]["features"]]
        full = click_targets(view, panel.map.point_click, keys)
        here = view_href(view)
    assert keys, "the view should show points"
    for key in keys:
        got = point_target(compact, key)
        assert got == full.get(key, "") or (key not in full and got == here), key
    if len(full) > 20:
        assert len(compact["urls"]) < len(full) / 10  # most points share a template


def test_values_a_url_would_quote_keep_their_own_urls():
    from callbacks.clicks import point_target, point_targets

    targets = {"a-1": "/p?x=1", "a-2": "/p?x=2", "a-黄 山": "/p?x=%E9%BB%84+%E5%B1%B1", "b-3": "/q/3"}
    drawn = [*targets, "c-9", "a-7", "a-0"]  # a-7 leads nowhere; a-0 would lead here
    compact = point_targets(targets, drawn, here="/p?x=0")
    assert compact["templates"] == [["a-", "/p?x={value}"]]
    assert set(compact["urls"]) == {"a-黄 山", "b-3", "a-7"}
    assert {key: point_target(compact, key) for key in drawn} == {**targets, "c-9": "", "a-7": "", "a-0": "/p?x=0"}
