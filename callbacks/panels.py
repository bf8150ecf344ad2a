"""The generic panel callback: URL → view → every panel of the page, in one request.

One callback fills every graph, HTML and map panel on the page (ALL ids), so a drill or a filter
is one request and one update of the page, not one per panel: on a 2-core server and in the
browser, per-request costs dominate the panels' own. A failing panel shows its error and the
others are drawn. A refresh tick re-runs it, and a panel whose data did not change answers with
no update (its fingerprint is unchanged).
"""
from __future__ import annotations

import hashlib
import logging
import pickle

import pandas as pd
from dash import ALL, Input, Output, State, callback, ctx, no_update
from dash.exceptions import PreventUpdate

from callbacks.clicks import click_targets, figure_values
from callbacks.state import resolve_view
from components.figures import empty_figure
from components.mapping import map_props
from components.screen import wall_figure
from core.i18n import t
from core.panels import PAGE_PANELS, PANELS, Drill, Panel
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


@cached
def graph_content(panel_id: str, view: ViewState) -> tuple[dict, str]:
    """A graph panel's figure as plain JSON — with the URL each clickable mark leads to in
    `layout.meta.click` — and the fingerprint of its data, memoized: a view seen before (another
    worker, another wall) costs neither the query nor building the figure. Only figures are
    memoized — HTML panels may depend on the user's role (masking)."""
    panel = PANELS[panel_id]
    frame = panel.data(view)
    if frame is None or (isinstance(frame, pd.DataFrame) and frame.empty):
        figure = empty_figure(t("no_data", view.lang))
    else:
        figure = panel.figure(frame, view, panel)
    content = wall_figure(figure) if view.screen else figure.to_plotly_json()
    targets = click_targets(view, panel.click, figure_values(content))
    if targets:
        layout = content.setdefault("layout", {})
        layout["meta"] = {**(layout.get("meta") or {}), "click": targets}
    return content, fingerprint(frame, view)


def _graph(panel: Panel, view: ViewState):
    return graph_content(panel.id, view)


def _html(panel: Panel, view: ViewState):
    frame = panel.data(view)
    return panel.render(frame, view, panel), fingerprint(frame, view)


def _map(panel: Panel, view: ViewState):
    props = map_props(panel, view)
    # where a click leads: a region drills into it, a point does what the map declares
    props["hideout"]["hrefs"] = click_targets(view, Drill(), props["hideout"]["values"])
    point_targets = click_targets(view, panel.map.point_click,
                                  [f["properties"]["key"] for f in props["points"]["features"]])
    for feature in props["points"]["features"]:
        target = point_targets.get(feature["properties"]["key"])
        if target:
            feature["properties"]["href"] = target
    return props, hashlib.blake2b(pickle.dumps(props), digest_size=12).hexdigest()


def _html_failure(view: ViewState):
    from dash import html

    return html.Div(t("panel_error", view.lang), className="panel-error", role="alert")


CONTENT = {"graph": _graph, "html": _html, "map": _map}


def panel_contents(kind: str, idents: list, old_hashes: list, view: ViewState, refresh: bool) -> list:
    """[(content, hash)] for the panels of one kind in the request, in its order; no_update for
    an id that is not a panel of the page in view (forged, or of the page being left) and, on a
    refresh, for a panel whose data did not change."""
    results = []
    for ident, old_hash in zip(idents, old_hashes):
        try:
            panel = panel_for(ident, view)
        except PreventUpdate:
            results.append((no_update, no_update))
            continue
        try:
            content, new_hash = CONTENT[kind](panel, view)
        except Exception:
            log.exception("%s panel %s failed for %s", kind, panel.id, view)
            if kind == "graph":
                results.append((empty_figure(t("panel_error", view.lang)), None))
            elif kind == "html":
                results.append((_html_failure(view), None))
            else:
                results.append((no_update, no_update))
            continue
        if refresh and new_hash == old_hash:
            results.append((no_update, no_update))
        else:
            results.append((content, new_hash))
    return results


def _shells(node, found: dict) -> dict:
    """The panel components of a freshly built page, by (type, panel id)."""
    ident = getattr(node, "id", None)
    if isinstance(ident, dict) and "type" in ident and "id" in ident:
        found[(ident["type"], ident["id"])] = node
    children = getattr(node, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and not isinstance(child, (str, int, float)):
            _shells(child, found)
    return found


def fill_layout(tree, view: ViewState):
    """Put every panel's content into the page as it is built, so a page arrives drawn: one round
    trip instead of a layout and then a request for its panels. The hash stores get the
    fingerprints, so the first refresh that finds the same data sends nothing."""
    shells = _shells(tree, {})
    for kind, content_prop in (("graph", "figure"), ("html", "children"), ("map", None)):
        idents = [{"type": kind, "id": pid} for (type_, pid) in shells if type_ == kind]
        results = panel_contents(kind, idents, [None] * len(idents), view, refresh=False)
        for ident, (content, new_hash) in zip(idents, results):
            if content is no_update:
                continue
            pid = ident["id"]
            if kind == "map":
                shells[("map-regions", pid)].url = content["url"]
                shells[("map-regions", pid)].hideout = content["hideout"]
                shells[("map-points", pid)].data = content["points"]
                shells[("map-points", pid)].hideout = content["points_hideout"]
                shells[("map", pid)].bounds = content["viewport"]["bounds"]
            else:
                setattr(shells[(kind, pid)], content_prop, content)
            if (f"{kind}-hash", pid) in shells:
                shells[(f"{kind}-hash", pid)].data = new_hash
    return tree


def _ids(index: int) -> list:
    return [item["id"] for item in ctx.outputs_list[index]]


@callback(
    Output({"type": "graph", "id": ALL}, "figure"),
    Output({"type": "graph-hash", "id": ALL}, "data"),
    Output({"type": "html", "id": ALL}, "children"),
    Output({"type": "html-hash", "id": ALL}, "data"),
    Output({"type": "map-regions", "id": ALL}, "url"),
    Output({"type": "map-regions", "id": ALL}, "hideout"),
    Output({"type": "map-points", "id": ALL}, "data"),
    Output({"type": "map-points", "id": ALL}, "hideout"),
    Output({"type": "map", "id": ALL}, "viewport"),
    Output({"type": "map-hash", "id": ALL}, "data"),
    Input("url", "search"),
    Input("url", "pathname"),
    Input("data-version", "data"),
    State({"type": "graph-hash", "id": ALL}, "data"),
    State({"type": "html-hash", "id": ALL}, "data"),
    State({"type": "map-hash", "id": ALL}, "data"),
    prevent_initial_call=True,  # a page arrives with its panels filled (fill_layout)
)
def fill_panels(search, pathname, _version, graph_hashes, html_hashes, map_hashes):
    view = resolve_view(pathname, search)
    refresh = ctx.triggered_id == "data-version"
    graphs = panel_contents("graph", _ids(0), graph_hashes, view, refresh)
    htmls = panel_contents("html", _ids(2), html_hashes, view, refresh)
    maps = panel_contents("map", _ids(9), map_hashes, view, refresh)

    def map_part(key: str) -> list:
        parts = []
        for props, _hash in maps:
            if props is no_update:
                parts.append(no_update)
            elif key == "viewport" and refresh:
                parts.append(no_update)  # a refresh must not move a map someone is looking at
            else:
                parts.append(props[key])
        return parts

    return ([c for c, _ in graphs], [h for _, h in graphs],
            [c for c, _ in htmls], [h for _, h in htmls],
            map_part("url"), map_part("hideout"), map_part("points"), map_part("points_hideout"),
            map_part("viewport"), [h for _, h in maps])
