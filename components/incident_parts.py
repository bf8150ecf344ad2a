"""事件中心 · The incident desk's parts: the filter bar, the grid, and one incident's detail with its
closed-loop timeline (SPEC §3.7). Pure builders: data in, components out; no queries here."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import dash_ag_grid as dag
import dash_leaflet as dl
import pandas as pd
from dash import dcc, html

from core.i18n import pick
from core.masking import mask_record
from core.settings import get_settings
from core.viewstate import ViewState, narrow
from data.queries.incident_grid import COLUMNS
from data.queries.incidents import INCIDENT_FILTERS
from data.queries.labels import FIXED, fixed_label

GRID_ID = "incident-grid"
PAGE_SIZE = 100
FILTER_CONTROLS = {  # filter dimension → id of its control in the desk's filter bar
    "theme": "desk-theme", "type": "desk-type", "severity": "desk-severity", "status": "desk-status",
    "source": "desk-source", "overdue": "desk-overdue",
}
COUNTY_CONTROL = "desk-county"


def desk_view(view: ViewState, **filters: tuple[str, ...]) -> ViewState:
    """The desk showing the incidents behind a count on `view`: same region, time and incident
    filters, plus `filters` (e.g. status=("open",), overdue=("1",))."""
    target = replace(narrow(view, INCIDENT_FILTERS), page="/incidents")
    for dimension, values in filters.items():
        target = target.set_filter(dimension, values)
    return target


def incident_view(view: ViewState, incident_id) -> ViewState:
    """The detail page of one incident, reached from `view` (its filters kept for the way back)."""
    return replace(desk_view(view), detail=str(incident_id))


def time_text(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None and not pd.isna(value) else ""


def duration_text(minutes: float | None, lang: str) -> str:
    """35 分钟 · 2.5 小时 · 3.2 天 (or min / h / d)."""
    if minutes is None or pd.isna(minutes):
        return "—"
    minutes = abs(minutes)
    if minutes < 90:
        return pick(lang, f"{minutes:.0f} 分钟", f"{minutes:.0f} min")
    if minutes < 48 * 60:
        return pick(lang, f"{minutes / 60:.1f} 小时", f"{minutes / 60:.1f} h")
    return pick(lang, f"{minutes / 1440:.1f} 天", f"{minutes / 1440:.1f} d")


# -- the filter bar -----------------------------------------------------------------------------
def _options(dimension: str, lang: str) -> list[dict]:
    return [{"label": fixed_label(dimension, value, lang), "value": value} for value in FIXED[dimension]]


def filter_bar(view: ViewState, types: pd.DataFrame, counties: list, lang: str) -> html.Div:
    """Dropdowns for the desk's filters. Their values mirror the URL (a change writes a new URL)."""
    name = "name_en" if lang == "en" else "name"
    type_options = [{"label": f"{fixed_label('theme', row.theme, lang)} · {getattr(row, name)}", "value": row.code}
                    for row in types.itertuples()]
    county_value = view.region if any(c.adcode == view.region for c in counties) else None

    def dropdown(dimension: str, options: list[dict], label: str, width: str):
        return html.Label([html.Span(label, className="desk-filter-label"),
                           dcc.Dropdown(id=FILTER_CONTROLS[dimension], options=options, multi=True,
                                        value=list(view.filter_values(dimension)),
                                        placeholder=pick(lang, "全部", "All"), className="desk-dropdown")],
                          className="desk-filter", style={"flex": width})

    return html.Div([
        html.Label([html.Span(pick(lang, "区县", "County"), className="desk-filter-label"),
                    dcc.Dropdown(id=COUNTY_CONTROL, value=county_value, placeholder=pick(lang, "全部区县", "All"),
                                 options=[{"label": c.label(lang), "value": c.adcode} for c in counties],
                                 className="desk-dropdown")], className="desk-filter", style={"flex": "1 1 130px"}),
        dropdown("theme", _options("theme", lang), pick(lang, "主题", "Theme"), "1 1 150px"),
        dropdown("type", type_options, pick(lang, "事件类型", "Type"), "2 1 220px"),
        dropdown("severity", _options("severity", lang), pick(lang, "等级", "Severity"), "1 1 150px"),
        dropdown("status", _options("status", lang), pick(lang, "状态", "Status"), "1 1 170px"),
        dropdown("source", _options("source", lang), pick(lang, "来源", "Source"), "1 1 170px"),
        html.Div(dcc.Checklist(id=FILTER_CONTROLS["overdue"], value=list(view.filter_values("overdue")),
                               options=[{"label": pick(lang, " 仅看超期", " Overdue only"), "value": "1"}],
                               className="desk-check"), className="desk-filter desk-filter-check"),
    ], className="desk-filters", id="desk-filters", role="search")


