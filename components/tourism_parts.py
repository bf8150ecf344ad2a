"""Builders of the 智慧文旅 cockpit's own figures and cards (DataFrame → figure or HTML, no SQL)."""
from __future__ import annotations

import math

import pandas as pd
from dash import html

from components import figures, plot
from components.kpi import _number, change_badge
from core.i18n import pick, t
from data.catalogue import LEVEL_NAMES, Indicator


MIN_BAR_ROWS = 10


def period_card(title: str, rows: list[dict], unit: str, direction: str, lang: str, *, card_id: str,
                note: str = "") -> html.Div:
    """A card of a few labelled figures (今日 / 本月 / 本年), each with its change year on year.

    rows: [{"key", "label", "value", "change_yoy"}]; every value carries data-value for readers
    and tests, as the KPI cards do. `note` qualifies the figures (e.g. up to when today counts)."""
    lines = []
    for row in rows:
        value = row["value"]
        lines.append(html.Div([
            html.Span(row["label"], className="period-label"),
            html.Span(_number(value, 0), className="period-value", id=f"{card_id}-{row['key']}",
                      **{"data-value": "" if value is None else f"{value:.6g}"}),
            change_badge(row.get("change_yoy"), direction, t("vs_last_year", lang)),
        ], className="period-line"))
    body = [html.Div([title, html.Span(unit, className="kpi-unit"), html.Span(note, className="period-note")],
                     className="kpi-label"),
            html.Div(lines, className="period-lines")]
    return html.Div(body, className="kpi-card period", id=card_id)


def crowd_card(warned: float, full: float, top: dict, ind: Indicator, lang: str) -> html.Div:
    """大客流预警: how many spots are at or beyond the yellow and the red load thresholds, and the
    most loaded spot (top: {"name", "value", "level"}). The level is written out, not only coloured."""
    yellow, red = ind.thresholds[1], ind.thresholds[3]
    warned, full, level = int(warned), int(full), int(top.get("level") or 0)
    loaded = top.get("value")
    has_top = loaded is not None and not (isinstance(loaded, float) and math.isnan(loaded))
    body = [
        html.Div(pick(lang, f"大客流预警（≥{yellow:g}%）", f"Crowd warnings (≥{yellow:g}%)"), className="kpi-label"),
        html.Div([html.Span(f"{warned}", className="kpi-value", **{"data-value": str(warned)}),
                  html.Span(pick(lang, "个景区", "spots"), className="kpi-unit")], className="kpi-figure"),
        html.Div(pick(lang, f"满载（≥{red:g}%）{full} 个", f"Full (≥{red:g}%): {full}"),
                 className="kpi-sub bad" if full else "kpi-sub", id="crowd-full", **{"data-value": str(full)}),
        html.Div(pick(lang, f"最高：{top['name']} {loaded:.1f}%", f"Top: {top['name']} {loaded:.1f}%")
                 if has_top else "—", className="kpi-sub"),
        html.Span(LEVEL_NAMES[lang][level], className=f"kpi-status level-{level}"),
    ]
    return html.Div(body, className=f"kpi-card level-{level}", id="kpi-crowd")


def spot_load_figure(frame: pd.DataFrame, ind: Indicator, lang: str, selected: set[str]) -> plot.Figure:
    """Each spot's load on the range's last day as a bar coloured by its warning level, its peak
    day of the range as a ◆, and the crowd-warning thresholds (the catalogue's yellow and red) as
    lines; bar texts carry the load (▲ from yellow on), hovers the arrivals against the capacity."""
    fig = figures.ranking_bar(frame, label="label", value="load", key="spot_id", selected=selected, unit="%",
                              colour_by_level="level", decimals=1, text_suffix="%", max_bars=len(frame))
    shown = frame.iloc[::-1]  # ranking_bar draws the first row at the top
    fig.update_traces(name=pick(lang, "当日承载率", "Load of the day"),
                      hovertext=[f"{a:,.0f} / {c:,.0f}" for a, c in zip(shown["arrivals"], shown["capacity"])],
                      hovertemplate=("%{y}<br>" + pick(lang, "承载率", "Load") + " %{x:.1f}%<br>"
                                     + pick(lang, "入园/日容量 ", "Arrivals / capacity ") + "%{hovertext}<extra></extra>"))
    fig.add_trace(plot.Scatter(
        x=shown["peak_load"], y=shown["label"], mode="markers", name=pick(lang, "区间峰值", "Peak in range"),
        customdata=shown["spot_id"].astype(str), marker={"symbol": "diamond", "size": 9, "color": figures.INK},
        hovertext=[f"{d:%m-%d}" if pd.notna(d) else "" for d in shown["peak_day"]],
        hovertemplate="%{y}<br>" + pick(lang, "峰值", "Peak") + " %{x:.1f}% (%{hovertext})<extra></extra>",
    ))
    top = max(float(frame["load"].max() or 0), float(frame["peak_load"].max() or 0), ind.thresholds[3]) * 1.15
    marks = figures.Guides()
    for threshold, level, words in ((ind.thresholds[1], 2, pick(lang, "预警", "warning")),
                                    (ind.thresholds[3], 4, pick(lang, "满载", "full"))):
        marks.vline(threshold, {"color": figures.LEVEL_COLOURS[level], "dash": "dash", "width": 1.5},
                    f"{threshold:g}% {words}", {"size": 11, "color": figures.LEVEL_COLOURS[level]})
    marks.draw(fig)
    fig.update_xaxes(range=[0, top], ticksuffix="%")
    # a few spots (a county) keep slim bars at the top instead of filling the panel
    rows = max(len(frame), MIN_BAR_ROWS)
    fig.update_yaxes(range=[len(frame) - rows - 0.5, len(frame) - 0.5])
    fig.update_layout(showlegend=True, legend={"orientation": "h", "y": -0.06, "yanchor": "top", "x": 0},
                      margin={"l": 8, "r": 8, "t": 22, "b": 8})
    return fig


