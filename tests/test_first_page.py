"""The first page of a visit comes drawn inside the layout (callbacks/first_page.py): asked for with
the URL on show, `_dash-layout` holds that URL's header and page exactly as the callbacks draw them;
anything else gets the empty shell, and the browser's load sends no callback request at all."""
from __future__ import annotations

import re
from datetime import date
from urllib.parse import quote

import pytest

from cockpit_dom import click_bar, wait_for_kpi, wait_for_series
from conftest import DEMO_END
from core.viewstate import ViewState
from http_client import HEADER_OUTPUTS, header_request

CITY = ViewState(region="341000", start=date(2026, 11, 19), end=DEMO_END)
SHEXIAN = "341021"


@pytest.fixture
def client(app_client):
    return app_client


def layout_for(client, url: str | None):
    response = client.get("/_dash-layout" + (f"?for={quote(url, safe='')}" if url is not None else ""))
    assert response.status_code == 200
    return response, response.get_json()


def find(tree, ident):
    """The component with this id in a layout's JSON, or None."""
    if isinstance(tree, dict):
        props = tree.get("props", {})
        if props.get("id") == ident:
            return tree
        children = props.get("children")
        return find(children, ident) if children is not None else None
    if isinstance(tree, list):
        for item in tree:
            found = find(item, ident)
            if found is not None:
                return found
    return None


def kpi_value(tree, card_id: str) -> float:
    card = find(tree, card_id)
    assert card is not None, card_id
    for node in _walk(card):
        if "kpi-value" in (node.get("props", {}).get("className") or ""):
            return float(node["props"]["data-value"])
    raise AssertionError(f"no value in {card_id}")


def _walk(node):
    if isinstance(node, dict):
        yield node
        yield from _walk(node.get("props", {}).get("children"))
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def test_the_layout_holds_the_pages_panels_for_the_url_it_is_asked_for(client):
    from data.queries import traffic

    county = CITY.with_region(SHEXIAN)
    response, layout = layout_for(client, f"/traffic?region={SHEXIAN}")
    assert response.headers.get("X-Cockpit-Page") == "drawn"
    values = traffic.kpis(county).set_index("key")["value"]
    assert kpi_value(layout, "kpi-congestion") == pytest.approx(values["traffic.congestion"], rel=1e-5)
    assert kpi_value(layout, "kpi-free-spaces") == pytest.approx(values["free_spaces"], rel=1e-5)
    # a ranking comes as its HTML bars, top down (components/rank_bars.py)
    worst = find(layout, {"type": "bars", "id": "traffic.worst"})["props"]["data-bars"]
    expected = traffic.worst_segments_now(county)
    shown = [float(v) for v in re.findall(r'<div class="rank-bar[^"]*" data-v="([^"]+)"', worst)]
    assert shown == pytest.approx(list(expected["congestion"]))
    assert re.findall(r'data-key="([^"]+)"', worst) == [str(s) for s in expected["segment_id"]]
    # the page's title comes with it, for the browser's tab
    assert find(layout, "_pages_store")["props"]["data"]["title"]


def test_the_layouts_header_is_what_the_header_callback_draws(client):
    for url in (f"/traffic?region={SHEXIAN}", "/?lang=en&start=2026-11-01&end=2026-11-25",
                "/eldercare?region=999999", "/tourism?spot=no-such-spot"):
        pathname, _, query = url.partition("?")
        search = f"?{query}" if query else ""
        _response, layout = layout_for(client, url)
        answer = client.post("/_dash-update-component", json=header_request(search, pathname)).get_json()
        drawn = answer["response"]
        for name, prop in HEADER_OUTPUTS:
            if name == "app-root":
                assert layout["props"]["className"] == drawn[name][prop], url
            else:
                assert find(layout, name)["props"].get(prop) == drawn[name][prop], (url, name)


def test_a_bad_region_is_shown_on_the_first_page_as_after_a_click(client):
    response, layout = layout_for(client, "/traffic?region=999999")
    assert response.headers.get("X-Cockpit-Page") == "drawn"
    errors = find(layout, "errors-slot")["props"]["children"]
    assert "999999" in str(errors)


