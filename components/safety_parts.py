"""城市安全 · The safety cockpit's own parts: KPI strip, county table, step-time chart, map points.

Every incident count here is a link to the incident desk showing exactly those incidents
(`incident_parts.desk_view`): same region, time and filters, plus what the count selects.
"""
from __future__ import annotations

import math

import pandas as pd
from dash import dcc, html

from components import figures, plot
from components.figures import ACCENT, LEVEL_COLOURS, base_layout
from components.incident_parts import desk_view, duration_text
from components.kpi import count_card, kpi_card
from core.i18n import pick
from core.viewstate import ViewState
from data.catalogue import LEVEL_NAMES, indicator
from data.queries.labels import fixed_label
from data.queries.safety import ontime_level

HAZARD_COLOURS = {"hazmat": "#7048e8", "fire_key": "#c2255c"}
DENSITY_COLOURS = ("#ffc078", "#ff922b", "#f76707", "#e8590c", "#c92a2a")  # fewest … most incidents
LEVEL_WORDS = {1: ("一级", "level 1"), 2: ("二级", "level 2"), 3: ("三级", "level 3"), 4: ("四级", "level 4")}


def _link(children, href: str, element_id, tone: str = "") -> dcc.Link:
    return dcc.Link(children, href=href, id=element_id, className=f"count-link {tone}".strip())


# -- KPI strip ----------------------------------------------------------------------------------
def kpi_strip(frame: pd.DataFrame, view: ViewState, href) -> html.Div:
    """The rows of `safety.kpis` as cards. Counts link to the desk, pre-filtered."""
    lang = view.lang
    rows = {row["key"]: row for row in frame.to_dict("records")}
    open_overdue = int(rows["open_overdue"]["value"])
    cards = [
        kpi_card(indicator("safety.incidents"), rows["incidents"], lang, href=href(desk_view(view)),
                 card_id="kpi-incidents"),
        count_card(pick(lang, "在办事件", "Open incidents"), int(rows["open"]["value"]), pick(lang, "件", ""), lang,
                   href=href(desk_view(view, status=("open",))), card_id="kpi-open",
                   extra=_link([pick(lang, "其中超期 ", "overdue "),
                                html.Span(f"{open_overdue:,}", **{"data-value": str(open_overdue)}), pick(lang, " 件", "")],
                               href(desk_view(view, status=("open",), overdue=("1",))), "kpi-open-overdue",
                               "kpi-sub bad" if open_overdue else "kpi-sub")),
        kpi_card(indicator("safety.ontime_rate"), rows["ontime_rate"], lang, href=href(desk_view(view, overdue=("1",))),
                 card_id="kpi-ontime"),
        _timing_card(rows["accept_minutes"], pick(lang, "平均受理用时", "Mean time to accept"), lang, "kpi-accept"),
        _timing_card(rows["close_minutes"], pick(lang, "平均办结用时", "Mean time to close"), lang, "kpi-close"),
        kpi_card(indicator("safety.video_online_rate"), rows["safety.video_online_rate"], lang, card_id="kpi-video"),
        kpi_card(indicator("safety.forest_fire_risk"), rows["safety.forest_fire_risk"], lang, card_id="kpi-forest"),
        html.Div([
            html.Div(pick(lang, "危险源 · 消防重点单位", "Hazard sources · key units"), className="kpi-label"),
            html.Div([html.Span(f"{int(rows['hazmat']['value'])}", className="kpi-value", id="kpi-hazmat",
                                **{"data-value": str(int(rows["hazmat"]["value"]))}),
                      html.Span(" / ", className="kpi-unit"),
                      html.Span(f"{int(rows['fire_key']['value'])}", className="kpi-value", id="kpi-firekey",
                                **{"data-value": str(int(rows["fire_key"]["value"]))})], className="kpi-figure"),
            html.Div(pick(lang, "危化品重大危险源 / 消防重点单位", "major hazmat sources / fire-safety key units"),
                     className="kpi-sub"),
        ], className="kpi-card count", id="kpi-hazards"),
    ]
    return html.Div(cards, className="kpi-strip")


