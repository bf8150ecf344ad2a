"""Clicks → a new view → a new URL. One callback for every page and every panel.

What a click means is the clicked panel's declaration (Drill, CrossFilter, OpenLink); what was
clicked is the `customdata` the figure builders put on every clickable mark, or the feature of a
map layer. Time brushing on a panel declared `brush=True` sets the page's time range.
"""
from __future__ import annotations

from datetime import date

import pandas as pd
from dash import ALL, Input, Output, State, callback, ctx, no_update
from dash.exceptions import PreventUpdate

from callbacks.panels import panel_for
from callbacks.state import href, resolve_view
from components.mapping import map_metric
from core.panels import CrossFilter, Drill, OpenLink
from core.viewstate import FILTER_DIMENSIONS, ViewState
from data.regions import region_tree


def apply_click(view: ViewState, behaviour, value: str) -> ViewState | str | None:
    """The view (or, for OpenLink, the URL) a click on `value` leads to; None when it means nothing."""
    value = str(value)
    if isinstance(behaviour, Drill):
        # Scope is checked again when the new URL is resolved; here only whether it is a region.
        if not region_tree().exists(value) or value == view.region:
            return None
        return view.with_region(value)
    if isinstance(behaviour, CrossFilter):
        spec = FILTER_DIMENSIONS.get(behaviour.dimension)
        if spec is None or spec.clean(value) is None:
            return None
        return view.toggle_filter(behaviour.dimension, spec.clean(value))
    if isinstance(behaviour, OpenLink):
        return behaviour.href(value, view)
    return None


def brushed_range(relayout: dict) -> tuple[date, date] | None:
    if not isinstance(relayout, dict):
        return None
    start = relayout.get("xaxis.range[0]")
    end = relayout.get("xaxis.range[1]")
    if start is None and isinstance(relayout.get("xaxis.range"), list):
        start, end = relayout["xaxis.range"][:2]
    if start is None or end is None:
        return None
    try:
        return pd.Timestamp(start).date(), pd.Timestamp(end).date()
    except (ValueError, TypeError):
        return None


def _target(view: ViewState, result) -> str | None:
    if result is None:
        return None
    return result if isinstance(result, str) else href(result)


@callback(
    Output("url", "href", allow_duplicate=True),
    Input({"type": "graph", "id": ALL}, "clickData"),
    Input({"type": "graph", "id": ALL}, "relayoutData"),
    State("url", "pathname"),
    State("url", "search"),
    prevent_initial_call=True,
)
def on_graph_event(_clicks, _relayouts, pathname, search):
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not ctx.triggered:
        raise PreventUpdate
    view = resolve_view(pathname, search)
    panel = panel_for(trigger, view)
    payload = ctx.triggered[0]["value"]
    prop = ctx.triggered[0]["prop_id"].rsplit(".", 1)[-1]
    if prop == "relayoutData":
        if not panel.brush:
            raise PreventUpdate
        brushed = brushed_range(payload)
        if brushed is None:
            raise PreventUpdate
        result = view.with_range(max(brushed[0], view.start), min(brushed[1], view.end))
    else:
        try:
            value = payload["points"][0]["customdata"]
        except (KeyError, IndexError, TypeError):
            raise PreventUpdate from None
        if isinstance(value, list):
            value = value[0]
        result = apply_click(view, panel.click, value)
    target = _target(view, result)
    if target is None or target == (pathname or "") + (search or ""):
        raise PreventUpdate
    return target


@callback(
    Output("url", "href", allow_duplicate=True),
    Input({"type": "map-regions", "id": ALL}, "clickData"),
    Input({"type": "map-points", "id": ALL}, "clickData"),
    State("url", "pathname"),
    State("url", "search"),
    prevent_initial_call=True,
)
def on_map_click(_regions, _points, pathname, search):
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not ctx.triggered or not ctx.triggered[0]["value"]:
        raise PreventUpdate
    view = resolve_view(pathname, search)
    panel = panel_for(trigger, view)
    feature = ctx.triggered[0]["value"]
    properties = feature.get("properties", {}) if isinstance(feature, dict) else {}
    if trigger.get("type") == "map-regions":
        result = apply_click(view, Drill(), properties.get("adcode", ""))
    else:
        if properties.get("cluster"):
            raise PreventUpdate
        result = apply_click(view, panel.map.point_click, properties.get("key", ""))
    target = _target(view, result)
    if target is None or target == (pathname or "") + (search or ""):
        raise PreventUpdate
    return target


@callback(
    Output("url", "href", allow_duplicate=True),
    Input({"type": "metric", "id": ALL}, "value"),
    State("url", "pathname"),
    State("url", "search"),
    prevent_initial_call=True,
)
def on_metric(_values, pathname, search):
    if not ctx.triggered or not isinstance(ctx.triggered_id, dict):
        raise PreventUpdate
    view = resolve_view(pathname, search)
    code = ctx.triggered[0]["value"]
    panel = panel_for(ctx.triggered_id, view)
    if panel.map is None or code not in panel.map.metrics or code == map_metric(panel, view):
        raise PreventUpdate  # also when the dropdown was just drawn with the view's own metric
    return href(view.with_metric("" if code == panel.map.metrics[0] else code))


@callback(
    Output("url", "href", allow_duplicate=True),
    Input("custom-range", "start_date"),
    Input("custom-range", "end_date"),
    State("url", "pathname"),
    State("url", "search"),
    prevent_initial_call=True,
)
def on_custom_range(start, end, pathname, search):
    if not start or not end:
        raise PreventUpdate
    view = resolve_view(pathname, search)
    try:
        chosen = view.with_range(date.fromisoformat(start[:10]), date.fromisoformat(end[:10]))
    except ValueError:
        raise PreventUpdate from None
    if (chosen.start, chosen.end) == (view.start, view.end):
        raise PreventUpdate  # the picker was (re)drawn with the view's own dates: nothing chosen
    return href(chosen)
