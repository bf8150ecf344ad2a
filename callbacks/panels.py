"""The generic panel callback: URL → view → every panel of the page, in one request.

One callback fills every graph, HTML and map panel on the page (ALL ids), so a drill or a filter
is one request and one update of the page, not one per panel: on a 2-core server and in the
browser, per-request costs dominate the panels' own. A failing panel shows its error and the
others are drawn. A refresh tick re-runs it, and a panel whose data did not change answers with
no update (its fingerprint is unchanged).
"""
from __future__ import annotations

import collections
import contextvars
import hashlib
import logging
import pickle
import threading
from dataclasses import replace
from typing import NamedTuple

import pandas as pd
from dash import ALL, Input, Output, State, callback, ctx, no_update
from dash.exceptions import PreventUpdate

from callbacks.clicks import click_targets, figure_values, point_targets, view_href
from callbacks.state import resolve_view
from components.figures import empty_figure
from components.frame import components_in
from components.mapping import map_props
from components.margins import fit_margins
from components.rank_bars import rank_bars_html
from components.screen import wall_figure
from core.i18n import t
from core.panels import PAGE_PANELS, PANELS, CrossFilter, Drill, Panel
from core.viewstate import ViewState, narrow
from data.cache import cached
from data.queries.common import dialect_name, own_connection

log = logging.getLogger("cockpit.panels")


def panel_for(ident: dict, view: ViewState) -> Panel:
    """The panel a request names — refused unless it is declared on the page in view (a forged
    id or a panel of another page gets nothing)."""
    panel = PANELS.get(str(ident.get("id"))) if isinstance(ident, dict) else None
    if panel is None or panel not in PAGE_PANELS.get(view.page, []):
        raise PreventUpdate
    return panel


def fingerprint(frame: pd.DataFrame, view: ViewState) -> str:
    """A digest of a panel's data and of the parts of the view its drawing depends on: equal in
    every worker for equal data, so a refresh that finds the same data sends nothing."""
    digest = hashlib.blake2b(digest_size=12)
    if isinstance(frame, pd.DataFrame):
        digest.update(pickle.dumps((list(frame.columns), [str(dtype) for dtype in frame.dtypes], frame.shape)))
        # column by column: numbers as their bytes, other values as their text (a city's thousands
        # of lots turned into Python lists and pickled cost tens of milliseconds)
        for values in [frame.index.to_numpy()] + [frame.iloc[:, i].to_numpy() for i in range(frame.shape[1])]:
            digest.update(repr(values.tolist()).encode() if values.dtype == object else values.tobytes())
    else:
        digest.update(pickle.dumps(frame))
    digest.update(pickle.dumps((view.filters, view.region, view.start, view.end, view.lang, view.metric)))
    return digest.hexdigest()


def figure_view(panel: Panel, view: ViewState) -> ViewState:
    """The part of a view a panel's figure depends on: its query's filters, the selection of the
    dimension it filters by (drawn highlighted), and how it is drawn. A filter set elsewhere on
    the page leaves the figure — and its cache entry — as it was."""
    dimensions = set(panel.filters)
    if isinstance(panel.click, CrossFilter):
        dimensions.add(panel.click.dimension)
    return replace(narrow(view, tuple(sorted(dimensions))), page=view.page, screen=view.screen,
                   metric=view.metric)


@cached
def graph_content(panel_id: str, view: ViewState) -> tuple[dict, str, list]:
    """A graph panel's figure as plain JSON, the fingerprint of its data and the values its marks
    carry for clicks, memoized: a view seen before (another worker, another wall) costs neither
    the query nor building the figure. Only figures are memoized — HTML panels may depend on the
    user's role (masking)."""
    panel = PANELS[panel_id]
    frame = panel.data(view)
    if frame is None or (isinstance(frame, pd.DataFrame) and frame.empty):
        figure = empty_figure(t("no_data", view.lang))
    else:
        figure = panel.figure(frame, view, panel)
    content = fit_margins(wall_figure(figure) if view.screen else figure.to_plotly_json())
    return content, fingerprint(frame, view), figure_values(content)


class Filled(NamedTuple):
    """A panel's content, the fingerprint of what it shows, and where clicks on it lead."""

    content: object
    hash: str | None
    targets: dict | None


def _graph(panel: Panel, view: ViewState) -> Filled:
    content, new_hash, values = graph_content(panel.id, figure_view(panel, view))
    return Filled(content, new_hash, click_targets(view, panel.click, values))


def _bars(panel: Panel, view: ViewState) -> Filled:
    """A ranking drawn as HTML: the figure as a graph panel's (memoized alike), turned into bars."""
    content, new_hash, values = graph_content(panel.id, figure_view(panel, view))
    targets = click_targets(view, panel.click, values)
    return Filled(rank_bars_html(content, links=targets), new_hash, targets)


def _html(panel: Panel, view: ViewState) -> Filled:
    frame = panel.data(view)
    return Filled(panel.render(frame, view, panel), fingerprint(frame, view), None)