def _timing_card(row: dict, label: str, lang: str, card_id: str) -> html.Div:
    """Mean time from the report to a step, its mean limit, and the share done within the limit
    (its status in words and colour)."""
    share, level = row["within_share"], int(row["level"])
    within = "—" if share is None or pd.isna(share) else f"{share:.1f}%"
    mean = row["value"]
    return html.Div([
        html.Div(label, className="kpi-label"),
        html.Div(html.Span(duration_text(mean, lang), className="kpi-value",
                           **{"data-value": "" if mean is None or pd.isna(mean) else f"{mean:.6g}"}),
                 className="kpi-figure"),
        html.Div(pick(lang, f"平均时限 {duration_text(row['limit'], lang)}",
                      f"mean limit {duration_text(row['limit'], lang)}"), className="kpi-sub"),
        html.Span(pick(lang, f"时限内 {within}", f"within limit {within}") + (f" · {LEVEL_NAMES[lang][level]}"
                                                                            if level else ""),
                  className=f"kpi-status level-{level}"),
    ], className=f"kpi-card level-{level}", id=card_id)


# -- county table -------------------------------------------------------------------------------
def county_table(frame: pd.DataFrame, view: ViewState, href) -> html.Table:
    """Per county: incidents, open, open and overdue, on-time rate, mean accept and close times.
    The county name drills; every count opens the desk on that county with the count's filter."""
    lang = view.lang
    header = html.Tr([html.Th(h) for h in (
        pick(lang, "区县", "County"), pick(lang, "事件", "Incidents"), pick(lang, "在办", "Open"),
        pick(lang, "超期在办", "Open overdue"), pick(lang, "按期办结率", "On time"),
        pick(lang, "平均受理", "To accept"), pick(lang, "平均办结", "To close"))])
    body = []
    for row in frame.itertuples():
        county = view.with_region(row.adcode)
        rate = row.ontime_rate
        level = ontime_level(rate)
        body.append(html.Tr([
            html.Td(dcc.Link(row.name, href=href(county), id={"type": "county-drill", "adcode": row.adcode})
                    if row.adcode != view.region else row.name),
            html.Td(_link(f"{row.incidents:,}", href(desk_view(county)), {"type": "county-incidents", "adcode": row.adcode})),
            html.Td(_link(f"{row.open:,}", href(desk_view(county, status=("open",))),
                          {"type": "county-open", "adcode": row.adcode})),
            html.Td(_link(("⚠ " if row.open_overdue else "") + f"{row.open_overdue:,}",
                          href(desk_view(county, status=("open",), overdue=("1",))),
                          {"type": "county-overdue", "adcode": row.adcode}, "bad" if row.open_overdue else ""),
                    **{"data-value": str(row.open_overdue)}),
            html.Td("—" if rate is None or pd.isna(rate) else f"{rate:.1f}%"
                    + (f" {LEVEL_NAMES[lang][level]}" if level >= 2 else ""), className=f"level-text level-{level}"),
            html.Td(duration_text(row.accept_minutes, lang)),
            html.Td(duration_text(row.close_minutes, lang)),
        ], **{"data-adcode": row.adcode}))
    return html.Table([html.Thead(header), html.Tbody(body)], className="list-table county-table", id="county-table")


