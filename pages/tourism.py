"""智慧文旅 · The tourism cockpit (SPEC §3.2).

旅游总体态势 (headlines: the range, today / this month / this year), 客流监测 (load of every scenic
spot against its capacity with 大客流预警, the visitors of the day by hour, the trend with holidays
marked, each holiday against the same holiday last year), 客源地 (provinces, then cities), 游客行为
(age, length of stay), 旅游要素 (hotel occupancy by county) and 旅游监管 (complaints and their handling).

Clicks: a county on the map or a hotel-occupancy bar drills; a spot (bar or map point) filters the
visitor panels to its arrivals; a province shows its cities; a complaint kind opens those complaints
on the incident desk.
"""
from __future__ import annotations

import dash
import pandas as pd
from dash import dcc, html

from callbacks.state import data_days, href
from components import figures
from components.frame import page_grid
from components.incident_parts import desk_view
from components.kpi import kpi_card
from components.lists import warning_ticker
from components.mapping import map_metric, metric_options, region_values
from components.page import cockpit_layout
from components.tourism_parts import crowd_card, holiday_figure, hourly_figure, period_card, spot_load_figure
from core.i18n import pick
from core.panels import CrossFilter, Drill, MapSpec, OpenLink, Panel, register_panels
from core.viewstate import ViewState, narrow
from data.catalogue import indicator
from data.queries import incidents, indicators, tourism, warnings

PATH = "/tourism"
THEME = "tourism"
RANGE_CODES = ("tourism.visitors", "tourism.revenue", "tourism.hotel_occupancy", "tourism.complaints")
MAP_METRICS = RANGE_CODES  # the map can be coloured by any headline indicator
SPOT_LOAD = tourism.SPOT_LOAD
ORIGIN_BARS = 12
PERIOD_LABELS = {"day": ("今日", "Today"), "month": ("本月", "This month"), "year": ("本年", "This year")}


def desk_href(view: ViewState, **filters: tuple[str, ...]) -> str:
    """The incident desk showing this cockpit's incidents (complaints) behind a count, region and time kept."""
    return href(desk_view(view, theme=(THEME,), **filters))


# ------------------------------------------------------------------------------------- headlines
def headline_data(view: ViewState) -> pd.DataFrame:
    """Every figure of the headline strip as one tidy frame (what is drawn is what is exported):
    the range KPIs, today / month / year totals, the crowd-warning counts and, with spots selected,
    their arrivals."""
    frames = [indicators.kpis(view, RANGE_CODES).assign(period="range")]
    totals = tourism.period_totals(view)
    frames.append(totals[["indicator", "period", "value", "last_year", "change_yoy", "as_of"]])
    loads = tourism.spot_load(view)
    ind = indicator(SPOT_LOAD)
    top = loads.iloc[0] if not loads.empty else None
    frames.append(pd.DataFrame([
        {"indicator": "spots_warned", "period": "day", "value": float((loads["load"] >= ind.thresholds[1]).sum())},
        {"indicator": "spots_full", "period": "day", "value": float((loads["load"] >= ind.thresholds[3]).sum())},
        {"indicator": "top_spot_load", "period": "day", "value": None if top is None else float(top["load"]),
         "level": 0 if top is None else int(top["level"]),
         "name": None if top is None else top["label"]},
    ]))
    selected = tourism.selected_spots_arrivals(view)
    if selected is not None:
        frames.append(pd.DataFrame([{"indicator": "selected_spots", "period": "range", **selected}]))
    frame = pd.concat(frames, ignore_index=True)
    frame["level"] = frame["level"].fillna(0).astype(int)
    return frame


