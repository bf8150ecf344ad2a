"""事件中心 in a real browser: from the safety cockpit a county's overdue count opens the desk
filtered to it, a row opens the incident and its closed-loop timeline; the grid pages and sorts on
the server; and forged grid requests (plain HTTP, no browser) are refused with a clear message."""
from __future__ import annotations

import json
import re
import urllib.request
from datetime import datetime
from urllib.parse import urlsplit

import pytest

from test_safety_browser import eventually, view_of

MONTH = "start=2026-10-27&end=2026-11-25"
CODE_CELLS = ".ag-pinned-left-cols-container .ag-row"


def shown_rows(page) -> dict[int, str]:
    """The rows the grid has rendered (it renders only those in sight): row index → code, read in
    one go (the grid may replace its rows between two separate reads)."""
    pairs = page.eval_on_selector_all(CODE_CELLS, "rows => rows.map(r => [r.getAttribute('row-index'), r.innerText])")
    return {int(index): code.strip() for index, code in pairs if index is not None}


def expected_codes(view, start: int, sort=None, count: int = 100) -> list[str]:
    from data.queries.incident_grid import grid_page

    page, _ = grid_page(view, {"startRow": start, "endRow": start + count, "sortModel": sort or [], "filterModel": {}})
    return [row["code"] for row in page.rows]


def showing(page, view, start: int, sort=None) -> bool:
    """Whether the grid shows the page starting at row `start`: its first row is in sight and every
    row in sight is the query layer's row at that position."""
    expected = expected_codes(view, start, sort)
    shown = shown_rows(page)
    return start in shown and all(0 <= i - start < len(expected) and expected[i - start] == code
                                  for i, code in shown.items())


@pytest.mark.browser
def test_county_overdue_count_opens_the_desk_then_the_timeline(page):
    from data.queries import incidents, safety

    page.goto(f"{page.base}/safety?{MONTH}")
    page.wait_for_selector("#county-table")
    counties = safety.by_county(view_of(page.url))
    county = counties[counties["open_overdue"] > 0].iloc[0]
    page.locator(f"#county-table tr[data-adcode='{county.adcode}'] td[data-value] a").click()

    page.wait_for_url(re.compile(r".*/incidents\?.*"))
    desk = view_of(page.url)
    assert desk.region == county.adcode
    assert desk.filter_values("status") == ("open",) and desk.filter_values("overdue") == ("1",)
    n = int(county.open_overdue)
    eventually(lambda: page.locator("#grid-total").inner_text(), f"共 {n:,} 件事件")
    eventually(lambda: showing(page, desk, 0), True)
    assert set(page.locator(".ag-center-cols-container [col-id='county']").all_inner_texts()) == {county["name"]}
    assert set(page.locator(".ag-center-cols-container [col-id='overdue']").all_inner_texts()) == {"⚠ 超期"}

    page.locator(".ag-center-cols-container .ag-row[row-index='0'] [col-id='type']").click()
    page.wait_for_url(re.compile(r".*/incidents/\d+\?.*"))
    incident_id = int(urlsplit(page.url).path.rsplit("/", 1)[1])
    page.wait_for_selector("#incident-timeline")
    record = incidents.detail(incident_id)
    assert record["adcode"] == county.adcode and record["overdue"]
    steps = incidents.timeline(record, datetime.now())
    items = page.locator("#incident-timeline li")
    assert items.count() == 6
    assert [items.nth(i).get_attribute("data-step") for i in range(6)] == [s["step"] for s in steps]
    assert [items.nth(i).get_attribute("data-late") for i in range(6)] == ["1" if s["late"] else "0" for s in steps]
    late = page.locator("#incident-timeline li[data-late='1']")
    assert late.count() >= 1 and "超时" in late.first.inner_text()  # said in words, not only red
    assert record["code"] in page.locator(".detail-code").inner_text()
    assert page.locator("#detail-overdue").is_visible()
    assert page.locator("#incident-map").is_visible()

    page.locator("#detail-back").click()
    page.wait_for_url(re.compile(r".*/incidents\?.*overdue=1.*"))
    eventually(lambda: showing(page, desk, 0), True)
    assert page.console_errors == [] and page.outside_requests == []