# -- the grid -----------------------------------------------------------------------------------
_GRID_LOCALE = {"zh": {"contains": "包含", "equals": "等于", "startsWith": "开头是", "lessThan": "早于",
                        "greaterThan": "晚于", "inRange": "介于", "blank": "为空", "notBlank": "不为空",
                        "andCondition": "并且", "orCondition": "或者", "applyFilter": "应用", "resetFilter": "重置",
                        "clearFilter": "清除", "filterOoo": "筛选…", "page": "第", "of": "/", "to": "–",
                        "more": "更多", "firstPage": "首页", "previousPage": "上一页", "nextPage": "下一页",
                        "lastPage": "末页", "loadingOoo": "加载中…", "noRowsToShow": "没有符合条件的事件",
                        "dateFormatOoo": "yyyy-mm-dd", "pageLastRowUnknown": "?", "ariaPageSizeSelectorLabel": "每页",
                        "sortAscending": "升序", "sortDescending": "降序"},
                 "en": {"noRowsToShow": "No incidents match"}}


def _filter(column: str) -> dict:
    """The column's AG Grid filter, offering exactly the operators the server accepts."""
    spec = COLUMNS[column]
    kind = {"text": "agTextColumnFilter", "number": "agNumberColumnFilter", "date": "agDateColumnFilter"}[spec.filter]
    params = {"filterOptions": list(spec.operators), "maxNumConditions": 2, "buttons": ["apply", "reset"],
              "closeOnApply": True}
    if spec.filter == "date":
        params["inRangeInclusive"] = True  # the server includes both days of a range
    return {"filter": kind, "filterParams": params}


def grid_columns(lang: str) -> list[dict]:
    def col(field: str, zh: str, en: str, width: int, **extra) -> dict:
        spec = COLUMNS[field]
        out = {"field": field, "colId": field, "headerName": pick(lang, zh, en), "width": width,
               "sortable": spec.sortable, **extra}
        if spec.filter:
            out.update(_filter(field))
        return out

    late = {"cell-late": "params.data && params.data.is_overdue"}
    return [
        col("code", "编号", "Code", 150, pinned="left", cellClass="incident-code"),
        col("reported_at", "上报时间", "Reported", 150, sort="desc"),
        col("county", "区县", "County", 90),
        col("type", "类型", "Type", 130),
        col("severity", "等级", "Severity", 105,
            cellClassRules={"sev-major": "params.data && params.data.severity_level <= 2",
                            "sev-large": "params.data && params.data.severity_level == 3"}),
        col("status", "状态", "Status", 80),
        col("overdue", "超期", "Overdue", 80, cellClassRules=late),
        col("deadline_at", "办结时限", "Deadline", 150, cellClassRules=late),
        col("closed_at", "办结时间", "Closed", 150),
        col("source", "来源", "Source", 110),
        col("theme", "主题", "Theme", 90),
        col("department", "责任部门", "Department", 150),
        col("address", "地址", "Address", 200, tooltipField="address"),
        col("summary", "事件描述", "Summary", 260, tooltipField="summary"),
        col("satisfaction", "满意度", "Satisfaction", 90),
    ]


def incident_grid(lang: str) -> dag.AgGrid:
    """The desk's grid: AG Grid's infinite row model, 100 rows a page, everything done on the server."""
    locale = _GRID_LOCALE[lang if lang in _GRID_LOCALE else "zh"]
    return dag.AgGrid(
        id=GRID_ID, rowModelType="infinite", columnDefs=grid_columns(lang), getRowId="params.data.id",
        defaultColDef={"resizable": True, "sortable": False, "filter": False},
        dashGridOptions={
            "pagination": True, "paginationPageSize": PAGE_SIZE, "paginationPageSizeSelector": False,
            "cacheBlockSize": PAGE_SIZE, "maxBlocksInCache": 10, "infiniteInitialRowCount": PAGE_SIZE,
            "rowBuffer": 0, "maxConcurrentDatasourceRequests": 1, "tooltipShowDelay": 400,
            "localeText": locale, "suppressCellFocus": False, "animateRows": False,
        },
        className="incident-grid", style={"height": "100%", "width": "100%"},
    )


