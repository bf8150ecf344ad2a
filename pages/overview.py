"""总体态势 · The leaders' master cockpit (SPEC §3.1)."""
from __future__ import annotations

from datetime import datetime

import dash
import pandas as pd
from dash import dcc, html

from callbacks.state import href
from components import figures
from components.frame import page_grid
from components.kpi import count_card, kpi_card
from components.lists import incident_rows, warning_ticker
from components.mapping import map_metric, metric_options, region_values
from components.page import cockpit_layout
from core.i18n import pick, t
from core.panels import CrossFilter, Drill, MapSpec, OpenLink, Panel, register_panels
from core.viewstate import ViewState
from data.catalogue import indicator
from data.queries import incidents, indicators, plan, warnings
from data.queries.common import region_names
from data.queries.labels import fixed_label

PATH = "/"
# One headline per theme, each linking to its cockpit.
HEADLINES = (("tourism.visitors", "/tourism"), ("env.good_days", "/environment"), ("env.aqi", "/environment"),
             ("traffic.congestion", "/traffic"), ("eldercare.services", "/eldercare"))
MAP_METRICS = ("tourism.visitors", "env.aqi", "traffic.congestion", "safety.ontime_rate", "eldercare.services",
               "safety.video_online_rate", "economy.retail_sales", "governance.hotline_satisfaction")


def headline_data(view: ViewState) -> pd.DataFrame:
    frame = indicators.kpis(view, tuple(code for code, _ in HEADLINES))
    return frame


