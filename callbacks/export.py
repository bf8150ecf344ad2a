"""Export, written once for every panel and every cockpit (SPEC §6).

A click on an export button is checked in the web request (the user may export, the panel is on
the page in view, the view is within the user's scope) and audited. Tables (CSV/XLSX) are built
right there; images and reports become a signed job ticket that a background callback renders
with a progress bar, outside the request (DiskcacheManager, or Celery workers).
"""
from __future__ import annotations

import logging

from dash import ALL, ClientsideFunction, Input, Output, State, callback, clientside_callback, dcc, no_update
from dash.exceptions import PreventUpdate
from itsdangerous import BadSignature, URLSafeTimedSerializer

from callbacks.panels import panel_for
from callbacks.state import current_user, resolve_view
from core.i18n import pick
from core.settings import get_settings

log = logging.getLogger("cockpit.export")
TABLE_FORMATS = ("csv", "xlsx")
JOB_FORMATS = ("png", "svg", "pptx", "pdf")
TICKET_SECONDS = 300


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt="cockpit-export")


def make_ticket(user, pathname: str, search: str, panel_id: str | None, fmt: str) -> str:
    return _signer().dumps({"user": [user.username, user.display_name, user.role, user.scope_adcode],
                            "path": pathname or "/", "search": search or "", "panel": panel_id, "fmt": fmt})


def read_ticket(ticket: str) -> dict:
    """A ticket's content; BadSignature for a forged or expired one."""
    return _signer().loads(ticket, max_age=TICKET_SECONDS)


def _labels(view):
    from data.queries.labels import filter_labels

    return filter_labels(view)


def _audit(user, view, what: str, fmt: str) -> None:
    from core.audit import audit

    audit("export", {"what": what, "format": fmt, "page": view.page, "region": view.region,
                     "start": view.start.isoformat(), "end": view.end.isoformat(),
                     "filters": {k: list(v) for k, v in view.filters}}, user)


# A press reaches the server only when it is one: buttons drawn again fire with n_clicks 0.
clientside_callback(
    ClientsideFunction(namespace="cockpitEvents", function_name="exportPressed"),
    Output("export-choice", "data"),
    Input({"type": "export", "panel": ALL, "fmt": ALL}, "n_clicks"),
    Input({"type": "export-report", "fmt": ALL}, "n_clicks"),
    prevent_initial_call=True,
)


@callback(
    Output("export-download", "data", allow_duplicate=True),
    Output("export-ticket", "data"),
    Output("export-status", "children", allow_duplicate=True),
    Input("export-choice", "data"),
    State("url", "pathname"),
    State("url", "search"),
    prevent_initial_call=True,
)
def request_export(choice, pathname, search):
    trigger = choice.get("id") if isinstance(choice, dict) else None
    if not isinstance(trigger, dict):
        raise PreventUpdate
    from core.auth import can
    from core.exporting import panel_export

    user = current_user()
    view = resolve_view(pathname, search, user=user)
    fmt = str(trigger.get("fmt"))
    if user is None or not can(user, "export"):
        return no_update, no_update, pick(view.lang, "您的角色无导出权限", "Your role may not export")
    if fmt not in TABLE_FORMATS + JOB_FORMATS:
        raise PreventUpdate
    panel_id = None
    if trigger.get("type") == "export":
        panel = panel_for({"id": trigger.get("panel")}, view)
        panel_id = panel.id
        if fmt in ("pptx", "pdf"):
            raise PreventUpdate
    elif fmt not in ("pptx", "pdf"):
        raise PreventUpdate
    _audit(user, view, panel_id or f"report:{view.page}", fmt)
    if fmt in TABLE_FORMATS:
        filename, _mime, content = panel_export(panel, view, fmt, user.username, _labels(view))
        return dcc.send_bytes(content, filename), no_update, pick(view.lang, f"已导出 {filename}",
                                                                  f"Exported {filename}")
    from core.export import renderer_available

    if not renderer_available():
        return no_update, no_update, pick(
            view.lang, "服务器未找到 Chromium，无法生成图片和报告；CSV/XLSX 仍可导出。",
            "No Chromium on the server: images and reports are unavailable; CSV/XLSX still work.")
    return no_update, make_ticket(user, pathname, search, panel_id, fmt), pick(view.lang, "正在生成…", "Rendering…")


@callback(
    Output("export-download", "data", allow_duplicate=True),
    Output("export-status", "children", allow_duplicate=True),
    Input("export-ticket", "data"),
    background=True,
    progress=[Output("export-progress", "value"), Output("export-progress", "max")],
    running=[(Output("export-progress", "className"), "export-progress running", "export-progress")],
    prevent_initial_call=True,
)
def run_export(set_progress, ticket):
    """Render an image or a report outside the web request; the ticket says who asked for what."""
    if not ticket:
        raise PreventUpdate
    try:
        job = read_ticket(ticket)
    except BadSignature:
        return no_update, "导出请求无效或已过期 · invalid or expired export request"
    from core.auth import User
    from core.exporting import cockpit_report, panel_export

    user = User(*job["user"])
    view = resolve_view(job["path"], job["search"], user=user)
    try:
        if job["panel"]:
            panel = panel_for({"id": job["panel"]}, view)
            set_progress((0, 1))
            filename, _mime, content = panel_export(panel, view, job["fmt"], user.username, _labels(view))
            set_progress((1, 1))
        else:
            filename, _mime, content = cockpit_report(
                view, job["fmt"], user.username, _labels(view),
                progress=lambda done, total: set_progress((done, total)))
    except Exception as exc:  # a failed render must tell the user, not hang the progress bar
        log.exception("export failed: %s", job)
        return no_update, pick(view.lang, f"导出失败：{exc}", f"Export failed: {exc}")
    return dcc.send_bytes(content, filename), pick(view.lang, f"已导出 {filename}", f"Exported {filename}")