def grid_rows(records: list[dict], lang: str, type_names: dict, region_names: dict, user) -> list[dict]:
    """Rows of the grid: labels in the user's language, personal data masked for the user's role."""
    rows = []
    for raw in records:
        record = mask_record(raw, user)
        severity = int(record["severity"])
        rows.append({
            "id": int(record["id"]), "code": record["code"], "reported_at": time_text(record["reported_at"]),
            "county": region_names.get(record["adcode"], record["adcode"]),
            "type": type_names.get(record["type_code"], record["type_code"]),
            "severity": fixed_label("severity", str(severity), lang), "severity_level": severity,
            "status": fixed_label("status", record["status"], lang) or record["status"],
            "overdue": pick(lang, "⚠ 超期", "⚠ Late") if record["overdue"] else "",
            "is_overdue": bool(record["overdue"]),
            "deadline_at": time_text(record["deadline_at"]), "closed_at": time_text(record["closed_at"]),
            "source": fixed_label("source", record["source"], lang) or record["source"],
            "theme": fixed_label("theme", record["theme"], lang) or record["theme"],
            "department": record["department"], "address": record["address"], "summary": record["summary"],
            "satisfaction": None if record["satisfaction"] is None else int(record["satisfaction"]),
        })
    return rows


def total_text(total: int, exact: bool, lang: str) -> str:
    """共 1,017 件事件, or for an estimated total 约 503.9 万件事件 (three significant digits)."""
    if exact:
        return pick(lang, f"共 {total:,} 件事件", f"{total:,} incidents")
    rounded = int(float(f"{total:.3g}"))
    return pick(lang, f"约 {total / 1e4:,.1f} 万件事件（结果较多，总数为估算）",
                f"about {rounded:,} incidents (a large result: the total is estimated)")


# -- one incident -------------------------------------------------------------------------------
def _step_state(step: dict, lang: str, now: datetime, closed: bool) -> tuple[str, str]:
    """(css class, text) of a step: on time, late by …, pending, pending and late; a return visit
    (回访, only for some incidents, no limit) not made after closing is shown as such."""
    if step["reached"]:
        if step["late"]:
            late = (step["at"] - step["due_at"]).total_seconds() / 60
            return "late", pick(lang, f"⚠ 超时 {duration_text(late, lang)}", f"⚠ Late by {duration_text(late, lang)}")
        if step["due_at"] is not None:
            return "ontime", pick(lang, "✓ 按时", "✓ On time")
        return "done", pick(lang, "✓ 已完成", "✓ Done")
    if step["late"]:
        late = (now - step["due_at"]).total_seconds() / 60
        return "pending late", pick(lang, f"⚠ 未完成，已超时 {duration_text(late, lang)}",
                                    f"⚠ Not done, {duration_text(late, lang)} past due")
    if closed and step["due_at"] is None:
        return "pending skipped", pick(lang, "— 未回访", "— No return visit")
    return "pending", pick(lang, "○ 待办", "○ Pending")


def timeline(steps: list[dict], lang: str, now: datetime, who: dict[str, str] | None = None) -> html.Ol:
    """上报 → 受理 → 派遣 → 处置 → 办结 → 回访: time, time taken, limit and lateness of each step,
    in words and marks as well as colour; `who` names who acted at a step (source, department)."""
    closed = any(step["step"] == "closed" and step["reached"] for step in steps)
    who = who or {}
    items = []
    for step in steps:
        state, text = _step_state(step, lang, now, closed)
        facts = [who[step["step"]]] if who.get(step["step"]) else []
        if step["reached"] and step["step"] != "reported":
            facts.append(pick(lang, f"用时 {duration_text(step['minutes_from_previous'], lang)}",
                              f"took {duration_text(step['minutes_from_previous'], lang)}"))
            facts.append(pick(lang, f"距上报 {duration_text(step['minutes_from_report'], lang)}",
                              f"{duration_text(step['minutes_from_report'], lang)} after report"))
        if step["limit_min"] is not None:
            facts.append(pick(lang, f"时限 {duration_text(step['limit_min'], lang)}（{time_text(step['due_at'])} 前）",
                              f"limit {duration_text(step['limit_min'], lang)} (by {time_text(step['due_at'])})"))
        items.append(html.Li([
            html.Div(className="tl-dot", **{"aria-hidden": "true"}),
            html.Div([
                html.Div([html.Strong(step["name_en"] if lang == "en" else step["name_zh"], className="tl-name"),
                          html.Time(time_text(step["at"]) or "—", className="tl-time",
                                    dateTime=step["at"].isoformat() if step["at"] else None),
                          html.Span(text, className="tl-state")], className="tl-head"),
                html.Div(" · ".join(facts), className="tl-facts"),
            ], className="tl-body"),
        ], className=f"tl-step {state}", id=f"step-{step['step']}", **{"data-step": step["step"],
                                                                         "data-late": "1" if step["late"] else "0"}))
    return html.Ol(items, className="timeline", id="incident-timeline",
                   **{"aria-label": pick(lang, "事件闭环时间线", "Closed-loop timeline")})


