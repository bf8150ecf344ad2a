"""城市安全 · The city safety cockpit (SPEC §3.5).

Incidents from the hotlines (110 / 119 / 120 / 122 / 12345) and sensors by source, type, severity,
status and county; step times against their limits; overdue incidents; hazard sources and
fire-safety key units; forest-fire risk; the video network's online rate. Every incident count
links to the incident desk pre-filtered; a click on a source, type, severity or status bar
cross-filters the other panels; a county drills.
"""
from __future__ import annotations

import functools
from datetime import datetime

import dash
import pandas as pd
from dash import dcc

from callbacks.state import data_days, href, link_root
from components import figures
from components.frame import page_grid
from components.incident_parts import incident_view
from components.lists import incident_rows, warning_ticker
from components.mapping import map_metric, metric_options, region_values
from components.page import cockpit_layout
from components.safety_parts import (county_table, density_points, hazard_points, incident_points, kpi_strip,
                                     severity_colours, step_figure)
from core.i18n import pick
from core.panels import CrossFilter, Drill, MapSpec, OpenLink, Panel, register_panels
from core.viewstate import ViewState
from data.catalogue import indicator
from data.queries import incidents, safety, warnings
from data.queries.common import region_names
from data.queries.incidents import INCIDENT_FILTERS
from data.queries.labels import fixed_label
from data.regions import region_tree

PATH = "/safety"
MAP_METRICS = ("safety.incidents", "safety.ontime_rate", "safety.video_online_rate", "safety.forest_fire_risk")
SOURCE = {"source_zh": "市城市运行管理中心（110/119/120/122/12345、物联感知）",
          "source_en": "City Operations Centre (110/119/120/122/12345, sensors)"}
UNIT = {"zh": "件", "en": ""}


def without(*dimensions: str) -> tuple[str, ...]:
    """The incident filters minus those a chart highlights instead of applying to itself."""
    return tuple(d for d in INCIDENT_FILTERS if d not in dimensions)


