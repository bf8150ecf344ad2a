"""Builders of the 养老服务 cockpit's own figures, cards and map points (DataFrame → figure or HTML).

Bed occupancy is coloured by the warning levels of the catalogue's eldercare.bed_occupancy and
response times by those of eldercare.response_seconds; levels are also written out (▲ marks,
band names, values). Clickable marks carry in `customdata` what a click means: an adcode (drill),
a tier, a service kind or a call kind (cross-filter).
"""
from __future__ import annotations

import math

import pandas as pd
from dash import html

from components import figures, plot
from components.kpi import _number, change_badge, kpi_card
from core.i18n import pick, t
from data.catalogue import indicator

def _level_colours(levels) -> list[str]:
    return [figures.LEVEL_COLOURS[int(lv)] if int(lv) > 0 else figures.ACCENT for lv in levels]


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


# -- KPI strip ----------------------------------------------------------------------------------
def population_card(row: dict, label: str, lang: str, card_id: str) -> html.Div:
    """Residents of an age group in the year, with the change on the year before."""
    value = row["value"]
    year = row.get("year")
    return html.Div([
        html.Div(label + ("" if _missing(year) else f" · {int(year)}"), className="kpi-label"),
        html.Div([html.Span(_number(None if _missing(value) else float(value), 0), className="kpi-value",
                            **{"data-value": "" if _missing(value) else str(int(value))}),
                  html.Span(pick(lang, "人", "people"), className="kpi-unit")], className="kpi-figure"),
        html.Div(change_badge(None if _missing(row.get("change_yoy")) else row["change_yoy"], "neutral",
                              pick(lang, "较上年", "vs last year")), className="kpi-changes"),
    ], className="kpi-card count", id=card_id)


def kpi_strip(frame: pd.DataFrame, lang: str) -> html.Div:
    rows = {row["key"]: row for row in frame.to_dict("records")}
    cards = [
        population_card(rows["aged_60"], pick(lang, "60岁及以上老人", "Aged 60+"), lang, "kpi-aged-60"),
        population_card(rows["aged_80"], pick(lang, "80岁及以上老人", "Aged 80+"), lang, "kpi-aged-80"),
    ]
    for code, card_id in (("eldercare.ageing_rate", "kpi-ageing-rate"), ("eldercare.bed_occupancy", "kpi-beds"),
                          ("eldercare.services", "kpi-services"), ("eldercare.device_calls", "kpi-calls"),
                          ("eldercare.response_seconds", "kpi-response")):
        cards.append(kpi_card(indicator(code), rows[code], lang, card_id=card_id))
    return html.Div(cards, className="kpi-strip")


# -- population ---------------------------------------------------------------------------------
def population_figure(frame: pd.DataFrame, lang: str, selected: str, *, compact: bool = False) -> plot.Figure:
    """Residents aged 60–79 and 80+ per region, stacked (a click drills); the ageing rate is written
    beside each bar (on the wall, where rows are thin, in the region's label), so the oldest regions
    read first (the frame comes sorted by it)."""
    frame = frame.iloc[::-1]
    keys = frame["adcode"].astype(str)
    opacity = figures.opacities(keys, {selected} if selected in set(keys) else set())
    rate_word = pick(lang, "老龄化率", "ageing")
    labels = [f"{n} {r:.1f}%" for n, r in zip(frame["name"], frame["ageing_rate"])] if compact else list(frame["name"])
    fig = plot.Figure()
    for column, name, colour in (("aged_60_79", pick(lang, "60–79岁", "60–79"), figures.PALETTE[0]),
                                 ("aged_80", pick(lang, "80岁及以上", "80+"), figures.PALETTE[4])):
        fig.add_trace(plot.Bar(
            y=labels, x=frame[column], orientation="h", name=name, customdata=keys,
            marker={"color": colour, "opacity": opacity},
            hovertemplate="%{y} · " + name + " %{x:,}" + pick(lang, " 人", "") + "<extra></extra>",
        ))
    if not compact:
        fig.add_trace(plot.Scatter(
            y=labels, x=frame["aged_60"], mode="text", customdata=keys, showlegend=False,
            text=[f"  {rate_word} {r:.1f}%" for r in frame["ageing_rate"]], textposition="middle right",
            hovertemplate="%{y} · 60+ %{x:,} (%{text})<extra></extra>", cliponaxis=False,
        ))
    figures.base_layout(fig, legend=True)
    fig.update_layout(barmode="stack", bargap=0.3)
    fig.update_xaxes(range=[0, float(frame["aged_60"].max()) * (1.05 if compact else 1.45)])
    fig.update_yaxes(type="category")
    return fig