def location_map(record: dict) -> dl.Map:
    """The incident's point on its county's boundary (no outside tiles: the boundary is local)."""
    point = [record["lat"], record["lon"]]
    layers = [dl.TileLayer(url=get_settings().tile_url)] if get_settings().tile_url else []
    layers += [
        dl.GeoJSON(url=f"/geo/layer/{record['adcode']}.json", style={"color": "#7f8ea3", "weight": 2,
                                                                      "fillOpacity": 0.06}),
        dl.CircleMarker(center=point, radius=11, color="#ffffff", weight=2, fillColor="#e03131", fillOpacity=0.9,
                        children=dl.Tooltip(record["address"] or record["code"])),
    ]
    return dl.Map(layers, center=point, zoom=11, id="incident-map", className="incident-map",
                  attributionControl=False, style={"background": "transparent"})


def detail_view(record: dict, steps: list[dict], *, lang: str, user, county: str, now: datetime,
                back_href: str) -> html.Div:
    """One incident: headline, facts (reporter masked for the user's role), timeline and map."""
    shown = mask_record(record, user)
    type_name = record["type_en"] if lang == "en" else record["type_zh"]
    severity = int(record["severity"])
    status = fixed_label("status", record["status"], lang) or record["status"]
    source = fixed_label("source", record["source"], lang) or record["source"]
    department = record["department"]
    badges = [html.Span(fixed_label("severity", str(severity), lang), className=f"badge sev sev-{severity}"),
              html.Span(status, className="badge status")]
    if record["overdue"]:
        badges.append(html.Span(pick(lang, "⚠ 超期", "⚠ Overdue"), className="badge overdue", id="detail-overdue"))
    facts = [
        (pick(lang, "区县", "County"), county),
        (pick(lang, "地址", "Address"), shown["address"]),
        (pick(lang, "来源", "Source"), source),
        (pick(lang, "主题", "Theme"), fixed_label("theme", record["theme"], lang) or record["theme"]),
        (pick(lang, "责任部门", "Department"), department),
        (pick(lang, "上报人", "Reporter"), shown["reporter_name"] or pick(lang, "（设备报警）", "(device alarm)")),
        (pick(lang, "联系电话", "Phone"), shown["reporter_phone"] or "—"),
        (pick(lang, "办结时限", "Deadline"), time_text(record["deadline_at"])),
        (pick(lang, "满意度", "Satisfaction"), "—" if record["satisfaction"] is None
         else f"{'★' * int(record['satisfaction'])}{'☆' * (5 - int(record['satisfaction']))}"),
    ]
    who = {"reported": pick(lang, f"来源：{source}", f"via {source}"),
           "dispatched": pick(lang, f"派至 {department}", f"to {department}"),
           "handled": department, "closed": department}
    return html.Div([
        html.Div([
            dcc.Link(pick(lang, "← 返回事件列表", "← Back to the list"), href=back_href, className="back-link",
                     id="detail-back"),
            html.H2([html.Span(record["code"], className="detail-code"), html.Span(type_name, className="detail-type")],
                    className="detail-title"),
            html.Div(badges, className="detail-badges"),
            html.P(shown["summary"], className="detail-summary"),
        ], className="detail-head"),
        html.Div([
            html.Section([html.H3(pick(lang, "闭环处置", "Closed loop")), timeline(steps, lang, now, who)],
                         className="panel detail-timeline"),
            html.Section([
                html.H3(pick(lang, "事件信息", "Facts")),
                html.Dl([part for label, value in facts for part in (html.Dt(label), html.Dd(value or "—"))],
                        className="detail-facts", id="detail-facts"),
                html.Div(location_map(record), className="detail-map", role="img",
                         **{"aria-label": pick(lang, f"事件位置：{shown['address']}", f"Location: {shown['address']}")}),
            ], className="panel detail-side"),
        ], className="detail-body"),
    ], className="incident-detail", id="incident-detail", **{"data-incident": str(record["id"])})


def refusal(message: str, lang: str, back_href: str) -> html.Div:
    return html.Div([html.Strong(message), html.Br(),
                     dcc.Link(pick(lang, "← 返回事件列表", "← Back to the list"), href=back_href, className="back-link")],
                    className="view-errors detail-refused", role="alert", id="detail-refused")

