"""智慧交通 · The traffic cockpit (SPEC §3.4).

Congestion index (交通拥堵指数) and speed by road segment and hour, the hour × weekday pattern,
the worst segments now, roads around scenic spots at holidays (景区周边路网), smart parking
(occupancy by lot, free spaces now), public transport ridership, and accidents and traffic
incidents by type. A click on a segment, a lot, an hour or a weekday cross-filters the other
panels; a county (map or bar) drills; incident counts open the incident desk pre-filtered.
"""
from __future__ import annotations

from functools import partial

import dash
import pandas as pd
from dash import dcc

from callbacks.state import href
from components import figures
from components.frame import page_grid
from components.incident_parts import desk_view
from components.lists import warning_ticker
from components.mapping import map_metric, metric_options, region_values
from components.page import cockpit_layout
from components.traffic_parts import (hour_profile_figure, kpi_strip, map_points, parking_bars, parking_trend_figure,
                                      scenic_roads_figure, segment_bars, weekday_hour_figure)
from core.i18n import pick
from core.panels import CrossFilter, Drill, KeyedFilter, MapSpec, OpenLink, Panel, register_panels
from core.viewstate import ViewState, narrow
from data.catalogue import indicator
from data.queries import traffic, warnings
from data.queries.tourism import holiday_marks

PATH = "/traffic"
MAP_METRICS = ("traffic.congestion", "traffic.speed", "traffic.parking_occupancy", "traffic.bus_ridership",
               "traffic.accidents")
ROADS = ("traffic.congestion", "traffic.speed")
POLICE = {"source_zh": "市公安局交警支队", "source_en": "Traffic police"}
# Column names of the panels' data in exports (CSV, XLSX, reports)
COLUMNS = {
    "key": ("指标", "Key"), "segment_id": ("路段编号", "Segment id"), "road": ("道路", "Road"), "kind": ("类型", "Kind"),
    "county": ("区县", "County"), "ts": ("时间", "Time"), "at": ("时间", "Time"),
    "congestion": ("拥堵指数", "Congestion index"), "speed": ("平均车速(km/h)", "Mean speed (km/h)"),
    "volume": ("车流量(辆)", "Vehicles"), "hour": ("时段", "Hour"), "weekday": ("星期(0=周一)", "Weekday (0 = Mon)"),
    "spot": ("景区", "Scenic spot"), "holiday": ("节假日拥堵指数", "Holiday congestion"),
    "normal": ("节前平日拥堵指数", "Ordinary-day congestion"), "change": ("变化(%)", "Change (%)"),
    "holiday_zh": ("节假日", "Holiday"), "holiday_en": ("节假日(英)", "Holiday (en)"),
    "holiday_start": ("假期开始", "Holiday from"), "holiday_end": ("假期结束", "Holiday to"),
    "normal_start": ("平日开始", "Ordinary days from"), "normal_end": ("平日结束", "Ordinary days to"),
    "lot_id": ("停车场编号", "Lot id"), "spaces": ("车位数", "Spaces"), "occupied": ("占用车位", "Occupied"),
    "free": ("空余车位", "Free"), "occupancy": ("占用率(%)", "Occupancy (%)"), "lat": ("纬度", "Latitude"),
    "lon": ("经度", "Longitude"), "type_code": ("类型代码", "Type code"),
}
TrafficPanel = partial(Panel, options={"columns": COLUMNS})


def incidents_href(view: ViewState, *types: str) -> str:
    """The incident desk showing the traffic incidents of the view (of these types)."""
    extra = {"type": types} if types else {}
    return href(desk_view(view, theme=(traffic.THEME,), **extra))


