"""Regional scope and roles at the HTTP level, without a browser: forged callback requests and
edited URLs across scope get nothing of the other region; masking and audit per role."""
from __future__ import annotations

import json
import re
from datetime import date

import pytest

from conftest import DEMO_END
from components.frame import VIEW_LINKS
from http_client import Client, header_request, panel_request
from served import ServedApp

PASSWORD = "Huangshan-2026!"
LAST_WEEK = (date(2026, 11, 19), DEMO_END)


@pytest.fixture(scope="module")
def secured_app(demo_env):
    from core.auth import create_user, find_user

    for name, role, scope in (("county_duty", "duty", "341003"), ("city_staff", "staff", "341000"),
                              ("city_leader", "leader", "341000")):
        if find_user(name) is None:
            create_user(name, PASSWORD, role, scope)
    app = ServedApp(demo_env["url"], demo_env["folder"],
                    {"COCKPIT_AUTH": "1", "COCKPIT_DEMO_END": DEMO_END.isoformat()})
    yield app
    app.stop()


def kpi_values(response: dict) -> dict:
    """indicator code → data-value of each KPI card in a rendered KPI strip."""
    found = {}

    def walk(node):
        if isinstance(node, dict):
            props = node.get("props", {})
            if props.get("data-indicator") and isinstance(props.get("children"), list):
                for child in props["children"]:
                    for inner in (child.get("props", {}).get("children") or []) if isinstance(child, dict) else []:
                        if isinstance(inner, dict) and "kpi-value" in inner.get("props", {}).get("className", ""):
                            found[props["data-indicator"]] = float(inner["props"]["data-value"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(response)
    return found


def expected(region: str) -> dict:
    from core.viewstate import ViewState
    from data.queries.indicators import kpis

    frame = kpis(ViewState(region=region, start=LAST_WEEK[0], end=LAST_WEEK[1]), ("tourism.visitors",))
    return {"tourism.visitors": float(frame.iloc[0]["value"])}


def test_unauthenticated_callbacks_get_401(secured_app):
    status, body = Client(secured_app.base).callback(panel_request("html", "overview.kpis", ""))
    assert status == 401


def test_forged_region_outside_scope_gets_only_the_users_own_county(secured_app):
    client = Client(secured_app.base)
    assert client.sign_in("county_duty", PASSWORD) in (200, 302)
    own = expected("341003")["tourism.visitors"]
    other = expected("341002")["tourism.visitors"]
    city = expected("341000")["tourism.visitors"]
    assert len({own, other, city}) == 3
    for search in ("", "?region=341002", "?region=341000", "?region=340000", "?region=341002&region=341003x"):
        status, body = client.callback(panel_request("html", "overview.kpis", search))
        assert status == 200
        values = kpi_values(body)
        assert values["tourism.visitors"] == pytest.approx(own), search
        assert other not in values.values() and city not in values.values()


def test_forged_panel_ids_get_nothing(secured_app):
    client = Client(secured_app.base)
    client.sign_in("city_staff", PASSWORD)
    for panel_id in ("no.such.panel", "tourism.kpis' OR 1=1 --", "env.kpis"):  # unknown, injected, other page
        status, body = client.callback(panel_request("html", panel_id, ""))
        assert status == 204 or (status == 200 and "kpi" not in json.dumps(body)), (panel_id, status)


def test_edited_url_across_scope_shows_a_message_not_the_data(secured_app):
    client = Client(secured_app.base)
    client.sign_in("county_duty", PASSWORD)
    status, page = client.request("/?region=341002")
    assert status == 200  # the page renders; the header callback names the refusal
    header = header_request("?region=341002")
    status, body = client.callback(header)
    text = json.dumps(body, ensure_ascii=False)
    assert status == 200 and "无权查看区域 341002" in text
    assert "屯溪区" not in json.dumps(body["response"]["crumb-slot"], ensure_ascii=False)


def test_audit_records_sign_ins_and_failures(secured_app):
    from core.audit import recent_audit

    client = Client(secured_app.base)
    client.sign_in("city_leader", "wrong-password")
    client.sign_in("city_leader", PASSWORD)
    events = [(e.event, e.username) for e in recent_audit(50)]
    assert ("signin_failed", "city_leader") in events and ("signin", "city_leader") in events


def test_a_county_user_sees_no_sibling_county_in_rankings(secured_app):
    """At county level a ranking shows the county among its siblings — but not to a user whose
    scope is that county."""
    client = Client(secured_app.base)
    client.sign_in("county_duty", PASSWORD)
    status, body = client.callback(panel_request("bars", "overview.ranking", "?region=341003"))
    assert status == 200
    assert ranked_regions(body) == ["341003"]
    staff = Client(secured_app.base)
    staff.sign_in("city_staff", PASSWORD)
    status, body = staff.callback(panel_request("bars", "overview.ranking", "?region=341003"))
    assert len(ranked_regions(body)) == 7


def ranked_regions(body: dict) -> list[str]:
    """The regions of a ranking the fill answered with (its HTML bars' keys)."""
    bars = body["response"][next(k for k in body["response"] if '"bars"' in k)]["data-bars"]
    return re.findall(r'data-key="([^"]+)"', bars)


def test_a_drill_sends_only_the_header_parts_it_changes(secured_app):
    client = Client(secured_app.base)
    client.sign_in("city_leader", PASSWORD)
    status, first = client.callback(header_request("", "/"))
    assert status == 200
    shown = first["response"]["header-shown"]["data"]

    status, drilled = client.callback(header_request("?region=341003", "/", shown=shown))
    sent = drilled["response"]
    assert status == 200 and "黄山区" in json.dumps(sent["crumb-slot"], ensure_ascii=False)
    # the title, the range picker, the data time, the cockpits and ranges look the same: the page
    # keeps what it shows, and its links to the other cockpits and ranges get where they now lead
    assert not {"app-title", "picker-slot", "status-slot", "nav-slot", "presets-slot", "tools-slot"} & set(sent)
    hrefs = {json.loads(key)["link"]: value["href"] for key, value in sent.items() if key.startswith("{")}
    assert hrefs["nav-tourism"] == "/tourism?region=341003" and hrefs["preset-30d"].startswith("/?region=341003&")
    assert set(hrefs) == set(VIEW_LINKS)

    status, fresh = client.callback(header_request("?region=341003", "/"))  # a page that shows nothing yet
    assert {"app-title", "picker-slot", "crumb-slot", "status-slot"} <= set(fresh["response"])
