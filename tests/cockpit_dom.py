"""Reading a cockpit page in the browser tests: KPI values, the data behind a plotly chart, clicks on
its marks, waiting until a panel shows what the query layer returns."""
from __future__ import annotations

import math


def wait_for_kpi(page, card_id: str, expected: float, timeout: int = 20000) -> None:
    """Wait until the KPI card shows `expected` (relative tolerance 1e-5, as written with %.6g)."""
    page.wait_for_function(
        """([cardId, expected]) => {
            const el = document.querySelector(`[id="${cardId}"] .kpi-value`);
            return el && el.dataset.value !== "" &&
                   Math.abs(parseFloat(el.dataset.value) - expected) <= Math.abs(expected) * 1e-5 + 1e-6;
        }""", arg=[card_id, float(expected)], timeout=timeout)


# The traces of a panel's chart as drawn, [{x, y, customdata, type}], or null while it is not drawn:
# plotly's, or those of a ranking drawn as HTML bars (components/rank_bars.py) in plotly's terms (a
# horizontal ranking's first bar is plotly's last point), so a test reads either alike.
TRACES_JS = """(pid) => {
    const panel = document.querySelector(`[id="panel-${pid}"]`);
    const list = (v) => v == null ? v : Array.from(v);
    const host = panel && panel.querySelector('.bars-host');
    if (host) {
        if (host.querySelector('.rank-bars-note')) return [];
        const bars = host.querySelector('.rank-bars');
        if (!bars) return null;
        const horizontal = bars.classList.contains('rank-h');
        const rows = Array.from(bars.querySelectorAll('.rank-bar'));
        if (horizontal) rows.reverse();
        const labels = rows.map(r => r.querySelector('.rank-label').textContent);
        const customdata = rows.map(r => r.dataset.key === undefined ? null : r.dataset.key);
        // a row holds one bar per series (grouped or stacked bars), each its own trace
        const parts = (r) => r.querySelectorAll('.rank-series[data-v], .rank-stack > .rank-fill');
        const count = rows.length ? Math.max(1, parts(rows[0]).length) : 1;
        const traces = Array.from({length: count}, (_, k) => {
            const values = rows.map(r => parseFloat((parts(r)[k] || r).dataset.v));
            return {x: horizontal ? values : labels, y: horizontal ? labels : values, type: 'bar', customdata};
        });
        // marks on the rows (a peak, a target): one scatter each, NaN on a row without its mark
        const kinds = [...new Set(rows.flatMap(r => Array.from(r.querySelectorAll('.rank-marker'), m => m.dataset.m)))];
        return traces.concat(kinds.map(k => ({type: 'scatter', y: labels, customdata,
            x: rows.map(r => { const m = r.querySelector(`.rank-marker[data-m="${k}"]`); return m ? parseFloat(m.dataset.v) : NaN; })})));
    }
    const el = panel && panel.querySelector('.js-plotly-plot');
    return el && el._fullData ? el._fullData.map(t => ({x: list(t.x), y: list(t.y),
                                                         customdata: list(t.customdata), type: t.type})) : null;
}"""


def graph_data(page, panel_id: str) -> list[dict] | None:
    """x, y and customdata of every trace of the panel's chart, as drawn."""
    return page.evaluate(TRACES_JS, panel_id)


def wait_for_series(page, panel_id: str, trace: int, axis: str, expected, tolerance: float = 1e-6,
                    timeout: int = 20000) -> None:
    """Wait until a trace's x or y values equal `expected` (numbers, in order, within `tolerance`)."""
    values = [None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in expected]
    page.wait_for_function(
        f"""([pid, trace, axis, expected, tol]) => {{
            const traces = ({TRACES_JS})(pid);
            if (!traces || traces.length <= trace) return false;
            const got = Array.from(traces[trace][axis] || []);
            if (got.length !== expected.length) return false;
            return got.every((v, i) => expected[i] === null ? (v === null || Number.isNaN(v))
                                                            : Math.abs(v - expected[i]) <= tol);
        }}""", arg=[panel_id, trace, axis, values, tolerance], timeout=timeout)


def wait_for_customdata(page, panel_id: str, trace: int, predicate_js: str, timeout: int = 20000) -> None:
    """Wait until the chart is drawn and `predicate_js` (over `c`, the trace's customdata) holds."""
    page.wait_for_function(
        f"""([pid, trace]) => {{
            const traces = ({TRACES_JS})(pid);
            if (!traces || traces.length <= trace) return false;
            const c = Array.from(traces[trace].customdata || []);
            return {predicate_js};
        }}""", arg=[panel_id, trace], timeout=timeout)


def wait_settled(page, timeout: int = 20000) -> None:
    """Wait until Dash has no callback pending: a test clicks a page at rest, as a person would after
    seeing it change (a mark being redrawn under the pointer may miss the click)."""
    page.wait_for_function("() => !!window.store && !window.store.getState().isLoading", timeout=timeout)