# -- renderers ----------------------------------------------------------------------------------
def render_kpis(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    return kpi_strip(frame, view.lang, {"accidents": incidents_href(view, "traffic.accident"),
                                        "incidents": incidents_href(view)})


def render_warnings(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    return warning_ticker(frame, view.lang, lambda row: href(view.with_page(row.page).with_region(row.adcode)))


def ranking_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    ind = indicator(map_metric(PANELS_BY_ID["traffic.map"], view))
    # highlight the county drilled into; at city level no bar is singled out
    return figures.ranking_bar(frame, label="name", value="value", key="adcode",
                               selected={view.region} & set(frame["adcode"]),
                               unit=ind.unit(view.lang), colour_by_level="level", decimals=ind.decimals)


def worst_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    return segment_bars(frame, view.lang, figures.selected_of(view, "segment"), max_bars=10)


def ranking_by_hours_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    return segment_bars(frame, view.lang, figures.selected_of(view, "segment"))


def trend_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    name = indicator("traffic.congestion").name(view.lang)
    if view.filter_values("segment") or view.filter_values("hour") or view.filter_values("weekday"):
        name = pick(view.lang, "所选路段/时段", "Selected segments / hours")
    fig = figures.trend_lines(frame, x="bucket", series=[("value", name),
                                                        ("last_year", pick(view.lang, "去年同期", "Last year"))],
                              decimals=2, markers=holiday_marks(view.start, view.end, view.lang))
    if len(frame) < 15:  # a few points (chosen weekdays): show each one
        fig.update_traces(mode="lines+markers")
    if frame.attrs.get("grain") == "day":
        fig.update_xaxes(range=[pd.Timestamp(view.start) - pd.Timedelta(hours=12),
                                pd.Timestamp(view.end) + pd.Timedelta(hours=12)])
    return fig


def hours_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    return hour_profile_figure(frame, view.lang, figures.selected_of(view, "hour"))


def heatmap_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    return weekday_hour_figure(frame, view.lang, figures.selected_of(view, "weekday"),
                               figures.selected_of(view, "hour"))


def scenic_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    return scenic_roads_figure(frame, view.lang, figures.selected_of(view, "segment"))


def parking_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    return parking_bars(frame, view.lang, figures.selected_of(view, "lot"))


def parking_history_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    return parking_trend_figure(frame, view.lang)


def bus_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    ind = indicator("traffic.bus_ridership")
    return figures.trend_lines(frame, x="bucket", series=[("value", pick(view.lang, "本期", "This period")),
                                                         ("last_year", pick(view.lang, "去年同期", "Last year"))],
                               unit=ind.unit(view.lang), markers=holiday_marks(view.start, view.end, view.lang),
                               area=True)


def incidents_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    rate = traffic.incident_counts(narrow(view, ()))["ontime_rate"]
    return figures.incident_kinds(frame, total_name=pick(view.lang, "上报", "Reported"), ontime_rate=rate,
                                  lang=view.lang)


# -- the map ------------------------------------------------------------------------------------
def map_data(view: ViewState) -> pd.DataFrame:
    return region_values(PANELS_BY_ID["traffic.map"], view)


def points(view: ViewState) -> pd.DataFrame:
    """At county level: every segment and lot of the county (the map outlines the chosen ones)."""
    return map_points(traffic.segments_now(view), traffic.parking_now(view), view.lang)


PANELS = register_panels(PATH, [
    # the wall (screen=True) shows the first three rows; the analysis rows below are for the desk
    TrafficPanel("traffic.kpis", "核心指标", "Headline indicators", query=traffic.kpis, render=render_kpis,
                 indicators=traffic.KPI_INDICATORS, width=12),
    TrafficPanel("traffic.warnings", "交通预警", "Traffic warnings",
                 query=lambda view: warnings.open_warnings(view, traffic.THEME), render=render_warnings, width=12,
                 source_zh="预警引擎（指标目录阈值）", source_en="Warnings engine (catalogue thresholds)"),
    TrafficPanel("traffic.map", "路网与停车地图", "Roads and parking map", query=map_data, width=5, height=2,
                 indicators=MAP_METRICS[:1],
                 map=MapSpec(metrics=MAP_METRICS, points=points, point_click=KeyedFilter(("segment", "lot")))),
    TrafficPanel("traffic.ranking", "区县排名", "County ranking", bars=True, query=map_data, figure=ranking_figure,
                 click=Drill(), width=3, indicators=MAP_METRICS[:1]),
    TrafficPanel("traffic.worst", "当前最堵路段", "Most congested segments now", bars=True, query=traffic.worst_segments_now,
                 figure=worst_figure, click=CrossFilter("segment"), width=4, indicators=ROADS),
    TrafficPanel("traffic.trend", "拥堵指数趋势（同比）", "Congestion index vs last year", query=traffic.congestion_trend,
                 figure=trend_figure, brush=True, filters=("segment", "weekday", "hour"), width=7,
                 indicators=("traffic.congestion",)),
    TrafficPanel("traffic.hours", "分时段拥堵与车速", "Congestion and speed by hour", query=traffic.hour_profile,
                 figure=hours_figure, click=CrossFilter("hour"), filters=("segment", "weekday"), width=4,
                 indicators=ROADS),
    TrafficPanel("traffic.scenic", "景区周边路网（节假日对比）", "Roads around scenic spots at holidays", bars=True,
                 query=traffic.busiest_scenic_roads, figure=scenic_figure, click=CrossFilter("segment"), width=4,
                 indicators=("traffic.congestion",)),
    TrafficPanel("traffic.parking", "最满停车场（当前）", "Fullest parking lots now", bars=True, query=traffic.fullest_lots,
                 figure=parking_figure, click=CrossFilter("lot"), width=4, indicators=("traffic.parking_occupancy",)),
    TrafficPanel("traffic.heatmap", "星期 × 时段拥堵热力", "Congestion by weekday and hour", query=traffic.weekday_hour,
                 figure=heatmap_figure, click=CrossFilter("weekday"), filters=("segment",), width=4,
                 indicators=("traffic.congestion",), screen=False),
    TrafficPanel("traffic.segments", "路段拥堵排名（所选时段）", "Segments by congestion (chosen hours)", bars=True,
                 query=traffic.most_congested_segments, figure=ranking_by_hours_figure,
                 click=CrossFilter("segment"),
                 filters=("weekday", "hour"), width=4, indicators=ROADS, screen=False),
    TrafficPanel("traffic.parking_trend", "停车占用率走势", "Parking occupancy over time", query=traffic.parking_trend,
                 figure=parking_history_figure, filters=("lot",), brush=True, width=4,
                 indicators=("traffic.parking_occupancy",), screen=False),
    TrafficPanel("traffic.bus", "公交客运量（同比）", "Public transport ridership vs last year", query=traffic.bus_trend,
                 figure=bus_figure, brush=True, width=6, indicators=("traffic.bus_ridership",), screen=False),
    TrafficPanel("traffic.incidents", "交通事故与事件", "Accidents and traffic incidents", bars=True,
                 query=traffic.incidents_by_type,
                 figure=incidents_figure, click=OpenLink(lambda code, view: incidents_href(view, code)), width=6,
                 **POLICE, screen=False),
])
PANELS_BY_ID = {p.id: p for p in PANELS}


def build(view: ViewState):
    map_panel = PANELS_BY_ID["traffic.map"]
    tools = {"traffic.map": [dcc.Dropdown(
        id={"type": "metric", "id": "traffic.map"}, options=metric_options(map_panel, view.lang),
        value=map_metric(map_panel, view), clearable=False, searchable=False, className="metric-select",
    )]}
    return page_grid(PANELS, view, tools)


dash.register_page(__name__, path=PATH, name="智慧交通", title="智慧交通 · 城市大脑", order=3,
                   layout=cockpit_layout(PATH, build))