def test_an_unknown_path_gets_the_not_found_page_drawn(client):
    response, layout = layout_for(client, "/no-such-cockpit")
    assert response.headers.get("X-Cockpit-Page") == "drawn"
    content = find(layout, "_pages_content")["props"]["children"]
    assert content and "Page not found" in str(content)


@pytest.mark.parametrize("wanted", [None, "", "traffic", "//example.com/traffic", "http://example.com/traffic",
                                    "/" + "a" * 5000])
def test_anything_but_a_path_on_this_site_gets_the_empty_shell(client, wanted):
    response, layout = layout_for(client, wanted)
    assert "X-Cockpit-Page" not in response.headers
    assert find(layout, "_pages_content")["props"].get("children") is None
    assert find(layout, "crumb-slot")["props"].get("children") is None
    assert find(layout, "_pages_location") is not None and find(layout, "url") is not None


def test_a_page_that_fails_to_build_leaves_the_shell_for_the_callbacks(client, monkeypatch, caplog):
    import callbacks.first_page as first_page

    def broken(pathname, search):
        raise RuntimeError("a panel's builder is broken")

    monkeypatch.setattr(first_page, "routed_page", broken)
    response, layout = layout_for(client, "/traffic")
    assert "X-Cockpit-Page" not in response.headers
    assert find(layout, "_pages_content")["props"].get("children") is None
    assert "could not be built" in caplog.text


def test_each_layout_has_its_own_page_container(client):
    """dash.page_container is one object for the process: a page drawn into it would show up in
    every other user's layout."""
    import dash

    layout_for(client, "/traffic")
    _response, empty = layout_for(client, None)
    assert find(empty, "_pages_content")["props"].get("children") is None
    assert dash.page_container.children[1].children is None


@pytest.mark.browser
def test_a_page_load_sends_no_callback_and_back_returns_to_it(page):
    from data.queries import traffic

    requests = []
    page.on("request", lambda r: requests.append(r.post_data) if "_dash-update-component" in r.url else None)
    county = CITY.with_region(SHEXIAN)
    page.goto(page.base + f"/traffic?region={SHEXIAN}")
    first = traffic.kpis(county).set_index("key")["value"]
    wait_for_kpi(page, "kpi-congestion", first["traffic.congestion"])
    page.wait_for_function("() => window.store && !window.store.getState().isLoading")
    assert page.locator("#breadcrumb .crumb.current").inner_text() == "歙县"
    assert page.evaluate("() => window.cockpitRouter.firstPage") is True
    assert requests == []  # the header, the page and its panels came with the layout
    # the map is fitted to the county, as after a drill (not left at the city's view around it)
    fill = page.wait_for_function("""() => {
        const map = document.querySelector('[data-panel="traffic.map"] .leaflet-container');
        const outline = map && map.querySelector('.leaflet-overlay-pane path.leaflet-interactive');
        if (!outline) return null;
        const m = map.getBoundingClientRect(), o = outline.getBoundingClientRect();
        return Math.max(o.width / m.width, o.height / m.height);
    }""").json_value()
    assert fill > 0.7

    # a click still goes to the server, and back to the first URL draws the first page again
    worst = traffic.worst_segments_now(county)
    segment = str(worst["segment_id"].iloc[0])
    click_bar(page, "traffic.worst", 0, segment)
    page.wait_for_url(re.compile(rf"segment={segment}"))
    chosen = county.set_filter("segment", (segment,))
    wait_for_series(page, "traffic.hours", 0, "y", traffic.hour_profile(chosen)["congestion"])
    assert requests
    page.go_back()
    page.wait_for_url(re.compile(rf"region={SHEXIAN}$"))
    wait_for_series(page, "traffic.hours", 0, "y", traffic.hour_profile(county)["congestion"])
    assert page.locator(".chip", has_text=worst["name"].iloc[0]).count() == 0
    assert page.console_errors == []