# -- renderers ----------------------------------------------------------------------------------
def render_kpis(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    return kpi_strip(frame, view, href)


def render_warnings(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    return warning_ticker(frame, view.lang, lambda row: href(view.with_page(row.page).with_region(row.adcode)))


def render_counties(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    return county_table(frame, view, href)


def render_overdue(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    return incident_rows(frame, view.lang, region_names(view.lang), lambda row: href(incident_view(view, row.id)),
                         now=datetime.now())


def source_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    frame = frame.assign(label=[fixed_label("source", s, view.lang) or s for s in frame["source"]])
    return figures.ranking_bar(frame, label="label", value="incidents", key="source",
                               selected=figures.selected_of(view, "source"), unit=UNIT[view.lang])


def type_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    fig = figures.ranking_bar(frame, label="name", value="incidents", key="type_code",
                              selected=figures.selected_of(view, "type"), unit=UNIT[view.lang], max_bars=12)
    return fig.update_traces(textposition="outside")  # twelve thin bars: numbers inside would be unreadable


def severity_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    frame = frame.assign(label=[fixed_label("severity", str(s), view.lang) for s in frame["severity"]],
                         key=frame["severity"].astype(str))
    fig = figures.ranking_bar(frame, label="label", value="incidents", key="key", orientation="v",
                              selected=figures.selected_of(view, "severity"), unit=UNIT[view.lang])
    fig.update_traces(marker_color=severity_colours(frame["severity"]))
    return fig


def status_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    frame = frame.assign(label=frame["status_en" if view.lang == "en" else "status_zh"])
    return figures.ranking_bar(frame, label="label", value="incidents", key="status", orientation="v",
                               selected=figures.selected_of(view, "status"), unit=UNIT[view.lang])


def steps_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    return step_figure(frame, view.lang)


def trend_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    fig = figures.trend_lines(frame, x="bucket", series=[("value", pick(view.lang, "本期", "This period")),
                                                          ("last_year", pick(view.lang, "去年同期", "Last year"))],
                              unit=UNIT[view.lang])
    return fig.update_xaxes(tickformat="%Y-%m" if frame.attrs.get("grain") == "month" else "%m-%d")


def county_ranking_figure(code: str):
    def build(frame: pd.DataFrame, view: ViewState, _panel: Panel):
        ind = indicator(code)
        return figures.ranking_bar(frame, label="name", value="value", key="adcode",
                                   unit=ind.unit(view.lang), colour_by_level="level", decimals=ind.decimals)
    return build


def hazards_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    labels = {kind: fixed_label("hazard", kind, view.lang) for kind in safety.HAZARD_KINDS}
    return figures.grouped_bars(frame, x="name", group="kind", value="sources", key="kind", group_labels=labels,
                                selected=figures.selected_of(view, "hazard"))


# -- the map ------------------------------------------------------------------------------------
def map_points(view: ViewState) -> pd.DataFrame:
    """County level: incidents (newest 500) and hazard sources; above: incident density."""
    if region_tree().get(view.region).level == "county":
        frames = [incident_points(incidents.points(view, limit=500), view.lang),
                  hazard_points(safety.hazard_points(view), view.lang)]
        return pd.concat([f for f in frames if not f.empty] or frames[:1], ignore_index=True)
    return density_points(safety.density(view), view.lang, region_names(view.lang))


# stands for the incident's id in the one detail URL worked out for a view (see incident_href)
INCIDENT_STAND_IN = "INCIDENTDETAIL"


@functools.lru_cache(maxsize=512)
def _incident_link(view: ViewState, root: str, _day) -> str:
    return href(incident_view(view, INCIDENT_STAND_IN), root=root)


def incident_href(view: ViewState, incident_id: str) -> str:
    """href(incident_view(view, incident_id)), worked out once per view (and root and data day) with a
    stand-in for the id: a county map's 500 incident links cost one whole URL (about 45 µs) and 500
    string replacements."""
    return _incident_link(view, link_root(), data_days()[0]).replace(INCIDENT_STAND_IN, incident_id)


def open_point(key: str, view: ViewState) -> str | None:
    """An incident opens its detail; a density cell drills into its county; a hazard does nothing."""
    kind, value = key[:1], key[1:]
    if kind == "i" and value.isdigit():
        return incident_href(view, value)
    if kind == "d" and region_tree().exists(value):
        return href(view.with_region(value))
    return None


def map_data(view: ViewState) -> pd.DataFrame:
    return region_values(PANELS_BY_ID["safety.map"], view)


PANELS = register_panels(PATH, [
    Panel("safety.kpis", "核心指标", "Headline indicators", query=safety.kpis, render=render_kpis,
          filters=INCIDENT_FILTERS, indicators=("safety.incidents", "safety.ontime_rate", *safety.KPI_INDICATORS),
          width=12),
    Panel("safety.warnings", "安全预警", "Safety warnings", query=lambda view: warnings.open_warnings(view, "safety"),
          render=render_warnings, width=12, source_zh="预警引擎（指标目录阈值）", source_en="Warnings engine"),
    Panel("safety.map", "事件分布", "Incident map", query=map_data, width=5, height=2, indicators=MAP_METRICS[:1],
          map=MapSpec(metrics=MAP_METRICS, points=map_points, point_click=OpenLink(open_point), points_at_city=True,
                      point_filters=INCIDENT_FILTERS + ("hazard",))),
    Panel("safety.counties", "区县事件处置", "Incidents by county", query=safety.by_county, render=render_counties,
          filters=INCIDENT_FILTERS, width=7, **SOURCE),
    Panel("safety.steps", "环节时效（对照时限）", "Step times against limits", bars=True, query=safety.step_times,
          figure=steps_figure, filters=INCIDENT_FILTERS, width=4, **SOURCE),
    Panel("safety.severity", "事件等级", "Severity", bars=True, query=safety.by_severity, figure=severity_figure,
          click=CrossFilter("severity"), filters=without("severity"), width=3, **SOURCE),
    Panel("safety.sources", "事件来源", "Sources", bars=True, query=safety.by_source, figure=source_figure,
          click=CrossFilter("source"), filters=without("source"), width=4, **SOURCE),
    Panel("safety.types", "事件类型", "Incident types", bars=True, query=lambda view: incidents.by_type(view, view.lang),
          figure=type_figure, click=CrossFilter("type"), filters=without("type"), width=4, **SOURCE),
    Panel("safety.status", "处置状态", "Status", bars=True, query=safety.by_status, figure=status_figure,
          click=CrossFilter("status"), filters=without("status"), width=4, **SOURCE),
    Panel("safety.trend", "事件趋势（同比）", "Incidents vs last year", query=safety.trend, figure=trend_figure,
          brush=True, filters=INCIDENT_FILTERS, width=6, **SOURCE),
    Panel("safety.overdue", "超期未办结事件", "Open and overdue", query=incidents.overdue_list, render=render_overdue,
          filters=without("status", "overdue"), width=6, **SOURCE),
    Panel("safety.video", "视频在线率", "Video cameras online", bars=True, query=safety.video_by_county,
          figure=county_ranking_figure("safety.video_online_rate"), click=Drill(), width=4,
          indicators=("safety.video_online_rate",)),
    Panel("safety.forest", "森林火险等级", "Forest fire risk", bars=True, query=safety.forest_fire_by_county,
          figure=county_ranking_figure("safety.forest_fire_risk"), click=Drill(), width=4,
          indicators=("safety.forest_fire_risk",)),
    Panel("safety.hazards", "危险源与消防重点单位", "Hazard sources and key units", query=safety.hazards_by_county,
          figure=hazards_figure, click=CrossFilter("hazard"), width=4,
          source_zh="市应急管理局、市消防救援支队", source_en="Emergency Management Bureau, Fire Brigade"),
])
PANELS_BY_ID = {p.id: p for p in PANELS}


def build(view: ViewState):
    map_panel = PANELS_BY_ID["safety.map"]
    tools = {"safety.map": [dcc.Dropdown(
        id={"type": "metric", "id": "safety.map"}, options=metric_options(map_panel, view.lang),
        value=map_metric(map_panel, view), clearable=False, searchable=False, className="metric-select",
    )]}
    return page_grid(PANELS, view, tools)


dash.register_page(__name__, path=PATH, name="城市安全", title="城市安全 · 城市大脑", order=4,
                   layout=cockpit_layout(PATH, build))
