"""A plain HTTP client for the served app (no browser): sign in through the form, post Dash
callback requests exactly as the page would — or forged."""
from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request


class Client:
    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, path: str, data: bytes | None = None, headers: dict | None = None):
        req = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(req, timeout=30) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")

    def sign_in(self, username: str, password: str) -> int:
        _status, page = self.request("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"username": username, "password": password, "csrf_token": token,
                                       "next": "/"}).encode()
        status, _ = self.request("/login", form, {"Content-Type": "application/x-www-form-urlencoded"})
        return status

    def callback(self, body: dict) -> tuple[int, dict | str]:
        status, text = self.request("/_dash-update-component", json.dumps(body).encode(),
                                    {"Content-Type": "application/json"})
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text


# The fill callback's outputs in order: (component type, property, the panel kind it belongs to).
PANEL_OUTPUTS = (("graph", "figure", "graph"), ("graph-hash", "data", "graph"), ("html", "children", "html"),
                 ("html-hash", "data", "html"), ("bars", "data-bars", "bars"), ("bars-hash", "data", "bars"),
                 ("map-regions", "url", "map"), ("map-regions", "hideout", "map"),
                 ("map-points", "data", "map"), ("map-points", "hideout", "map"), ("map", "viewport", "map"),
                 ("map-hash", "data", "map"), ("click-targets", "data", "page"))


def fill_request(panels: dict[str, list[str]], search: str, pathname: str = "/", version: str = "1",
                 hashes: dict[str, str] | None = None, refresh: bool = False) -> dict:
    """The body the page sends to fill its panels (callbacks.panels.fill_panels): `panels` maps a
    kind (graph, html, bars, map) to panel ids; `hashes` are the fingerprints the page shows; a refresh
    is triggered by the data version instead of the URL."""
    hashes = hashes or {}
    output = "...".join(f'{{"id":["ALL"],"type":"{name}"}}.{prop}' for name, prop, _kind in PANEL_OUTPUTS)
    ids = {**panels, "page": [pathname]}  # the page's one click-targets store
    outputs = [[{"id": {"id": pid, "type": name}, "property": prop} for pid in ids.get(kind, [])]
               for name, prop, kind in PANEL_OUTPUTS]
    states = [[{"id": {"id": pid, "type": f"{kind}-hash"}, "property": "data", "value": hashes.get(pid)}
               for pid in panels.get(kind, [])] for kind in ("graph", "html", "bars", "map")]
    trigger = "data-version.data" if refresh else "url.search"
    return {
        "output": f"..{output}..",
        "outputs": outputs,
        "inputs": [{"id": "url", "property": "search", "value": search},
                   {"id": "url", "property": "pathname", "value": pathname},
                   {"id": "data-version", "property": "data", "value": version},
                   {"id": "page-stale", "property": "data", "value": None}],
        "changedPropIds": [trigger], "parsedChangedPropsIds": [trigger],
        "state": states,
    }


def panel_request(kind: str, panel_id: str | list[str], search: str, pathname: str = "/",
                  version: str = "1", old_hash: str | None = None) -> dict:
    """The fill request for the given panels of one kind only (as a forger would send it)."""
    ids = [panel_id] if isinstance(panel_id, str) else list(panel_id)
    return fill_request({kind: ids}, search, pathname, version, {pid: old_hash for pid in ids})


def fill_hashes(body: dict) -> dict[str, str]:
    """{panel id: fingerprint} from a fill response (the page keeps them for its next refresh)."""
    found = {}
    for key, props in (body.get("response") or {}).items():
        if key.startswith("{") and '-hash"' in key and props.get("data"):
            found[json.loads(key)["id"]] = props["data"]
    return found


HEADER_OUTPUTS = (("app-title", "children"), ("nav-slot", "children"), ("crumb-slot", "children"),
                  ("presets-slot", "children"), ("picker-slot", "children"), ("chips-slot", "children"),
                  ("status-slot", "children"), ("tools-slot", "children"), ("errors-slot", "children"),
                  ("header-shown", "data"), ("app-root", "className"), ("view-range", "data"))


def header_request(search: str, pathname: str = "/", version: str = "1", shown: dict | None = None) -> dict:
    """The body the page sends to draw its header (callbacks.frame.render_header); `shown`: the
    digests of the parts the page already shows (header-shown), none by default. The view links
    the page has drawn are listed when it shows the parts that hold them."""
    from components.frame import VIEW_LINKS, view_link_id

    links = [{"id": view_link_id(name), "property": "href"} for name in VIEW_LINKS] if shown else []
    return {
        "output": ".." + "...".join(f"{name}.{prop}" for name, prop in HEADER_OUTPUTS)
                  + '...{"link":["ALL"],"type":"view-link"}.href..',
        "outputs": [{"id": name, "property": prop} for name, prop in HEADER_OUTPUTS] + [links],
        "inputs": [{"id": "url", "property": "pathname", "value": pathname},
                   {"id": "url", "property": "search", "value": search},
                   {"id": "data-version", "property": "data", "value": version}],
        "changedPropIds": ["url.search"], "parsedChangedPropsIds": ["url.search"],
        "state": [{"id": "header-shown", "property": "data", "value": shown}],
    }
