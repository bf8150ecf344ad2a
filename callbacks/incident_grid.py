"""The incident desk's callbacks (SPEC §3.7): the grid's server side, its filter bar ↔ the URL, and
a click on a row → the incident's detail.

The grid callback resolves the view from the URL exactly as every panel does
(`callbacks.state.resolve_view`): region scope, time range and the desk's filters come from there,
never from the request body. What the grid itself sends (rows wanted, sort model, column filters)
is validated by `data.queries.incident_grid.parse_request`; a malformed or forged request gets a
clear message in the page and no data.
"""
from __future__ import annotations

import logging
from dataclasses import replace

from dash import Input, Output, State, callback, clientside_callback, html
from dash.exceptions import PreventUpdate

from callbacks.state import current_user, href, resolve_view, user_root
from components.incident_parts import COUNTY_CONTROL, FILTER_CONTROLS, GRID_ID, grid_rows, total_text
from core.viewstate import FILTER_DIMENSIONS
from data.queries.common import region_names
from data.queries.incident_grid import GridRequestError, grid_page
from data.queries.incidents import type_names
from data.regions import region_tree

log = logging.getLogger("cockpit.incidents")
PATH = "/incidents"
EMPTY = {"rowData": [], "rowCount": 0}


@callback(
    Output(GRID_ID, "getRowsResponse"),
    Output("grid-total", "children"),
    Output("grid-message", "children"),
    Input(GRID_ID, "getRowsRequest"),
    State("url", "pathname"),
    State("url", "search"),
)
def serve_rows(request, pathname, search):
    """One page of the grid: the URL's view, the grid's validated sort and column filters."""
    if request is None:
        raise PreventUpdate
    view = resolve_view(pathname, search)
    if view.page != PATH or view.detail:
        raise PreventUpdate
    try:
        page, _ = grid_page(view, request)
    except GridRequestError as error:
        log.warning("refused grid request for %s%s: %s", pathname, search, error)
        return EMPTY, "", html.Div(error.message(view.lang), className="grid-error", id="grid-error")
    rows = grid_rows(page.rows, view.lang, type_names(view.lang), region_names(view.lang), current_user())
    return {"rowData": rows, "rowCount": page.total}, total_text(page.total, page.exact, view.lang), ""


@callback(
    Output("url", "href", allow_duplicate=True),
    Input(GRID_ID, "cellClicked"),
    State("url", "pathname"),
    State("url", "search"),
    prevent_initial_call=True,
)
def open_incident(cell, pathname, search):
    """A click on a row opens that incident (its id is the grid's row id)."""
    row_id = cell.get("rowId") if isinstance(cell, dict) else None
    if not (isinstance(row_id, str) and row_id.isdigit() and len(row_id) <= 18):
        raise PreventUpdate
    return href(replace(resolve_view(pathname, search), detail=row_id))


@callback(
    Output("url", "href", allow_duplicate=True),
    *[Input(control, "value") for control in FILTER_CONTROLS.values()],
    Input(COUNTY_CONTROL, "value"),
    State("url", "pathname"),
    State("url", "search"),
    prevent_initial_call=True,
)
def apply_filters(*args):
    """The filter bar writes the URL; the URL stays the one place the desk's filters live."""
    *values, county, pathname, search = args
    view = resolve_view(pathname, search)
    if view.page != PATH or view.detail:
        raise PreventUpdate
    target = view
    for dimension, chosen in zip(FILTER_CONTROLS, values):
        spec = FILTER_DIMENSIONS[dimension]
        cleaned = [spec.clean(str(v)) for v in (chosen or [])]
        target = target.set_filter(dimension, tuple(v for v in cleaned if v is not None))
    root = user_root()
    tree = region_tree()
    target = target.with_region(county if isinstance(county, str) and tree.exists(county)
                                and tree.contains(county, root) else root)
    url = href(target)
    if url == (pathname or "") + (search or ""):
        raise PreventUpdate
    return url


@callback(
    *[Output(control, "value") for control in FILTER_CONTROLS.values()],
    Output(COUNTY_CONTROL, "value"),
    Input("url", "search"),
    State("url", "pathname"),
    prevent_initial_call=True,
)
def show_filters(search, pathname):
    """The URL changed elsewhere (a chip removed, the breadcrumb, back): the filter bar follows."""
    view = resolve_view(pathname, search)
    if view.page != PATH or view.detail:
        raise PreventUpdate
    county = view.region if region_tree().get(view.region).level == "county" else None
    return [list(view.filter_values(dimension)) for dimension in FILTER_CONTROLS] + [county]


# A new view (URL) starts the grid again at its first page; new data refresh the rows in place.
clientside_callback(
    f"""
    function(search, version) {{
        try {{
            var api = dash_ag_grid.getApi('{GRID_ID}');
            var triggered = (dash_clientside.callback_context.triggered || []).map(function(t) {{
                return t.prop_id; }});
            if (triggered.indexOf('url.search') >= 0) {{
                api.paginationGoToFirstPage();
                api.purgeInfiniteCache();
            }} else {{
                api.refreshInfiniteCache();
            }}
        }} catch (e) {{ /* the grid is not on the page (yet) */ }}
        return window.dash_clientside.no_update;
    }}
    """,
    Output("desk-refresh", "data"),
    Input("url", "search"),
    Input("data-version", "data"),
    prevent_initial_call=True,
)
