"""The frame every cockpit lives in: header, breadcrumb, time presets, filter chips, panel cards.

Everything that changes the view here is a plain link to the new view's URL (computed with
callbacks.state.href), so navigation, drill-up, presets and chip removal need no callback and the
browser's history records each step.
"""
from __future__ import annotations

from datetime import date, datetime

import dash_leaflet as dl
from dash import dcc, html

from core.i18n import pick, t
from core.panels import Panel
from core.settings import get_settings
from core.viewstate import FILTER_DIMENSIONS, ViewState, preset_range

NAV = [("/", "overview"), ("/tourism", "tourism"), ("/environment", "environment"), ("/traffic", "traffic"),
       ("/safety", "safety"), ("/eldercare", "eldercare"), ("/incidents", "incidents")]
PRESETS = ("today", "7d", "30d", "month", "year")
# Links of the header that lead to the view in show, changed (another cockpit, range, language or
# mode). A drill or a filter changes only where they lead: the header callback then sends their
# hrefs alone (callbacks/frame.py), and the browser keeps the links it has drawn. Each also has its
# name as a class, for styles and tests (a dict id is no CSS id).
VIEW_LINK = "view-link"
VIEW_LINKS = tuple([f"nav-{key}" for _, key in NAV] + [f"preset-{preset}" for preset in PRESETS]
                   + ["lang-switch", "screen-switch"])


def view_link_id(name: str) -> dict:
    return {"type": VIEW_LINK, "link": name}


def components_in(node):
    """Every component of a tree (a component, or a list of them), depth first."""
    if isinstance(node, (list, tuple)):
        for item in node:
            yield from components_in(item)
        return
    if node is None or isinstance(node, (str, int, float)):
        return
    yield node
    yield from components_in(getattr(node, "children", None))


def navigation(view: ViewState, href) -> html.Nav:
    links = []
    for path, key in NAV:
        target = view.with_page(path)
        links.append(dcc.Link(t(key, view.lang), href=href(target), id=view_link_id(f"nav-{key}"),
                              className=("nav-link active" if view.page == path else "nav-link") + f" nav-{key}"))
    return html.Nav(links, className="cockpit-nav", **{"aria-label": "cockpits"})


def breadcrumb(view: ViewState, path: list, root: str, href) -> html.Nav:
    """安徽省 › 黄山市 › 黄山区: each level above the current one links back up (within scope)."""
    items = []
    inside = False
    for position, region in enumerate(path):
        inside = inside or region.adcode == root
        label = region.label(view.lang)
        last = position == len(path) - 1
        if last or not inside:
            items.append(html.Span(label, className="crumb current" if last else "crumb"))
        else:
            items.append(dcc.Link(label, href=href(view.with_region(region.adcode)), className="crumb link",
                                  id={"type": "crumb", "adcode": region.adcode}))
        if not last:
            items.append(html.Span("›", className="crumb-sep", **{"aria-hidden": "true"}))
    return html.Nav(items, className="breadcrumb", id="breadcrumb", **{"aria-label": "region"})


def range_presets(view: ViewState, today: date, href) -> html.Div:
    """The preset ranges (今日 … 本年), each a link to this view over that range."""
    buttons = []
    for preset in PRESETS:
        start, end = preset_range(preset, today)
        active = (view.start, view.end) == (start, end)
        buttons.append(dcc.Link(t(preset, view.lang), href=href(view.with_range(start, end)),
                                className=("preset active" if active else "preset") + f" preset-{preset}",
                                id=view_link_id(f"preset-{preset}")))
    return html.Div(buttons, className="presets", role="group")


def range_picker(view: ViewState, today: date) -> dcc.DatePickerRange:
    """A custom range (callbacks/interaction.py turns a choice into the URL)."""
    return dcc.DatePickerRange(
        id="custom-range", start_date=view.start, end_date=view.end, max_date_allowed=today,
        display_format="YYYY-MM-DD", first_day_of_week=1, minimum_nights=0, clearable=False,
        start_date_placeholder_text="YYYY-MM-DD", end_date_placeholder_text="YYYY-MM-DD", className="range-picker",
    )


def chips(view: ViewState, href, value_labels: dict[tuple[str, str], str]) -> html.Div:
    """Active filters as removable chips, and one action that clears them all."""
    if not view.filters:
        return html.Div(className="chips empty", id="chips")
    items = []
    for dimension, values in view.filters:
        spec = FILTER_DIMENSIONS[dimension]
        for value in values:
            label = value_labels.get((dimension, value), value)
            items.append(dcc.Link(
                [html.Span(f"{spec.label(view.lang)}: ", className="chip-dim"), html.Span(label),
                 html.Span("×", className="chip-x", **{"aria-hidden": "true"})],
                href=href(view.remove_filter(dimension, value)), className="chip",
                id={"type": "chip", "dim": dimension, "value": value},
                title=pick(view.lang, "移除此筛选", "Remove this filter"),
            ))
    items.append(dcc.Link(t("clear_filters", view.lang), href=href(view.clear_filters()), className="chip clear",
                          id="clear-filters"))
    return html.Div(items, className="chips", id="chips")


def data_time(updated_at: datetime | None, stale_minutes: int, now: datetime, lang: str) -> html.Div:
    if updated_at is None:
        return html.Div("—", className="data-time")
    stale = (now - updated_at).total_seconds() > stale_minutes * 60
    children = [html.Span(t("updated", lang) + " "), html.Time(updated_at.strftime("%Y-%m-%d %H:%M"),
                                                                dateTime=updated_at.isoformat())]
    if stale:
        children.append(html.Span(" ⚠ " + t("stale", lang, minutes=stale_minutes), className="stale-warning",
                                  role="status"))
    return html.Div(children, className="data-time stale" if stale else "data-time", id="data-time")


