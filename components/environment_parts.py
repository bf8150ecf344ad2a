"""Builders of the 生态环境 cockpit's own figures and cards (DataFrame → figure or HTML, no SQL).

AQI is always shown with its HJ 633-2012 level in words (二级 良 …) beside the standard colour, so
status is never told by colour alone.
"""
from __future__ import annotations

import pandas as pd
from dash import dcc, html

from components import figures, plot
from core.i18n import pick
from data import aqi

MIN_BAR_ROWS = 8
# Water grades (GB 3838-2002) I … 劣V: the colours environmental bulletins use.
GRADE_COLOURS = {1: "#1c7ed6", 2: "#4dabf7", 3: "#2f9e44", 4: "#f59f00", 5: "#e8590c", 6: "#c92a2a"}


def primary_label(primary: str | None) -> str:
    """The primary pollutant(s) as written: "pm25,pm10" → "PM2.5,PM10" ("" when AQI ≤ 50)."""
    return ",".join(aqi.POLLUTANT_LABELS[p] for p in str(primary or "").split(",") if p)


def aqi_now_card(value: float, at, worst_name: str, worst_aqi: float, primary: str, lang: str) -> html.Div:
    """The region's AQI of the latest hour (mean of its stations), its level in words and colour,
    and the station with the worst air with its primary pollutant."""
    entry = aqi.LEVELS[aqi.level(value) - 1]
    primary = primary_label(primary)
    return html.Div([
        html.Div(pick(lang, f"实时AQI · {at:%H:%M}", f"AQI now · {at:%H:%M}"), className="kpi-label"),
        html.Div([html.Span(f"{value:.0f}", className="kpi-value", **{"data-value": f"{value:.6g}"}),
                  html.Span(entry.label(lang), className="aqi-badge",
                            style={"background": entry.colour, "color": entry.text_colour})], className="kpi-figure"),
        html.Div(pick(lang, f"最高：{worst_name} {worst_aqi:.0f}", f"Worst: {worst_name} {worst_aqi:.0f}")
                 + (pick(lang, f"（首要污染物 {primary}）", f" (primary {primary})") if primary else ""),
                 className="kpi-sub"),
    ], className="kpi-card aqi-now", id="kpi-aqi-now", style={"borderLeftColor": entry.colour})


def station_bars(frame: pd.DataFrame, lang: str, selected: set[str], unit: str, decimals: int) -> plot.Figure:
    """Stations ranked worst first, each bar in the AQI colour of its mean AQI with the level in
    words in its hover and the good-day share in its text."""
    frame = frame.iloc[::-1]
    suffix = f" {unit}" if unit else ""
    text = [f"{v:,.{decimals}f}{suffix} · {lv}" for v, lv in zip(frame["value"], frame["level_name"])]
    fig = plot.Figure(plot.Bar(
        y=frame["name"], x=frame["value"], orientation="h", customdata=frame["station_id"].astype(str),
        text=text, textposition="auto", cliponaxis=False,
        marker={"color": list(frame["colour"]), "opacity": figures.opacities(frame["station_id"], selected),
                "line": {"color": "rgba(127,142,163,0.6)", "width": 1}},
        hovertext=[f"{pick(lang, '优良天数', 'Good days')} {g:.0f}/{d:.0f} ({s:.1f}%)"
                   for g, d, s in zip(frame["good_days"], frame["days"], frame["good_share"])],
        hovertemplate="%{y}: %{x:,." + str(decimals) + "f} " + unit + "<br>%{hovertext}<extra></extra>",
        insidetextfont={"color": "#1d2633"},
    ))
    figures.base_layout(fig)
    # a few stations (a county) keep slim bars at the top instead of filling the panel
    rows = max(len(frame), MIN_BAR_ROWS)
    fig.update_yaxes(type="category", range=[len(frame) - rows - 0.5, len(frame) - 0.5])
    return fig


def air_trend_figure(frame: pd.DataFrame, lang: str, unit: str, decimals: int, region_name: str) -> plot.Figure:
    """AQI (with the six level bands behind it) or a pollutant's concentration over time; one line
    per selected station or the region's mean."""
    fig = plot.Figure()
    for i, (key, rows) in enumerate(frame.groupby("series", sort=False)):
        name = region_name if key == "all" else rows["name"].iloc[0]
        fig.add_trace(plot.Scatter(
            x=rows["ts"], y=rows["value"], name=name, mode="lines",
            line={"color": figures.PALETTE[i % len(figures.PALETTE)], "width": 2.2},
            hovertemplate=f"%{{x}}<br>{name}: %{{y:,.{decimals}f}} {unit}<extra></extra>",
        ))
    if frame.attrs.get("measure") == "aqi":
        top = max(float(frame["value"].max() or 0) * 1.1, 120)
        bands = figures.Guides()
        for entry in aqi.LEVELS:
            high = entry.high if entry.high is not None else 500
            if entry.low > top:
                break
            bands.hrect(max(entry.low - 1, 0), min(high, top), entry.colour, 0.12, entry.name(lang),
                        {"size": 10, "color": figures.INK})
        bands.draw(fig)
        fig.update_yaxes(range=[0, top])
    figures.base_layout(fig, legend=frame["series"].nunique() > 1)
    fig.update_layout(dragmode="zoom", hovermode="x unified", margin={"l": 8, "r": 48, "t": 8, "b": 8})
    fig.update_yaxes(fixedrange=True)
    return fig


