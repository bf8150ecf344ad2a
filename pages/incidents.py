"""事件中心 · The incident desk for duty officers (SPEC §3.7).

/incidents            one grid of every incident across themes: paging, sorting and filtering on
                      the server (usable at millions of rows); the desk's filters live in the URL,
                      so every count on every cockpit links here pre-filtered.
/incidents/<id>       one incident: its closed-loop timeline 上报 → 受理 → 派遣 → 处置 → 办结 → 回访
                      with times, limits and late steps, its department, its place on the map; the
                      reporter masked unless the user may see personal data. Refused to roles
                      without `view_incident_detail` and for incidents outside the user's scope;
                      every open is audited.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from urllib.parse import urlencode

import dash
from dash import dcc, html

import callbacks.incident_grid  # noqa: F401  (registers the desk's callbacks)
from callbacks.state import current_user, href, resolve_view, user_root
from components.incident_parts import detail_view, filter_bar, incident_grid, refusal
from components.page import cockpit_layout
from core.audit import audit
from core.auth import can
from core.i18n import pick
from core.viewstate import ViewState
from data.queries import incidents
from data.queries.common import region_names
from data.regions import region_tree

PATH = "/incidents"


def desk(view: ViewState):
    counties = region_tree().counties(user_root())
    return html.Div([
        filter_bar(view, incidents.incident_types(), counties, view.lang),
        html.Div([html.Span(id="grid-total", className="grid-total", **{"aria-live": "polite"}),
                  html.Span(pick(view.lang, "点击一行查看事件详情与闭环时间线",
                                 "Click a row for the incident's detail and timeline"), className="grid-hint"),
                  html.Div(id="grid-message", role="alert")], className="grid-status"),
        html.Div(incident_grid(view.lang), className="grid-holder"),
        dcc.Store(id="desk-refresh"),
    ], className="desk")


def detail_page(view: ViewState):
    """One incident, or a refusal that says why (the same words whether an incident does not exist
    or lies outside the user's scope, so that ids outside it reveal nothing)."""
    user = current_user()
    back = href(replace(view, detail=""))
    lang = view.lang
    if not can(user, "view_incident_detail"):
        audit("incident_detail", {"incident_id": view.detail, "refused": "role"}, user)
        return refusal(pick(lang, "您的角色无权查看事件详情（需值班员、领导或管理员权限）。",
                            "Your role may not open incident details (duty officers, leaders and admins may)."),
                       lang, back)
    record = incidents.detail(int(view.detail))
    if record is None or not region_tree().contains(record["adcode"], user_root(user)):
        audit("incident_detail", {"incident_id": view.detail, "refused": "not found or outside scope"}, user)
        return refusal(pick(lang, f"事件 {view.detail} 不存在，或不在您的管辖范围内。",
                            f"Incident {view.detail} does not exist or is outside your region."), lang, back)
    audit("incident_detail", {"incident_id": record["id"], "code": record["code"], "adcode": record["adcode"]}, user)
    now = datetime.now()
    return detail_view(record, incidents.timeline(record, now), lang=lang, user=user,
                       county=region_names(lang).get(record["adcode"], record["adcode"]), now=now, back_href=back)


_desk_layout = cockpit_layout(PATH, desk)


def layout(incident_id: str | None = None, **query):
    """The desk (kept in place when only its query string changes: its callbacks follow the URL),
    or one incident (rebuilt on every visit, each audited)."""
    if incident_id is None:
        return _desk_layout(**query)
    search = "?" + urlencode({k: v for k, v in query.items() if isinstance(v, str)})
    view = resolve_view(f"{PATH}/{incident_id}", search)
    content = detail_page(view) if view.detail else desk(view)
    return html.Div(content, className="page page-incidents", **{"data-page": PATH})


dash.register_page(__name__, path=PATH, path_template=f"{PATH}/<incident_id>", name="事件中心",
                   title="事件中心 · 城市大脑", order=6, layout=layout)