def render_headlines(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    lang = view.lang
    rows = {(r["indicator"], r["period"]): r for r in frame.to_dict("records")}
    cards = []
    for code in RANGE_CODES:
        link = desk_href(view) if code == "tourism.complaints" else None
        cards.append(kpi_card(indicator(code), rows[(code, "range")], lang, href=link))
    cards.append(crowd_card(rows[("spots_warned", "day")]["value"], rows[("spots_full", "day")]["value"],
                            rows[("top_spot_load", "day")], indicator(SPOT_LOAD), lang))
    today, _ = data_days()
    for code, card_id in (("tourism.visitors", "period-visitors"), ("tourism.revenue", "period-revenue")):
        ind = indicator(code)
        lines = []
        for period, (zh, en) in PERIOD_LABELS.items():
            row = rows[(code, period)]
            label = pick(lang, zh, en) if period != "day" or view.end == today else f"{view.end:%m-%d}"
            lines.append({"key": period, "label": label, "value": row["value"], "change_yoy": row["change_yoy"]})
        as_of = rows[(code, "day")]["as_of"]
        note = pick(lang, f"今日截至 {as_of:%H:%M}", f"today to {as_of:%H:%M}") if pd.notna(as_of) else ""
        cards.append(period_card(ind.name(lang), lines, ind.unit(lang), ind.direction, lang, card_id=card_id,
                                 note=note))
    if ("selected_spots", "range") in rows:
        cards.append(kpi_card(indicator("tourism.visitors"), rows[("selected_spots", "range")], lang,
                              card_id="kpi-selected-spots", label=pick(lang, "所选景区入园", "Arrivals at selected spots")))
    return html.Div(cards, className="kpi-strip")


def ticker_data(view: ViewState) -> pd.DataFrame:
    return warnings.open_warnings(view, theme=THEME)


def render_ticker(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    return warning_ticker(frame, view.lang, lambda row: href(view.with_region(row.adcode)))


# ------------------------------------------------------------------------------------- map
def map_regions(view: ViewState) -> pd.DataFrame:
    return region_values(PANELS_BY_ID["tourism.map"], view)


def map_points(view: ViewState) -> pd.DataFrame:
    """The county's scenic spots, sized by their load and coloured by its warning level."""
    frame = tourism.spot_load(view)
    return pd.DataFrame({
        "key": frame["spot_id"].astype(str), "name": frame["label"], "lat": frame["lat"], "lon": frame["lon"],
        "level": frame["level"],
        "label": [f"{n} · {pick(view.lang, '承载率', 'load')} {load:.1f}% · {pick(view.lang, '在园', 'inside')} "
                  f"{present:,}" for n, load, present in zip(frame["label"], frame["load"], frame["present"])],
        "radius": [min(7 + load / 6, 24) for load in frame["load"]],
    })


# ------------------------------------------------------------------------------------- figures
def spot_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    return spot_load_figure(frame, indicator(SPOT_LOAD), view.lang, figures.selected_of(view, "spot"))


def hours_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    return hourly_figure(frame, view.lang)


def trend_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    spots = frame.attrs.get("measure") == tourism.MEASURE_SPOTS
    visitors = indicator("tourism.visitors")
    name = pick(view.lang, "所选景区入园", "Arrivals at selected spots") if spots else visitors.name(view.lang)
    marks = tourism.holiday_marks(view.start, view.end, view.lang)
    fig = figures.trend_lines(frame, x="bucket", series=[("value", name),
                                                        ("last_year", pick(view.lang, "去年同期", "Last year"))],
                              unit=visitors.unit(view.lang), markers=marks)
    as_of = frame.attrs.get("as_of")
    if as_of is not None and not frame.empty:  # the last day is still running: say so where it dips
        last = frame.iloc[-1]
        fig.add_annotation(x=last["bucket"], y=last["value"], text=pick(view.lang, f"截至{as_of:%H:%M}",
                                                                        f"to {as_of:%H:%M}"),
                           showarrow=True, arrowhead=0, ax=-30, ay=-24, font={"size": 11, "color": figures.INK})
    return fig


def holidays_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    return holiday_figure(frame, view.lang, indicator("tourism.visitors").unit(view.lang))


def origin_figure(frame: pd.DataFrame, view: ViewState, label: str, key: str, selected: set[str]):
    """Origins ranked by visitors; each bar says how many and what share of all."""
    frame = frame.head(ORIGIN_BARS)
    fig = figures.ranking_bar(frame, label=label, value="visitors", key=key, selected=selected,
                              unit=pick(view.lang, "人次", "visits"), max_bars=ORIGIN_BARS)
    shown = frame.iloc[::-1]
    amounts = ([f"{v / 1e3:,.0f}k" for v in shown["visitors"]] if view.lang == "en"
               else [f"{v / 1e4:,.1f}万" for v in shown["visitors"]])
    fig.update_traces(text=[f"{a} · {s:.1f}%" for a, s in zip(amounts, shown["share"])],
                      textposition="outside", textfont_size=11)
    fig.update_xaxes(range=[0, float(frame["visitors"].max()) * 1.35], showticklabels=False)
    return fig


def provinces_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    return origin_figure(frame, view, "province", "province", figures.selected_of(view, "origin"))


def cities_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    return origin_figure(frame, view, "label", "label", set())


def age_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    frame = frame.assign(name=frame["label_en" if view.lang == "en" else "label_zh"])
    return figures.donut(frame, label="name", value="visitors", key="bucket", unit=pick(view.lang, "人次", "visits"))


def stay_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    frame = frame.assign(name=frame["label_en" if view.lang == "en" else "label_zh"])
    return figures.ranking_bar(frame.iloc[::-1], label="name", value="share", key="bucket", decimals=1,
                               text_suffix="%", unit="%")


def hotel_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    ind = indicator("tourism.hotel_occupancy")
    return figures.ranking_bar(frame, label="name", value="value", key="adcode",
                               selected=set(frame.loc[frame["selected"], "adcode"]),
                               unit=ind.unit(view.lang), decimals=ind.decimals, text_suffix="%")


def complaint_data(view: ViewState) -> pd.DataFrame:
    return incidents.by_type(view.set_filter("theme", (THEME,)), view.lang)


def complaint_figure(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    rate = incidents.counts(narrow(view, ()).set_filter("theme", (THEME,)))["ontime_rate"]
    return figures.incident_kinds(frame, total_name=pick(view.lang, "投诉", "Complaints"), ontime_rate=rate,
                                  lang=view.lang)


SIGNALLING = {"source_zh": "运营商手机信令", "source_en": "Mobile network signalling"}
PANELS = register_panels(PATH, [
    Panel("tourism.kpis", "旅游总体态势", "Tourism at a glance", query=headline_data, render=render_headlines,
          filters=("spot",), indicators=RANGE_CODES + (SPOT_LOAD,), width=12),
    Panel("tourism.warnings", "文旅预警", "Tourism warnings", query=ticker_data, render=render_ticker, width=12,
          source_zh="预警引擎（指标目录阈值）", source_en="Warnings engine (catalogue thresholds)"),
    Panel("tourism.map", "客流地图", "Visitor map", query=map_regions, width=4, height=2,
          map=MapSpec(metrics=MAP_METRICS, points=map_points, point_click=CrossFilter("spot")),
          indicators=MAP_METRICS[:1]),
    Panel("tourism.spot_load", "景区实时承载", "Scenic spot load", bars=True, query=tourism.spot_load, figure=spot_figure,
          click=CrossFilter("spot"), width=4, height=2, indicators=(SPOT_LOAD,)),
    Panel("tourism.trend", "客流趋势（同比 · 节假日）", "Visitors vs last year, holidays marked",
          query=tourism.visitor_trend, figure=trend_figure, filters=("spot",), brush=True, width=4,
          indicators=("tourism.visitors", SPOT_LOAD)),
    Panel("tourism.hours", "分时客流", "Visitors by hour", query=tourism.spot_hours, figure=hours_figure,
          filters=("spot",), width=4, indicators=(SPOT_LOAD,)),
    Panel("tourism.holidays", "节假日客流同比", "Holidays vs last year", query=tourism.holiday_comparison,
          figure=holidays_figure, filters=("spot",), width=5, indicators=("tourism.visitors", SPOT_LOAD)),
    Panel("tourism.origin_provinces", "客源地 · 省份", "Visitors' home provinces", bars=True, query=tourism.origin_provinces,
          figure=provinces_figure, click=CrossFilter("origin"), width=4, **SIGNALLING),
    # the wall (大屏) keeps the headline panels; these are for the desk
    Panel("tourism.origin_cities", "客源地 · 城市", "Visitors' home cities", bars=True, query=tourism.origin_cities,
          figure=cities_figure, filters=("origin",), width=3, screen=False, **SIGNALLING),
    Panel("tourism.age", "游客年龄", "Visitors by age", query=lambda view: tourism.visitor_profile(view, "age"),
          figure=age_figure, width=3, screen=False, **SIGNALLING),
    Panel("tourism.stay", "停留时长", "Length of stay", bars=True, query=lambda view: tourism.visitor_profile(view, "stay"),
          figure=stay_figure, width=3, screen=False, **SIGNALLING),
    Panel("tourism.hotels", "酒店入住率", "Hotel occupancy", bars=True,
          query=lambda view: indicators.ranking(view, "tourism.hotel_occupancy", view.lang), figure=hotel_figure,
          click=Drill(), width=3, screen=False, indicators=("tourism.hotel_occupancy",)),
    Panel("tourism.complaints", "旅游投诉处置", "Complaints and their handling", bars=True, query=complaint_data,
          figure=complaint_figure, click=OpenLink(lambda code, view: desk_href(view, type=(code,))), width=3,
          indicators=("tourism.complaints",)),
])
PANELS_BY_ID = {p.id: p for p in PANELS}


def build(view: ViewState):
    map_panel = PANELS_BY_ID["tourism.map"]
    tools = {"tourism.map": [dcc.Dropdown(
        id={"type": "metric", "id": "tourism.map"}, options=metric_options(map_panel, view.lang),
        value=map_metric(map_panel, view), clearable=False, searchable=False, className="metric-select",
    )]}
    return page_grid(PANELS, view, tools)


dash.register_page(__name__, path=PATH, name="智慧文旅", title="智慧文旅 · 城市大脑", order=1,
                   layout=cockpit_layout(PATH, build))
