"""养老服务 · The elderly care cockpit (SPEC §3.6).

Residents aged 60+ and 80+ and the ageing rate by county; care institutions with their beds and
occupancy; the three tiers of centres (县级指导中心, 街道中心, 社区站) and their coverage; home-care
services by kind; emergency calls from devices (一键呼叫, 跌倒报警) and their response times.
A click on a tier, a service kind or a call kind cross-filters the other panels; a county (map or
bar) drills, and at county level the map shows the institutions.
"""
from __future__ import annotations

from functools import partial

import dash
import pandas as pd
from dash import dcc

from callbacks.state import href
from components import figures
from components.eldercare_parts import (calls_figure, calls_trend_figure, institutions_figure, kpi_strip,
                                        map_points, population_figure, response_figure, services_figure,
                                        tiers_figure)
from components.frame import page_grid
from components.lists import warning_ticker
from components.mapping import map_metric, metric_options, region_values
from components.page import cockpit_layout
from core.i18n import pick
from core.panels import CrossFilter, Drill, MapSpec, Panel, register_panels
from core.viewstate import ViewState
from data.catalogue import indicator
from data.queries import eldercare, warnings

PATH = "/eldercare"
THEME = "eldercare"
MAP_METRICS = ("eldercare.ageing_rate", "eldercare.bed_occupancy", "eldercare.services", "eldercare.device_calls",
               "eldercare.response_seconds")
# Column names of the panels' data in exports (CSV, XLSX, reports)
COLUMNS = {
    "key": ("指标", "Key"), "population": ("常住人口", "Residents"), "aged_60": ("60岁及以上", "Aged 60+"),
    "aged_80": ("80岁及以上", "Aged 80+"), "aged_60_79": ("60–79岁", "Aged 60–79"),
    "ageing_rate": ("老龄化率(%)", "Ageing rate (%)"), "rate_80": ("80岁及以上占比(%)", "Aged 80+ (%)"),
    "id": ("编号", "Id"), "tier": ("层级代码", "Tier code"), "tier_name": ("层级", "Tier"), "beds": ("床位", "Beds"),
    "occupied": ("入住", "Occupied"), "occupancy": ("入住率(%)", "Occupancy (%)"), "county": ("区县", "County"),
    "covers_population": ("服务覆盖老人", "Older people covered"), "covers": ("服务覆盖老人", "Older people covered"),
    "coverage": ("覆盖率(%)", "Coverage (%)"), "institutions": ("机构数", "Institutions"),
    "kind": ("类型代码", "Kind"), "services": ("服务人次", "Services"), "change": ("同比(%)", "vs last year (%)"),
    "calls": ("呼叫次数", "Calls"), "seconds": ("响应总时长(秒)", "Response time, total (s)"),
    "total": ("呼叫合计", "Calls, total"), "mean_response": ("平均响应(秒)", "Mean response (s)"),
    "lat": ("纬度", "Latitude"), "lon": ("经度", "Longitude"),
}
CarePanel = partial(Panel, options={"columns": COLUMNS})


