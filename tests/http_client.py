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


def panel_request(kind: str, panel_id: str, search: str, pathname: str = "/") -> dict:
    """The body the page sends to fill an HTML or graph panel."""
    prop = {"html": "children", "graph": "figure"}[kind]
    return {
        "output": f'..{{"id":["MATCH"],"type":"{kind}"}}.{prop}...{{"id":["MATCH"],"type":"{kind}-hash"}}.data..',
        "outputs": [{"id": {"id": panel_id, "type": kind}, "property": prop},
                    {"id": {"id": panel_id, "type": f"{kind}-hash"}, "property": "data"}],
        "inputs": [{"id": "url", "property": "search", "value": search},
                   {"id": "url", "property": "pathname", "value": pathname},
                   {"id": "data-version", "property": "data", "value": "1"}],
        "changedPropIds": [], "parsedChangedPropsIds": [],
        "state": [{"id": {"id": panel_id, "type": kind}, "property": "id", "value": {"type": kind, "id": panel_id}},
                  {"id": {"id": panel_id, "type": f"{kind}-hash"}, "property": "data"}],
    }
