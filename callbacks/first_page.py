"""The first page of a visit comes inside the app's layout, drawn: one request, not three.

A page load used to be, once the scripts had run: the layout (the shell: header slots and an
empty page container); then the header's and the pages router's answers (the page, its panels
filled); and only then the drawing. The browser asks for the layout with the URL it shows
(`_dash-layout?for=/traffic?region=…`, added by assets/router_local.js); the shell then comes
with that URL's header and page in it, as the header callback and the router would have drawn
them, and the response says so (`X-Cockpit-Page: drawn`). The requests that the page's locations
send as they mount, for that same URL, are answered "no update" in the browser: the page shows
what they would fetch.

Anything wrong with the URL is the page's to show, as it would be after a click (the header's
error banner, the 404 page); if building the page itself fails, the shell goes out empty and the
callbacks draw the page as before.
"""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

import dash
from dash import dcc, html

log = logging.getLogger("cockpit.first_page")

PAGE_HEADER = "X-Cockpit-Page"
# the ids dash.page_container is made of (dash.dash, 4.4)
LOCATION, CONTENT, STORE, DUMMY = "_pages_location", "_pages_content", "_pages_store", "_pages_dummy"
_MAX_URL = 4000


def requested_url() -> tuple[str, str] | None:
    """(path, query) of the page the layout is asked for, or None: outside a request, without
    `for`, or for anything but a path on this site."""
    from flask import has_request_context, request

    if not has_request_context():
        return None
    wanted = request.args.get("for", "")
    if not wanted.startswith("/") or wanted.startswith("//") or len(wanted) > _MAX_URL:
        return None
    parts = urlsplit(wanted)
    if parts.scheme or parts.netloc:
        return None
    return parts.path, f"?{parts.query}" if parts.query else ""


def routed_page(pathname: str, search: str) -> tuple[object, dict]:
    """What the pages router answers for this URL: the page's layout and its title store
    (dash.Dash.router_sync: the page for the path, or the not_found_404 page)."""
    from dash._pages import PAGE_REGISTRY, _parse_query_string, _path_to_page

    query = _parse_query_string(search)
    page, path_variables = _path_to_page(dash.strip_relative_path(pathname))
    if not page:
        page = next((p for module, p in PAGE_REGISTRY.items() if module.split(".")[-1] == "not_found_404"), None)
        if page is None:
            return html.H1("404"), {"title": dash.get_app().title}
    layout, title = page.get("layout", ""), page["title"]
    if callable(layout):
        layout = layout(**{**(path_variables or {}), **query})
    if callable(title):
        title = title(**(path_variables or {}))
    return layout, {"title": title}


def page_container(content=None, store=None) -> html.Div:
    """dash.page_container, made anew for each layout (the module's own is one object shared by
    every request), with a page in it."""
    return html.Div([
        dcc.Location(id=LOCATION, refresh="callback-nav"),
        html.Div(content, id=CONTENT, disable_n_clicks=True),
        dcc.Store(id=STORE, data=store),
        html.Div(id=DUMMY, disable_n_clicks=True),
    ])


class FirstPage:
    """The URL's header content (callbacks.frame.header_content) and its page, for the layout."""

    def __init__(self, header: tuple, page, store: dict, on_screen: bool):
        self.header, self.page, self.store, self.on_screen = header, page, store, on_screen


def first_page() -> FirstPage | None:
    """The header and page for the URL the layout is asked for, or None (not asked, or it failed:
    the callbacks then draw it as they do after a click, and show what went wrong)."""
    from flask import g

    from callbacks.frame import header_content
    from callbacks.state import resolve_view

    wanted = requested_url()
    if wanted is None:
        return None
    pathname, search = wanted
    try:
        page, store = routed_page(pathname, search)
        found = FirstPage(header_content(pathname, search), page, store, resolve_view(pathname, search).screen)
    except Exception:
        log.exception("the first page of %s%s could not be built into the layout", pathname, search)
        return None
    g.cockpit_first_page = True
    return found


def say_page_is_drawn(response):
    """Tell the browser the layout holds the page it asked for (after_request)."""
    from flask import g

    if g.pop("cockpit_first_page", False):
        response.headers[PAGE_HEADER] = "drawn"
    return response