@cached
def map_content(panel_id: str, view: ViewState) -> Filled:
    """A map panel's regions and points, their fingerprint and where clicks on them lead, memoized
    like a figure (a county's map has thousands of points)."""
    panel = PANELS[panel_id]
    props = map_props(panel, view)
    # a region drills into it; a point does what the map declares
    keys = [f["properties"]["key"] for f in props["points"]["features"]]
    targets = {"regions": click_targets(view, Drill(), props["hideout"]["values"]),
               "points": point_targets(click_targets(view, panel.map.point_click, keys), keys, view_href(view))}
    # The fingerprint is one digest per part of the map, so the next fill can send only the parts
    # that changed: a map whose bounds are those it shows is not flown there again, and a
    # cross-filter that outlines a point sends its selection, not the county's thousands of points
    # again (the browser would draw them all anew).
    hash_ = ":".join(hashlib.blake2b(pickle.dumps(props[part] if part != "viewport" else props[part]["bounds"]),
                                     digest_size=6).hexdigest() for part in MAP_PARTS)
    return Filled(props, hash_, targets)


# the parts of a map's content, each an output of the fill (fill_panels' map_part)
MAP_PARTS = ("viewport", "url", "hideout", "points", "points_hideout")


def _map(panel: Panel, view: ViewState) -> Filled:
    return map_content(panel.id, view)


def _changed_parts(filled: Filled, old_hash: str | None) -> Filled:
    """A map's content with no update for each part the page shows already (by the parts'
    digests); everything when the page's fingerprint is of another form."""
    old = (old_hash or "").split(":")
    new = (filled.hash or "").split(":")
    if len(old) != len(MAP_PARTS) or len(new) != len(MAP_PARTS):
        return filled
    return filled._replace(content={**filled.content, **{part: no_update for part, was, now in zip(MAP_PARTS, old, new)
                                                          if was == now}})


def _html_failure(view: ViewState):
    from dash import html

    return html.Div(t("panel_error", view.lang), className="panel-error", role="alert")


CONTENT = {"graph": _graph, "bars": _bars, "html": _html, "map": _map}
# the property of each kind's component that takes its content
CONTENT_PROP = {"graph": "figure", "bars": "data-bars", "html": "children"}
UNCHANGED = Filled(no_update, no_update, None)
def _filled(kind: str, panel: Panel, view: ViewState) -> Filled:
    try:
        return CONTENT[kind](panel, view)
    except Exception:
        log.exception("%s panel %s failed for %s", kind, panel.id, view)
        if kind == "graph":
            return Filled(empty_figure(t("panel_error", view.lang)), None, None)
        if kind == "html":
            return Filled(_html_failure(view), None, None)
        if kind == "bars":
            return Filled(rank_bars_html(empty_figure(t("panel_error", view.lang)).to_plotly_json()), None, None)
        return UNCHANGED


def fill(requested: list[tuple[str, dict, str | None]], view: ViewState, refresh: bool) -> list[Filled]:
    """Fill the requested panels [(kind, component id, hash shown)] in that order. An id that is
    not a panel of the page in view (forged, or of the page being left) gets no update; so does a
    figure or map whose content is what is shown already, and on a refresh an unchanged HTML panel
    (on a new view HTML is sent again: its links follow the view)."""
    panels = []
    for kind, ident, _old in requested:
        try:
            panels.append(panel_for(ident, view))
        except PreventUpdate:
            panels.append(None)
    # On PostgreSQL, when no other fill is running in this process, two threads fill the panels, one
    # from each end of the list: while one waits for the database (which works in its own process,
    # on the other core) the other builds figures (traffic at 100x: 175 → 145 ms p50). Under load the
    # other requests keep the cores busy and a second thread would only contend for them (officers'
    # p95 measured 910 → 1,540 ms), so a fill beside another is filled by one thread; so is one on
    # SQLite, whose reads are short calls in this process: there each return from a read waits for
    # the other thread to hand back the interpreter (traffic at 1x: 124 → 139 ms p95). Each thread
    # reads on a connection of its own, checked out at its first read the cache does not answer.
    waiting = collections.deque(i for i, panel in enumerate(panels) if panel is not None)
    taking = threading.Lock()
    results = [UNCHANGED] * len(requested)

    def work(from_the_end: bool) -> None:
        with own_connection():
            while True:
                with taking:
                    if not waiting:
                        return
                    index = waiting.pop() if from_the_end else waiting.popleft()
                results[index] = _finished(requested[index], panels[index], view, refresh)

    global _fills_running
    with _fills_lock:
        _fills_running += 1
        alone = _fills_running == 1
    try:
        helper = None
        if alone and len(waiting) > 2 and dialect_name() != "sqlite":
            # in a copy of this request's context: the same user, view and cache, its own connection
            helper = threading.Thread(target=contextvars.copy_context().run, args=(work, True), daemon=True,
                                      name="fill-helper")
            helper.start()
        work(False)
        if helper is not None:
            helper.join()
    finally:
        with _fills_lock:
            _fills_running -= 1
    return results


# fills running in this process (a fill beside another gets no helper thread)
_fills_running = 0
_fills_lock = threading.Lock()