# -- figures ------------------------------------------------------------------------------------
def step_figure(frame: pd.DataFrame, lang: str) -> plot.Figure:
    """The share of incidents that reached each step within its limit, with the mean time and limit
    written on each bar; coloured by the on-time thresholds and marked ▲ from the yellow level."""
    frame = figures.without_missing(frame, "within_share")
    labels = [row.step_en if lang == "en" else row.step_zh for row in frame.itertuples()]
    levels = [ontime_level(s) for s in frame["within_share"]]
    colours = [LEVEL_COLOURS[level] for level in levels]
    text = [f"{'▲ ' if level >= 2 else ''}{s:.1f}% · {duration_text(m, lang)} / {duration_text(lim, lang)}"
            for level, s, m, lim in zip(levels, frame["within_share"], frame["mean_minutes"], frame["mean_limit"])]
    fig = plot.Figure(plot.Bar(
        y=labels[::-1], x=list(frame["within_share"])[::-1], orientation="h", text=text[::-1],
        textposition="inside", insidetextanchor="start", marker={"color": colours[::-1]},
        customdata=list(frame["step"])[::-1],
        hovertemplate="%{y}: %{text}<extra></extra>",
    ))
    base_layout(fig)
    fig.update_xaxes(range=[0, 100], ticksuffix="%", title={
        "text": pick(lang, "时限内占比（柱内：平均用时 / 平均时限）", "Within limit (on bars: mean time / mean limit)"),
        "font": {"size": 11}})
    fig.update_yaxes(type="category")
    return fig


def severity_colours(levels) -> list[str]:
    """I (most severe) red … IV grey-blue."""
    return [{1: LEVEL_COLOURS[4], 2: LEVEL_COLOURS[3], 3: LEVEL_COLOURS[2], 4: ACCENT}[int(v)] for v in levels]


# -- map points ---------------------------------------------------------------------------------
def incident_points(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Incidents at county level: red when open and overdue, orange when open, green when closed;
    bigger for more severe ones."""
    open_ = ~frame["status"].isin(["closed", "visited"])
    return pd.DataFrame({
        "key": "i" + frame["id"].astype(str), "name": frame["code"], "lat": frame["lat"], "lon": frame["lon"],
        "level": [4 if o and od else (2 if o else 0) for o, od in zip(open_, frame["overdue"])],
        "label": [f"{c} · {te if lang == 'en' else tz} · {fixed_label('severity', str(s), lang)}"
                  f"{pick(lang, ' · 超期', ' · overdue') if od else ''}"
                  for c, te, tz, s, od in zip(frame["code"], frame["type_en"], frame["type_zh"], frame["severity"],
                                              frame["overdue"])],
        "radius": [10 - int(s) for s in frame["severity"]],
    })


def hazard_points(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    return pd.DataFrame({
        "key": "h" + frame["id"].astype(str), "name": frame["name"], "lat": frame["lat"], "lon": frame["lon"],
        "level": 0, "radius": 7, "colour": frame["kind"].map(HAZARD_COLOURS),
        "label": [f"◆ {fixed_label('hazard', k, lang)} · {n} · {LEVEL_WORDS[int(lv)][1 if lang == 'en' else 0]}"
                  for k, n, lv in zip(frame["kind"], frame["name"], frame["level"])],
    })


def density_points(frame: pd.DataFrame, lang: str, names: dict) -> pd.DataFrame:
    """Incident density at city level: one circle per cell, its area and its colour (light orange
    to deep red, warm on the blue county map) growing with the cell's count, which the tooltip
    gives in words with the overdue ones."""
    if frame.empty:
        return pd.DataFrame(columns=["key", "name", "lat", "lon", "level", "label", "radius", "colour"])
    share = frame["incidents"] / max(int(frame["incidents"].max()), 1)
    return pd.DataFrame({
        "key": "d" + frame["adcode"].astype(str), "name": frame["adcode"].map(names),
        "lat": frame["lat"], "lon": frame["lon"], "level": 0,
        "colour": [DENSITY_COLOURS[min(int(x * len(DENSITY_COLOURS)), len(DENSITY_COLOURS) - 1)] for x in share],
        "radius": [4 + 16 * math.sqrt(x) for x in share],
        "label": [pick(lang, f"{names.get(a, a)} · {n:,} 件（超期 {o:,}）", f"{names.get(a, a)} · {n:,} ({o:,} overdue)")
                  for a, n, o in zip(frame["adcode"], frame["incidents"], frame["overdue"])],
    })