def render_headlines(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    cards = []
    for (code, page), row in zip(HEADLINES, frame.to_dict("records")):
        cards.append(kpi_card(indicator(code), row, view.lang, href=href(view.with_page(page))))
    counts = incidents.counts(view)
    incident_view = view.with_page("/incidents")
    cards.append(count_card(
        t("open_incidents", view.lang), counts["open"], pick(view.lang, "件", ""), view.lang,
        href=href(incident_view.set_filter("status", ("open",))), card_id="kpi-open-incidents",
        extra=dcc.Link(f"{t('overdue', view.lang)} {counts['open_overdue']:,}",
                       href=href(incident_view.set_filter("status", ("open",)).set_filter("overdue", ("1",))),
                       className="kpi-sub bad" if counts["open_overdue"] else "kpi-sub", id="kpi-overdue-link"),
    ))
    return html.Div(cards, className="kpi-strip")


def ticker_data(view: ViewState) -> pd.DataFrame:
    return warnings.open_warnings(view)


def render_ticker(frame: pd.DataFrame, view: ViewState, _panel: Panel):
    def target(row):
        return href(view.with_page(row.page).with_region(row.adcode))

    return warning_ticker(frame, view.lang, target)


def ranking_figure(frame: pd.DataFrame, view: ViewState, panel: Panel):
    code = map_metric(PANELS_BY_ID["overview.map"], view)
    ind = indicator(code)
    selected = set(frame.loc[frame["selected"], "adcode"])  # the county in view, among its siblings
    return figures.ranking_bar(frame, label="name", value="value", key="adcode",
                               selected=selected, unit=ind.unit(view.lang), colour_by_level="level",
                               decimals=ind.decimals)


def ranking_data(view: ViewState) -> pd.DataFrame:
    return region_values(PANELS_BY_ID["overview.map"], view)


def trend_data(view: ViewState) -> pd.DataFrame:
    return indicators.trend(view, map_metric(PANELS_BY_ID["overview.map"], view))


def trend_figure(frame: pd.DataFrame, view: ViewState, panel: Panel):
    ind = indicator(map_metric(PANELS_BY_ID["overview.map"], view))
    return figures.trend_lines(frame, x="bucket", series=[("value", pick(view.lang, "本期", "This period")),
                                                           ("last_year", pick(view.lang, "去年同期", "Last year"))],
                               unit=ind.unit(view.lang), decimals=ind.decimals)


def theme_figure(frame: pd.DataFrame, view: ViewState, panel: Panel):
    frame = frame.assign(label=[fixed_label("theme", th, view.lang) or th for th in frame["theme"]])
    return figures.ranking_bar(frame, label="label", value="incidents", key="theme",
                               selected=figures.selected_of(view, "theme"), unit=pick(view.lang, "件", ""))


def funnel_figure(frame: pd.DataFrame, view: ViewState, panel: Panel):
    frame = frame.assign(label=frame["stage_en" if view.lang == "en" else "stage_zh"])
    fig = figures.funnel(frame, stage="label", value="incidents", key="stage")
    rate = incidents.counts(view)["ontime_rate"]
    fig.add_annotation(text=f"{pick(view.lang, '按期办结率', 'Closed on time')} "
                            f"{'—' if rate is None else f'{rate:.1f}%'}",
                       xref="paper", yref="paper", x=1, y=0, showarrow=False, xanchor="right", yanchor="bottom",
                       font={"size": 14}, name="ontime-rate")
    return fig


def overdue_render(frame: pd.DataFrame, view: ViewState, panel: Panel):
    names = region_names(view.lang)
    return incident_rows(frame, view.lang, names, lambda row: f"/incidents/{row.id}", now=datetime.now())


def plan_figure(frame: pd.DataFrame, view: ViewState, panel: Panel):
    frame = figures.without_missing(frame, "actual").copy()
    frame["attained"] = frame["attained_2025"].fillna(False).astype(bool)
    return figures.bullets(frame, name="indicator", actual="actual", target_a="target_2023",
                           target_b="target_2025", unit="unit", label_a=pick(view.lang, "2023目标", "2023 target"),
                           label_b=pick(view.lang, "2025目标", "2025 target"), attained="attained",
                           label_actual=pick(view.lang, "当前值", "Current"))


DIMENSION_NAMES = {"dynamics": ("城市动态", "City dynamics"), "economy": ("经济运行", "Economy"),
                   "governance": ("社会治理", "Governance"), "services": ("公共服务", "Public services"),
                   "risk": ("风险防控", "Risk control"), "environment": ("环境保护", "Environment")}


def dimensions_figure(frame: pd.DataFrame, view: ViewState, panel: Panel):
    frame = frame.assign(dim=[DIMENSION_NAMES[d][1 if view.lang == "en" else 0] for d in frame["dimension"]])
    order = [DIMENSION_NAMES[d][1 if view.lang == "en" else 0] for d in DIMENSION_NAMES]
    fig = figures.heatmap(frame, x="dim", y="name", z="score", x_order=order, zmin=0, zmax=100,
                          colourscale="Blues", decimals=0, customdata="adcode")
    # clicks drill: give every cell the county's adcode
    codes = dict(zip(frame["name"], frame["adcode"]))
    fig.data[0].customdata = [[codes[name]] * len(order) for name in fig.data[0].y]
    return fig


def map_points(view: ViewState) -> pd.DataFrame:
    frame = incidents.points(view, limit=500)
    if frame.empty:
        return pd.DataFrame(columns=["key", "name", "lat", "lon", "level", "label", "radius"])
    open_mask = ~frame["status"].isin(["closed", "visited"])
    return pd.DataFrame({
        "key": frame["id"].astype(str),
        "name": frame["code"],
        "lat": frame["lat"], "lon": frame["lon"],
        "level": [4 if o and od else (2 if o else 0) for o, od in zip(open_mask, frame["overdue"])],
        "label": [f"{c} · {(te if view.lang == 'en' else tz)}" for c, te, tz in
                  zip(frame["code"], frame["type_en"], frame["type_zh"])],
        "radius": [9 - s for s in frame["severity"]],
    })


PANELS = register_panels(PATH, [
    Panel("overview.kpis", "核心指标", "Headline indicators", query=headline_data, render=render_headlines,
          indicators=tuple(c for c, _ in HEADLINES), width=12, export=True),
    Panel("overview.warnings", "预警信息", "Active warnings", query=ticker_data, render=render_ticker, width=12,
          source_zh="预警引擎（指标目录阈值）", source_en="Warnings engine (catalogue thresholds)"),
    Panel("overview.map", "区县态势地图", "County map", query=ranking_data, width=5, height=2,
          map=MapSpec(metrics=MAP_METRICS, points=map_points,
                      point_click=OpenLink(lambda key, view: f"/incidents/{key}")),
          indicators=MAP_METRICS[:1]),
    Panel("overview.ranking", "区县排名", "County ranking", bars=True, query=ranking_data, figure=ranking_figure,
          click=Drill(), width=3, height=1, indicators=MAP_METRICS[:1]),
    Panel("overview.dimensions", "六大维度区县评分", "Six dimensions by county",
          query=lambda view: indicators.dimension_scores(view, view.lang), figure=dimensions_figure, click=Drill(),
          width=4, height=1, source_zh="综合指标目录", source_en="Indicator catalogue"),
    Panel("overview.trend", "趋势（同比）", "Trend vs last year", query=trend_data, figure=trend_figure, brush=True,
          width=7, height=1, indicators=MAP_METRICS[:1]),
    Panel("overview.themes", "各主题事件", "Incidents by theme", bars=True, query=incidents.by_theme, figure=theme_figure,
          click=CrossFilter("theme"), width=4,  # shows every theme; the chosen one is highlighted
          source_zh="市城市运行管理中心", source_en="City Operations Centre"),
    Panel("overview.funnel", "事件闭环", "Closed loop", query=incidents.closed_loop, figure=funnel_figure,
          filters=("theme",), width=4, source_zh="市城市运行管理中心", source_en="City Operations Centre"),
    Panel("overview.overdue", "超期事件", "Overdue incidents", query=incidents.overdue_list, render=overdue_render,
          filters=("theme",), width=4, source_zh="市城市运行管理中心", source_en="City Operations Centre"),
    Panel("overview.plan", "十四五规划指标", "Plan indicators (2021–2025)", bars=True, query=plan.plan_progress,
          figure=plan_figure, width=12, height=2, source_zh="十四五数字政府建设规划", source_en="City plan",
          screen=False),  # yearly targets: for the desk; the wall keeps its height for live panels
])
PANELS_BY_ID = {p.id: p for p in PANELS}


def build(view: ViewState):
    map_panel = PANELS_BY_ID["overview.map"]
    tools = {"overview.map": [dcc.Dropdown(
        id={"type": "metric", "id": "overview.map"}, options=metric_options(map_panel, view.lang),
        value=map_metric(map_panel, view), clearable=False, searchable=False, className="metric-select",
    )]}
    return page_grid(PANELS, view, tools)


dash.register_page(__name__, path=PATH, name="总体态势", title="总体态势 · 城市大脑", order=0,
                   layout=cockpit_layout(PATH, build))
