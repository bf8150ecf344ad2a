"""生态环境 · The environment cockpit (SPEC §3.3).

Air (AQI by HJ 633-2012 per station and hour, the six pollutants, the share of good days and the
days at each level), water (each section's monthly grade against its target), key pollution sources
(online rate, exceedances) and environmental events with their closed loop.

Clicks: a county on the map or a source-online bar drills; a station (bar, map point or heat-map
row) narrows the air panels to it; a pollutant switches them from AQI to its concentration; an
event kind opens those events on the incident desk.
"""
from __future__ import annotations

import dash
import pandas as pd
from dash import dcc, html

from callbacks.state import href
from components import figures
from components.environment_parts import (air_trend_figure, aqi_now_card, level_days_figure, pollutant_figure,
                                          primary_label, source_table, station_bars, station_hours_figure,
                                          water_figure)
from components.frame import page_grid
from components.incident_parts import desk_view
from components.kpi import count_card, kpi_card
from components.lists import warning_ticker
from components.mapping import map_metric, metric_options, region_values
from components.page import cockpit_layout
from core.i18n import pick, t
from core.panels import CrossFilter, Drill, MapSpec, OpenLink, Panel, register_panels
from core.viewstate import ViewState, narrow
from data.catalogue import indicator
from data.queries import environment, incidents, indicators, warnings
from data.queries.common import region_names
from data.regions import region_tree

PATH = "/environment"
THEME = "environment"
RANGE_CODES = ("env.aqi", "env.good_days", "env.pm25", "env.water_attainment", "env.source_online_rate",
               "env.source_exceedances")
MAP_METRICS = RANGE_CODES  # the map can be coloured by any headline indicator
SOURCE_ALARM = "env.source_alarm"  # the incident type of a key source's exceedance alarm


def desk_href(view: ViewState, **filters: tuple[str, ...]) -> str:
    """The incident desk showing this cockpit's events behind a count, region and time kept."""
    return href(desk_view(view, theme=(THEME,), **filters))


def measure_unit(measure: str) -> tuple[str, int]:
    """Unit and decimals of what the air panels show: AQI, or a pollutant's concentration."""
    if measure == "aqi":
        return "", 0
    return environment.UNITS[measure], 2 if measure == "co" else 0


# ------------------------------------------------------------------------------------- headlines
def headline_data(view: ViewState) -> pd.DataFrame:
    """Every figure of the headline strip as one tidy frame: the range KPIs, the AQI of the latest
    hour, the events and, with stations selected, their mean AQI and good days."""
    frames = [indicators.kpis(view, RANGE_CODES)]
    latest = environment.latest_readings(view)
    if not latest.empty:
        worst = latest.sort_values("aqi", ascending=False).iloc[0]
        frames.append(pd.DataFrame([{"indicator": "aqi_now", "value": float(latest["aqi"].mean()),
                                     "at": latest["ts"].max(), "name": worst["name"], "worst": float(worst["aqi"]),
                                     "primary": worst["primary_pollutant"]}]))
    counts = incidents.counts(narrow(view, ()).set_filter("theme", (THEME,)))
    frames.append(pd.DataFrame([{"indicator": f"events_{k}", "value": float(counts[k])}
                                for k in ("total", "open", "open_overdue")]))
    ids = view.filter_values("station")
    if ids:
        stations = environment.station_ranking(narrow(view, ()))
        chosen = stations[stations["station_id"].astype(str).isin(ids)]
        days = chosen["days"].sum()
        mean = float((chosen["aqi"] * chosen["days"]).sum() / days) if days else None  # over station-days
        frames.append(pd.DataFrame([{"indicator": "selected_aqi", "value": mean,
                                     "good_share": float(chosen["good_days"].sum() / days * 100) if days else None}]))
    frame = pd.concat(frames, ignore_index=True)
    frame["level"] = frame["level"].fillna(0).astype(int)
    return frame


