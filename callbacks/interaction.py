"""Clicks and choices → a new URL. One mechanism for every page and every panel.

A click on a chart or a map follows, in the browser, the URL the server computed with the
panel's content (callbacks/clicks.py; assets/cockpit_events.js). The choices below need the
server to build the URL; the browser passes each on only when the user really made it (a store
per kind), so drawing a page costs no request here.
"""
from __future__ import annotations

from datetime import date

from dash import ALL, ClientsideFunction, Input, Output, State, callback, clientside_callback
from dash.exceptions import PreventUpdate

from callbacks.clicks import brush_target
from callbacks.panels import panel_for
from callbacks.state import href, resolve_view
from components.mapping import map_metric

clientside_callback(
    ClientsideFunction(namespace="cockpitEvents", function_name="graphClick"),
    Output("url", "href", allow_duplicate=True),
    Input({"type": "graph", "id": ALL}, "clickData"),
    State({"type": "click-targets", "id": ALL}, "data"),
    prevent_initial_call=True,
)

clientside_callback(
    ClientsideFunction(namespace="cockpitEvents", function_name="mapClick"),
    Output("url", "href", allow_duplicate=True),
    Input({"type": "map-regions", "id": ALL}, "clickData"),
    Input({"type": "map-points", "id": ALL}, "clickData"),
    State({"type": "click-targets", "id": ALL}, "data"),
    prevent_initial_call=True,
)

clientside_callback(
    ClientsideFunction(namespace="cockpitEvents", function_name="brushed"),
    Output("brush-choice", "data"),
    Input({"type": "graph", "id": ALL}, "relayoutData"),
    prevent_initial_call=True,
)

clientside_callback(
    ClientsideFunction(namespace="cockpitEvents", function_name="metricChosen"),
    Output("metric-choice", "data"),
    Input({"type": "metric", "id": ALL}, "value"),
    State({"type": "metric", "id": ALL}, "options"),
    prevent_initial_call=True,
)

clientside_callback(
    ClientsideFunction(namespace="cockpitEvents", function_name="rangeChosen"),
    Output("range-choice", "data"),
    Input("custom-range", "start_date"),
    Input("custom-range", "end_date"),
    State("view-range", "data"),
    prevent_initial_call=True,
)

clientside_callback(
    ClientsideFunction(namespace="cockpitEvents", function_name="pageStale"),
    Output("page-stale", "data"),
    Input({"type": "page-view", "id": ALL}, "data"),
)


def _changed(target: str | None, pathname: str | None, search: str | None) -> str:
    if target is None or target == (pathname or "") + (search or ""):
        raise PreventUpdate
    return target


@callback(
    Output("url", "href", allow_duplicate=True),
    Input("brush-choice", "data"),
    State("url", "pathname"),
    State("url", "search"),
    prevent_initial_call=True,
)
def on_brush(choice, pathname, search):
    if not isinstance(choice, dict):
        raise PreventUpdate
    view = resolve_view(pathname, search)
    panel = panel_for(choice.get("id"), view)
    if not panel.brush:
        raise PreventUpdate
    return _changed(brush_target(view, choice.get("relayout")), pathname, search)


@callback(
    Output("url", "href", allow_duplicate=True),
    Input("metric-choice", "data"),
    State("url", "pathname"),
    State("url", "search"),
    prevent_initial_call=True,
)
def on_metric(choice, pathname, search):
    if not isinstance(choice, dict):
        raise PreventUpdate
    view = resolve_view(pathname, search)
    code = choice.get("value")
    panel = panel_for(choice.get("id"), view)
    if panel.map is None or code not in panel.map.metrics or code == map_metric(panel, view):
        raise PreventUpdate
    return href(view.with_metric("" if code == panel.map.metrics[0] else code))


@callback(
    Output("url", "href", allow_duplicate=True),
    Input("range-choice", "data"),
    State("url", "pathname"),
    State("url", "search"),
    prevent_initial_call=True,
)
def on_custom_range(choice, pathname, search):
    if not isinstance(choice, dict):
        raise PreventUpdate
    view = resolve_view(pathname, search)
    try:
        chosen = view.with_range(date.fromisoformat(str(choice.get("start"))[:10]),
                                 date.fromisoformat(str(choice.get("end"))[:10]))
    except ValueError:
        raise PreventUpdate from None
    if (chosen.start, chosen.end) == (view.start, view.end):
        raise PreventUpdate
    return href(chosen)
