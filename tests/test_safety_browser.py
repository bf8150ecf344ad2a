"""城市安全 in a real browser: drill into a county by clicking its bar, cross-filter by clicking an
incident source, and every figure on the page becomes exactly what the query layer returns for
that selection; no console errors, no request to another host."""
from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser
MONTH = "start=2026-10-27&end=2026-11-25"


def view_of(url: str):
    from callbacks.state import forget_data_days, resolve_view

    forget_data_days()
    parts = urlsplit(url)
    return resolve_view(parts.path, "?" + parts.query)


def eventually(read, expected, timeout: float = 15.0):
    """Poll the page until `read()` equals `expected` (panels update after the URL changes)."""
    deadline = time.time() + timeout
    value = None
    while time.time() < deadline:
        try:
            value = read()
        except Exception:  # the element is being replaced
            value = None
        if value == expected:
            return value
        time.sleep(0.2)
    assert value == expected


def click_bar(page, panel_id: str, index: int = 0) -> None:
    """Click a ranking's bar (drawn as HTML, top down or left to right) as a person does: move over
    it, then click."""
    bar = page.locator(f"[id='panel-{panel_id}'] .rank-link").nth(index)  # nth(-1): the last bar
    bar.wait_for(state="visible")
    bar.evaluate("e => e.scrollIntoView({block: 'center'})")  # not under the page's sticky header
    box = bar.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.click(x, y)


def kpi(page, card_id: str) -> float:
    """A KPI card's value, read without waiting (panels are replaced while they update)."""
    return float(page.eval_on_selector(f"#{card_id} .kpi-value", "e => e.dataset.value"))


def county_row(page, adcode: str) -> tuple[int, ...]:
    """Incidents, open, open and overdue of a county's row in the county table."""
    cells = page.eval_on_selector_all(f"#county-table tr[data-adcode='{adcode}'] td", "tds => tds.map(t => t.innerText)")
    return tuple(int(cells[i].replace("⚠", "").replace(",", "").strip()) for i in (1, 2, 3))


def check_page_matches_queries(page) -> None:
    from data.queries import safety

    view = view_of(page.url)
    figures = safety.kpis(view).set_index("key")["value"]
    eventually(lambda: kpi(page, "kpi-incidents"), float(figures["incidents"]))
    eventually(lambda: kpi(page, "kpi-open"), float(figures["open"]))
    eventually(lambda: page.eval_on_selector("#kpi-open-overdue [data-value]", "e => e.dataset.value"),
               str(int(figures["open_overdue"])))
    for row in safety.by_county(view).itertuples():
        eventually(lambda: county_row(page, row.adcode), (row.incidents, row.open, row.open_overdue))


def test_drill_and_cross_filter_move_every_figure(page):
    page.goto(f"{page.base}/safety?{MONTH}")
    page.wait_for_selector("#kpi-incidents .kpi-value")
    check_page_matches_queries(page)

    click_bar(page, "safety.video")  # a county's bar: drill into it
    page.wait_for_url(lambda url: "region=3410" in url)
    drilled = view_of(page.url)
    assert drilled.region != "341000"
    eventually(lambda: page.locator("#county-table tbody tr").count(), 1)
    check_page_matches_queries(page)

    click_bar(page, "safety.sources")  # the biggest source: cross-filter by it
    page.wait_for_url(lambda url: "source=" in url)
    filtered = view_of(page.url)
    assert filtered.region == drilled.region and filtered.filter_values("source")
    check_page_matches_queries(page)
    # the clicked chart keeps every source (highlighting the chosen one); the others are filtered
    from data.queries import safety

    assert page.locator("[id='panel-safety.sources'] .rank-bar").count() == len(safety.by_source(
        filtered.set_filter("source", ())))

    click_bar(page, "safety.severity", -1)  # IV 一般: a second filter on top
    page.wait_for_url(lambda url: "severity=" in url)
    check_page_matches_queries(page)
    assert page.console_errors == []
    assert page.outside_requests == []


def test_counts_link_to_the_desk_pre_filtered(page):
    page.goto(f"{page.base}/safety?{MONTH}&source=12345")
    page.wait_for_selector("#kpi-open")
    href = page.locator("#kpi-open-overdue").get_attribute("href")
    assert href.startswith("/incidents?") and "status=open" in href and "overdue=1" in href and "source=12345" in href
    page.locator("#kpi-open").click()
    page.wait_for_url(lambda url: "/incidents?" in url)
    from data.queries import safety

    view = view_of(page.url)
    assert view.filter_values("status") == ("open",) and view.filter_values("source") == ("12345",)
    opened = int(safety.kpis(view).set_index("key").loc["open", "value"])
    eventually(lambda: page.locator("#grid-total").inner_text(), f"共 {opened:,} 件事件")
    assert page.console_errors == [] and page.outside_requests == []