def pollutant_figure(frame: pd.DataFrame, lang: str, selected: set[str]) -> plot.Figure:
    """The six pollutants on one scale — the IAQI of each one's mean concentration — with the Grade II
    standard (IAQI 100) as a line; the text gives the concentration and its unit."""
    frame = figures.without_missing(frame, "iaqi")
    colours = [aqi.LEVELS[aqi.level(v) - 1].colour for v in frame["iaqi"]]
    fig = plot.Figure(plot.Bar(
        x=frame["label"], y=frame["iaqi"], customdata=frame["pollutant"],
        text=[f"{c:,.{2 if p == 'co' else 0}f} {u}" for c, u, p in zip(frame["concentration"], frame["unit"],
                                                                       frame["pollutant"])],
        textposition="outside", cliponaxis=False,
        marker={"color": colours, "opacity": figures.opacities(frame["pollutant"], selected),
                "line": {"color": "rgba(127,142,163,0.6)", "width": 1}},
        hovertext=[pick(lang, f"超标 {e} 站日 · 首要污染物 {p} 站日", f"{e} station-days over standard · primary on {p}")
                   for e, p in zip(frame["exceed_days"], frame["primary_days"])],
        hovertemplate="%{x}: IAQI %{y}<br>%{text}<br>%{hovertext}<extra></extra>",
    ))
    figures.base_layout(fig)
    figures.Guides().hline(100, {"color": figures.LEVEL_COLOURS[3], "dash": "dash", "width": 1.5},
                           pick(lang, "二级标准", "Grade II standard"),
                           {"size": 11, "color": figures.LEVEL_COLOURS[3]}).draw(fig)
    fig.update_xaxes(type="category")
    top = max(float(frame["iaqi"].max()), 110) * 1.2
    fig.update_yaxes(title={"text": "IAQI", "font": {"size": 11}}, range=[0, top])
    return fig


# the axis' short English names of the AQI levels (the hover names them in full)
SHORT_LEVEL_NAMES = {1: "Excellent", 2: "Good", 3: "Light", 4: "Moderate", 5: "Heavy", 6: "Severe"}


def level_days_figure(frame: pd.DataFrame, lang: str, good_share: float | None) -> plot.Figure:
    """Station-days at each AQI level in the level's colour and words; the share of good days above."""
    fig = plot.Figure(plot.Bar(
        x=frame["label"], y=frame["days"], marker={"color": list(frame["colour"]),
                                                     "line": {"color": "rgba(127,142,163,0.6)", "width": 1}},
        text=[f"{d:,} ({s:.1f}%)" if d else "" for d, s in zip(frame["days"], frame["share"])],
        textposition="outside", cliponaxis=False, customdata=frame["level"].astype(str),
        hovertemplate="%{x}: %{y:,} " + pick(lang, "站日", "station-days") + "<extra></extra>",
    ))
    figures.base_layout(fig)
    # the grade over its words: six labels side by side, not tilted (a wall's short figure has no
    # room below for tilted ones)
    ticks = ([f"Level {level}<br>{SHORT_LEVEL_NAMES[int(level)]}" for level in frame["level"]] if lang == "en"
             else [label.replace(" ", "<br>", 1) for label in frame["label"]])
    fig.update_xaxes(type="category", tickvals=list(frame["label"]), ticktext=ticks)
    fig.update_layout(margin={"l": 8, "r": 8, "t": 30, "b": 8})
    share = "—" if good_share is None else f"{good_share:.1f}%"
    fig.add_annotation(text=f"{pick(lang, '优良天数比例', 'Good days')} {share}", xref="paper", yref="paper", x=1,
                       y=1.0, xanchor="right", yanchor="bottom", showarrow=False, font={"size": 14},
                       name="good-share")
    return fig