def render_headlines(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    lang = view.lang
    rows = {r["indicator"]: r for r in frame.to_dict("records")}
    cards = [kpi_card(indicator(code), rows[code], lang) for code in RANGE_CODES[:2]]
    if "aqi_now" in rows:
        now = rows["aqi_now"]
        cards.insert(0, aqi_now_card(now["value"], now["at"], now["name"], now["worst"], now["primary"], lang))
    cards += [kpi_card(indicator(code), rows[code], lang) for code in RANGE_CODES[2:]]
    cards.append(count_card(
        pick(lang, "环境事件", "Environmental events"), int(rows["events_total"]["value"]), pick(lang, "件", ""), lang,
        href=desk_href(view), card_id="kpi-env-events",
        extra=dcc.Link(f"{t('open_incidents', lang)} {int(rows['events_open']['value']):,} · "
                       f"{t('overdue', lang)} {int(rows['events_open_overdue']['value']):,}",
                       href=desk_href(view, status=("open",)), id="kpi-env-open-link",
                       className="kpi-sub bad" if rows["events_open_overdue"]["value"] else "kpi-sub")))
    if "selected_aqi" in rows:
        chosen = rows["selected_aqi"]
        # the chosen stations may have no reading here (a station of another county, kept by a drill)
        value = None if pd.isna(chosen["value"]) else chosen["value"]
        good = "—" if pd.isna(chosen["good_share"]) else f"{chosen['good_share']:.1f}%"
        cards.append(kpi_card(indicator("env.aqi"), {"value": value, "level": indicator("env.aqi").level_of(value)},
                              lang, card_id="kpi-selected-aqi",
                              label=pick(lang, f"所选站点AQI · 优良 {good}", f"Selected stations AQI · good {good}")))
    return html.Div(cards, className="kpi-strip")


def ticker_data(view: ViewState) -> pd.DataFrame:
    return warnings.open_warnings(view, theme=THEME)


def render_ticker(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    return warning_ticker(frame, view.lang, lambda row: href(view.with_region(row.adcode)))


# ------------------------------------------------------------------------------------- map
def map_regions(view: ViewState) -> pd.DataFrame:
    return region_values(PANELS_BY_ID["env.map"], view)


def map_points(view: ViewState) -> pd.DataFrame:
    """Air stations in the colour of their latest hourly AQI level, its words in the tooltip."""
    frame = environment.latest_readings(view)
    labels = []
    for row in frame.itertuples():
        primary = primary_label(row.primary_pollutant)
        labels.append(f"{row.name} · AQI {row.aqi} {row.level_name}"
                      + (f" · {pick(view.lang, '首要污染物', 'primary')} {primary}" if primary else "")
                      + f" · {row.ts:%m-%d %H:%M}")
    return pd.DataFrame({"key": frame["station_id"].astype(str), "name": frame["name"], "lat": frame["lat"],
                         "lon": frame["lon"], "level": 0, "label": labels, "radius": 10, "colour": frame["colour"]})


# ------------------------------------------------------------------------------------- figures
def stations_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    unit, decimals = measure_unit(frame["measure"].iloc[0])
    return station_bars(frame, view.lang, figures.selected_of(view, "station"), unit, decimals)


def trend_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    unit, decimals = measure_unit(frame.attrs.get("measure", "aqi"))
    region = region_tree().get(view.region).label(view.lang)
    return air_trend_figure(frame, view.lang, unit, decimals, pick(view.lang, f"{region}站点平均",
                                                                    f"{region} stations' mean"))


def hours_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    unit, decimals = measure_unit(frame.attrs.get("measure", "aqi"))
    return station_hours_figure(frame, view.lang, figures.selected_of(view, "station"), unit, decimals)


def pollutants_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    return pollutant_figure(frame, view.lang, figures.selected_of(view, "pollutant"))


def levels_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    total = frame["days"].sum()
    good = float(frame.loc[frame["level"] <= 2, "days"].sum() / total * 100) if total else None
    return level_days_figure(frame, view.lang, good)


def water_panel_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    return water_figure(frame, view.lang)


def source_counties_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    ind = indicator("env.source_online_rate")
    return figures.ranking_bar(frame, label="name", value="value", key="adcode",
                               selected=set(frame.loc[frame["selected"], "adcode"]), unit=ind.unit(view.lang),
                               colour_by_level="level", decimals=ind.decimals,
                               text_suffix="%")


def source_render(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    return source_table(frame, view.lang, region_names(view.lang), desk_href(view, type=(SOURCE_ALARM,)))


def event_data(view: ViewState) -> pd.DataFrame:
    return incidents.by_type(view.set_filter("theme", (THEME,)), view.lang)


def event_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    rate = incidents.counts(narrow(view, ()).set_filter("theme", (THEME,)))["ontime_rate"]
    return figures.incident_kinds(frame, total_name=pick(view.lang, "事件", "Events"), ontime_rate=rate,
                                  lang=view.lang)


AIR_SOURCE = {"source_zh": "市生态环境局 · 空气自动监测站", "source_en": "Ecology and Environment Bureau · air stations"}
PANELS = register_panels(PATH, [
    Panel("env.kpis", "生态环境总体态势", "Environment at a glance", query=headline_data, render=render_headlines,
          filters=("station",), indicators=RANGE_CODES, width=12),
    Panel("env.warnings", "环境预警", "Environment warnings", query=ticker_data, render=render_ticker, width=12,
          source_zh="预警引擎（指标目录阈值）", source_en="Warnings engine (catalogue thresholds)"),
    Panel("env.map", "空气质量地图", "Air quality map", query=map_regions, width=4, height=2,
          map=MapSpec(metrics=MAP_METRICS, points=map_points, point_click=CrossFilter("station")),
          indicators=MAP_METRICS[:1]),
    Panel("env.stations", "站点空气质量排名", "Stations, worst first", bars=True, query=environment.station_ranking,
          figure=stations_figure, click=CrossFilter("station"), filters=("pollutant",), width=4, **AIR_SOURCE),
    Panel("env.trend", "空气质量趋势", "Air quality over time", query=environment.air_trend, figure=trend_figure,
          filters=("station", "pollutant"), brush=True, width=4, **AIR_SOURCE),
    Panel("env.pollutants", "六项污染物", "The six pollutants", bars=True, query=environment.pollutant_summary,
          figure=pollutants_figure, click=CrossFilter("pollutant"), filters=("station",), width=4, **AIR_SOURCE),
    Panel("env.levels", "空气质量级别天数", "Days at each AQI level", bars=True, query=environment.aqi_level_days,
          figure=levels_figure, filters=("station",), width=4, indicators=("env.good_days",)),
    Panel("env.water", "地表水断面水质（月）", "Water sections by month", query=environment.water_grades,
          figure=water_panel_figure, width=8, indicators=("env.water_attainment",)),
    # the wall (大屏) keeps the headline panels; these three are for the desk
    Panel("env.source_list", "重点污染源在线监测", "Key pollution sources", query=environment.source_status,
          render=source_render, width=4, screen=False,
          indicators=("env.source_online_rate", "env.source_exceedances")),
    Panel("env.station_hours", "站点逐时空气质量", "Stations hour by hour", query=environment.station_hours,
          figure=hours_figure, click=CrossFilter("station"), filters=("pollutant",), width=5, screen=False,
          **AIR_SOURCE),
    Panel("env.source_counties", "污染源在线率（区县）", "Sources online by county", bars=True,
          query=lambda view: indicators.ranking(view, "env.source_online_rate", view.lang),
          figure=source_counties_figure, click=Drill(), width=3, screen=False,
          indicators=("env.source_online_rate",)),
    Panel("env.events", "环境事件处置", "Environmental events", bars=True, query=event_data, figure=event_figure,
          click=OpenLink(lambda code, view: desk_href(view, type=(code,))), width=4,
          source_zh="市城市运行管理中心", source_en="City Operations Centre"),
])
PANELS_BY_ID = {p.id: p for p in PANELS}


def build(view: ViewState):
    map_panel = PANELS_BY_ID["env.map"]
    tools = {"env.map": [dcc.Dropdown(
        id={"type": "metric", "id": "env.map"}, options=metric_options(map_panel, view.lang),
        value=map_metric(map_panel, view), clearable=False, searchable=False, className="metric-select",
    )]}
    return page_grid(PANELS, view, tools)


dash.register_page(__name__, path=PATH, name="生态环境", title="生态环境 · 城市大脑", order=2,
                   layout=cockpit_layout(PATH, build))