# -- institutions -------------------------------------------------------------------------------
def tiers_figure(frame: pd.DataFrame, lang: str, selected: set[str], *, compact: bool = False) -> plot.Figure:
    """The tiers of centres and the care homes: how many (bar), beds and occupancy, and coverage of
    the 60+ residents (in the text; on the wall only the count and coverage); a click filters the tier."""
    frame = frame.iloc[::-1]
    keys = frame["tier"].astype(str)
    texts = []
    for row in frame.itertuples():
        count = pick(lang, f"{row.institutions} 家", f"{row.institutions}")
        covers = None if _missing(row.coverage) else pick(lang, f"覆盖 {row.coverage:.1f}%",
                                                             f"covers {row.coverage:.1f}%")
        if compact:
            texts.append(" · ".join(part for part in (count, covers) if part))
            continue
        second = [] if _missing(row.occupancy) else [pick(lang, f"入住 {row.occupancy:.0f}%",
                                                          f"{row.occupancy:.0f}% occupied")]
        texts.append(count + pick(lang, f" · 床位 {row.beds:,}", f" · {row.beds:,} beds") + "<br>"
                     + " · ".join(second + ([covers] if covers else [])))
    fig = plot.Figure(plot.Bar(
        y=frame["name"], x=frame["institutions"], orientation="h", customdata=keys, text=texts,
        textposition="outside", cliponaxis=False,
        marker={"color": figures.ACCENT, "opacity": figures.opacities(keys, selected)},
        hovertemplate="%{y}<br>%{text}<extra></extra>",
    ))
    figures.base_layout(fig)
    fig.update_xaxes(range=[0, float(frame["institutions"].max()) * 2.4], title=None)
    fig.update_yaxes(type="category")
    return fig


def institutions_figure(frame: pd.DataFrame, lang: str, *, max_bars: int = 10) -> plot.Figure:
    """The fullest institutions, coloured and ▲-marked by occupancy level; a click drills into the
    institution's county (where the map shows it)."""
    frame = figures.without_missing(frame, "occupancy").head(max_bars)
    frame = frame.assign(label=figures.distinct_labels(frame["name"], frame["county"]))
    fig = figures.ranking_bar(frame, label="label", value="occupancy", key="adcode", colour_by_level="level",
                              decimals=1, max_bars=max_bars)
    shown = frame.iloc[::-1]
    bars = fig.data[0]
    bars.text = [f"{'▲ ' if lv >= 2 else ''}{o:.1f}% · {occ}/{beds}" for o, occ, beds, lv in
                 zip(shown["occupancy"], shown["occupied"], shown["beds"], shown["level"])]
    bars.hovertemplate = "%{y}<br>" + pick(lang, "入住率 · 入住/床位", "Occupancy · occupied/beds") \
        + ": %{text}<extra></extra>"
    fig.update_xaxes(range=[0, 105], ticksuffix="%")
    return fig


# -- home care ----------------------------------------------------------------------------------
def services_figure(frame: pd.DataFrame, lang: str, selected: set[str]) -> plot.Figure:
    """Services by kind, the most used first; the text gives the change on last year (▲/▼)."""
    fig = figures.ranking_bar(frame, label="name", value="services", key="kind", selected=selected,
                              max_bars=len(frame))
    shown = frame.iloc[::-1]
    fig.data[0].text = [f"{s:,}" + ("" if _missing(c) else f"  {'▲' if c >= 0 else '▼'}{abs(c):.1f}%")
                        for s, c in zip(shown["services"], shown["change"])]
    fig.data[0].hovertemplate = "%{y}: %{text} (" + t("vs_last_year", lang) + ")<extra></extra>"
    return fig


# -- device calls -------------------------------------------------------------------------------
def band_names(lang: str) -> dict[int, str]:
    """Response-time bands of the catalogue thresholds of eldercare.response_seconds, in minutes."""
    limits = [v / 60 for v in indicator("eldercare.response_seconds").thresholds]
    names = {0: pick(lang, f"{limits[0]:g}分钟内", f"< {limits[0]:g} min")}
    for level in range(1, len(limits)):
        low, high = limits[level - 1], limits[level]
        names[level] = pick(lang, f"{low:g}–{high:g}分钟", f"{low:g}–{high:g} min")
    names[len(limits)] = pick(lang, f"超过{limits[-1]:g}分钟", f"> {limits[-1]:g} min")
    return names


def calls_figure(frame: pd.DataFrame, lang: str, selected: set[str]) -> plot.Figure:
    """Calls of each kind stacked by response-time band (green within the first threshold, then
    the level colours); a click filters the kind. The total and mean response are written beside."""
    kinds = list(dict.fromkeys(frame["kind"]))[::-1]
    names = dict(zip(frame["kind"], frame["name"]))
    labels = [names[k] for k in kinds]
    fig = plot.Figure()
    bands = band_names(lang)
    for level, band in bands.items():
        part = frame[frame["level"] == level].set_index("kind")
        values = [int(part["calls"].get(k, 0)) for k in kinds]
        if not any(values):
            continue
        fig.add_trace(plot.Bar(
            y=labels, x=values, orientation="h", name=band, customdata=kinds,
            marker={"color": figures.LEVEL_COLOURS[level], "opacity": figures.opacities(kinds, selected)},
            hovertemplate="%{y} · " + band + ": %{x:,}<extra></extra>",
        ))
    totals = frame.drop_duplicates("kind").set_index("kind")
    fig.add_trace(plot.Scatter(
        y=labels, x=[int(totals.loc[k, "total"]) for k in kinds], mode="text", customdata=kinds, showlegend=False,
        text=[pick(lang, f"  {int(totals.loc[k, 'total']):,} 次 · 平均 {totals.loc[k, 'mean_response'] / 60:.1f} 分钟",
                   f"  {int(totals.loc[k, 'total']):,} · mean {totals.loc[k, 'mean_response'] / 60:.1f} min")
              for k in kinds],
        textposition="middle right", cliponaxis=False, hoverinfo="skip",
    ))
    figures.base_layout(fig, legend=True)
    fig.update_layout(barmode="stack", bargap=0.35, legend={"traceorder": "normal"})
    fig.update_xaxes(range=[0, float(totals["total"].max()) * 1.7])
    fig.update_yaxes(type="category")
    return fig


