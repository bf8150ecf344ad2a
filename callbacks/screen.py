"""The wall's callbacks: the carousel, switching the intervals off, announcing new red warnings.

What needs no data runs in the browser (assets/screen.js, namespace `screen`): the carousel is a
browser-side tick that writes the next cockpit's URL, so a wall costs the server nothing between
switches. Only the red-warning check asks the server, and only when the data version changed.
"""
from __future__ import annotations

from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, no_update
from dash.exceptions import PreventUpdate

from callbacks.state import resolve_view
from components.screen import RED, announcement
from core.viewstate import narrow
from data.queries.warnings import open_warnings

# Intervals idle while the page is hidden or the server unreachable; the carousel runs only on the wall.
clientside_callback(
    ClientsideFunction(namespace="screen", function_name="intervals"),
    Output("refresh-tick", "disabled"),
    Output("carousel-tick", "disabled"),
    Input("screen-state", "data"),
    Input("url", "pathname"),
    Input("url", "search"),
)

clientside_callback(
    ClientsideFunction(namespace="screen", function_name="carousel"),
    Output("url", "href", allow_duplicate=True),
    Input("carousel-tick", "n_intervals"),
    State("url", "pathname"),
    State("url", "search"),
    State("screen-config", "data"),
    prevent_initial_call=True,
)


def warning_key(row) -> str:
    return f"{row['indicator']}|{row['adcode']}|{row['subject']}"


@callback(
    Output("screen-announce", "children"),
    Output("screen-red-seen", "data"),
    Input("data-version", "data"),
    State("url", "pathname"),
    State("url", "search"),
    State("screen-red-seen", "data"),
)
def announce_red_warnings(version, pathname, search, seen):
    """On the wall, a red warning that was not open at the last data version is announced.

    The first check after the wall opens only records what is open (those are in the ticker
    already); a warning that clears and comes back later is announced again."""
    view = resolve_view(pathname, search)
    if not view.screen:
        raise PreventUpdate
    frame = open_warnings(narrow(view, ()))
    reds = [row for row in frame.to_dict("records") if int(row["level"]) >= RED]
    keys = sorted(warning_key(row) for row in reds)
    if seen is None:
        return None, keys
    new = [row for row in reds if warning_key(row) not in set(seen)]
    if not new:
        if keys == sorted(seen):
            raise PreventUpdate
        return no_update, keys  # one cleared: nothing to say, an announcement on show stays
    return announcement(new, view.lang, serial=str(version)), keys