@pytest.mark.browser
def test_grid_pages_and_sorts_on_the_server(page):
    page.goto(f"{page.base}/incidents?{MONTH}")
    page.wait_for_selector(CODE_CELLS)
    view = view_of(page.url)
    eventually(lambda: showing(page, view, 0), True)
    total = page.locator("#grid-total").inner_text()
    assert total.startswith("共 ") and int(re.sub(r"\D", "", total)) > 300

    page.locator(".ag-header-cell[col-id='severity'] .ag-header-cell-label").click()  # ascending
    by_severity = [{"colId": "severity", "sort": "asc"}]
    eventually(lambda: showing(page, view, 0, by_severity), True)
    page.locator(".ag-paging-button[data-ref='btNext']").click()
    eventually(lambda: showing(page, view, 100, by_severity), True)
    assert page.locator(".ag-paging-number[data-ref='lbCurrent']").inner_text() == "2"
    page.locator(".ag-paging-button[data-ref='btLast']").click()
    from data.queries.incident_grid import grid_page

    count = grid_page(view, {"startRow": 0, "endRow": 100, "sortModel": by_severity, "filterModel": {}})[0].total
    last = (count - 1) // 100 * 100
    eventually(lambda: showing(page, view, last, by_severity), True)

    # the filter bar writes the URL; the grid starts again at the first page of the new view
    page.locator("#desk-source").click()
    page.get_by_role("option", name="110 报警", exact=True).click()
    page.wait_for_url(lambda url: "source=110" in url)
    filtered = view_of(page.url)
    eventually(lambda: showing(page, filtered, 0, by_severity), True)
    assert page.console_errors == [] and page.outside_requests == []


# -- forged requests: plain HTTP to the grid's callback, no browser -----------------------------
def grid_callback(base: str) -> dict:
    with urllib.request.urlopen(f"{base}/_dash-dependencies") as response:
        for dependency in json.load(response):
            if any(i["id"] == "incident-grid" and i["property"] == "getRowsRequest" for i in dependency["inputs"]):
                return dependency
    raise AssertionError("the grid's callback is not registered")


def forge(base: str, rows_request, search: str = "") -> dict:
    dependency = grid_callback(base)
    outputs = [{"id": part.split(".")[0], "property": part.split(".")[1]}
               for part in dependency["output"].strip(".").split("...")]
    body = {"output": dependency["output"], "outputs": outputs,
            "inputs": [{"id": "incident-grid", "property": "getRowsRequest", "value": rows_request}],
            "changedPropIds": ["incident-grid.getRowsRequest"],
            "state": [{"id": "url", "property": "pathname", "value": "/incidents"},
                      {"id": "url", "property": "search", "value": search}]}
    request = urllib.request.Request(f"{base}/_dash-update-component", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        return json.load(response)["response"]


@pytest.mark.parametrize("rows_request, words", [
    ({"startRow": 0, "endRow": 100, "sortModel": [{"colId": "reporter_phone", "sort": "asc"}]},
     "不能按“reporter_phone”排序"),
    ({"startRow": 0, "endRow": 100, "sortModel": [{"colId": "id) DESC; DROP TABLE incident; --", "sort": "asc"}]},
     "不能按"),
    ({"startRow": 0, "endRow": 100, "sortModel": [{"colId": "code", "sort": "random()"}]}, "排序方向"),
    ({"startRow": 0, "endRow": 100, "filterModel": {"1=1) OR (1": {"filterType": "text", "type": "contains",
                                                                     "filter": "x"}}}, "不能按"),
    ({"startRow": 0, "endRow": 100, "filterModel": {"code": {"filterType": "text", "type": "like", "filter": "%"}}},
     "不支持筛选方式"),
    ({"startRow": 0, "endRow": 100, "filterModel": {"satisfaction": {"filterType": "number", "type": "equals",
                                                                      "filter": "0 OR 1=1"}}}, "须为数字"),
    ({"startRow": 0, "endRow": 10_000_000}, "行范围"),
    ("SELECT * FROM incident", "请求格式错误"),
])
def test_forged_grid_requests_are_refused_with_no_data(served_app, rows_request, words):
    answer = forge(served_app.base, rows_request)
    assert answer["incident-grid"]["getRowsResponse"] == {"rowData": [], "rowCount": 0}
    message = answer["grid-message"]["children"]["props"]["children"]
    assert message.startswith("表格请求无效") and words in message


def test_a_forged_region_outside_the_deployment_is_not_served(served_app):
    from data.regions import region_tree

    answer = forge(served_app.base, {"startRow": 0, "endRow": 100, "sortModel": [], "filterModel": {}},
                   search="?region=110101&start=2026-10-27&end=2026-11-25")
    rows = answer["incident-grid"]["getRowsResponse"]["rowData"]
    names = {county.label("zh") for county in region_tree().counties()}
    assert rows and {row["county"] for row in rows} <= names
    assert "reporter_phone" not in rows[0] and "reporter_name" not in rows[0]


def test_a_well_formed_request_gets_its_page(served_app):
    answer = forge(served_app.base, {"startRow": 0, "endRow": 100, "sortModel": [{"colId": "severity", "sort": "asc"}],
                                     "filterModel": {"code": {"filterType": "text", "type": "startsWith",
                                                              "filter": "SJ20261125"}}},
                   search="?start=2026-11-25&end=2026-11-25")
    rows = answer["incident-grid"]["getRowsResponse"]["rowData"]
    assert rows and all(row["code"].startswith("SJ20261125") for row in rows)
    assert [row["severity_level"] for row in rows] == sorted(row["severity_level"] for row in rows)
    assert answer["grid-message"]["children"] == ""