def water_figure(frame: pd.DataFrame, lang: str) -> plot.Figure:
    """Sections × months, each cell the month's grade (I … 劣V) in its colour; a month worse than the
    section's target is marked ✗ in the cell, so it is not told by colour alone."""
    frame = frame.assign(section=[f"{n}（{pick(lang, '目标', 'target')}{t}）"
                                  for n, t in zip(frame["name"], frame["target_label"])])
    order = list(dict.fromkeys(frame["section"]))
    sections, months, grades = figures.cell_grid(frame, x="month", y="section", z="grade", reduce="max",
                                                 y_order=order)
    *_, meets = figures.cell_grid(frame, x="month", y="section", z="meets", reduce="min", x_order=months,
                                  y_order=sections, columns_without_data=True)
    labels = {g: lab for g, lab in zip(frame["grade"], frame["grade_label"])}
    text = [[("" if pd.isna(g) else ("✗" if not ok else "") + labels[int(g)]) for g, ok in zip(row, ok_row)]
            for row, ok_row in zip(grades, meets)]
    scale = []
    for grade, colour in GRADE_COLOURS.items():  # stepped: grade g (z = g, zmin 0.5) spans ((g-1)/6, g/6)
        scale += [[(grade - 1) / 6, colour], [grade / 6, colour]]
    fig = plot.Figure(plot.Heatmap(
        z=grades, x=months, y=sections, zmin=0.5, zmax=6.5,
        colorscale=scale, showscale=False,
        text=text, texttemplate="%{text}", textfont={"color": "#ffffff", "size": 11}, xgap=2, ygap=2,
        hovertemplate="%{y} · %{x}: %{text}<extra></extra>",
    ))
    figures.base_layout(fig)
    fig.update_xaxes(type="category", side="top")
    fig.update_yaxes(type="category", autorange="reversed")
    return fig


def source_table(frame: pd.DataFrame, lang: str, names: dict, alarm_href: str) -> html.Div:
    """Key pollution sources needing attention: exceedances (linking to the alarms on the incident
    desk) and online rate, worst first."""
    if frame.empty:
        return html.Div(pick(lang, "范围内无重点污染源数据", "No key source data in this range"), className="list empty")
    header = html.Tr([html.Th(h) for h in (pick(lang, "污染源", "Source"), pick(lang, "区县", "County"),
                                           pick(lang, "行业", "Industry"), pick(lang, "超标", "Exceed."),
                                           pick(lang, "在线率", "Online"))])
    body = []
    for row in frame.itertuples():
        rate = "—" if pd.isna(row.online_rate) else f"{row.online_rate:.1f}%"
        exceed = (dcc.Link(f"▲ {row.exceedances}", href=alarm_href, className="incident-link")
                  if row.exceedances else "0")
        body.append(html.Tr([html.Td(row.name), html.Td(names.get(row.adcode, row.adcode)), html.Td(row.industry),
                             html.Td(exceed, className="late" if row.exceedances else ""), html.Td(rate)],
                            **{"data-source": str(row.source_id)}))
    return html.Table([html.Thead(header), html.Tbody(body)], className="list-table", id="source-table")


def station_hours_figure(frame: pd.DataFrame, lang: str, selected: set[str], unit: str, decimals: int) -> plot.Figure:
    """Stations × hours of the day: AQI in the six level colours (stepped at the HJ 633 breakpoints),
    or a pollutant's concentration on a sequential scale; the value is written in every cell and a
    click on a row selects its station."""
    names = dict(zip(frame["station_id"], frame["name"]))
    stations, hours, values = figures.cell_grid(frame, x="hour", y="station_id", z="value", x_order=range(24),
                                                columns_without_data=True)
    rows = [names[i] + (" ◀" if str(i) in selected else "") for i in stations]
    if frame.attrs.get("measure") == "aqi":
        top = 500
        scale, low = [], 0
        for entry in aqi.LEVELS:
            high = entry.high if entry.high is not None else top
            scale += [[low / top, entry.colour], [high / top, entry.colour]]
            low = high
        zmin, zmax = 0, top
    else:
        scale, zmin, zmax = "YlOrRd", None, None
    fig = plot.Figure(plot.Heatmap(
        z=values, x=[f"{h:02d}" for h in hours], y=rows, colorscale=scale, zmin=zmin, zmax=zmax,
        showscale=False, xgap=1, ygap=1,
        customdata=[[str(i)] * len(hours) for i in stations],
        text=[["" if pd.isna(v) else f"{v:.{decimals}f}" for v in row] for row in values],
        texttemplate="%{text}", textfont={"size": 9, "color": "#1d2633"},
        hovertemplate="%{y} · %{x}:00 — %{text} " + unit + "<extra></extra>",
    ))
    figures.base_layout(fig)
    fig.update_xaxes(type="category", side="top", title=None)
    fig.update_yaxes(type="category", autorange="reversed")
    return fig