def wait_drawn_graph(page, panel_id: str, timeout: int = 20000) -> None:
    """Wait until the panel's chart is drawn: a page that arrives with the layout has nothing
    pending in Dash while plotly (or the HTML bars) still draws its charts."""
    page.wait_for_function(f"(pid) => {{ const traces = ({TRACES_JS})(pid); return !!(traces && traces.length); }}",
                           arg=panel_id, timeout=timeout)


def click_bar(page, panel_id: str, trace: int, value: str) -> None:
    """Click the bar of a bar trace whose customdata is `value`, on its part inside the plot area
    (a bar that starts below the axis range runs on, clipped, under the next panel). On a ranking
    drawn as HTML, the bar's row."""
    wait_settled(page)
    wait_drawn_graph(page, panel_id)
    panel = page.locator(f'[id="panel-{panel_id}"]')
    if panel.locator(".bars-host").count():
        row = panel.locator(f'.rank-link[data-key="{value}"]')
        row.evaluate("e => e.scrollIntoView({block: 'center'})")  # not under the page's sticky header
        box = row.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        return
    data = graph_data(page, panel_id)
    keys = [str(k[0] if isinstance(k, list) else k) for k in data[trace]["customdata"]]
    bar_layer = sum(1 for t in data[:trace] if t["type"] == "bar")  # bar traces are drawn in one layer
    bar = panel.locator(".barlayer .trace.bars").nth(bar_layer).locator(".point path").nth(keys.index(str(value)))
    bar.scroll_into_view_if_needed()
    box, area = bar.bounding_box(), panel.locator(".nsewdrag").first.bounding_box()
    left, right = max(box["x"], area["x"]), min(box["x"] + box["width"], area["x"] + area["width"])
    top, bottom = max(box["y"], area["y"]), min(box["y"] + box["height"], area["y"] + area["height"])
    page.mouse.move((left + right) / 2, (top + bottom) / 2)
    page.mouse.click((left + right) / 2, (top + bottom) / 2)


def stood_still(read, what: str, timeout: float = 10.0):
    """`read()` once it has given the same position (not None) a few times in a row: a map flying to
    a region moves its points and labels, and a click aimed at where one was lands on whatever is
    there next."""
    import time

    deadline, last, still = time.time() + timeout, None, 0
    while still < 3:
        now = read()
        still = still + 1 if now is not None and now == last else 0
        last = now
        if time.time() > deadline:
            raise AssertionError(f"{what} kept moving (or was not there): {now}")
        time.sleep(0.1)
    return last


def wait_still(locator, timeout: float = 10.0) -> None:
    """Wait until an element has stood still for a few frames."""
    stood_still(locator.bounding_box, str(locator), timeout)


def map_points(page, panel_id: str) -> list[dict]:
    """The points a panel's map shows, as drawn on its canvas: key, label, colour (outline), weight,
    fillOpacity, radius, and x, y (the centre, in the page's viewport)."""
    return page.evaluate("(pid) => window.cockpitMap.pointsShown(pid)", panel_id)


def wait_for_points(page, panel_id: str, predicate_js: str, timeout: int = 20000) -> None:
    """Wait until `predicate_js` (over `points`, as map_points returns them) holds."""
    page.wait_for_function(f"(pid) => {{ const points = window.cockpitMap.pointsShown(pid); return {predicate_js}; }}",
                           arg=panel_id, timeout=timeout)


def still_point(page, panel_id: str, key: str, timeout: float = 10.0) -> tuple[float, float]:
    """Where the point of `key` is drawn on a panel's map once it stands still (a flight moves it)."""
    wait_settled(page)

    def where():
        return next(((p["x"], p["y"]) for p in map_points(page, panel_id) if p["key"] == str(key)), None)

    return stood_still(where, f"point {key} on {panel_id}", timeout)


def click_map_point(page, panel_id: str, key: str) -> None:
    """Click the point of `key` on a panel's map, where it stands."""
    x, y = still_point(page, panel_id, key)
    page.mouse.move(x, y)
    page.mouse.click(x, y)


def hover_map_point(page, panel_id: str, key: str) -> str:
    """Rest the pointer on the point of `key`; the text of the tooltip it shows."""
    x, y = still_point(page, panel_id, key)
    page.mouse.move(x - 20, y - 20)
    page.mouse.move(x, y, steps=4)
    tooltip = page.locator(f'[data-panel="{panel_id}"] .leaflet-tooltip').last
    tooltip.wait_for()
    return tooltip.inner_text()


def click_map_region(page, name: str) -> None:
    """Click a region on the map through its label (labels sit on the polygon and let clicks through)."""
    wait_settled(page)
    label = page.locator(".cockpit-map-label", has_text=name).first
    label.wait_for()
    wait_still(label)
    box = label.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