def _finished(requested: tuple[str, dict, str | None], panel: Panel, view: ViewState, refresh: bool) -> Filled:
    """A panel's content, or no update where it shows this content already."""
    kind, _ident, old_hash = requested
    filled = _filled(kind, panel, view)
    if filled.hash is not None and filled.hash == old_hash and (refresh or kind != "html"):
        return Filled(no_update, no_update, filled.targets)
    if kind == "map":
        return _changed_parts(filled, old_hash)
    return filled


def _shells(tree) -> dict:
    """The panel components of a freshly built page, by (type, panel id)."""
    return {(node.id["type"], node.id["id"]): node for node in components_in(tree)
            if isinstance(getattr(node, "id", None), dict) and "type" in node.id and "id" in node.id}


def fill_layout(tree, view: ViewState):
    """Put every panel's content into the page as it is built, so a page arrives drawn: one round
    trip instead of a layout and then a request for its panels. The hash stores get the
    fingerprints, so the first refresh that finds the same data sends nothing."""
    shells = _shells(tree)
    requested = [(type_, {"type": type_, "id": pid}, None) for (type_, pid) in shells
                 if type_ in CONTENT]
    targets = {}
    for (kind, ident, _), filled in zip(requested, fill(requested, view, refresh=False)):
        pid = ident["id"]
        if filled.targets:
            targets[pid] = filled.targets
        if filled.content is no_update:
            continue
        if kind == "map":
            props = filled.content
            shells[("map-regions", pid)].url = props["url"]
            shells[("map-regions", pid)].hideout = props["hideout"]
            shells[("map-points", pid)].data = props["points"]
            shells[("map-points", pid)].hideout = props["points_hideout"]
            # fitted as it mounts, at once (a map's `bounds` yield to its center and zoom)
            shells[("map", pid)].viewport = {**props["viewport"], "transition": "fitBounds"}
        else:
            setattr(shells[(kind, pid)], CONTENT_PROP[kind], filled.content)
        if (f"{kind}-hash", pid) in shells:
            shells[(f"{kind}-hash", pid)].data = filled.hash
    for (type_, _pid), store in shells.items():
        if type_ == "click-targets":
            store.data = targets
    return tree


@callback(
    Output({"type": "graph", "id": ALL}, "figure"),
    Output({"type": "graph-hash", "id": ALL}, "data"),
    Output({"type": "html", "id": ALL}, "children"),
    Output({"type": "html-hash", "id": ALL}, "data"),
    Output({"type": "bars", "id": ALL}, "data-bars"),
    Output({"type": "bars-hash", "id": ALL}, "data"),
    Output({"type": "map-regions", "id": ALL}, "url"),
    Output({"type": "map-regions", "id": ALL}, "hideout"),
    Output({"type": "map-points", "id": ALL}, "data"),
    Output({"type": "map-points", "id": ALL}, "hideout"),
    Output({"type": "map", "id": ALL}, "viewport"),
    Output({"type": "map-hash", "id": ALL}, "data"),
    Output({"type": "click-targets", "id": ALL}, "data"),
    Input("url", "search"),
    Input("url", "pathname"),
    Input("data-version", "data"),
    Input("page-stale", "data"),
    State({"type": "graph-hash", "id": ALL}, "data"),
    State({"type": "html-hash", "id": ALL}, "data"),
    State({"type": "bars-hash", "id": ALL}, "data"),
    State({"type": "map-hash", "id": ALL}, "data"),
    prevent_initial_call=True,  # a page arrives with its panels filled (fill_layout)
)
def fill_panels(search, pathname, _version, _stale, graph_hashes, html_hashes, bars_hashes, map_hashes):
    view = resolve_view(pathname, search)
    refresh = ctx.triggered_id == "data-version"

    def ids(index: int) -> list:
        return [item["id"] for item in ctx.outputs_list[index]]

    requested = ([("graph", i, h) for i, h in zip(ids(0), graph_hashes)]
                 + [("html", i, h) for i, h in zip(ids(2), html_hashes)]
                 + [("bars", i, h) for i, h in zip(ids(4), bars_hashes)]
                 + [("map", i, h) for i, h in zip(ids(11), map_hashes)])
    filled = fill(requested, view, refresh)
    graphs, htmls, bars, maps = ([f for (k, _ident, _old), f in zip(requested, filled) if k == kind]
                                 for kind in ("graph", "html", "bars", "map"))
    targets = {ident["id"]: f.targets for (_kind, ident, _old), f in zip(requested, filled) if f.targets}

    def map_part(key: str) -> list:
        parts = []
        for item in maps:
            if item.content is no_update or (key == "viewport" and refresh):
                parts.append(no_update)  # a refresh must not move a map someone is looking at
            else:
                parts.append(item.content[key])
        return parts

    return ([f.content for f in graphs], [f.hash for f in graphs],
            [f.content for f in htmls], [f.hash for f in htmls],
            [f.content for f in bars], [f.hash for f in bars],
            map_part("url"), map_part("hideout"), map_part("points"), map_part("points_hideout"),
            map_part("viewport"), [f.hash for f in maps],
            [targets for _ in ctx.outputs_list[12]])