def calls_trend_figure(frame: pd.DataFrame, lang: str) -> plot.Figure:
    """Calls per day (bars) and their mean response time (line, minutes) against the first
    threshold of the catalogue (dashed); dragging along the time axis sets the page's range."""
    ind = indicator("eldercare.response_seconds")
    fig = plot.Figure()
    fig.add_trace(plot.Bar(x=frame["bucket"], y=frame["calls"], name=pick(lang, "呼叫次数", "Calls"),
                         marker={"color": "rgba(61,139,253,0.45)"},
                         hovertemplate="%{x}<br>" + pick(lang, "呼叫", "calls") + " %{y:,}<extra></extra>"))
    minutes = frame["mean_response"] / 60
    fig.add_trace(plot.Scatter(
        x=frame["bucket"], y=minutes, name=pick(lang, "平均响应（分钟）", "Mean response (min)"), yaxis="y2",
        mode="lines+markers", line={"color": figures.PALETTE[3], "width": 2.2},
        marker={"size": 6, "color": [figures.LEVEL_COLOURS[int(lv)] for lv in frame["level"]]},
        hovertemplate="%{x}<br>" + pick(lang, "平均响应", "mean response") + " %{y:.1f} min<extra></extra>",
    ))
    threshold = ind.thresholds[0] / 60
    figures.Guides().hline(threshold, {"color": figures.LEVEL_COLOURS[1], "dash": "dash", "width": 1.2},
                           pick(lang, f"{threshold:g}分钟", f"{threshold:g} min"),
                           {"size": 10, "color": figures.LEVEL_COLOURS[1]}, yref="y2").draw(fig)
    figures.base_layout(fig, legend=True)
    top = max(float(minutes.max()), threshold) * 1.2
    fig.update_layout(yaxis2={"overlaying": "y", "side": "right", "showgrid": False, "range": [0, top],
                              "tickmode": "linear", "dtick": max(1, round(top / 4))},
                      dragmode="zoom", hovermode="x unified", bargap=0.25)
    fig.update_yaxes(fixedrange=True)
    return fig


def response_figure(frame: pd.DataFrame, lang: str, selected: set[str]) -> plot.Figure:
    """Mean response time per region (the slowest first), coloured and ▲-marked by level; a click drills."""
    frame = frame.assign(minutes=(frame["mean_response"] / 60).round(1))
    fig = figures.ranking_bar(frame, label="name", value="minutes", key="adcode", selected=selected,
                              colour_by_level="level", decimals=1)
    shown = figures.without_missing(frame, "minutes").iloc[::-1]
    fig.data[0].text = [pick(lang, f"{'▲ ' if lv >= 2 else ''}{m:.1f} 分钟 · {c:,} 次",
                             f"{'▲ ' if lv >= 2 else ''}{m:.1f} min · {c:,} calls")
                        for m, c, lv in zip(shown["minutes"], shown["calls"], shown["level"])]
    fig.data[0].hovertemplate = "%{y}: %{text}<extra></extra>"
    return fig


# -- the map ------------------------------------------------------------------------------------
def map_points(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Institutions: sized by beds, coloured by occupancy level; the key is the tier, so a click
    filters the tier and the map rings every institution of the chosen tiers (dimming the rest)."""
    # column by column, each label in the page's language only: a county has thousands of
    # institutions at production scale
    label = pick(lang, "{}（{}）· 床位 {} · 入住 {}", "{} ({}) · {} beds · {} occupied").format
    occupancy = ["—" if _missing(share) else f"{share:.0f}%" for share in frame["occupancy"].tolist()]
    beds = frame["beds"].tolist()
    return pd.DataFrame({
        "key": frame["tier"].tolist(), "name": frame["name"].tolist(), "lat": frame["lat"].tolist(),
        "lon": frame["lon"].tolist(), "level": [int(level) for level in frame["level"].tolist()],
        "radius": [4 + math.sqrt(max(int(count), 0)) / 2 for count in beds],
        "label": [label(*parts) for parts in zip(frame["name"].tolist(), frame["tier_name"].tolist(), beds, occupancy)],
    }, columns=["key", "name", "lat", "lon", "level", "radius", "label"])
