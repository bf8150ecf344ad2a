"""A cockpit page is its declared panels laid out on the grid; this builds its layout function."""
from __future__ import annotations

import dash
from dash import ctx, dcc, html

from core.panels import PAGE_PANELS
from core.viewstate import ViewState


def only_query_changed() -> bool:
    """True when the router runs because only the query string changed (a drill, a filter):
    the page keeps its components and the panel callbacks update them in place."""
    try:
        triggered = set(ctx.triggered_prop_ids)
    except Exception:  # outside a callback: the first, server-side render
        return False
    return bool(triggered) and triggered <= {"_pages_location.search"}


def cockpit_layout(path: str, build):
    """Wrap a page's `build(view) -> children` as a Dash pages layout function."""

    def layout(**query):
        if only_query_changed():
            return dash.no_update
        from callbacks.panels import fill_layout

        view = _view_for_layout(path, query)
        # where each panel's clickable marks lead, for the browser to follow (callbacks/clicks.py)
        targets = dcc.Store(id={"type": "click-targets", "id": path or "/"})
        # the query the page was built for: if the URL moved on while it was on its way, the
        # browser asks for the panels again (assets/cockpit_events.js, pageStale)
        built_for = dcc.Store(id={"type": "page-view", "id": path or "/"},
                              data=sorted([k, v] for k, v in query.items() if isinstance(v, str)))
        page = html.Div([build(view), targets, built_for], className=f"page page-{path.strip('/') or 'overview'}",
                        **{"data-page": path})
        return fill_layout(page, view)

    return layout


def _view_for_layout(path: str, query: dict) -> ViewState:
    from urllib.parse import urlencode

    from callbacks.state import resolve_view

    search = "?" + urlencode({k: v for k, v in query.items() if isinstance(v, str)})
    return resolve_view(path, search)


def panels_of(path: str):
    return PAGE_PANELS.get(path, [])