# -- renderers ----------------------------------------------------------------------------------
def render_kpis(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    return kpi_strip(frame, view.lang)


def render_warnings(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    return warning_ticker(frame, view.lang, lambda row: href(view.with_page(row.page).with_region(row.adcode)))


def drilled(frame: pd.DataFrame, view: ViewState) -> set[str]:
    """The bar to highlight in a county chart: the county drilled into (none at city level)."""
    return {view.region} & set(frame["adcode"])


def ranking_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    ind = indicator(map_metric(PANELS_BY_ID["eldercare.map"], view))
    return figures.ranking_bar(frame, label="name", value="value", key="adcode", selected=drilled(frame, view),
                               unit=ind.unit(view.lang), colour_by_level="level", decimals=ind.decimals)


def population_chart(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    return population_figure(frame, view.lang, view.region, compact=view.screen)


def tiers_chart(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    return tiers_figure(frame, view.lang, figures.selected_of(view, "tier"), compact=view.screen)


def institutions_chart(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    return institutions_figure(frame, view.lang)


def services_chart(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    return services_figure(frame, view.lang, figures.selected_of(view, "service"))


def services_trend_chart(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    name = indicator("eldercare.services").name(view.lang)
    if view.filter_values("service"):
        name = pick(view.lang, "所选服务", "Selected services")
    return figures.trend_lines(frame, x="bucket", series=[("value", name),
                                                         ("last_year", pick(view.lang, "去年同期", "Last year"))],
                               unit=indicator("eldercare.services").unit(view.lang), area=True)


def calls_chart(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    return calls_figure(frame, view.lang, figures.selected_of(view, "call"))


def calls_trend_chart(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    return calls_trend_figure(frame, view.lang)


def response_chart(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    return response_figure(frame, view.lang, drilled(frame, view))


# -- the map ------------------------------------------------------------------------------------
def map_data(view: ViewState) -> pd.DataFrame:
    return region_values(PANELS_BY_ID["eldercare.map"], view)


def points(view: ViewState) -> pd.DataFrame:
    """At county level: every care institution (the map rings those of the chosen tiers)."""
    return map_points(eldercare.institutions(view), view.lang)


PANELS = register_panels(PATH, [
    # the wall (screen=True) shows the first three rows; the last row is for the desk
    CarePanel("eldercare.kpis", "核心指标", "Headline indicators", query=eldercare.kpis, render=render_kpis,
              indicators=eldercare.KPI_INDICATORS, width=12),
    CarePanel("eldercare.warnings", "养老预警", "Elderly care warnings",
              query=lambda view: warnings.open_warnings(view, THEME), render=render_warnings, width=12,
              source_zh="预警引擎（指标目录阈值）", source_en="Warnings engine (catalogue thresholds)"),
    CarePanel("eldercare.map", "养老机构地图", "Care institutions map", query=map_data, width=5, height=2,
              indicators=MAP_METRICS[:1],
              map=MapSpec(metrics=MAP_METRICS, points=points, point_click=CrossFilter("tier"))),
    CarePanel("eldercare.population", "老年人口与老龄化率", "Older residents and ageing rate", bars=True,
              query=eldercare.population_by_region, figure=population_chart, click=Drill(), width=4,
              indicators=("eldercare.ageing_rate",)),
    CarePanel("eldercare.ranking", "区县排名", "County ranking", bars=True, query=map_data, figure=ranking_figure,
              click=Drill(), width=3, indicators=MAP_METRICS[:1]),
    CarePanel("eldercare.services_trend", "居家养老服务趋势（同比）", "Home-care services vs last year",
              query=eldercare.services_trend, figure=services_trend_chart, brush=True, filters=("service",), width=7,
              indicators=("eldercare.services",)),
    CarePanel("eldercare.tiers", "三级养老服务网络", "Three tiers of care centres", bars=True, query=eldercare.tiers,
              figure=tiers_chart, click=CrossFilter("tier"), width=4, indicators=("eldercare.bed_occupancy",)),
    CarePanel("eldercare.institutions", "机构床位入住率", "Bed occupancy by institution", bars=True,
              query=eldercare.fullest_institutions,
              figure=institutions_chart, click=Drill(), filters=("tier",), width=4,
              indicators=("eldercare.bed_occupancy",)),
    CarePanel("eldercare.calls", "紧急呼叫与响应时长", "Emergency calls and response times", bars=True,
              query=eldercare.calls_by_kind, figure=calls_chart, click=CrossFilter("call"), width=4,
              indicators=("eldercare.device_calls", "eldercare.response_seconds")),
    CarePanel("eldercare.services", "居家养老服务类型", "Home-care services by kind", bars=True,
              query=eldercare.services_by_kind, figure=services_chart, click=CrossFilter("service"), width=4, indicators=("eldercare.services",),
              screen=False),
    CarePanel("eldercare.calls_trend", "呼叫量与平均响应", "Calls and mean response over time",
              query=eldercare.calls_trend, figure=calls_trend_chart, brush=True, filters=("call",), width=4,
              indicators=("eldercare.device_calls", "eldercare.response_seconds"), screen=False),
    CarePanel("eldercare.response", "区县响应时长", "Response time by county", bars=True, query=eldercare.response_by_region,
              figure=response_chart, click=Drill(), filters=("call",), width=4,
              indicators=("eldercare.response_seconds",), screen=False),
])
PANELS_BY_ID = {p.id: p for p in PANELS}


def build(view: ViewState):
    map_panel = PANELS_BY_ID["eldercare.map"]
    tools = {"eldercare.map": [dcc.Dropdown(
        id={"type": "metric", "id": "eldercare.map"}, options=metric_options(map_panel, view.lang),
        value=map_metric(map_panel, view), clearable=False, searchable=False, className="metric-select",
    )]}
    return page_grid(PANELS, view, tools)


dash.register_page(__name__, path=PATH, name="养老服务", title="养老服务 · 城市大脑", order=5,
                   layout=cockpit_layout(PATH, build))