def error_banner(view: ViewState, home_href: str) -> html.Div:
    if not view.errors:
        return html.Div(id="view-errors", className="view-errors empty")
    return html.Div([
        html.Strong(t("error_title", view.lang)),
        html.Ul([html.Li(message) for message in view.errors]),
        dcc.Link(t("back_home", view.lang), href=home_href, className="back-link"),
    ], id="view-errors", className="view-errors", role="alert")


def graph_config(view: ViewState, panel: Panel) -> dict:
    """Plotly's settings for a panel's chart. Its tool bar (zoom, pan, reset) shows on a desk for the
    time charts one may brush, the only ones a zoom serves; on the others it would only cover the
    top-right marks as the pointer comes near (the first bar of a ranking), and each panel's export
    menu gives the image."""
    return {
        "displaylogo": False, "locale": "zh-CN" if view.lang == "zh" else "en", "responsive": True,
        "displayModeBar": "hover" if panel.brush and not view.screen else False,
        "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d", "toggleSpikelines",
                                   "hoverClosestCartesian", "hoverCompareCartesian"],
        "toImageButtonOptions": {"format": "png", "scale": 2},
    }


def panel_card(panel: Panel, view: ViewState, tools=None) -> html.Section:
    """The shell of one panel; its content is filled by the generic panel callbacks."""
    pid = panel.id
    if panel.kind == "graph":
        body = dcc.Graph(id={"type": "graph", "id": pid}, config=graph_config(view, panel), className="panel-graph",
                         figure={"data": [], "layout": {"paper_bgcolor": "rgba(0,0,0,0)",
                                                        "plot_bgcolor": "rgba(0,0,0,0)",
                                                        "xaxis": {"visible": False}, "yaxis": {"visible": False}}})
    elif panel.kind == "bars":
        # drawn from its data-bars HTML by assets/rank_bars.js (components/rank_bars.py)
        body = html.Div(id={"type": "bars", "id": pid}, className="bars-host", **{"data-bars": ""})
    elif panel.kind == "map":
        body = map_shell(panel, view)
    else:
        body = html.Div(id={"type": "html", "id": pid}, className="panel-html")
    tools = list(tools or [])
    if panel.export and not view.screen:
        tools.append(export_menu(panel, view))
    header = html.Header([
        html.H2(panel.title(view.lang), className="panel-title"),
        html.Div(tools, className="panel-tools"),
    ], className="panel-header")
    footer = html.Footer(pick(view.lang, "来源：", "Source: ") + panel.source(view.lang), className="panel-source")
    # The hash of what the panel shows: a refresh tick that finds the same data sends nothing.
    fingerprint = dcc.Store(id={"type": f"{panel.kind}-hash", "id": pid}, data=None)
    return html.Section([header, html.Div(body, className="panel-body"), footer, fingerprint],
                        className=f"panel panel-{panel.kind} w{panel.width} h{panel.height}",
                        id=f"panel-{pid}", **{"data-panel": pid})


EXPORT_FORMATS = (("png", "PNG"), ("svg", "SVG"), ("csv", "CSV"), ("xlsx", "Excel"))


def export_menu(panel: Panel, view: ViewState) -> html.Details:
    """Every panel exports what it shows: image (print resolution) or the data behind it."""
    return html.Details([
        html.Summary(t("export", view.lang), className="export-summary"),
        html.Div([html.Button(label, id={"type": "export", "panel": panel.id, "fmt": fmt}, n_clicks=0,
                              className="export-button") for fmt, label in EXPORT_FORMATS],
                 className="export-options"),
    ], className="export-menu")


def report_buttons(view: ViewState) -> html.Div:
    """The whole cockpit as one report."""
    return html.Div([html.Span(pick(view.lang, "报告", "Report"), className="report-label")] + [
        html.Button(label, id={"type": "export-report", "fmt": fmt}, n_clicks=0, className="tool-link")
        for fmt, label in (("pptx", "PPT"), ("pdf", "PDF"))], className="report-buttons")


def map_shell(panel: Panel, view: ViewState) -> dl.Map:
    pid = panel.id
    tile_url = get_settings().tile_url  # optional intranet tile server; default: boundaries only
    layers = []
    if tile_url:
        layers.append(dl.TileLayer(url=tile_url))
    layers += [
        dl.GeoJSON(id={"type": "map-regions", "id": pid}, style={"variable": "cockpitMap.regionStyle"},
                   onEachFeature={"variable": "cockpitMap.regionLabel"}, hideout={},
                   hoverStyle={"weight": 3, "color": "#f59f00"}, zoomToBounds=False),
        dl.GeoJSON(id={"type": "map-points", "id": pid}, data={"type": "FeatureCollection", "features": []},
                   pointToLayer={"variable": "cockpitMap.pointToLayer"},
                   clusterToLayer={"variable": "cockpitMap.clusterToLayer"}, cluster=bool(panel.map.cluster),
                   superClusterOptions={"radius": 60, "maxZoom": 13}, hideout={}),
    ]
    return dl.Map(layers, id={"type": "map", "id": pid}, center=[30.0, 118.2], zoom=8, zoomSnap=0.25,
                  attributionControl=False, className="cockpit-map", style={"background": "transparent"},
                  scrollWheelZoom=not view.screen)


def page_grid(panels: list, view: ViewState, extra_tools: dict | None = None) -> html.Div:
    extra_tools = extra_tools or {}
    return html.Div([panel_card(p, view, extra_tools.get(p.id)) for p in panels
                     if not view.screen or p.screen], className="panel-grid")
