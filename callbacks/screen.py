"""The wall's callbacks: switching the refresh off, announcing new red warnings.

What needs no data runs in the browser (assets/screen.js, namespace `screen`; the carousel is
assets/wall.js). Only the red-warning check asks the server, when the data version or the
cockpit in view changed.
"""
from __future__ import annotations

from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback
from dash.exceptions import PreventUpdate

from callbacks.state import resolve_view
from components.screen import red_warnings
from core.viewstate import narrow
from data.queries.warnings import open_warnings

# The refresh idles while the page is hidden or the server unreachable (assets/screen.js keeps
# `screen-state`); the function also hands the configuration to the wall (assets/wall.js).
clientside_callback(
    ClientsideFunction(namespace="screen", function_name="refreshPaused"),
    Output("refresh-tick", "disabled"),
    Input("screen-state", "data"),
    State("screen-config", "data"),
)


# Only a page in screen mode asks: on a desk the check would be a request per click for nothing.
clientside_callback(
    ClientsideFunction(namespace="screen", function_name="screenView"),
    Output("screen-view", "data"),
    Input("data-version", "data"),
    Input("url", "pathname"),
    Input("url", "search"),
)


@callback(
    Output("screen-reds", "data"),
    Input("screen-view", "data"),
    State("screen-reds", "data"),
    prevent_initial_call=True,  # its input is set in the browser (screenView), on a wall only: the
    # layout's empty value would cost a wall's page load a request for "no update"
)
def open_red_warnings(screen_view, known):
    """On the wall, the open red warnings of the region in view, sent only when they changed.

    Checked when the data version changes and when the page shows another view (the URL is
    known only then; the query is cached per data version)."""
    if not isinstance(screen_view, dict):
        raise PreventUpdate
    view = resolve_view(screen_view.get("pathname"), screen_view.get("search"))
    if not view.screen:
        raise PreventUpdate
    reds = red_warnings(open_warnings(narrow(view, ())), view.lang)
    if reds == known:
        raise PreventUpdate
    return reds


# The page on show announces those it has not announced before (the wall's two pages share what
# was announced, so a cockpit coming round does not repeat it).
clientside_callback(
    ClientsideFunction(namespace="screen", function_name="announce"),
    Output("screen-announce", "children"),
    Input("screen-reds", "data"),
)
