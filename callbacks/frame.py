"""The header follows the URL; the refresh tick follows the data version; the theme follows the user."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime

import plotly
from dash import ALL, Input, Output, State, callback, callback_context, clientside_callback, dcc, html, no_update
from dash.exceptions import PreventUpdate
from sqlalchemy import select

from callbacks.state import current_user, data_days, href, resolve_view, user_root
from components.frame import (VIEW_LINK, breadcrumb, chips, components_in, data_time, error_banner, navigation,
                              range_picker, range_presets, report_buttons, view_link_id)
from core.auth import can
from core.i18n import pick, t
from core.settings import get_settings
from core.viewstate import ViewState
from data.cache import data_version
from data.queries.labels import filter_labels
from data.regions import region_tree


def updated_at() -> datetime | None:
    from data.db import get_engine
    from data.models import DataMeta

    with get_engine().connect() as conn:
        value = conn.execute(select(DataMeta.value).where(DataMeta.key == "updated_at")).scalar()
    return datetime.fromisoformat(value) if value else None


def header_tools(view: ViewState) -> list:
    other = "en" if view.lang == "zh" else "zh"
    from dataclasses import replace

    tools = [
        # a new language loads the page anew: every title and label of the page is in it, while a
        # change of the query string alone only updates the panels (assets/router_local.js)
        dcc.Link(t("language", view.lang), href=href(replace(view, lang=other)), id=view_link_id("lang-switch"),
                 className="tool-link lang-switch", refresh=True),
        html.Button(pick(view.lang, "深浅", "Theme"), id="theme-toggle", className="tool-link", n_clicks=0,
                    title=pick(view.lang, "切换浅色/深色主题", "Switch light/dark theme")),
        # a full page load: the page is laid out again for the other mode (panels, figure config)
        html.A(t("desk_mode" if view.screen else "screen_mode", view.lang),
               href=href(replace(view, screen=not view.screen)), id=view_link_id("screen-switch"),
               className="tool-link screen-switch"),
    ]
    if not view.screen and view.page != "/incidents":
        tools.insert(0, report_buttons(view))
    user = current_user()
    if user is not None and getattr(user, "username", "") not in ("", "demo"):
        tools.append(html.Span(getattr(user, "display_name", "") or user.username, className="user-name"))
        if can(user, "view_audit"):
            tools.append(dcc.Link(pick(view.lang, "管理", "Admin"), href="/admin" + ("?lang=en" if view.lang == "en" else ""),
                                  className="tool-link", id="admin-link"))
        tools.append(html.A(t("signout", view.lang), href="/logout", className="tool-link", id="signout"))
    return tools




# The header's parts, in the order render_header returns them. A part the page already shows as it
# would be drawn again is not sent: a drill changes the breadcrumb and the links, not the title, the
# date picker or the status; each part sent is drawn anew by the browser, whatever changed in it.
HEADER_PARTS = ("app-title", "nav-slot", "crumb-slot", "presets-slot", "picker-slot", "chips-slot", "status-slot",
                "tools-slot", "errors-slot")


def digest(part) -> str:
    return hashlib.sha1(json.dumps(part, cls=plotly.utils.PlotlyJSONEncoder).encode()).hexdigest()[:16]


def view_links(part) -> list:
    """The view links (components.frame.VIEW_LINKS) in a header part."""
    return [node for node in components_in(part)
            if isinstance(getattr(node, "id", None), dict) and node.id.get("type") == VIEW_LINK]


def shape_digest(part) -> str:
    """A part's digest without where its view links lead (sent on their own, see render_header)."""
    links = view_links(part)
    hrefs = [link.href for link in links]
    for link in links:
        link.href = ""
    try:
        return digest(part)
    finally:
        for link, target in zip(links, hrefs):
            link.href = target


def only_changed(parts: list, shown) -> tuple[list, dict]:
    """The parts that differ from what the page shows (`shown`: part name → digest; no_update for
    the others), and the digests of the header now. A part whose view links alone lead elsewhere
    counts as shown: their hrefs go on their own."""
    shown = shown if isinstance(shown, dict) else {}
    digests = {name: shape_digest(part) for name, part in zip(HEADER_PARTS, parts)}
    return [no_update if shown.get(name) == digests[name] else part
            for name, part in zip(HEADER_PARTS, parts)], digests


def header_content(pathname, search, shown=None) -> tuple:
    """The header for a URL: its parts (HEADER_PARTS; no_update for those the page shows as drawn in
    `shown`), their digests, the root's class, the range in view and where its view links lead
    ({name: href}). Drawn by the callback below as the URL changes, and into the layout with the
    first page (callbacks/first_page.py)."""
    view = resolve_view(pathname, search)
    tree = region_tree()
    today, _ = data_days()
    root = user_root()
    city = tree.get(root).label(view.lang)
    title = [html.Span(city, className="title-city"), html.Span(" · "),
             html.Span(t("app_title", view.lang), className="title-app")]
    settings = get_settings()
    status = [data_time(updated_at(), settings.stale_after_minutes, datetime.now(), view.lang),
              html.Div(id="clock", className="clock", **{"aria-live": "off"})]
    home = href(ViewState(page="/", region=root, start=view.start, end=view.end, lang=view.lang))
    classes = "app-root screen-mode" if view.screen else "app-root desk-mode"
    classes += f" lang-{view.lang}"
    built = [title, navigation(view, href), breadcrumb(view, tree.path(view.region), root, href),
             range_presets(view, today, href), range_picker(view, today), chips(view, href, filter_labels(view)),
             status, header_tools(view), error_banner(view, home)]
    hrefs = {link.id["link"]: link.href for part in built for link in view_links(part)}
    parts, digests = only_changed(built, shown)
    return (*parts, digests, classes, [view.start.isoformat(), view.end.isoformat()], hrefs)


@callback(
    *[Output(name, "children") for name in HEADER_PARTS],
    Output("header-shown", "data"),
    Output("app-root", "className"),
    Output("view-range", "data"),
    Output(view_link_id(ALL), "href"),
    Input("url", "pathname"),
    Input("url", "search"),
    Input("data-version", "data"),
    State("header-shown", "data"),
)
def render_header(pathname, search, _version, shown):
    *content, hrefs = header_content(pathname, search, shown)
    # in the order the page lists its view links (a drill sends these, and the breadcrumb)
    wanted = callback_context.outputs_list[-1] if callback_context.outputs_list else []
    return (*content, [hrefs.get(output["id"].get("link"), no_update) for output in wanted])


@callback(
    Output("data-version", "data"),
    Input("refresh-tick", "n_intervals"),
    State("data-version", "data"),
    prevent_initial_call=True,  # the layout carries the version it was drawn with
)
def refresh_tick(_n, known):
    """Tell the panels to refresh only when the data changed: a tick with no new data sends
    nothing but this small answer."""
    version = data_version()
    if version == known:
        raise PreventUpdate
    return version


clientside_callback(
    """
    function(n, stored) {
        var theme = stored || 'light';
        if (n) { theme = theme === 'dark' ? 'light' : 'dark'; }
        document.documentElement.setAttribute('data-theme', theme);
        return theme;
    }
    """,
    Output("ui-theme", "data"),
    Input("theme-toggle", "n_clicks"),
    State("ui-theme", "data"),
)