def hourly_figure(frame: pd.DataFrame, lang: str) -> plot.Figure:
    """Arrivals per hour of the day as bars, visitors inside as a line, last year's arrivals dotted."""
    fig = plot.Figure()
    hours = [f"{h:02d}:00" for h in frame["hour"]]
    fig.add_trace(plot.Bar(x=hours, y=frame["arrivals"], name=pick(lang, "入园人次", "Arrivals"),
                         marker={"color": figures.PALETTE[0]},
                         hovertemplate="%{x} %{y:,.0f}<extra>" + pick(lang, "入园", "arrivals") + "</extra>"))
    fig.add_trace(plot.Scatter(x=hours, y=frame["arrivals_ly"], name=pick(lang, "去年同日入园", "Arrivals last year"),
                             mode="lines", line={"color": figures.INK, "dash": "dot", "width": 1.6},
                             hovertemplate="%{x} %{y:,.0f}<extra>" + pick(lang, "去年同日", "last year") + "</extra>"))
    fig.add_trace(plot.Scatter(x=hours, y=frame["present"], name=pick(lang, "在园人数", "Inside"), mode="lines+markers",
                             line={"color": figures.PALETTE[2], "width": 2.4}, marker={"size": 4},
                             hovertemplate="%{x} %{y:,.0f}<extra>" + pick(lang, "在园", "inside") + "</extra>"))
    figures.base_layout(fig, legend=True)
    fig.update_xaxes(type="category", tickangle=0, nticks=8)
    fig.update_layout(bargap=0.15, hovermode="x unified")
    return fig


def holiday_figure(frame: pd.DataFrame, lang: str, unit: str) -> plot.Figure:
    """Each holiday against the same holiday a year earlier, day for day; the change is written on
    the bars (▲/▼ and %), so it is not told by colour alone."""
    names = [f"{(en if lang == 'en' else zh)} {start:%Y}" for zh, en, start in
             zip(frame["name_zh"], frame["name_en"], frame["start"])]
    changes = ["—" if c is None or (isinstance(c, float) and math.isnan(c))
               else f"{'▲' if c >= 0 else '▼'}{abs(c):.1f}%" for c in frame["change_yoy"]]
    fig = plot.Figure()
    fig.add_trace(plot.Bar(x=names, y=frame["last_year"], name=pick(lang, "去年同期假日", "Same holiday last year"),
                         marker={"color": "rgba(127,142,163,0.55)"},
                         hovertemplate="%{x}<br>" + pick(lang, "去年", "Last year") + " %{y:,.0f} " + unit
                         + "<extra></extra>"))
    fig.add_trace(plot.Bar(x=names, y=frame["visitors"], name=pick(lang, "今年", "This year"),
                         marker={"color": figures.PALETTE[0]}, text=changes, textposition="outside",
                         textfont={"size": 12},
                         hovertemplate="%{x}<br>" + pick(lang, "今年", "This year") + " %{y:,.0f} " + unit
                         + " (%{text})<extra></extra>", cliponaxis=False))
    figures.base_layout(fig, legend=True)
    fig.update_layout(barmode="group", bargap=0.3, bargroupgap=0.05)
    fig.update_xaxes(type="category")
    return fig
