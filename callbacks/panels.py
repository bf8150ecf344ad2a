"""The generic panel callbacks: URL → view → every panel of the page, in parallel.

One callback per panel kind (graph, html, map) with a MATCH id, so each panel is fetched in its
own request and a slow one does not hold the others. A refresh tick re-runs them, and a panel
whose data did not change answers with no update (its fingerprint is unchanged).
"""
from __future__ import annotations

import hashlib
import logging
import pickle

import pandas as pd
from dash import MATCH, Input, Output, State, callback, no_update
from dash.exceptions import PreventUpdate

from callbacks.state import resolve_view
from components.figures import empty_figure
from components.mapping import map_props
from components.screen import wall_figure
from core.i18n import t
from core.panels import PAGE_PANELS, PANELS, Panel
from core.viewstate import ViewState
from data.cache import cached

log = logging.getLogger("cockpit.panels")


def panel_for(ident: dict, view: ViewState) -> Panel:
    """The panel a request names — refused unless it is declared on the page in view (a forged
    id or a panel of another page gets nothing)."""
    panel = PANELS.get(str(ident.get("id"))) if isinstance(ident, dict) else None
    if panel is None or panel not in PAGE_PANELS.get(view.page, []):
        raise PreventUpdate
    return panel


def fingerprint(frame: pd.DataFrame, view: ViewState) -> str:
    payload = pickle.dumps((frame.to_dict("split") if isinstance(frame, pd.DataFrame) else frame,
                            view.filters, view.region, view.start, view.end, view.lang, view.metric))
    return hashlib.blake2b(payload, digest_size=12).hexdigest()


def _unchanged(trigger: str | None, new_hash: str, old_hash: str | None) -> bool:
    return trigger == "data-version" and new_hash == old_hash


@cached
def graph_content(panel_id: str, view: ViewState) -> tuple[dict, str]:
    """A graph panel's figure as plain JSON, and the fingerprint of its data, memoized: a view
    seen before (another worker, another wall) costs neither the query nor building the figure.
    Only figures are memoized — HTML panels may depend on the user's role (masking)."""
    panel = PANELS[panel_id]
    frame = panel.data(view)
    if frame is None or (isinstance(frame, pd.DataFrame) and frame.empty):
        figure = empty_figure(t("no_data", view.lang))
    else:
        figure = panel.figure(frame, view, panel)
    content = wall_figure(figure) if view.screen else figure.to_plotly_json()
    return content, fingerprint(frame, view)


def _fill(kind: str, search, pathname, ident, old_hash, content, failure):
    """The body of every panel callback: resolve the view (scope enforced), check the panel is
    on the page, build its content, and answer nothing when a refresh finds the same data."""
    from dash import ctx

    view = resolve_view(pathname, search)
    panel = panel_for(ident, view)
    try:
        payload, new_hash = content(panel, view)
    except PreventUpdate:
        raise
    except Exception:
        log.exception("%s panel %s failed for %s%s", kind, panel.id, pathname, search)
        return failure(view), None
    if _unchanged(ctx.triggered_id, new_hash, old_hash):
        return no_update, no_update
    return payload, new_hash


def _graph(panel: Panel, view: ViewState):
    return graph_content(panel.id, view)


def _html(panel: Panel, view: ViewState):
    frame = panel.data(view)
    return panel.render(frame, view, panel), fingerprint(frame, view)


def _html_failure(view: ViewState):
    from dash import html

    return html.Div(t("panel_error", view.lang), className="panel-error", role="alert")


@callback(
    Output({"type": "graph", "id": MATCH}, "figure"),
    Output({"type": "graph-hash", "id": MATCH}, "data"),
    Input("url", "search"),
    Input("url", "pathname"),
    Input("data-version", "data"),
    State({"type": "graph", "id": MATCH}, "id"),
    State({"type": "graph-hash", "id": MATCH}, "data"),
)
def fill_graph(search, pathname, _version, ident, old_hash):
    return _fill("graph", search, pathname, ident, old_hash, _graph,
                 lambda view: empty_figure(t("panel_error", view.lang)))


@callback(
    Output({"type": "html", "id": MATCH}, "children"),
    Output({"type": "html-hash", "id": MATCH}, "data"),
    Input("url", "search"),
    Input("url", "pathname"),
    Input("data-version", "data"),
    State({"type": "html", "id": MATCH}, "id"),
    State({"type": "html-hash", "id": MATCH}, "data"),
)
def fill_html(search, pathname, _version, ident, old_hash):
    return _fill("html", search, pathname, ident, old_hash, _html, _html_failure)


@callback(
    Output({"type": "map-regions", "id": MATCH}, "url"),
    Output({"type": "map-regions", "id": MATCH}, "hideout"),
    Output({"type": "map-points", "id": MATCH}, "data"),
    Output({"type": "map-points", "id": MATCH}, "hideout"),
    Output({"type": "map", "id": MATCH}, "viewport"),
    Output({"type": "map-hash", "id": MATCH}, "data"),
    Input("url", "search"),
    Input("url", "pathname"),
    Input("data-version", "data"),
    State({"type": "map", "id": MATCH}, "id"),
    State({"type": "map-hash", "id": MATCH}, "data"),
)
def fill_map(search, pathname, _version, ident, old_hash):
    from dash import ctx

    view = resolve_view(pathname, search)
    panel = panel_for(ident, view)
    try:
        props = map_props(panel, view)
    except PreventUpdate:
        raise
    except Exception:
        log.exception("map %s failed for %s%s", panel.id, pathname, search)
        raise PreventUpdate from None
    new_hash = hashlib.blake2b(pickle.dumps(props), digest_size=12).hexdigest()
    if _unchanged(ctx.triggered_id, new_hash, old_hash):
        raise PreventUpdate
    viewport = props["viewport"]
    if ctx.triggered_id == "data-version":
        viewport = no_update  # a refresh must not move a map someone is looking at
    return (props["url"], props["hideout"], props["points"], props["points_hideout"], viewport, new_hash)
